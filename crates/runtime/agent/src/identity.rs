//! Container identity: a cgroup id (what the kernel reports) to the container, from the
//! container runtime's state: runc's state directories (`/run/runc/<id>/state.json`, and
//! those containerd and Docker keep for their runc shims). A state file names the container's
//! cgroup (whose inode is the cgroup id), its first process, its start time and its
//! configuration: labels carry the OCI annotations (image, Kubernetes pod and namespace, as
//! containerd's CRI plugin and CRI-O write them). Docker writes no such annotations: its own
//! record of the container (`/var/lib/docker/containers/<id>/config.v2.json`) gives the
//! image, the name and the labels. Processes in no known container belong to the host.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kabuto_runtime_policy::{Container, StartConfig};

use crate::image::{Executables, ImageExecutables};
use serde::Deserialize;

/// Where runtimes keep runc state directories, each holding `<id>/state.json`: runc's own,
/// containerd's (one per containerd namespace), Docker's.
pub const DEFAULT_STATE_ROOTS: [&str; 3] = [
    "/run/runc",
    "/run/containerd/runc/*",
    "/run/docker/runtime-runc/*",
];

/// Where the host's file system is: `/` on the host itself, the mount of the node's `/` when
/// the enforcer runs in a pod (`--host-root /host`). Runtimes write host paths (state roots,
/// cgroup paths, root file systems); each is read under this root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRoot(PathBuf);

impl HostRoot {
    pub fn new(dir: impl Into<PathBuf>) -> HostRoot {
        HostRoot(dir.into())
    }

    /// `host_path` as seen from here.
    pub fn path(&self, host_path: &Path) -> PathBuf {
        self.0
            .join(host_path.strip_prefix("/").unwrap_or(host_path))
    }
}

impl Default for HostRoot {
    fn default() -> HostRoot {
        HostRoot::new("/")
    }
}

/// What the enforcer knows about one running container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerInfo {
    pub container: Container,
    pub cgroup_id: u64,
    /// The container's cgroup2 directory.
    pub cgroup_dir: PathBuf,
    /// The host pid of the container's first process.
    pub init_pid: u32,
    /// When the runtime created it, ns since the epoch.
    pub created_ns: u64,
    /// The container's root filesystem, as the enforcer reaches it: its first process's
    /// root (`/proc/PID/root`, which needs only the host's pid namespace), else the runtime's
    /// host path under the [`HostRoot`].
    pub rootfs: PathBuf,
    /// The root directory as the runtime prepared it on the host (under the [`HostRoot`]):
    /// without the mounts made inside the container.
    pub root_dir: PathBuf,
    pub start: StartConfig,
}

/// The annotations that name the image, the pod and the container, most specific first.
const IMAGE_KEYS: [&str; 5] = [
    "io.kubernetes.cri.image-name",
    "io.kubernetes.cri-o.ImageName",
    "io.kabuto.image",
    "org.opencontainers.image.ref.name",
    "org.opencontainers.image.base.name",
];
const POD_KEYS: [&str; 2] = ["io.kubernetes.pod.name", "io.kubernetes.cri.sandbox-name"];
const NAMESPACE_KEYS: [&str; 2] = [
    "io.kubernetes.pod.namespace",
    "io.kubernetes.cri.sandbox-namespace",
];
const NAME_KEYS: [&str; 2] = [
    "io.kubernetes.container.name",
    "io.kubernetes.cri.container-name",
];

/// runc's `state.json`, the fields read.
#[derive(Debug, Deserialize)]
struct State {
    id: String,
    init_process_pid: u32,
    created: String,
    #[serde(default)]
    cgroup_paths: HashMap<String, String>,
    config: StateConfig,
}

