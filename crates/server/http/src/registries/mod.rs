//! Registry integrations: the server pulls the images of the registries it is given, scans
//! new and moved tags, and keeps them judged like uploaded scans.
//!
//! ```text
//! POST /api/v1/registries ─> Integration (checked) ─> store (credentials sealed)
//! schedule (auto_pull) │ POST .../scan │ push webhook ─> pull: catalog, tags, platform digests
//!     ─> scan_jobs (durable; a known digest is skipped, its tag pointed at the stored scan)
//!     ─> workers: engine scan streamed from the registry ─> ingest (as an upload) ─> verdict
//! ```

pub mod pull;
pub mod schedule;
pub mod webhook;
pub mod worker;

use std::time::Duration;

use kabuto_api::server::{PullStatus, Registry, RegistryWebhook};
use kabuto_auth::SealingKey;
use kabuto_scan::RegistryAccess;
use kabuto_source::registry::{
    Credentials, Platform, PullSelection, PullSelectionSpec, RegistryOptions,
};
use kabuto_store::RegistryRow;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::error::{ApiError, ApiResult};

/// Docker Hub's registry name in image references.
const DOCKER_HUB: &str = "docker.io";
/// Aqua's default: one pull a day.
const DEFAULT_INTERVAL_DAYS: u32 = 1;
const MIN_INTERVAL_SECONDS: u32 = 5;
/// Aqua's default number of images queued per pull.
const DEFAULT_PULL_MAX: u32 = 100;

/// The registry types Aqua names; all speak the distribution API with its token exchange.
const TYPES: [&str; 8] = ["HUB", "V2", "HARBOR", "GHCR", "ACR", "GCR", "GAR", "AWS"];

/// A checked registry integration.
#[derive(Debug, Clone)]
pub struct Integration {
    pub name: String,
    /// The settings as given, without credentials (what the store keeps).
    pub wire: Registry,
    /// `host[:port]` as image references name the registry.
    pub host: String,
    /// Plain HTTP.
    pub insecure: bool,
    pub interval: Duration,
    pub pull_max: usize,
    pub selection: PullSelection,
    pub platforms: Vec<Platform>,
    pub max_age: Option<Duration>,
}

impl TryFrom<Registry> for Integration {
    type Error = ApiError;

    fn try_from(mut wire: Registry) -> ApiResult<Integration> {
        check_name(&wire.name)?;
        wire.registry_type = wire.registry_type.to_ascii_uppercase();
        if !TYPES.contains(&wire.registry_type.as_str()) {
            return Err(ApiError::field(
                "type",
                format!(
                    "unknown type {:?}; one of {}",
                    wire.registry_type,
                    TYPES.join(", ")
                ),
            ));
        }
        let (host, insecure) = host_of(&wire)?;
        let selection = PullSelection::try_from(PullSelectionSpec {
            repo_patterns: wire.pull_repo_patterns.clone(),
            repo_patterns_excluded: wire.pull_repo_patterns_excluded.clone(),
            tag_patterns: wire.pull_tags_pattern.clone(),
            max_tags: wire.pull_max_tags.map(|n| n as usize),
        })
        .map_err(|e| ApiError::field("pull_repo_patterns", e.to_string()))?;
        let platforms = platforms(&wire.platforms)?;
        let max_age = wire.pull_image_age.as_deref().map(parse_age).transpose()?;
        let interval = interval(&wire)?;
        let pull_max = match wire.auto_pull_max {
            Some(0) => return Err(ApiError::field("auto_pull_max", "0 pulls nothing")),
            Some(n) => n as usize,
            None => DEFAULT_PULL_MAX as usize,
        };
        // Read-only and write-only fields are not part of what is kept.
        wire.password = None;
        wire.password_set = false;
        wire.webhook.url = None;
        wire.webhook.auth_token = None;
        wire.last_pull = None;
        wire.created = None;
        wire.updated = None;
        Ok(Integration {
            name: wire.name.clone(),
            wire,
            host,
            insecure,
            interval,
            pull_max,
            selection,
            platforms,
            max_age,
        })
    }
}

