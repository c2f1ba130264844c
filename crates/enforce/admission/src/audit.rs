//! Where decisions are recorded: the enforcer's log (always) and the server's audit log
//! (when there is a server), as `Admission.Control.*` events.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use kabuto_api::server::EnforcerEvent;

use crate::server_source::ServerVerdicts;
use crate::verdict::VerdictError;

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

/// Largest batch sent in one request (the server takes up to 1,000), and how long events wait
/// to join one.
const MAX_BATCH: usize = 500;
const BATCH_WAIT: Duration = Duration::from_millis(500);
/// Events waiting to be sent; beyond this (a server unreachable for long, or slower than the
/// admission rate) new events are dropped and counted, so memory stays bounded.
const MAX_BACKLOG: usize = 2_000;

/// Sends events to the server in batches from a background thread, so a slow server never
/// slows an admission answer.
pub struct ServerAudit {
    sender: SyncSender<EnforcerEvent>,
    dropped: AtomicU64,
}

impl ServerAudit {
    pub fn start(client: ServerVerdicts) -> ServerAudit {
        let (sender, receiver) = sync_channel(MAX_BACKLOG);
        std::thread::Builder::new()
            .name("audit-sender".into())
            .spawn(move || send_loop(&client, &receiver))
            .map_err(|e| tracing::error!("cannot start the audit sender: {e}"))
            .ok();
        ServerAudit {
            sender,
            dropped: AtomicU64::new(0),
        }
    }
}

impl AuditSink for ServerAudit {
    fn record(&self, event: &EnforcerEvent) {
        match self.sender.try_send(event.clone()) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if dropped.is_power_of_two() {
                    tracing::warn!(
                        dropped,
                        "audit events dropped: the server takes them slower than they come \
                         (each is still in this log)"
                    );
                }
            }
            // The sender thread died (its start failure was logged).
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

fn send_loop(client: &ServerVerdicts, receiver: &Receiver<EnforcerEvent>) {
    loop {
        let first = match receiver.recv_timeout(BATCH_WAIT) {
            Ok(event) => event,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
        };
        let mut batch = vec![first];
        batch.extend(receiver.try_iter().take(MAX_BATCH - 1));
        // Retried until the server takes it (new events meanwhile queue up to MAX_BACKLOG),
        // unless it refuses the batch itself: retrying that would never end.
        loop {
            match client.send_events(batch.clone()) {
                Ok(()) => break,
                Err(VerdictError::Refused { status, message })
                    if (400..500).contains(&status) && status != 429 =>
                {
                    tracing::error!(
                        events = batch.len(),
                        status,
                        "the server refused audit events (dropped; each is still in this log): {message}"
                    );
                    break;
                }
                Err(error) => {
                    tracing::warn!(events = batch.len(), "audit events not sent yet: {error}");
                    std::thread::sleep(Duration::from_secs(2));
                }
            }
        }
    }
}
