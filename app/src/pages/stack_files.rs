//! A stack's two files as both stack pages edit them: the Compose file and its `.env`, each in
//! the code editor, checked as the user types by the same `compose` crate the server deploys
//! with, and the `docker run` converter. `/stacks/new` and `/stacks/:id` use these one way.

use std::collections::BTreeMap;

use compose::diag::Diagnostic;
use leptos::prelude::*;

use crate::components::editor::{CodeEditor, Language};
use crate::components::format;

/// The files being edited and what is wrong with them.
#[derive(Clone, Copy)]
pub struct StackFiles {
    pub compose: RwSignal<String>,
    pub env: RwSignal<String>,
    /// What the server found that the browser's check cannot (a refused deploy's diagnostics);
    /// cleared by the next operation.
    pub server: RwSignal<Vec<Diagnostic>>,
    /// The compose file's diagnostics: the browser's own, then the server's.
    pub diags: Signal<Vec<Diagnostic>>,
    pub env_diags: Signal<Vec<Diagnostic>>,
}

impl StackFiles {
    pub fn new(compose: String, env: String) -> Self {
        let compose = RwSignal::new(compose);
        let env = RwSignal::new(env);
        let server = RwSignal::new(Vec::<Diagnostic>::new());
        let local = Memo::new(move |_| compose.with(|c| env.with(|e| diagnostics(c, e))));
        let diags = Signal::derive(move || {
            let mut all = local.get();
            for d in server.get() {
                if !all.contains(&d) {
                    all.push(d);
                }
            }
            all
        });
        let env_diags = Signal::derive(move || env.with(|e| env_diagnostics(e)));
        Self {
            compose,
            env,
            server,
            diags,
            env_diags,
        }
    }

    /// How many errors the two files hold (tracked): a stack with errors is not created or
    /// deployed.
    pub fn errors(&self) -> usize {
        let count = |list: &[Diagnostic]| list.iter().filter(|d| d.is_error()).count();
        self.diags.with(|d| count(d)) + self.env_diags.with(|d| count(d))
    }
}

/// The compose file's editor with its diagnostics under it.
#[component]
pub fn ComposeEditor(
    files: StackFiles,
    /// Ctrl/Cmd+S: save (or create).
    on_save: Callback<()>,
    #[prop(optional)] readonly: bool,
) -> impl IntoView {
    view! {
        <CodeEditor value=files.compose diagnostics=files.diags language=Language::Yaml name="compose-editor" label="compose.yaml" on_save=on_save readonly=readonly/>
        <Diagnostics list=files.diags/>
    }
}

/// The `.env` file's editor.
#[component]
pub fn EnvEditor(
    files: StackFiles,
    /// Ctrl/Cmd+S: save (or create).
    on_save: Callback<()>,
    #[prop(optional)] readonly: bool,
) -> impl IntoView {
    view! {
        <CodeEditor value=files.env diagnostics=files.env_diags language=Language::Env name="env-editor" label=".env" on_save=on_save readonly=readonly/>
    }
}

/// Diagnostics of the compose file with the `.env` file's variables, as a deploy would see
/// them (files other than these two are checked by the server).
pub fn diagnostics(compose_text: &str, env_text: &str) -> Vec<Diagnostic> {
    use compose::load::{Options, environment_from_dotenv, load};
    let env = match environment_from_dotenv(env_text, &BTreeMap::new()) {
        Ok(env) => env,
        Err(d) => return vec![d],
    };
    let options = Options {
        env,
        ..Options::default()
    };
    load("compose.yaml", compose_text, &options)
        .diagnostics
        .into_iter()
        .filter(|d| d.file.is_empty())
        .collect()
}

pub fn env_diagnostics(env_text: &str) -> Vec<Diagnostic> {
    compose::load::environment_from_dotenv(env_text, &BTreeMap::new())
        .err()
        .into_iter()
        .collect()
}

