//! Fetches from a loopback server that serves the feeds in their upstream layouts, made from
//! `../shared/vulndata`: OSV directories zipped as `all.zip`, `ecosystems.txt`, the Debian
//! tracker and Alpine secdb samples, NVD API pages built from `nvd-sample`, and small EPSS and
//! KEV files written in their published formats.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use kabuto_fetch::{
    FeedCache, FeedOutcome, FeedStatus, FetchError, FetchOptions, FetchReport, NoProgress,
    Progress, ProxySettings, Sources, fetch,
};

const VULNDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../../shared/vulndata");
/// Records per NVD page the server returns, whatever the client asks: 44 records, 3 pages.
const NVD_PAGE: usize = 20;
const LAST_MODIFIED: &str = "Sat, 21 Nov 2026 10:00:00 GMT";

/// A misbehaviour the server shows for one path.
#[derive(Clone)]
enum Fault {
    Status(u16),
    /// Sleeps far past the client's timeout before answering.
    Stall,
    /// `503 Retry-After: 0` this many times, then the file.
    Unavailable(usize),
}

/// One request the server answered.
#[derive(Debug, Clone)]
struct Hit {
    path: String,
    conditional: bool,
    status: u16,
    bytes: usize,
    api_key: Option<String>,
}

#[derive(Default)]
struct Mirror {
    files: Mutex<HashMap<String, Vec<u8>>>,
    faults: Mutex<HashMap<String, Fault>>,
    hits: Mutex<Vec<Hit>>,
    nvd: Vec<serde_json::Value>,
    /// What a query for records modified in a time window answers.
    nvd_modified: Mutex<Vec<serde_json::Value>>,
}

struct Server {
    mirror: Arc<Mirror>,
    base: String,
}

impl Server {
    fn start() -> Server {
        let mirror = Arc::new(Mirror {
            files: Mutex::new(upstream_files()),
            nvd: nvd_records(),
            ..Mirror::default()
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::clone(&mirror);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let app = axum::Router::new().fallback(serve).with_state(state);
                axum::serve(listener, app).await.expect("serve");
            });
        });
        Server { mirror, base }
    }

    fn sources(&self) -> Sources {
        self.sources_at(&self.base)
    }

    fn sources_at(&self, base: &str) -> Sources {
        let text = format!(
            "osv:\n  base: {base}/osv\n  ecosystems: [crates.io, AlmaLinux]\n\
             debian:\n  url: {base}/debian/json\n\
             alpine:\n  base: {base}/alpine\n  branches: [v3.11, v3.12]\n\
             nvd:\n  url: {base}/nvd/cves/2.0\n  api_key_env: CARGO_PKG_NAME\n\
             epss:\n  url: {base}/epss/epss_scores-current.csv.gz\n\
             kev:\n  url: {base}/kev/known_exploited_vulnerabilities.json\n"
        );
        Sources::from_yaml_str("test sources", &text).expect("valid sources")
    }

    fn fault(&self, path: &str, fault: Fault) {
        self.mirror
            .faults
            .lock()
            .expect("lock")
            .insert(path.into(), fault);
    }

    fn replace(&self, path: &str, body: Vec<u8>) {
        self.mirror
            .files
            .lock()
            .expect("lock")
            .insert(path.into(), body);
    }

    fn file(&self, path: &str) -> Vec<u8> {
        self.mirror.files.lock().expect("lock")[path].clone()
    }

    /// Takes the requests answered so far.
    fn hits(&self) -> Vec<Hit> {
        std::mem::take(&mut *self.mirror.hits.lock().expect("lock"))
    }
}

fn etag(body: &[u8]) -> String {
    format!("\"{:08x}-{}\"", crc32(body), body.len())
}

fn crc32(body: &[u8]) -> u32 {
    let mut hasher = flate2::Crc::new();
    hasher.update(body);
    hasher.sum()
}

