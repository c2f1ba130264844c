//! The check registry: every check Kabuto runs, with its stable id, its documentation and the
//! benchmark sections it implements. `docs/misconfig-checks.md` is generated from this list.

use kabuto_types::{LineRange, MisconfigCheckId, MisconfigFinding, Severity};
use serde::Serialize;

/// What a check inspects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    Dockerfile,
    Kubernetes,
    ImageConfig,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Dockerfile => "Dockerfile",
            Target::Kubernetes => "Kubernetes",
            Target::ImageConfig => "Image config",
        }
    }
}

/// One documented check.
#[derive(Debug, Serialize)]
pub struct Check {
    /// Stable id: `KBD` Dockerfile, `KBK` Kubernetes, `KBI` image config, then three digits.
    pub id: &'static str,
    pub target: Target,
    pub title: &'static str,
    pub severity: Severity,
    pub description: &'static str,
    pub remediation: &'static str,
    /// Sections of the CIS Docker / CIS Kubernetes benchmarks and the NSA/CISA Kubernetes
    /// Hardening Guide that the check implements.
    pub references: &'static [&'static str],
    /// The closest checks of other scanners (`Trivy DS001`, `Checkov CKV_K8S_20`, `Hadolint DL3005`).
    pub peer_ids: &'static [&'static str],
}

impl Check {
    pub fn check_id(&self) -> MisconfigCheckId {
        MisconfigCheckId::new(self.id)
            .expect("registry ids are static and proven well formed by the registry tests")
    }

    /// A finding of this check at one place.
    pub(crate) fn finding(
        &self,
        path: &str,
        lines: Option<LineRange>,
        resource: Option<String>,
        message: String,
    ) -> MisconfigFinding {
        MisconfigFinding {
            check_id: self.check_id(),
            title: self.title.to_owned(),
            severity: self.severity,
            description: self.description.to_owned(),
            remediation: self.remediation.to_owned(),
            references: self.references.iter().map(|r| (*r).to_owned()).collect(),
            path: path.to_owned(),
            lines,
            resource,
            message,
            layer_diff_id: None,
        }
    }
}

const NSA_POD_SECURITY: &str = "NSA/CISA Kubernetes Hardening Guide: Pod security";
const NSA_NON_ROOT: &str = "NSA/CISA Kubernetes Hardening Guide: Non-root containers";
const NSA_IMMUTABLE: &str = "NSA/CISA Kubernetes Hardening Guide: Immutable container file systems";
const NSA_SA_TOKEN: &str =
    "NSA/CISA Kubernetes Hardening Guide: Protecting Pod service account tokens";
const NSA_RESOURCES: &str = "NSA/CISA Kubernetes Hardening Guide: Resource policies";
const NSA_IMAGES: &str = "NSA/CISA Kubernetes Hardening Guide: Building secure container images";

// ---- Dockerfile ----

pub const DOCKERFILE_LATEST_BASE: Check = Check {
    id: "KBD001",
    target: Target::Dockerfile,
    title: "Base image uses the latest tag or no tag",
    severity: Severity::Medium,
    description: "An untagged or `:latest` base image changes under the build: builds are not reproducible and can silently pick up a broken or compromised image.",
    remediation: "Pin the base image to a version tag, ideally with a digest (`FROM debian:12.8@sha256:...`).",
    references: &["CIS Docker 4.7"],
    peer_ids: &[
        "Trivy DS001",
        "Checkov CKV_DOCKER_7",
        "Hadolint DL3006",
        "Hadolint DL3007",
    ],
};

pub const DOCKERFILE_ROOT_USER: Check = Check {
    id: "KBD002",
    target: Target::Dockerfile,
    title: "Image runs as root",
    severity: Severity::High,
    description: "The final stage sets no USER, or its last USER is root, so the container process runs as uid 0 unless the runtime overrides it.",
    remediation: "Create an unprivileged user and end the final stage with `USER <name or uid>`.",
    references: &["CIS Docker 4.1"],
    peer_ids: &[
        "Trivy DS002",
        "Checkov CKV_DOCKER_3",
        "Checkov CKV_DOCKER_8",
        "Hadolint DL3002",
    ],
};

