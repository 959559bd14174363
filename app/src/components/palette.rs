//! Finding the way by keyboard: the command palette (Ctrl/Cmd+K) that jumps to any page, stack,
//! container, app, workspace or image and runs the common actions on them, and the shortcuts
//! (`?` lists them) that work anywhere but in a text field.

use leptos::prelude::*;

use crate::api::palette::palette_index;
use crate::components::toast::{ToastKind, use_toaster};
use crate::components::workspace::use_workspaces;
use crate::model::palette::{Action, Entry, Kind, score};

/// Whether the palette and the shortcut list are open; shared by the frame's keyboard handler
/// and the top bar's button.
#[derive(Clone, Copy)]
pub struct Palette {
    open: RwSignal<bool>,
    help: RwSignal<bool>,
}

impl Palette {
    pub fn show(self) {
        self.help.set(false);
        self.open.set(true);
    }
}

/// Provides the [`Palette`] to the frame.
pub fn provide_palette() {
    provide_context(Palette {
        open: RwSignal::new(false),
        help: RwSignal::new(false),
    });
}

/// The shortcuts, as `?` lists them: keys and what they do.
pub const SHORTCUTS: &[(&str, &str)] = &[
    (
        "Ctrl K / ⌘ K",
        "Open the command palette (also in a text field)",
    ),
    ("?", "Show these shortcuts"),
    ("/", "Search on this page"),
    ("g d", "Go to the dashboard"),
    ("g s", "Go to stacks"),
    ("g c", "Go to containers"),
    ("g m", "Go to the marketplace"),
    ("g a", "Go to installed apps"),
    ("g i", "Go to images"),
    ("g w", "Go to workspaces"),
    ("Esc", "Close the palette or a dialog"),
    ("Ctrl S / ⌘ S", "In the stack editor: save the files"),
    (
        "Tab / Shift Tab",
        "In the stack editor: indent / outdent the lines",
    ),
];

/// Where `g` followed by a key goes.
pub fn go_to(key: &str) -> Option<&'static str> {
    Some(match key {
        "d" => "/",
        "s" => "/stacks",
        "c" => "/containers",
        "m" => "/marketplace",
        "a" => "/apps",
        "i" => "/images",
        "w" => "/workspaces",
        _ => return None,
    })
}

/// What choosing a command does.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Run {
    Go(String),
    /// Outside the app's router (the API reference).
    Leave(String),
    Deploy(String),
    Restart(String),
    Switch(String),
    Theme,
    Shortcuts,
}

/// One line of the palette.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Command {
    label: String,
    detail: String,
    /// The word on the right: "Page", "Stack", "Action"…
    kind: &'static str,
    run: Run,
}

/// The pages a person may open (admin pages only for those who may see them).
fn pages(admin: bool, audit: bool) -> Vec<Command> {
    let mut list = vec![
        ("Dashboard", "/"),
        ("Stacks", "/stacks"),
        ("New stack", "/stacks/new"),
        ("Marketplace", "/marketplace"),
        ("Installed apps", "/apps"),
        ("Containers", "/containers"),
        ("New container", "/containers/new"),
        ("Images", "/images"),
        ("Networks", "/networks"),
        ("Volumes", "/volumes"),
        ("Workspaces", "/workspaces"),
        ("Profile: password, API tokens, sessions", "/profile"),
    ];
    if admin {
        list.push(("Users", "/users"));
        list.push((
            "Settings: public URL, sign-in limits, marketplace sync",
            "/settings",
        ));
    }
    if audit {
        list.push(("Audit log", "/audit"));
    }
    let mut out: Vec<Command> = list
        .into_iter()
        .map(|(label, href)| Command {
            label: label.to_owned(),
            detail: href.to_owned(),
            kind: "Page",
            run: Run::Go(href.to_owned()),
        })
        .collect();
    out.push(Command {
        label: "API reference".into(),
        detail: "/api/docs/".into(),
        kind: "Page",
        run: Run::Leave("/api/docs/".into()),
    });
    out.push(Command {
        label: "Toggle light / dark theme".into(),
        detail: "Setting".into(),
        kind: "Action",
        run: Run::Theme,
    });
    out.push(Command {
        label: "Keyboard shortcuts".into(),
        detail: "?".into(),
        kind: "Action",
        run: Run::Shortcuts,
    });
    out
}