async fn serve(State(mirror): State<Arc<Mirror>>, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().to_owned();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let conditional = header("if-none-match").is_some() || header("if-modified-since").is_some();
    let api_key = header("apikey");
    let fault = {
        let mut faults = mirror.faults.lock().expect("lock");
        let fault = faults.get(&path).cloned();
        if let Some(Fault::Unavailable(n)) = fault {
            if n > 1 {
                faults.insert(path.clone(), Fault::Unavailable(n - 1));
            } else {
                faults.remove(&path);
            }
        }
        fault
    };
    let mut builder = Response::builder();
    let (status, body) = match fault {
        Some(Fault::Status(code)) => (code, b"broken".to_vec()),
        Some(Fault::Stall) => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            (200, Vec::new())
        }
        Some(Fault::Unavailable(_)) => {
            builder = builder.header("retry-after", "0");
            (503, b"busy".to_vec())
        }
        None if path == "/nvd/cves/2.0" => {
            let query = uri.query().unwrap_or("");
            let page = if query.contains("lastModStartDate=") && query.contains("lastModEndDate=") {
                nvd_page(&mirror.nvd_modified.lock().expect("lock"), query)
            } else {
                nvd_page(&mirror.nvd, query)
            };
            (200, page)
        }
        None => match mirror.files.lock().expect("lock").get(&path) {
            None => (404, b"not found".to_vec()),
            Some(body) if header("if-none-match") == Some(etag(body)) => (304, Vec::new()),
            Some(body) => {
                builder = builder
                    .header("etag", etag(body))
                    .header("last-modified", LAST_MODIFIED);
                (200, body.clone())
            }
        },
    };
    mirror.hits.lock().expect("lock").push(Hit {
        path,
        conditional,
        status,
        bytes: body.len(),
        api_key,
    });
    builder
        .status(StatusCode::from_u16(status).expect("status"))
        .body(Body::from(body))
        .expect("response")
}

/// An NVD API 2.0 page: at most [`NVD_PAGE`] records from `startIndex`.
fn nvd_page(records: &[serde_json::Value], query: &str) -> Vec<u8> {
    let params: HashMap<&str, usize> = query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
        .collect();
    let start = params
        .get("startIndex")
        .copied()
        .unwrap_or(0)
        .min(records.len());
    let per_page = params
        .get("resultsPerPage")
        .copied()
        .unwrap_or(2000)
        .min(NVD_PAGE);
    let page: Vec<_> = records[start..]
        .iter()
        .take(per_page)
        .map(|cve| serde_json::json!({ "cve": cve }))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "resultsPerPage": page.len(),
        "startIndex": start,
        "totalResults": records.len(),
        "format": "NVD_CVE",
        "version": "2.0",
        "timestamp": "2026-11-23T10:00:00.000",
        "vulnerabilities": page,
    }))
    .expect("page")
}

fn vulndata(path: &str) -> PathBuf {
    Path::new(VULNDATA).join(path)
}

fn nvd_records() -> Vec<serde_json::Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(vulndata("nvd-sample"))
        .expect("nvd-sample")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| serde_json::from_slice(&std::fs::read(f).expect("read")).expect("json"))
        .collect()
}

/// Up to `limit` JSON files of `dir`, zipped as OSV exports them.
fn zip_dir(dir: &str, limit: usize) -> Vec<u8> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(vulndata(dir))
        .expect("osv dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for file in files.iter().take(limit) {
        let name = file.file_name().expect("name").to_string_lossy();
        zip.start_file(name, options).expect("entry");
        zip.write_all(&std::fs::read(file).expect("read"))
            .expect("write");
    }
    zip.finish().expect("zip").into_inner()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

const EPSS_CSV: &str = "#model_version:v2025.03.14,score_date:2026-11-22T12:55:00Z\n\
cve,epss,percentile\n\
CVE-2024-3094,0.84216,0.99277\n\
CVE-2019-10744,0.01146,0.77710\n\
CVE-2023-38545,0.23456,0.97012\n";

const KEV_JSON: &str = r#"{"title": "CISA Catalog of Known Exploited Vulnerabilities",
 "catalogVersion": "2026.11.20", "dateReleased": "2026-11-20T17:01:43.7316Z", "count": 1,
 "vulnerabilities": [{"cveID": "CVE-2024-3094", "vendorProject": "Tukaani", "product": "XZ Utils",
 "vulnerabilityName": "Tukaani XZ Utils Embedded Malicious Code", "dateAdded": "2024-03-29",
 "shortDescription": "backdoor", "requiredAction": "Apply mitigations", "dueDate": "2024-04-19",
 "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": ["CWE-506"]}]}"#;

