//! The runtime enforcer's side of the server (kabuto-enforcer's policy source and refresher)
//! against a real server on loopback, without root or eBPF: its policies fetched and joined
//! with its files, a change taken up at the next refresh, a set that cannot be used leaving
//! the previous one in force, the last good set kept on disk and enforced after a restart
//! while the server is down; and the enforcer's report listed by the server.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

mod harness;

use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use harness::Harness;
use kabuto_api::server::{EnforcerEventCounts, EnforcerReport};
use kabuto_auth::Role;
use kabuto_client::ServerClient;
use kabuto_enforcer::policies::{CACHE_FILE, PolicySource, PolicySourceError};
use kabuto_enforcer::run::Refresher;
use kabuto_runtime_policy::RuntimePolicies;
use serde_json::json;

const ADMIN_PASSWORD: &str = "correct horse battery staple";

fn client(h: &Harness, token: &str) -> ServerClient {
    ServerClient::new(h.base(), token, None, Duration::from_secs(5), "test").unwrap()
}

/// Name and enforce mode of each policy, in order.
fn modes(set: &RuntimePolicies) -> Vec<(String, bool)> {
    set.policies()
        .iter()
        .map(|p| (p.name.clone(), p.enforce))
        .collect()
}

fn put(h: &Harness, token: &str, name: &str, enforce: bool) {
    let body = json!({"name": name, "enforce": enforce, "container_exec": {"enabled": true}});
    let path = format!("/api/v2/runtime_policies/{name}");
    let reply = h.call("PUT", &path, Some(token), Some(body));
    assert_eq!(reply.status, 200, "{reply:?}");
}

/// A server with the runtime policy `lockdown` (audit mode), a policy author's token and an
/// enforcer's.
fn server_with_lockdown() -> (Harness, String, String) {
    let h = Harness::start(ADMIN_PASSWORD);
    let author = h.token_for(Role::PolicyAuthor);
    let enforcer = h.token_for(Role::Enforcer);
    put(&h, &author, "lockdown", false);
    (h, author, enforcer)
}

fn owned(pairs: &[(&str, bool)]) -> Vec<(String, bool)> {
    pairs.iter().map(|(n, e)| ((*n).to_owned(), *e)).collect()
}

#[test]
fn the_server_policies_are_fetched_refreshed_kept_and_enforced_without_it() {
    let (h, author, enforcer) = server_with_lockdown();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("local.yaml");
    std::fs::write(&file, "name: local\nreverse_shell: {enabled: true}\n").unwrap();
    let spool = dir.path().join("spool");
    std::fs::create_dir(&spool).unwrap();
    let files = [file];

    let mut source = PolicySource::new(&files, Some(client(&h, &enforcer)), &spool).unwrap();
    let set = source.initial().unwrap();
    assert_eq!(modes(&set), owned(&[("local", false), ("lockdown", false)]));
    assert!(spool.join(CACHE_FILE).is_file());
    assert!(source.refresh().unwrap().is_none(), "nothing changed");

    put(&h, &author, "lockdown", true);
    let changed = source.refresh().unwrap().expect("a changed set");
    assert_eq!(
        modes(&changed),
        owned(&[("local", false), ("lockdown", true)])
    );

    // A server policy named like a file's: the set cannot be used, the previous one stays.
    put(&h, &author, "local", false);
    let refused = source.refresh().unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("two runtime policies are named `local`"),
        "{refused}"
    );
    let path = "/api/v2/runtime_policies/local";
    assert_eq!(h.call("DELETE", path, Some(&author), None).status, 204);
    assert!(
        source.refresh().unwrap().is_none(),
        "back to the set in force"
    );

    let base = h.base().to_owned();
    drop(h);
    let down = source.refresh().unwrap_err();
    assert!(
        matches!(&down, PolicySourceError::Server(e) if e.to_string().contains(&base)),
        "{down}"
    );
    // A restart while the server is down enforces the kept set.
    let mut restarted = PolicySource::new(
        &files,
        Some(ServerClient::new(&base, &enforcer, None, Duration::from_secs(2), "test").unwrap()),
        &spool,
    )
    .unwrap();
    let kept = restarted.initial().unwrap();
    assert_eq!(modes(&kept), owned(&[("local", false), ("lockdown", true)]));
    // Without files and without a kept set there is nothing to enforce: said, not guessed.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let client = ServerClient::new(&base, &enforcer, None, Duration::from_secs(2), "test");
    let mut nothing =
        PolicySource::new(&[] as &[std::path::PathBuf], Some(client.unwrap()), &empty).unwrap();
    let error = nothing.initial().unwrap_err();
    assert!(
        matches!(error, PolicySourceError::Nothing { .. }),
        "{error}"
    );
}

