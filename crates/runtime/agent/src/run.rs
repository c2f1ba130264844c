//! The enforcer's main loop: load the policies and the eBPF programs, register running
//! containers, then judge kernel events until asked to stop; every audit event goes through
//! the spool to the event file and the server.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kabuto_api::RuntimeAuditEvent;
use kabuto_runtime_bpf::{ExecMode, ExecOptions, KernelEvent, Sensor};
use kabuto_runtime_policy::{RuntimePolicies, RuntimePolicyError};
use time::OffsetDateTime;

use crate::agent::Agent;
use crate::gate::{ExecGate, GateError, Node};
use crate::identity::{Containers, HostRoot};
use crate::sinks::{EventFile, SERVER_BATCH, Server, SinkError};
use crate::spool::{Spool, SpoolError};

/// How the enforcer runs.
#[derive(Debug, Clone)]
pub struct Config {
    pub policies: Vec<PathBuf>,
    /// JSON-lines audit events are appended here.
    pub events: Option<PathBuf>,
    pub spool_dir: PathBuf,
    pub spool_max_bytes: u64,
    /// The Kabuto server's base URL and an enforcer's API token.
    pub server: Option<(String, String)>,
    /// runc state roots (see [`crate::identity::DEFAULT_STATE_ROOTS`]).
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
    #[error("audit events need somewhere to go: an event file, a server or both")]
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

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub kernel_events: u64,
    /// Exec events among them.
    pub exec_events: u64,
    pub audit_events: u64,
    /// Audit events the full spool refused.
    pub dropped: u64,
    /// Kernel events lost because the ring buffer was full.
    pub lost: u64,
}

const FILE_READER: &str = "file";
const SERVER_READER: &str = "server";
/// Time between two looks for containers that ended.
const CLEANUP: Duration = Duration::from_secs(10);
/// Time between two tries of a failed server delivery.
const SERVER_RETRY: Duration = Duration::from_secs(5);

/// The host's cgroup2 mount point: `/sys/fs/cgroup/unified` on hybrid hosts.
pub fn find_cgroup2(host_root: &HostRoot) -> Option<PathBuf> {
    ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"]
        .into_iter()
        .map(|dir| host_root.path(Path::new(dir)))
        .find(|dir| dir.join("cgroup.controllers").is_file())
}

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
    let policies = Arc::new(RuntimePolicies::load(&config.policies)?);
    if config.events.is_none() && config.server.is_none() {
        return Err(RunError::NoSink);
    }
    let cgroup_root = match &config.cgroup_root {
        Some(root) => root.clone(),
        None => find_cgroup2(&config.host_root).ok_or(RunError::NoCgroup2)?,
    };
    let (sensor, mut gate, mode) = load(config.exec_enforcement, &cgroup_root, &policies)?;
    let mut readers = Vec::new();
    if config.events.is_some() {
        readers.push(FILE_READER);
    }
    if config.server.is_some() {
        readers.push(SERVER_READER);
    }
    let mut spool = Spool::open(&config.spool_dir, config.spool_max_bytes, &readers)?;
    let mut file = config.events.as_deref().map(EventFile::open).transpose()?;
    let server = config
        .server
        .as_ref()
        .map(|(url, token)| Server::new(url, token));
    let containers = Containers::new(
        config.state_roots.clone(),
        config.host.clone(),
        config.host_root.clone(),
    );
    let mut agent = Agent::new(&policies, containers, &config.host);
    let mut kernel = Node {
        sensor: &sensor,
        gate: gate.as_mut(),
    };
    let mut summary = Summary::default();
    let mut events = sensor.events()?;
    let registered = agent.register_running(&mut kernel, OffsetDateTime::now_utc());
    spool_all(&mut spool, registered, &mut summary);
    started(&mode);
    let mut server_retry_at = Instant::now();
    let mut cleanup_at = Instant::now() + CLEANUP;
    loop {
        let stopping = stop.load(Ordering::Relaxed);
        for event in events.poll(Duration::from_millis(100))? {
            summary.kernel_events += 1;
            summary.exec_events += u64::from(matches!(event, KernelEvent::Exec { .. }));
            let audit = agent.handle(event, &mut kernel, OffsetDateTime::now_utc());
            spool_all(&mut spool, audit, &mut summary);
        }
        for denial in kernel.denials() {
            let audit = agent.denied_exec(denial, &mut kernel, OffsetDateTime::now_utc());
            spool_all(&mut spool, audit, &mut summary);
        }
        if let Some(file) = &mut file {
            deliver_file(&mut spool, file)?;
        }
        if let Some(server) = &server
            && (stopping || Instant::now() >= server_retry_at)
            && let Err(e) = deliver_server(&mut spool, server)
        {
            tracing::warn!("audit events stay in the spool: {e}");
            server_retry_at = Instant::now() + SERVER_RETRY;
        }
        if Instant::now() >= cleanup_at {
            agent.forget_ended(&mut kernel);
            cleanup_at = Instant::now() + CLEANUP;
        }
        if stopping {
            break;
        }
    }
    summary.lost = sensor.lost_events()?;
    Ok(summary)
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

fn spool_all(spool: &mut Spool, events: Vec<RuntimeAuditEvent>, summary: &mut Summary) {
    for event in events {
        tracing::info!(
            policy = %event.policy,
            control = %event.control,
            result = ?event.result,
            container = event.container.as_ref().map_or("", |c| c.id.as_str()),
            "{}",
            event.evidence.message
        );
        match spool.append(&event) {
            Ok(()) => summary.audit_events += 1,
            Err(e) => {
                summary.dropped += 1;
                tracing::error!("{e}");
            }
        }
    }
}

fn deliver_file(spool: &mut Spool, file: &mut EventFile) -> Result<(), RunError> {
    loop {
        let (events, at) = spool.pending(FILE_READER, 1000)?;
        if events.is_empty() {
            return Ok(());
        }
        file.write(&events)?;
        spool.acknowledge(FILE_READER, at)?;
    }
}

fn deliver_server(spool: &mut Spool, server: &Server) -> Result<(), RunError> {
    loop {
        let (events, at) = spool.pending(SERVER_READER, SERVER_BATCH)?;
        if events.is_empty() {
            return Ok(());
        }
        server.send(&events)?;
        spool.acknowledge(SERVER_READER, at)?;
    }
}