pub const DOCKERFILE_ADD_REMOTE: Check = Check {
    id: "KBD003",
    target: Target::Dockerfile,
    title: "ADD fetches a remote URL",
    severity: Severity::Medium,
    description: "`ADD <url>` downloads at build time without checksum verification (unless `--checksum` is given), and the download is cached opaquely.",
    remediation: "Download with `curl`/`wget` in a RUN step and verify a checksum, or use `ADD --checksum=sha256:...`.",
    references: &["CIS Docker 4.9"],
    peer_ids: &["Trivy DS005", "Checkov CKV_DOCKER_4", "Hadolint DL3020"],
};

pub const DOCKERFILE_PACKAGE_UPGRADE: Check = Check {
    id: "KBD004",
    target: Target::Dockerfile,
    title: "RUN upgrades all packages",
    severity: Severity::Low,
    description: "`apt-get upgrade`, `dist-upgrade`, `apk upgrade` or a bare `yum update` makes the image depend on the mirror state at build time; fixes belong in the base image.",
    remediation: "Use a newer base image, or upgrade only the named packages that need a fix.",
    references: &["CIS Docker 4.7"],
    peer_ids: &["Hadolint DL3005"],
};

pub const DOCKERFILE_PIPE_TO_SHELL: Check = Check {
    id: "KBD005",
    target: Target::Dockerfile,
    title: "RUN pipes a download into a shell",
    severity: Severity::High,
    description: "`curl ... | sh` runs whatever the server returns, unverified, with the build's privileges.",
    remediation: "Download to a file, verify its checksum or signature, then run it.",
    references: &["CIS Docker 4.9"],
    peer_ids: &["Checkov CKV2_DOCKER_1"],
};

pub const DOCKERFILE_CREDENTIALS: Check = Check {
    id: "KBD006",
    target: Target::Dockerfile,
    title: "Credentials in ENV or ARG",
    severity: Severity::Critical,
    description: "ENV values are stored in the image config and ARG values in the image history: anyone who can pull the image can read them.",
    remediation: "Pass secrets with BuildKit secret mounts (`RUN --mount=type=secret,...`) at build time and through the orchestrator's secrets at run time.",
    references: &["CIS Docker 4.10"],
    peer_ids: &["Trivy DS031", "Checkov CKV_DOCKER_11"],
};

pub const DOCKERFILE_SUDO: Check = Check {
    id: "KBD007",
    target: Target::Dockerfile,
    title: "RUN uses sudo",
    severity: Severity::Medium,
    description: "`sudo` in a Dockerfile means the image ships sudo and its configuration, a privilege-escalation path at run time; build steps can switch USER instead.",
    remediation: "Run privileged build steps under `USER root` and switch back to the unprivileged user afterwards.",
    references: &["CIS Docker 4.1"],
    peer_ids: &["Trivy DS010", "Hadolint DL3004"],
};

pub const DOCKERFILE_INSTALL_RECOMMENDS: Check = Check {
    id: "KBD008",
    target: Target::Dockerfile,
    title: "apt-get install without --no-install-recommends",
    severity: Severity::Low,
    description: "Recommended packages enlarge the image and its attack surface with software nobody asked for.",
    remediation: "Add `--no-install-recommends` to `apt-get install`.",
    references: &["CIS Docker 4.3"],
    peer_ids: &["Trivy DS029", "Hadolint DL3015"],
};

pub const DOCKERFILE_NO_HEALTHCHECK: Check = Check {
    id: "KBD009",
    target: Target::Dockerfile,
    title: "No HEALTHCHECK",
    severity: Severity::Low,
    description: "Without a HEALTHCHECK the engine cannot tell a hung container from a healthy one.",
    remediation: "Add a `HEALTHCHECK CMD ...` that probes the service (orchestrators with their own probes may ignore this).",
    references: &["CIS Docker 4.6"],
    peer_ids: &["Trivy DS026", "Checkov CKV_DOCKER_2"],
};

