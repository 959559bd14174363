//! A fixture catalog of test extensions built on the local fixture image, so the real install
//! path (sync → render → deploy → uninstall) runs on a machine that cannot pull images. Every
//! service carries the test run's label.

use std::path::Path;

/// An image no registry here has: installing it must fail with a pull error.
pub const MISSING_IMAGE: &str = "registry.invalid/orbitr/missing:1";

/// Writes one extension folder.
pub fn write_extension(root: &Path, folder: &str, files: &[(&str, String)]) -> std::io::Result<()> {
    let dir = root.join(folder);
    std::fs::create_dir_all(&dir)?;
    for (name, text) in files {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

/// `fixture-db` (1.0.0): a service with a named volume, a generated secret and a text input.
pub fn db(image: &str, run: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "orbitr.yaml",
            "id: fixture-db\nname: Fixture DB\nversion: 1.0.0\nsummary: A database stand-in that keeps data in a volume\n\
             categories: [databases, testing]\ninputs:\n  - key: DB_PASSWORD\n    label: Password\n    type: secret\n    generate: 16\n\
             \x20 - key: GREETING\n    label: Greeting\n    type: string\n    default: hello\nbackup:\n  volumes: [data]\n"
                .to_owned(),
        ),
        (
            "compose.yaml",
            format!(
                "services:\n  db:\n    image: {image}\n    environment:\n      PASSWORD: ${{DB_PASSWORD}}\n      GREETING: ${{GREETING}}\n\
                 \x20   volumes:\n      - data:/data\n    labels:\n      dev.orbitr.test-run: {run}\nvolumes:\n  data: {{}}\n"
            ),
        ),
        (
            "README.md",
            "# Fixture DB\n\nKeeps **data** in a volume.\n\n<script>alert(1)</script>\n\n[bad](javascript:alert(1))\n".to_owned(),
        ),
    ]
}

/// `fixture-web` at `version`: requires `fixture-db ^1`, serves HTTP on a host port the form
/// picks; 1.1.0 adds a `THEME` input and a changelog.
pub fn web(image: &str, run: &str, version: &str) -> Vec<(&'static str, String)> {
    let theme = if version == "1.0.0" {
        ""
    } else {
        "  - key: THEME\n    label: Theme\n    type: select\n    default: dark\n    options:\n      - {value: dark, label: Dark}\n      - {value: light, label: Light}\n"
    };
    let theme_env = if version == "1.0.0" {
        ""
    } else {
        "      THEME: ${THEME}\n"
    };
    let mut files = vec![
        (
            "orbitr.yaml",
            format!(
                "id: fixture-web\nname: Fixture Web\nversion: {version}\nsummary: A web page served by busybox httpd\n\
                 description: Serves its root folder over HTTP for tests of the marketplace.\n\
                 categories: [web, testing]\nrequires:\n  - id: fixture-db\n    version: ^1\n\
                 inputs:\n  - key: PORT\n    label: Web port\n    type: port\n    required: true\n\
                 \x20 - key: TITLE\n    label: Title\n    type: string\n    default: Fixture\n{theme}\
                 exposes:\n  - service: web\n    port: 8080\n    label: Web page\n"
            ),
        ),
        (
            "compose.yaml",
            format!(
                "services:\n  web:\n    image: {image}\n    command: [\"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/\"]\n\
                 \x20   environment:\n      TITLE: ${{TITLE}}\n{theme_env}    ports:\n      - \"${{PORT}}:8080\"\n\
                 \x20   labels:\n      dev.orbitr.test-run: {run}\n"
            ),
        ),
        (
            "README.md",
            "# Fixture Web\n\nA page on the port you choose.".to_owned(),
        ),
    ];
    if version != "1.0.0" {
        files.push((
            "CHANGELOG.md",
            format!("## {version}\n\n- Adds a theme (dark by default)\n"),
        ));
    }
    files
}

/// `fixture-hostpath`: mounts a host folder (a platform admin approves it).
pub fn hostpath(image: &str, run: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "orbitr.yaml",
            "id: fixture-hostpath\nname: Fixture Host Path\nversion: 1.0.0\nsummary: Reads a folder of the host\n\
             categories: [testing]\npermissions:\n  host_paths: [/tmp]\n"
                .to_owned(),
        ),
        (
            "compose.yaml",
            format!(
                "services:\n  tool:\n    image: {image}\n    volumes:\n      - /tmp:/host:ro\n    labels:\n      dev.orbitr.test-run: {run}\n"
            ),
        ),
        ("README.md", "# Host path".to_owned()),
    ]
}

/// `fixture-missing`: its image cannot be pulled here.
pub fn missing(run: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "orbitr.yaml",
            "id: fixture-missing\nname: Fixture Missing\nversion: 1.0.0\nsummary: An image no registry has\ncategories: [testing]\n"
                .to_owned(),
        ),
        (
            "compose.yaml",
            format!(
                "services:\n  app:\n    image: {MISSING_IMAGE}\n    volumes:\n      - state:/state\n    labels:\n      dev.orbitr.test-run: {run}\nvolumes:\n  state: {{}}\n"
            ),
        ),
        ("README.md", "# Missing".to_owned()),
    ]
}

/// `fixture-broken`: a manifest with errors (listed with them, never installable).
pub fn broken() -> Vec<(&'static str, String)> {
    vec![
        (
            "orbitr.yaml",
            "id: fixture-broken\nname: Fixture Broken\nversion: one\nsummary: Not semver\n"
                .to_owned(),
        ),
        ("compose.yaml", "services: {}\n".to_owned()),
    ]
}

/// The whole fixture catalog in `root`, with `fixture-web` at `web_version`.
pub fn write_catalog(
    root: &Path,
    image: &str,
    run: &str,
    web_version: &str,
) -> std::io::Result<()> {
    write_extension(root, "fixture-db", &db(image, run))?;
    write_extension(root, "fixture-web", &web(image, run, web_version))?;
    write_extension(root, "fixture-hostpath", &hostpath(image, run))?;
    write_extension(root, "fixture-missing", &missing(run))?;
    write_extension(root, "fixture-broken", &broken())?;
    Ok(())
}

/// A TCP port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind(("0.0.0.0", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}
