//! Rule evaluation throughput on one core: a realistic mix of events (execs of ordinary and
//! deny-listed programs, runtime execs, drifted files, connects, file writes) judged against
//! the example policies (`tests/data`), as the enforcer judges them once a container's
//! policies are scoped. Run by `bench/runtime-rules.sh`; prints events/s.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use kabuto_runtime_policy::{
    Action, Container, Entry, Event, FileOp, FileOrigin, Process, RuntimePolicies,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let policies = RuntimePolicies::load(&[data.join("enforce.yaml"), data.join("audit.json")])?;
    let container = Container {
        id: "c1".into(),
        name: "web".into(),
        image: "docker.io/library/debian:12".into(),
        namespace: Some("prod".into()),
        ..Container::default()
    };
    let scoped = policies.for_container(&container);
    let now = time::OffsetDateTime::now_utc();
    let process = |path| Process {
        pid: 4242,
        path,
        comm: "x",
        uid: 1000,
    };
    let events = [
        Event::Exec {
            process: process("/usr/bin/ls"),
            entry: Entry::Init,
            origin: FileOrigin::Original,
            in_image: None,
        },
        Event::Exec {
            process: process("/usr/bin/python3.11"),
            entry: Entry::Init,
            origin: FileOrigin::Original,
            in_image: None,
        },
        Event::Exec {
            process: process("/bin/sh"),
            entry: Entry::Init,
            origin: FileOrigin::Original,
            in_image: None,
        },
        Event::Exec {
            process: process("/usr/bin/nc"),
            entry: Entry::Init,
            origin: FileOrigin::Original,
            in_image: None,
        },
        Event::Exec {
            process: process("/bin/bash"),
            entry: Entry::RuntimeExec,
            origin: FileOrigin::Original,
            in_image: None,
        },
        Event::Exec {
            process: process("/tmp/dropper"),
            entry: Entry::Init,
            origin: FileOrigin::ChangedAfterStart,
            in_image: None,
        },
        Event::Connect {
            process: process("/usr/bin/curl"),
            remote: "192.0.2.1:443".parse()?,
        },
        Event::Connect {
            process: process("/usr/bin/curl"),
            remote: "192.0.2.1:25".parse()?,
        },
        Event::File {
            process: process("/bin/cp"),
            path: "/var/lib/app/data.db",
            op: FileOp::Modify,
        },
        Event::File {
            process: process("/bin/cp"),
            path: "/etc/passwd",
            op: FileOp::Modify,
        },
    ];
    let rounds: usize = std::env::args().nth(1).map_or(Ok(400_000), |n| n.parse())?;
    // Warm up, then measure.
    for event in events.iter().cycle().take(events.len() * 10_000) {
        black_box(scoped.judge(black_box(event), now));
    }
    let mut blocked = 0usize;
    let start = Instant::now();
    for _ in 0..rounds {
        for event in &events {
            blocked += usize::from(scoped.judge(black_box(event), now).action() == Action::Block);
        }
    }
    let elapsed = start.elapsed();
    let total = rounds * events.len();
    println!(
        "runtime rules: {total} events in {:.3} s = {:.2} M events/s on one core ({blocked} blocked, {} policies)",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64() / 1e6,
        scoped.policies().len()
    );
    Ok(())
}
