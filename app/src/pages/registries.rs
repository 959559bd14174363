//! A workspace's registry credentials on its page (owners): the registries its members pull
//! from with a user name and password or token. Passwords are stored encrypted and never shown.

use leptos::prelude::*;

use crate::api::registries::{
    SaveRegistryCredential, list_registry_credentials, remove_registry_credential,
};
use crate::components::form::{Field, FormError, last_error};
use crate::components::format;
use crate::components::toast::{ToastKind, use_toaster};

/// The registry credentials section of a workspace page.
#[component]
pub fn RegistrySection(workspace: String) -> impl IntoView {
    let save = ServerAction::<SaveRegistryCredential>::new();
    let error = last_error(save.value());
    let reload = RwSignal::new(0_u32);
    let ws = workspace.clone();
    let ws_field = workspace.clone();
    let list = Resource::new(
        move || (ws.clone(), save.version().get(), reload.get()),
        |(ws, _, _)| list_registry_credentials(ws),
    );
    let toaster = use_toaster();
    view! {
        <section class="panel stack" data-test="registries">
            <h2>"Registry credentials"</h2>
            <p class="muted">"Used when members of this workspace pull from these registries. Passwords are stored encrypted and never shown again."</p>
            <Transition fallback=|| ()>
                {move || {
                    let workspace = workspace.clone();
                    Suspend::new(async move {
                        let rows = list.await.unwrap_or_default();
                        if rows.is_empty() {
                            return view! { <p class="muted">"None yet."</p> }.into_any();
                        }
                        view! {
                            <table class="table">
                                <thead><tr><th>"Registry"</th><th>"User"</th><th>"Saved"</th><th></th></tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|c| {
                                        let (ws, id) = (workspace.clone(), c.id.clone());
                                        view! {
                                            <tr data-test="registry-row">
                                                <td class="mono">{c.registry.clone()}</td>
                                                <td>{c.username.clone()}</td>
                                                <td>{format::datetime(c.created_at)}</td>
                                                <td class="row-actions">
                                                    <button type="button" class="button button-quiet button-danger" on:click=move |_| {
                                                        let (ws, id) = (ws.clone(), id.clone());
                                                        leptos::task::spawn_local(async move {
                                                            match remove_registry_credential(ws, id).await {
                                                                Ok(()) => reload.update(|n| *n += 1),
                                                                Err(e) => toaster.show(ToastKind::Error, e.to_string()),
                                                            }
                                                        });
                                                    }>"Remove"</button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    })
                }}
            </Transition>
            <ActionForm action=save attr:class="form form-inline" attr:data-test="registry-form">
                <input type="hidden" name="workspace" value=ws_field/>
                <Field label="Registry" name="registry" hint="host[:port], e.g. ghcr.io" error=error/>
                <Field label="User" name="username" error=error/>
                <Field label="Password or token" name="password" kind="password" autocomplete="off" error=error/>
                <FormError error=error/>
                <button type="submit" class="button" data-test="save-registry">"Save"</button>
            </ActionForm>
        </section>
    }
}