fn empty_secdb(release: &str) -> Vec<u8> {
    format!(
        r#"{{"apkurl": "{{{{urlprefix}}}}/{{{{distroversion}}}}/{{{{reponame}}}}/{{{{arch}}}}/{{{{pkg.name}}}}-{{{{pkg.ver}}}}.apk",
 "archs": ["x86_64"], "reponame": "community", "urlprefix": "http://dl-cdn.alpinelinux.org/alpine",
 "distroversion": "{release}", "packages": []}}"#
    )
    .into_bytes()
}

fn upstream_files() -> HashMap<String, Vec<u8>> {
    let read = |p: &str| std::fs::read(vulndata(p)).expect("fixture");
    let alpine = "format-samples/vuln-list-update/alpine/testdata";
    HashMap::from([
        (
            "/osv/ecosystems.txt".into(),
            b"AlmaLinux\nRocky Linux\ncrates.io\n".to_vec(),
        ),
        (
            "/osv/crates.io/all.zip".into(),
            zip_dir("rustsec-osv/crates", 400),
        ),
        (
            "/osv/AlmaLinux/all.zip".into(),
            zip_dir("almalinux/advisories/almalinux9", 150),
        ),
        (
            "/debian/json".into(),
            read(
                "format-samples/vunnel/tests/unit/providers/debian/test-fixtures/input/debian.json",
            ),
        ),
        (
            "/alpine/v3.11/main.json".into(),
            read(&format!("{alpine}/311-main.json")),
        ),
        ("/alpine/v3.11/community.json".into(), empty_secdb("v3.11")),
        (
            "/alpine/v3.12/main.json".into(),
            read(&format!("{alpine}/312-main.json")),
        ),
        ("/alpine/v3.12/community.json".into(), empty_secdb("v3.12")),
        (
            "/epss/epss_scores-current.csv.gz".into(),
            gzip(EPSS_CSV.as_bytes()),
        ),
        (
            "/kev/known_exploited_vulnerabilities.json".into(),
            KEV_JSON.as_bytes().to_vec(),
        ),
    ])
}

fn options() -> FetchOptions {
    FetchOptions {
        timeout: Duration::from_secs(10),
        retries: 2,
        backoff: Duration::from_millis(10),
        proxy: ProxySettings::default(),
        nvd_window: Duration::from_millis(1),
        ..FetchOptions::default()
    }
}

fn status_of<'a>(report: &'a FetchReport, name: &str) -> &'a FeedStatus {
    &report
        .feeds
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no outcome for {name}: {report:#?}"))
        .status
}

fn names(report: &FetchReport) -> Vec<&str> {
    report.feeds.iter().map(|f| f.name.as_str()).collect()
}

const ALL_FEEDS: [&str; 11] = [
    "osv/ecosystems.txt",
    "osv/crates.io",
    "osv/AlmaLinux",
    "debian",
    "alpine/v3.11/main",
    "alpine/v3.11/community",
    "alpine/v3.12/main",
    "alpine/v3.12/community",
    "nvd",
    "epss",
    "kev",
];

/// Counts what a [`Progress`] is told.
#[derive(Default)]
struct Counts {
    planned: Mutex<usize>,
    started: Mutex<usize>,
    received: Mutex<u64>,
    finished: Mutex<Vec<String>>,
}

impl Progress for Counts {
    fn planned(&self, feeds: usize) {
        *self.planned.lock().expect("lock") += feeds;
    }
    fn started(&self, _feed: &str, _url: &str) {
        *self.started.lock().expect("lock") += 1;
    }
    fn received(&self, _feed: &str, bytes: u64) {
        *self.received.lock().expect("lock") += bytes;
    }
    fn finished(&self, outcome: &FeedOutcome) {
        self.finished
            .lock()
            .expect("lock")
            .push(outcome.name.clone());
    }
}