/// An entry as the lines it offers: going to it, then each action the caller may take.
fn commands_of(entry: &Entry) -> Vec<Command> {
    let mut out = vec![Command {
        label: entry.name.clone(),
        detail: entry.detail.clone(),
        kind: entry.kind.label(),
        run: Run::Go(entry.href.clone()),
    }];
    for action in &entry.actions {
        let (label, run) = match (action, entry.kind) {
            (Action::Deploy, _) => (
                format!("Deploy stack {}", entry.name),
                Run::Deploy(entry.key.clone()),
            ),
            (Action::Restart, _) => (
                format!("Restart container {}", entry.name),
                Run::Restart(entry.key.clone()),
            ),
            (Action::Logs, _) => (
                format!("Open logs of {}", entry.name),
                Run::Go(format!("/containers/{}#logs", entry.key)),
            ),
            (Action::Switch, Kind::Workspace) => (
                format!("Switch to workspace {}", entry.name),
                Run::Switch(entry.key.clone()),
            ),
            (Action::Switch, _) => continue,
        };
        out.push(Command {
            label,
            detail: entry.detail.clone(),
            kind: "Action",
            run,
        });
    }
    out
}

/// At most this many lines are listed.
const SHOWN: usize = 40;

/// The lines matching `query`, best first (in their own order when the query is empty).
fn matching(commands: &[Command], query: &str) -> Vec<Command> {
    let mut scored: Vec<(u32, usize, &Command)> = commands
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let on_label = score(query, &c.label);
            let on_detail = score(query, &c.detail).map(|s| s / 4);
            on_label.max(on_detail).map(|s| (s, i, c))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored
        .into_iter()
        .take(SHOWN)
        .map(|(_, _, c)| c.clone())
        .collect()
}

/// The top bar's button that opens the palette.
#[component]
pub fn PaletteButton() -> impl IntoView {
    let palette = expect_context::<Palette>();
    view! {
        <button type="button" class="palette-button" data-test="palette-button"
            title="Search and run commands (Ctrl K)" on:click=move |_| palette.show()>
            <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                <circle cx="11" cy="11" r="6.5"/><path d="m16 16 4.5 4.5"/>
            </svg>
            <span class="palette-button-text">"Search…"</span>
            <kbd>"Ctrl K"</kbd>
        </button>
    }
}

/// The palette and the shortcut list, and the keyboard handler of the whole frame.
#[component]
pub fn PaletteHost() -> impl IntoView {
    let palette = expect_context::<Palette>();
    #[cfg(feature = "hydrate")]
    keys::listen(palette);
    view! {
        {move || palette.open.get().then(|| view! { <PaletteDialog palette=palette/> })}
        {move || palette.help.get().then(|| view! { <ShortcutList palette=palette/> })}
    }
}

