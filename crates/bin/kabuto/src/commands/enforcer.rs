//! `kabuto enforcer`: the runtime enforcer on this node (kabuto-enforcer's main loop).

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use kabuto_enforcer::identity::{DEFAULT_STATE_ROOTS, HostRoot};
use kabuto_enforcer::run::{Config, ExecEnforcement, run as run_enforcer};
use kabuto_enforcer::sinks::SYSLOG_SOCKET;

use super::server::stop_signal;
use crate::cli::{EnforcerArgs, ExecEnforcementArg};

/// Bounds each request to the server.
const SERVER_TIMEOUT: Duration = Duration::from_secs(10);

pub fn run(args: &EnforcerArgs, quiet: bool) -> Result<ExitCode> {
    if args.events.is_none() && !args.syslog && args.client.server.is_none() {
        bail!(
            "give --events FILE (- for standard output), --syslog, --server URL or more: where audit events go"
        );
    }
    let user_agent = concat!("kabuto-enforcer/", env!("CARGO_PKG_VERSION"));
    let server = args
        .client
        .connect("an `enforcer` user", SERVER_TIMEOUT, user_agent)?;
    let host = match &args.host {
        Some(host) => host.clone(),
        None => std::fs::read_to_string("/proc/sys/kernel/hostname")
            .context("reading the host name (or give --host)")?
            .trim()
            .to_owned(),
    };
    let state_roots = if args.state_roots.is_empty() {
        DEFAULT_STATE_ROOTS.iter().map(Into::into).collect()
    } else {
        args.state_roots.clone()
    };
    let config = Config {
        policies: args.policy.clone(),
        events: args.events.clone(),
        syslog: args.syslog.then(|| SYSLOG_SOCKET.into()),
        spool_dir: args.spool.clone(),
        spool_max_bytes: args.spool_max_mb << 20,
        server,
        policy_refresh: args.policy_refresh,
        state_roots,
        cgroup_root: args.cgroup_root.clone(),
        host_root: HostRoot::new(&args.host_root),
        host,
        exec_enforcement: match args.exec_enforcement {
            ExecEnforcementArg::Auto => ExecEnforcement::Auto,
            ExecEnforcementArg::Lsm => ExecEnforcement::Lsm,
            ExecEnforcementArg::Fanotify => ExecEnforcement::Fanotify,
            ExecEnforcementArg::Kill => ExecEnforcement::Kill,
        },
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                runtime.block_on(stop_signal());
            }
            flag.store(true, Ordering::Relaxed);
        })
        .context("starting the signal thread")?;
    let summary = run_enforcer(&config, &stop, |mode| {
        if !quiet {
            eprintln!("kabuto enforcer: {mode}");
        }
    })?;
    if !quiet {
        eprintln!(
            "kabuto enforcer: stopped: {} kernel events ({} execs), {} audit events ({} sent to the server), {} dropped (spool full), {} lost (ring buffer full)",
            summary.kernel_events,
            summary.exec_events,
            summary.audit_events,
            summary.sent,
            summary.dropped,
            summary.lost
        );
    }
    Ok(ExitCode::SUCCESS)
}