#[test]
fn first_fetch_downloads_every_feed_and_the_builder_reads_the_cache() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = FeedCache::new(dir.path());
    let sources = server.sources();
    let progress = Counts::default();
    let report = fetch(&sources, &cache, &options(), &progress).expect("fetch");
    assert_eq!(*progress.planned.lock().expect("lock"), ALL_FEEDS.len());
    assert_eq!(*progress.started.lock().expect("lock"), ALL_FEEDS.len());
    assert_eq!(*progress.finished.lock().expect("lock"), ALL_FEEDS);
    assert_eq!(*progress.received.lock().expect("lock"), report.bytes());

    assert_eq!(names(&report), ALL_FEEDS);
    assert!(!report.has_failures(), "{report:#?}");
    for outcome in &report.feeds {
        assert!(
            matches!(outcome.status, FeedStatus::Fetched { bytes } if bytes > 0),
            "{outcome:?}"
        );
    }
    let zip = server.file("/osv/crates.io/all.zip");
    assert_eq!(
        std::fs::read(dir.path().join("osv/crates.io/all.zip")).expect("zip"),
        zip
    );

    let inputs = cache.build_inputs(&sources);
    assert_eq!(
        inputs.len(),
        10,
        "2 zips, the tracker, 4 secdb files, NVD, EPSS, KEV: {inputs:?}"
    );
    let (advisories, build) = kabuto_vulndb::build::collect(&inputs).expect("collect");
    let from = |feed: &str, prefix: &str| {
        advisories
            .iter()
            .filter(|a| a.feed.split('+').any(|f| f == feed) && a.id.as_str().starts_with(prefix))
            .count()
    };
    assert!(from("osv", "RUSTSEC-") > 100, "{build:?}");
    assert!(from("osv", "ALBA-") + from("osv", "ALSA-") > 50);
    assert!(from("debian-tracker", "CVE-") > 0);
    assert!(from("alpine-secdb", "CVE-") > 0);

    // NVD: three pages of 20, 20 and 4 records, with the key from the named variable.
    let nvd: Vec<Hit> = server
        .hits()
        .into_iter()
        .filter(|h| h.path.starts_with("/nvd"))
        .collect();
    assert_eq!(nvd.len(), 3);
    assert!(
        nvd.iter()
            .all(|h| h.api_key.as_deref() == Some("kabuto-fetch"))
    );
    let nvd_lines = std::fs::read_to_string(cache.nvd_cves()).expect("jsonl");
    let mut ids: Vec<String> = nvd_lines
        .lines()
        .map(|line| {
            let cve: serde_json::Value = serde_json::from_str(line).expect("a cve object");
            cve["id"].as_str().expect("an id").to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 44);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 44, "every record once");

    // The builder reads NVD, EPSS and KEV from the cache (kabuto_vulndb::enrich).
    assert!(build.nvd_records > 30, "{build:?}");
    assert!(build.epss_scores > 0 && build.kev_entries > 0, "{build:?}");
}

#[test]
fn second_fetch_is_conditional_and_every_file_is_not_modified() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = FeedCache::new(dir.path());
    let mut sources = server.sources();
    // NVD's API gives no validators; it is fetched whole each time.
    sources.nvd = None;
    fetch(&sources, &cache, &options(), &NoProgress).expect("first");
    let first = server.hits();
    assert!(first.iter().all(|h| !h.conditional && h.status == 200));

    let report = fetch(&sources, &cache, &options(), &NoProgress).expect("second");
    for outcome in &report.feeds {
        assert!(
            matches!(outcome.status, FeedStatus::NotModified),
            "{outcome:?}"
        );
    }
    let second = server.hits();
    assert_eq!(second.len(), first.len(), "one request per file");
    assert!(
        second.iter().all(|h| h.conditional && h.status == 304),
        "{second:?}"
    );
    assert_eq!(second.iter().map(|h| h.bytes).sum::<usize>(), 0);
    assert_eq!(report.bytes(), 0);
}

