//! The pod inside a Kubernetes object: where each pod-bearing kind keeps its pod template,
//! its containers (init, regular, ephemeral) with their images, and its labels.

use std::collections::BTreeMap;

use serde_json::Value;

/// Where a kind keeps its pod spec and the labels of its pods, as JSON pointers.
fn template_pointers(kind: &str) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        "Pod" => ("/spec", "/metadata/labels"),
        "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "ReplicationController" => ("/spec/template/spec", "/spec/template/metadata/labels"),
        "CronJob" => (
            "/spec/jobTemplate/spec/template/spec",
            "/spec/jobTemplate/spec/template/metadata/labels",
        ),
        _ => return None,
    })
}

/// The kinds this webhook judges; every other kind is allowed (and logged).
pub const POD_BEARING_KINDS: [&str; 8] = [
    "Pod",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "ReplicationController",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContainerKind {
    Init,
    Regular,
    Ephemeral,
}

impl ContainerKind {
    const ALL: [ContainerKind; 3] = [Self::Init, Self::Regular, Self::Ephemeral];

    fn field(self) -> &'static str {
        match self {
            Self::Init => "initContainers",
            Self::Regular => "containers",
            Self::Ephemeral => "ephemeralContainers",
        }
    }
}

/// One container of the pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub name: String,
    pub kind: ContainerKind,
    /// The image as written in the spec.
    pub image: String,
    /// JSON pointer of the `image` field, for the mutating patch.
    pub image_pointer: String,
}

/// The pod part of a pod-bearing object.
#[derive(Debug, Clone)]
pub struct Workload<'a> {
    pub kind: &'a str,
    /// The pod spec (identical specs mean an UPDATE changed nothing the pods run).
    pub pod_spec: &'a Value,
    pub containers: Vec<Container>,
    /// The object's labels, overlaid by its pod template's.
    pub labels: BTreeMap<String, String>,
}

impl<'a> Workload<'a> {
    /// The pod of `object` of kind `kind`; `None` for kinds without pods, or an object
    /// without a pod spec where its kind keeps one.
    pub fn of(kind: &'a str, object: &'a Value) -> Option<Workload<'a>> {
        let (spec_pointer, labels_pointer) = template_pointers(kind)?;
        let pod_spec = object.pointer(spec_pointer).filter(|s| s.is_object())?;
        let mut containers = Vec::new();
        for container_kind in ContainerKind::ALL {
            let field = container_kind.field();
            let list = pod_spec.get(field).and_then(Value::as_array);
            for (index, container) in list.into_iter().flatten().enumerate() {
                containers.push(Container {
                    name: text(container.get("name")).to_owned(),
                    kind: container_kind,
                    image: text(container.get("image")).to_owned(),
                    image_pointer: format!("{spec_pointer}/{field}/{index}/image"),
                });
            }
        }
        let mut labels = string_map(object.pointer("/metadata/labels"));
        labels.extend(string_map(object.pointer(labels_pointer)));
        Some(Workload {
            kind,
            pod_spec,
            containers,
            labels,
        })
    }

    /// Distinct images, in container order.
    pub fn images(&self) -> Vec<&str> {
        let mut images: Vec<&str> = Vec::new();
        for container in &self.containers {
            if !images.contains(&container.image.as_str()) {
                images.push(&container.image);
            }
        }
        images
    }
}

fn text(value: Option<&Value>) -> &str {
    value.and_then(Value::as_str).unwrap_or_default()
}

fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_every_container_of_a_cronjob() {
        let object = json!({
            "metadata": {"labels": {"team": "a", "tier": "batch"}},
            "spec": {"jobTemplate": {"spec": {"template": {
                "metadata": {"labels": {"team": "b"}},
                "spec": {
                    "initContainers": [{"name": "init", "image": "busybox:1.36"}],
                    "containers": [{"name": "job", "image": "app:1"}, {"name": "side", "image": "app:1"}]
                }
            }}}}
        });
        let workload = Workload::of("CronJob", &object).expect("pod-bearing");
        let pointers: Vec<_> = workload
            .containers
            .iter()
            .map(|c| (c.kind, c.image_pointer.as_str()))
            .collect();
        assert_eq!(
            pointers,
            [
                (
                    ContainerKind::Init,
                    "/spec/jobTemplate/spec/template/spec/initContainers/0/image"
                ),
                (
                    ContainerKind::Regular,
                    "/spec/jobTemplate/spec/template/spec/containers/0/image"
                ),
                (
                    ContainerKind::Regular,
                    "/spec/jobTemplate/spec/template/spec/containers/1/image"
                ),
            ]
        );
        assert_eq!(workload.images(), ["busybox:1.36", "app:1"]);
        assert_eq!(workload.labels["team"], "b");
        assert_eq!(workload.labels["tier"], "batch");
    }

    #[test]
    fn ephemeral_containers_of_a_pod_count() {
        let object = json!({"spec": {
            "containers": [{"name": "app", "image": "app:1"}],
            "ephemeralContainers": [{"name": "debugger", "image": "debug:latest"}]
        }});
        let workload = Workload::of("Pod", &object).expect("pod");
        assert_eq!(workload.containers[1].kind, ContainerKind::Ephemeral);
        assert_eq!(
            workload.containers[1].image_pointer,
            "/spec/ephemeralContainers/0/image"
        );
    }

    #[test]
    fn kinds_without_pods_and_broken_objects_have_no_workload() {
        assert!(Workload::of("ConfigMap", &json!({"data": {}})).is_none());
        assert!(Workload::of("Deployment", &json!({"spec": {"template": 3}})).is_none());
        assert!(Workload::of("Pod", &json!("text")).is_none());
        // Containers that are not objects, or images that are not strings, read as empty.
        let odd = json!({"spec": {"containers": [7, {"image": 3}]}});
        let workload = Workload::of("Pod", &odd).expect("pod");
        assert!(workload.containers.iter().all(|c| c.image.is_empty()));
    }
}
