//! crun's state: `<root>/<id>/status`, and beside it the copy of the container's OCI
//! `config.json` crun keeps (the annotations, the capabilities, the namespaces).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{
    Host, IdentityError, Namespace, NamespaceKind, Runtime, RuntimeState, own_namespaces, read_json,
};

/// `status`, the fields read.
#[derive(Debug, Deserialize)]
struct Status {
    pid: u32,
    created: String,
    /// Relative to the cgroup2 mount.
    #[serde(rename = "cgroup-path")]
    cgroup_path: String,
    rootfs: PathBuf,
}

/// The OCI runtime configuration, the fields read.
#[derive(Debug, Deserialize)]
struct Config {
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default)]
    process: Option<Process>,
    #[serde(default)]
    linux: Option<Linux>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Process {
    #[serde(default)]
    no_new_privileges: bool,
    #[serde(default)]
    capabilities: Option<Capabilities>,
}

#[derive(Debug, Deserialize)]
struct Capabilities {
    #[serde(default)]
    bounding: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Linux {
    #[serde(default)]
    namespaces: Vec<Namespace>,
}

/// The container's id is its state directory's name, as crun names it.
pub(super) fn read(path: &Path, host: &Host) -> Result<RuntimeState, IdentityError> {
    let status: Status = read_json(path, Runtime::Crun)?;
    let dir = path.parent().unwrap_or(Path::new("/"));
    let id = dir
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Without it the container's namespaces are unknown: not judged until it is there.
    let config: Config = read_json(&dir.join("config.json"), Runtime::Crun)?;
    let process = config.process;
    Ok(RuntimeState {
        id,
        init_pid: status.pid,
        created: status.created,
        cgroup_dir: host
            .cgroup2
            .join(status.cgroup_path.trim_start_matches('/')),
        rootfs: status.rootfs,
        annotations: config.annotations,
        no_new_privileges: process.as_ref().is_some_and(|p| p.no_new_privileges),
        capabilities: process
            .and_then(|p| p.capabilities)
            .map(|c| c.bounding)
            .unwrap_or_default(),
        own_namespaces: own_namespaces(
            &config.linux.map(|l| l.namespaces).unwrap_or_default(),
            namespace_kind,
        ),
    })
}

/// The OCI runtime specification's names.
fn namespace_kind(name: &str) -> NamespaceKind {
    match name {
        "pid" => NamespaceKind::Pid,
        "network" => NamespaceKind::Network,
        "ipc" => NamespaceKind::Ipc,
        "uts" => NamespaceKind::Uts,
        _ => NamespaceKind::Other,
    }
}
