//! Platform settings from the browser: platform admins read and change the [`Tunable`]
//! settings and add, change or remove sign-in providers, which apply at once (no restart). A
//! setting or provider the settings file, the environment or a flag gives is shown with where
//! it comes from and cannot be changed here. A provider's client secret is sealed and never
//! shown again.

use std::collections::BTreeMap;
use std::time::Duration;

use engine::audit::Outcome;
use engine::identity::limiter::LoginLimits;
use engine::identity::oauth::ProviderSettings;
use engine::mail::{Mail, MailSecurity, MailServer};
use engine::model::providers::{
    PROVIDER_NAME_EXPECTED, ProviderForm, ProviderSpec, valid_provider_name,
};
use engine::model::settings::{ProviderView, SettingSource, SettingView, SettingsPage, Tunable};
use engine::settings::{SMTP_PASSWORD, SealedStoreError, StoredProvider};

use super::{Grant, Op};
use crate::access::Need;
use crate::error::AppError;
use crate::state::AppState;

/// The settings page.
pub static GET: Op = Op {
    name: "settings.get",
    need: Need::Platform("settings", "read"),
};
/// Changing settings.
pub static UPDATE: Op = Op {
    name: "settings.update",
    need: Need::Platform("settings", "manage"),
};
/// Adding or changing a sign-in provider.
pub static SAVE_PROVIDER: Op = Op {
    name: "settings.provider.save",
    need: Need::Platform("settings", "manage"),
};
/// Sending a test mail to oneself through the mail server set.
pub static TEST_MAIL: Op = Op {
    name: "settings.mail.test",
    need: Need::Platform("settings", "manage"),
};
/// Removing a sign-in provider the settings page added.
pub static REMOVE_PROVIDER: Op = Op {
    name: "settings.provider.remove",
    need: Need::Platform("settings", "manage"),
};

impl From<SealedStoreError> for AppError {
    fn from(e: SealedStoreError) -> Self {
        match e {
            e @ SealedStoreError::NoSecret(_) => Self::Invalid {
                field: "client_secret".into(),
                message: e.to_string(),
            },
            SealedStoreError::Db(e) => e.into(),
            SealedStoreError::Vault(e) => {
                tracing::error!(error = %e, "a sign-in provider's secret could not be sealed");
                Self::Internal
            }
        }
    }
}

/// Every tunable setting's value in force and where it comes from: the file, environment or
/// a flag first, then what the settings page stored, then the value Orbitr started with (the
/// default).
pub async fn effective(
    state: &AppState,
) -> Result<BTreeMap<Tunable, (String, SettingSource)>, AppError> {
    let mut stored: BTreeMap<Tunable, engine::settings::Stored> =
        state.settings.store.all().await?.into_iter().collect();
    Ok(Tunable::ALL
        .into_iter()
        .map(|t| {
            let started = state
                .settings
                .started
                .get(&t)
                .cloned()
                .unwrap_or_else(|| t.default_value());
            let value = if let Some(from) = state.settings.fixed.get(&t) {
                (started, SettingSource::Fixed(from.clone()))
            } else if let Some(row) = stored.remove(&t)
                && let Ok(value) = t.parse(&row.value)
            {
                let source = SettingSource::Stored {
                    at: row.updated_at,
                    by: Some(row.updated_by),
                };
                (value, source)
            } else {
                (started, SettingSource::Default)
            };
            (t, value)
        })
        .collect())
}

/// Puts the values in force: the next request, sign-in or sync uses them.
pub fn apply(state: &AppState, values: &BTreeMap<Tunable, (String, SettingSource)>) {
    let number = |t: Tunable| {
        values
            .get(&t)
            .and_then(|(v, _)| v.parse::<u64>().ok())
            .or_else(|| t.bounds().map(|(default, _, _)| default))
            .unwrap_or_default()
    };
    let origin = values
        .get(&Tunable::PublicUrl)
        .map(|(v, _)| v.clone())
        .filter(|v| !v.is_empty());
    if let Ok(mut current) = state.auth.public_origin.write() {
        *current = origin;
    }
    state.auth.session_idle_ms.store(
        i64::try_from(number(Tunable::SessionIdleHours).saturating_mul(3_600_000))
            .unwrap_or(i64::MAX),
        std::sync::atomic::Ordering::Relaxed,
    );
    state.auth.session_max_age_ms.store(
        i64::try_from(number(Tunable::SessionMaxDays).saturating_mul(86_400_000))
            .unwrap_or(i64::MAX),
        std::sync::atomic::Ordering::Relaxed,
    );
    state.login_limiter.set_limits(LoginLimits {
        per_account: usize::try_from(number(Tunable::LoginFailuresPerAccount))
            .unwrap_or(usize::MAX),
        per_address: usize::try_from(number(Tunable::LoginFailuresPerAddress))
            .unwrap_or(usize::MAX),
        window: Duration::from_secs(number(Tunable::LoginFailureWindowMins) * 60),
    });
    state
        .settings
        .sync_minutes
        .send_replace(number(Tunable::MarketplaceSyncMins));
}

