//! A walk through every page, as a platform admin, an operator and a viewer, at phone width
//! (390 px) and desktop width (1440 px), in the light and the dark theme: no console error or
//! wasm panic (the kit checks every step), no sideways scrolling at phone width, and no heading
//! whose text breaks inside a word. Every page's problems are collected and reported together.

use end2end::{Browser, Orbitr, PATIENCE, wait_until};
use testkit::docker::TestRun;

/// What one walk needs: a workspace with a stack and a container in it, an image, an extension.
struct Grounds {
    orbitr: Orbitr,
    admin: Browser,
    workspace: String,
    stack: String,
    container: String,
    image: String,
    extension: String,
}

/// Runs `script` in `browser` and returns its value as a string.
async fn js_string(browser: &Browser, script: &str) -> anyhow::Result<String> {
    let value = browser.js(script).await?;
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("{script} gave {value}"))
}

async fn lay_out(run: &mut TestRun) -> anyhow::Result<Grounds> {
    let image = run.fixture_image().await?;
    let orbitr = Orbitr::start(&[]).await?;
    let admin = Browser::start().await?;
    admin.set_up_admin(&orbitr).await?;
    let workspace = admin.create_workspace(&orbitr, "Walkers").await?;
    run.also_remove(format!(
        "{}={workspace}",
        engine::model::resources::WORKSPACE_LABEL
    ));

    let stack = js_string(
        &admin,
        &format!(
            "const body = new URLSearchParams({{workspace: '{workspace}', name: '{}-walk', \
             compose: 'services:\\n  web:\\n    image: {image}\\n', env: ''}}); \
             const r = await fetch('/api/create_stack', {{method: 'POST', body}}); \
             return (await r.json()).id;",
            run.id()
        ),
    )
    .await?;

    let labels = [(
        engine::model::resources::WORKSPACE_LABEL.to_owned(),
        workspace.clone(),
    )];
    let container = run.create_fixture("walked", labels.into()).await?;
    let image = run
        .docker()
        .inspect_image(&image)
        .await?
        .id
        .unwrap_or_default();
    let extension = js_string(
        &admin,
        "const r = await fetch('/api/v1/extensions'); return (await r.json()).items[0].id;",
    )
    .await?;
    Ok(Grounds {
        orbitr,
        admin,
        workspace,
        stack,
        container,
        image,
        extension,
    })
}

/// A second person, invited into the walk's workspace with `role`, signed in their own browser.
async fn member(grounds: &Grounds, role: &str) -> anyhow::Result<Browser> {
    let path = js_string(
        &grounds.admin,
        &format!(
            "const body = new URLSearchParams({{workspace: '{}', role: '{role}', expires_in_hours: '1'}}); \
             const r = await fetch('/api/create_invitation', {{method: 'POST', body}}); \
             return (await r.json()).path;",
            grounds.workspace
        ),
    )
    .await?;
    let browser = Browser::start().await?;
    browser.goto(&grounds.orbitr.url(&path)).await?;
    browser.wait_for("[data-test=invite-heading]").await?;
    browser.wait_hydrated().await?;
    browser.fill("name", &format!("Walking {role}")).await?;
    browser.fill("email", &format!("{role}@walk.test")).await?;
    browser
        .fill("password", "long walk on a short pier")
        .await?;
    browser.click("[data-test=accept]").await?;
    browser.wait_for("[data-test=user-name]").await?;
    Ok(browser)
}

/// Every page a signed-in person can open.
fn pages(g: &Grounds) -> Vec<String> {
    [
        "/",
        "/stacks",
        "/stacks/new",
        &format!("/stacks/{}", g.stack),
        "/marketplace",
        &format!("/marketplace/{}", g.extension),
        "/apps",
        "/containers",
        "/containers/new",
        &format!("/containers/{}", g.container),
        "/images",
        &format!("/images/{}", g.image),
        "/networks",
        "/volumes",
        "/profile",
        "/workspaces",
        &format!("/workspaces/{}", g.workspace),
        "/audit",
        "/users",
        "/settings",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

/// The page's layout problems: sideways scrolling (with the elements that stick out) and
/// headings broken inside a word.
const INSPECT: &str = r#"
const problems = [];
const width = window.innerWidth;
const wide = document.documentElement.scrollWidth;
if (wide > width) {
  const out = [];
  for (const el of document.querySelectorAll('main *, .topbar *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1 && ![...el.children].some(c => c.getBoundingClientRect().right > width + 1)) {
      out.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '')
        + (el.dataset.test ? '[' + el.dataset.test + ']' : '') + ' to ' + Math.round(r.right));
      if (out.length >= 6) break;
    }
  }
  problems.push(`scrolls sideways: ${wide} px wide in ${width}: ${out.join(', ')}`);
}
for (const h of document.querySelectorAll('h1, h2, h3, .card-value, .card-label, th')) {
  const walker = document.createTreeWalker(h, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    // A line may end after a space, a hyphen or a slash; anywhere else is inside a word.
    for (const m of node.data.matchAll(/[^\s\-\/]+/g)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (tops.size > 1) problems.push(`"${m[0]}" breaks inside the word in <${h.tagName.toLowerCase()}>`);
    }
  }
}
return problems;
"#;