#[derive(Debug, Deserialize)]
struct StateConfig {
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

#[derive(Debug, Deserialize)]
struct Namespace {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    path: String,
}

/// Why a state file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a runc state file: {source}")]
    State {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: `created` is not an RFC 3339 time: {text}")]
    Created { path: PathBuf, text: String },
}

/// Reads one `state.json`. `cgroup2_root` resolves the cgroup path of hybrid hosts, whose
/// state files name the v2 cgroup under `cgroup_paths[""]`.
pub fn read_state(
    path: &Path,
    host: &str,
    host_root: &HostRoot,
) -> Result<ContainerInfo, IdentityError> {
    let text = std::fs::read_to_string(path).map_err(|source| IdentityError::Io {
        path: path.to_owned(),
        source,
    })?;
    let state: State = serde_json::from_str(&text).map_err(|source| IdentityError::State {
        path: path.to_owned(),
        source,
    })?;
    let cgroup_dir = state
        .cgroup_paths
        .get("")
        .or_else(|| state.cgroup_paths.get("unified"))
        .map(|dir| host_root.path(Path::new(dir)))
        .ok_or_else(|| IdentityError::Io {
            path: path.to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no cgroup v2 path in cgroup_paths",
            ),
        })?;
    let cgroup_id = cgroup_id_of(&cgroup_dir).map_err(|source| IdentityError::Io {
        path: cgroup_dir.clone(),
        source,
    })?;
    let created_ns = rfc3339_ns(&state.created).ok_or_else(|| IdentityError::Created {
        path: path.to_owned(),
        text: state.created.clone(),
    })?;
    let labels: BTreeMap<String, String> = state
        .config
        .labels
        .iter()
        .filter_map(|label| label.split_once('='))
        .filter(|(key, _)| *key != "bundle")
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let docker = DockerConfig::read(host_root, &state.id);
    let mut labels = labels;
    if let Some(docker) = &docker {
        labels.extend(docker.config.labels.clone());
    }
    let first = |keys: &[&str]| keys.iter().find_map(|k| labels.get(*k).cloned());
    let shared = |kind: &str| {
        !state
            .config
            .namespaces
            .iter()
            .any(|ns| ns.kind == kind && ns.path.is_empty())
    };
    let capabilities = state
        .config
        .capabilities
        .map(|c| c.bounding)
        .unwrap_or_default();
    let start = StartConfig {
        privileged: capabilities.iter().any(|c| c == "CAP_SYS_ADMIN")
            && capabilities.iter().any(|c| c == "CAP_SYS_MODULE"),
        host_network: shared("NEWNET"),
        host_pid: shared("NEWPID"),
        host_ipc: shared("NEWIPC"),
        host_uts: shared("NEWUTS"),
        root_user: process_uid(state.init_process_pid) == Some(0),
        no_new_privileges: state.config.no_new_privileges,
        capabilities,
    };
    Ok(ContainerInfo {
        container: Container {
            name: first(&NAME_KEYS)
                .or_else(|| docker.as_ref().map(DockerConfig::name))
                .unwrap_or_else(|| state.id.clone()),
            id: state.id,
            image: first(&IMAGE_KEYS)
                .or_else(|| docker.map(|d| d.config.image))
                .unwrap_or_default(),
            pod: first(&POD_KEYS),
            namespace: first(&NAMESPACE_KEYS),
            labels,
            host: host.to_owned(),
        },
        cgroup_id,
        cgroup_dir,
        init_pid: state.init_process_pid,
        created_ns,
        rootfs: container_root(state.init_process_pid)
            .unwrap_or_else(|| host_root.path(&state.config.rootfs)),
        root_dir: host_root.path(&state.config.rootfs),
        start,
    })
}

/// The root directory of a running process, through /proc.
fn container_root(pid: u32) -> Option<PathBuf> {
    let root = PathBuf::from(format!("/proc/{pid}/root"));
    std::fs::metadata(&root)
        .is_ok_and(|m| m.is_dir())
        .then_some(root)
}

/// What Docker keeps of a container (`config.v2.json`), the fields read.
#[derive(Debug, Deserialize)]
struct DockerConfig {
    #[serde(rename = "Name", default)]
    name: String,
    #[serde(rename = "Config")]
    config: DockerContainerConfig,
}

#[derive(Debug, Deserialize)]
struct DockerContainerConfig {
    #[serde(rename = "Image", default)]
    image: String,
    #[serde(rename = "Labels", default)]
    labels: BTreeMap<String, String>,
}

