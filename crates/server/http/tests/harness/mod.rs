//! A server on a loopback port with its own store and database, and a blocking HTTP client;
//! the loopback receivers kabuto-notify's delivery tests use too.

#![allow(dead_code, reason = "each test binary uses a part of the harness")]

#[path = "../../../notify/tests/support/sinks.rs"]
pub mod sinks;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kabuto_auth::Role;
use kabuto_scan::{Cancel, Engine, NoProgress, Rules, ScanPlan, Scanners, Target};
use kabuto_server::{RunningServer, ServerConfig};
use kabuto_store::StoreUrl;
use serde_json::{Value, json};

pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub retry_after: Option<u64>,
    pub cookies: Vec<String>,
}

pub struct Harness {
    base: String,
    config: ServerConfig,
    runtime: Option<tokio::runtime::Runtime>,
    server: Option<RunningServer>,
    admin_password: String,
    admin_session: Mutex<Option<String>>,
    _dir: tempfile::TempDir,
}

/// The committed PyPA advisory records the database is built from.
fn feeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scan/vulndb/tests/fixtures/feeds/pypa")
}

/// A vulnerability database built from the committed records, at `path`, with the records
/// of `extra` (a directory) when given.
fn build_database(path: &Path, extra: Option<&Path>) {
    let mut sources = vec![feeds()];
    sources.extend(extra.map(Path::to_path_buf));
    kabuto_vulndb::build::build(&sources, path).unwrap();
}

/// A Kabuto JSON report of a root filesystem with requests 2.19.1 and urllib3 1.24.1 (both
/// with known advisories), made by the engine.
pub fn report_bytes() -> Vec<u8> {
    report_of(&[("requests", "2.19.1"), ("urllib3", "1.24.1")])
}

/// A Kabuto JSON report of a root filesystem with these Python packages (name, version),
/// made by the engine against the committed records.
pub fn report_of(packages: &[(&str, &str)]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    for (name, version) in packages {
        let info = root.join(format!(
            "usr/lib/python3/dist-packages/{name}-{version}.dist-info"
        ));
        std::fs::create_dir_all(&info).unwrap();
        std::fs::write(
            info.join("METADATA"),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
        )
        .unwrap();
    }
    let db = dir.path().join("kabuto.db");
    build_database(&db, None);
    let plan = ScanPlan {
        scanners: Scanners::from_names(&["vuln"]),
        ..ScanPlan::default()
    };
    let engine = Engine::new(
        Some(kabuto_vulndb::Database::open(&db).unwrap()),
        &Rules::default(),
        plan.scanners,
    )
    .unwrap();
    let result = engine
        .scan(&Target::Rootfs(root), &plan, &NoProgress, &Cancel::new())
        .unwrap();
    let mut out = Vec::new();
    kabuto_report::render_report(
        kabuto_report::Format::Json,
        &result.report().list_packages(true),
        &kabuto_report::RenderOptions::new(),
        &mut out,
    )
    .unwrap();
    out
}

