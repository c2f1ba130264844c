//! The `admission.k8s.io/v1` AdmissionReview protocol, as the API server sends it: the raw
//! body is read into [`RawReview`], checked into a [`Request`], and answered with a
//! [`Response`] that echoes the request's `uid`.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const API_VERSION: &str = "admission.k8s.io/v1";
const KIND: &str = "AdmissionReview";

/// Why a body is not an AdmissionReview we can answer (answered with 400).
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("not an AdmissionReview: {0}")]
    Json(#[from] serde_json::Error),
    #[error("`apiVersion` is {0:?}: only admission.k8s.io/v1 is spoken")]
    Version(String),
    #[error("`kind` is {0:?}, not AdmissionReview")]
    Kind(String),
    #[error("`request` is missing")]
    NoRequest,
    #[error("invalid `request`: {0}")]
    Request(#[source] serde_json::Error),
    #[error("`request.uid` is empty")]
    NoUid,
    #[error("`request.operation` is {0:?}")]
    Operation(String),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawReview {
    api_version: String,
    kind: String,
    /// Read once `apiVersion` and `kind` say it is a review we speak.
    #[serde(default)]
    request: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRequest {
    uid: String,
    kind: GroupVersionKind,
    #[serde(default)]
    sub_resource: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    operation: String,
    #[serde(default)]
    user_info: UserInfo,
    #[serde(default)]
    object: Option<Value>,
    #[serde(default)]
    old_object: Option<Value>,
    #[serde(default)]
    dry_run: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct GroupVersionKind {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub kind: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserInfo {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
    Connect,
}

/// A checked admission request.
#[derive(Debug, Clone)]
pub struct Request {
    pub uid: String,
    pub kind: GroupVersionKind,
    pub sub_resource: Option<String>,
    pub name: String,
    pub namespace: String,
    pub operation: Operation,
    pub user: UserInfo,
    /// The object as it would be stored (`None` for DELETE).
    pub object: Option<Value>,
    /// The object before an UPDATE.
    pub old_object: Option<Value>,
    pub dry_run: bool,
}

impl Request {
    /// Reads an AdmissionReview body.
    pub fn from_body(body: &[u8]) -> Result<Request, ReviewError> {
        let raw: RawReview = serde_json::from_slice(body)?;
        Request::try_from(raw)
    }

    /// `Deployment default/web`, for messages and audit events.
    pub fn workload_name(&self) -> String {
        let name = if self.name.is_empty() {
            // CREATE with generateName: the API server has not named it yet.
            self.object
                .as_ref()
                .and_then(|o| o.pointer("/metadata/generateName"))
                .and_then(Value::as_str)
                .map(|prefix| format!("{prefix}*"))
                .unwrap_or_else(|| "<unnamed>".to_owned())
        } else {
            self.name.clone()
        };
        format!("{} {}/{name}", self.kind.kind, self.namespace)
    }
}

impl TryFrom<RawReview> for Request {
    type Error = ReviewError;
    fn try_from(raw: RawReview) -> Result<Self, ReviewError> {
        if raw.api_version != API_VERSION {
            return Err(ReviewError::Version(raw.api_version));
        }
        if raw.kind != KIND {
            return Err(ReviewError::Kind(raw.kind));
        }
        let request: RawRequest =
            serde_json::from_value(raw.request.ok_or(ReviewError::NoRequest)?)
                .map_err(ReviewError::Request)?;
        if request.uid.is_empty() {
            return Err(ReviewError::NoUid);
        }
        let operation = match request.operation.as_str() {
            "CREATE" => Operation::Create,
            "UPDATE" => Operation::Update,
            "DELETE" => Operation::Delete,
            "CONNECT" => Operation::Connect,
            _ => return Err(ReviewError::Operation(request.operation)),
        };
        Ok(Request {
            uid: request.uid,
            kind: request.kind,
            sub_resource: request.sub_resource.filter(|s| !s.is_empty()),
            name: request.name.unwrap_or_default(),
            namespace: request.namespace.unwrap_or_default(),
            operation,
            user: request.user_info,
            object: request.object.filter(|o| !o.is_null()),
            old_object: request.old_object.filter(|o| !o.is_null()),
            dry_run: request.dry_run.unwrap_or(false),
        })
    }
}

/// The answer to one request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    pub uid: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<&'static str>,
    /// Base64 of the JSON Patch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    pub code: u16,
    pub message: String,
}

impl Response {
    pub fn allow(uid: &str, warnings: Vec<String>) -> Response {
        Response {
            uid: uid.to_owned(),
            allowed: true,
            status: None,
            warnings,
            patch_type: None,
            patch: None,
        }
    }

    pub fn deny(uid: &str, code: u16, message: String, warnings: Vec<String>) -> Response {
        Response {
            uid: uid.to_owned(),
            allowed: false,
            status: Some(Status { code, message }),
            warnings,
            patch_type: None,
            patch: None,
        }
    }

    /// Attaches a JSON Patch (RFC 6902) the API server applies before storing the object.
    pub fn with_patch(mut self, patch: &Value) -> Response {
        self.patch_type = Some("JSONPatch");
        self.patch = Some(base64::engine::general_purpose::STANDARD.encode(patch.to_string()));
        self
    }

    /// The whole AdmissionReview body the API server expects back.
    pub fn into_review(self) -> Value {
        serde_json::json!({
            "apiVersion": API_VERSION,
            "kind": KIND,
            "response": self,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(request: Value) -> Vec<u8> {
        serde_json::json!({"apiVersion": API_VERSION, "kind": KIND, "request": request})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn reads_a_pod_create() {
        let body = review(serde_json::json!({
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "name": "web", "namespace": "shop", "operation": "CREATE",
            "userInfo": {"username": "alice", "groups": ["system:authenticated"]},
            "object": {"apiVersion": "v1", "kind": "Pod"}, "oldObject": null, "dryRun": false
        }));
        let request = Request::from_body(&body).expect("valid review");
        assert_eq!(request.operation, Operation::Create);
        assert_eq!(request.user.username, "alice");
        assert_eq!(request.workload_name(), "Pod shop/web");
        assert!(request.old_object.is_none());
    }

    #[test]
    fn refuses_what_is_not_a_v1_review() {
        let cases = [
            (b"{".to_vec(), "not an AdmissionReview"),
            (
                br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"}"#.to_vec(),
                "only admission.k8s.io/v1",
            ),
            (
                br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#.to_vec(),
                "`request` is missing",
            ),
            (
                review(serde_json::json!({"uid": "", "kind": {}, "operation": "CREATE"})),
                "`request.uid` is empty",
            ),
            (
                review(serde_json::json!({"uid": "1", "kind": {}, "operation": "PATCH"})),
                "`request.operation`",
            ),
        ];
        for (body, expected) in cases {
            let error = Request::from_body(&body).expect_err("refused").to_string();
            assert!(error.contains(expected), "{error}");
        }
    }

    #[test]
    fn a_response_echoes_the_uid_and_encodes_the_patch() {
        let patch = serde_json::json!([{"op": "replace", "path": "/spec/containers/0/image", "value": "x@sha256:00"}]);
        let review = Response::allow("u-1", vec![])
            .with_patch(&patch)
            .into_review();
        assert_eq!(review["response"]["uid"], "u-1");
        assert_eq!(review["response"]["patchType"], "JSONPatch");
        let encoded = review["response"]["patch"].as_str().expect("patch");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("base64");
        assert_eq!(
            serde_json::from_slice::<Value>(&decoded).expect("json"),
            patch
        );
        let denied = Response::deny("u-2", 403, "no".into(), vec!["w".into()]).into_review();
        assert_eq!(denied["response"]["status"]["code"], 403);
        assert_eq!(denied["response"]["allowed"], false);
    }
}
