//! `kabuto server`: keeps every registered scan, judges it centrally with the server's
//! assurance policies and acknowledgements against the server's vulnerability database,
//! and answers the CI gate, the console and (later) admission controllers over a REST API.
//!
//! ```text
//! upload (Kabuto JSON report) ─> parse ─> StoredScan ─> Engine::reevaluate(server DB, policies, acks)
//!                                                  └─> store: scan once per digest+analyzers, tag -> scan, evaluation
//! policy / acknowledgement / database change ─> background job ─> every stored image judged again
//! registry integrations, Harbor scan requests ─> pull and scan ─> the same ingest as an upload
//! ```
//!
//! Storage is `kabuto-store` (SQLite or PostgreSQL); identities, passwords and tokens are
//! `kabuto-auth`; the bodies are `kabuto_api::server`.

mod console;
mod error;
mod evaluate;
mod extract;
mod harbor;
mod metrics;
mod notifications;
mod openapi;
mod registries;
mod routes;
mod setup;
mod state;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::middleware;
use axum_server::Handle;
use kabuto_auth::{PasswordHash, Role, SealingKey, UserId};
use kabuto_store::{Store, StoreUrl};
use time::OffsetDateTime;

pub use openapi::{Endpoint, Media, endpoints};
pub use routes::openapi_document;

use crate::state::{AppState, Vulndb};

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub store: StoreUrl,
    /// The vulnerability database file (loaded when it appears or changes).
    pub db: PathBuf,
    /// PEM certificate chain and private key; plain HTTP without them.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Allows plain HTTP on a non-loopback address.
    pub insecure_listen: bool,
    /// The administrator's password on first start (`KABUTO_ADMIN_PASSWORD`); without it a
    /// server with no users waits for first-run setup.
    pub admin_password: Option<String>,
    /// Where the server writes its own files (the first-run setup code).
    pub data_dir: PathBuf,
    /// Seals registry and notification credentials at rest ([`load_sealing_key`]).
    pub sealing_key: SealingKey,
    /// Registry scans run at once.
    pub scan_workers: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(
        "refusing to listen on {0} without TLS: give --tls-cert and --tls-key, or \
         --insecure-listen when a proxy in front terminates TLS"
    )]
    Insecure(SocketAddr),
    #[error("KABUTO_ADMIN_PASSWORD: {0}")]
    AdminPassword(#[source] kabuto_auth::AuthError),
    #[error(transparent)]
    Store(#[from] kabuto_store::StoreError),
    #[error("cannot load TLS certificate {cert} or key {key}: {message}")]
    Tls {
        cert: PathBuf,
        key: PathBuf,
        message: String,
    },
    #[error("cannot listen on {addr}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("setup code file {path}")]
    SetupCodeFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("secret key {path}")]
    SecretKeyFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("secret key from {origin}")]
    SecretKey {
        origin: String,
        #[source]
        source: kabuto_auth::AuthError,
    },
    #[error("the server stopped")]
    Serve(#[source] std::io::Error),
}

/// Creates the administrator from `password` when the store has no user (never a default
/// password); false when there were users already.
pub async fn ensure_administrator(store: &Store, password: &str) -> Result<bool, ServerError> {
    if store.user_count().await? > 0 {
        return Ok(false);
    }
    let password =
        kabuto_auth::Password::new(password.to_owned()).map_err(ServerError::AdminPassword)?;
    let hash = tokio::task::spawn_blocking(move || PasswordHash::new(&password))
        .await
        .map_err(|e| ServerError::Serve(std::io::Error::other(e)))?
        .map_err(ServerError::AdminPassword)?;
    store_administrator(store, &hash).await?;
    Ok(true)
}

/// Stores the `administrator` user with its password's hash: the first start's, `kabuto
/// server init`'s and first-run setup's.
pub(crate) async fn store_administrator(
    store: &Store,
    hash: &PasswordHash,
) -> Result<(), kabuto_store::StoreError> {
    store
        .create_user(
            UserId::ADMINISTRATOR,
            Role::Administrator.as_str(),
            Some(hash.as_str()),
            OffsetDateTime::now_utc(),
        )
        .await
}

/// The first-run setup code when the store has no user and no password was given; else the
/// administrator exists (created now from the password when needed).
async fn administrator_or_setup(
    store: &Store,
    config: &ServerConfig,
) -> Result<Option<setup::SetupCode>, ServerError> {
    if store.user_count().await? > 0 {
        return Ok(None);
    }
    match config.admin_password.as_deref() {
        Some(password) => {
            if ensure_administrator(store, password).await? {
                tracing::info!("created the administrator user");
            }
            Ok(None)
        }
        None => setup::SetupCode::create(&config.data_dir).map(Some),
    }
}

/// Writes a new file readable by its owner only (0600), synced to disk; fails when it exists.
pub(crate) fn write_private_file(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    out.write_all(text.as_bytes())?;
    out.sync_all()
}

