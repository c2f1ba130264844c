//! Registry integrations (`/api/v1/registries`, Aqua's fields) and the scan jobs they queue
//! (`/api/v1/scan_jobs`).

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A registry integration: what `POST /api/v1/registries` and `PUT /api/v1/registries/{name}`
/// take and `GET` answers. Credentials are write-only: `password` and `webhook.auth_token` are
/// never answered (`password_set` says whether one is stored). A `PUT` without `password`
/// keeps the stored one; `"password": ""` removes it. Read-only fields sent back are ignored,
/// so a `GET` body can be edited and `PUT` as it is.
#[derive(Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Registry {
    /// 1 to 64 letters, digits, `.`, `_`, `-`.
    pub name: String,
    /// `HUB` (Docker Hub), `V2` (any OCI distribution registry), `HARBOR`, `GHCR`, `ACR`,
    /// `GCR`, `GAR`, `AWS` (ECR; the password is `aws ecr get-login-password`'s output, which
    /// expires after 12 hours).
    #[serde(rename = "type")]
    pub registry_type: String,
    /// `https://host[:port]` (`http://` speaks plain HTTP); Docker Hub's is implied for `HUB`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The password or access token (write-only).
    #[serde(default, skip_serializing)]
    pub password: Option<String>,
    /// Read-only: a password is stored.
    #[serde(default)]
    pub password_set: bool,
    /// Pull new images on a schedule.
    #[serde(default)]
    pub auto_pull: bool,
    /// Days between pulls (Aqua's unit; default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_pull_interval: Option<u32>,
    /// Seconds between pulls, at least 5; overrides `auto_pull_interval` (Kabuto).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_pull_interval_seconds: Option<u32>,
    /// Most images queued per pull (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_pull_max: Option<u32>,
    /// Scan tags again on every pull even when their digest was scanned before.
    #[serde(default)]
    pub auto_pull_rescan: bool,
    /// Repositories to pull (`*` wildcards; all when empty).
    #[serde(default)]
    pub pull_repo_patterns: Vec<String>,
    #[serde(default)]
    pub pull_repo_patterns_excluded: Vec<String>,
    /// Tags to pull (`*` wildcards; all when empty).
    #[serde(default)]
    pub pull_tags_pattern: Vec<String>,
    /// Newest tags per repository (by version order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_max_tags: Option<u32>,
    /// Skip images created longer ago than this: `30D`, `12H`, `2W`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_image_age: Option<String>,
    /// Platforms of multi-arch images to scan, e.g. `["linux/amd64", "linux/arm64"]`
    /// (default linux on the server's architecture). Further platforms are registered under
    /// the tag `TAG@os/arch` (Kabuto).
    #[serde(default)]
    pub platforms: Vec<String>,
    #[serde(default)]
    pub webhook: RegistryWebhook,
    /// Read-only: the last scheduled or requested pull.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_pull: Option<PullStatus>,
    /// Read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("name", &self.name)
            .field("type", &self.registry_type)
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// Registry push events: the registry (docker-registry's `notifications`, Harbor's webhook
/// policy, or anything that posts distribution events) posts to `url` with
/// `Authorization: Bearer <auth_token>`.
#[derive(Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistryWebhook {
    #[serde(default)]
    pub enabled: bool,
    /// Read-only: the path to post events to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The token the registry presents. Write-only, except that the answer to a `POST`
    /// shows a token the server made (enabled without one) once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_token: Option<String>,
}

/// How the last pull of an integration went.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct PullStatus {
    pub at: String,
    /// Jobs queued (new or moved tags).
    pub queued: usize,
    /// Tags whose digest was scanned before.
    pub known: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `POST /api/v1/registries/{name}/scan` and a webhook's answer: what the pull queued.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct PullResult {
    pub registry: String,
    pub status: PullStatus,
    /// Ids of the queued jobs (see `/api/v1/scan_jobs`).
    pub jobs: Vec<i64>,
}

/// A push webhook's answer: the pushed `repository:tag`s taken (each is pulled in the
/// background when the integration selects it; see `/api/v1/scan_jobs`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct PushesAccepted {
    pub accepted: Vec<String>,
}

/// A scan job (`GET /api/v1/scan_jobs`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct ScanJob {
    pub id: i64,
    pub registry: String,
    pub repository: String,
    pub tag: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// `poll`, `webhook`, `request`, `rescan`.
    pub reason: String,
    /// `pending`, `running`, `done`, `failed`, `cancelled`, `skipped`.
    pub state: String,
    pub attempts: i64,
    pub max_attempts: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<String>,
}
