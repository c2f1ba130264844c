//! Kubernetes manifest checks (`KBK...`) on every workload's pod template.

mod yaml;

use kabuto_types::{LineRange, MisconfigFinding};

use yaml::Node;
pub use yaml::{MAX_ALIASES, MAX_HEIGHT, YamlError};

use crate::dockerfile::{ImageTag, image_tag};
use crate::registry::{
    Check, K8S_ADDED_CAPABILITIES, K8S_CAPABILITIES_NOT_DROPPED, K8S_HOST_IPC, K8S_HOST_NETWORK,
    K8S_HOST_PATH, K8S_HOST_PID, K8S_LATEST_IMAGE, K8S_MAY_RUN_AS_ROOT, K8S_NO_CPU_LIMIT,
    K8S_NO_CPU_REQUEST, K8S_NO_MEMORY_LIMIT, K8S_NO_MEMORY_REQUEST, K8S_PRIVILEGE_ESCALATION,
    K8S_PRIVILEGED, K8S_RUN_AS_UID_0, K8S_SECCOMP, K8S_SERVICE_ACCOUNT_TOKEN, K8S_WRITABLE_ROOT_FS,
};

/// `List` kinds may nest; more than this is not a real manifest.
const MAX_LIST_NESTING: usize = 4;

/// Checks every workload in a YAML stream.
pub(crate) fn scan(path: &str, text: &str) -> Result<Vec<MisconfigFinding>, YamlError> {
    let documents = yaml::parse_stream(text)?;
    let sources = helm_sources(text);
    let mut scanner = Scanner {
        path,
        findings: Vec::new(),
        source: None,
    };
    let mut objects = 0usize;
    for (index, document) in documents.iter().enumerate() {
        scanner.source = sources
            .iter()
            .rev()
            .find(|(line, _)| *line < document.line)
            .filter(|(line, _)| index == 0 || *line > documents[index - 1].root.end_line)
            .map(|(_, source)| source.as_str());
        if scanner.object(&document.root, 0) {
            objects += 1;
        } else {
            tracing::debug!(
                path,
                document = index + 1,
                line = document.line,
                "not a Kubernetes object (no apiVersion/kind); skipped"
            );
        }
    }
    if objects == 0 {
        tracing::debug!(path, "no Kubernetes objects in file");
    }
    Ok(scanner.findings)
}

/// `# Source: chart/templates/x.yaml` comments of `helm template` output, with their lines.
fn helm_sources(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let source = line.trim().strip_prefix("# Source:")?.trim();
            (!source.is_empty()).then(|| (i + 1, source.to_owned()))
        })
        .collect()
}

struct Scanner<'a> {
    path: &'a str,
    findings: Vec<MisconfigFinding>,
    /// The Helm template the current document was rendered from.
    source: Option<&'a str>,
}

/// Which list a container comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ContainerKind {
    Regular,
    Init,
    Ephemeral,
}

impl ContainerKind {
    fn field(self) -> &'static str {
        match self {
            ContainerKind::Regular => "containers",
            ContainerKind::Init => "initContainers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }

    fn label(self) -> &'static str {
        match self {
            ContainerKind::Regular => "container",
            ContainerKind::Init => "initContainer",
            ContainerKind::Ephemeral => "ephemeralContainer",
        }
    }
}

/// A pod template and the object holding it.
struct Pod<'n> {
    /// `Deployment/web`.
    resource: String,
    metadata: Option<&'n Node>,
    spec: &'n Node,
}

fn range(node: &Node) -> LineRange {
    LineRange {
        start: node.line,
        end: node.end_line,
    }
}

/// Where a setting is: the key's line through the value's last line.
fn setting_range(parent: &Node, key: &str) -> Option<LineRange> {
    let value = parent.get(key)?;
    Some(LineRange {
        start: parent.key_line(key).unwrap_or(value.line),
        end: value.end_line,
    })
}