/// At start: what the settings page stored goes in force (the file and environment still
/// win).
pub async fn load(state: &AppState) -> Result<(), AppError> {
    apply(state, &effective(state).await?);
    apply_providers(state, &state.settings.providers.all().await?);
    Ok(())
}

/// Where a provider of the settings file or the environment can be changed.
fn provider_origin(name: &str) -> String {
    format!(
        "orbitr.toml [oauth.{name}] or ORBITR_OAUTH_{}_*",
        name.to_ascii_uppercase()
    )
}

/// Whether the file or the environment gives provider `name`.
fn file_provider<'a>(state: &'a AppState, name: &str) -> Option<&'a ProviderSettings> {
    state
        .settings
        .file_providers
        .iter()
        .find(|p| p.name == name)
}

/// Puts the providers in force: those of the file and environment, then the `stored` ones of
/// other names. The next sign-in uses them.
fn apply_providers(state: &AppState, stored: &[StoredProvider]) {
    let mut list = state.settings.file_providers.to_vec();
    list.extend(
        stored
            .iter()
            .filter(|s| file_provider(state, &s.provider.name).is_none())
            .map(|s| s.provider.clone()),
    );
    state.providers.replace(list);
}

/// The settings page: each tunable setting with its value and source (who changed it, by
/// name), and the settings read once at start.
pub async fn get(grant: &Grant) -> Result<SettingsPage, AppError> {
    grant.expect(&GET)?;
    let stored = grant.state.settings.providers.all().await?;
    page(grant, effective(&grant.state).await?, stored).await
}

/// The settings page showing `values` (from [`effective`]) and the `stored` providers.
async fn page(
    grant: &Grant,
    values: BTreeMap<Tunable, (String, SettingSource)>,
    stored: Vec<StoredProvider>,
) -> Result<SettingsPage, AppError> {
    let mut names = crate::ops::users::Names::default();
    let mut settings = Vec::new();
    // `effective` lists them in the page's order.
    for (tunable, (value, mut source)) in values {
        if let SettingSource::Stored { by, .. } = &mut source
            && let Some(id) = by.take()
        {
            *by = names.person(&grant.state, &id).await.map(|u| u.name);
        }
        settings.push(SettingView {
            tunable,
            value,
            source,
        });
    }
    let state = &grant.state;
    let linked = state.identities.linked_counts().await?;
    let callback_url = grant.oauth_callback_url();
    let view = |spec: &ProviderSpec, source: SettingSource| ProviderView {
        linked_accounts: linked.get(&spec.name).copied().unwrap_or_default(),
        spec: spec.clone(),
        source,
        callback_url: callback_url.clone(),
    };
    let mut providers: Vec<ProviderView> = state
        .settings
        .file_providers
        .iter()
        .map(|p| view(&p.spec, SettingSource::Fixed(provider_origin(&p.name))))
        .collect();
    for stored in stored {
        if file_provider(state, &stored.provider.name).is_some() {
            continue;
        }
        let by = names
            .person(state, &stored.updated_by)
            .await
            .map(|u| u.name);
        let source = SettingSource::Stored {
            at: stored.updated_at,
            by,
        };
        providers.push(view(&stored.provider.spec, source));
    }
    let smtp_password = match &state.settings.file_smtp_password {
        Some(file) => Some(SettingSource::Fixed(file.1.clone())),
        None => match state.settings.store.secret(SMTP_PASSWORD).await? {
            Some(stored) => Some(SettingSource::Stored {
                at: stored.updated_at,
                by: names
                    .person(state, &stored.updated_by)
                    .await
                    .map(|u| u.name),
            }),
            None => None,
        },
    };
    Ok(SettingsPage {
        settings,
        providers,
        fixed: state.settings.reference.as_ref().clone(),
        smtp_password,
    })
}