pub const DOCKERFILE_SSH_PORT: Check = Check {
    id: "KBD010",
    target: Target::Dockerfile,
    title: "SSH or telnet port exposed",
    severity: Severity::Medium,
    description: "Exposing port 22 or 23 suggests a remote-login daemon in the container, an extra entry point to patch and protect.",
    remediation: "Remove the login daemon; use `docker exec` / `kubectl exec` for access.",
    references: &["CIS Docker 4.3", "CIS Docker 5.6"],
    peer_ids: &["Trivy DS004", "Checkov CKV_DOCKER_1"],
};

// ---- Kubernetes ----

pub const K8S_PRIVILEGED: Check = Check {
    id: "KBK001",
    target: Target::Kubernetes,
    title: "Privileged container",
    severity: Severity::High,
    description: "A privileged container has every capability and all host devices: escaping to the node is trivial.",
    remediation: "Set `securityContext.privileged: false` (or remove it) and add only the capabilities needed.",
    references: &["CIS Kubernetes 5.2.2", NSA_POD_SECURITY],
    peer_ids: &["Trivy KSV017", "Checkov CKV_K8S_16"],
};

pub const K8S_HOST_PID: Check = Check {
    id: "KBK002",
    target: Target::Kubernetes,
    title: "Host PID namespace shared",
    severity: Severity::High,
    description: "`hostPID: true` lets the pod see and signal every process on the node, and read their environment.",
    remediation: "Remove `hostPID` or set it to false.",
    references: &["CIS Kubernetes 5.2.3", NSA_POD_SECURITY],
    peer_ids: &["Trivy KSV010", "Checkov CKV_K8S_17"],
};

pub const K8S_HOST_IPC: Check = Check {
    id: "KBK003",
    target: Target::Kubernetes,
    title: "Host IPC namespace shared",
    severity: Severity::High,
    description: "`hostIPC: true` gives the pod the node's shared memory and semaphores.",
    remediation: "Remove `hostIPC` or set it to false.",
    references: &["CIS Kubernetes 5.2.4", NSA_POD_SECURITY],
    peer_ids: &["Trivy KSV008", "Checkov CKV_K8S_18"],
};

pub const K8S_HOST_NETWORK: Check = Check {
    id: "KBK004",
    target: Target::Kubernetes,
    title: "Host network namespace shared",
    severity: Severity::High,
    description: "`hostNetwork: true` puts the pod on the node's interfaces: it can sniff traffic and reach services bound to localhost.",
    remediation: "Remove `hostNetwork` or set it to false; expose ports through a Service.",
    references: &["CIS Kubernetes 5.2.5", NSA_POD_SECURITY],
    peer_ids: &["Trivy KSV009", "Checkov CKV_K8S_19"],
};

pub const K8S_PRIVILEGE_ESCALATION: Check = Check {
    id: "KBK005",
    target: Target::Kubernetes,
    title: "Privilege escalation allowed",
    severity: Severity::Medium,
    description: "Unless `allowPrivilegeEscalation` is false, setuid binaries and file capabilities can give a process more privileges than its parent.",
    remediation: "Set `securityContext.allowPrivilegeEscalation: false` on every container.",
    references: &["CIS Kubernetes 5.2.6", NSA_POD_SECURITY],
    peer_ids: &["Trivy KSV001", "Checkov CKV_K8S_20"],
};

pub const K8S_ADDED_CAPABILITIES: Check = Check {
    id: "KBK006",
    target: Target::Kubernetes,
    title: "Capabilities added",
    severity: Severity::Medium,
    description: "Added Linux capabilities (other than NET_BIND_SERVICE) widen what a compromised process can do to the node, up to root-equivalent for SYS_ADMIN.",
    remediation: "Remove `securityContext.capabilities.add`, or keep it to NET_BIND_SERVICE.",
    references: &["CIS Kubernetes 5.2.9", NSA_POD_SECURITY],
    peer_ids: &["Trivy KSV022", "Trivy KSV106", "Checkov CKV_K8S_39"],
};