/// NVD's ratings of two CVEs of the committed PyPA records (an API 2.0 page, as `kabuto db
/// build` reads it; the vectors are NVD's): CVE-2018-18074 of requests 2.19.1 and
/// CVE-2019-11324 of urllib3 1.24.1 become high (the PyPA records carry no rating).
pub fn nvd_page() -> Value {
    let record = |id: &str, metric: &str, version: &str, vector: &str| {
        json!({ "cve": { "id": id, "sourceIdentifier": "nvd@nist.gov", "metrics": { metric: [{
            "source": "nvd@nist.gov", "type": "Primary",
            "cvssData": { "version": version, "vectorString": vector },
        }] } } })
    };
    json!({
        "resultsPerPage": 2, "startIndex": 0, "totalResults": 2, "format": "NVD_CVE",
        "version": "2.0",
        "vulnerabilities": [
            record("CVE-2018-18074", "cvssMetricV31", "3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"),
            record("CVE-2019-11324", "cvssMetricV30", "3.0", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N"),
        ],
    })
}

impl Harness {
    pub fn start(admin_password: &str) -> Harness {
        Harness::try_start(Some(admin_password)).unwrap()
    }

    pub fn try_start(admin_password: Option<&str>) -> Result<Harness, String> {
        let dir = tempfile::tempdir().unwrap();
        let store = StoreUrl::in_data_dir(dir.path());
        Harness::start_on(dir, store, admin_password, None)
    }

    /// With `feed` (a feed document, e.g. an NVD API page, or an array of them) in the
    /// server's database besides the committed records.
    pub fn start_with_feed(admin_password: &str, feed: &Value) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let store = StoreUrl::in_data_dir(dir.path());
        Harness::start_on(dir, store, Some(admin_password), Some(feed)).unwrap()
    }

    /// On a fresh database of the test PostgreSQL server, when there is one; `feed` as in
    /// [`Harness::start_with_feed`].
    pub fn start_postgres(admin_password: &str, feed: Option<&Value>) -> Option<Harness> {
        let admin = std::env::var("KABUTO_TEST_POSTGRES_URL").ok()?;
        let name = format!("kabuto_api_{}_{}", std::process::id(), rand_suffix());
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            use sqlx::Executor;
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
            pool.execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .unwrap();
            pool.close().await;
        });
        let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
            .parse()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        Some(Harness::start_on(dir, url, Some(admin_password), feed).unwrap())
    }

    fn start_on(
        dir: tempfile::TempDir,
        store: StoreUrl,
        admin_password: Option<&str>,
        feed: Option<&Value>,
    ) -> Result<Harness, String> {
        let db = dir.path().join("kabuto.db");
        build_database_with(dir.path(), &db, feed);
        let config = ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            store,
            db,
            tls: None,
            insecure_listen: false,
            admin_password: admin_password.map(str::to_owned),
            data_dir: dir.path().to_path_buf(),
            sealing_key: kabuto_auth::SealingKey::generate().unwrap(),
            scan_workers: 1,
        };
        let (runtime, server) = serve(&config)?;
        Ok(Harness {
            base: format!("http://{}", server.addr),
            config,
            runtime: Some(runtime),
            server: Some(server),
            admin_password: admin_password.unwrap_or_default().to_owned(),
            admin_session: Mutex::new(None),
            _dir: dir,
        })
    }

    /// Builds the server's database file again, with `feed` as in [`Harness::start_with_feed`]
    /// (the server loads it within 30 s, or at once on `POST /api/v1/db/reload`).
    pub fn rebuild_database(&self, feed: Option<&Value>) {
        build_database_with(self._dir.path(), &self.config.db, feed);
    }

    /// Stops the server and its runtime (every background task with it) and starts it again
    /// on the same store, database and secret key, on a new port.
    pub fn restart(&mut self) {
        self.stop();
        let (runtime, server) = serve(&self.config).unwrap();
        self.base = format!("http://{}", server.addr);
        self.runtime = Some(runtime);
        self.server = Some(server);
        *self.admin_session.lock().unwrap() = None;
    }

    fn stop(&mut self) {
        if let (Some(runtime), Some(server)) = (self.runtime.take(), self.server.take()) {
            let _ = runtime.block_on(server.shutdown(Duration::from_secs(5)));
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }

    pub fn login(&self, id: &str, password: &str) -> String {
        let reply = self.call(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"id": id, "password": password})),
        );
        assert_eq!(reply.status, 200, "login: {}", reply.text);
        reply.body["token"].as_str().unwrap().to_owned()
    }

    /// The session cookie (`name=value`) and the CSRF token a login sets.
    pub fn login_cookies(&self, id: &str, password: &str) -> (String, String) {
        let reply = self.call(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"id": id, "password": password})),
        );
        let find = |name: &str| {
            reply
                .cookies
                .iter()
                .find(|c| c.starts_with(&format!("{name}=")))
                .map(|c| c.split(';').next().unwrap().to_owned())
                .unwrap()
        };
        let session = find("kabuto_session");
        assert!(
            reply
                .cookies
                .iter()
                .any(|c| c.contains("HttpOnly") && c.starts_with("kabuto_session"))
        );
        let csrf = find("kabuto_csrf").split_once('=').unwrap().1.to_owned();
        (session, csrf)
    }

    pub fn admin(&self) -> String {
        let mut session = self.admin_session.lock().unwrap();
        session
            .get_or_insert_with(|| self.login("administrator", &self.admin_password))
            .clone()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The server's data directory (its setup code, in setup mode).
    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    /// An API token of a new user with `role`.
    pub fn token_for(&self, role: Role) -> String {
        let admin = self.admin();
        let id = format!("{role}-{}", rand_suffix());
        let user = self.call(
            "POST",
            "/api/v1/users",
            Some(&admin),
            Some(json!({"id": id, "role": role})),
        );
        assert_eq!(user.status, 201, "{}", user.text);
        let token = self.call(
            "POST",
            "/api/v1/tokens",
            Some(&admin),
            Some(json!({"name": "test", "user": id})),
        );
        assert_eq!(token.status, 201, "{}", token.text);
        token.body["token"].as_str().unwrap().to_owned()
    }

    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.raw(method, path, token, "application/json", bytes)
    }

    pub fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let mut request = ureq::request(method, &format!("{}{path}", self.base))
            .set("Content-Type", content_type);
        if let Some(token) = token {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        reply(if body.is_empty() && method == "GET" {
            request.call()
        } else {
            request.send_bytes(&body)
        })
    }

    /// The status of a POST whose body the server may refuse before reading it all: a
    /// plain socket that keeps reading the answer when the server stops reading the body.
    pub fn post_oversized(&self, path: &str, token: &str, body: &[u8]) -> u16 {
        use std::io::{Read, Write};
        let addr = self.base.trim_start_matches("http://");
        let mut socket = std::net::TcpStream::connect(addr).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        // The server may answer and close before the body is all sent: ignore write errors.
        let _ = socket
            .write_all(head.as_bytes())
            .and_then(|()| socket.write_all(body));
        let mut answer = Vec::new();
        let _ = socket.read_to_end(&mut answer);
        let text = String::from_utf8_lossy(&answer);
        text.split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0)
    }

    pub fn call_with_cookie(
        &self,
        method: &str,
        path: &str,
        cookie: &str,
        csrf: Option<&str>,
        body: Value,
    ) -> Reply {
        let mut request = ureq::request(method, &format!("{}{path}", self.base))
            .set("Content-Type", "application/json")
            .set("Cookie", cookie);
        if let Some(csrf) = csrf {
            request = request.set("X-CSRF-Token", csrf);
        }
        reply(if body.is_null() {
            request.call()
        } else {
            request.send_string(&body.to_string())
        })
    }

    /// Polls `path` until `done` holds (the background re-evaluation), for at most 30 s.
    pub fn wait_for(&self, path: &str, token: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let reply = self.call("GET", path, Some(token), None);
            if done(&reply.body) {
                return reply.body;
            }
            assert!(
                Instant::now() < deadline,
                "{path} never reached the expected state: {}",
                reply.text
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}",
            self.status,
            self.text.chars().take(400).collect::<String>()
        )
    }
}

