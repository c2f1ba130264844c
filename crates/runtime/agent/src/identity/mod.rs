//! Container identity: a cgroup id (what the kernel reports) to the container, from the
//! container runtime's state. runc keeps `<root>/<id>/state.json` (its own root, and those
//! containerd and Docker keep for their runc shims); crun, podman's default runtime, keeps
//! `<root>/<id>/status` beside a copy of the OCI `config.json` ([`runc`], [`crun`]). Either
//! names the container's cgroup (whose inode is the cgroup id), its first process, its start
//! time and its configuration: the OCI annotations carry the image, the Kubernetes pod and
//! namespace (as containerd's CRI plugin and CRI-O write them). Docker writes no such
//! annotations: its own record of the container
//! (`/var/lib/docker/containers/<id>/config.v2.json`) gives the image, the name and the
//! labels. Processes in no known container belong to the host.

mod crun;
mod runc;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kabuto_runtime_policy::{Container, StartConfig};

use crate::image::{Executables, ImageExecutables};
use serde::Deserialize;

/// Where runtimes keep their state directories, each holding `<id>/state.json` (runc) or
/// `<id>/status` (crun): runc's own, containerd's (one per containerd namespace; its shim
/// runs either runtime there), Docker's, crun's own (podman's, rootful).
pub const DEFAULT_STATE_ROOTS: [&str; 5] = [
    "/run/runc",
    "/run/containerd/runc/*",
    "/run/docker/runtime-runc/*",
    "/run/crun",
    "/run/docker/runtime-crun/*",
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
    /// The image's content digest (`sha256:<hex>`), where the runtime recorded it.
    pub image_digest: Option<String>,
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
/// CRI-O's image id annotation (the hex of the image's config digest).
const IMAGE_ID_KEY: &str = "io.kubernetes.cri-o.ImageRef";
const POD_KEYS: [&str; 2] = ["io.kubernetes.pod.name", "io.kubernetes.cri.sandbox-name"];
const NAMESPACE_KEYS: [&str; 2] = [
    "io.kubernetes.pod.namespace",
    "io.kubernetes.cri.sandbox-namespace",
];
const NAME_KEYS: [&str; 2] = [
    "io.kubernetes.container.name",
    "io.kubernetes.cri.container-name",
];

/// What a runtime's state says of one container, whichever runtime wrote it.
#[derive(Debug)]
struct RuntimeState {
    id: String,
    init_pid: u32,
    /// RFC 3339, UTC.
    created: String,
    /// The container's cgroup2 directory, as seen from here.
    cgroup_dir: PathBuf,
    /// The root directory, a host path.
    rootfs: PathBuf,
    annotations: BTreeMap<String, String>,
    no_new_privileges: bool,
    /// The bounding set, `CAP_*` names.
    capabilities: Vec<String>,
    /// The namespaces the container was given new ones of (listed without a path to join).
    own_namespaces: Vec<NamespaceKind>,
}

/// The namespaces whose sharing with the host the runtime policies judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NamespaceKind {
    Pid,
    Network,
    Ipc,
    Uts,
    Other,
}

/// A namespace in a runtime's configuration: a new one when it has no path to join.
#[derive(Debug, Deserialize)]
struct Namespace {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    path: String,
}

/// The kinds of the namespaces the container was given new ones of, each runtime naming
/// them its own way.
fn own_namespaces(list: &[Namespace], kind: fn(&str) -> NamespaceKind) -> Vec<NamespaceKind> {
    list.iter()
        .filter(|ns| ns.path.is_empty())
        .map(|ns| kind(&ns.kind))
        .collect()
}

/// Which runtime wrote a state file, told by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    Runc,
    Crun,
}

impl Runtime {
    const ALL: [Runtime; 2] = [Runtime::Runc, Runtime::Crun];