/// Walks every page at both widths, one theme each, and fails with every problem found.
async fn walk(
    grounds: &Grounds,
    browser: &Browser,
    who: &str,
    phone_theme: &str,
) -> anyhow::Result<()> {
    let desk_theme = if phone_theme == "dark" {
        "light"
    } else {
        "dark"
    };
    let mut problems = Vec::new();
    for (width, theme) in [(390_u32, phone_theme), (1440, desk_theme)] {
        browser.client.set_window_size(width, 900).await?;
        browser
            .js(&format!(
                "document.cookie = 'orbitr_theme={theme}; Path=/; SameSite=Lax'; return true;"
            ))
            .await?;
        let inner = browser.js("return window.innerWidth;").await?;
        anyhow::ensure!(
            inner.as_u64().is_some_and(|w| w <= u64::from(width)),
            "the window is {inner} px wide, not {width}"
        );
        for page in pages(grounds) {
            browser.goto(&grounds.orbitr.url(&page)).await?;
            browser.wait_hydrated().await?;
            // Settled: nothing is still loading.
            wait_until(&format!("{page} to settle"), PATIENCE, || async {
                let busy = browser
                    .js("return document.querySelectorAll('.skeleton, [aria-busy=true]').length;")
                    .await?;
                Ok((busy.as_u64() == Some(0)).then_some(()))
            })
            .await?;
            let shown = browser
                .js("return document.documentElement.getAttribute('data-theme');")
                .await?;
            anyhow::ensure!(shown == theme, "{page} is drawn in {shown}, not {theme}");
            for problem in browser.js(INSPECT).await?.as_array().into_iter().flatten() {
                problems.push(format!(
                    "{who} at {width} px ({theme}) on {page}: {}",
                    problem.as_str().unwrap_or_default()
                ));
            }
        }
    }
    anyhow::ensure!(problems.is_empty(), "{}", problems.join("\n"));
    Ok(())
}

#[tokio::test]
async fn every_page_holds_up_for_a_platform_admin() -> anyhow::Result<()> {
    let mut run = TestRun::new()?;
    let grounds = lay_out(&mut run).await?;
    walk(&grounds, &grounds.admin, "the platform admin", "light").await?;
    grounds.admin.close().await
}

#[tokio::test]
async fn every_page_holds_up_for_an_operator() -> anyhow::Result<()> {
    let mut run = TestRun::new()?;
    let grounds = lay_out(&mut run).await?;
    let operator = member(&grounds, "operator").await?;
    walk(&grounds, &operator, "an operator", "dark").await?;
    operator.close().await?;
    grounds.admin.close().await
}

#[tokio::test]
async fn every_page_holds_up_for_a_viewer() -> anyhow::Result<()> {
    let mut run = TestRun::new()?;
    let grounds = lay_out(&mut run).await?;
    let viewer = member(&grounds, "viewer").await?;
    walk(&grounds, &viewer, "a viewer", "light").await?;
    viewer.close().await?;
    grounds.admin.close().await
}

/// The page groups' wasm modules the browser has fetched so far (`split_<group>_…wasm`).
async fn groups_fetched(browser: &Browser) -> anyhow::Result<Vec<String>> {
    let names = browser
        .js("return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/split_')).map(n => n.split('/split_')[1].split('_pages')[0]);")
        .await?;
    Ok(names
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str().map(str::to_owned))
        .collect())
}

#[tokio::test]
async fn a_page_loads_only_its_own_code_and_another_page_s_arrives_when_it_opens()
-> anyhow::Result<()> {
    let mut run = TestRun::new()?;
    let grounds = lay_out(&mut run).await?;
    let browser = &grounds.admin;
    browser.goto(&grounds.orbitr.url("/")).await?;
    browser.wait_hydrated().await?;
    let fetched = groups_fetched(browser).await?;
    anyhow::ensure!(
        fetched == ["dashboard"],
        "the dashboard fetched the code of {fetched:?}"
    );
    // Following a link within the app fetches the next page's code, and the page works.
    browser.click("a[href='/stacks']").await?;
    browser.wait_for("[data-test=stack-row]").await?;
    let fetched = groups_fetched(browser).await?;
    anyhow::ensure!(
        fetched == ["dashboard", "stack"],
        "after the stacks list: {fetched:?}"
    );
    // The editor (with the Compose engine) only with a stack's page, opened directly.
    browser
        .goto(&grounds.orbitr.url(&format!("/stacks/{}", grounds.stack)))
        .await?;
    browser.wait_hydrated().await?;
    browser.wait_for("[data-test=compose-editor-input]").await?;
    let fetched = groups_fetched(browser).await?;
    anyhow::ensure!(
        fetched == ["stack_editor"],
        "a stack's page fetched the code of {fetched:?}"
    );
    browser.check_console().await?;
    grounds.admin.close().await
}
