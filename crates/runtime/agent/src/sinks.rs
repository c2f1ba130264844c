//! Where spooled audit events go: the JSON-lines event file and the Kabuto server
//! (`POST /api/v1/audit/events`, as the enforcer's [`EnforcerEvents`]).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kabuto_api::RuntimeAuditEvent;
use kabuto_api::server::EnforcerEvents;

/// Why a delivery failed; the events stay in the spool and are sent again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    #[error("event file {path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("server {url}: {message}")]
    Server { url: String, message: String },
}

/// Appends events as JSON lines, on disk before [`EventFile::write`] returns.
#[derive(Debug)]
pub struct EventFile {
    path: PathBuf,
    file: File,
}

impl EventFile {
    pub fn open(path: &Path) -> Result<EventFile, SinkError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| SinkError::File {
                path: path.to_owned(),
                source,
            })?;
        Ok(EventFile {
            path: path.to_owned(),
            file,
        })
    }

    pub fn write(&mut self, events: &[RuntimeAuditEvent]) -> Result<(), SinkError> {
        let io = |source| SinkError::File {
            path: self.path.clone(),
            source,
        };
        let mut text = Vec::new();
        for event in events {
            serde_json::to_writer(&mut text, event).map_err(|e| io(e.into()))?;
            text.push(b'\n');
        }
        self.file.write_all(&text).map_err(io)?;
        self.file.sync_data().map_err(io)
    }
}

/// The server's audit endpoint with an enforcer's API token.
#[derive(Debug, Clone)]
pub struct Server {
    url: String,
    token: String,
    agent: ureq::Agent,
}

/// The server takes at most this many events per request.
pub const SERVER_BATCH: usize = 500;

impl Server {
    pub fn new(base_url: &str, token: &str) -> Server {
        Server {
            url: format!("{}/api/v1/audit/events", base_url.trim_end_matches('/')),
            token: token.to_owned(),
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(10))
                .build(),
        }
    }

    /// Sends a batch (at most [`SERVER_BATCH`]); success means the server stored them.
    pub fn send(&self, events: &[RuntimeAuditEvent]) -> Result<(), SinkError> {
        let body = EnforcerEvents {
            events: events
                .iter()
                .map(RuntimeAuditEvent::to_enforcer_event)
                .collect(),
        };
        let error = |message: String| SinkError::Server {
            url: self.url.clone(),
            message,
        };
        let json = serde_json::to_value(&body).map_err(|e| error(e.to_string()))?;
        match self
            .agent
            .post(&self.url)
            .set("Authorization", &format!("Bearer {}", self.token))
            .send_json(json)
        {
            Ok(_) => Ok(()),
            Err(ureq::Error::Status(code, response)) => {
                let text = response.into_string().unwrap_or_default();
                Err(error(format!("HTTP {code}: {}", text.trim())))
            }
            Err(e) => Err(error(e.to_string())),
        }
    }
}