/// NVD sends no validators: after a complete fetch only the records modified since are asked
/// for, and merged in by id.
#[test]
fn nvd_is_kept_up_to_date_with_the_records_modified_since() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = FeedCache::new(dir.path());
    let mut sources = server.sources();
    sources.osv = None;
    sources.debian = None;
    sources.alpine = None;
    fetch(&sources, &cache, &options(), &NoProgress).expect("first");
    let lines = || -> Vec<serde_json::Value> {
        std::fs::read_to_string(cache.nvd_cves())
            .expect("jsonl")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect()
    };
    let before = lines();
    assert_eq!(before.len(), 44);
    let nvd_queries = |hits: Vec<Hit>| -> Vec<Hit> {
        hits.into_iter()
            .filter(|h| h.path.starts_with("/nvd"))
            .collect()
    };
    assert_eq!(nvd_queries(server.hits()).len(), 3, "three pages at first");

    // Nothing modified since: one small query, nothing rewritten.
    let report = fetch(&sources, &cache, &options(), &NoProgress).expect("second");
    assert!(matches!(status_of(&report, "nvd"), FeedStatus::NotModified));
    assert_eq!(nvd_queries(server.hits()).len(), 1);
    assert_eq!(lines(), before);

    // One record changed, one new: merged by id, the rest kept.
    let mut changed = before[3].clone();
    changed["vulnStatus"] = serde_json::json!("Modified again");
    let added = serde_json::json!({"id": "CVE-2099-0001", "vulnStatus": "Received", "metrics": {}});
    *server.mirror.nvd_modified.lock().expect("lock") = vec![changed.clone(), added.clone()];
    let report = fetch(&sources, &cache, &options(), &NoProgress).expect("third");
    assert!(matches!(
        status_of(&report, "nvd"),
        FeedStatus::Fetched { .. }
    ));
    let after = lines();
    assert_eq!(after.len(), 45);
    assert_eq!(after[3], changed);
    assert_eq!(after[44], added);
    assert_eq!(after[..3], before[..3]);
}

#[test]
fn a_failing_feed_is_reported_and_the_others_are_kept() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = FeedCache::new(dir.path());
    server.fault("/debian/json", Fault::Status(500));
    server.fault("/alpine/v3.12/main.json", Fault::Status(404));
    let mut sources = server.sources();
    if let Some(osv) = sources.osv.as_mut() {
        osv.ecosystems = Some(vec![
            "crates.io".to_owned().try_into().expect("name"),
            "Wolfi".to_owned().try_into().expect("name"),
        ]);
    }
    let options = FetchOptions {
        retries: 1,
        ..options()
    };
    let report = fetch(&sources, &cache, &options, &NoProgress).expect("fetch");

    let failed: Vec<String> = report
        .failures()
        .map(|f| match &f.status {
            FeedStatus::Failed(e) => {
                format!("{} ({}): {e}", f.name, f.url.replace(&server.base, "BASE"))
            }
            _ => unreachable!(),
        })
        .map(|line| line.replace(&server.base, "BASE"))
        .collect();
    assert_eq!(
        failed,
        [
            "osv/Wolfi (BASE/osv/Wolfi/all.zip): OSV ecosystem `Wolfi` is not listed in BASE/osv/ecosystems.txt",
            "debian (BASE/debian/json): BASE/debian/json: HTTP status 500",
            "alpine/v3.12/main (BASE/alpine/v3.12/main.json): BASE/alpine/v3.12/main.json: HTTP status 404",
        ]
    );
    // A 500 is retried (once here), a 404 is not.
    let hits = server.hits();
    let count = |p: &str| hits.iter().filter(|h| h.path == p).count();
    assert_eq!(
        (count("/debian/json"), count("/alpine/v3.12/main.json")),
        (2, 1)
    );
    for fine in ["osv/crates.io", "alpine/v3.11/main", "nvd", "epss", "kev"] {
        assert!(
            matches!(status_of(&report, fine), FeedStatus::Fetched { .. }),
            "{fine}"
        );
    }
    let inputs = cache.build_inputs(&sources);
    assert!(inputs.iter().all(|p| !p.ends_with("tracker.json")));
    let (advisories, _) = kabuto_vulndb::build::collect(&inputs).expect("collect");
    assert!(!advisories.is_empty());
}

