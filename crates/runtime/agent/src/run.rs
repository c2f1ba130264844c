//! The enforcer's main loop: load the policies and the eBPF programs, register running
//! containers, then judge kernel events until asked to stop; every audit event goes through
//! the spool to the event file (or standard output), syslog and the server. Beside it a
//! thread fetches the server's runtime policies at every refresh (a changed set is taken up
//! without a restart) and reports the enforcer to the server.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kabuto_api::RuntimeAuditEvent;
use kabuto_api::server::{EnforcerEventCounts, EnforcerReport};
use kabuto_client::ServerClient;
use kabuto_runtime_bpf::{Events, ExecMode, ExecOptions, KernelEvent, Sensor};
use kabuto_runtime_policy::{RuntimePolicies, RuntimePolicyError};
use time::OffsetDateTime;

use crate::agent::Agent;
use crate::gate::{ExecGate, GateError, Node};
use crate::identity::{Containers, Host, HostRoot, find_cgroup2};
use crate::policies::{PolicySource, PolicySourceError};
use crate::sinks::{EventFile, SERVER_BATCH, Server, SinkError, Syslog};
use crate::spool::{Spool, SpoolError};

/// How the enforcer runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Runtime policy files; the server's policies apply too when there is a server.
    pub policies: Vec<PathBuf>,
    /// JSON-lines audit events are appended here; `-` is standard output.
    pub events: Option<PathBuf>,
    /// The local syslog socket audit events are sent to.
    pub syslog: Option<PathBuf>,
    pub spool_dir: PathBuf,
    pub spool_max_bytes: u64,
    /// The Kabuto server (with an enforcer's API token): audit events go there, runtime
    /// policies come from there, and the enforcer reports itself there.
    pub server: Option<ServerClient>,
    /// Time between two fetches of the server's policies (and two reports).
    pub policy_refresh: Duration,
    /// runtime state roots (see [`crate::identity::DEFAULT_STATE_ROOTS`]).
    pub state_roots: Vec<PathBuf>,
    /// The cgroup2 mount; found (under `host_root`) when `None`.
    pub cgroup_root: Option<PathBuf>,
    /// Where the host's `/` is (a pod mounts it elsewhere).
    pub host_root: HostRoot,
    pub host: String,
    pub exec_enforcement: ExecEnforcement,
}

/// How denied execs are stopped (`--exec-enforcement`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExecEnforcement {
    /// The best the kernel allows: BPF-LSM, else fanotify, else kill-on-exec.
    #[default]
    Auto,
    /// BPF-LSM only (an error where the kernel refuses it).
    Lsm,
    /// fanotify exec permission events (an error where the kernel has none).
    Fanotify,
    /// `tp_btf` + SIGKILL before the new program runs.
    Kill,
}

