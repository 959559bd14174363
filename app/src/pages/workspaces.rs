//! `/workspaces` (the list, and creating one) and `/workspaces/:id` (members, invitations,
//! settings). Controls a role cannot use are not shown; the server refuses them anyway.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::workspaces::{
    CreateInvitation, CreateWorkspace, DeleteWorkspace, InvitationView, LeaveWorkspace, MemberView,
    RemoveMember, RenameWorkspace, RevokeInvitation, SetMemberRole, WorkspaceDetail, get_workspace,
    list_invitations, list_members,
};
use crate::components::form::{Field, FormError, SecretBox, last_error, leave_on_success};
use crate::components::format::datetime;
use crate::components::toast::toast_failures;
use crate::components::workspace::use_workspaces;

const ROLES: [&str; 3] = ["owner", "operator", "viewer"];

/// `/workspaces`.
#[component]
pub fn WorkspacesPage() -> impl IntoView {
    let workspaces = use_workspaces();
    view! {
        <Title text="Workspaces"/>
        <div class="page-header">
            <h1>"Workspaces"</h1>
        </div>
        <Transition fallback=|| view! { <div class="panel skeleton" style="height: 6rem"></div> }>
            {move || Suspend::new(async move {
                match workspaces.data.await {
                    Ok(ctx) => {
                        let is_admin = ctx.is_admin;
                        let list = if ctx.workspaces.is_empty() {
                            view! {
                                <section class="panel empty-state" data-test="no-workspaces">
                                    <h2>"No workspace yet"</h2>
                                    <p class="muted">
                                        {if is_admin {
                                            "Create one below, then invite people to it."
                                        } else {
                                            "Ask an owner or an administrator for an invitation link."
                                        }}
                                    </p>
                                </section>
                            }.into_any()
                        } else {
                            view! {
                                <div class="cards" data-test="workspaces">
                                    {ctx.workspaces.into_iter().map(|w| view! {
                                        <a class="card card-link" href=format!("/workspaces/{}", w.id) data-test="workspace-card">
                                            <p class="card-label">{w.role.clone().unwrap_or_else(|| "admin".into())}</p>
                                            <p class="card-value">{w.name.clone()}</p>
                                            <p class="card-detail">{format!("since {}", datetime(w.created_at))}</p>
                                        </a>
                                    }).collect_view()}
                                </div>
                            }.into_any()
                        };
                        view! { {list} {is_admin.then(|| view! { <NewWorkspace/> })} }.into_any()
                    }
                    Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NewWorkspace() -> impl IntoView {
    let workspaces = use_workspaces();
    let create = ServerAction::<CreateWorkspace>::new();
    let value = create.value();
    let error = last_error(value);
    let pending = create.pending();
    Effect::new(move |_| {
        if let Some(Ok(ws)) = value.get() {
            workspaces.refresh();
            #[cfg(feature = "hydrate")]
            if let Some(window) = web_sys::window() {
                let _ = window.location().assign(&format!("/workspaces/{}", ws.id));
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = ws;
        }
    });
    view! {
        <section class="panel stack">
            <h2>"New workspace"</h2>
            <ActionForm action=create attr:class="form form-inline" attr:data-test="new-workspace">
                <Field label="Name" name="name" error=error hint="e.g. Media, Home automation, Team Alpha"/>
                <FormError error=error/>
                <button type="submit" class="button" disabled=move || pending.get() data-test="create-workspace">
                    {move || if pending.get() { "Creating…" } else { "Create workspace" }}
                </button>
            </ActionForm>
        </section>
    }
}

/// `/workspaces/:id`.
#[component]
pub fn WorkspacePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let reload = RwSignal::new(0_u64);
    let detail = Resource::new(move || (id(), reload.get()), |(id, _)| get_workspace(id));
    view! {
        <Transition fallback=|| view! { <div class="panel skeleton" style="height: 8rem"></div> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <WorkspaceView detail=detail reload=reload/> }.into_any(),
                    Err(e) => view! {
                        <Title text="Workspace"/>
                        <section class="panel error-panel" role="alert" data-test="workspace-error">
                            <h1>"Workspace unavailable"</h1>
                            <p>{e.to_string()}</p>
                            <a href="/workspaces">"All workspaces"</a>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn WorkspaceView(detail: WorkspaceDetail, reload: RwSignal<u64>) -> impl IntoView {
    let ws = detail.workspace.clone();
    let manage = detail.can("member", "manage");
    let rename = detail.can("workspace", "update");
    let delete = detail.can("workspace", "delete");
    let role = ws.role.clone();
    view! {
        <Title text=ws.name.clone()/>
        <div class="page-header">
            <h1 data-test="workspace-name">{ws.name.clone()}</h1>
            <span class="tag" data-test="my-role">{role.clone().unwrap_or_else(|| "platform admin".into())}</span>
        </div>
        <Members workspace=ws.id.clone() manage=manage/>
        {manage.then(|| view! { <Invitations workspace=ws.id.clone()/> })}
        <crate::pages::policy::PolicySection workspace=ws.id.clone()/>
        {detail.can("registry", "manage").then(|| view! { <crate::pages::registries::RegistrySection workspace=ws.id.clone()/> })}
        {rename.then(|| view! { <Rename workspace=ws.id.clone() reload=reload/> })}
        {role.is_some().then(|| view! { <Leave workspace=ws.id.clone()/> })}
        {delete.then(|| view! { <Delete workspace=ws.id.clone() name=ws.name.clone()/> })}
    }
}

#[component]
fn Members(workspace: String, manage: bool) -> impl IntoView {
    let set_role = ServerAction::<SetMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    toast_failures(set_role.value());
    toast_failures(remove.value());
    let members = Resource::new(
        {
            let workspace = workspace.clone();
            move || {
                (
                    workspace.clone(),
                    set_role.version().get(),
                    remove.version().get(),
                )
            }
        },
        |(ws, _, _)| list_members(ws),
    );
    view! {
        <section class="panel stack">
            <h2>"Members"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading members…"</p> }>
                {move || {
                    let workspace = workspace.clone();
                    Suspend::new(async move {
                        match members.await {
                            Ok(list) => view! { <MemberTable list=list workspace=workspace manage=manage set_role=set_role remove=remove/> }.into_any(),
                            Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn MemberTable(
    list: Vec<MemberView>,
    workspace: String,
    manage: bool,
    set_role: ServerAction<SetMemberRole>,
    remove: ServerAction<RemoveMember>,
) -> impl IntoView {
    let busy = move || set_role.pending().get() || remove.pending().get();
    view! {
        <table class="table" data-test="members">
            <thead>
                <tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Joined"</th>{manage.then(|| view! { <th></th> })}</tr>
            </thead>
            <tbody>
                {list.into_iter().map(|m| {
                    let role_cell = if manage {
                        let (ws, user) = (workspace.clone(), m.user_id.clone());
                        let current = m.role.clone();
                        view! {
                            <select
                                aria-label=format!("Role of {}", m.name)
                                data-test="member-role"
                                disabled=busy
                                on:change=move |ev| {
                                    set_role.dispatch(SetMemberRole {
                                        workspace: ws.clone(),
                                        user_id: user.clone(),
                                        role: event_target_value(&ev),
                                    });
                                }
                            >
                                {ROLES.into_iter().map(|r| view! { <option value=r selected=r == current>{r}</option> }).collect_view()}
                            </select>
                        }.into_any()
                    } else {
                        view! { <span class="tag">{m.role.clone()}</span> }.into_any()
                    };
                    let remove_cell = manage.then(|| {
                        let (ws, user) = (workspace.clone(), m.user_id.clone());
                        view! {
                            <td>
                                <button type="button" class="button button-quiet" disabled=busy data-test="remove-member"
                                    on:click=move |_| { remove.dispatch(RemoveMember { workspace: ws.clone(), user_id: user.clone() }); }>
                                    "Remove"
                                </button>
                            </td>
                        }
                    });
                    view! {
                        <tr data-test="member-row">
                            <td>{m.name.clone()}</td>
                            <td>{m.email.clone()}</td>
                            <td>{role_cell}</td>
                            <td>{datetime(m.joined_at)}</td>
                            {remove_cell}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn Invitations(workspace: String) -> impl IntoView {
    let create = ServerAction::<CreateInvitation>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    toast_failures(revoke.value());
    let created = create.value();
    let error = last_error(created);
    let pending = create.pending();
    let invitations = Resource::new(
        {
            let workspace = workspace.clone();
            move || {
                (
                    workspace.clone(),
                    create.version().get(),
                    revoke.version().get(),
                )
            }
        },
        |(ws, _, _)| list_invitations(ws),
    );
    let hidden = workspace.clone();
    view! {
        <section class="panel stack">
            <h2>"Invite people"</h2>
            <p class="muted">
                "An invitation is a link that works once and expires. Whoever opens it sets a name and a password (or uses their existing account) and joins with the role chosen here."
            </p>
            {move || created.get().and_then(Result::ok).map(|new| {
                let mailed = match (&new.mailed, &new.invitation.email) {
                    (Some(Ok(())), Some(to)) => Some(view! { <p class="muted" data-test="invite-mailed">{format!("The link was mailed to {to}.")}</p> }.into_any()),
                    (Some(Err(why)), _) => Some(view! { <p class="form-error" data-test="invite-mail-failed">{format!("The link could not be mailed: {why}. Share it yourself.")}</p> }.into_any()),
                    _ => None,
                };
                view! {
                    <SecretBox message=format!("Invitation to join as {} created. Copy the link now: it will not be shown again.", new.invitation.role)
                        secret=crate::components::format::absolute_url(&new.path) test="invite-link"/>
                    {mailed}
                }
            })}
            <ActionForm action=create attr:class="form form-inline" attr:data-test="invite-form">
                <input type="hidden" name="workspace" value=hidden/>
                <div class="field">
                    <label for="field-invite-role">"Role"</label>
                    <select id="field-invite-role" name="role" data-test="invite-role">
                        <option value="viewer" selected=true>"viewer"</option>
                        <option value="operator">"operator"</option>
                        <option value="owner">"owner"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="field-invite-email">"Only for this email (optional)"</label>
                    <input id="field-invite-email" name="email" type="email" autocomplete="off"/>
                    {move || match error.get() {
                        Some(crate::error::AppError::Invalid { field, message }) if field == "email" =>
                            Some(view! { <p class="field-error" data-test="error-email">{message}</p> }),
                        _ => None,
                    }}
                </div>
                <div class="field">
                    <label for="field-invite-hours">"Expires after (hours)"</label>
                    <input id="field-invite-hours" name="expires_in_hours" type="number" min="1" max="720" value="72"/>
                    {move || match error.get() {
                        Some(crate::error::AppError::Invalid { field, message }) if field == "expires_in_hours" =>
                            Some(view! { <p class="field-error" data-test="error-expires_in_hours">{message}</p> }),
                        _ => None,
                    }}
                </div>
                <FormError error=error/>
                <button type="submit" class="button" disabled=move || pending.get() data-test="create-invite">
                    {move || if pending.get() { "Creating…" } else { "Create invitation link" }}
                </button>
            </ActionForm>
            <Transition fallback=|| ()>
                {move || {
                    let workspace = workspace.clone();
                    Suspend::new(async move {
                        match invitations.await {
                            Ok(list) if list.is_empty() => view! { <p class="muted" data-test="no-invitations">"No pending invitations."</p> }.into_any(),
                            Ok(list) => view! { <InvitationTable list=list workspace=workspace revoke=revoke/> }.into_any(),
                            Err(e) => view! { <p class="form-error">{e.to_string()}</p> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn InvitationTable(
    list: Vec<InvitationView>,
    workspace: String,
    revoke: ServerAction<RevokeInvitation>,
) -> impl IntoView {
    view! {
        <table class="table" data-test="invitations">
            <thead><tr><th>"Role"</th><th>"For"</th><th>"Created"</th><th>"Expires"</th><th></th></tr></thead>
            <tbody>
                {list.into_iter().map(|i| {
                    let (ws, id) = (workspace.clone(), i.id.clone());
                    view! {
                        <tr data-test="invitation-row">
                            <td><span class="tag">{i.role.clone()}</span></td>
                            <td>{i.email.clone().unwrap_or_else(|| "anyone with the link".into())}</td>
                            <td>{datetime(i.created_at)}</td>
                            <td>{datetime(i.expires_at)}</td>
                            <td>
                                <button type="button" class="button button-quiet" disabled=move || revoke.pending().get() data-test="revoke-invite"
                                    on:click=move |_| { revoke.dispatch(RevokeInvitation { workspace: ws.clone(), id: id.clone() }); }>
                                    "Withdraw"
                                </button>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn Rename(workspace: String, reload: RwSignal<u64>) -> impl IntoView {
    let workspaces = use_workspaces();
    let action = ServerAction::<RenameWorkspace>::new();
    let value = action.value();
    let error = last_error(value);
    let pending = action.pending();
    Effect::new(move |_| {
        if let Some(Ok(())) = value.get() {
            reload.update(|n| *n += 1);
            workspaces.refresh();
        }
    });
    view! {
        <section class="panel stack">
            <h2>"Name"</h2>
            <ActionForm action=action attr:class="form form-inline" attr:data-test="rename-form">
                <input type="hidden" name="workspace" value=workspace/>
                <Field label="New name" name="name" error=error/>
                <FormError error=error/>
                <button type="submit" class="button" disabled=move || pending.get() data-test="rename">
                    {move || if pending.get() { "Renaming…" } else { "Rename" }}
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Leave(workspace: String) -> impl IntoView {
    let action = ServerAction::<LeaveWorkspace>::new();
    let value = action.value();
    let error = last_error(value);
    leave_on_success(value);
    let pending = action.pending();
    view! {
        <section class="panel stack">
            <h2>"Leave"</h2>
            <p class="muted">"You lose access to this workspace until someone invites you again. Its last owner cannot leave."</p>
            <ActionForm action=action attr:class="form form-inline">
                <input type="hidden" name="workspace" value=workspace/>
                <FormError error=error/>
                <button type="submit" class="button button-quiet" disabled=move || pending.get() data-test="leave">
                    "Leave workspace"
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Delete(workspace: String, name: String) -> impl IntoView {
    let action = ServerAction::<DeleteWorkspace>::new();
    let value = action.value();
    let error = last_error(value);
    leave_on_success(value);
    let pending = action.pending();
    view! {
        <section class="panel stack danger-zone">
            <h2>"Delete workspace"</h2>
            <p class="muted">
                "Members and invitations go with it. Refused while containers, volumes or networks still belong to it. Type "
                <strong>{name}</strong> " to confirm."
            </p>
            <ActionForm action=action attr:class="form form-inline" attr:data-test="delete-form">
                <input type="hidden" name="workspace" value=workspace/>
                <Field label="Workspace name" name="confirm" error=error/>
                <FormError error=error/>
                <button type="submit" class="button button-danger" disabled=move || pending.get() data-test="delete-workspace">
                    {move || if pending.get() { "Deleting…" } else { "Delete workspace" }}
                </button>
            </ActionForm>
        </section>
    }
}
