//! Where decisions are recorded: the enforcer's log (always) and the server's audit log
//! (when there is a server), as `Admission.Control.*` events.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use kabuto_api::server::EnforcerEvent;

use crate::server_source::ServerVerdicts;

/// Event names, as Aqua's and NeuVector's consoles name admission events.
pub const ALLOWED: &str = "Admission.Control.Allowed";
pub const DENIED: &str = "Admission.Control.Denied";
/// Allowed, but a policy in audit mode failed or no verdict could be had (fail open).
pub const VIOLATION: &str = "Admission.Control.Violation";

pub trait AuditSink: Send + Sync {
    fn record(&self, event: &EnforcerEvent);
}

/// Writes each event as one JSON line to the log (`kabuto::audit` target).
pub struct LogAudit;

impl AuditSink for LogAudit {
    fn record(&self, event: &EnforcerEvent) {
        let line = serde_json::to_string(event).unwrap_or_default();
        tracing::info!(target: "kabuto::audit", "{line}");
    }
}

/// Largest batch sent in one request, and how long events wait to join one.
const MAX_BATCH: usize = 200;
const BATCH_WAIT: Duration = Duration::from_millis(500);
/// Events kept while the server is unreachable; older ones are dropped (and counted).
const MAX_BACKLOG: usize = 10_000;

/// Sends events to the server in batches from a background thread, so a slow server never
/// slows an admission answer.
pub struct ServerAudit {
    sender: Sender<EnforcerEvent>,
}

impl ServerAudit {
    pub fn start(client: ServerVerdicts) -> ServerAudit {
        let (sender, receiver) = channel();
        std::thread::Builder::new()
            .name("audit-sender".into())
            .spawn(move || send_loop(&client, &receiver))
            .map_err(|e| tracing::error!("cannot start the audit sender: {e}"))
            .ok();
        ServerAudit { sender }
    }
}

impl AuditSink for ServerAudit {
    fn record(&self, event: &EnforcerEvent) {
        // The receiver lives as long as the process; a send error means it died (logged).
        let _ = self.sender.send(event.clone());
    }
}

fn send_loop(client: &ServerVerdicts, receiver: &Receiver<EnforcerEvent>) {
    let mut backlog: Vec<EnforcerEvent> = Vec::new();
    loop {
        let first = match receiver.recv_timeout(BATCH_WAIT) {
            Ok(event) => Some(event),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
        };
        backlog.extend(first);
        backlog.extend(receiver.try_iter().take(MAX_BATCH));
        if backlog.is_empty() {
            continue;
        }
        if backlog.len() > MAX_BACKLOG {
            let dropped = backlog.len() - MAX_BACKLOG;
            backlog.drain(..dropped);
            tracing::warn!(
                dropped,
                "audit events dropped: the server has been unreachable too long"
            );
        }
        let batch: Vec<EnforcerEvent> = backlog.iter().take(MAX_BATCH).cloned().collect();
        let sent = batch.len();
        match client.send_events(batch) {
            Ok(()) => {
                backlog.drain(..sent);
            }
            Err(error) => {
                tracing::warn!(
                    pending = backlog.len(),
                    "audit events not sent yet: {error}"
                );
                std::thread::sleep(Duration::from_secs(2));
            }
        }
    }
}
