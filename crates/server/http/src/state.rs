//! What every request shares: the store, the loaded vulnerability database (swapped whole
//! when the file changes), the login limiter, metrics, and the re-evaluation trigger.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use kabuto_api::server::{DatabaseStatus, Reevaluation};
use kabuto_auth::{LoginLimiter, SealingKey};
use kabuto_scan::{Engine, Rules, Scanners};
use kabuto_store::Store;
use kabuto_vulndb::Database;
use tokio::sync::{Notify, Semaphore};

use crate::metrics::Metrics;

pub struct AppState {
    pub store: Store,
    pub vulndb: Vulndb,
    pub limiter: LoginLimiter,
    /// Password checks at once: argon2id takes ~20 MiB and tens of milliseconds each, so
    /// a login flood must queue rather than exhaust memory.
    pub password_checks: Semaphore,
    pub metrics: Metrics,
    /// Wakes the re-evaluation job; the reason is kept until it runs.
    pub reevaluate: Notify,
    pub reevaluate_reason: Mutex<Option<String>>,
    pub last_reevaluation: Mutex<Option<Reevaluation>>,
    /// Cookies get `Secure` when the server speaks TLS.
    pub tls: bool,
    /// Changes whenever stored verdicts may have changed (see `verdict_generation`).
    pub generation: AtomicU64,
    /// Names of the image policies with `block_failed`, loaded on first use and dropped when
    /// policies change.
    pub blocking: RwLock<Option<Arc<BTreeSet<String>>>>,
    /// Seals registry and notification credentials before they reach the store.
    pub sealing: SealingKey,
    /// Registry scans run at once.
    pub scan_workers: usize,
    /// Wakes idle scan workers when jobs are queued.
    pub jobs_ready: Notify,
    /// Wakes the notification delivery loop when something was queued.
    pub outbox: Notify,
    /// Wakes the Harbor scan runner when Harbor sent a request.
    pub harbor_ready: Notify,
    /// The first-run setup code while the server waits for its administrator; held while
    /// one setup request creates it, so two cannot both succeed.
    pub setup: tokio::sync::Mutex<Option<crate::setup::SetupCode>>,
    /// Policy previews at once: each judges up to thousands of images on every core.
    pub previews: Semaphore,
    /// Vulnerabilities grouped across images, by query (the dashboard's top list among
    /// them): grouping 1.6 M rows takes seconds, and the groups change only with the verdict
    /// generation.
    pub vulnerability_groups:
        GenerationCache<kabuto_api::server::Page<kabuto_api::server::VulnerabilityGroup>>,
}

/// Answers kept until the verdict generation moves. The generation is read before the query
/// that fills an entry, so a write during the query makes the next call read again.
pub struct GenerationCache<V> {
    entries: Mutex<(u64, std::collections::HashMap<String, V>)>,
}

impl<V: Clone> GenerationCache<V> {
    /// Most answers kept for one generation (a new one past it starts the cache again).
    const MAX_ENTRIES: usize = 64;

    pub fn new() -> GenerationCache<V> {
        GenerationCache {
            entries: Mutex::new((0, std::collections::HashMap::new())),
        }
    }

    pub fn get(&self, generation: u64, key: &str) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        (entries.0 == generation)
            .then(|| entries.1.get(key).cloned())
            .flatten()
    }

    pub fn put(&self, generation: u64, key: String, value: V) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.0 != generation || entries.1.len() >= Self::MAX_ENTRIES {
                *entries = (generation, std::collections::HashMap::new());
            }
            entries.1.insert(key, value);
        }
    }
}

impl AppState {
    pub fn new(
        store: Store,
        vulndb: Vulndb,
        sealing: SealingKey,
        scan_workers: usize,
        tls: bool,
        generation: u64,
    ) -> AppState {
        AppState {
            store,
            vulndb,
            limiter: LoginLimiter::new(),
            password_checks: Semaphore::new(2),
            metrics: Metrics::new(),
            reevaluate: Notify::new(),
            reevaluate_reason: Mutex::new(None),
            last_reevaluation: Mutex::new(None),
            tls,
            generation: AtomicU64::new(generation),
            blocking: RwLock::new(None),
            sealing,
            scan_workers: scan_workers.max(1),
            jobs_ready: Notify::new(),
            outbox: Notify::new(),
            harbor_ready: Notify::new(),
            setup: tokio::sync::Mutex::new(None),
            previews: Semaphore::new(1),
            vulnerability_groups: GenerationCache::new(),
        }
    }

    /// Asks the background job to evaluate every stored image again.
    pub fn request_reevaluation(&self, reason: impl Into<String>) {
        let reason = reason.into();
        if let Ok(mut pending) = self.reevaluate_reason.lock() {
            *pending = Some(match pending.take() {
                Some(earlier) if earlier != reason => format!("{earlier}; {reason}"),
                _ => reason,
            });
        }
        if let Ok(mut blocking) = self.blocking.write() {
            *blocking = None;
        }
        self.bump_generation();
        self.reevaluate.notify_one();
    }