impl DockerConfig {
    /// Docker's record of container `id`, when Docker runs it (its default data root).
    fn read(host_root: &HostRoot, id: &str) -> Option<DockerConfig> {
        let path = host_root.path(
            &Path::new("/var/lib/docker/containers")
                .join(id)
                .join("config.v2.json"),
        );
        let text = std::fs::read_to_string(path).ok()?;
        serde_json::from_str(&text)
            .inspect_err(|e| tracing::debug!(container = id, "Docker's config.v2.json: {e}"))
            .ok()
    }

    /// The name as `docker ps` shows it.
    fn name(&self) -> String {
        self.name.trim_start_matches('/').to_owned()
    }
}

/// A cgroup's id: the inode of its cgroup2 directory.
fn cgroup_id_of(dir: &Path) -> std::io::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    Ok(std::fs::metadata(dir)?.ino())
}

/// The real uid of a running process, from /proc.
fn process_uid(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `2026-12-07T16:59:50.169621127Z` to ns since the epoch (runc writes UTC with a `Z`).
fn rfc3339_ns(text: &str) -> Option<u64> {
    let at =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    u64::try_from(at.unix_timestamp_nanos()).ok()
}

/// The containers of the state roots, by cgroup id. A root ending in `/*` holds one state
/// root per subdirectory (containerd namespaces).
#[derive(Debug)]
pub struct Containers {
    roots: Vec<PathBuf>,
    host: String,
    host_root: HostRoot,
    /// The executables of the containers' images, walked on request.
    images: ImageExecutables,
    by_cgroup: HashMap<u64, ContainerInfo>,
    /// Cgroups no state file named at the last look, and when: a host cgroup's every exec
    /// would otherwise read all state files again.
    misses: HashMap<u64, Instant>,
}

/// How long a cgroup no state file names is not looked up again.
const MISS_TTL: Duration = Duration::from_millis(200);

impl Containers {
    /// `roots` are host paths, read under `host_root`.
    pub fn new(roots: Vec<PathBuf>, host: String, host_root: HostRoot) -> Containers {
        Containers {
            roots,
            host,
            host_root,
            images: ImageExecutables::new(),
            by_cgroup: HashMap::new(),
            misses: HashMap::new(),
        }
    }

    /// The container of a cgroup id, reading the state roots again when it is not known:
    /// `None` for the host's processes (and containers of runtimes not read).
    pub fn lookup(&mut self, cgroup_id: u64) -> Option<&ContainerInfo> {
        let recent_miss = self
            .misses
            .get(&cgroup_id)
            .is_some_and(|at| at.elapsed() < MISS_TTL);
        if !self.by_cgroup.contains_key(&cgroup_id) && !recent_miss {
            self.rescan();
            if !self.by_cgroup.contains_key(&cgroup_id) {
                self.misses.insert(cgroup_id, Instant::now());
            }
        }
        self.by_cgroup.get(&cgroup_id)
    }

    /// Reads every state file; returns the containers that were not known before.
    pub fn rescan(&mut self) -> Vec<ContainerInfo> {
        let mut found = HashMap::new();
        for state in self.state_files() {
            match read_state(&state, &self.host, &self.host_root) {
                Ok(info) => {
                    found.insert(info.cgroup_id, info);
                }
                // A container being created or deleted: its state is not whole yet.
                Err(e) => tracing::debug!("skipped a runc state file: {e}"),
            }
        }
        let new = found
            .values()
            .filter(|info| !self.by_cgroup.contains_key(&info.cgroup_id))
            .cloned()
            .collect();
        self.by_cgroup = found;
        self.misses.retain(|_, at| at.elapsed() < MISS_TTL);
        new
    }

    /// Starts the walk of the container's image for its executables (once per image);
    /// returns the key [`Containers::executables`] takes.
    pub fn request_executables(&mut self, info: &ContainerInfo) -> String {
        self.images.request(info, &self.host_root)
    }

    /// The executables of an image whose walk is done.
    pub fn executables(&mut self, image: &str) -> Option<Executables> {
        self.images.get(image)
    }

    pub fn all(&self) -> impl Iterator<Item = &ContainerInfo> {
        self.by_cgroup.values()
    }

    fn state_files(&self) -> Vec<PathBuf> {
        let mut roots = Vec::new();
        for root in &self.roots {
            let root = self.host_root.path(root);
            let text = root.to_string_lossy();
            if let Some(parent) = text.strip_suffix("/*") {
                roots.extend(subdirectories(Path::new(parent)));
            } else {
                roots.push(root);
            }
        }
        roots
            .iter()
            .flat_map(|root| subdirectories(root))
            .map(|dir| dir.join("state.json"))
            .filter(|state| state.is_file())
            .collect()
    }
}

fn subdirectories(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runc_state_file_gives_identity_and_start_config() {
        let dir = tempfile::tempdir().expect("dir");
        let cgroup = dir.path().join("cgroup");
        std::fs::create_dir(&cgroup).expect("cgroup dir");
        let state = serde_json::json!({
            "id": "web-1",
            "init_process_pid": 999_999_999u32,
            "created": "2026-12-07T16:59:50.169621127Z",
            "cgroup_paths": {"": cgroup, "memory": "/sys/fs/cgroup/memory/web-1"},
            "config": {
                "rootfs": "/var/lib/x/rootfs",
                "labels": [
                    "io.kubernetes.pod.name=web-7f9",
                    "io.kubernetes.pod.namespace=prod",
                    "io.kubernetes.container.name=web",
                    "io.kubernetes.cri.image-name=docker.io/library/nginx:1.27",
                    "app=shop",
                    "bundle=/run/bundle"
                ],
                "no_new_privileges": true,
                "capabilities": {"Bounding": ["CAP_CHOWN", "CAP_NET_RAW"]},
                "namespaces": [
                    {"type": "NEWPID", "path": ""},
                    {"type": "NEWNET", "path": "/proc/1/ns/net"},
                    {"type": "NEWIPC", "path": ""},
                    {"type": "NEWUTS", "path": ""}
                ]
            }
        });
        let path = dir.path().join("state.json");
        std::fs::write(&path, state.to_string()).expect("write");
        let info = read_state(&path, "node-1", &HostRoot::default()).expect("state");
        assert_eq!(info.container.id, "web-1");
        assert_eq!(info.container.name, "web");
        assert_eq!(info.container.image, "docker.io/library/nginx:1.27");
        assert_eq!(info.container.pod.as_deref(), Some("web-7f9"));
        assert_eq!(info.container.namespace.as_deref(), Some("prod"));
        assert_eq!(
            info.container.labels.get("app").map(String::as_str),
            Some("shop")
        );
        assert!(!info.container.labels.contains_key("bundle"));
        assert_eq!(info.container.host, "node-1");
        assert_eq!(info.cgroup_id, cgroup_id_of(&cgroup).expect("ino"));
        assert_eq!(info.created_ns, 1_796_662_790_169_621_127);
        assert!(info.start.host_network, "joins another network namespace");
        assert!(!info.start.host_pid && !info.start.privileged);
        assert!(info.start.no_new_privileges);
        assert_eq!(info.rootfs, Path::new("/var/lib/x/rootfs"));
        std::fs::write(&path, "{\"id\": 1}").expect("write");
        assert!(matches!(
            read_state(&path, "h", &HostRoot::default()),
            Err(IdentityError::State { .. })
        ));
    }

    /// In a pod (`--host-root /host`) the state roots and the cgroup paths runtimes write are
    /// read under the host root; a running container's root is its first process's
    /// `/proc/PID/root`, else the host path under the host root.
    #[test]
    fn host_paths_are_read_under_the_host_root() {
        let host = tempfile::tempdir().expect("dir");
        let host_root = HostRoot::new(host.path());
        let cgroup = host.path().join("sys/fs/cgroup/kubepods/pod-1/c1");
        std::fs::create_dir_all(&cgroup).expect("cgroup dir");
        let state_dir = host.path().join("run/containerd/runc/k8s.io/c1");
        std::fs::create_dir_all(&state_dir).expect("state dir");
        let state = |pid: u32| {
            serde_json::json!({
                "id": "c1",
                "init_process_pid": pid,
                "created": "2026-12-07T16:59:50Z",
                "cgroup_paths": {"": "/sys/fs/cgroup/kubepods/pod-1/c1"},
                "config": {"rootfs": "/run/containerd/io.containerd.runtime.v2.task/k8s.io/c1/rootfs"}
            })
            .to_string()
        };
        std::fs::write(state_dir.join("state.json"), state(999_999_999)).expect("write");
        let mut containers = Containers::new(
            vec![PathBuf::from("/run/containerd/runc/*")],
            "node-1".into(),
            host_root,
        );
        let id = cgroup_id_of(&cgroup).expect("ino");
        let info = containers
            .lookup(id)
            .expect("found under the host root")
            .clone();
        assert_eq!(info.cgroup_dir, cgroup);
        assert_eq!(
            info.rootfs,
            host.path()
                .join("run/containerd/io.containerd.runtime.v2.task/k8s.io/c1/rootfs")
        );
        // A live first process: its root, through /proc.
        std::fs::write(state_dir.join("state.json"), state(std::process::id())).expect("write");
        let info = read_state(
            &state_dir.join("state.json"),
            "n",
            &HostRoot::new(host.path()),
        )
        .expect("state");
        assert_eq!(
            info.rootfs,
            PathBuf::from(format!("/proc/{}/root", std::process::id()))
        );
        assert_eq!(
            HostRoot::default().path(Path::new("/run/runc")),
            Path::new("/run/runc")
        );
    }

    /// A Docker container: runc's state names no image; Docker's config.v2.json (its real
    /// shape, abridged) gives the image, the name and the labels.
    #[test]
    fn docker_containers_take_image_name_and_labels_from_dockers_record() {
        let host = tempfile::tempdir().expect("dir");
        let id = "3f4e1c9a7b2d";
        let cgroup = host
            .path()
            .join("sys/fs/cgroup/system.slice/docker-3f4e1c9a7b2d.scope");
        std::fs::create_dir_all(&cgroup).expect("cgroup");
        let state_dir = host.path().join("run/docker/runtime-runc/moby").join(id);
        std::fs::create_dir_all(&state_dir).expect("state dir");
        let state = serde_json::json!({
            "id": id,
            "init_process_pid": 999_999_999u32,
            "created": "2026-12-07T16:59:50Z",
            "cgroup_paths": {"": "/sys/fs/cgroup/system.slice/docker-3f4e1c9a7b2d.scope"},
            "config": {"rootfs": "/var/lib/docker/overlay2/abc/merged", "labels": ["bundle=/run/containerd/io.containerd.runtime.v2.task/moby/3f4e1c9a7b2d"]}
        });
        std::fs::write(state_dir.join("state.json"), state.to_string()).expect("state");
        let docker_dir = host.path().join("var/lib/docker/containers").join(id);
        std::fs::create_dir_all(&docker_dir).expect("docker dir");
        let config = serde_json::json!({
            "ID": id,
            "Created": "2026-12-07T16:59:49.9Z",
            "Path": "sleep",
            "Args": ["600"],
            "Config": {
                "Hostname": "3f4e1c9a7b2d",
                "Image": "docker.io/library/nginx:1.27",
                "Labels": {"com.example.team": "shop"},
                "Cmd": ["sleep", "600"]
            },
            "Image": "sha256:0c1d2e3f",
            "Name": "/checkout",
            "Driver": "overlay2"
        });
        std::fs::write(docker_dir.join("config.v2.json"), config.to_string()).expect("config");
        let info = read_state(
            &state_dir.join("state.json"),
            "n",
            &HostRoot::new(host.path()),
        )
        .expect("state");
        assert_eq!(info.container.image, "docker.io/library/nginx:1.27");
        assert_eq!(info.container.name, "checkout");
        assert_eq!(
            info.container
                .labels
                .get("com.example.team")
                .map(String::as_str),
            Some("shop")
        );
        // Without Docker's record: the id names it, and the image is unknown.
        std::fs::remove_file(docker_dir.join("config.v2.json")).expect("remove");
        let info = read_state(
            &state_dir.join("state.json"),
            "n",
            &HostRoot::new(host.path()),
        )
        .expect("state");
        assert_eq!(
            (info.container.name.as_str(), info.container.image.as_str()),
            (id, "")
        );
    }
}