fn check_name(name: &str) -> ApiResult<()> {
    let valid = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(())
    } else {
        Err(ApiError::field(
            "name",
            "1 to 64 letters, digits, `.`, `_` or `-`",
        ))
    }
}

/// The registry's `host[:port]` and whether it speaks plain HTTP.
fn host_of(wire: &Registry) -> ApiResult<(String, bool)> {
    match (wire.url.as_deref(), wire.registry_type.as_str()) {
        (None | Some(""), "HUB") => Ok((DOCKER_HUB.to_owned(), false)),
        (None | Some(""), _) => Err(ApiError::field("url", "give the registry's URL")),
        (Some(url), _) => host_of_url(url).map_err(|message| ApiError::field("url", message)),
    }
}

/// A registry URL's `host[:port]` as image references name the registry, and whether it
/// speaks plain HTTP (`http://`); the integrations' and Harbor's.
pub fn host_of_url(url: &str) -> Result<(String, bool), String> {
    let (insecure, rest) = if let Some(rest) = url.strip_prefix("http://") {
        (true, rest)
    } else {
        (false, url.strip_prefix("https://").unwrap_or(url))
    };
    let host =
        kabuto_source::registry::registry_host(rest.trim_end_matches('/')).map_err(|_| {
            format!("{url:?} is not `https://host[:port]` (or `http://` for plain HTTP)")
        })?;
    Ok((host, insecure))
}

fn platforms(given: &[String]) -> ApiResult<Vec<Platform>> {
    if given.is_empty() {
        return Ok(vec![Platform::host()]);
    }
    given
        .iter()
        .enumerate()
        .map(|(i, text)| {
            text.parse()
                .map_err(|e| ApiError::field(format!("platforms[{i}]"), format!("{e}")))
        })
        .collect()
}

fn interval(wire: &Registry) -> ApiResult<Duration> {
    if let Some(seconds) = wire.auto_pull_interval_seconds {
        if seconds < MIN_INTERVAL_SECONDS {
            return Err(ApiError::field(
                "auto_pull_interval_seconds",
                format!("at least {MIN_INTERVAL_SECONDS}"),
            ));
        }
        return Ok(Duration::from_secs(u64::from(seconds)));
    }
    match wire.auto_pull_interval.unwrap_or(DEFAULT_INTERVAL_DAYS) {
        0 => Err(ApiError::field("auto_pull_interval", "at least 1 day")),
        days => Ok(Duration::from_secs(u64::from(days) * 86_400)),
    }
}

/// `30D`, `12H`, `2W` (case-insensitive).
fn parse_age(text: &str) -> ApiResult<Duration> {
    let refuse = || {
        ApiError::field(
            "pull_image_age",
            format!("{text:?} is not like 30D, 12H or 2W"),
        )
    };
    let text = text.trim();
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let count: u64 = number.parse().map_err(|_| refuse())?;
    let unit_seconds = match unit.to_ascii_uppercase().as_str() {
        "H" => 3600,
        "D" => 86_400,
        "W" => 7 * 86_400,
        _ => return Err(refuse()),
    };
    if count == 0 {
        return Err(refuse());
    }
    Ok(Duration::from_secs(count.saturating_mul(unit_seconds)))
}

/// The sealing contexts: a sealed value opens only on the record it was sealed for.
fn credentials_context(name: &str) -> String {
    format!("registry:{name}:credentials")
}
fn webhook_context(name: &str) -> String {
    format!("registry:{name}:webhook")
}

