//! `/settings` (platform admins): the platform settings that apply at once (public URL,
//! session and sign-in limits, marketplace sync) and the sign-in providers, each with where it
//! comes from; those the settings file or the environment gives are shown read-only, with where
//! to change them. A provider's client secret is typed once and never shown again.

use std::collections::BTreeMap;

use engine::model::providers::{ProviderForm, ProviderKind};
use engine::model::settings::{
    ProviderView, SMTP_PASSWORD, SettingSource, SettingView, SettingsPage as Page, Tunable,
    TunableKind,
};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::settings::{
    SaveSignInProvider, UpdateSettings, get_settings, remove_sign_in_provider, send_test_mail,
};
use crate::components::dialog::use_dialog;
use crate::components::form::{FormError, field_message, last_error};
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
                    Ok(page) => {
                        let providers = page.providers.clone();
                        view! { <SettingsForm page=page/><ProvidersSection providers=providers/> }.into_any()
                    }
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
    let password_source = RwSignal::new(page.smtp_password);
    let password = RwSignal::new(String::new());
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
                password_source.set(page.smtp_password);
                password.set(String::new());
                toaster.show(ToastKind::Success, "Settings saved: they apply now.");
            }
        }
    });
    let on_submit = {
        let values = values.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let mut editable: BTreeMap<String, String> = shown
                .get_untracked()
                .iter()
                .filter(|s| !matches!(s.source, SettingSource::Fixed(_)))
                .filter_map(|s| {
                    let key = s.tunable.key();
                    Some((key.to_owned(), values.get(key)?.get_untracked()))
                })
                .collect();
            let typed = password.get_untracked();
            if !typed.is_empty() {
                editable.insert(SMTP_PASSWORD.to_owned(), typed);
            }
            save.dispatch(UpdateSettings { values: editable });
        }
    };
    let mut section = "";
    let rows = shown
        .get_untracked()
        .into_iter()
        .map(|s| {
            let value = values.get(s.tunable.key()).copied().unwrap_or_default();
            let heading = (s.tunable.section() != section).then(|| {
                section = s.tunable.section();
                view! { <h2 class="form-section">{section}</h2> }
            });
            let after = (s.tunable == Tunable::SmtpUsername).then(|| {
                view! { <PasswordField password=password source=password_source error=error/> }
            });
            view! { {heading}<SettingField setting=s value=value shown=shown error=error/>{after} }
        })
        .collect_view();
    let test_mail = move |_| {
        leptos::task::spawn_local(async move {
            match send_test_mail().await {
                Ok(to) => toaster.show(ToastKind::Success, format!("Test mail sent to {to}.")),
                Err(e) => toaster.show(ToastKind::Error, e.to_string()),
            }
        });
    };
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
                <button type="button" class="button button-quiet" data-test="send-test-mail" on:click=test_mail
                    title="Sends a mail to your own address with the saved mail settings">"Send a test mail"</button>
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
    let placeholder = match tunable.kind() {
        TunableKind::Number(..) | TunableKind::Choice(_) => {
            format!("{} (default)", tunable.default_value())
        }
        TunableKind::Url => "the address each browser uses".to_owned(),
        TunableKind::Host => "none: Orbitr sends no mail".to_owned(),
        TunableKind::Name | TunableKind::Email => "none".to_owned(),
    };
    let kind = match tunable.kind() {
        TunableKind::Number(..) => "number",
        TunableKind::Url => "url",
        TunableKind::Email => "email",
        TunableKind::Host | TunableKind::Name | TunableKind::Choice(_) => "text",
    };
    let choices = match tunable.kind() {
        TunableKind::Choice(words) => Some((format!("setting-{key}-choices"), words)),
        _ => None,
    };
    let list = choices.as_ref().map(|(id, _)| id.clone());
    view! {
        <div class="field" class:field-invalid=move || message().is_some()>
            <label for=id.clone()>{tunable.label()}</label>
            <input id=id name=key data-test=format!("setting-{key}")
                type=kind list=list
                placeholder=placeholder readonly=fixed aria-readonly=fixed.to_string()
                value=value.get_untracked()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))/>
            {choices.map(|(id, words)| view! {
                <datalist id=id>{words.iter().map(|w| view! { <option value=*w></option> }).collect_view()}</datalist>
            })}
            <p class="field-hint">{tunable.hint()}</p>
            <p class="field-hint setting-source" data-test=format!("source-{key}")>{source}</p>
            {move || message().map(|m| view! { <p class="field-error" data-test=format!("error-{key}")>{m}</p> })}
        </div>
    }
}