fn reply(result: Result<ureq::Response, ureq::Error>) -> Reply {
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = response.status();
    let retry_after = response.header("Retry-After").and_then(|v| v.parse().ok());
    let cookies = response
        .all("Set-Cookie")
        .into_iter()
        .map(str::to_owned)
        .collect();
    let text = response.into_string().unwrap_or_default();
    Reply {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
        retry_after,
        cookies,
    }
}

fn rand_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_owned()
}

/// The database at `db` from the committed records and `feed`, written to `dir/feed`.
fn build_database_with(dir: &Path, db: &Path, feed: Option<&Value>) {
    let extra = dir.join("feed");
    // An array is several feed documents, one file each.
    let documents: Vec<&Value> = match feed {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    std::fs::create_dir_all(&extra).unwrap();
    for (i, document) in documents.iter().enumerate() {
        std::fs::write(extra.join(format!("feed-{i}.json")), document.to_string()).unwrap();
    }
    build_database(db, feed.map(|_| extra.as_path()));
}

fn serve(config: &ServerConfig) -> Result<(tokio::runtime::Runtime, RunningServer), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(kabuto_server::start(config.clone()))
        .map_err(|e| e.to_string())?;
    Ok((runtime, server))
}

/// A self-signed certificate for `localhost`, written with its key to `dir` (`cert.pem`,
/// `key.pem`).
pub fn localhost_certificate(dir: &Path) -> (rcgen::CertifiedKey, PathBuf, PathBuf) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.key_pair.serialize_pem()).unwrap();
    (certified, cert, key)
}

/// A server on `listen` with its SQLite store, database and data in `dir`, speaking TLS with
/// `tls` (certificate and key) when given.
pub fn config_in(
    dir: &Path,
    listen: &str,
    tls: Option<(PathBuf, PathBuf)>,
    admin_password: &str,
) -> ServerConfig {
    ServerConfig {
        listen: listen.parse().unwrap(),
        store: StoreUrl::in_data_dir(dir),
        db: dir.join("kabuto.db"),
        tls,
        insecure_listen: false,
        admin_password: Some(admin_password.to_owned()),
        data_dir: dir.to_path_buf(),
        sealing_key: kabuto_auth::SealingKey::generate().unwrap(),
        scan_workers: 1,
    }
}

/// Runs `test` against a server on PostgreSQL, or says that it is skipped when
/// `KABUTO_TEST_POSTGRES_URL` names no server.
pub fn on_postgres(admin_password: &str, test: impl FnOnce(&Harness)) {
    match Harness::start_postgres(admin_password, None) {
        Some(h) => test(&h),
        None => eprintln!(
            "note: skipped: KABUTO_TEST_POSTGRES_URL is not set (scripts/test.sh starts a server)"
        ),
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback port nothing listens on, below the kernel's ephemeral range: ports from that
/// range are what `bind(0)` (the servers of the other tests) and client sockets get, so one
/// of them could take a port picked there before the registry listens on it.
pub fn unused_port() -> u16 {
    let range =
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap_or_default();
    let low: u16 = range
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(32768);
    let span = u128::from(low.saturating_sub(10_000).max(1000));
    loop {
        let port = 10_000 + u16::try_from(uuid::Uuid::new_v4().as_u128() % span).unwrap();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A variable of the test registries' environment (`scripts/test-registry.sh` writes it),
/// or `None` with a note when they are not running.
pub fn registry_var(name: &str) -> Option<String> {
    let env = std::fs::read_to_string("/tmp/kabuto-registry/registry.env").ok();
    let value = env.as_deref().and_then(|text| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
            .map(str::to_owned)
    });
    if value.is_none() {
        eprintln!("note: test registries not running (scripts/test-registry.sh start); skipped");
    }
    value
}