impl Scanner<'_> {
    fn report(&mut self, check: &Check, lines: LineRange, resource: &str, message: String) {
        let message = match self.source {
            Some(source) => format!("{message} (rendered from {source})"),
            None => message,
        };
        self.findings.push(check.finding(
            self.path,
            Some(lines),
            Some(resource.to_owned()),
            message,
        ));
    }

    /// Checks one object; false when `node` is not a Kubernetes object at all.
    fn object(&mut self, node: &Node, nesting: usize) -> bool {
        let (Some(kind), Some(_)) = (
            node.get("kind").and_then(Node::as_str),
            node.get("apiVersion").and_then(Node::as_str),
        ) else {
            return false;
        };
        if kind.ends_with("List") {
            if nesting < MAX_LIST_NESTING {
                for item in node.get("items").map(Node::items).unwrap_or_default() {
                    self.object(item, nesting + 1);
                }
            }
            return true;
        }
        let template = match kind {
            "Pod" => Some(node),
            "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "Job"
            | "ReplicationController" => node.path(&["spec", "template"]),
            "CronJob" => node.path(&["spec", "jobTemplate", "spec", "template"]),
            "PodTemplate" => node.get("template"),
            _ => None,
        };
        let Some(spec) = template.and_then(|t| t.get("spec")).filter(|s| s.is_map()) else {
            return true;
        };
        let name = node
            .path(&["metadata", "name"])
            .and_then(Node::as_str)
            .unwrap_or("<unnamed>");
        let pod = Pod {
            resource: format!("{kind}/{name}"),
            metadata: template.and_then(|t| t.get("metadata")),
            spec,
        };
        self.pod(&pod);
        true
    }

    fn pod(&mut self, pod: &Pod<'_>) {
        let spec = pod.spec;
        for (key, check) in [
            ("hostPID", &K8S_HOST_PID),
            ("hostIPC", &K8S_HOST_IPC),
            ("hostNetwork", &K8S_HOST_NETWORK),
        ] {
            if spec.get(key).and_then(Node::as_bool) == Some(true)
                && let Some(lines) = setting_range(spec, key)
            {
                self.report(check, lines, &pod.resource, format!("`{key}: true`"));
            }
        }
        for volume in spec.get("volumes").map(Node::items).unwrap_or_default() {
            if let Some(host_path) = volume.get("hostPath") {
                let name = volume
                    .get("name")
                    .and_then(Node::as_str)
                    .unwrap_or("<unnamed>");
                let target = host_path.get("path").and_then(Node::as_str).unwrap_or("?");
                self.report(
                    &K8S_HOST_PATH,
                    range(volume),
                    &format!("{} volume {name}", pod.resource),
                    format!("volume `{name}` mounts host path `{target}`"),
                );
            }
        }
        let service_account = spec
            .get("serviceAccountName")
            .or_else(|| spec.get("serviceAccount"))
            .and_then(Node::as_str)
            .filter(|name| !name.is_empty());
        if spec
            .get("automountServiceAccountToken")
            .and_then(Node::as_bool)
            != Some(false)
            && service_account.is_none_or(|name| name == "default")
        {
            self.report(
                &K8S_SERVICE_ACCOUNT_TOKEN,
                range(spec),
                &pod.resource,
                "the pod mounts the token of the default service account".to_owned(),
            );
        }
        for kind in [
            ContainerKind::Init,
            ContainerKind::Regular,
            ContainerKind::Ephemeral,
        ] {
            let containers = spec.get(kind.field()).map(Node::items).unwrap_or_default();
            for container in containers.iter().filter(|c| c.is_map()) {
                self.container(pod, container, kind);
            }
        }
    }

    fn container(&mut self, pod: &Pod<'_>, container: &Node, kind: ContainerKind) {
        let name = container
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or("<unnamed>");
        let resource = format!("{} {} {name}", pod.resource, kind.label());
        let whole = range(container);
        let context = container.get("securityContext");
        let pod_context = pod.spec.get("securityContext");
        // The container's setting wins over the pod's; `at` is where the winning one is written.
        let effective = |key: &str| -> Option<(&Node, LineRange)> {
            [context, pod_context].into_iter().flatten().find_map(|sc| {
                let value = sc.get(key).filter(|v| !v.is_null())?;
                Some((value, setting_range(sc, key)?))
            })
        };
        let container_setting = |key: &str| context.and_then(|sc| sc.get(key).map(|v| (v, sc)));

        if let Some((value, sc)) = container_setting("privileged")
            && value.as_bool() == Some(true)
        {
            let lines = setting_range(sc, "privileged").unwrap_or(whole);
            self.report(
                &K8S_PRIVILEGED,
                lines,
                &resource,
                "`privileged: true`".to_owned(),
            );
        }

        match container_setting("allowPrivilegeEscalation") {
            Some((value, _)) if value.as_bool() == Some(false) => {}
            Some((_, sc)) => self.report(
                &K8S_PRIVILEGE_ESCALATION,
                setting_range(sc, "allowPrivilegeEscalation").unwrap_or(whole),
                &resource,
                "`allowPrivilegeEscalation` is not false".to_owned(),
            ),
            None => self.report(
                &K8S_PRIVILEGE_ESCALATION,
                whole,
                &resource,
                "`allowPrivilegeEscalation: false` is not set".to_owned(),
            ),
        }

        self.capabilities(context, whole, &resource);

        let uid = effective("runAsUser");
        let non_root = effective("runAsNonRoot").and_then(|(v, _)| v.as_bool());
        match uid {
            Some((value, lines)) if value.as_i64() == Some(0) => self.report(
                &K8S_RUN_AS_UID_0,
                lines,
                &resource,
                "`runAsUser: 0`".to_owned(),
            ),
            Some((value, _)) if value.as_i64().is_some_and(|uid| uid > 0) => {}
            _ if non_root == Some(true) => {}
            _ => self.report(
                &K8S_MAY_RUN_AS_ROOT,
                whole,
                &resource,
                "neither `runAsNonRoot: true` nor a non-zero `runAsUser` is set".to_owned(),
            ),
        }

        if container_setting("readOnlyRootFilesystem").and_then(|(v, _)| v.as_bool()) != Some(true)
        {
            self.report(
                &K8S_WRITABLE_ROOT_FS,
                whole,
                &resource,
                "`readOnlyRootFilesystem: true` is not set".to_owned(),
            );
        }

        self.seccomp(pod, name, effective("seccompProfile"), whole, &resource);

        // Ephemeral containers may not set resources.
        if kind != ContainerKind::Ephemeral {
            for (section, quantity, check) in [
                ("limits", "cpu", &K8S_NO_CPU_LIMIT),
                ("limits", "memory", &K8S_NO_MEMORY_LIMIT),
                ("requests", "cpu", &K8S_NO_CPU_REQUEST),
                ("requests", "memory", &K8S_NO_MEMORY_REQUEST),
            ] {
                let set = container
                    .path(&["resources", section, quantity])
                    .is_some_and(|v| !v.is_null());
                if !set {
                    self.report(
                        check,
                        whole,
                        &resource,
                        format!("`resources.{section}.{quantity}` is not set"),
                    );
                }
            }
        }

        match container.get("image").and_then(Node::as_str) {
            Some(image) if !image.contains('$') && !image.contains("{{") => {
                let problem = match image_tag(image) {
                    ImageTag::Latest => Some("uses the `latest` tag"),
                    ImageTag::Missing => Some("has no tag, so `latest` is used"),
                    ImageTag::Digest | ImageTag::Tagged => None,
                };
                if let Some(problem) = problem {
                    let lines = setting_range(container, "image").unwrap_or(whole);
                    self.report(
                        &K8S_LATEST_IMAGE,
                        lines,
                        &resource,
                        format!("image `{image}` {problem}"),
                    );
                }
            }
            _ => {}
        }
    }

    fn capabilities(&mut self, context: Option<&Node>, whole: LineRange, resource: &str) {
        let capabilities = context.and_then(|sc| sc.get("capabilities"));
        let names = |list: &str| -> Vec<String> {
            capabilities
                .and_then(|c| c.get(list))
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(|n| n.as_str())
                .map(|n| {
                    let upper = n.to_ascii_uppercase();
                    upper
                        .strip_prefix("CAP_")
                        .map(str::to_owned)
                        .unwrap_or(upper)
                })
                .collect()
        };
        let added: Vec<String> = names("add")
            .into_iter()
            .filter(|c| c != "NET_BIND_SERVICE")
            .collect();
        if !added.is_empty() {
            let lines = capabilities
                .and_then(|c| setting_range(c, "add"))
                .unwrap_or(whole);
            self.report(
                &K8S_ADDED_CAPABILITIES,
                lines,
                resource,
                format!("capabilities added: {}", added.join(", ")),
            );
        }
        if !names("drop").iter().any(|c| c == "ALL") {
            self.report(
                &K8S_CAPABILITIES_NOT_DROPPED,
                whole,
                resource,
                "capabilities do not drop ALL".to_owned(),
            );
        }
    }

    fn seccomp(
        &mut self,
        pod: &Pod<'_>,
        container: &str,
        profile: Option<(&Node, LineRange)>,
        whole: LineRange,
        resource: &str,
    ) {
        if let Some((profile, lines)) = profile {
            match profile.get("type").and_then(Node::as_str) {
                Some("RuntimeDefault" | "Localhost") => {}
                other => self.report(
                    &K8S_SECCOMP,
                    lines,
                    resource,
                    format!("seccomp profile type is `{}`", other.unwrap_or("unset")),
                ),
            }
            return;
        }
        // The pre-1.19 annotations still count when no securityContext field is set.
        let annotations = pod.metadata.and_then(|m| m.get("annotations"));
        let container_key = format!("container.seccomp.security.alpha.kubernetes.io/{container}");
        let annotation = annotations.and_then(|a| {
            a.get(&container_key)
                .or_else(|| a.get("seccomp.security.alpha.kubernetes.io/pod"))
                .and_then(Node::as_str)
        });
        match annotation {
            Some(value)
                if value == "runtime/default"
                    || value == "docker/default"
                    || value.starts_with("localhost/") => {}
            Some(value) => self.report(
                &K8S_SECCOMP,
                whole,
                resource,
                format!("seccomp annotation is `{value}`"),
            ),
            None => self.report(
                &K8S_SECCOMP,
                whole,
                resource,
                "no seccomp profile is set".to_owned(),
            ),
        }
    }
}
