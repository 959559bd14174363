use testkit::docker::TestRun;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_dashboard_is_rendered_on_the_server_with_the_engine_version() {
    let app = spawn_app().await;
    let version = TestRun::new()
        .expect("docker")
        .docker()
        .version()
        .await
        .expect("version")
        .version
        .expect("version");
    let page = app.get("/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("body");
    assert!(html.contains("data-test=\"engine-version\""), "{html}");
    assert!(
        html.contains(&version),
        "engine version {version} not on the page"
    );
    assert!(html.contains("<title>Dashboard · Orbitr</title>"), "{html}");
}

#[tokio::test]
async fn pages_carry_a_nonce_csp_without_unsafe_inline_scripts_and_security_headers() {
    let app = spawn_app().await;
    let page = app.get("/").await;
    let headers = page.headers().clone();
    let csp = headers["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let script_src = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .expect("script-src directive");
    assert!(!script_src.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let nonce = script_src
        .split_whitespace()
        .find_map(|s| s.strip_prefix("'nonce-"))
        .and_then(|s| s.strip_suffix('\''))
        .expect("a nonce");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");

    // Every inline script on the page carries this response's nonce.
    let html = page.text().await.expect("body");
    let scripts = html.matches("<script").count();
    let with_nonce = html.matches(&format!("nonce=\"{nonce}\"")).count();
    assert!(scripts > 0);
    assert_eq!(scripts, with_nonce, "{html}");

    // A second response gets a different nonce.
    let again = app.get("/").await;
    assert!(
        !again.headers()["content-security-policy"]
            .to_str()
            .expect("ascii")
            .contains(nonce)
    );
}

#[tokio::test]
async fn pages_are_compressed_with_brotli_or_gzip() {
    let app = spawn_app().await;
    for (accept, expected) in [("br", "br"), ("gzip", "gzip"), ("gzip, deflate, br", "br")] {
        let response = app
            .client
            .get(app.url("/"))
            .header("accept-encoding", accept)
            .send()
            .await
            .expect("request");
        assert_eq!(
            response.headers()["content-encoding"],
            expected,
            "for {accept}"
        );
    }
}

#[tokio::test]
async fn an_unknown_address_gets_a_404_page() {
    let app = spawn_app().await;
    let page = app.get("/no/such/page").await;
    assert_eq!(page.status(), 404);
    let html = page.text().await.expect("body");
    assert!(html.contains("Page not found"), "{html}");
}

#[tokio::test]
async fn the_theme_cookie_is_rendered_on_the_html_element() {
    // The setup page is public, so a hand-made Cookie header (without a session) still gets HTML.
    let app = crate::helpers::spawn_fresh_app().await;
    let html = |cookie: &'static str| {
        let request = app.client.get(app.url("/setup")).header("cookie", cookie);
        async move {
            request
                .send()
                .await
                .expect("request")
                .text()
                .await
                .expect("body")
        }
    };
    assert!(
        html("orbitr_theme=dark")
            .await
            .contains("<html lang=\"en\" data-theme=\"dark\">")
    );
    assert!(
        html("orbitr_theme=light")
            .await
            .contains("data-theme=\"light\"")
    );
    assert!(html("other=1").await.contains("data-theme=\"system\""));
}