/// What the store keeps of `integration`: `password`, when given, replaces the stored
/// credentials (`""` removes them); `previous` supplies the rest.
pub fn to_row(
    sealing: &SealingKey,
    integration: &Integration,
    password: Option<&str>,
    webhook_token: Option<&str>,
    previous: Option<&RegistryRow>,
    now: OffsetDateTime,
) -> ApiResult<RegistryRow> {
    let seal_error = |e: kabuto_auth::AuthError| ApiError::internal("sealing credentials", &e);
    let credentials = match password {
        Some("") => None,
        Some(password) => {
            let username = integration.wire.username.clone().unwrap_or_default();
            let both = serde_json::json!({ "username": username, "password": password });
            Some(
                sealing
                    .seal(
                        both.to_string().as_bytes(),
                        &credentials_context(&integration.name),
                    )
                    .map_err(seal_error)?,
            )
        }
        None => previous.and_then(|p| p.credentials.clone()),
    };
    let webhook_token = match (integration.wire.webhook.enabled, webhook_token) {
        (false, _) => None,
        (true, Some(token)) => Some(
            sealing
                .seal(token.as_bytes(), &webhook_context(&integration.name))
                .map_err(seal_error)?,
        ),
        (true, None) => previous.and_then(|p| p.webhook_token.clone()),
    };
    let settings = serde_json::to_string(&integration.wire)
        .map_err(|e| ApiError::internal("encoding a registry", &e))?;
    Ok(RegistryRow {
        name: integration.name.clone(),
        settings,
        credentials,
        webhook_token,
        created_at: previous.map_or(now, |p| p.created_at),
        updated_at: now,
        last_pull: previous.and_then(|p| p.last_pull.clone()),
    })
}

/// A stored integration, checked again (it was checked on the way in).
pub fn from_row(row: &RegistryRow) -> ApiResult<Integration> {
    let wire: Registry = serde_json::from_str(&row.settings)
        .map_err(|e| ApiError::internal("reading a stored registry", &e))?;
    Integration::try_from(wire)
}

/// The integration as the API answers it: no secret, the read-only fields filled in.
pub fn to_wire(row: &RegistryRow, integration: &Integration) -> Registry {
    let mut wire = integration.wire.clone();
    wire.password_set = row.credentials.is_some();
    wire.webhook = RegistryWebhook {
        enabled: integration.wire.webhook.enabled,
        url: integration
            .wire
            .webhook
            .enabled
            .then(|| format!("/api/v1/registries/{}/webhook", integration.name)),
        auth_token: None,
    };
    wire.last_pull = row
        .last_pull
        .as_deref()
        .and_then(|text| serde_json::from_str::<PullStatus>(text).ok());
    wire.created = Some(crate::routes::rfc3339(row.created_at));
    wire.updated = Some(crate::routes::rfc3339(row.updated_at));
    wire
}

/// How to reach the integration's registry, with its stored credentials opened.
pub fn access(
    sealing: &SealingKey,
    row: &RegistryRow,
    integration: &Integration,
) -> ApiResult<RegistryAccess> {
    let credentials = match &row.credentials {
        Some(sealed) => {
            let opened = sealing
                .open(sealed, &credentials_context(&integration.name))
                .map_err(|e| ApiError::internal("opening registry credentials", &e))?;
            let both: Zeroizing<StoredCredentials> = Zeroizing::new(
                serde_json::from_slice(&opened)
                    .map_err(|e| ApiError::internal("reading registry credentials", &e))?,
            );
            Some(Credentials::new(
                both.username.clone(),
                both.password.clone(),
            ))
        }
        None => None,
    };
    Ok(RegistryAccess {
        options: RegistryOptions {
            credentials,
            insecure: integration.insecure,
            timeout: None,
            ..RegistryOptions::default()
        },
        offline: false,
    })
}

#[derive(serde::Deserialize, Default)]
struct StoredCredentials {
    username: String,
    password: String,
}

impl zeroize::Zeroize for StoredCredentials {
    fn zeroize(&mut self) {
        self.username.zeroize();
        self.password.zeroize();
    }
}

