use crate::helpers::spawn_app_with;

fn write_site(dir: &std::path::Path) {
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(&pkg).expect("pkg dir");
    std::fs::write(
        pkg.join("manifest.txt"),
        "css: orbitr.0123456789abcdef.css\njs: orbitr.fedcba9876543210.js\nwasm: orbitr.00112233aabbccdd.wasm\n",
    )
    .expect("manifest");
    std::fs::write(
        pkg.join("orbitr.0123456789abcdef.css"),
        "body { color: red; }".repeat(100),
    )
    .expect("css");
    std::fs::write(
        pkg.join("orbitr.0123456789abcdef.css.br"),
        b"pretend-brotli",
    )
    .expect("css.br");
    std::fs::write(
        dir.join("favicon.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .expect("icon");
}

#[tokio::test]
async fn pages_link_the_hashed_assets_from_the_manifest() {
    let site = tempfile::tempdir().expect("dir");
    write_site(site.path());
    let app = spawn_app_with(|s| s.site_dir = site.path().to_owned()).await;
    let html = app.get("/").await.text().await.expect("body");
    assert!(
        html.contains("href=\"/pkg/orbitr.0123456789abcdef.css\""),
        "{html}"
    );
    assert!(html.contains("/pkg/orbitr.fedcba9876543210.js"), "{html}");
    assert!(html.contains("/pkg/orbitr.00112233aabbccdd.wasm"), "{html}");
}

#[tokio::test]
async fn hashed_assets_are_cached_for_a_year_and_served_precompressed() {
    let site = tempfile::tempdir().expect("dir");
    write_site(site.path());
    let app = spawn_app_with(|s| s.site_dir = site.path().to_owned()).await;

    let plain = app.get("/pkg/orbitr.0123456789abcdef.css").await;
    assert_eq!(plain.status(), 200);
    assert_eq!(
        plain.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    // A page loads a hundred of these: they carry what matters for a file, not a document's
    // headers, and no validators (their names change with their content).
    assert_eq!(plain.headers()["x-content-type-options"], "nosniff");
    for header in [
        "content-security-policy",
        "x-frame-options",
        "referrer-policy",
        "x-request-id",
        "last-modified",
    ] {
        assert!(
            !plain.headers().contains_key(header),
            "{header} on a hashed asset: {:?}",
            plain.headers()
        );
    }

    let br = app
        .client
        .get(app.url("/pkg/orbitr.0123456789abcdef.css"))
        .header("accept-encoding", "br")
        .send()
        .await
        .expect("request");
    assert_eq!(br.headers()["content-encoding"], "br");
    assert_eq!(
        br.bytes().await.expect("body").as_ref(),
        b"pretend-brotli",
        "the .br file is sent as is"
    );

    let icon = app.get("/favicon.svg").await;
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["cache-control"], "public, max-age=86400");
    // An SVG opened on its own is a document: it keeps the policy.
    assert!(icon.headers().contains_key("content-security-policy"));

    let missing = app.get("/pkg/orbitr.ffffffffffffffff.js").await;
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().contains_key("x-request-id"));
    assert_ne!(
        missing.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
}
