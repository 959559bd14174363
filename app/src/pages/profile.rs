//! The signed-in user's own page: who they are and their API tokens.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::{ChangePassword, get_me};
use crate::api::oauth::{OauthStart, UnlinkProvider, my_sign_in_methods};
use crate::api::sessions::{RevokeSession, SignOutEverywhere, list_sessions};
use crate::api::tokens::{ApiToken, CreateApiToken, RevokeApiToken, list_api_tokens};
use crate::components::form::{Field, FormError, SecretBox};
use crate::components::format::datetime;
use crate::error::AppError;
use leptos::server_fn::ServerFn;

/// `/profile`.
#[component]
pub fn ProfilePage() -> impl IntoView {
    let me = Resource::new(|| (), |()| get_me());
    view! {
        <Title text="Profile"/>
        <div class="page-header">
            <h1>"Profile"</h1>
        </div>
        <Suspense fallback=|| view! { <div class="panel skeleton" style="height: 5rem"></div> }>
            {move || Suspend::new(async move {
                me.await.ok().flatten().map(|me| view! {
                    <section class="panel profile-summary">
                        <p class="card-value">{me.name.clone()}</p>
                        <p class="muted">{me.email.clone()} {me.is_admin.then_some(" · platform admin")}</p>
                    </section>
                })
            })}
        </Suspense>
        <PasswordChange/>
        <SignInProviders/>
        <Sessions/>
        <ApiTokens/>
    }
}

#[component]
fn PasswordChange() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let value = action.value();
    let error = crate::components::form::last_error(value);
    let pending = action.pending();
    view! {
        <section class="panel stack">
            <h2>"Password"</h2>
            <ActionForm action=action attr:class="form form-inline" attr:data-test="password-form">
                <Field label="Current password" name="current" kind="password" autocomplete="current-password" error=error/>
                <Field label="New password" name="password" kind="password" autocomplete="new-password" error=error/>
                <Field label="Repeat the new password" name="confirm" kind="password" autocomplete="new-password" error=error/>
                <FormError error=error/>
                <button type="submit" class="button" disabled=move || pending.get() data-test="change-password">
                    {move || if pending.get() { "Changing…" } else { "Change password" }}
                </button>
            </ActionForm>
            {move || value.get().and_then(Result::ok).map(|message| view! {
                <p class="form-ok" role="status" data-test="password-changed">{message}</p>
            })}
        </section>
    }
}

/// Linked sign-in providers: link (a form that goes to the provider) or unlink each.
#[component]
fn SignInProviders() -> impl IntoView {
    let unlink = ServerAction::<UnlinkProvider>::new();
    crate::components::toast::toast_failures(unlink.value());
    let methods = Resource::new(move || unlink.version().get(), |_| my_sign_in_methods());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let methods = methods.await.ok()?;
                (!methods.providers.is_empty()).then(|| view! {
                    <section class="panel stack" data-test="sign-in-providers">
                        <h2>"Sign-in providers"</h2>
                        {(!methods.has_password).then(|| view! {
                            <p class="muted" data-test="no-password">"Your account has no password: you sign in through a linked provider."</p>
                        })}
                        <table class="table">
                            <thead><tr><th>"Provider"</th><th>"Linked account"</th><th>"Linked"</th><th>"Last used"</th><th></th></tr></thead>
                            <tbody>
                                {methods.providers.into_iter().map(|p| {
                                    let name = p.name.clone();
                                    let action = match (&p.linked, p.configured) {
                                        (Some(_), _) => view! {
                                            <button type="button" class="button button-quiet" data-test=format!("unlink-{name}")
                                                disabled=move || unlink.pending().get()
                                                on:click=move |_| { unlink.dispatch(UnlinkProvider { provider: name.clone() }); }>
                                                "Unlink"
                                            </button>
                                        }.into_any(),
                                        (None, true) => view! {
                                            <form method="post" action=OauthStart::PATH>
                                                <input type="hidden" name="provider" value=name.clone()/>
                                                <input type="hidden" name="intent" value="link"/>
                                                <button type="submit" class="button button-quiet" data-test=format!("link-{name}")>"Link"</button>
                                            </form>
                                        }.into_any(),
                                        (None, false) => ().into_any(),
                                    };
                                    view! {
                                        <tr data-test=format!("provider-row-{}", p.name)>
                                            <td>{p.label.clone()}</td>
                                            <td>{p.linked.as_ref().map_or_else(|| "not linked".to_owned(), |l| l.email.clone().unwrap_or_else(|| "linked".into()))}</td>
                                            <td>{p.linked.as_ref().map(|l| datetime(l.linked_at))}</td>
                                            <td>{p.linked.as_ref().and_then(|l| l.last_used_at).map(datetime)}</td>
                                            <td>{action}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </section>
                })
            })}
        </Transition>
    }
}