#[component]
fn ShortcutList(palette: Palette) -> impl IntoView {
    let close = move || palette.help.set(false);
    let button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(b) = button.get() {
            let _ = b.focus();
        }
    });
    view! {
        <div class="dialog-backdrop" on:click=move |_| close()>
            <div class="dialog panel shortcut-list" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title"
                data-test="shortcuts" on:click=|ev| ev.stop_propagation()
                on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { close() }>
                <h2 id="shortcuts-title">"Keyboard shortcuts"</h2>
                <p class="muted">"Letters do nothing while you type in a field."</p>
                <table class="table">
                    <tbody>
                        {SHORTCUTS.iter().map(|(keys, what)| view! {
                            <tr><td><kbd>{*keys}</kbd></td><td>{*what}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
                <div class="button-row dialog-actions">
                    <button type="button" class="button" node_ref=button on:click=move |_| close()>"Close"</button>
                </div>
            </div>
        </div>
    }
}

#[component]
fn PaletteDialog(palette: Palette) -> impl IntoView {
    let workspaces = use_workspaces();
    let toaster = use_toaster();
    let navigate = leptos_router::hooks::use_navigate();
    let query = RwSignal::new(String::new());
    let selected = RwSignal::new(0_usize);
    let entries = RwSignal::new(None::<Result<Vec<Entry>, String>>);
    let input = NodeRef::<leptos::html::Input>::new();
    // Read anew each time the palette opens: what the caller may see changes.
    leptos::task::spawn_local(async move {
        let found = palette_index().await.map_err(|e| e.to_string());
        entries.set(Some(found));
    });
    Effect::new(move |_| {
        if let Some(i) = input.get() {
            let _ = i.focus();
        }
    });
    let commands = Memo::new(move |_| {
        let ctx = workspaces.data.get().and_then(Result::ok);
        let admin = ctx.as_ref().is_some_and(|c| c.is_admin);
        let audit = ctx.as_ref().is_some_and(|c| c.can("audit", "read"));
        let mut all = pages(admin, audit);
        if let Some(Ok(entries)) = entries.get() {
            all.extend(entries.iter().flat_map(commands_of));
        }
        all
    });
    let shown = Memo::new(move |_| commands.with(|c| matching(c, &query.get())));
    let close = move || palette.open.set(false);
    let run = move |command: Command| {
        close();
        match command.run {
            Run::Go(href) => navigate(&href, Default::default()),
            Run::Leave(href) => {
                let _ = window().location().set_href(&href);
            }
            Run::Theme => crate::components::theme::toggle(),
            Run::Shortcuts => palette.help.set(true),
            Run::Deploy(id) => {
                navigate(&format!("/stacks/{id}"), Default::default());
                leptos::task::spawn_local(async move {
                    let form = engine::model::resources::OperationForm {
                        operation: "deploy".into(),
                        ..Default::default()
                    };
                    match crate::api::stacks::stack_operation(id, form).await {
                        Ok(_) => toaster.show(ToastKind::Info, "Deploy started"),
                        Err(e) => toaster.show(ToastKind::Error, e.to_string()),
                    }
                });
            }
            Run::Restart(id) => leptos::task::spawn_local(async move {
                match crate::api::containers::container_action(id, "restart".into()).await {
                    Ok(c) => toaster.show(ToastKind::Success, format!("Restarted {}", c.name)),
                    Err(e) => toaster.show(ToastKind::Error, e.to_string()),
                }
            }),
            Run::Switch(id) => leptos::task::spawn_local(async move {
                match crate::api::workspaces::switch_workspace(id).await {
                    Ok(()) => workspaces.refresh(),
                    Err(e) => toaster.show(ToastKind::Error, e.to_string()),
                }
            }),
        }
    };
    let run_chosen = run.clone();
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let count = shown.with(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" => {
                ev.prevent_default();
                selected.update(|s| *s = if count == 0 { 0 } else { (*s + 1) % count });
            }
            "ArrowUp" => {
                ev.prevent_default();
                selected.update(|s| {
                    *s = if count == 0 {
                        0
                    } else {
                        (*s + count - 1) % count
                    }
                });
            }
            "Enter" => {
                ev.prevent_default();
                if let Some(c) = shown.with(|s| s.get(selected.get_untracked()).cloned()) {
                    run_chosen(c);
                }
            }
            "Escape" => {
                ev.prevent_default();
                close();
            }
            _ => {}
        }
    };
    view! {
        <div class="dialog-backdrop palette-backdrop" on:click=move |_| close()>
            <div class="palette panel" role="dialog" aria-modal="true" aria-label="Command palette" data-test="palette"
                on:click=|ev| ev.stop_propagation()>
                <input type="text" class="palette-input" node_ref=input data-test="palette-input"
                    placeholder="Go to a page, stack, container, app… or run a command"
                    aria-label="Search pages, things and commands" aria-controls="palette-list"
                    autocomplete="off" spellcheck="false"
                    prop:value=move || query.get()
                    on:input=move |ev| { query.set(event_target_value(&ev)); selected.set(0); }
                    on:keydown=on_key/>
                <ul class="palette-list" id="palette-list" role="listbox" data-test="palette-list">
                    {move || {
                        let list = shown.get();
                        if list.is_empty() {
                            return view! { <li class="palette-empty muted">"Nothing matches."</li> }.into_any();
                        }
                        list.into_iter().enumerate().map(|(i, c)| {
                            let is_selected = move || selected.get() == i;
                            let chosen = c.clone();
                            let run = run.clone();
                            view! {
                                <li role="option" class="palette-item" class:selected=is_selected
                                    aria-selected=move || is_selected().to_string() data-test="palette-item"
                                    on:mousemove=move |_| if selected.get_untracked() != i { selected.set(i) }
                                    on:click=move |_| run(chosen.clone())>
                                    <span class="palette-label">{c.label.clone()}</span>
                                    <span class="palette-detail muted">{c.detail.clone()}</span>
                                    <span class="tag palette-kind">{c.kind}</span>
                                </li>
                            }
                        }).collect_view().into_any()
                    }}
                    {move || match entries.get() {
                        None => Some(view! { <li class="palette-empty muted" aria-busy="true">"Loading your stacks and containers…"</li> }),
                        Some(Err(e)) => Some(view! { <li class="palette-empty error-text">{format!("Could not load your stacks and containers: {e}")}</li> }),
                        Some(Ok(_)) => None,
                    }}
                </ul>
                <p class="palette-help muted">"↑ ↓ to choose · Enter to go · Esc to close · ? for shortcuts"</p>
            </div>
        </div>
    }
}