    /// The state file's name in `<root>/<id>/`.
    fn file_name(self) -> &'static str {
        match self {
            Runtime::Runc => "state.json",
            Runtime::Crun => "status",
        }
    }

    fn of(path: &Path) -> Option<Runtime> {
        let name = path.file_name()?;
        Runtime::ALL.into_iter().find(|r| name == r.file_name())
    }
}

impl std::fmt::Display for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Runtime::Runc => "runc",
            Runtime::Crun => "crun",
        })
    }
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
    #[error("{path}: not a {runtime} state file: {source}")]
    State {
        path: PathBuf,
        runtime: Runtime,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: no cgroup v2 path (a runc state file names it in cgroup_paths)")]
    NoCgroup2 { path: PathBuf },
    #[error("{path}: `created` is not an RFC 3339 time: {text}")]
    Created { path: PathBuf, text: String },
    #[error("{path}: not a runtime's state file (state.json or status)")]
    Unknown { path: PathBuf },
}

/// Where the host's paths are, for reading one state file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// The host's name, in every container's identity.
    pub name: String,
    pub root: HostRoot,
    /// The cgroup2 mount as seen from here: crun names cgroups relative to it.
    pub cgroup2: PathBuf,
}

impl Host {
    /// `name`'s host at `root`, its cgroup2 mount found there (see [`find_cgroup2`]).
    pub fn new(name: impl Into<String>, root: HostRoot) -> Host {
        let cgroup2 = find_cgroup2(&root).unwrap_or_else(|| root.path(Path::new("/sys/fs/cgroup")));
        Host {
            name: name.into(),
            root,
            cgroup2,
        }
    }
}

/// The cgroup2 mount under the host root: `/sys/fs/cgroup/unified` on hybrid hosts, else
/// `/sys/fs/cgroup`.
pub fn find_cgroup2(host_root: &HostRoot) -> Option<PathBuf> {
    ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"]
        .into_iter()
        .map(|dir| host_root.path(Path::new(dir)))
        .find(|dir| dir.join("cgroup.controllers").is_file())
}

/// Reads one runtime state file (runc's `state.json` or crun's `status`).
pub fn read_state(path: &Path, host: &Host) -> Result<ContainerInfo, IdentityError> {
    let state = match Runtime::of(path) {
        Some(Runtime::Runc) => runc::read(path, host)?,
        Some(Runtime::Crun) => crun::read(path, host)?,
        None => {
            return Err(IdentityError::Unknown {
                path: path.to_owned(),
            });
        }
    };
    container_info(path, state, host)
}

