//! `kabuto server` as a user runs it: a process on a loopback port with its own data
//! directory, the CI gate through it (`scan --server --token --register`), SIGTERM, and a
//! kill -9 in the middle of concurrent uploads.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

mod common;
use common::server::Server;

fn kabuto() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kabuto"))
}

/// A data directory with a database built from the committed PyPA records, and a root
/// filesystem with requests 2.19.1 and urllib3 1.24.1.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let feeds = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../scan/vulndb/tests/fixtures/feeds/pypa");
        let built = kabuto()
            .args(["db", "build", "--source"])
            .arg(&feeds)
            .arg("--output")
            .arg(dir.path().join("data/kabuto.db"))
            .output()
            .unwrap();
        assert!(
            built.status.success(),
            "{}",
            String::from_utf8_lossy(&built.stderr)
        );
        for (name, version) in [("requests", "2.19.1"), ("urllib3", "1.24.1")] {
            let info = dir.path().join(format!(
                "root/usr/lib/python3/dist-packages/{name}-{version}.dist-info"
            ));
            std::fs::create_dir_all(&info).unwrap();
            std::fs::write(
                info.join("METADATA"),
                format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
            )
            .unwrap();
        }
        Setup { dir }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn db(&self) -> PathBuf {
        self.data().join("kabuto.db")
    }
}

fn gate(setup: &Setup, server: &Server, token: &str) -> Output {
    kabuto()
        .args(["scan", "rootfs"])
        .arg(setup.root())
        .arg("--db")
        .arg(setup.db())
        .args([
            "--scanners",
            "vuln",
            "--format",
            "json",
            "--output",
            "/dev/null",
            "--register",
            "--server",
            &server.url,
            "--token",
            token,
        ])
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_ci_gate_follows_the_servers_policies_and_acknowledgements() {
    let setup = Setup::new();
    let server = Server::start(&setup.data());
    let token = server.token();

    let clean = gate(&setup, &server, &token);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    assert!(
        stderr(&clean).contains("passes the server's policies"),
        "{}",
        stderr(&clean)
    );

    let policy = json!({"name": "blocked-cves", "fail_cicd": true, "cves_black_list_enabled": true, "cves_black_list": ["CVE-2018-18074"]}).to_string();
    let (status, _) = server.call(
        "PUT",
        "/api/v2/assurance_policy/image/blocked-cves",
        Some(&token),
        Some(policy.as_bytes()),
    );
    assert_eq!(status, 200);
    let blocked = gate(&setup, &server, &token);
    assert_eq!(blocked.status.code(), Some(4), "{}", stderr(&blocked));
    assert!(
        stderr(&blocked).contains("policy blocked-cves: cves_black_list failed"),
        "{}",
        stderr(&blocked)
    );

    let ack = json!({"comment": "behind our proxy", "issues": [{"issue_name": "CVE-2018-18074", "expiration_days": 30}]}).to_string();
    let (status, _) = server.call(
        "POST",
        "/api/v2/risks/acknowledge",
        Some(&token),
        Some(ack.as_bytes()),
    );
    assert_eq!(status, 201);
    let passes = gate(&setup, &server, &token);
    assert_eq!(passes.status.code(), Some(0), "{}", stderr(&passes));

    let wrong = gate(
        &setup,
        &server,
        "kbt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        stderr(&wrong).contains("refused the scan (401)"),
        "{}",
        stderr(&wrong)
    );

    assert!(
        server.terminate().success(),
        "SIGTERM stops the server cleanly"
    );
    let gone = gate(
        &setup,
        &Server {
            child: kabuto().arg("--version").spawn().unwrap(),
            url: "http://127.0.0.1:9".into(),
        },
        &token,
    );
    assert_eq!(gone.status.code(), Some(1));
    assert!(
        stderr(&gone).contains("cannot reach the server at http://127.0.0.1:9"),
        "{}",
        stderr(&gone)
    );
}

#[test]
fn an_upload_that_was_answered_survives_kill_9_and_none_is_half_stored() {
    let setup = Setup::new();
    let report_path = setup.dir.path().join("report.json");
    let scanned = kabuto()
        .args(["scan", "rootfs"])
        .arg(setup.root())
        .arg("--db")
        .arg(setup.db())
        .args([
            "--scanners",
            "vuln",
            "--list-packages",
            "--format",
            "json",
            "--output",
        ])
        .arg(&report_path)
        .output()
        .unwrap();
    assert!(scanned.status.success(), "{}", stderr(&scanned));
    let report = Arc::new(std::fs::read(&report_path).unwrap());
    let server = Arc::new(Mutex::new(Some(Server::start(&setup.data()))));
    let (url, token) = {
        let guard = server.lock().unwrap();
        let s = guard.as_ref().unwrap();
        (s.url.clone(), s.token())
    };
    let answered = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let (report, answered, url, token) = (
                Arc::clone(&report),
                Arc::clone(&answered),
                url.clone(),
                token.clone(),
            );
            std::thread::spawn(move || {
                for n in 0..200 {
                    let tag = format!("w{worker}-{n}");
                    let result = ureq::post(&format!(
                        "{url}/api/v1/scans?register=true&image=registry.example/app:{tag}"
                    ))
                    .set("Authorization", &format!("Bearer {token}"))
                    .set("Content-Type", "application/json")
                    .timeout(Duration::from_secs(20))
                    .send_bytes(&report);
                    match result {
                        Ok(r) if r.status() == 200 => answered.lock().unwrap().push(tag),
                        Ok(_) | Err(ureq::Error::Status(..)) => panic!("upload refused"),
                        Err(_) => return, // the server is gone
                    }
                }
            })
        })
        .collect();
    // Kill the server while the uploads are in flight.
    while answered.lock().unwrap().len() < 40 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut killed = server.lock().unwrap().take().unwrap();
    killed.child.kill().unwrap(); // SIGKILL
    killed.child.wait().unwrap();
    for worker in workers {
        worker.join().unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(answered.len() < 800, "the kill came before the last upload");

    let restarted = Server::start(&setup.data());
    let token = restarted.token();
    let (_, listed) = restarted.call("GET", "/api/v2/images?pagesize=1000", Some(&token), None);
    let stored: Vec<&Value> = listed["result"].as_array().unwrap().iter().collect();
    for tag in &answered {
        let image = stored.iter().find(|i| i["tag"] == tag.as_str());
        let image =
            image.unwrap_or_else(|| panic!("answered upload {tag} is missing after the restart"));
        assert_eq!(image["scan_status"], "scanned");
    }
    for image in &stored {
        // Every stored image is whole: evaluated, with its report and vulnerabilities.
        assert_eq!(image["scan_status"], "scanned", "{image}");
        assert!(image["vulns_found"].as_i64().unwrap() > 0, "{image}");
        let path = format!(
            "/api/v2/images/registry.example/app/{}",
            image["tag"].as_str().unwrap()
        );
        let (status, detail) = restarted.call("GET", &path, Some(&token), None);
        assert_eq!(status, 200);
        assert_eq!(
            detail["report"]["packages"].as_array().unwrap().len(),
            2,
            "{path}"
        );
    }
    eprintln!(
        "{} uploads answered before kill -9, {} stored after restart",
        answered.len(),
        stored.len()
    );
}

