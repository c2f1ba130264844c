//! Registry push events: `POST /api/v1/registries/{name}/webhook` with the integration's
//! webhook token as a bearer token. Understood bodies: the distribution registry's
//! notification envelope (`{"events": [{"action": "push", "target": {"repository", "tag",
//! "digest"}}]}`, what docker-registry, GitLab's and Zot's send) and Harbor's webhook
//! (`{"type": "PUSH_ARTIFACT", "event_data": {"repository": {"repo_full_name"},
//! "resources": [{"tag"}]}}`). Each pushed tag the integration selects is queued at once.

use serde::Deserialize;

/// A pushed repository and tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    pub repository: String,
    pub tag: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Body {
    Distribution {
        events: Vec<DistributionEvent>,
    },
    Harbor {
        #[serde(rename = "type")]
        kind: String,
        event_data: HarborData,
    },
}

#[derive(Deserialize)]
struct DistributionEvent {
    #[serde(default)]
    action: String,
    #[serde(default)]
    target: Option<DistributionTarget>,
}

#[derive(Deserialize)]
struct DistributionTarget {
    #[serde(default)]
    repository: String,
    #[serde(default)]
    tag: Option<String>,
}

#[derive(Deserialize)]
struct HarborData {
    repository: HarborRepository,
    #[serde(default)]
    resources: Vec<HarborResource>,
}

#[derive(Deserialize)]
struct HarborRepository {
    repo_full_name: String,
}

#[derive(Deserialize)]
struct HarborResource {
    #[serde(default)]
    tag: Option<String>,
}

/// At most this many pushes are taken from one body.
pub const MAX_PUSHES: usize = 100;

/// The tag pushes a body reports (blob pushes, pulls and deletes are not pushes of a tag).
pub fn pushes(body: &[u8]) -> Result<Vec<Push>, String> {
    let parsed: Body = serde_json::from_slice(body).map_err(|_| {
        "not a registry event: expected a distribution notification envelope ({\"events\": \
         [...]}) or a Harbor webhook ({\"type\": \"PUSH_ARTIFACT\", ...})"
            .to_owned()
    })?;
    let mut pushes: Vec<Push> = match parsed {
        Body::Distribution { events } => events
            .into_iter()
            .filter(|e| e.action == "push")
            .filter_map(|e| e.target)
            .filter_map(|t| {
                Some(Push {
                    tag: t.tag.filter(|tag| !tag.is_empty())?,
                    repository: t.repository,
                })
            })
            .collect(),
        Body::Harbor { kind, event_data } if kind == "PUSH_ARTIFACT" => event_data
            .resources
            .into_iter()
            .filter_map(|r| {
                Some(Push {
                    repository: event_data.repository.repo_full_name.clone(),
                    tag: r.tag.filter(|tag| !tag.is_empty())?,
                })
            })
            .collect(),
        Body::Harbor { .. } => Vec::new(),
    };
    pushes.retain(|p| !p.repository.is_empty());
    pushes.dedup();
    pushes.truncate(MAX_PUSHES);
    Ok(pushes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distribution_and_harbor_bodies_give_their_tag_pushes() {
        // As docker-registry sends them: a manifest push with its tag, a blob push without.
        let distribution = br#"{"events": [
            {"id": "1", "action": "push", "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": "sha256:aa", "repository": "team/app", "tag": "1.2", "url": "http://r/v2/team/app/manifests/sha256:aa"}},
            {"id": "2", "action": "push", "target": {"mediaType": "application/octet-stream", "digest": "sha256:bb", "repository": "team/app"}},
            {"id": "3", "action": "pull", "target": {"repository": "team/app", "tag": "1.1"}}
        ]}"#;
        assert_eq!(
            pushes(distribution).unwrap(),
            [Push {
                repository: "team/app".into(),
                tag: "1.2".into()
            }]
        );
        let harbor = br#"{"type": "PUSH_ARTIFACT", "occur_at": 1, "operator": "admin",
            "event_data": {"resources": [{"digest": "sha256:aa", "tag": "v2", "resource_url": "h/lib/app:v2"}],
            "repository": {"name": "app", "namespace": "lib", "repo_full_name": "lib/app", "repo_type": "private"}}}"#;
        assert_eq!(
            pushes(harbor).unwrap(),
            [Push {
                repository: "lib/app".into(),
                tag: "v2".into()
            }]
        );
        let deleted = br#"{"type": "DELETE_ARTIFACT", "event_data": {"resources": [{"tag": "v2"}], "repository": {"repo_full_name": "lib/app"}}}"#;
        assert!(pushes(deleted).unwrap().is_empty());
        assert!(
            pushes(b"{\"hello\": 1}")
                .unwrap_err()
                .contains("not a registry event")
        );
        assert!(pushes(b"").is_err());
    }
}
