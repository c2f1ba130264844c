//! Harbor's pluggable scanner API, driven by a client written here from the spec
//! (goharbor/pluggable-scanner-spec v1.2, as Harbor's own client speaks it: exact mime types,
//! no redirects followed, `Refresh-After` read on a 302). The artifact is pushed with skopeo
//! to the plain test registry `scripts/test-registry.sh` starts; tests that need it print a
//! note and pass when it is not running.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

mod harness;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use harness::{Harness, nvd_page};
use kabuto_auth::Role;
use serde_json::{Value, json};

const ADMIN_PASSWORD: &str = "harbor-test-password";

const METADATA: &str = "application/vnd.scanner.adapter.metadata+json; version=1.1";
const SCAN_REQUEST: &str = "application/vnd.scanner.adapter.scan.request+json; version=1.1";
const SCAN_RESPONSE: &str = "application/vnd.scanner.adapter.scan.response+json; version=1.0";
const ERROR: &str = "application/vnd.scanner.adapter.error+json; version=1.0";
const VULNERABILITY_REPORT: &str = "application/vnd.security.vulnerability.report; version=1.1";
const HARBOR_REPORT: &str = "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0";
const SBOM_REPORT: &str = "application/vnd.security.sbom.report+json; version=1.0";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// An answer as Harbor's client sees it.
struct Answer {
    status: u16,
    content_type: String,
    refresh_after: Option<String>,
    body: Value,
    text: String,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {:.400}",
            self.status, self.content_type, self.text
        )
    }
}

/// Harbor's side of the API: base URL `SERVER/harbor/api/v1`, a bearer credential, redirects
/// not followed.
struct HarborClient {
    base: String,
    token: String,
    agent: ureq::Agent,
}

impl HarborClient {
    fn new(h: &Harness, token: &str) -> HarborClient {
        HarborClient {
            base: format!("{}/harbor/api/v1", h.base()),
            token: token.to_owned(),
            agent: ureq::AgentBuilder::new().redirects(0).build(),
        }
    }

    fn metadata(&self) -> Answer {
        self.send(self.get("/metadata").set("Accept", METADATA), None)
    }

    fn scan(&self, request: &Value) -> Answer {
        let call = self
            .agent
            .post(&format!("{}/scan", self.base))
            .set("Authorization", &format!("Bearer {}", self.token))
            .set("Content-Type", SCAN_REQUEST)
            .set("Accept", SCAN_RESPONSE);
        self.send(call, Some(request))
    }

    fn report(&self, id: &str, accept: &str, query: &str) -> Answer {
        let call = self
            .get(&format!("/scan/{id}/report{query}"))
            .set("Accept", accept);
        self.send(call, None)
    }

    fn get(&self, path: &str) -> ureq::Request {
        self.agent
            .get(&format!("{}{path}", self.base))
            .set("Authorization", &format!("Bearer {}", self.token))
    }

    fn send(&self, request: ureq::Request, body: Option<&Value>) -> Answer {
        let result = match body {
            Some(body) => request.send_string(&body.to_string()),
            None => request.call(),
        };
        let response = match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(e) => panic!("transport error: {e}"),
        };
        let status = response.status();
        let content_type = response
            .header("Content-Type")
            .unwrap_or_default()
            .to_owned();
        let refresh_after = response.header("Refresh-After").map(str::to_owned);
        let text = response.into_string().unwrap_or_default();
        Answer {
            status,
            content_type,
            refresh_after,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    }

    /// Polls the report as Harbor does until it is not 302 (at most 120 s: a debug build scans
    /// slowly); the first answer is returned too.
    fn wait_report(&self, id: &str, accept: &str) -> (Answer, Answer) {
        let first = self.report(id, accept, "");
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut answer = self.report(id, accept, "");
        while answer.status == 302 {
            assert!(Instant::now() < deadline, "scan {id} never finished");
            std::thread::sleep(Duration::from_millis(200));
            answer = self.report(id, accept, "");
        }
        (first, answer)
    }
}

/// The plain-HTTP test registry's `host:port`, or `None` (with a note).
fn plain_registry() -> Option<String> {
    harness::registry_var("PLAIN_PORT").map(|p| format!("127.0.0.1:{p}"))
}