/// The list of diagnostics under an editor.
#[component]
pub fn Diagnostics(#[prop(into)] list: Signal<Vec<Diagnostic>>) -> impl IntoView {
    move || {
        let list = list.get();
        if list.is_empty() {
            return view! { <p class="diag-ok" data-test="diagnostics-ok">"No problems found."</p> }.into_any();
        }
        let errors = list.iter().filter(|d| d.is_error()).count();
        let warnings = list.len() - errors;
        view! {
            <div class="diagnostics" data-test="diagnostics">
                <p class="muted">{format!("{} · {}", format::count(i64::try_from(errors).unwrap_or(0), "error", "errors"), format::count(i64::try_from(warnings).unwrap_or(0), "warning", "warnings"))}</p>
                <ul>
                    {list.into_iter().map(|d| {
                        let class = if d.is_error() { "diag diag-error" } else { "diag diag-warning" };
                        let file = if d.file.is_empty() { String::new() } else { format!("{} ", d.file) };
                        view! {
                            <li class=class data-test="diagnostic" data-line=d.line.to_string()>
                                <span class="mono">{format!("{file}{}:{}", d.line, d.column)}</span>
                                {(!d.path.is_empty()).then(|| view! { <span class="mono muted">{d.path.clone()}</span> })}
                                <span>{d.message.clone()}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        }.into_any()
    }
}

/// Paste a `docker run` command, get a Compose service to add to the file.
#[component]
pub fn RunConverter(compose_text: RwSignal<String>) -> impl IntoView {
    let command = RwSignal::new(String::new());
    let result = Memo::new(move |_| {
        let c = command.get();
        if c.trim().is_empty() {
            None
        } else {
            Some(compose::docker_run::docker_run_to_compose(&c).map_err(|e| e.to_string()))
        }
    });
    let insert = move |_| {
        if let Some(Ok(converted)) = result.get_untracked() {
            compose_text.update(|text| *text = merge_service(text, &converted.yaml));
        }
    };
    view! {
        <details class="panel converter" data-test="converter">
            <summary>"docker run → Compose"</summary>
            <p class="muted">"Paste a docker run command; its service is added to the file."</p>
            <textarea class="mono converter-input" rows="3" data-test="converter-input" spellcheck="false"
                placeholder="docker run -d -p 8080:80 --name web nginx"
                prop:value=move || command.get() on:input=move |ev| command.set(event_target_value(&ev))></textarea>
            {move || match result.get() {
                None => ().into_any(),
                Some(Err(e)) => view! { <p class="field-error" data-test="converter-error">{e}</p> }.into_any(),
                Some(Ok(c)) => view! {
                    <pre class="mono converter-output" data-test="converter-output">{c.yaml.clone()}</pre>
                    {c.warnings.iter().map(|w| view! { <p class="muted">{format!("Note: {w}")}</p> }).collect_view()}
                    <button type="button" class="button button-quiet" data-test="converter-insert" on:click=insert>"Add to the file"</button>
                }.into_any(),
            }}
        </details>
    }
}

/// Adds the services (and top-level networks/volumes) of `addition`, a complete small compose
/// file, to `text`: under its `services:` block, or as the whole file when it has none.
pub fn merge_service(text: &str, addition: &str) -> String {
    if !text.lines().any(|l| l.trim_end() == "services:") {
        return addition.to_owned();
    }
    let blocks = top_level_blocks(addition);
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for (key, body) in blocks {
        match lines.iter().position(|l| l.trim_end() == format!("{key}:")) {
            Some(start) => {
                let end = lines[start + 1..]
                    .iter()
                    .position(|l| !l.is_empty() && !l.starts_with(' ') && !l.starts_with('#'))
                    .map_or(lines.len(), |i| start + 1 + i);
                for (offset, line) in body.into_iter().enumerate() {
                    lines.insert(end + offset, line);
                }
            }
            None => {
                lines.push(format!("{key}:"));
                lines.extend(body);
            }
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

fn top_level_blocks(text: &str) -> Vec<(String, Vec<String>)> {
    let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if let Some(key) = line.strip_suffix(':').filter(|k| !k.starts_with(' ')) {
            blocks.push((key.to_owned(), Vec::new()));
        } else if let Some((_, body)) = blocks.last_mut()
            && !line.trim().is_empty()
        {
            body.push(line.to_owned());
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_converted_service_goes_under_services_and_its_volumes_at_the_end() {
        let text = "services:\n  db:\n    image: postgres\nvolumes:\n  pg: {}\n";
        let addition = "services:\n  web:\n    image: nginx\nvolumes:\n  site: {}\nnetworks:\n  proxy:\n    external: true\n";
        assert_eq!(
            merge_service(text, addition),
            "services:\n  db:\n    image: postgres\n  web:\n    image: nginx\nvolumes:\n  pg: {}\n  site: {}\nnetworks:\n  proxy:\n    external: true\n"
        );
        assert_eq!(merge_service("", addition), addition);
    }

    #[test]
    fn the_browser_sees_the_same_errors_as_a_deploy() {
        let d = diagnostics("services:\n  web:\n    imgae: nginx\n", "");
        assert!(
            d.iter()
                .any(|d| d.line == 3 && d.message.contains("did you mean \"image\"")),
            "{d:?}"
        );
        let d = diagnostics(
            "services:\n  web:\n    image: ${IMG:?set IMG}\n",
            "IMG=nginx\n",
        );
        assert!(d.iter().all(|d| !d.is_error()), "{d:?}");
    }
}
