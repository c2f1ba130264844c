//! runc's `state.json`: what runc (and containerd's and Docker's runc shims) keep of a
//! running container.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{
    Host, IdentityError, Namespace, NamespaceKind, Runtime, RuntimeState, own_namespaces, read_json,
};

/// The fields read.
#[derive(Debug, Deserialize)]
struct State {
    id: String,
    init_process_pid: u32,
    created: String,
    /// Controller to directory; the v2 directory under `""` (unified hosts) or `unified`
    /// (hybrid ones).
    #[serde(default)]
    cgroup_paths: HashMap<String, String>,
    config: Config,
}

#[derive(Debug, Deserialize)]
struct Config {
    #[serde(default)]
    rootfs: PathBuf,
    /// `key=value` strings: the OCI annotations and `bundle=<dir>`.
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    no_new_privileges: bool,
    #[serde(default)]
    capabilities: Option<Capabilities>,
    #[serde(default)]
    namespaces: Vec<Namespace>,
}

#[derive(Debug, Deserialize)]
struct Capabilities {
    #[serde(rename = "Bounding", default)]
    bounding: Vec<String>,
}

pub(super) fn read(path: &Path, host: &Host) -> Result<RuntimeState, IdentityError> {
    let state: State = read_json(path, Runtime::Runc)?;
    let cgroup_dir = state
        .cgroup_paths
        .get("")
        .or_else(|| state.cgroup_paths.get("unified"))
        .map(|dir| host.root.path(Path::new(dir)))
        .ok_or_else(|| IdentityError::NoCgroup2 {
            path: path.to_owned(),
        })?;
    Ok(RuntimeState {
        id: state.id,
        init_pid: state.init_process_pid,
        created: state.created,
        cgroup_dir,
        rootfs: state.config.rootfs,
        annotations: state
            .config
            .labels
            .iter()
            .filter_map(|label| label.split_once('='))
            .filter(|(key, _)| *key != "bundle")
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        no_new_privileges: state.config.no_new_privileges,
        capabilities: state
            .config
            .capabilities
            .map(|c| c.bounding)
            .unwrap_or_default(),
        own_namespaces: own_namespaces(&state.config.namespaces, namespace_kind),
    })
}

/// runc's names, after the clone flags.
fn namespace_kind(name: &str) -> NamespaceKind {
    match name {
        "NEWPID" => NamespaceKind::Pid,
        "NEWNET" => NamespaceKind::Network,
        "NEWIPC" => NamespaceKind::Ipc,
        "NEWUTS" => NamespaceKind::Uts,
        _ => NamespaceKind::Other,
    }
}