#[test]
fn a_truncated_zip_is_a_failure_and_the_previous_copy_stays() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = FeedCache::new(dir.path());
    let sources = Sources {
        nvd: None,
        ..server.sources()
    };
    fetch(&sources, &cache, &options(), &NoProgress).expect("first");
    let good = server.file("/osv/crates.io/all.zip");

    let mut truncated = zip_dir("rustsec-osv/crates", 1000);
    truncated.truncate(truncated.len() / 2);
    server.replace("/osv/crates.io/all.zip", truncated);
    let report = fetch(&sources, &cache, &options(), &NoProgress).expect("second");

    match status_of(&report, "osv/crates.io") {
        FeedStatus::Failed(FetchError::BadDocument { reason, .. }) => {
            assert!(reason.contains("not a readable zip archive"), "{reason}")
        }
        other => panic!("expected a bad zip, got {other:?}"),
    }
    assert!(matches!(
        status_of(&report, "osv/AlmaLinux"),
        FeedStatus::NotModified
    ));
    let zip = cache.osv_zip(&"crates.io".to_owned().try_into().expect("name"));
    assert_eq!(std::fs::read(zip).expect("kept"), good);
    // The failed download left no temp file beside the kept one.
    let entries = std::fs::read_dir(dir.path().join("osv/crates.io"))
        .expect("dir")
        .count();
    assert_eq!(entries, 1);
}

#[test]
fn a_stalled_server_hits_the_request_timeout() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    server.fault("/kev/known_exploited_vulnerabilities.json", Fault::Stall);
    let sources = Sources {
        kev: server.sources().kev,
        epss: server.sources().epss,
        ..Sources::none()
    };
    let options = FetchOptions {
        timeout: Duration::from_millis(300),
        retries: 1,
        ..options()
    };
    let report =
        fetch(&sources, &FeedCache::new(dir.path()), &options, &NoProgress).expect("fetch");
    match status_of(&report, "kev") {
        FeedStatus::Failed(error @ FetchError::Transport { .. }) => {
            assert!(error.to_string().contains("timed out"), "{error}")
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(matches!(
        status_of(&report, "epss"),
        FeedStatus::Fetched { .. }
    ));
    assert_eq!(
        server
            .hits()
            .iter()
            .filter(|h| h.path.starts_with("/epss"))
            .count(),
        1
    );
}

#[test]
fn a_503_is_retried_after_retry_after_then_succeeds() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    server.fault(
        "/kev/known_exploited_vulnerabilities.json",
        Fault::Unavailable(2),
    );
    let sources = Sources {
        kev: server.sources().kev,
        ..Sources::none()
    };
    let options = FetchOptions {
        retries: 3,
        // Retry-After: 0 from the server overrides this.
        backoff: Duration::from_secs(600),
        ..options()
    };
    let report =
        fetch(&sources, &FeedCache::new(dir.path()), &options, &NoProgress).expect("fetch");
    assert!(
        matches!(status_of(&report, "kev"), FeedStatus::Fetched { .. }),
        "{report:?}"
    );
    let statuses: Vec<u16> = server.hits().iter().map(|h| h.status).collect();
    assert_eq!(statuses, [503, 503, 200]);
}

#[test]
fn requests_go_through_the_http_proxy_unless_no_proxy_names_the_host() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("tempdir");
    // The host does not resolve: only a proxy can reach it (the server answers absolute-form
    // requests as a forward proxy would).
    let mirror = "http://feeds.kabuto-test.invalid";
    let sources = Sources {
        kev: server.sources_at(mirror).kev,
        ..Sources::none()
    };
    let proxied = FetchOptions {
        proxy: ProxySettings {
            http: Some(server.base.clone()),
            ..ProxySettings::default()
        },
        ..options()
    };
    let report =
        fetch(&sources, &FeedCache::new(dir.path()), &proxied, &NoProgress).expect("fetch");
    assert!(
        matches!(status_of(&report, "kev"), FeedStatus::Fetched { .. }),
        "{report:?}"
    );

    let bypass = FetchOptions {
        proxy: ProxySettings {
            no_proxy: vec![".kabuto-test.invalid".into()],
            ..proxied.proxy.clone()
        },
        retries: 0,
        ..options()
    };
    let other = tempfile::tempdir().expect("tempdir");
    let report = fetch(
        &sources,
        &FeedCache::new(other.path()),
        &bypass,
        &NoProgress,
    )
    .expect("fetch");
    assert!(matches!(
        status_of(&report, "kev"),
        FeedStatus::Failed(FetchError::Transport { .. })
    ));
}
