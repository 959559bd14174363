//! The workspace's security policy on its page: what members may give containers beyond the
//! ordinary. Members read it (so they know before a create is refused); platform admins edit it.

use leptos::prelude::*;

use crate::api::containers::{SecurityPolicy, SetSecurityPolicy, get_security_policy};
use crate::components::form::{FormError, last_error};
use crate::error::AppError;
use crate::pages::containers::lines;

/// One checkbox of the policy.
#[component]
fn Allow(
    label: &'static str,
    name: &'static str,
    value: RwSignal<bool>,
    editable: bool,
) -> impl IntoView {
    view! {
        <label class="inline">
            // The attribute for the server-rendered page, the property once hydrated.
            <input type="checkbox" name=name data-test=format!("allow-{name}") disabled=!editable
                checked=value.get_untracked()
                prop:checked=move || value.get()
                on:change=move |ev| value.set(event_target_checked(&ev))/>
            " " {label}
        </label>
    }
}

/// A list of the policy, one entry per line.
#[component]
fn Entries(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    editable: bool,
    hint: &'static str,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let message = move || match error.get() {
        Some(AppError::Invalid { field, message }) if field.starts_with(name) => {
            Some(format!("{}: {message}", crate::error::entry_label(&field)))
        }
        _ => None,
    };
    view! {
        <div class="field" class:field-invalid=move || message().is_some()>
            <label>{label}
                <textarea name=name rows="2" readonly=!editable data-test=name
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                    on:change=move |ev| value.set(event_target_value(&ev))>{value.get_untracked()}</textarea>
            </label>
            <p class="field-hint">{hint}</p>
            {move || message().map(|m| view! { <p class="field-error" data-test=format!("error-{name}")>{m}</p> })}
        </div>
    }
}

/// The policy section of a workspace page.
#[component]
pub fn PolicySection(workspace: String) -> impl IntoView {
    let ws = workspace.clone();
    let policy = Resource::new(move || ws.clone(), get_security_policy);
    view! {
        <Transition fallback=|| ()>
            {move || {
                let workspace = workspace.clone();
                Suspend::new(async move {
                    match policy.await {
                        Ok(view) => view! { <PolicyForm workspace=workspace policy=view.policy editable=view.editable/> }.into_any(),
                        Err(e) => view! { <section class="panel error-panel"><p>{e.to_string()}</p></section> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

#[component]
fn PolicyForm(workspace: String, policy: SecurityPolicy, editable: bool) -> impl IntoView {
    let privileged = RwSignal::new(policy.allow_privileged);
    let host_network = RwSignal::new(policy.allow_host_network);
    let host_pid = RwSignal::new(policy.allow_host_pid);
    let host_ipc = RwSignal::new(policy.allow_host_ipc);
    let binds = RwSignal::new(policy.allow_bind_mounts);
    let socket = RwSignal::new(policy.allow_docker_socket);
    let devices = RwSignal::new(policy.allow_devices);
    let roots = RwSignal::new(policy.bind_roots.join("\n"));
    let caps = RwSignal::new(policy.allowed_capabilities.join("\n"));
    let settings = RwSignal::new(policy.allowed_host_settings.join("\n"));
    let trust = RwSignal::new(policy.trust_unresolved_binds);
    let save = ServerAction::<SetSecurityPolicy>::new();
    let error = last_error(save.value());
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    // Show what was stored (paths resolved, capabilities normalized).
    Effect::new(move |_| {
        if let Some(Ok(stored)) = save.value().get() {
            roots.set(stored.bind_roots.join("\n"));
            caps.set(stored.allowed_capabilities.join("\n"));
            settings.set(stored.allowed_host_settings.join("\n"));
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SetSecurityPolicy {
            workspace: workspace.clone(),
            policy: SecurityPolicy {
                allow_privileged: privileged.get_untracked(),
                allow_host_network: host_network.get_untracked(),
                allow_host_pid: host_pid.get_untracked(),
                allow_host_ipc: host_ipc.get_untracked(),
                allow_bind_mounts: binds.get_untracked(),
                bind_roots: lines(&roots.get_untracked()),
                allow_docker_socket: socket.get_untracked(),
                allowed_capabilities: lines(&caps.get_untracked()),
                allow_devices: devices.get_untracked(),
                allowed_host_settings: lines(&settings.get_untracked()),
                trust_unresolved_binds: trust.get_untracked(),
            },
        });
    };
    view! {
        <section class="panel stack" data-test="policy">
            <h2>"Security policy"</h2>
            <p class="muted">
                "What members may give containers they create or deploy here. Platform admins are not limited by it"
                {if editable { " and may change it." } else { "; only they may change it." }}
            </p>
            <form class="form" on:submit=on_submit>
                <div class="policy-grid">
                    <Allow label="Privileged mode" name="privileged" value=privileged editable=editable/>
                    <Allow label="The host's network" name="host_network" value=host_network editable=editable/>
                    <Allow label="The host's processes (PID)" name="host_pid" value=host_pid editable=editable/>
                    <Allow label="The host's IPC" name="host_ipc" value=host_ipc editable=editable/>
                    <Allow label="Bind mounts of host folders" name="bind_mounts" value=binds editable=editable/>
                    <Allow label="The Docker socket" name="docker_socket" value=socket editable=editable/>
                    <Allow label="Host devices" name="devices" value=devices editable=editable/>
                    <Allow label="Bind mounts on a remote engine (sources not checked for links)" name="trust_unresolved_binds" value=trust editable=editable/>
                </div>
                <Entries label="Host folders bind mounts may use" name="bind_roots" value=roots editable=editable
                    hint="One absolute path per line; empty means any folder (when bind mounts are allowed)." error=error/>
                <Entries label="Capabilities that may be added" name="allowed_capabilities" value=caps editable=editable
                    hint="One per line, e.g. NET_ADMIN." error=error/>
                <Entries label="Other host settings that may be used" name="allowed_host_settings" value=settings editable=editable
                    hint="One Compose field per line, e.g. sysctls, security_opt, runtime, volumes.driver_opts." error=error/>
                <FormError error=error/>
                {editable.then(|| view! {
                    <button type="submit" class="button" data-test="save-policy" disabled=move || save.pending().get()>
                        {move || if save.pending().get() { "Saving…" } else { "Save policy" }}
                    </button>
                })}
                {move || saved().then(|| view! { <p class="form-ok" data-test="policy-saved">"Saved."</p> })}
            </form>
        </section>
    }
}
