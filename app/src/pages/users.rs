//! `/users` (platform admins): every account, the admin role, deletion and password-reset
//! links; and `/reset/:code`, where a reset link leads.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::users::{
    CompletePasswordReset, CreatePasswordReset, DeleteUser, SetPlatformAdmin, UserView,
    check_password_reset, list_users,
};
use crate::components::dialog::use_dialog;
use crate::components::form::{Field, FormError, SecretBox, last_error, leave_on_success};
use crate::components::format::datetime;
use crate::components::toast::toast_failures;

/// `/users`.
#[component]
pub fn UsersPage() -> impl IntoView {
    let set_admin = ServerAction::<SetPlatformAdmin>::new();
    let delete = ServerAction::<DeleteUser>::new();
    let reset = ServerAction::<CreatePasswordReset>::new();
    toast_failures(set_admin.value());
    toast_failures(delete.value());
    toast_failures(reset.value());
    let users = Resource::new(
        move || (set_admin.version().get(), delete.version().get()),
        |_| list_users(),
    );
    let link = reset.value();
    view! {
        <Title text="Users"/>
        <div class="page-header"><h1>"Users"</h1></div>
        {move || link.get().and_then(Result::ok).map(|path| view! {
            <SecretBox message="Password reset link created. Send it to the person: it works once, for 24 hours, and will not be shown again.".to_owned()
                secret=crate::components::format::absolute_url(&path) test="reset-link"/>
        })}
        <Transition fallback=|| view! { <div class="panel skeleton" style="height: 6rem"></div> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) => view! { <UserTable list=list set_admin=set_admin delete=delete reset=reset/> }.into_any(),
                    Err(e) => view! { <p class="form-error" data-test="users-error">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn UserTable(
    list: Vec<UserView>,
    set_admin: ServerAction<SetPlatformAdmin>,
    delete: ServerAction<DeleteUser>,
    reset: ServerAction<CreatePasswordReset>,
) -> impl IntoView {
    let busy = move || set_admin.pending().get() || delete.pending().get() || reset.pending().get();
    let dialog = use_dialog();
    view! {
        <section class="panel">
            <table class="table" data-test="users">
                <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Since"</th><th></th></tr></thead>
                <tbody>
                    {list.into_iter().map(|u| {
                        let (id1, id2, id3) = (u.id.clone(), u.id.clone(), u.id.clone());
                        let grant = !u.is_admin;
                        view! {
                            <tr data-test="user-row">
                                <td>{u.name.clone()}</td>
                                <td data-test="user-email">{u.email.clone()}</td>
                                <td>{if u.is_admin { "platform admin" } else { "user" }}</td>
                                <td>{datetime(u.created_at)}</td>
                                <td class="row-actions">
                                    <button type="button" class="button button-quiet" disabled=busy data-test="reset-password"
                                        on:click=move |_| { reset.dispatch(CreatePasswordReset { user_id: id1.clone() }); }>
                                        "Reset link"
                                    </button>
                                    {(!u.is_me).then(|| view! {
                                        <button type="button" class="button button-quiet" disabled=busy data-test="toggle-admin"
                                            on:click=move |_| { set_admin.dispatch(SetPlatformAdmin { user_id: id2.clone(), admin: grant.to_string() }); }>
                                            {if grant { "Make admin" } else { "Remove admin" }}
                                        </button>
                                        <button type="button" class="button button-quiet" disabled=busy data-test="delete-user"
                                            on:click=move |_| {
                                                let user_id = id3.clone();
                                                dialog.confirm("Delete this account? Its sessions and tokens end.", "Delete", move || {
                                                    delete.dispatch(DeleteUser { user_id });
                                                });
                                            }>
                                            "Delete"
                                        </button>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// `/reset/:code`.
#[component]
pub fn ResetPage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.read().get("code").unwrap_or_default();
    let check = Resource::new(code, check_password_reset);
    let action = ServerAction::<CompletePasswordReset>::new();
    let value = action.value();
    let error = last_error(value);
    leave_on_success(value);
    let pending = action.pending();
    view! {
        <Title text="Set a new password"/>
        <main class="auth-page">
            <section class="auth-card panel">
                <Suspense fallback=|| view! { <p class="muted">"Checking the link…"</p> }>
                    {move || Suspend::new(async move {
                        match check.await {
                            Err(e) => view! {
                                <h1>"This link cannot be used"</h1>
                                <p class="form-error" data-test="reset-problem">{e.to_string()}</p>
                                <a href="/login">"Sign in"</a>
                            }.into_any(),
                            Ok(email) => view! {
                                <h1 data-test="reset-heading">"Set a new password"</h1>
                                <p class="muted">{format!("For {email}. Every session of this account ends.")}</p>
                                <ActionForm action=action attr:class="form" attr:data-test="reset-form">
                                    <input type="hidden" name="code" value=code()/>
                                    <Field label="New password" name="password" kind="password" autocomplete="new-password" error=error/>
                                    <Field label="Repeat it" name="confirm" kind="password" autocomplete="new-password" error=error/>
                                    <FormError error=error/>
                                    <button type="submit" class="button" disabled=move || pending.get() data-test="submit">
                                        {move || if pending.get() { "Saving…" } else { "Set password" }}
                                    </button>
                                </ActionForm>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}