/// The webhook token of a stored integration, opened; `None` when its webhook is off.
pub fn webhook_token(
    sealing: &SealingKey,
    row: &RegistryRow,
) -> ApiResult<Option<Zeroizing<Vec<u8>>>> {
    row.webhook_token
        .as_deref()
        .map(|sealed| {
            sealing
                .open(sealed, &webhook_context(&row.name))
                .map_err(|e| ApiError::internal("opening a webhook token", &e))
        })
        .transpose()
}

/// The integration of a registry host, if there is one (hosts are unique among them).
pub async fn for_host(
    state: &crate::state::AppState,
    host: &str,
) -> ApiResult<Option<(RegistryRow, Integration)>> {
    for row in state.store.registries().await? {
        if let Ok(integration) = from_row(&row)
            && integration.host == host
        {
            return Ok(Some((row, integration)));
        }
    }
    Ok(None)
}

/// Queues a scan of an image registered through the API (`POST /api/v1/images`) when the
/// server integrates its registry: Aqua's "register, then the server pulls and scans it".
/// True when queued.
pub async fn queue_registered(
    state: &crate::state::AppState,
    key: &kabuto_store::ImageKey,
) -> ApiResult<bool> {
    if for_host(state, &key.registry).await?.is_none() {
        return Ok(false);
    }
    let job = kabuto_store::NewJob {
        image: key.clone(),
        digest: None,
        reason: kabuto_store::JobReason::Request,
        max_attempts: pull::MAX_ATTEMPTS,
    };
    state
        .store
        .enqueue_job(&job, OffsetDateTime::now_utc())
        .await?;
    state.jobs_ready.notify_waiters();
    Ok(true)
}

/// The tag a platform of a multi-arch image is registered under: the tag itself for the
/// first platform the integration asks for, `TAG@os/arch[/variant]` for the others.
pub fn platform_tag(integration: &Integration, tag: &str, platform: &Platform) -> String {
    if integration.platforms.first() == Some(platform) {
        tag.to_owned()
    } else {
        format!("{tag}@{platform}")
    }
}

/// The tag and platform a job's image tag stands for (see [`platform_tag`]).
pub fn split_platform_tag<'t>(integration: &Integration, tag: &'t str) -> (&'t str, Platform) {
    match tag.split_once('@') {
        Some((plain, platform)) => match platform.parse() {
            Ok(platform) => (plain, platform),
            Err(_) => (tag, first_platform(integration)),
        },
        None => (tag, first_platform(integration)),
    }
}