/// The mail server password: typed here, sealed on the server and never shown again (empty
/// keeps the one stored); read-only when the file or environment gives it.
#[component]
fn PasswordField(
    password: RwSignal<String>,
    source: RwSignal<Option<SettingSource>>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let fixed = move || matches!(source.get(), Some(SettingSource::Fixed(_)));
    let message = move || field_message(error.get(), SMTP_PASSWORD);
    let placeholder = move || match source.get() {
        Some(_) => "stored: type to replace it",
        None => "none",
    };
    view! {
        <div class="field" class:field-invalid=move || message().is_some()>
            <label for="setting-smtp_password">"Mail server password"</label>
            <input id="setting-smtp_password" name=SMTP_PASSWORD data-test="setting-smtp_password"
                type="password" autocomplete="new-password"
                placeholder=placeholder readonly=fixed
                prop:value=move || password.get()
                on:input=move |ev| password.set(event_target_value(&ev))/>
            <p class="field-hint">"Stored encrypted and never shown again."</p>
            <p class="field-hint setting-source" data-test="source-smtp_password">
                {move || source.get().map_or_else(|| "Not set".to_owned(), |s| source_text(&s))}
            </p>
            {move || message().map(|m| view! { <p class="field-error" data-test="error-smtp_password">{m}</p> })}
        </div>
    }
}

/// The provider form's fields, typed or loaded from a provider to change.
#[derive(Clone, Copy)]
struct Draft {
    /// The name of the provider being changed (`None`: a new one).
    editing: RwSignal<Option<String>>,
    name: RwSignal<String>,
    kind: RwSignal<String>,
    label: RwSignal<String>,
    client_id: RwSignal<String>,
    client_secret: RwSignal<String>,
    issuer: RwSignal<String>,
    allowed_domains: RwSignal<String>,
    trust_email: RwSignal<bool>,
}

impl Draft {
    fn new() -> Self {
        Self {
            editing: RwSignal::new(None),
            name: RwSignal::new(String::new()),
            kind: RwSignal::new(ProviderKind::Oidc.key().to_owned()),
            label: RwSignal::new(String::new()),
            client_id: RwSignal::new(String::new()),
            client_secret: RwSignal::new(String::new()),
            issuer: RwSignal::new(String::new()),
            allowed_domains: RwSignal::new(String::new()),
            trust_email: RwSignal::new(false),
        }
    }

    /// Fills the form with `provider` to change it, or empties it for a new one.
    fn load(self, provider: Option<&ProviderView>) {
        let spec = provider.map(|p| &p.spec);
        self.editing.set(spec.map(|s| s.name.clone()));
        self.name
            .set(spec.map(|s| s.name.clone()).unwrap_or_default());
        self.kind
            .set(spec.map_or(ProviderKind::Oidc, |s| s.kind).key().to_owned());
        self.label
            .set(spec.map(|s| s.label.clone()).unwrap_or_default());
        self.client_id
            .set(spec.map(|s| s.client_id.clone()).unwrap_or_default());
        self.client_secret.set(String::new());
        self.issuer
            .set(spec.map(|s| s.issuer.clone()).unwrap_or_default());
        self.allowed_domains.set(
            spec.map(|s| s.allowed_domains.join(", "))
                .unwrap_or_default(),
        );
        self.trust_email.set(spec.is_some_and(|s| s.trust_email));
    }