/// Adds or changes a sign-in provider: every field is checked as the settings file checks it
/// (the field at fault is named), a new one needs its client secret, and an empty secret keeps
/// the stored one. A provider the file or environment gives is refused, naming where it comes
/// from. It applies at once; its discovery document is fetched in the background.
pub async fn save_provider(grant: &Grant, form: &ProviderForm) -> Result<SettingsPage, AppError> {
    grant.expect(&SAVE_PROVIDER)?;
    let name = form.name.trim();
    if !valid_provider_name(name) {
        return Err(AppError::Invalid {
            field: "name".into(),
            message: format!("expected {PROVIDER_NAME_EXPECTED}"),
        });
    }
    if file_provider(&grant.state, name).is_some() {
        return Err(AppError::Conflict(format!(
            "sign-in provider {name} is set by {}: change it there",
            provider_origin(name)
        )));
    }
    let spec =
        ProviderSpec::check(name, |f| form.field(f)).map_err(|problem| AppError::Invalid {
            field: problem.field().into(),
            message: format!("expected {}", problem.expected()),
        })?;
    let secret = Some(form.client_secret.trim()).filter(|s| !s.is_empty());
    if secret.is_some_and(|s| s.len() > 4096) {
        return Err(AppError::Invalid {
            field: "client_secret".into(),
            message: "expected at most 4096 characters".into(),
        });
    }
    let saved = grant
        .state
        .settings
        .providers
        .save(&spec, secret, &grant.actor())
        .await;
    grant
        .audited(
            "settings.provider.save",
            Some(format!("provider:{name}")),
            saved,
        )
        .await?;
    let stored = grant.state.settings.providers.all().await?;
    apply_providers(&grant.state, &stored);
    tokio::spawn({
        let providers = grant.state.providers.clone();
        let name = name.to_owned();
        async move {
            if let Err(e) = providers.discover(&name).await {
                tracing::warn!(provider = %name, error = %e, "sign-in provider discovery failed");
            }
        }
    });
    page(grant, effective(&grant.state).await?, stored).await
}

/// Removes a sign-in provider the settings page added; accounts linked to it keep their other
/// ways in. One the file or environment gives is refused, naming where it comes from.
pub async fn remove_provider(grant: &Grant, name: &str) -> Result<SettingsPage, AppError> {
    grant.expect(&REMOVE_PROVIDER)?;
    if file_provider(&grant.state, name).is_some() {
        return Err(AppError::Conflict(format!(
            "sign-in provider {name} is set by {}: remove it there",
            provider_origin(name)
        )));
    }
    let removed = match grant.state.settings.providers.remove(name).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(AppError::NotFound(format!("sign-in provider {name}"))),
        Err(e) => Err(e.into()),
    };
    grant
        .audited(
            "settings.provider.remove",
            Some(format!("provider:{name}")),
            removed,
        )
        .await?;
    let stored = grant.state.settings.providers.all().await?;
    apply_providers(&grant.state, &stored);
    page(grant, effective(&grant.state).await?, stored).await
}