/// Pushes a fixture image with skopeo; its manifest digest.
fn push(image: &str, host: &str, repository: &str, tag: &str) -> String {
    let root = std::env::var("KABUTO_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("/root/.cache/kabuto-fixtures/out"));
    let source = format!("oci:{}:latest", root.join("oci").join(image).display());
    let destination = format!("docker://{host}/{repository}:{tag}");
    let status = Command::new("skopeo")
        .args([
            "copy",
            "-q",
            "--dest-tls-verify=false",
            &source,
            &destination,
        ])
        .status()
        .unwrap();
    assert!(status.success(), "skopeo copy {image} {repository}:{tag}");
    let inspected = Command::new("skopeo")
        .args([
            "inspect",
            "--tls-verify=false",
            "--format",
            "{{.Digest}}",
            &destination,
        ])
        .output()
        .unwrap();
    assert!(inspected.status.success());
    String::from_utf8(inspected.stdout)
        .unwrap()
        .trim()
        .to_owned()
}

/// A JSON golden file, object keys sorted, the fields at `varying` (JSON pointers) replaced
/// by `[varies]`.
fn snapshot(name: &str, mut value: Value, varying: &[String]) {
    for pointer in varying {
        if let Some(field) = value.pointer_mut(pointer) {
            *field = json!("[varies]");
        }
    }
    insta::with_settings!({sort_maps => true}, {
        insta::assert_json_snapshot!(name, value);
    });
}

fn assert_error(answer: &Answer, status: u16, says: &str) {
    assert_eq!(answer.status, status, "{answer:?}");
    assert_eq!(answer.content_type, ERROR, "{answer:?}");
    let message = answer.body["error"]["message"].as_str().unwrap();
    assert!(message.contains(says), "{answer:?}");
}

/// The metadata names Kabuto's capabilities in the spec's mime types.
#[test]
fn metadata_names_the_capabilities() {
    let h = Harness::start(ADMIN_PASSWORD);
    let harbor = HarborClient::new(&h, &h.token_for(Role::Scanner));
    let answer = harbor.metadata();
    assert_eq!(
        (answer.status, answer.content_type.as_str()),
        (200, METADATA),
        "{answer:?}"
    );
    let body = &answer.body;
    assert_eq!(body["scanner"]["name"], "Kabuto");
    let vulnerability = &body["capabilities"][0];
    assert_eq!(vulnerability["type"], "vulnerability");
    assert_eq!(
        vulnerability["consumes_mime_types"],
        json!([OCI_MANIFEST, DOCKER_MANIFEST])
    );
    assert_eq!(
        vulnerability["produces_mime_types"],
        json!([VULNERABILITY_REPORT, HARBOR_REPORT])
    );
    let sbom = &body["capabilities"][1];
    assert_eq!(sbom["type"], "sbom");
    assert_eq!(sbom["produces_mime_types"], json!([SBOM_REPORT]));
    assert_eq!(
        sbom["additional_attributes"]["sbom_media_types"],
        json!(["application/vnd.cyclonedx+json", "application/spdx+json"])
    );
    assert_eq!(
        body["properties"]["harbor.scanner-adapter/scanner-type"],
        "os-package-vulnerability"
    );
    assert!(
        body["properties"]["harbor.scanner-adapter/vulnerability-database-updated-at"].is_string()
    );
    snapshot(
        "metadata",
        answer.body,
        &[
            "/scanner/version".into(),
            "/properties/harbor.scanner-adapter~1vulnerability-database-updated-at".into(),
        ],
    );
}

/// A scan request with a robot account's Basic authorization: 202 with an id, a 302 with
/// Refresh-After while the scan runs, then the vulnerability report in both mime types and
/// the SBOM in CycloneDX (default) or SPDX; the image shows in the server's list.
#[test]
fn an_artifact_is_scanned_and_reported() {
    let Some(host) = plain_registry() else { return };
    let repository = format!("harbor-{}/app", uuid::Uuid::new_v4().simple());
    let digest = push("debian-app", &host, &repository, "1.0");
    let mut h = Harness::start_with_feed(ADMIN_PASSWORD, &nvd_page());
    let token = h.token_for(Role::Scanner);
    let harbor = HarborClient::new(&h, &token);
    let artifact = json!({"repository": repository, "digest": digest, "tag": "1.0",
                          "mime_type": OCI_MANIFEST});
    let accepted = harbor.scan(&json!({
        "registry": {"url": format!("http://{host}"), "authorization": "Basic aGFyYm9yOnJvYm90LXNlY3JldA=="},
        "artifact": artifact,
    }));
    assert_eq!(
        (accepted.status, accepted.content_type.as_str()),
        (202, SCAN_RESPONSE),
        "{accepted:?}"
    );
    let id = accepted.body["id"].as_str().unwrap();

    let (first, report) = harbor.wait_report(id, VULNERABILITY_REPORT);
    assert_eq!(first.status, 302, "{first:?}");
    let refresh: u8 = first.refresh_after.as_deref().unwrap().parse().unwrap();
    assert!(refresh > 0);
    assert_eq!(
        (report.status, report.content_type.as_str()),
        (200, VULNERABILITY_REPORT),
        "{report:?}"
    );
    let body = &report.body;
    assert_eq!(body["artifact"], artifact);
    assert_eq!(body["scanner"]["name"], "Kabuto");
    assert_eq!(body["severity"], "High");
    assert!(
        time::OffsetDateTime::parse(
            body["generated_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok()
    );
    let vulnerabilities = body["vulnerabilities"].as_array().unwrap();
    let requests = vulnerabilities
        .iter()
        .find(|v| v["id"] == "CVE-2018-18074")
        .unwrap_or_else(|| panic!("{report:?}"));
    assert_eq!(
        (requests["package"].as_str(), requests["version"].as_str()),
        (Some("requests"), Some("2.19.1"))
    );
    assert_eq!(requests["severity"], "High");
    assert!(requests["fix_version"].is_string() && requests["links"].is_array());
    assert!(requests["cwe_ids"].is_array() && requests["description"].is_string());
    assert_eq!(
        requests["vendor_attributes"]["CVSS"]["nvd"]["V3Vector"],
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"
    );
    assert!(requests["vendor_attributes"]["CVSS"]["nvd"]["V3Score"].is_f64());
    assert!(
        requests["layer"]["diff_id"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    let mut varying = vec![
        "/generated_at".to_owned(),
        "/artifact/repository".into(),
        "/artifact/digest".into(),
        "/scanner/version".into(),
    ];
    varying.extend((0..vulnerabilities.len()).map(|i| format!("/vulnerabilities/{i}/layer")));
    snapshot("vulnerability_report", report.body.clone(), &varying);

    let harbor_report = harbor.report(id, HARBOR_REPORT, "");
    assert_eq!(
        (harbor_report.status, harbor_report.content_type.as_str()),
        (200, HARBOR_REPORT)
    );
    assert_eq!(
        harbor_report.body["vulnerabilities"],
        report.body["vulnerabilities"]
    );

    let sbom = harbor.report(id, SBOM_REPORT, "");
    assert_eq!(
        (sbom.status, sbom.content_type.as_str()),
        (200, SBOM_REPORT),
        "{sbom:?}"
    );
    assert_eq!(sbom.body["media_type"], "application/vnd.cyclonedx+json");
    assert_eq!(sbom.body["sbom"]["bomFormat"], "CycloneDX");
    assert_eq!(sbom.body["artifact"], artifact);
    let spdx = harbor.report(id, SBOM_REPORT, "?sbom_media_type=application/spdx%2Bjson");
    assert_eq!(spdx.status, 200, "{spdx:?}");
    assert_eq!(spdx.body["media_type"], "application/spdx+json");
    assert_eq!(spdx.body["sbom"]["spdxVersion"], "SPDX-2.3");
    assert_error(
        &harbor.report(id, SBOM_REPORT, "?sbom_media_type=text/csv"),
        400,
        "sbom_media_type",
    );
    assert_error(
        &harbor.report(id, "application/vnd.scanner.adapter.vuln.report.raw", ""),
        501,
        "produces",
    );

    // Registered under Harbor's registry, repository and tag, with a verdict.
    let admin = h.admin();
    let images = h.call(
        "GET",
        &format!("/api/v2/images?search={repository}"),
        Some(&admin),
        None,
    );
    let image = &images.body["result"][0];
    assert_eq!(
        (
            image["registry"].as_str(),
            image["tag"].as_str(),
            image["scan_status"].as_str()
        ),
        (Some(host.as_str()), Some("1.0"), Some("scanned")),
        "{images:?}"
    );
    assert_eq!(image["digest"].as_str(), Some(digest.as_str()));
    assert!(image["disallowed"].is_boolean());
    let audit = h.call(
        "GET",
        "/api/v1/audit?action=harbor.scan",
        Some(&admin),
        None,
    );
    assert_eq!(audit.body["count"], 1, "{audit:?}");
    assert!(!audit.text.contains("aGFyYm9y"), "{}", audit.text);

    // A request outlives a restart of the server (run again if it was running).
    let accepted = harbor.scan(&json!({
        "registry": {"url": format!("http://{host}")},
        "artifact": {"repository": repository, "digest": digest, "tag": "1.1"},
    }));
    assert_eq!(accepted.status, 202, "{accepted:?}");
    h.restart();
    let harbor = HarborClient::new(&h, &token);
    let id = accepted.body["id"].as_str().unwrap();
    let (_, report) = harbor.wait_report(id, HARBOR_REPORT);
    assert_eq!(report.status, 200, "{report:?}");
    assert_eq!(report.body["artifact"]["tag"], "1.1");
}

/// Refusals in the spec's error shape: an unknown id (404), invalid fields (422), an
/// artifact type Kabuto does not scan (501), a wrong token (401), a role that may not scan
/// (403), and a scan whose registry is down (500 with the cause).
#[test]
fn refusals_and_failures_have_the_error_shape() {
    let h = Harness::start(ADMIN_PASSWORD);
    let scanner = h.token_for(Role::Scanner);
    let harbor = HarborClient::new(&h, &scanner);
    assert_error(
        &harbor.report(
            "3fa85f64-5717-4562-b3fc-2c963f66afa6",
            VULNERABILITY_REPORT,
            "",
        ),
        404,
        "no scan request",
    );
    let digest = format!("sha256:{}", "0".repeat(64));
    assert_error(&harbor.scan(&json!({})), 422, "registry.url");
    assert_error(
        &harbor.scan(&json!({"registry": {"url": "INVALID_REGISTRY_URL"},
                             "artifact": {"repository": "library/mongo", "digest": digest}})),
        422,
        "registry.url",
    );
    assert_error(
        &harbor.scan(&json!({"registry": {"url": "http://127.0.0.1:1"},
                             "artifact": {"repository": "library/mongo"}})),
        422,
        "artifact.digest",
    );
    assert_error(
        &harbor.scan(&json!({"registry": {"url": "http://127.0.0.1:1"},
                             "artifact": {"repository": "charts/app", "digest": digest,
                                          "mime_type": "application/vnd.cncf.helm.config.v1+json"}})),
        501,
        "artifact.mime_type",
    );
    assert_error(&HarborClient::new(&h, "kbt_wrong").metadata(), 401, "token");
    let auditor = HarborClient::new(&h, &h.token_for(Role::Auditor));
    assert_error(&auditor.metadata(), 403, "register scans");

    let port = harness::unused_port();
    let accepted = harbor.scan(&json!({
        "registry": {"url": format!("http://127.0.0.1:{port}")},
        "artifact": {"repository": "library/mongo", "digest": digest, "mime_type": DOCKER_MANIFEST},
    }));
    assert_eq!(accepted.status, 202, "{accepted:?}");
    let id = accepted.body["id"].as_str().unwrap();
    let (_, failed) = harbor.wait_report(id, VULNERABILITY_REPORT);
    assert_error(&failed, 500, &port.to_string());
    // Another scanner user does not get the report; a reader does.
    let other = HarborClient::new(&h, &h.token_for(Role::Scanner));
    assert_error(
        &other.report(id, VULNERABILITY_REPORT, ""),
        404,
        "no scan request",
    );
    let admin = HarborClient::new(&h, &h.admin());
    assert_eq!(admin.report(id, VULNERABILITY_REPORT, "").status, 500);
}