    fn form(self) -> ProviderForm {
        ProviderForm {
            name: self.name.get_untracked(),
            kind: self.kind.get_untracked(),
            label: self.label.get_untracked(),
            client_id: self.client_id.get_untracked(),
            client_secret: self.client_secret.get_untracked(),
            issuer: self.issuer.get_untracked(),
            allowed_domains: self.allowed_domains.get_untracked(),
            trust_email: self.trust_email.get_untracked(),
        }
    }
}

/// The sign-in providers: those the file or environment gives (read-only) and those added
/// here, which can be changed or removed; and the form that adds or changes one.
#[component]
fn ProvidersSection(providers: Vec<ProviderView>) -> impl IntoView {
    let save = ServerAction::<SaveSignInProvider>::new();
    let error = last_error(save.value());
    let toaster = use_toaster();
    let dialog = use_dialog();
    let callback = providers.first().map(|p| p.callback_url.clone());
    let providers = RwSignal::new(providers);
    let draft = Draft::new();
    Effect::new(move |_| {
        if let Some(Ok(page)) = save.value().get() {
            providers.set(page.providers);
            draft.load(None);
            toaster.show(
                ToastKind::Success,
                "Sign-in provider saved: it applies now.",
            );
        }
    });
    let remove = move |view: ProviderView| {
        let name = view.spec.name.clone();
        let linked = match view.linked_accounts {
            0 => String::new(),
            1 => " The one account linked to it must then sign in another way.".to_owned(),
            n => format!(" The {n} accounts linked to it must then sign in another way."),
        };
        dialog.confirm(
            format!("Remove sign-in provider {}?{linked}", view.spec.label),
            "Remove",
            move || {
                leptos::task::spawn_local(async move {
                    match remove_sign_in_provider(name).await {
                        Ok(page) => {
                            providers.set(page.providers);
                            toaster.show(ToastKind::Success, "Sign-in provider removed.");
                        }
                        Err(e) => toaster.show(ToastKind::Error, e.to_string()),
                    }
                });
            },
        );
    };
    let rows = move || {
        providers
            .get()
            .into_iter()
            .map(|p| {
                let fixed = matches!(p.source, SettingSource::Fixed(_));
                let edit = p.clone();
                let gone = p.clone();
                let spec = p.spec;
                view! {
                    <tr data-test=format!("provider-entry-{}", spec.name)>
                        <td class="mono">{spec.name.clone()}</td>
                        <td>{spec.label.clone()}</td>
                        <td>{spec.kind.title()}</td>
                        <td class="mono">{spec.issuer.clone()}</td>
                        <td class="mono">{spec.client_id.clone()}</td>
                        <td>{if spec.allowed_domains.is_empty() { "invitations only".to_owned() } else { spec.allowed_domains.join(", ") }}</td>
                        <td>{p.linked_accounts}</td>
                        <td class="setting-source">{source_text(&p.source)}</td>
                        <td class="row-actions">
                            {(!fixed).then(|| view! {
                                <button type="button" class="button button-quiet" data-test="edit-provider"
                                    on:click=move |_| draft.load(Some(&edit))>"Change"</button>
                                <button type="button" class="button button-quiet button-danger" data-test="remove-provider"
                                    on:click=move |_| remove(gone.clone())>"Remove"</button>
                            })}
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveSignInProvider {
            provider: draft.form(),
        });
    };
    let editing = move || draft.editing.get().is_some();
    view! {
        <section class="panel" data-test="providers">
            <h2>"Sign-in providers"</h2>
            <p class="muted">
                "People sign in with these besides their password (OpenID Connect, GitHub, GitLab, \
                 Google). A provider added here applies at once; its client secret is stored \
                 encrypted and never shown again."
            </p>
            {callback.map(|url| view! {
                <p class="muted">"Register this callback URL with each provider: "<code data-test="callback-url">{url}</code></p>
            })}
            <Show when=move || providers.with(|p| !p.is_empty()) fallback=|| view! { <p class="muted" data-test="no-providers">"None yet: people sign in with their password."</p> }>
                <table class="table" data-test="provider-list">
                    <thead><tr>
                        <th>"Name"</th><th>"Button"</th><th>"Kind"</th><th>"Issuer"</th><th>"Client id"</th>
                        <th>"New accounts from"</th><th>"Linked"</th><th>"From"</th><th></th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </Show>
            <form class="form" data-test="provider-form" novalidate=true on:submit=on_submit>
                <h3>{move || match draft.editing.get() {
                    Some(name) => format!("Change {name}"),
                    None => "Add a sign-in provider".to_owned(),
                }}</h3>
                <DraftInput label="Name" field="name" value=draft.name error=error readonly=Signal::derive(editing)
                    hint="Lowercase letters, digits and _, like corp_sso: it names the provider in links and cannot change."/>
                <div class="field">
                    <label for="provider-kind">"Kind"</label>
                    <select id="provider-kind" data-test="provider-kind"
                        prop:value=move || draft.kind.get()
                        on:change=move |ev| draft.kind.set(event_target_value(&ev))>
                        {ProviderKind::ALL.into_iter().map(|k| view! { <option value=k.key()>{k.title()}</option> }).collect_view()}
                    </select>
                    {move || field_message(error.get(), "kind").map(|m| view! { <p class="field-error" data-test="error-kind">{m}</p> })}
                </div>
                <DraftInput label="Button text" field="label" value=draft.label error=error
                    hint="Shown as \"Continue with …\"; empty: the kind's name."/>
                <DraftInput label="Issuer URL" field="issuer" value=draft.issuer error=error kind="url"
                    hint="Exactly as the provider's discovery document writes it; empty for GitHub, GitLab and Google."/>
                <DraftInput label="Client id" field="client_id" value=draft.client_id error=error/>
                <DraftInput label="Client secret" field="client_secret" value=draft.client_secret error=error kind="password"
                    hint="Stored encrypted and never shown again; when changing a provider, empty keeps the stored one."/>
                <DraftInput label="New accounts from these email domains" field="allowed_domains" value=draft.allowed_domains error=error
                    hint="Comma-separated, like example.com; empty: only people with an invitation get an account."/>
                <label class="inline">
                    <input type="checkbox" data-test="provider-trust_email"
                        prop:checked=move || draft.trust_email.get()
                        on:change=move |ev| draft.trust_email.set(event_target_checked(&ev))/>
                    " Trust its email addresses even without email_verified"
                </label>
                <FormError error=error/>
                <div class="button-row">
                    <button type="submit" class="button" data-test="save-provider" disabled=move || save.pending().get()>
                        {move || if editing() { "Save provider" } else { "Add provider" }}
                    </button>
                    <Show when=editing>
                        <button type="button" class="button button-quiet" on:click=move |_| draft.load(None)>"Cancel"</button>
                    </Show>
                </div>
            </form>
        </section>
    }
}

/// A text input of the provider form, with its server-side error under it.
#[component]
fn DraftInput(
    label: &'static str,
    field: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<AppError>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(optional, into)] readonly: Signal<bool>,
) -> impl IntoView {
    let id = format!("provider-{field}");
    let message = move || field_message(error.get(), field);
    view! {
        <div class="field" class:field-invalid=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            <input id=id.clone() name=id.clone() data-test=id type=kind autocomplete="off"
                readonly=readonly
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))/>
            {(!hint.is_empty()).then(|| view! { <p class="field-hint">{hint}</p> })}
            {move || message().map(|m| view! { <p class="field-error" data-test=format!("error-{field}")>{m}</p> })}
        </div>
    }
}