pub const K8S_CAPABILITIES_NOT_DROPPED: Check = Check {
    id: "KBK007",
    target: Target::Kubernetes,
    title: "Capabilities not dropped",
    severity: Severity::Low,
    description: "Containers start with the runtime's default capability set (NET_RAW, CHOWN, SETUID...) unless they drop ALL.",
    remediation: "Set `securityContext.capabilities.drop: [ALL]` and add back only what is needed.",
    references: &[
        "CIS Kubernetes 5.2.8",
        "CIS Kubernetes 5.2.10",
        NSA_POD_SECURITY,
    ],
    peer_ids: &[
        "Trivy KSV003",
        "Trivy KSV106",
        "Checkov CKV_K8S_28",
        "Checkov CKV_K8S_37",
    ],
};

pub const K8S_MAY_RUN_AS_ROOT: Check = Check {
    id: "KBK008",
    target: Target::Kubernetes,
    title: "Container may run as root",
    severity: Severity::Medium,
    description: "Neither `runAsNonRoot: true` nor a non-zero `runAsUser` is set, so the image's user, often root, is used.",
    remediation: "Set `runAsNonRoot: true` (pod or container securityContext) and a non-zero `runAsUser`.",
    references: &["CIS Kubernetes 5.2.7", NSA_NON_ROOT],
    peer_ids: &["Trivy KSV012", "Checkov CKV_K8S_23"],
};

pub const K8S_RUN_AS_UID_0: Check = Check {
    id: "KBK009",
    target: Target::Kubernetes,
    title: "Container runs as uid 0",
    severity: Severity::High,
    description: "`runAsUser: 0` runs the container as root explicitly.",
    remediation: "Set `runAsUser` to a non-zero uid.",
    references: &["CIS Kubernetes 5.2.7", NSA_NON_ROOT],
    peer_ids: &["Trivy KSV105", "Checkov CKV_K8S_40"],
};

pub const K8S_WRITABLE_ROOT_FS: Check = Check {
    id: "KBK010",
    target: Target::Kubernetes,
    title: "Root file system is writable",
    severity: Severity::Medium,
    description: "A writable root file system lets an attacker drop tools and persist changes inside the container.",
    remediation: "Set `securityContext.readOnlyRootFilesystem: true` and mount emptyDir volumes where writes are needed.",
    references: &[NSA_IMMUTABLE],
    peer_ids: &["Trivy KSV014", "Checkov CKV_K8S_22"],
};

pub const K8S_HOST_PATH: Check = Check {
    id: "KBK011",
    target: Target::Kubernetes,
    title: "hostPath volume",
    severity: Severity::Medium,
    description: "A hostPath volume exposes the node's file system to the pod; writable mounts of `/`, `/var/run/docker.sock` or `/etc` are a node takeover.",
    remediation: "Use a PersistentVolume, emptyDir, ConfigMap or Secret instead of hostPath.",
    references: &["CIS Kubernetes 5.2.12", NSA_POD_SECURITY],
    peer_ids: &["Trivy KSV023", "Trivy KSV121"],
};

pub const K8S_NO_CPU_LIMIT: Check = Check {
    id: "KBK012",
    target: Target::Kubernetes,
    title: "CPU limit not set",
    severity: Severity::Low,
    description: "Without a CPU limit a container can starve its neighbours on the node.",
    remediation: "Set `resources.limits.cpu`.",
    references: &[NSA_RESOURCES],
    peer_ids: &["Trivy KSV011", "Checkov CKV_K8S_11"],
};

pub const K8S_NO_MEMORY_LIMIT: Check = Check {
    id: "KBK013",
    target: Target::Kubernetes,
    title: "Memory limit not set",
    severity: Severity::Low,
    description: "Without a memory limit a leaking or attacked container can exhaust the node's memory.",
    remediation: "Set `resources.limits.memory`.",
    references: &[NSA_RESOURCES],
    peer_ids: &["Trivy KSV018", "Checkov CKV_K8S_13"],
};

pub const K8S_NO_CPU_REQUEST: Check = Check {
    id: "KBK014",
    target: Target::Kubernetes,
    title: "CPU request not set",
    severity: Severity::Low,
    description: "Without a CPU request the scheduler cannot place the pod sensibly and it is first to be throttled.",
    remediation: "Set `resources.requests.cpu`.",
    references: &[NSA_RESOURCES],
    peer_ids: &["Trivy KSV015", "Checkov CKV_K8S_10"],
};