    /// The verdict generation: admission controllers drop cached verdicts when it changes.
    pub fn verdict_generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// Says verdicts may have changed: a new scan, a change that asks for re-evaluation, and
    /// the end of a re-evaluation pass.
    pub fn bump_generation(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// The image policies that block failing images from running (`block_failed`).
    pub async fn blocking_policies(&self) -> crate::error::ApiResult<Arc<BTreeSet<String>>> {
        if let Some(names) = self.blocking.read().ok().and_then(|b| b.clone()) {
            return Ok(names);
        }
        let judge = crate::evaluate::Judge::load(&self.store).await?;
        let names: BTreeSet<String> = judge
            .policies
            .iter()
            .flat_map(|set| set.policies())
            .filter(|p| p.block_failed)
            .map(|p| p.name.clone())
            .collect();
        let names = Arc::new(names);
        if let Ok(mut blocking) = self.blocking.write() {
            *blocking = Some(Arc::clone(&names));
        }
        Ok(names)
    }
}

/// The server's vulnerability database: loaded at start and again whenever the file
/// changes (`kabuto db update --db` writes it atomically), or on request.
pub struct Vulndb {
    pub path: PathBuf,
    loaded: RwLock<Option<Loaded>>,
}

#[derive(Clone)]
struct Loaded {
    engine: Arc<Engine>,
    built_at: String,
    advisories: u64,
    modified: Option<SystemTime>,
}

#[derive(Debug, thiserror::Error)]
pub enum VulndbError {
    #[error(transparent)]
    Open(#[from] kabuto_vulndb::DbError),
    #[error(transparent)]
    Engine(#[from] kabuto_scan::EngineError),
}

impl Vulndb {
    pub fn new(path: PathBuf) -> Vulndb {
        Vulndb {
            path,
            loaded: RwLock::new(None),
        }
    }

    /// The engine on the current database; `None` until a database was loaded.
    pub fn engine(&self) -> Option<(Arc<Engine>, String)> {
        let loaded = self.loaded.read().ok()?;
        loaded
            .as_ref()
            .map(|l| (Arc::clone(&l.engine), l.built_at.clone()))
    }

    /// Loads the file when it changed since the last load (or was never loaded); true when
    /// a new database is in use. Blocking: call from `spawn_blocking`.
    pub fn reload_if_changed(&self) -> Result<bool, VulndbError> {
        let modified = modified(&self.path);
        if modified.is_none() {
            return Ok(false);
        }
        let current = self
            .loaded
            .read()
            .ok()
            .and_then(|l| l.as_ref().map(|l| l.modified));
        if current == Some(modified) {
            return Ok(false);
        }
        let db = Database::open(&self.path)?;
        let built_at = db.info().built_at.to_string();
        let advisories = db.info().advisories;
        let engine = Engine::new(Some(db), &Rules::default(), pulled_scanners())?;
        if let Ok(mut slot) = self.loaded.write() {
            *slot = Some(Loaded {
                engine: Arc::new(engine),
                built_at,
                advisories,
                modified,
            });
        }
        Ok(true)
    }

    pub fn status(&self, last_reevaluation: Option<Reevaluation>) -> DatabaseStatus {
        let loaded = self.loaded.read().ok().and_then(|l| l.clone());
        DatabaseStatus {
            loaded: loaded.is_some(),
            path: self.path.display().to_string(),
            built_at: loaded.as_ref().map(|l| l.built_at.clone()),
            advisories: loaded.map_or(0, |l| l.advisories),
            last_reevaluation,
        }
    }
}

/// What the server scans in an image it pulls: what `kabuto scan image` scans by default.
/// Stored scans are only matched again (their content findings are carried), which the same
/// engine does: one engine, so the database is held in memory once.
pub fn pulled_scanners() -> Scanners {
    Scanners {
        vuln: true,
        secret: true,
        ..Scanners::default()
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::GenerationCache;

    #[test]
    fn answers_are_kept_for_one_generation_only() {
        let cache = GenerationCache::new();
        cache.put(7, "a".into(), 1);
        assert_eq!(cache.get(7, "a"), Some(1));
        assert_eq!(cache.get(7, "b"), None);
        assert_eq!(cache.get(8, "a"), None, "a new generation reads again");
        cache.put(8, "b".into(), 2);
        assert_eq!(
            cache.get(7, "a"),
            None,
            "the old generation's answers are gone"
        );
        for i in 0..100 {
            cache.put(8, format!("k{i}"), i);
        }
        assert!(cache.get(8, "k99").is_some());
        assert!(cache.get(8, "k0").is_none(), "bounded");
    }
}
