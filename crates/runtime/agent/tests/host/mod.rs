//! What the tests with real containers need of this machine: root, runc, the fixture image's
//! root filesystem (../shared/images/build-fixture-images.sh, `debian-app`) and a cgroup2
//! hierarchy. Shared by this crate's container tests and the DaemonSet test of the `kabuto`
//! binary (which includes this file by path).

use std::path::PathBuf;
use std::process::Command;

pub fn fixture_rootfs() -> PathBuf {
    let base = std::env::var_os("FIXTURE_DIR").map_or_else(
        || {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/kabuto-fixtures")
        },
        PathBuf::from,
    );
    base.join("out/rootfs/debian-app")
}

/// Root, runc, the fixture rootfs and a cgroup2 hierarchy under `/sys/fs/cgroup`; or a
/// printed `SKIPPED:` note saying which is missing.
pub fn prerequisites(what: &str) -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .is_some_and(|l| l.split_whitespace().nth(2) == Some("0"));
    let why = if !root {
        format!("{what} need root (runc, eBPF)")
    } else if Command::new("runc").arg("--version").output().is_err() {
        "runc is not installed (scripts/setup-runtime.sh)".to_owned()
    } else if !fixture_rootfs().join("bin/sh").exists() {
        format!(
            "no fixture rootfs at {} (run ../shared/images/build-fixture-images.sh)",
            fixture_rootfs().display()
        )
    } else if cgroup2_mount().is_none() {
        "no cgroup2 hierarchy is mounted".to_owned()
    } else {
        return true;
    };
    eprintln!("SKIPPED: {why}");
    false
}

/// Where this host mounts cgroup2: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host.
pub fn cgroup2_mount() -> Option<&'static str> {
    ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
        .into_iter()
        .find(|dir| {
            std::path::Path::new(dir)
                .join("cgroup.controllers")
                .is_file()
        })
}