/// The frame's keyboard handler (the browser only).
#[cfg(feature = "hydrate")]
mod keys {
    use std::cell::Cell;
    use std::rc::Rc;

    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    use super::{Palette, go_to};

    /// How long after `g` its second key counts, in milliseconds.
    const CHORD_MS: f64 = 1500.0;

    /// Whether keys typed now go into a text field (where shortcut letters must not fire).
    fn typing(ev: &web_sys::KeyboardEvent) -> bool {
        let Some(el) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
        else {
            return false;
        };
        matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
            || el.is_content_editable()
    }

    /// Installs the handler on the document for as long as the frame lives.
    pub fn listen(palette: Palette) {
        let navigate = leptos_router::hooks::use_navigate();
        let g_at = Rc::new(Cell::new(None::<f64>));
        let handler =
            Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(move |ev: web_sys::KeyboardEvent| {
                let key = ev.key();
                let modifier = ev.ctrl_key() || ev.meta_key();
                if modifier && !ev.alt_key() && key.eq_ignore_ascii_case("k") {
                    ev.prevent_default();
                    if palette.open.get_untracked() {
                        palette.open.set(false);
                    } else {
                        palette.show();
                    }
                    return;
                }
                let showing = palette.open.get_untracked() || palette.help.get_untracked();
                if showing && key == "Escape" {
                    // Wherever the focus is.
                    palette.open.set(false);
                    palette.help.set(false);
                    return;
                }
                if showing || typing(&ev) || modifier || ev.alt_key() || ev.default_prevented() {
                    return;
                }
                let now = js_sys::Date::now();
                if let Some(at) = g_at.take()
                    && now - at < CHORD_MS
                    && let Some(href) = go_to(&key)
                {
                    ev.prevent_default();
                    navigate(href, Default::default());
                    return;
                }
                match key.as_str() {
                    "g" => g_at.set(Some(now)),
                    "?" => {
                        ev.prevent_default();
                        palette.help.set(true);
                    }
                    "/" => {
                        let field = document()
                            .query_selector("main input[type=search], main [data-search]")
                            .ok()
                            .flatten()
                            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
                        if let Some(field) = field {
                            ev.prevent_default();
                            let _ = field.focus();
                        }
                    }
                    _ => {}
                }
            });
        let document = document();
        let _ =
            document.add_event_listener_with_callback("keydown", handler.as_ref().unchecked_ref());
        let handler = send_wrapper::SendWrapper::new(handler);
        on_cleanup(move || {
            let handler = handler.take();
            let _ = leptos::prelude::document()
                .remove_event_listener_with_callback("keydown", handler.as_ref().unchecked_ref());
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: Kind, name: &str, actions: Vec<Action>) -> Entry {
        Entry {
            kind,
            key: format!("id-{name}"),
            name: name.into(),
            detail: "Team A".into(),
            href: format!("/x/{name}"),
            actions,
        }
    }

    #[test]
    fn an_entry_offers_only_the_actions_it_carries() {
        let stack = commands_of(&entry(Kind::Stack, "web", vec![Action::Deploy]));
        assert_eq!(stack.len(), 2);
        assert_eq!(stack[0].run, Run::Go("/x/web".into()));
        assert_eq!(stack[1].run, Run::Deploy("id-web".into()));
        let viewer = commands_of(&entry(Kind::Container, "db", vec![Action::Logs]));
        assert_eq!(
            viewer.iter().map(|c| c.label.as_str()).collect::<Vec<_>>(),
            ["db", "Open logs of db"]
        );
    }

    #[test]
    fn typing_a_stack_name_puts_it_first_and_pages_follow_roles() {
        let mut all = pages(false, false);
        assert!(
            !all.iter()
                .any(|c| c.label == "Users" || c.label == "Audit log")
        );
        assert!(pages(true, true).iter().any(|c| c.label == "Users"));
        all.extend(commands_of(&entry(
            Kind::Stack,
            "billing",
            vec![Action::Deploy],
        )));
        let found = matching(&all, "billing");
        assert_eq!(found[0].label, "billing");
        assert_eq!(found[1].label, "Deploy stack billing");
        assert!(matching(&all, "zzzz").is_empty());
        assert_eq!(matching(&all, "").len(), all.len().min(SHOWN));
    }

    #[test]
    fn g_chords_lead_to_pages() {
        assert_eq!(go_to("s"), Some("/stacks"));
        assert_eq!(go_to("c"), Some("/containers"));
        assert_eq!(go_to("x"), None);
    }
}