#[component]
fn Sessions() -> impl IntoView {
    let revoke = ServerAction::<RevokeSession>::new();
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    crate::components::toast::toast_failures(revoke.value());
    crate::components::form::leave_on_success(everywhere.value());
    let sessions = Resource::new(move || revoke.version().get(), |_| list_sessions());
    view! {
        <section class="panel stack">
            <h2>"Where you are signed in"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading sessions…"</p> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Ok(list) => view! {
                            <table class="table" data-test="sessions">
                                <thead><tr><th>"Device"</th><th>"Address"</th><th>"Signed in"</th><th>"Last active"</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|s| {
                                        let id = s.id.clone();
                                        view! {
                                            <tr data-test="session-row">
                                                <td>{s.device.clone()} {s.current.then(|| view! { " " <span class="tag" data-test="this-session">"this session"</span> })}</td>
                                                <td>{s.ip.clone().unwrap_or_default()}</td>
                                                <td>{datetime(s.signed_in_at)}</td>
                                                <td>{datetime(s.last_seen)}</td>
                                                <td>{(!s.current).then(|| view! {
                                                    <button type="button" class="button button-quiet" data-test="revoke-session"
                                                        disabled=move || revoke.pending().get()
                                                        on:click=move |_| { revoke.dispatch(RevokeSession { id: id.clone() }); }>
                                                        "Sign out"
                                                    </button>
                                                })}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <div>
                <button type="button" class="button button-quiet" data-test="sign-out-everywhere"
                    disabled=move || everywhere.pending().get()
                    on:click=move |_| { everywhere.dispatch(SignOutEverywhere {}); }>
                    "Sign out everywhere"
                </button>
            </div>
        </section>
    }
}

#[component]
fn ApiTokens() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_tokens(),
    );
    let created = create.value();
    let error = Signal::derive(move || created.get().and_then(Result::err));
    let workspaces = crate::components::workspace::use_workspaces();
    let pending = create.pending();

    view! {
        <section class="panel stack">
            <h2>"API tokens"</h2>
            <p class="muted">
                "Scripts use a token as " <code>"Authorization: Bearer …"</code>
                " on the REST API. A token acts as you, limited to its scope: "
                <strong>"read"</strong> " only reads; " <strong>"write"</strong> " may also change things."
            </p>
            {move || created.get().and_then(Result::ok).map(|new| view! {
                <SecretBox message=format!("Token \u{201c}{}\u{201d} created. Copy it now: it will not be shown again.", new.token.name)
                    secret=new.secret test="new-token"/>
            })}
            <ActionForm action=create attr:class="form form-inline" attr:data-test="token-form">
                <Field label="Name" name="name" error=error hint="What will use it, e.g. backup script"/>
                <div class="field">
                    <label for="field-scope">"Scope"</label>
                    <select id="field-scope" name="scope">
                        <option value="read" selected=true>"read"</option>
                        <option value="write">"write"</option>
                        <option value="metrics">"metrics (Prometheus, platform admins)"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="field-token-workspace">"Workspace"</label>
                    <select id="field-token-workspace" name="workspace" data-test="token-workspace">
                        <option value="" selected=true>"all of mine"</option>
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                workspaces.data.await.map(|ctx| ctx.workspaces.into_iter().map(|w| view! {
                                    <option value=w.id.clone()>{w.name.clone()}</option>
                                }).collect_view()).ok()
                            })}
                        </Transition>
                    </select>
                    {move || match error.get() {
                        Some(AppError::Invalid { field, message }) if field == "workspace" =>
                            Some(view! { <p class="field-error">{message}</p> }),
                        _ => None,
                    }}
                </div>
                <div class="field">
                    <label for="field-expires">"Expires after (days)"</label>
                    <input id="field-expires" name="expires_in_days" type="number" min="1" max="3650" placeholder="never"/>
                </div>
                <FormError error=error/>
                <button type="submit" class="button" disabled=move || pending.get() data-test="create-token">
                    {move || if pending.get() { "Creating…" } else { "Create token" }}
                </button>
            </ActionForm>
            <Transition fallback=|| view! { <p class="muted">"Loading tokens…"</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted" data-test="no-tokens">"No tokens yet."</p>
                        }.into_any(),
                        Ok(list) => {
                            // Workspace-bound tokens show the workspace's name, not its id.
                            let names = workspaces.data.await.map(|ctx| ctx.workspaces.into_iter().map(|w| (w.id, w.name)).collect()).unwrap_or_default();
                            view! { <TokenTable list=list revoke=revoke names=names/> }.into_any()
                        }
                        Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TokenTable(
    list: Vec<ApiToken>,
    revoke: ServerAction<RevokeApiToken>,
    names: std::collections::HashMap<String, String>,
) -> impl IntoView {
    let failed = move || {
        revoke
            .value()
            .get()
            .and_then(Result::err)
            .map(|e: AppError| e.to_string())
    };
    view! {
        <table class="table" data-test="tokens">
            <thead>
                <tr><th>"Name"</th><th>"Scope"</th><th>"Created"</th><th>"Expires"</th><th>"Last used"</th><th></th></tr>
            </thead>
            <tbody>
                {list.into_iter().map(|t| {
                    let id = t.id.clone();
                    view! {
                        <tr data-test="token-row">
                            <td>{t.name.clone()}</td>
                            <td><span class="tag">{t.scope.clone()}</span>{t.workspace_id.clone().map(|w| {
                                let shown = names.get(&w).cloned().unwrap_or_else(|| w.clone());
                                view! { " " <span class="tag" title="limited to this workspace" data-test="token-workspace-name">{shown}</span> }
                            })}</td>
                            <td>{datetime(t.created_at)}</td>
                            <td>{t.expires_at.map_or_else(|| "never".to_owned(), datetime)}</td>
                            <td>{t.last_used_at.map_or_else(|| "never".to_owned(), datetime)}</td>
                            <td>
                                <button
                                    type="button"
                                    class="button button-quiet"
                                    disabled=move || revoke.pending().get()
                                    data-test="revoke-token"
                                    on:click=move |_| { revoke.dispatch(RevokeApiToken { id: id.clone() }); }
                                >
                                    "Revoke"
                                </button>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        {move || failed().map(|m| view! { <p class="form-error">{m}</p> })}
    }
}