/// Changes settings by key (an empty value returns a setting to its default). Every value is
/// checked before anything is stored; nothing is stored when one is refused. A setting the
/// file or environment gives is refused, naming where it comes from. A public URL must be the
/// address this browser uses, so the change cannot lock it out of Orbitr.
pub async fn update(
    grant: &Grant,
    form: &BTreeMap<String, String>,
) -> Result<SettingsPage, AppError> {
    grant.expect(&UPDATE)?;
    let current = effective(&grant.state).await?;
    let mut changes = Vec::new();
    let mut password = None;
    for (key, raw) in form {
        if key == SMTP_PASSWORD {
            password = Some(raw.as_str()).filter(|p| !p.is_empty());
            continue;
        }
        let tunable = Tunable::from_key(key).ok_or_else(|| AppError::Invalid {
            field: key.clone(),
            message: "is not a setting that can be changed here".into(),
        })?;
        let value = tunable.parse(raw).map_err(|message| AppError::Invalid {
            field: key.clone(),
            message,
        })?;
        let (now, source) = &current[&tunable];
        if *now == value {
            continue;
        }
        if let SettingSource::Fixed(from) = source {
            return Err(AppError::Conflict(format!(
                "{key} is set by {from}: change it there"
            )));
        }
        if tunable == Tunable::PublicUrl && !value.is_empty() {
            let host = value.split_once("://").map_or("", |(_, host)| host);
            let here = grant.host.as_deref().unwrap_or_default();
            if !host.eq_ignore_ascii_case(here) {
                return Err(AppError::Invalid {
                    field: key.clone(),
                    message: format!(
                        "this browser reaches Orbitr at {here}: set the public URL from a browser \
                         that uses {value}, or changes from this one would be refused"
                    ),
                });
            }
        }
        // The value Orbitr started with needs no row: the setting returns to it.
        let started = grant.state.settings.started.get(&tunable);
        let stored = (Some(&value) != started).then_some(value);
        changes.push((tunable, stored));
    }
    if let Some(p) = password {
        if let Some(file) = &grant.state.settings.file_smtp_password {
            return Err(AppError::Conflict(format!(
                "{SMTP_PASSWORD} is set by {}: change it there",
                file.1
            )));
        }
        if p.len() > 1024 {
            return Err(AppError::Invalid {
                field: SMTP_PASSWORD.into(),
                message: "expected at most 1024 characters".into(),
            });
        }
    }
    if !changes.is_empty() || password.is_some() {
        let mut keys: Vec<&str> = changes.iter().map(|(t, _)| t.key()).collect();
        keys.extend(password.map(|_| SMTP_PASSWORD));
        let saved = grant
            .state
            .settings
            .store
            .save(
                &changes,
                password.map(|p| (SMTP_PASSWORD, p)),
                &grant.actor(),
            )
            .await
            .map_err(AppError::from);
        let target = Some(format!("settings:{}", keys.join(",")));
        match saved {
            Ok(()) => {
                grant
                    .audit("settings.update", target, Outcome::Ok, None)
                    .await
            }
            Err(e) => {
                grant
                    .audit(
                        "settings.update",
                        target,
                        Outcome::Failed,
                        Some(e.to_string()),
                    )
                    .await;
                return Err(e);
            }
        }
        let now = effective(&grant.state).await?;
        apply(&grant.state, &now);
        let stored = grant.state.settings.providers.all().await?;
        return page(grant, now, stored).await;
    }
    let stored = grant.state.settings.providers.all().await?;
    page(grant, current, stored).await
}

/// The mail server in force, if one is set (`smtp_host`): its settings and password (the
/// file's or environment's, else the one the settings page sealed).
pub async fn mail_server(state: &AppState) -> Result<Option<MailServer>, AppError> {
    let values = effective(state).await?;
    let value = |t: Tunable| values.get(&t).map(|(v, _)| v.clone()).unwrap_or_default();
    let host = value(Tunable::SmtpHost);
    if host.is_empty() {
        return Ok(None);
    }
    let password = match &state.settings.file_smtp_password {
        Some(file) => file.0.clone(),
        None => state
            .settings
            .store
            .secret(SMTP_PASSWORD)
            .await?
            .map(|s| s.value)
            .unwrap_or_default(),
    };
    Ok(Some(MailServer {
        host,
        port: value(Tunable::SmtpPort).parse().unwrap_or(587),
        security: MailSecurity::parse(&value(Tunable::SmtpSecurity))
            .unwrap_or(MailSecurity::StartTls),
        username: value(Tunable::SmtpUsername),
        password,
        from: value(Tunable::SmtpFrom),
    }))
}

/// Sends `mail` through the mail server in force; what went wrong says what to set or what the
/// server answered.
pub async fn send_mail(state: &AppState, mail: &Mail) -> Result<(), AppError> {
    let server = mail_server(state).await?.ok_or_else(|| AppError::Invalid {
        field: Tunable::SmtpHost.key().into(),
        message: "no mail server is set: set one under Mail first".into(),
    })?;
    send_through(&server, mail).await
}

/// Sends `mail` through `server` (from [`mail_server`]).
pub async fn send_through(server: &MailServer, mail: &Mail) -> Result<(), AppError> {
    if server.from.is_empty() {
        return Err(AppError::Invalid {
            field: Tunable::SmtpFrom.key().into(),
            message: "set the address mail comes from first".into(),
        });
    }
    engine::mail::send(server, mail)
        .await
        .map_err(|e| AppError::Upstream(e.to_string()))
}

/// Sends a test mail to the caller's own address through the mail server in force; the answer
/// is the address it went to.
pub async fn send_test_mail(grant: &Grant) -> Result<String, AppError> {
    grant.expect(&TEST_MAIL)?;
    let user = grant.require_user()?;
    let mail = Mail {
        to: user.email.clone(),
        subject: "Orbitr test mail".into(),
        body: format!(
            "Hello {},\n\nthis is a test mail from Orbitr: its mail settings work.\n",
            user.name
        ),
    };
    let sent = send_mail(&grant.state, &mail).await;
    grant
        .audited("settings.mail.test", Some("settings:smtp".into()), sent)
        .await?;
    Ok(user.email.clone())
}