#[test]
fn the_refresher_takes_up_changes_and_reports_the_enforcer() {
    let (h, author, enforcer) = server_with_lockdown();
    let dir = tempfile::tempdir().unwrap();
    let mut source = PolicySource::new(
        &[] as &[std::path::PathBuf],
        Some(client(&h, &enforcer)),
        dir.path(),
    )
    .unwrap();
    assert_eq!(
        modes(&source.initial().unwrap()),
        owned(&[("lockdown", false)])
    );
    let status = Mutex::new(EnforcerReport {
        host: "node-1".into(),
        version: "0.1.0".into(),
        mode: "enforcement: test".into(),
        policies: vec!["lockdown".into()],
        containers: 3,
        events: EnforcerEventCounts {
            spooled: 2,
            sent: 1,
            dropped: 0,
        },
        interval_seconds: 1,
    });
    let (stop, done) = (AtomicBool::new(false), AtomicBool::new(false));
    let refresher = Refresher {
        interval: Duration::from_millis(300),
        stop: &stop,
        done: &done,
        status: &status,
    };
    let (updates, changed) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(|| refresher.run(&mut source, &updates));
        put(&h, &author, "lockdown", true);
        let set = changed.recv_timeout(Duration::from_secs(10));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(modes(&set.unwrap()), owned(&[("lockdown", true)]));
    });
    let admin = h.admin();
    let deadline = Instant::now() + Duration::from_secs(10);
    let listed = loop {
        let listed = h.call("GET", "/api/v1/enforcers", Some(&admin), None);
        if listed.body.as_array().is_some_and(|l| !l.is_empty()) || Instant::now() > deadline {
            break listed;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(listed.body[0]["host"], "node-1", "{listed:?}");
    assert_eq!(listed.body[0]["status"], "connected");
    assert_eq!(listed.body[0]["mode"], "enforcement: test");
    assert_eq!(listed.body[0]["containers"], 3);
}

/// The shared client over HTTPS: the server's certificate is trusted through `--server-ca`
/// (the same for scan, kube-enforcer and enforcer), unknown without it, and a CA file that
/// holds no certificate is named.
#[test]
fn the_client_trusts_the_server_through_server_ca() {
    let dir = tempfile::tempdir().unwrap();
    let (_, cert, key) = harness::localhost_certificate(dir.path());
    let tls = Some((cert.clone(), key));
    let config = harness::config_in(dir.path(), "127.0.0.1:0", tls, ADMIN_PASSWORD);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(kabuto_server::start(config)).unwrap();
    let url = format!("https://localhost:{}", server.addr.port());
    let connect = |ca: Option<&std::path::Path>, token: &str| {
        ServerClient::new(&url, token, ca, Duration::from_secs(5), "test")
    };

    let trusted = connect(Some(&cert), "").unwrap();
    let login = trusted.request("POST", "/api/v1/login");
    let body = json!({"id": "administrator", "password": ADMIN_PASSWORD}).to_string();
    let answer = trusted.send(login, Some(body.as_bytes())).unwrap();
    let session: serde_json::Value = kabuto_client::read_json(answer).unwrap();
    let token = session["token"].as_str().unwrap();
    let policies: Vec<serde_json::Value> = connect(Some(&cert), token)
        .unwrap()
        .get_json("/api/v2/runtime_policies")
        .unwrap();
    assert!(policies.is_empty());
    let refused = connect(Some(&cert), "not-a-token")
        .unwrap()
        .get_json::<serde_json::Value>("/api/v2/runtime_policies")
        .unwrap_err();
    assert!(
        matches!(&refused, kabuto_client::ClientError::Refused { status: 401, url: asked, .. }
            if asked == &format!("{url}/api/v2/runtime_policies")),
        "{refused}"
    );
    assert!(!refused.to_string().contains("not-a-token"), "{refused}");

    let unknown = connect(None, token)
        .unwrap()
        .get_json::<serde_json::Value>("/api/v2/runtime_policies")
        .unwrap_err();
    assert!(
        matches!(unknown, kabuto_client::ClientError::Unreachable { .. }),
        "{unknown}"
    );
    assert!(unknown.to_string().contains(&url), "{unknown}");

    let not_pem = dir.path().join("not-a-ca.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let error = connect(Some(&not_pem), token).unwrap_err();
    assert!(
        error.to_string().contains(&*not_pem.to_string_lossy()),
        "{error}"
    );
    runtime
        .block_on(server.shutdown(Duration::from_secs(5)))
        .unwrap();
}
