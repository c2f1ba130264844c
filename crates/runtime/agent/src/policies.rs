//! Where the enforcer's runtime policies come from: its `--policy` files, read once at start,
//! and the server's runtime policies (`GET /api/v2/runtime_policies`), fetched at start and at
//! every refresh. The last good set of the server's is kept in the spool directory, so a
//! restart while the server cannot be reached still enforces it. A set that cannot be used
//! (unreadable, or a name both in a file and at the server) leaves the previous one in force.

use std::path::{Path, PathBuf};

use kabuto_client::{ClientError, ServerClient};
use kabuto_runtime_policy::{RuntimePolicies, RuntimePolicyError};

/// The file in the spool directory that keeps the server's last good set.
pub const CACHE_FILE: &str = "server-runtime-policies.json";
/// How the server's set is named in errors.
const SERVER_SET: &str = "the server's runtime policies";

/// Why no policy set could be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicySourceError {
    #[error(transparent)]
    Policy(#[from] RuntimePolicyError),
    #[error(transparent)]
    Server(#[from] ClientError),
    #[error("{path}: {source}")]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "no runtime policies: give --policy FILE, or --server with a server that can be reached \
         ({reason}) or whose last policies were kept in {cache}"
    )]
    Nothing { reason: String, cache: PathBuf },
}

/// The enforcer's policy files and the server's policies.
#[derive(Debug)]
pub struct PolicySource {
    files: RuntimePolicies,
    server: Option<ServerClient>,
    cache: PathBuf,
    /// The server's set in force, as fetched (JSON text); `None` before the first.
    current: Option<String>,
}

impl PolicySource {
    /// Reads the files (an error in one is fatal); `spool_dir` keeps the server's last set.
    pub fn new(
        files: &[PathBuf],
        server: Option<ServerClient>,
        spool_dir: &Path,
    ) -> Result<PolicySource, PolicySourceError> {
        Ok(PolicySource {
            files: RuntimePolicies::load(files)?,
            server,
            cache: spool_dir.join(CACHE_FILE),
            current: None,
        })
    }

    /// The set to start with: the files' and the server's, or without an answer from the
    /// server its last set kept on disk (or the files' alone when there is none).
    pub fn initial(&mut self) -> Result<RuntimePolicies, PolicySourceError> {
        let Some(server) = &self.server else {
            return Ok(self.files.clone());
        };
        let fetched = fetch(server);
        if let Ok(text) = &fetched
            && let Ok(set) = self.with_server(text)
        {
            self.keep(text)?;
            return Ok(set);
        }
        let reason = match fetched {
            Ok(_) => "its set cannot be used".to_owned(),
            Err(e) => e.to_string(),
        };
        match std::fs::read_to_string(&self.cache) {
            Ok(text) => {
                let set = self.with_server(&text)?;
                tracing::warn!(
                    "{reason}: enforcing the server's policies kept in {}",
                    self.cache.display()
                );
                self.current = Some(text);
                Ok(set)
            }
            Err(_) if !self.files.policies().is_empty() => {
                tracing::warn!("{reason}: enforcing the policy files alone until it answers");
                Ok(self.files.clone())
            }
            Err(_) => Err(PolicySourceError::Nothing {
                reason,
                cache: self.cache.clone(),
            }),
        }
    }

    /// Fetches the server's set again: the new whole set when it changed and can be used,
    /// `None` when it did not change (or there is no server). On an error the set in force
    /// stays.
    pub fn refresh(&mut self) -> Result<Option<RuntimePolicies>, PolicySourceError> {
        let Some(server) = &self.server else {
            return Ok(None);
        };
        let text = fetch(server)?;
        if self.current.as_deref() == Some(text.as_str()) {
            return Ok(None);
        }
        let set = self.with_server(&text)?;
        self.keep(&text)?;
        Ok(Some(set))
    }

    /// The server this source asks, if any.
    pub fn server(&self) -> Option<&ServerClient> {
        self.server.as_ref()
    }

    /// The files' policies and those of the server's set `text`.
    fn with_server(&self, text: &str) -> Result<RuntimePolicies, PolicySourceError> {
        Ok(self
            .files
            .clone()
            .merge(parse_server_set(text)?, SERVER_SET)?)
    }

    /// Makes `text` the set in force and keeps it on disk (written whole, then renamed).
    fn keep(&mut self, text: &str) -> Result<(), PolicySourceError> {
        let io = |source| PolicySourceError::Cache {
            path: self.cache.clone(),
            source,
        };
        let partial = self.cache.with_extension("json.partial");
        std::fs::write(&partial, text).map_err(io)?;
        std::fs::rename(&partial, &self.cache).map_err(io)?;
        self.current = Some(text.to_owned());
        Ok(())
    }
}

/// The server's runtime policies as JSON text (a list of policy documents).
fn fetch(server: &ServerClient) -> Result<String, ClientError> {
    let list: Vec<serde_json::Value> = server.get_json("/api/v2/runtime_policies")?;
    serde_json::to_string(&list).map_err(|e| ClientError::BadAnswer {
        url: server.url("/api/v2/runtime_policies"),
        message: e.to_string(),
    })
}

/// A list of policy documents; an empty list is an empty set (the server has none yet).
fn parse_server_set(text: &str) -> Result<RuntimePolicies, RuntimePolicyError> {
    if serde_json::from_str::<Vec<serde_json::Value>>(text).is_ok_and(|list| list.is_empty()) {
        return Ok(RuntimePolicies::default());
    }
    RuntimePolicies::parse(text, SERVER_SET)
}
