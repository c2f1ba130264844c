//! `kabuto kube-enforcer` as the Kubernetes API server uses it: AdmissionReview bodies over
//! HTTPS (certificates from `kabuto kube-enforcer certs`) to the running webhook, judging
//! images registered in a real `kabuto server` from the local test registry.
//!
//! No Kubernetes API server can run here: the reviews are written as the API server sends
//! them (admission.k8s.io/v1), around workload objects made by kubectl (fixtures/admission).

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::server::{Server, wait_for_line};
use common::{feeds_db, path_arg};
use serde_json::{Value, json};

fn kabuto() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kabuto"))
}

/// `kabuto kube-enforcer certs` for a webhook reached at 127.0.0.1.
fn certificates(dir: &Path) -> PathBuf {
    let out = dir.join("certs");
    let status = kabuto()
        .args([
            "kube-enforcer",
            "certs",
            "--quiet",
            "--name",
            "127.0.0.1",
            "--out",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    out
}

/// A running webhook and an HTTPS client that trusts its CA.
struct Webhook {
    child: Child,
    url: String,
    agent: ureq::Agent,
}

impl Webhook {
    fn start(certs: &Path, args: &[&str]) -> Webhook {
        let mut child = kabuto()
            .args(["kube-enforcer", "--listen", "127.0.0.1:0", "--tls-cert"])
            .arg(certs.join("tls.crt"))
            .arg("--tls-key")
            .arg(certs.join("tls.key"))
            .args(args)
            .env_remove("KABUTO_SERVER")
            .env_remove("KABUTO_TOKEN")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let listening = wait_for_line(&mut child, "kabuto kube-enforcer listening on ");
        let url = listening.split(':').take(3).collect::<Vec<_>>().join(":");
        let tls = kabuto_source::registry::tls_config(Some(&certs.join("ca.crt"))).unwrap();
        let agent = ureq::AgentBuilder::new().tls_config(tls).build();
        Webhook { child, url, agent }
    }

    /// POSTs `body` to `path`: the HTTP status and the answer.
    fn post(&self, path: &str, body: &[u8]) -> (u16, Value) {
        let response = match self
            .agent
            .post(&format!("{}{path}", self.url))
            .set("Content-Type", "application/json")
            .send_bytes(body)
        {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("POST {path}: {e}"),
        };
        (
            response.status(),
            response.into_json().unwrap_or(Value::Null),
        )
    }

    /// The `response` of a validating review.
    fn validate(&self, review: &Value) -> Value {
        let (status, answer) = self.post("/validate", review.to_string().as_bytes());
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(answer["kind"], "AdmissionReview");
        assert_eq!(answer["response"]["uid"], review["request"]["uid"]);
        answer["response"].clone()
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/admission")
            .join(name),
    )
    .unwrap()
}

/// A kubectl-made object with its image placeholders replaced.
fn object(name: &str, images: &[&str]) -> Value {
    let mut text = fixture(name);
    for (index, image) in images.iter().enumerate() {
        text = text.replace(&format!("IMAGE_{}", index + 1), image);
    }
    serde_json::from_str(&text).unwrap()
}

/// An AdmissionReview as the API server sends it.
fn review(operation: &str, namespace: &str, object: &Value, old: Option<&Value>) -> Value {
    let kind = object["kind"].as_str().unwrap();
    let group = match kind {
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => "apps",
        "Job" | "CronJob" => "batch",
        _ => "",
    };
    let resource = format!("{}s", kind.to_lowercase());
    let name = object["metadata"]["name"].clone();
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let uid = format!(
        "00000000-0000-4000-8000-{:012}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": group, "version": "v1", "kind": kind},
            "resource": {"group": group, "version": "v1", "resource": resource},
            "requestKind": {"group": group, "version": "v1", "kind": kind},
            "requestResource": {"group": group, "version": "v1", "resource": resource},
            "name": name,
            "namespace": namespace,
            "operation": operation,
            "userInfo": {"username": "alice@example.test", "groups": ["system:authenticated"]},
            "object": object,
            "oldObject": old,
            "dryRun": false,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}
        }
    })
}