/// The key that seals credentials at rest: `KABUTO_SECRET_KEY` when set (`from_env`), else
/// the file (64 hex characters), created readable by the owner only on first start. Losing it
/// loses the stored registry and notification credentials, not the scans.
pub fn load_sealing_key(file: &Path, from_env: Option<&str>) -> Result<SealingKey, ServerError> {
    if let Some(text) = from_env {
        return SealingKey::from_text(text).map_err(|source| ServerError::SecretKey {
            origin: "KABUTO_SECRET_KEY".into(),
            source,
        });
    }
    let io = |source| ServerError::SecretKeyFile {
        path: file.to_path_buf(),
        source,
    };
    match std::fs::read_to_string(file) {
        Ok(text) => SealingKey::from_text(&text).map_err(|source| ServerError::SecretKey {
            origin: file.display().to_string(),
            source,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SealingKey::generate().map_err(|source| ServerError::SecretKey {
                origin: "the random number generator".into(),
                source,
            })?;
            write_private_file(file, &format!("{}\n", key.to_text().as_str())).map_err(io)?;
            tracing::info!(file = %file.display(), "created the secret key that seals stored credentials");
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}

/// A started server: its address, and a handle to stop it.
pub struct RunningServer {
    pub addr: SocketAddr,
    handle: Handle<SocketAddr>,
    task: tokio::task::JoinHandle<Result<(), ServerError>>,
    store: Store,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish (up to `grace`), closes the store.
    pub async fn shutdown(self, grace: Duration) -> Result<(), ServerError> {
        self.handle.graceful_shutdown(Some(grace));
        let result = self
            .task
            .await
            .map_err(|e| ServerError::Serve(std::io::Error::other(e)))?;
        self.store.close().await;
        result
    }

    /// Waits until the server stops by itself (it does not, unless serving fails).
    pub async fn wait(self) -> Result<(), ServerError> {
        let result = self
            .task
            .await
            .map_err(|e| ServerError::Serve(std::io::Error::other(e)))?;
        self.store.close().await;
        result
    }

    pub fn handle(&self) -> Handle<SocketAddr> {
        self.handle.clone()
    }
}

/// Opens the store, creates the administrator on first start (or waits for first-run
/// setup), loads the database, binds and serves in the background.
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    let loopback = config.listen.ip().is_loopback();
    if config.tls.is_none() && !loopback && !config.insecure_listen {
        return Err(ServerError::Insecure(config.listen));
    }
    if config.tls.is_none() {
        tracing::warn!(listen = %config.listen, "serving plain HTTP: tokens and passwords cross the network unencrypted");
    }
    let store = Store::open(&config.store).await?;
    let setup = administrator_or_setup(&store, &config).await?;
    let mut state = AppState::new(
        store.clone(),
        Vulndb::new(config.db.clone()),
        config.sealing_key.clone(),
        config.scan_workers,
        config.tls.is_some(),
        initial_generation(),
    );
    state.setup = tokio::sync::Mutex::new(setup);
    let state = Arc::new(state);
    evaluate::reload_database(&state).await;
    if state.vulndb.engine().is_none() {
        tracing::warn!(db = %config.db.display(), "no vulnerability database yet: uploads answer 503 until one is there");
    }
    tokio::spawn(evaluate::reevaluation_job(Arc::clone(&state)));
    registries::worker::start(&state);
    tokio::spawn(registries::schedule::run(Arc::clone(&state)));
    tokio::spawn(notifications::delivery_loop(Arc::clone(&state)));
    tokio::spawn(harbor::runner::run(Arc::clone(&state)));
    let app =
        routes::router(Arc::clone(&state))
            .merge(console::router(Arc::clone(&state)))
            .layer(middleware::from_fn_with_state(
                Arc::clone(&state),
                metrics::record,
            ))
            // Errors are logged where they happen, with their cause; the per-request trace stays
            // at debug level (a readiness probe answering 503 is not an error of the server).
            .layer(tower_http::trace::TraceLayer::new_for_http().on_failure(
                tower_http::trace::DefaultOnFailure::new().level(tracing::Level::DEBUG),
            ))
            .into_make_service_with_connect_info::<SocketAddr>();
    let listener =
        std::net::TcpListener::bind(config.listen).map_err(|source| ServerError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ServerError::Listen {
            addr: config.listen,
            source,
        })?;
    let handle = Handle::new();
    let task = match &config.tls {
        Some((cert, key)) => {
            let tls = tls_config(cert, key)?;
            let server = axum_server::from_tcp_rustls(listener, tls)
                .map_err(|source| ServerError::Listen { addr, source })?
                .handle(handle.clone());
            tokio::spawn(async move { server.serve(app).await.map_err(ServerError::Serve) })
        }
        None => {
            let server = axum_server::from_tcp(listener)
                .map_err(|source| ServerError::Listen { addr, source })?
                .handle(handle.clone());
            tokio::spawn(async move { server.serve(app).await.map_err(ServerError::Serve) })
        }
    };
    tracing::info!(%addr, store = %config.store, tls = config.tls.is_some(), "kabuto server listening");
    Ok(RunningServer {
        addr,
        handle,
        task,
        store,
    })
}

/// Starts the verdict generation from the clock, so a restarted server never repeats a
/// generation an enforcer saw before the restart.
fn initial_generation() -> u64 {
    u64::try_from(OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0) << 20
}

/// rustls with the ring provider (no process-wide default is installed).
fn tls_config(
    cert: &Path,
    key: &Path,
) -> Result<axum_server::tls_rustls::RustlsConfig, ServerError> {
    Ok(axum_server::tls_rustls::RustlsConfig::from_config(
        rustls_server_config(cert, key)?,
    ))
}

/// A rustls server configuration (ring provider, HTTP/1.1) from PEM files: the server's and
/// the admission webhook's.
pub fn rustls_server_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<Arc<rustls::ServerConfig>, ServerError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let fail = |message: String| ServerError::Tls {
        cert: cert.to_path_buf(),
        key: key.to_path_buf(),
        message,
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| fail(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(e.to_string()))?;
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| fail(e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| fail(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