/// Why the enforcer could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    #[error(transparent)]
    Policy(#[from] RuntimePolicyError),
    #[error(transparent)]
    PolicySource(PolicySourceError),
    #[error("audit events need somewhere to go: an event file, syslog, a server or more")]
    NoSink,
    #[error(
        "no cgroup2 hierarchy is mounted (looked at /sys/fs/cgroup/unified and /sys/fs/cgroup \
         under the host root)"
    )]
    NoCgroup2,
    #[error("{path}: {source}")]
    Cgroup {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Bpf(#[from] kabuto_runtime_bpf::BpfError),
    #[error("--exec-enforcement lsm: the kernel refused BPF-LSM: {0}")]
    NoLsm(String),
    #[error("--exec-enforcement fanotify: {0}")]
    Gate(#[from] GateError),
    #[error(transparent)]
    Spool(#[from] SpoolError),
    #[error(transparent)]
    Sink(#[from] SinkError),
}

impl From<PolicySourceError> for RunError {
    /// An error in a policy file is a [`RunError::Policy`], as without a server.
    fn from(error: PolicySourceError) -> RunError {
        match error {
            PolicySourceError::Policy(e) => RunError::Policy(e),
            other => RunError::PolicySource(other),
        }
    }
}

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub kernel_events: u64,
    /// Exec events among them.
    pub exec_events: u64,
    pub audit_events: u64,
    /// Audit events the server took.
    pub sent: u64,
    /// Audit events the full spool refused.
    pub dropped: u64,
    /// Kernel events lost because the ring buffer was full.
    pub lost: u64,
}

const FILE_READER: &str = "file";
const SYSLOG_READER: &str = "syslog";
const SERVER_READER: &str = "server";
/// Time between two looks for containers that ended.
const CLEANUP: Duration = Duration::from_secs(10);
/// Time between two looks for containers started without the agent knowing yet.
const DISCOVER: Duration = Duration::from_secs(1);
/// Time between two tries of a failed server delivery.
const SERVER_RETRY: Duration = Duration::from_secs(5);

/// The cgroups of the host whose execs the kernel does not report: the root and the
/// enforcer's own.
fn host_cgroups(root: &Path) -> Result<Vec<u64>, RunError> {
    let id = |path: &Path| {
        kabuto_runtime_bpf::cgroup_id(path).map_err(|source| RunError::Cgroup {
            path: path.to_owned(),
            source,
        })
    };
    let mut ids = vec![id(root)?];
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    if let Some(path) = own.lines().find_map(|line| line.strip_prefix("0::")) {
        let dir = root.join(path.trim_start_matches('/'));
        if let Ok(own) = id(&dir) {
            ids.push(own);
        }
    }
    ids.dedup();
    Ok(ids)
}

/// Runs until `stop` is set. `started` receives the one-line enforcement mode once the
/// programs are attached and running containers registered.
pub fn run(
    config: &Config,
    stop: &AtomicBool,
    started: impl FnOnce(&str),
) -> Result<Summary, RunError> {
    if config.events.is_none() && config.syslog.is_none() && config.server.is_none() {
        return Err(RunError::NoSink);
    }
    let mut delivery = Delivery::open(config)?;
    let mut source = PolicySource::new(&config.policies, config.server.clone(), &config.spool_dir)?;
    let policies = Arc::new(source.initial()?);
    let cgroup_root = match &config.cgroup_root {
        Some(root) => root.clone(),
        None => find_cgroup2(&config.host_root).ok_or(RunError::NoCgroup2)?,
    };
    let (sensor, mut gate, mode) = load(config.exec_enforcement, &cgroup_root, &policies)?;
    let containers = Containers::new(
        config.state_roots.clone(),
        Host {
            name: config.host.clone(),
            root: config.host_root.clone(),
            cgroup2: cgroup_root,
        },
    );
    let status = Mutex::new(EnforcerReport {
        host: config.host.clone(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        mode: String::new(),
        policies: Vec::new(),
        containers: 0,
        events: EnforcerEventCounts::default(),
        interval_seconds: config.policy_refresh.as_secs().max(1),
    });
    let done = AtomicBool::new(false);
    let (updates, changed) = std::sync::mpsc::channel();
    let refresher = Refresher {
        interval: config.policy_refresh,
        stop,
        done: &done,
        status: &status,
    };
    let judged = std::thread::scope(|scope| {
        scope.spawn(|| refresher.run(&mut source, &updates));
        let kernel = Node {
            sensor: &sensor,
            gate: gate.as_mut(),
        };
        let judged = judge(
            config,
            containers,
            kernel,
            (policies, mode),
            Loop {
                stop,
                changed: &changed,
                delivery: &mut delivery,
                status: &status,
            },
            started,
        );
        done.store(true, Ordering::Relaxed);
        judged
    });
    let mut summary = judged?;
    summary.lost = sensor.lost_events()?;
    Ok(summary)
}

/// The agent on the sensor's events, taking up each new policy set from `changed`;
/// `started` gets `mode`, the enforcement line, once running containers are registered.
fn judge(
    config: &Config,
    containers: Containers,
    mut kernel: Node<'_>,
    (mut policies, mode): (Arc<RuntimePolicies>, String),
    mut with: Loop<'_>,
    started: impl FnOnce(&str),
) -> Result<Summary, RunError> {
    let mut parked = Agent::new(&policies, containers, &config.host).park();
    let mut events = kernel.sensor.events()?;
    let mut summary = Summary::default();
    let mut started = Some(started);
    loop {
        let now = OffsetDateTime::now_utc();
        let (mut agent, mut audit) = Agent::resume(&policies, parked, &mut kernel, now);
        if let Some(started) = started.take() {
            audit.extend(agent.register_running(&mut kernel, now));
            started(&mode);
            lock(with.status).mode = mode.clone();
        }
        lock(with.status).policies = policies.policies().iter().map(|p| p.name.clone()).collect();
        with.delivery.spool_all(audit, &mut summary);
        let Some(next) = with.serve(&mut agent, &mut events, &mut kernel, &mut summary)? else {
            return Ok(summary);
        };
        tracing::info!(
            policies = next.policies().len(),
            "runtime policies changed: taking them up"
        );
        parked = agent.park();
        policies = Arc::new(next);
        if let Some(gate) = kernel.gate.as_deref_mut() {
            gate.set_policies(Arc::clone(&policies))?;
        }
    }
}

/// What the agent's loop works with besides the agent.
struct Loop<'a> {
    stop: &'a AtomicBool,
    changed: &'a Receiver<RuntimePolicies>,
    delivery: &'a mut Delivery,
    status: &'a Mutex<EnforcerReport>,
}

impl Loop<'_> {
    /// The agent's loop with one policy set: until the enforcer stops (`None`) or a new set
    /// comes.
    fn serve(
        &mut self,
        agent: &mut Agent<'_>,
        events: &mut Events<'_>,
        kernel: &mut Node<'_>,
        summary: &mut Summary,
    ) -> Result<Option<RuntimePolicies>, RunError> {
        let mut cleanup_at = Instant::now() + CLEANUP;
        let mut discover_at = Instant::now() + DISCOVER;
        loop {
            let stopping = self.stop.load(Ordering::Relaxed);
            // One batch of audit events per poll: one fsync of the spool for all of them.
            let mut audit = Vec::new();
            if Instant::now() >= discover_at {
                audit.extend(agent.register_running(kernel, OffsetDateTime::now_utc()));
                discover_at = Instant::now() + DISCOVER;
            }
            for event in events.poll(Duration::from_millis(100))? {
                summary.kernel_events += 1;
                summary.exec_events += u64::from(matches!(event, KernelEvent::Exec { .. }));
                audit.extend(agent.handle(event, kernel, OffsetDateTime::now_utc()));
            }
            for denial in kernel.denials() {
                audit.extend(agent.denied_exec(denial, kernel, OffsetDateTime::now_utc()));
            }
            self.delivery.spool_all(audit, summary);
            self.delivery.deliver(stopping, summary)?;
            if Instant::now() >= cleanup_at {
                agent.forget_ended(kernel);
                cleanup_at = Instant::now() + CLEANUP;
            }
            self.report(agent.containers(), summary);
            if stopping {
                return Ok(None);
            }
            if let Ok(next) = self.changed.try_recv() {
                return Ok(Some(next));
            }
        }
    }

    fn report(&self, containers: usize, summary: &Summary) {
        let mut status = lock(self.status);
        status.containers = containers as u64;
        status.events = EnforcerEventCounts {
            spooled: summary.audit_events,
            sent: summary.sent,
            dropped: summary.dropped,
        };
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The thread beside the agent: every interval, the server's policies fetched (a changed set
/// sent to the agent) and the enforcer's report sent.
pub struct Refresher<'a> {
    pub interval: Duration,
    /// The enforcer stops.
    pub stop: &'a AtomicBool,
    /// The agent's loop ended (with an error).
    pub done: &'a AtomicBool,
    /// What the report says, kept up to date by the agent's loop.
    pub status: &'a Mutex<EnforcerReport>,
}

impl Refresher<'_> {
    /// Runs until `stop` or `done`; does nothing without a server.
    pub fn run(&self, source: &mut PolicySource, changed: &Sender<RuntimePolicies>) {
        let Some(server) = source.server().cloned() else {
            return;
        };
        let mut next = Instant::now();
        while !self.stop.load(Ordering::Relaxed) && !self.done.load(Ordering::Relaxed) {
            if Instant::now() < next {
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
            next = Instant::now() + self.interval;
            match source.refresh() {
                Ok(Some(set)) => {
                    if changed.send(set).is_err() {
                        return;
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!("the runtime policies in force stay: {e}"),
            }
            let report = lock(self.status).clone();
            if !report.mode.is_empty()
                && let Err(e) = server.send_json("POST", "/api/v1/enforcers", &report)
            {
                tracing::warn!("reporting to the server: {e}");
            }
        }
    }
}

/// The eBPF programs and, when fanotify denies execs, the gate; and the one line that says
/// how execs are stopped and why the better ways were not taken.
fn load(
    choice: ExecEnforcement,
    cgroup_root: &Path,
    policies: &Arc<RuntimePolicies>,
) -> Result<(Sensor, Option<ExecGate>, String), RunError> {
    use ExecEnforcement::{Auto, Fanotify, Kill, Lsm};
    // fanotify is probed first: where it decides, the exec tracepoint must not kill.
    let fanotify = match choice {
        Auto => ExecGate::probe().map_err(|e| e.to_string()),
        Fanotify => {
            ExecGate::probe()?;
            Ok(())
        }
        Lsm | Kill => Err("not chosen".to_owned()),
    };
    let options = ExecOptions {
        lsm: matches!(choice, Auto | Lsm),
        kill: fanotify.is_err(),
    };
    let sensor = Sensor::load_with(cgroup_root, &host_cgroups(cgroup_root)?, options)?;
    let lsm_refused = match sensor.lsm_error() {
        Some(e) => format!("BPF-LSM refused: {e}"),
        None => "BPF-LSM not chosen".to_owned(),
    };
    if sensor.exec_mode() == ExecMode::Lsm {
        let line = sensor.describe();
        return Ok((sensor, None, line));
    }
    if choice == Lsm {
        return Err(RunError::NoLsm(lsm_refused));
    }
    match fanotify {
        Ok(()) => {
            let gate = ExecGate::start(Arc::clone(policies), sensor.exec_contexts()?)?;
            let line = sensor.describe_with_exec(&format!(
                "exec denied with EPERM before the program runs (fanotify FAN_OPEN_EXEC_PERM on \
                 the mounts of containers whose policies enforce exec controls; {lsm_refused})"
            ));
            Ok((sensor, Some(gate), line))
        }
        Err(why) => {
            let line = sensor.describe_with_exec(&format!(
                "{}; fanotify {}",
                sensor.describe_exec(),
                if choice == Kill {
                    "not chosen".to_owned()
                } else {
                    format!("refused: {why}")
                }
            ));
            Ok((sensor, None, line))
        }
    }
}

/// The spool and the sinks it feeds.
struct Delivery {
    spool: Spool,
    file: Option<EventFile>,
    syslog: Option<Syslog>,
    server: Option<Server>,
    server_retry_at: Instant,
}

impl Delivery {
    fn open(config: &Config) -> Result<Delivery, RunError> {
        let mut readers = Vec::new();
        if config.events.is_some() {
            readers.push(FILE_READER);
        }
        if config.syslog.is_some() {
            readers.push(SYSLOG_READER);
        }
        if config.server.is_some() {
            readers.push(SERVER_READER);
        }
        Ok(Delivery {
            spool: Spool::open(&config.spool_dir, config.spool_max_bytes, &readers)?,
            file: config.events.as_deref().map(EventFile::open).transpose()?,
            syslog: config.syslog.as_deref().map(Syslog::connect).transpose()?,
            server: config.server.clone().map(Server::new),
            server_retry_at: Instant::now(),
        })
    }

    /// Spools a batch of audit events with one sync for all of them.
    fn spool_all(&mut self, events: Vec<RuntimeAuditEvent>, summary: &mut Summary) {
        for event in &events {
            tracing::info!(
                policy = %event.policy,
                control = %event.control,
                result = ?event.result,
                container = event.container.as_ref().map_or("", |c| c.id.as_str()),
                "{}",
                event.evidence.message
            );
        }
        let (kept, error) = self.spool.append_all(&events);
        summary.audit_events += kept as u64;
        summary.dropped += (events.len() - kept) as u64;
        if let Some(e) = error {
            tracing::error!("{e}");
        }
    }

    /// Hands the spooled events to each sink; the server is tried again only after
    /// [`SERVER_RETRY`] (or when stopping).
    fn deliver(&mut self, stopping: bool, summary: &mut Summary) -> Result<(), RunError> {
        if let Some(file) = &mut self.file {
            drain(&mut self.spool, FILE_READER, 1000, |events| {
                file.write(events)
            })?;
        }
        if let Some(syslog) = &mut self.syslog
            && let Err(e) = drain(&mut self.spool, SYSLOG_READER, 1000, |e| syslog.send(e))
        {
            tracing::warn!("audit events stay in the spool: {e}");
        }
        if let Some(server) = &self.server
            && (stopping || Instant::now() >= self.server_retry_at)
        {
            match drain(&mut self.spool, SERVER_READER, SERVER_BATCH, |e| {
                server.send(e)
            }) {
                Ok(sent) => summary.sent += sent,
                Err(e) => {
                    tracing::warn!("audit events stay in the spool: {e}");
                    self.server_retry_at = Instant::now() + SERVER_RETRY;
                }
            }
        }
        Ok(())
    }
}

/// Sends `reader`'s pending events in batches of at most `batch`, each acknowledged once
/// sent; returns how many went.
fn drain(
    spool: &mut Spool,
    reader: &str,
    batch: usize,
    mut send: impl FnMut(&[RuntimeAuditEvent]) -> Result<(), SinkError>,
) -> Result<u64, RunError> {
    let mut sent = 0;
    loop {
        let (events, at) = spool.pending(reader, batch)?;
        if events.is_empty() {
            return Ok(sent);
        }
        send(&events)?;
        spool.acknowledge(reader, at)?;
        sent += events.len() as u64;
    }
}