fn message(response: &Value) -> String {
    response["status"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The warnings, one per line.
fn warnings(response: &Value) -> String {
    response["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Registers `image` (a reference in the test registry) at the server by scanning it.
fn register(server: &Server, token: &str, image: &str) {
    let output = kabuto()
        .args(["scan", "image", image, "--insecure", "--db"])
        .arg(feeds_db())
        .args([
            "--scanners",
            "vuln",
            "--format",
            "json",
            "--output",
            "/dev/null",
        ])
        .args(["--register", "--server", &server.url, "--token", token])
        .output()
        .unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 4)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Asks until `check` holds for the answer (verdicts change once the server has evaluated
/// again and the webhook has seen the new generation), for at most 60 s.
fn eventually(webhook: &Webhook, review: &Value, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let response = webhook.validate(review);
        if check(&response) || Instant::now() > deadline {
            return response;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The seed's scenario end to end: a policy fails an image at the server, a Deployment using
/// it is denied with a message naming the policy; the CVE is acknowledged, and the same
/// Deployment is admitted. Around it: audit-only policies, digests, several images, CronJob
/// templates, UPDATEs that only scale, excluded namespaces, and the audit log.
#[test]
fn a_deployment_is_denied_while_its_image_fails_a_blocking_policy_and_admitted_once_acknowledged() {
    let Some(registry) = common::plain_registry() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::copy(feeds_db(), data.join("kabuto.db")).unwrap();
    let server = Server::start(&data);
    let admin = server.token();
    let app = format!("{registry}/fixtures/debian-app:latest");
    let base = format!("{registry}/fixtures/alpine-like:latest");
    register(&server, &admin, &app);
    register(&server, &admin, &base);
    let policy = json!({"name": "no-requests-cve", "block_failed": true, "fail_cicd": true,
        "cves_black_list_enabled": true, "cves_black_list": ["CVE-2018-18074"]});
    let (status, body) = server.call(
        "PUT",
        "/api/v2/assurance_policy/image/no-requests-cve",
        Some(&admin),
        Some(policy.to_string().as_bytes()),
    );
    assert_eq!(status, 200, "{body}");

    let certs = certificates(dir.path());
    let enforcer_token = server.token_for(Some("enforcer"));
    let webhook = Webhook::start(
        &certs,
        &[
            "--server",
            &server.url,
            "--token",
            &enforcer_token,
            "--cluster",
            "test",
            "--insecure",
        ],
    );

    let deployment = object("deployment.json", &[&app]);
    let create = review("CREATE", "shop", &deployment, None);
    let denied = eventually(&webhook, &create, |r| r["allowed"] == false);
    assert_eq!(denied["allowed"], false, "{denied}");
    assert_eq!(denied["status"]["code"], 403);
    let text = message(&denied);
    assert!(text.contains("kabuto denied Deployment shop/web"), "{text}");
    assert!(
        text.contains(&format!("image {app} fails policy \"no-requests-cve\"")),
        "{text}"
    );
    assert!(text.contains("cves_black_list"), "{text}");
    assert!(text.len() < 400, "short enough for kubectl: {text}");

    // Only scaling an admitted Deployment is not judged again.
    let mut scaled = deployment.clone();
    scaled["spec"]["replicas"] = json!(5);
    scaled["metadata"]["labels"]["tier"] = json!("web");
    let update = webhook.validate(&review("UPDATE", "shop", &scaled, Some(&deployment)));
    assert_eq!(update["allowed"], true, "{update}");

    // A CronJob's template, and a Deployment where one of two images is bad.
    let cronjob = webhook.validate(&review(
        "CREATE",
        "shop",
        &object("cronjob.json", &[&app]),
        None,
    ));
    assert_eq!(cronjob["allowed"], false, "{cronjob}");
    let two = webhook.validate(&review(
        "CREATE",
        "shop",
        &object("deployment-two-images.json", &[&base, &app]),
        None,
    ));
    assert_eq!(two["allowed"], false, "{two}");
    assert!(
        message(&two).contains(&app) && !message(&two).contains(&base),
        "{two}"
    );
    let good = webhook.validate(&review(
        "CREATE",
        "shop",
        &object("deployment.json", &[&base]),
        None,
    ));
    assert_eq!(good["allowed"], true, "{good}");

    // The image by digest: the verdict is found by digest.
    let digest = webhook_pin(&webhook, &app);
    let by_digest = format!("{registry}/fixtures/debian-app@{digest}");
    let pinned = webhook.validate(&review(
        "CREATE",
        "shop",
        &object("deployment.json", &[&by_digest]),
        None,
    ));
    assert_eq!(pinned["allowed"], false, "{pinned}");

    // kube-system and the enforcer's own namespace are never judged.
    let system = webhook.validate(&review("CREATE", "kube-system", &deployment, None));
    assert_eq!(system["allowed"], true, "{system}");

    // An audit-only policy adds a warning (here beside the denial).
    let audit = json!({"name": "watch-requests", "block_failed": false, "fail_cicd": false,
        "cves_black_list_enabled": true, "cves_black_list": ["CVE-2018-18074"]});
    let (status, body) = server.call(
        "PUT",
        "/api/v2/assurance_policy/image/watch-requests",
        Some(&admin),
        Some(audit.to_string().as_bytes()),
    );
    assert_eq!(status, 200, "{body}");
    let warned = eventually(&webhook, &create, |r| {
        warnings(r).contains("watch-requests")
    });
    assert!(
        warnings(&warned).contains(&format!(
            "kabuto (audit): policy \"watch-requests\" fails image {registry}/fixtures/debian-app"
        )),
        "{warned}"
    );

    // Acknowledge the CVE: the same Deployment is admitted.
    let ack = json!({"comment": "not reachable in this service", "issues": [{"issue_name": "CVE-2018-18074", "expiration_days": 30}]});
    let (status, body) = server.call(
        "POST",
        "/api/v2/risks/acknowledge",
        Some(&admin),
        Some(ack.to_string().as_bytes()),
    );
    assert_eq!(status, 201, "{body}");
    let admitted = eventually(&webhook, &create, |r| r["allowed"] == true);
    assert_eq!(admitted["allowed"], true, "{admitted}");
    assert!(admitted["warnings"].is_null(), "{admitted}");

    // Every decision reached the server's audit log under the enforcer's identity.
    std::thread::sleep(Duration::from_secs(2));
    let (status, log) = server.call(
        "GET",
        "/api/v1/audit?action=Admission.Control&pagesize=200",
        Some(&admin),
        None,
    );
    assert_eq!(status, 200, "{log}");
    let entries = log["result"].as_array().unwrap();
    let denied_entry = entries
        .iter()
        .find(|e| e["action"] == "Admission.Control.Denied" && e["target"] == "Deployment shop/web")
        .unwrap_or_else(|| panic!("no denial in {log}"));
    assert_eq!(denied_entry["user"], "enforcer-user");
    assert_eq!(denied_entry["detail"]["user"], "alice@example.test");
    assert_eq!(denied_entry["detail"]["cluster"], "test");
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "Admission.Control.Allowed"),
        "{log}"
    );
}

/// The digest the mutating endpoint pins `image` to (it also checks the patch's shape).
fn webhook_pin(webhook: &Webhook, image: &str) -> String {
    let deployment = object("deployment.json", &[image]);
    let (status, answer) = webhook.post(
        "/mutate",
        review("CREATE", "shop", &deployment, None)
            .to_string()
            .as_bytes(),
    );
    assert_eq!(status, 200, "{answer}");
    let response = &answer["response"];
    assert_eq!(response["allowed"], true);
    assert_eq!(response["patchType"], "JSONPatch");
    let patch: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(response["patch"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(patch[0]["op"], "replace");
    assert_eq!(patch[0]["path"], "/spec/template/spec/containers/0/image");
    let value = patch[0]["value"].as_str().unwrap();
    let (pinned, digest) = value.split_once('@').unwrap();
    assert_eq!(pinned, image);
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{value}"
    );
    digest.to_owned()
}

/// Without a verdict (server down), the webhook admits with a warning (fail open) or denies
/// (fail closed); unregistered images are denied only when asked; malformed reviews get 400;
/// kinds without pods are allowed; a 3 MB object is answered.
#[test]
fn server_down_unregistered_and_malformed_reviews() {
    let dir = tempfile::tempdir().unwrap();
    let certs = certificates(dir.path());
    let dead = "http://127.0.0.1:9";
    let open = Webhook::start(
        &certs,
        &["--server", dead, "--token", "kbt_x", "--timeout", "2"],
    );
    let closed = Webhook::start(
        &certs,
        &[
            "--server",
            dead,
            "--token",
            "kbt_x",
            "--timeout",
            "2",
            "--fail-closed",
        ],
    );
    let deployment = object("deployment.json", &["registry.example.test/app:1.0"]);
    let create = review("CREATE", "shop", &deployment, None);
    let allowed = open.validate(&create);
    assert_eq!(allowed["allowed"], true, "{allowed}");
    assert!(
        warnings(&allowed).contains("allowed without a verdict for registry.example.test/app:1.0"),
        "{allowed}"
    );
    let denied = closed.validate(&create);
    assert_eq!(denied["allowed"], false, "{denied}");
    assert!(message(&denied).contains("(fail closed)"), "{denied}");
    assert!(message(&denied).contains("unreachable"), "{denied}");

    // Malformed bodies: 400 naming what is wrong, never a crash.
    for (body, expected) in [
        (b"{".to_vec(), "not an AdmissionReview"),
        (
            br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{}}"#
                .to_vec(),
            "only admission.k8s.io/v1",
        ),
        (
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#.to_vec(),
            "`request` is missing",
        ),
    ] {
        let (status, answer) = open.post("/validate", &body);
        assert_eq!(status, 400, "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains(expected),
            "{answer}"
        );
    }
    // A kind without pods is allowed.
    let config_map = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}});
    let answer = closed.validate(&review("CREATE", "shop", &config_map, None));
    assert_eq!(answer["allowed"], true, "{answer}");
    // A 3 MB object (a large annotation) is read and answered.
    let mut large = deployment.clone();
    large["metadata"]["annotations"] = json!({"big": "x".repeat(3 << 20)});
    let answer = open.validate(&review("CREATE", "shop", &large, None));
    assert_eq!(answer["allowed"], true);
    // Still serving after all that.
    assert_eq!(open.validate(&create)["allowed"], true);
}

/// Without a server: Kubernetes assurance policies judge the workload itself (enforce denies,
/// audit warns), and images are scanned here and judged by local image policies.
#[test]
fn standalone_kubernetes_and_image_policies() {
    let dir = tempfile::tempdir().unwrap();
    let certs = certificates(dir.path());
    let policies = dir.path().join("policies.yaml");
    std::fs::write(
        &policies,
        "policies:\n\
         - name: no-privileged\n  assurance_type: kubernetes\n  enforce: true\n  kubernetes_controls:\n    - {name: KBK001, enabled: true}\n\
         - name: watch-host\n  assurance_type: kubernetes\n  enforce: false\n  kubernetes_controls:\n    - {name: KSV010, enabled: true}\n",
    )
    .unwrap();
    let webhook = Webhook::start(&certs, &["--policy", path_arg(&policies)]);
    let privileged: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../policy/tests/fixtures/kubernetes/pod-privileged.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let denied = webhook.validate(&review("CREATE", "shop", &privileged, None));
    assert_eq!(denied["allowed"], false, "{denied}");
    assert!(
        message(&denied).contains("policy no-privileged: KBK001"),
        "{denied}"
    );

    let mut host = object("deployment.json", &["registry.example.test/app:1.0"]);
    host["spec"]["template"]["spec"]["hostPID"] = json!(true);
    let warned = webhook.validate(&review("CREATE", "shop", &host, None));
    assert_eq!(warned["allowed"], true, "{warned}");
    assert!(
        warnings(&warned).contains("kabuto (audit): policy watch-host: KBK002"),
        "{warned}"
    );

    let Some(registry) = common::plain_registry() else {
        return;
    };
    let image_policy = dir.path().join("image.yaml");
    std::fs::write(
        &image_policy,
        "name: no-requests-cve\nblock_failed: true\ncves_black_list_enabled: true\ncves_black_list: [CVE-2018-18074]\n",
    )
    .unwrap();
    let scanning = Webhook::start(
        &certs,
        &[
            "--policy",
            path_arg(&image_policy),
            "--db",
            path_arg(feeds_db()),
            "--insecure",
            "--timeout",
            "30",
        ],
    );
    let app = format!("{registry}/fixtures/debian-app:latest");
    let answer = scanning.validate(&review(
        "CREATE",
        "shop",
        &object("deployment.json", &[&app]),
        None,
    ));
    assert_eq!(answer["allowed"], false, "{answer}");
    assert!(
        message(&answer).contains("fails policy \"no-requests-cve\""),
        "{answer}"
    );
    let base = format!("{registry}/fixtures/alpine-like:latest");
    let answer = scanning.validate(&review(
        "CREATE",
        "shop",
        &object("deployment.json", &[&base]),
        None,
    ));
    assert_eq!(answer["allowed"], true, "{answer}");
}

/// `certs` writes both shipped webhook configurations pointed at the given Service, with the
/// CA in caBundle and the failure policy and timeout asked for; the key is private.
#[test]
fn certs_fill_in_the_webhook_configurations() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("certs");
    let status = kabuto()
        .args([
            "kube-enforcer",
            "certs",
            "--quiet",
            "--namespace",
            "security",
        ])
        .args(["--fail-closed", "--timeout-seconds", "7", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let ca = std::fs::read(out.join("ca.crt")).unwrap();
    let ca_bundle = base64::engine::general_purpose::STANDARD.encode(&ca);
    let mode = std::fs::metadata(out.join("tls.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "tls.key is readable by others: {mode:o}");
    let text = std::fs::read_to_string(out.join("webhook.yaml")).unwrap();
    let mut kinds = Vec::new();
    for document in serde_yaml::Deserializer::from_str(&text) {
        let document: Value = serde::Deserialize::deserialize(document).unwrap();
        kinds.push(document["kind"].as_str().unwrap().to_owned());
        for webhook in document["webhooks"].as_array().unwrap() {
            assert_eq!(webhook["clientConfig"]["caBundle"], ca_bundle.as_str());
            assert_eq!(webhook["clientConfig"]["service"]["namespace"], "security");
            assert_eq!(webhook["failurePolicy"], "Fail");
            assert_eq!(webhook["timeoutSeconds"], 7);
            assert_eq!(
                webhook["namespaceSelector"]["matchExpressions"][0]["values"],
                json!(["kube-system", "security"])
            );
        }
    }
    assert_eq!(
        kinds,
        [
            "ValidatingWebhookConfiguration",
            "MutatingWebhookConfiguration"
        ]
    );
}