pub const K8S_NO_MEMORY_REQUEST: Check = Check {
    id: "KBK015",
    target: Target::Kubernetes,
    title: "Memory request not set",
    severity: Severity::Low,
    description: "Without a memory request the pod is in the BestEffort or Burstable class and first to be evicted.",
    remediation: "Set `resources.requests.memory`.",
    references: &[NSA_RESOURCES],
    peer_ids: &["Trivy KSV016", "Checkov CKV_K8S_12"],
};

pub const K8S_SERVICE_ACCOUNT_TOKEN: Check = Check {
    id: "KBK016",
    target: Target::Kubernetes,
    title: "Default service account token mounted",
    severity: Severity::Medium,
    description: "The pod uses the namespace's default service account and mounts its token: anything that compromises the pod gets an API credential it did not need.",
    remediation: "Set `automountServiceAccountToken: false`, or give the pod its own service account with the permissions it needs.",
    references: &["CIS Kubernetes 5.1.5", "CIS Kubernetes 5.1.6", NSA_SA_TOKEN],
    peer_ids: &["Trivy KSV036", "Checkov CKV_K8S_38"],
};

pub const K8S_LATEST_IMAGE: Check = Check {
    id: "KBK017",
    target: Target::Kubernetes,
    title: "Image uses the latest tag or no tag",
    severity: Severity::Medium,
    description: "An untagged or `:latest` image may differ between nodes and restarts; rollbacks and audits cannot tell what ran.",
    remediation: "Reference images by version tag and digest (`app:1.4.2@sha256:...`).",
    references: &[NSA_IMAGES],
    peer_ids: &["Trivy KSV013", "Checkov CKV_K8S_14", "Checkov CKV_K8S_43"],
};

pub const K8S_SECCOMP: Check = Check {
    id: "KBK018",
    target: Target::Kubernetes,
    title: "Seccomp profile not set or unconfined",
    severity: Severity::Low,
    description: "Without a seccomp profile (or with `Unconfined`) the container can make every system call, including rarely needed kernel attack surface.",
    remediation: "Set `securityContext.seccompProfile.type: RuntimeDefault` (pod or container level).",
    references: &["CIS Kubernetes 5.7.2", NSA_POD_SECURITY],
    peer_ids: &["Trivy KSV030", "Trivy KSV104", "Checkov CKV_K8S_31"],
};

// ---- Image config ----

pub const IMAGE_ROOT_USER: Check = Check {
    id: "KBI001",
    target: Target::ImageConfig,
    title: "Image runs as root",
    severity: Severity::High,
    description: "The image config's User is empty, `root` or uid 0: containers run as root unless the runtime overrides it.",
    remediation: "Build the image with a final `USER <non-root>`.",
    references: &["CIS Docker 4.1"],
    peer_ids: &["Trivy DS002 (image config)"],
};

pub const IMAGE_SECRET_ENV: Check = Check {
    id: "KBI002",
    target: Target::ImageConfig,
    title: "Secret-looking environment variable",
    severity: Severity::Critical,
    description: "The image config's Env has a variable named like a credential; everyone who can pull the image can read it.",
    remediation: "Remove the variable from the image and inject the secret at run time.",
    references: &["CIS Docker 4.10"],
    peer_ids: &["Trivy DS031 (image config)"],
};

pub const IMAGE_SSH_PORT: Check = Check {
    id: "KBI003",
    target: Target::ImageConfig,
    title: "SSH or telnet port exposed",
    severity: Severity::Medium,
    description: "The image exposes port 22 or 23, suggesting a remote-login daemon inside the container.",
    remediation: "Remove the login daemon and the EXPOSE.",
    references: &["CIS Docker 4.3", "CIS Docker 5.6"],
    peer_ids: &["Trivy DS004 (image config)"],
};

pub const IMAGE_SETUID: Check = Check {
    id: "KBI004",
    target: Target::ImageConfig,
    title: "setuid or setgid file",
    severity: Severity::Medium,
    description: "setuid/setgid executables run with their owner's privileges: each is a privilege-escalation path if it has a bug.",
    remediation: "Remove the bits in the Dockerfile (`RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +`) unless the program is needed.",
    references: &["CIS Docker 4.8"],
    peer_ids: &[],
};