/// `--db-update-every` with `--db-update-from`: a server started without a database gets
/// one from the scheduled update at once (verified against its signature, as `kabuto db
/// update` does), loads it, and answers ready.
#[test]
fn the_scheduled_database_update_brings_a_database() {
    let setup = Setup::new();
    let dir = setup.dir.path();
    let key = dir.join("release.key");
    let published = dir.join("published.db");
    let feeds =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scan/vulndb/tests/fixtures/feeds/pypa");
    for args in [
        vec![
            "db".into(),
            "keygen".into(),
            "--out".into(),
            key.display().to_string(),
        ],
        vec![
            "db".into(),
            "build".into(),
            "--source".into(),
            feeds.display().to_string(),
            "--output".into(),
            published.display().to_string(),
            "--signing-key".into(),
            key.display().to_string(),
        ],
    ] {
        let run = kabuto().args(&args).output().unwrap();
        assert!(run.status.success(), "{args:?}: {}", stderr(&run));
    }
    let digest = common::sha256(&std::fs::read(&published).unwrap()).replace("sha256:", "");
    std::fs::write(
        dir.join("published.db.sha256"),
        format!("{digest}  published.db\n"),
    )
    .unwrap();
    let data = dir.join("fresh-data");
    let public = format!("{}.pub", key.display());
    let server = Server::start_with(
        &data,
        &[
            "--db-update-every",
            "1h",
            "--db-update-from",
            &published.display().to_string(),
        ],
        &[("KABUTO_DB_PUBLIC_KEY", &public)],
    );
    let token = server.token();
    // The server looks at its database file every 30 s.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = server.call("GET", "/api/v1/db", Some(&token), None);
        if status == 200 && body["loaded"] == true {
            assert!(body["advisories"].as_u64().unwrap() > 0, "{body}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no database loaded: {body}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(data.join("kabuto.db").exists());
    server.terminate();
}

/// With no users and no `KABUTO_ADMIN_PASSWORD` the server starts and waits for first-run
/// setup: one log line points at the console's /setup page and the code's file (the code
/// itself is never logged), and the code from that file creates the administrator.
#[test]
fn a_first_start_without_a_password_waits_for_the_setup_code() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (server, logged) = Server::start_without_password(&data);
    let file = data.join("setup-code");
    let code = std::fs::read_to_string(&file).unwrap().trim().to_owned();
    let pointer: Vec<&String> = logged.iter().filter(|l| l.contains("/setup")).collect();
    assert_eq!(pointer.len(), 1, "{logged:?}");
    assert!(
        pointer[0].contains(&file.display().to_string()),
        "{pointer:?}"
    );
    assert!(!logged.iter().any(|l| l.contains(&code)), "{logged:?}");
    let (status, _) = server.call("GET", "/api/v2/images", None, None);
    assert_eq!(status, 401);
    let body = json!({"setup_code": code, "password": common::server::PASSWORD}).to_string();
    let (status, answer) = server.call("POST", "/api/v1/setup", None, Some(body.as_bytes()));
    assert_eq!(status, 201, "{answer}");
    assert!(!file.exists());
    let token = server.token();
    let (status, _) = server.call("GET", "/api/v2/images", Some(&token), None);
    assert_eq!(status, 200);
    server.terminate();
}
