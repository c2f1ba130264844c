//! Registry integrations against the real registries `scripts/test-registry.sh` starts
//! (Debian's docker-registry on loopback): adding one leads to its images scanned with
//! verdicts, new tags are picked up by the schedule and by push webhooks (docker-registry's
//! own notifications), a tag that moves to a known digest is not pulled again, and a broken
//! registry's error is recorded. Each test prints a note and passes when the script has not
//! been run.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

mod harness;

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use harness::Harness;
use serde_json::{Value, json};

const ADMIN_PASSWORD: &str = "registry-test-password";

/// The plain-HTTP test registry's port, or `None` (with a note) when it is not running.
fn plain_port() -> Option<String> {
    harness::registry_var("PLAIN_PORT")
}

fn fixture(name: &str) -> String {
    let root = std::env::var("KABUTO_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("/root/.cache/kabuto-fixtures/out"));
    format!("oci:{}:latest", root.join("oci").join(name).display())
}

/// Pushes a fixture image to `host/repository:tag` with skopeo.
fn push(image: &str, host: &str, repository: &str, tag: &str) {
    let status = Command::new("skopeo")
        .args(["copy", "-q", "--dest-tls-verify=false", &fixture(image)])
        .arg(format!("docker://{host}/{repository}:{tag}"))
        .status()
        .unwrap();
    assert!(status.success(), "skopeo copy {image} {repository}:{tag}");
}

fn unique(what: &str) -> String {
    format!("{what}-{}", uuid::Uuid::new_v4().simple())
}

/// The registry's images of `repository` the server lists, by tag.
fn images(h: &Harness, token: &str, repository: &str) -> Vec<Value> {
    let reply = h.call(
        "GET",
        &format!("/api/v2/images?search={repository}&pagesize=100"),
        Some(token),
        None,
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["result"].as_array().unwrap().clone()
}

/// Waits (at most 60 s: a debug build scans slowly) until `repository:tag` is scanned.
fn wait_scanned(h: &Harness, token: &str, repository: &str, tag: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let found = images(h, token, repository).into_iter().find(|i| {
            i["repository"] == repository && i["tag"] == tag && i["scan_status"] == "scanned"
        });
        if let Some(image) = found {
            return image;
        }
        let jobs = h.call("GET", "/api/v1/scan_jobs?pagesize=20", Some(token), None);
        assert!(
            Instant::now() < deadline,
            "{repository}:{tag} never scanned; jobs: {}",
            jobs.text
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Adds an integration (`body`), which must be accepted.
fn add_registry(h: &Harness, token: &str, body: Value) -> Value {
    let created = h.call("POST", "/api/v1/registries", Some(token), Some(body));
    assert_eq!(created.status, 201, "{created:?}");
    created.body
}

/// `POST /api/v1/registries/{name}/scan`: the pull result.
fn pull_now(h: &Harness, token: &str, name: &str) -> Value {
    let pulled = h.call(
        "POST",
        &format!("/api/v1/registries/{name}/scan"),
        Some(token),
        None,
    );
    assert_eq!(pulled.status, 200, "{pulled:?}");
    pulled.body
}

fn jobs_of(h: &Harness, token: &str, repository: &str) -> Vec<Value> {
    let reply = h.call("GET", "/api/v1/scan_jobs?pagesize=200", Some(token), None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["result"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["repository"] == repository)
        .cloned()
        .collect()
}

/// Adding a registry is the only step: its selected images get scanned with verdicts. A tag
/// pushed later is found by the schedule; a tag moved to a digest scanned before is
/// registered without a pull; credentials are never answered.
#[test]
fn an_added_registry_is_scanned_and_polled() {
    let Some(port) = plain_port() else { return };
    let host = format!("127.0.0.1:{port}");
    let repository = unique("poll");
    push("alpine-like", &host, &format!("{repository}/app"), "1.0");
    let h = Harness::start(ADMIN_PASSWORD);
    let admin = h.admin();
    let created = add_registry(
        &h,
        &admin,
        json!({
            "name": "local", "type": "V2", "url": format!("http://{host}"),
            "username": "reader", "password": "never-shown-pass",
            "auto_pull": true, "auto_pull_interval_seconds": 5,
            "pull_repo_patterns": [format!("{repository}/*")],
        }),
    );
    assert!(
        !created.to_string().contains("never-shown-pass"),
        "{created}"
    );
    assert_eq!(created["password_set"], true);
    assert!(
        created["webhook"].get("auth_token").is_none(),
        "no webhook: no token"
    );

    let app = format!("{repository}/app");
    let first = wait_scanned(&h, &admin, &app, "1.0");
    assert_eq!(first["registry"], host);
    assert!(first["digest"].as_str().unwrap().starts_with("sha256:"));
    assert!(
        first["os"].as_str().unwrap().starts_with("alpine"),
        "{first}"
    );

    // The same image under a new tag: registered with the stored scan, no pull.
    push("alpine-like", &host, &app, "1.0-copy");
    let copy = wait_scanned(&h, &admin, &app, "1.0-copy");
    assert_eq!(copy["digest"], first["digest"]);
    let jobs = jobs_of(&h, &admin, &app);
    let copy_job = jobs.iter().find(|j| j["tag"] == "1.0-copy").unwrap();
    assert_eq!(copy_job["state"], "skipped", "{jobs:?}");

    // Another image: pulled and scanned by the next scheduled pull.
    push("debian-base", &host, &app, "2.0");
    let second = wait_scanned(&h, &admin, &app, "2.0");
    assert_ne!(second["digest"], first["digest"]);
    assert!(
        second["os"].as_str().unwrap().starts_with("debian"),
        "{second}"
    );

    let registry = h.call("GET", "/api/v1/registries/local", Some(&admin), None);
    assert!(!registry.text.contains("never-shown-pass"));
    assert!(
        registry.body["last_pull"]["at"].is_string(),
        "{}",
        registry.text
    );
    let audit = h.call(
        "GET",
        "/api/v1/audit?action=registry.create",
        Some(&admin),
        None,
    );
    assert!(!audit.text.contains("never-shown-pass"), "{}", audit.text);
    assert_eq!(audit.body["count"], 1, "{}", audit.text);
}

/// A registry started here with docker-registry's own notifications pointed at the server:
/// a push reaches the webhook and the tag is scanned without a poll; a wrong token is
/// refused.
#[test]
fn push_events_from_the_registry_queue_the_tag() {
    let Some(_) = plain_port() else { return };
    let h = Harness::start(ADMIN_PASSWORD);
    let admin = h.admin();
    let token = "webhook-token-for-the-test-registry-0123456789";
    let path = "/api/v1/registries/pushing/webhook";
    let registry = NotifyingRegistry::start(&format!("{}{path}", h.base()), token);
    let host = format!("127.0.0.1:{}", registry.port);
    let created = add_registry(
        &h,
        &admin,
        json!({
            "name": "pushing", "type": "V2", "url": format!("http://{host}"),
            "webhook": {"enabled": true, "auth_token": token},
        }),
    );
    assert_eq!(created["webhook"]["url"], path);

    push("alpine-like", &host, "team/app", "7.0");
    let image = wait_scanned(&h, &admin, "team/app", "7.0");
    assert_eq!(image["registry"], host);
    let jobs = jobs_of(&h, &admin, "team/app");
    assert!(
        jobs.iter()
            .any(|j| j["reason"] == "webhook" && j["state"] == "done"),
        "{jobs:?}"
    );

    let forged = h.raw(
        "POST",
        path,
        Some("wrong-token"),
        "application/json",
        br#"{"events": []}"#.to_vec(),
    );
    assert_eq!(forged.status, 401, "{}", forged.text);
    let unknown = h.raw(
        "POST",
        "/api/v1/registries/none/webhook",
        Some(token),
        "application/json",
        b"{}".to_vec(),
    );
    assert_eq!(unknown.status, 401, "{}", unknown.text);
}

/// A registry that fails (here: nothing listens) leaves its error in the pull status and
/// queues nothing; a refused field names itself; scan jobs can be cancelled.
#[test]
fn a_failing_registry_reports_why() {
    let h = Harness::start(ADMIN_PASSWORD);
    let admin = h.admin();
    let port = harness::unused_port();
    add_registry(
        &h,
        &admin,
        json!({"name": "down", "type": "V2", "url": format!("http://127.0.0.1:{port}")}),
    );
    let pulled = pull_now(&h, &admin, "down");
    assert_eq!(pulled["status"]["queued"], 0);
    let error = pulled["status"]["error"].as_str().unwrap();
    assert!(
        error.contains("catalog") && error.contains(&port.to_string()),
        "{error}"
    );
    // A webhook enabled without a token gets one made by the server, shown once.
    let hooked = add_registry(
        &h,
        &admin,
        json!({"name": "hooked", "type": "V2", "url": "http://127.0.0.1:2", "webhook": {"enabled": true}}),
    );
    let made = hooked["webhook"]["auth_token"].as_str().unwrap();
    assert_eq!(made.len(), 43, "{hooked}");
    let again = h.call("GET", "/api/v1/registries/hooked", Some(&admin), None);
    assert!(!again.text.contains(made), "{}", again.text);

    let bad = h.call(
        "POST",
        "/api/v1/registries",
        Some(&admin),
        Some(json!({"name": "bad", "type": "V2", "url": "http://127.0.0.1:1", "pull_image_age": "soon"})),
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"]["field"], "pull_image_age", "{}", bad.text);
    let same_host = h.call(
        "POST",
        "/api/v1/registries",
        Some(&admin),
        Some(json!({"name": "again", "type": "V2", "url": format!("http://127.0.0.1:{port}")})),
    );
    assert_eq!(same_host.status, 409, "{}", same_host.text);
    let auditor = h.token_for(kabuto_auth::Role::Auditor);
    let refused = h.call("POST", "/api/v1/registries/down/scan", Some(&auditor), None);
    assert_eq!(refused.status, 403);
    let listed = h.call("GET", "/api/v1/registries", Some(&auditor), None);
    assert_eq!(listed.body.as_array().unwrap().len(), 2, "{}", listed.text);
    let removed = h.call("DELETE", "/api/v1/registries/down", Some(&admin), None);
    assert_eq!(removed.status, 204);
    let cancel = h.call("DELETE", "/api/v1/scan_jobs/999999", Some(&admin), None);
    assert_eq!(cancel.status, 409, "{}", cancel.text);
}

/// A docker-registry whose notifications go to the server's webhook; stopped on drop.
struct NotifyingRegistry {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl NotifyingRegistry {
    /// Starts on an unused port, trying another when one is taken meanwhile.
    fn start(endpoint: &str, token: &str) -> NotifyingRegistry {
        for _ in 0..5 {
            if let Some(registry) =
                NotifyingRegistry::try_start(harness::unused_port(), endpoint, token)
            {
                return registry;
            }
        }
        panic!("docker-registry did not start");
    }

    fn try_start(port: u16, endpoint: &str, token: &str) -> Option<NotifyingRegistry> {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {root}\n\
                 http:\n  addr: 127.0.0.1:{port}\nnotifications:\n  endpoints:\n    - name: kabuto\n\
                 \x20     url: {endpoint}\n      headers:\n        Authorization: [\"Bearer {token}\"]\n\
                 \x20     timeout: 10s\n      threshold: 5\n      backoff: 1s\n",
                root = dir.path().join("storage").display()
            ),
        )
        .unwrap();
        let mut child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("docker-registry runs (scripts/test-registry.sh installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        // Up when it answers; gone (the port was taken) when the process ended.
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if child.try_wait().unwrap().is_some() || Instant::now() > deadline {
                let _ = child.kill();
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Ours, not another process's server that had the port: a distribution registry
        // answers /v2/ with its API version, and this process is still running.
        let ours = ureq::get(&format!("http://127.0.0.1:{port}/v2/"))
            .call()
            .ok()
            .and_then(|r| {
                r.header("Docker-Distribution-Api-Version")
                    .map(str::to_owned)
            })
            .is_some_and(|v| v == "registry/2.0");
        if !ours || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            return None;
        }
        Some(NotifyingRegistry {
            child,
            port,
            _dir: dir,
        })
    }
}

impl Drop for NotifyingRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A registry on loopback that answers from a table of paths, counting requests: 429 or 500
/// where the test says, and a one-image repository otherwise.
struct FlakyRegistry {
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl FlakyRegistry {
    /// `catalog_status`: the catalog's answer (200 lists `app`); the image's config blob
    /// always answers 500.
    fn start(catalog_status: u16) -> FlakyRegistry {
        use sha2::Digest as _;
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let config =
            br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
        let config_digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(config)));
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[]}}"#,
            config.len()
        );
        let manifest_digest = format!(
            "sha256:{}",
            hex::encode(sha2::Sha256::digest(manifest.as_bytes()))
        );
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = std::sync::Arc::clone(&stop);
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                let Ok((mut socket, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                socket.set_nonblocking(false).unwrap();
                let mut line = String::new();
                let mut reader = BufReader::new(socket.try_clone().unwrap());
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                // The headers, up to the blank line.
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
                let (status, content_type, body) = if path.starts_with("/v2/_catalog") {
                    (
                        catalog_status,
                        "application/json",
                        r#"{"repositories":["app"]}"#.to_owned(),
                    )
                } else if path.starts_with("/v2/app/tags/list") {
                    (
                        200,
                        "application/json",
                        r#"{"name":"app","tags":["1"]}"#.to_owned(),
                    )
                } else if path.starts_with("/v2/app/manifests/") {
                    (
                        200,
                        "application/vnd.oci.image.manifest.v1+json",
                        manifest.clone(),
                    )
                } else if path.starts_with("/v2/app/blobs/") {
                    (
                        500,
                        "application/json",
                        r#"{"errors":[{"code":"UNKNOWN","message":"disk on fire"}]}"#.to_owned(),
                    )
                } else {
                    (200, "application/json", "{}".to_owned())
                };
                let head = line.starts_with("HEAD");
                let answer = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nDocker-Content-Digest: {manifest_digest}\r\n\
                     Retry-After: 1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                    body.len(),
                    if head { "" } else { body.as_str() }
                );
                let _ = socket.write_all(answer.as_bytes());
            }
        });
        FlakyRegistry { port, stop }
    }
}

impl Drop for FlakyRegistry {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A registry that rate-limits its catalog (429) leaves that in the pull status; one whose
/// blobs fail (500) fails the scan job, which is queued again with backoff, its error kept.
#[test]
fn registry_errors_are_reported_and_scans_retried() {
    let h = Harness::start(ADMIN_PASSWORD);
    let admin = h.admin();
    let limited = FlakyRegistry::start(429);
    add_registry(
        &h,
        &admin,
        json!({"name": "limited", "type": "V2", "url": format!("http://127.0.0.1:{}", limited.port)}),
    );
    let pulled = pull_now(&h, &admin, "limited");
    let error = pulled["status"]["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(error.contains("429"), "{pulled}");
    assert_eq!(pulled["status"]["queued"], 0);

    let failing = FlakyRegistry::start(200);
    add_registry(
        &h,
        &admin,
        json!({"name": "failing", "type": "V2", "url": format!("http://127.0.0.1:{}", failing.port)}),
    );
    let pulled = pull_now(&h, &admin, "failing");
    assert_eq!(pulled["status"]["queued"], 1, "{pulled}");
    let registry = format!("127.0.0.1:{}", failing.port);
    let job = h.wait_for(
        &format!("/api/v1/scan_jobs?registry={registry}"),
        &admin,
        |page| page["result"][0]["attempts"] == 1 && page["result"][0]["state"] == "pending",
    );
    let error = job["result"][0]["error"].as_str().unwrap();
    assert!(error.contains("500"), "{job}");
    // Cancelled while it waits for its retry.
    let id = job["result"][0]["id"].as_i64().unwrap();
    let cancelled = h.call(
        "DELETE",
        &format!("/api/v1/scan_jobs/{id}"),
        Some(&admin),
        None,
    );
    assert_eq!(cancelled.status, 204, "{}", cancelled.text);
    let after = h.call(
        "GET",
        &format!("/api/v1/scan_jobs?registry={registry}&state=cancelled"),
        Some(&admin),
        None,
    );
    assert_eq!(after.body["count"], 1, "{}", after.text);
}

/// A multi-arch index is scanned once per platform the integration selects: the first under
/// its tag, the others under `TAG@os/arch`, each with its own platform manifest digest.
#[test]
fn multi_arch_images_are_scanned_per_selected_platform() {
    let Some(port) = plain_port() else { return };
    let var = |name: &str| harness::registry_var(name).unwrap();
    let h = Harness::start(ADMIN_PASSWORD);
    let admin = h.admin();
    add_registry(
        &h,
        &admin,
        json!({
            "name": "multi", "type": "V2", "url": format!("http://127.0.0.1:{port}"),
            "pull_repo_patterns": ["fixtures/multi"], "platforms": ["linux/amd64", "linux/arm64/v8"],
        }),
    );
    let pulled = pull_now(&h, &admin, "multi");
    assert_eq!(pulled["status"]["queued"], 2, "{pulled}");
    let amd64 = wait_scanned(&h, &admin, "fixtures/multi", "latest");
    // An image registered through the API in an integrated registry is pulled and scanned.
    let registered = h.call(
        "POST",
        "/api/v1/images",
        Some(&admin),
        Some(json!({"images": [{"registry": format!("127.0.0.1:{port}"), "repository": "fixtures/alpine-like", "tag": "latest"}]})),
    );
    assert_eq!(registered.status, 201, "{registered:?}");
    wait_scanned(&h, &admin, "fixtures/alpine-like", "latest");
    let arm64 = wait_scanned(&h, &admin, "fixtures/multi", "latest@linux/arm64/v8");
    assert_eq!(amd64["digest"], var("MULTI_AMD64_DIGEST").as_str());
    assert_eq!(arm64["digest"], var("MULTI_ARM64_DIGEST").as_str());
}
