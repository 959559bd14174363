//! `/settings` (platform admins): the platform settings that apply at once (public URL,
//! session and sign-in limits, marketplace sync), each with where its value comes from; those
//! the settings file or the environment gives are shown read-only, with where to change them.

use std::collections::BTreeMap;

use engine::model::settings::{SettingSource, SettingView, SettingsPage as Page};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::settings::{UpdateSettings, get_settings};
use crate::components::form::{FormError, last_error};
use crate::components::format::datetime;
use crate::components::toast::{ToastKind, use_toaster};
use crate::error::AppError;

/// `/settings`.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let page = Resource::new(|| (), |()| get_settings());
    view! {
        <Title text="Settings"/>
        <div class="page-header"><h1>"Settings"</h1></div>
        <Transition fallback=|| view! { <div class="panel skeleton" style="height: 12rem"></div> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <SettingsForm page=page/> }.into_any(),
                    Err(e) => view! { <section class="panel error-panel" data-test="settings-error"><p>{e.to_string()}</p></section> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Where a value comes from, in words.
fn source_text(source: &SettingSource) -> String {
    match source {
        SettingSource::Default => "Default".to_owned(),
        SettingSource::Stored { at, by } => format!(
            "Set here{} on {}",
            by.as_ref().map(|b| format!(" by {b}")).unwrap_or_default(),
            datetime(*at)
        ),
        SettingSource::Fixed(from) => format!("Set by {from}: change it there"),
    }
}

#[component]
fn SettingsForm(page: Page) -> impl IntoView {
    let save = ServerAction::<UpdateSettings>::new();
    let error = last_error(save.value());
    let toaster = use_toaster();
    let shown = RwSignal::new(page.settings);
    let values: BTreeMap<String, RwSignal<String>> = shown
        .get_untracked()
        .iter()
        .map(|s| (s.tunable.key().to_owned(), RwSignal::new(s.value.clone())))
        .collect();
    // What was stored, as the server reads it back (a URL reduced to its origin).
    Effect::new({
        let values = values.clone();
        move |_| {
            if let Some(Ok(page)) = save.value().get() {
                for s in &page.settings {
                    if let Some(v) = values.get(s.tunable.key()) {
                        v.set(s.value.clone());
                    }
                }
                shown.set(page.settings);
                toaster.show(ToastKind::Success, "Settings saved: they apply now.");
            }
        }
    });
    let on_submit = {
        let values = values.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let editable: BTreeMap<String, String> = shown
                .get_untracked()
                .iter()
                .filter(|s| !matches!(s.source, SettingSource::Fixed(_)))
                .filter_map(|s| {
                    let key = s.tunable.key();
                    Some((key.to_owned(), values.get(key)?.get_untracked()))
                })
                .collect();
            save.dispatch(UpdateSettings { values: editable });
        }
    };
    let rows = shown
        .get_untracked()
        .into_iter()
        .map(|s| {
            let value = values.get(s.tunable.key()).copied().unwrap_or_default();
            view! { <SettingField setting=s value=value shown=shown error=error/> }
        })
        .collect_view();
    view! {
        <form class="panel form" data-test="settings-form" on:submit=on_submit>
            <p class="muted">
                "These apply as soon as you save, without a restart. A setting given in orbitr.toml, \
                 the environment or a flag wins over this page and is shown read-only."
            </p>
            {rows}
            <FormError error=error/>
            <div class="button-row">
                <button type="submit" class="button" data-test="save-settings" disabled=move || save.pending().get()>"Save settings"</button>
            </div>
        </form>
        <section class="panel">
            <h2>"Read when Orbitr starts"</h2>
            <p class="muted">"Change these in orbitr.toml or the environment, then restart Orbitr."</p>
            <table class="table" data-test="fixed-settings">
                <thead><tr><th>"Setting"</th><th>"Value"</th><th>"From"</th></tr></thead>
                <tbody>
                    {page.fixed.into_iter().map(|f| view! {
                        <tr><td class="mono">{f.name}</td><td class="mono">{f.value}</td><td>{f.source}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// One setting: its input (read-only when the file or environment gives it), what it does and
/// where its value comes from.
#[component]
fn SettingField(
    setting: SettingView,
    value: RwSignal<String>,
    shown: RwSignal<Vec<SettingView>>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let tunable = setting.tunable;
    let key = tunable.key();
    let id = format!("setting-{key}");
    let fixed = matches!(setting.source, SettingSource::Fixed(_));
    let message = move || match error.get() {
        Some(AppError::Invalid { field, message }) if field == key => Some(message),
        _ => None,
    };
    let source = move || {
        shown.with(|all| {
            all.iter()
                .find(|s| s.tunable == tunable)
                .map(|s| source_text(&s.source))
                .unwrap_or_default()
        })
    };
    let placeholder = if tunable.bounds().is_some() {
        format!("{} (default)", tunable.default_value())
    } else {
        "the address each browser uses".to_owned()
    };
    view! {
        <div class="field" class:field-invalid=move || message().is_some()>
            <label for=id.clone()>{tunable.label()}</label>
            <input id=id name=key data-test=format!("setting-{key}")
                type=if tunable.bounds().is_some() { "number" } else { "url" }
                placeholder=placeholder readonly=fixed aria-readonly=fixed.to_string()
                value=value.get_untracked()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))/>
            <p class="field-hint">{tunable.hint()}</p>
            <p class="field-hint setting-source" data-test=format!("source-{key}")>{source}</p>
            {move || message().map(|m| view! { <p class="field-error" data-test=format!("error-{key}")>{m}</p> })}
        </div>
    }
}