pub const IMAGE_WORLD_WRITABLE: Check = Check {
    id: "KBI005",
    target: Target::ImageConfig,
    title: "World-writable file in a system path",
    severity: Severity::High,
    description: "A world-writable file under /etc, /usr, /bin, /sbin or /lib can be replaced by any user in the container, e.g. a library or binary root later runs.",
    remediation: "Remove the write bit for others (`chmod o-w`).",
    references: &["CIS Docker 4.8"],
    peer_ids: &[],
};

/// Every check, in id order.
pub static CHECKS: &[&Check] = &[
    &DOCKERFILE_LATEST_BASE,
    &DOCKERFILE_ROOT_USER,
    &DOCKERFILE_ADD_REMOTE,
    &DOCKERFILE_PACKAGE_UPGRADE,
    &DOCKERFILE_PIPE_TO_SHELL,
    &DOCKERFILE_CREDENTIALS,
    &DOCKERFILE_SUDO,
    &DOCKERFILE_INSTALL_RECOMMENDS,
    &DOCKERFILE_NO_HEALTHCHECK,
    &DOCKERFILE_SSH_PORT,
    &IMAGE_ROOT_USER,
    &IMAGE_SECRET_ENV,
    &IMAGE_SSH_PORT,
    &IMAGE_SETUID,
    &IMAGE_WORLD_WRITABLE,
    &K8S_PRIVILEGED,
    &K8S_HOST_PID,
    &K8S_HOST_IPC,
    &K8S_HOST_NETWORK,
    &K8S_PRIVILEGE_ESCALATION,
    &K8S_ADDED_CAPABILITIES,
    &K8S_CAPABILITIES_NOT_DROPPED,
    &K8S_MAY_RUN_AS_ROOT,
    &K8S_RUN_AS_UID_0,
    &K8S_WRITABLE_ROOT_FS,
    &K8S_HOST_PATH,
    &K8S_NO_CPU_LIMIT,
    &K8S_NO_MEMORY_LIMIT,
    &K8S_NO_CPU_REQUEST,
    &K8S_NO_MEMORY_REQUEST,
    &K8S_SERVICE_ACCOUNT_TOKEN,
    &K8S_LATEST_IMAGE,
    &K8S_SECCOMP,
];

/// Looks a check up by id (`KBK001`).
pub fn check(id: &str) -> Option<&'static Check> {
    CHECKS.iter().copied().find(|c| c.id == id)
}

/// The Markdown reference of every check (`docs/misconfig-checks.md`).
pub fn render_markdown() -> String {
    let mut out = String::from(
        "# Misconfiguration checks\n\n\
         Generated from `crates/scan/3-misconfig/src/registry.rs` by the `docs_are_current` test \
         (`UPDATE_DOCS=1 cargo test -p kabuto-misconfig --test registry` rewrites it). Do not edit by hand.\n\n\
         | id | target | severity | title | references | peers |\n|---|---|---|---|---|---|\n",
    );
    for c in CHECKS {
        out.push_str(&format!(
            "| [{id}](#{lower}) | {target} | {sev} | {title} | {refs} | {peers} |\n",
            id = c.id,
            lower = c.id.to_ascii_lowercase(),
            target = c.target.as_str(),
            sev = c.severity,
            title = c.title,
            refs = c.references.join("; "),
            peers = c.peer_ids.join(", "),
        ));
    }
    for c in CHECKS {
        out.push_str(&format!(
            "\n## {}\n\n**{}** ({}, severity {})\n\n{}\n\n*Remediation:* {}\n",
            c.id,
            c.title,
            c.target.as_str(),
            c.severity,
            c.description,
            c.remediation
        ));
        if !c.references.is_empty() {
            out.push_str(&format!("\n*References:* {}\n", c.references.join("; ")));
        }
        if !c.peer_ids.is_empty() {
            out.push_str(&format!(
                "\n*Equivalent checks:* {}\n",
                c.peer_ids.join(", ")
            ));
        }
    }
    out
}
