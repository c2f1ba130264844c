//! Where spooled audit events go: the JSON-lines event file (or standard output), the local
//! syslog socket, and the Kabuto server (`POST /api/v1/audit/events`, as the enforcer's
//! [`EnforcerEvents`]).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

use kabuto_api::server::EnforcerEvents;
use kabuto_api::{AuditResult, RuntimeAuditEvent};
use kabuto_client::{ClientError, ServerClient};

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
    #[error("syslog socket {path}: {source}")]
    Syslog {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Server(#[from] ClientError),
}

/// The path of `--events` that means standard output.
pub const STDOUT: &str = "-";

/// Appends events as JSON lines, on disk (or written to standard output) before
/// [`EventFile::write`] returns.
#[derive(Debug)]
pub struct EventFile {
    path: PathBuf,
    /// `None`: standard output ([`STDOUT`]).
    file: Option<File>,
}

impl EventFile {
    /// The file at `path`, created when missing; `-` is standard output.
    pub fn open(path: &Path) -> Result<EventFile, SinkError> {
        let file = if path == Path::new(STDOUT) {
            None
        } else {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|source| SinkError::File {
                    path: path.to_owned(),
                    source,
                })?;
            Some(file)
        };
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
        match &mut self.file {
            Some(file) => {
                file.write_all(&text).map_err(io)?;
                file.sync_data().map_err(io)
            }
            None => {
                let mut out = std::io::stdout().lock();
                out.write_all(&text).map_err(io)?;
                out.flush().map_err(io)
            }
        }
    }
}

/// The local syslog socket.
pub const SYSLOG_SOCKET: &str = "/dev/log";
/// `auth` (security and authorisation messages).
const SYSLOG_FACILITY: u8 = 4;

/// Sends each event to the local syslog daemon as one RFC 3164 message (as the C library's
/// `syslog()` does on this socket: no host name, the time in UTC), tagged `kabuto-enforcer`,
/// the event's JSON as the text; a block at severity warning, a detection at notice.
#[derive(Debug)]
pub struct Syslog {
    path: PathBuf,
    socket: UnixDatagram,
}

impl Syslog {
    /// Connects to the datagram socket at `path` (normally [`SYSLOG_SOCKET`]).
    pub fn connect(path: &Path) -> Result<Syslog, SinkError> {
        Ok(Syslog {
            path: path.to_owned(),
            socket: Self::connected(path)?,
        })
    }

    fn connected(path: &Path) -> Result<UnixDatagram, SinkError> {
        let io = |source| SinkError::Syslog {
            path: path.to_owned(),
            source,
        };
        let socket = UnixDatagram::unbound().map_err(io)?;
        socket.connect(path).map_err(io)?;
        Ok(socket)
    }

    /// Sends each event; after a failure the socket is connected again once and the rest
    /// sent on it, because a restarted syslog daemon binds a new socket and the old
    /// connection stays refused for good.
    pub fn send(&mut self, events: &[RuntimeAuditEvent]) -> Result<(), SinkError> {
        let pid = std::process::id();
        let mut reconnected = false;
        for event in events {
            let message = syslog_message(event, pid);
            match self.socket.send(message.as_bytes()) {
                Ok(_) => {}
                Err(_) if !reconnected => {
                    reconnected = true;
                    self.socket = Self::connected(&self.path)?;
                    self.send_one(&message)?;
                }
                Err(source) => return Err(self.error(source)),
            }
        }
        Ok(())
    }

    fn send_one(&self, message: &str) -> Result<(), SinkError> {
        self.socket
            .send(message.as_bytes())
            .map(drop)
            .map_err(|source| self.error(source))
    }

    fn error(&self, source: std::io::Error) -> SinkError {
        SinkError::Syslog {
            path: self.path.clone(),
            source,
        }
    }
}

/// `<PRI>Mmm dd hh:mm:ss kabuto-enforcer[PID]: {json}`.
pub fn syslog_message(event: &RuntimeAuditEvent, pid: u32) -> String {
    let severity = match event.result {
        AuditResult::Block => 4,
        AuditResult::Detect => 5,
    };
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[month repr:short] [day padding:space] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default();
    let json = serde_json::to_string(event).unwrap_or_default();
    format!(
        "<{}>{stamp} kabuto-enforcer[{pid}]: {json}",
        u16::from(SYSLOG_FACILITY) * 8 + severity
    )
}

/// The server's audit endpoint with an enforcer's API token.
#[derive(Debug, Clone)]
pub struct Server {
    client: ServerClient,
}

/// The server takes at most this many events per request.
pub const SERVER_BATCH: usize = 500;

impl Server {
    pub fn new(client: ServerClient) -> Server {
        Server { client }
    }

    /// Sends a batch (at most [`SERVER_BATCH`]); success means the server stored them.
    pub fn send(&self, events: &[RuntimeAuditEvent]) -> Result<(), SinkError> {
        let body = EnforcerEvents {
            events: events
                .iter()
                .map(RuntimeAuditEvent::to_enforcer_event)
                .collect(),
        };
        Ok(self
            .client
            .send_json("POST", "/api/v1/audit/events", &body)?)
    }
}