/// Reads a state file's text and parses it as `runtime`'s JSON.
fn read_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    runtime: Runtime,
) -> Result<T, IdentityError> {
    let text = std::fs::read_to_string(path).map_err(|source| IdentityError::Io {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| IdentityError::State {
        path: path.to_owned(),
        runtime,
        source,
    })
}

fn container_info(
    path: &Path,
    state: RuntimeState,
    host: &Host,
) -> Result<ContainerInfo, IdentityError> {
    let cgroup_id = cgroup_id_of(&state.cgroup_dir).map_err(|source| IdentityError::Io {
        path: state.cgroup_dir.clone(),
        source,
    })?;
    let created_ns = rfc3339_ns(&state.created).ok_or_else(|| IdentityError::Created {
        path: path.to_owned(),
        text: state.created.clone(),
    })?;
    let mut labels = state.annotations;
    let docker = DockerConfig::read(&host.root, &state.id);
    if let Some(docker) = &docker {
        labels.extend(docker.config.labels.clone());
    }
    let image_digest = labels
        .get(IMAGE_ID_KEY)
        .or(docker.as_ref().map(|d| &d.image_id))
        .and_then(|id| content_digest(id));
    let first = |keys: &[&str]| keys.iter().find_map(|k| labels.get(*k).cloned());
    let shared = |kind| !state.own_namespaces.contains(&kind);
    let capabilities = state.capabilities;
    let start = StartConfig {
        privileged: capabilities.iter().any(|c| c == "CAP_SYS_ADMIN")
            && capabilities.iter().any(|c| c == "CAP_SYS_MODULE"),
        host_network: shared(NamespaceKind::Network),
        host_pid: shared(NamespaceKind::Pid),
        host_ipc: shared(NamespaceKind::Ipc),
        host_uts: shared(NamespaceKind::Uts),
        root_user: process_uid(state.init_pid) == Some(0),
        no_new_privileges: state.no_new_privileges,
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
            host: host.name.clone(),
        },
        cgroup_id,
        cgroup_dir: state.cgroup_dir,
        init_pid: state.init_pid,
        created_ns,
        rootfs: container_root(state.init_pid).unwrap_or_else(|| host.root.path(&state.rootfs)),
        root_dir: host.root.path(&state.rootfs),
        image_digest,
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
    /// The image's id: its config digest.
    #[serde(rename = "Image", default)]
    image_id: String,
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

/// `sha256:<64 hex>`, from that or from the bare hex runtimes also write; `None` for
/// anything else.
fn content_digest(id: &str) -> Option<String> {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    (hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then(|| format!("sha256:{hex}"))
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
    host: Host,
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
    /// `roots` are host paths, read under the host's root.
    pub fn new(roots: Vec<PathBuf>, host: Host) -> Containers {
        Containers {
            roots,
            host,
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
            match read_state(&state, &self.host) {
                Ok(info) => {
                    found.insert(info.cgroup_id, info);
                }
                // A container being created or deleted: its state is not whole yet.
                Err(e) => tracing::debug!("skipped a runtime state file: {e}"),
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
        self.images.request(info, &self.host.root)
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
            let root = self.host.root.path(root);
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
            .filter_map(|dir| {
                Runtime::ALL
                    .into_iter()
                    .map(|runtime| dir.join(runtime.file_name()))
                    .find(|state| state.is_file())
            })
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
        let info = read_state(&path, &Host::new("node-1", HostRoot::default())).expect("state");
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
        assert_eq!(info.image_digest, None, "containerd records no digest here");
        assert_eq!(content_digest("sha256:abc"), None);
        assert_eq!(content_digest(&"A".repeat(64)), None);
        assert_eq!(info.cgroup_id, cgroup_id_of(&cgroup).expect("ino"));
        assert_eq!(info.created_ns, 1_796_662_790_169_621_127);
        assert!(info.start.host_network, "joins another network namespace");
        assert!(!info.start.host_pid && !info.start.privileged);
        assert!(info.start.no_new_privileges);
        assert_eq!(info.rootfs, Path::new("/var/lib/x/rootfs"));
        std::fs::write(&path, "{\"id\": 1}").expect("write");
        assert!(matches!(
            read_state(&path, &Host::new("h", HostRoot::default())),
            Err(IdentityError::State { .. })
        ));
    }

    /// crun's `status` (its real shape, from crun 1.8) and its copy of the OCI config: the
    /// cgroup is named relative to the cgroup2 mount, the id is the directory's name.
    #[test]
    fn a_crun_status_and_its_config_give_identity_and_start_config() {
        let host = tempfile::tempdir().expect("dir");
        let cgroup2 = host.path().join("sys/fs/cgroup/unified");
        std::fs::create_dir_all(cgroup2.join("machine.slice/libpod-c2.scope")).expect("cgroup");
        std::fs::write(cgroup2.join("cgroup.controllers"), "hugetlb\n").expect("controllers");
        let dir = host.path().join("run/crun/c2");
        std::fs::create_dir_all(&dir).expect("state dir");
        let status = serde_json::json!({
            "pid": 999_999_999u32,
            "process-start-time": 2_151_532u64,
            "cgroup-path": "/machine.slice/libpod-c2.scope",
            "scope": "",
            "rootfs": "/var/lib/containers/storage/overlay/abc/merged",
            "systemd-cgroup": false,
            "bundle": "/run/bundle",
            "created": "2026-12-07T22:32:30.384325Z",
            "owner": "root",
            "detached": true,
            "external_descriptors": "[\"/dev/null\"]"
        });
        std::fs::write(dir.join("status"), status.to_string()).expect("status");
        let config = serde_json::json!({
            "ociVersion": "1.0.2",
            "process": {
                "args": ["/bin/sleep", "60"], "cwd": "/", "noNewPrivileges": true,
                "capabilities": {"bounding": ["CAP_SYS_ADMIN", "CAP_SYS_MODULE"]}
            },
            "root": {"path": "rootfs"},
            "annotations": {
                "io.kubernetes.cri-o.ImageName": "quay.io/app:2",
                "io.kubernetes.cri-o.ImageRef": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "io.kubernetes.pod.name": "app-1",
                "io.kubernetes.pod.namespace": "prod"
            },
            "linux": {"namespaces": [
                {"type": "pid"}, {"type": "mount"}, {"type": "uts"},
                {"type": "network", "path": "/proc/1/ns/net"}
            ]}
        });
        std::fs::write(dir.join("config.json"), config.to_string()).expect("config");
        let node = Host::new("node-2", HostRoot::new(host.path()));
        assert_eq!(node.cgroup2, cgroup2, "the hybrid host's cgroup2 mount");
        let mut containers = Containers::new(vec![PathBuf::from("/run/crun")], node.clone());
        let cgroup_id = cgroup_id_of(&cgroup2.join("machine.slice/libpod-c2.scope")).expect("ino");
        let info = containers.lookup(cgroup_id).expect("found").clone();
        assert_eq!(info.container.id, "c2");
        assert_eq!(info.container.image, "quay.io/app:2");
        assert_eq!(
            info.image_digest.as_deref(),
            Some("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
        );
        assert_eq!(info.container.pod.as_deref(), Some("app-1"));
        assert_eq!(info.container.namespace.as_deref(), Some("prod"));
        assert_eq!(info.created_ns, 1_796_682_750_384_325_000);
        assert_eq!(
            info.root_dir,
            host.path()
                .join("var/lib/containers/storage/overlay/abc/merged")
        );
        let start = &info.start;
        assert!(start.privileged && start.no_new_privileges);
        assert!(start.host_network && start.host_ipc, "joined or not new");
        assert!(!start.host_pid && !start.host_uts);
        // Without its config the container is not judged yet; a broken status names crun.
        std::fs::remove_file(dir.join("config.json")).expect("remove");
        assert!(matches!(
            read_state(&dir.join("status"), &node),
            Err(IdentityError::Io { .. })
        ));
        std::fs::write(dir.join("status"), "{\"pid\": \"x\"}").expect("write");
        let error = read_state(&dir.join("status"), &node).expect_err("broken");
        assert!(
            error.to_string().contains("not a crun state file"),
            "{error}"
        );
        assert!(matches!(
            read_state(&dir.join("other.json"), &node),
            Err(IdentityError::Unknown { .. })
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
            Host::new("node-1", host_root),
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
            &Host::new("n", HostRoot::new(host.path())),
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
            "Image": "sha256:0c1d2e3f4a5b6c7d8e9f00112233445566778899aabbccddeeff001122334455",
            "Name": "/checkout",
            "Driver": "overlay2"
        });
        std::fs::write(docker_dir.join("config.v2.json"), config.to_string()).expect("config");
        let info = read_state(
            &state_dir.join("state.json"),
            &Host::new("n", HostRoot::new(host.path())),
        )
        .expect("state");
        assert_eq!(info.container.image, "docker.io/library/nginx:1.27");
        assert_eq!(
            info.image_digest.as_deref(),
            Some("sha256:0c1d2e3f4a5b6c7d8e9f00112233445566778899aabbccddeeff001122334455")
        );
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
            &Host::new("n", HostRoot::new(host.path())),
        )
        .expect("state");
        assert_eq!(
            (info.container.name.as_str(), info.container.image.as_str()),
            (id, "")
        );
    }
}