fn first_platform(integration: &Integration) -> Platform {
    integration
        .platforms
        .first()
        .cloned()
        .unwrap_or_else(Platform::host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(json: serde_json::Value) -> Registry {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn integrations_are_checked_field_by_field() {
        let ok = Integration::try_from(wire(serde_json::json!({
            "name": "local", "type": "v2", "url": "http://127.0.0.1:5000/",
            "auto_pull_interval_seconds": 30, "pull_image_age": "2W",
            "platforms": ["linux/amd64", "linux/arm64"]
        })))
        .unwrap();
        assert_eq!(ok.host, "127.0.0.1:5000");
        assert!(ok.insecure);
        assert_eq!(ok.interval, Duration::from_secs(30));
        assert_eq!(ok.max_age, Some(Duration::from_secs(14 * 86_400)));
        assert_eq!(ok.wire.registry_type, "V2");
        let hub =
            Integration::try_from(wire(serde_json::json!({"name": "hub", "type": "HUB"}))).unwrap();
        assert_eq!((hub.host.as_str(), hub.insecure), ("docker.io", false));
        assert_eq!(hub.interval, Duration::from_secs(86_400));
        for (body, field) in [
            (
                serde_json::json!({"name": "a b", "type": "V2", "url": "https://r.example"}),
                "name",
            ),
            (
                serde_json::json!({"name": "a", "type": "FTP", "url": "https://r.example"}),
                "type",
            ),
            (serde_json::json!({"name": "a", "type": "V2"}), "url"),
            (
                serde_json::json!({"name": "a", "type": "V2", "url": "https://r.example/x y"}),
                "url",
            ),
            (
                serde_json::json!({"name": "a", "type": "V2", "url": "https://r.example", "auto_pull_interval_seconds": 1}),
                "auto_pull_interval_seconds",
            ),
            (
                serde_json::json!({"name": "a", "type": "V2", "url": "https://r.example", "pull_image_age": "3M"}),
                "pull_image_age",
            ),
            (
                serde_json::json!({"name": "a", "type": "V2", "url": "https://r.example", "platforms": ["nonsense/"]}),
                "platforms[0]",
            ),
            (
                serde_json::json!({"name": "a", "type": "V2", "url": "https://r.example", "pull_repo_patterns": ["["]}),
                "pull_repo_patterns",
            ),
        ] {
            let error = Integration::try_from(wire(body.clone())).unwrap_err();
            assert_eq!(error.field.as_deref(), Some(field), "{body}");
        }
    }

    #[test]
    fn credentials_are_sealed_per_integration_and_never_answered() {
        let key = SealingKey::generate().unwrap();
        let integration = Integration::try_from(wire(serde_json::json!({
            "name": "local", "type": "V2", "url": "https://r.example", "username": "ci",
            "password": "s3cret-pass", "webhook": {"enabled": true}
        })))
        .unwrap();
        let row = to_row(
            &key,
            &integration,
            Some("s3cret-pass"),
            Some("hook-token"),
            None,
            OffsetDateTime::UNIX_EPOCH,
        )
        .unwrap();
        assert!(
            !row.settings.contains("s3cret")
                && !row.credentials.as_ref().unwrap().contains("s3cret")
        );
        let access = access(&key, &row, &integration).unwrap();
        let credentials = access.options.credentials.unwrap();
        assert_eq!(
            (credentials.username.as_str(), credentials.password.as_str()),
            ("ci", "s3cret-pass")
        );
        assert_eq!(
            webhook_token(&key, &row).unwrap().unwrap().as_slice(),
            b"hook-token"
        );
        let answered = serde_json::to_string(&to_wire(&row, &integration)).unwrap();
        assert!(
            !answered.contains("s3cret") && !answered.contains("hook-token"),
            "{answered}"
        );
        assert!(answered.contains(r#""password_set":true"#), "{answered}");
        // A replacement without a password keeps the stored one; "" removes it.
        let kept = to_row(
            &key,
            &integration,
            None,
            None,
            Some(&row),
            OffsetDateTime::UNIX_EPOCH,
        )
        .unwrap();
        assert_eq!(kept.credentials, row.credentials);
        let removed = to_row(
            &key,
            &integration,
            Some(""),
            None,
            Some(&row),
            OffsetDateTime::UNIX_EPOCH,
        )
        .unwrap();
        assert_eq!(removed.credentials, None);
        // Sealed for another integration, it does not open.
        let other = RegistryRow {
            name: "other".into(),
            ..row.clone()
        };
        assert!(webhook_token(&key, &other).is_err());
    }

    #[test]
    fn further_platforms_get_their_own_tags() {
        let integration = Integration::try_from(wire(serde_json::json!({
            "name": "l", "type": "V2", "url": "https://r.example",
            "platforms": ["linux/amd64", "linux/arm64/v8"]
        })))
        .unwrap();
        let arm: Platform = "linux/arm64/v8".parse().unwrap();
        let amd: Platform = "linux/amd64".parse().unwrap();
        assert_eq!(platform_tag(&integration, "1.0", &amd), "1.0");
        assert_eq!(
            platform_tag(&integration, "1.0", &arm),
            "1.0@linux/arm64/v8"
        );
        assert_eq!(
            split_platform_tag(&integration, "1.0@linux/arm64/v8"),
            ("1.0", arm)
        );
        assert_eq!(split_platform_tag(&integration, "1.0"), ("1.0", amd));
    }
}
