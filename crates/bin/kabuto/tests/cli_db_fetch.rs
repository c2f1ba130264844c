//! `kabuto db build --fetch` against a loopback mirror of the upstream feeds (OSV's export
//! of the changelog-derived Debian 12 records, real NVD records, EPSS and KEV files in their
//! published formats), then `kabuto scan image` of the real Debian fixture image with no
//! other step: findings carry NVD severities, EPSS and KEV, which policies and `--sort-by
//! risk` use; a second fetch downloads nothing that did not change.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns; a panic is a test failure

mod common;

use std::io::Write;
use std::path::Path;

use common::mirror::Mirror;
use common::{Run, fixture_images, kabuto_in, path_arg};
use serde_json::Value;

const SHARED: &str = "/work/shared/vulndata";
const KEV_CVE: &str = "CVE-2024-28757";
const EPSS_CVE: &str = "CVE-2025-59375";

/// The upstream layout: `osv/ecosystems.txt`, `osv/Debian/all.zip`, one NVD API 2.0 page,
/// FIRST's gzipped CSV and CISA's catalog.
fn mirror_tree(root: &Path) {
    let osv = root.join("osv/Debian");
    std::fs::create_dir_all(&osv).unwrap();
    std::fs::write(root.join("osv/ecosystems.txt"), "Debian\nPyPI\n").unwrap();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(osv.join("all.zip")).unwrap());
    let records = Path::new(SHARED).join("debian12-changelog-derived/osv");
    let mut names: Vec<_> = std::fs::read_dir(&records)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    for name in names {
        zip.start_file(
            name.to_string_lossy(),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(&std::fs::read(records.join(&name)).unwrap())
            .unwrap();
    }
    zip.finish().unwrap();

    let mut cves = Vec::new();
    for entry in std::fs::read_dir(Path::new(SHARED).join("nvd-sample")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let cve: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            cves.push(serde_json::json!({ "cve": cve }));
        }
    }
    let page = serde_json::json!({"resultsPerPage": cves.len(), "startIndex": 0,
        "totalResults": cves.len(), "format": "NVD_CVE", "version": "2.0",
        "timestamp": "2026-12-06T00:00:00.000", "vulnerabilities": cves});
    std::fs::create_dir_all(root.join("nvd")).unwrap();
    std::fs::write(root.join("nvd/cves"), page.to_string()).unwrap();

    let csv = format!(
        "#model_version:v2025.03.14,score_date:2026-12-06T00:00:00+0000\n\
         cve,epss,percentile\n{EPSS_CVE},0.31205,0.96818\n{KEV_CVE},0.01925,0.82954\n"
    );
    std::fs::write(root.join("epss.csv.gz"), common::gzip(csv.as_bytes())).unwrap();
    let kev = serde_json::json!({"title": "CISA Catalog of Known Exploited Vulnerabilities",
        "catalogVersion": "2026.12.05", "dateReleased": "2026-12-05T16:00:00.000Z", "count": 1,
        "vulnerabilities": [{"cveID": KEV_CVE, "vendorProject": "libexpat", "product": "libexpat",
            "vulnerabilityName": "libexpat XML entity expansion", "dateAdded": "2026-03-02",
            "shortDescription": "", "requiredAction": "Apply updates.", "dueDate": "2026-03-23",
            "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": ["CWE-776"]}]});
    std::fs::write(root.join("kev.json"), kev.to_string()).unwrap();
}

/// `kabuto scan image IMAGE --db DB EXTRA...`.
fn scan(home: &Path, image: &Path, db: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["scan", "image", path_arg(image), "--db", path_arg(db)];
    args.extend(extra);
    kabuto_in(home, &args)
}

/// A scan that succeeds, its report as `format` (a JSON format).
fn scan_json(home: &Path, image: &Path, db: &Path, format: &str, extra: &[&str]) -> Value {
    let run = scan(home, image, db, &[&["--format", format], extra].concat());
    run.expect_code(0);
    run.json()
}

#[test]
fn fetched_feeds_give_a_current_enriched_database() {
    let Some(images) = fixture_images() else {
        eprintln!("SKIP: the fixture images are not built (scripts/test.sh builds them)");
        return;
    };
    if !Path::new(SHARED).join("nvd-sample").is_dir() {
        eprintln!("SKIP: {SHARED} is absent");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let upstream = home.join("upstream");
    mirror_tree(&upstream);
    let mirror = Mirror::serve(&upstream);
    let sources = home.join("sources.yaml");
    std::fs::write(
        &sources,
        format!(
            "osv: {{base: {url}/osv/, ecosystems: [Debian]}}\nnvd: {{url: {url}/nvd/cves}}\n\
             epss: {{url: {url}/epss.csv.gz}}\nkev: {{url: {url}/kev.json}}\n",
            url = mirror.url
        ),
    )
    .unwrap();
    // `db sources --sources FILE` reads the file back, normalised.
    let run = kabuto_in(home, &["db", "sources", "--sources", path_arg(&sources)]);
    run.expect_code(0);
    assert!(
        run.stdout.contains(&format!("{}/kev.json", mirror.url)),
        "{}",
        run.stdout
    );

    let db = home.join("kabuto.db");
    let cache = home.join("feeds");
    let fetch_with = |extra: &[&str]| {
        let mut args = vec!["db", "build", "--fetch", "--sources", path_arg(&sources)];
        args.extend(["--feed-cache", path_arg(&cache), "--db", path_arg(&db)]);
        args.extend(extra);
        kabuto_in(home, &args)
    };
    let fetch = || {
        let run = fetch_with(&[]);
        run.expect_code(0);
        run
    };
    let first = fetch();
    assert!(first.stdout.contains("6786 advisories"), "{}", first.stdout);
    assert!(first.stdout.contains("EPSS 2, KEV 1"), "{}", first.stdout);
    assert!(
        first.stderr.contains("0 not modified, 0 failed"),
        "{}",
        first.stderr
    );

    // No other step: the scan finds Debian's records, rated by NVD where the records have no
    // CVSS of their own.
    let image = images.join("docker/debian-app.tar");
    let report = scan_json(home, &image, &db, "json", &[]);
    let findings = report["vulnerabilities"].as_array().unwrap();
    let with = |cve: &str| findings.iter().find(|f| f["id"] == cve).unwrap().clone();
    let kev = with(KEV_CVE);
    assert_eq!(kev["severity"], "high");
    assert_eq!(
        kev["severity_source"],
        format!("CVSS:3.1 base score 7.5 (NVD {KEV_CVE})")
    );
    assert_eq!(kev["vendor_severity"]["nvd"], "high");
    assert_eq!(kev["kev"]["date_added"], "2026-03-02");
    assert_eq!(with(EPSS_CVE)["epss"]["score"], 0.31205);
    let rated = findings
        .iter()
        .filter(|f| f["severity"] != "unknown")
        .count();
    assert!(rated >= 8, "{rated} findings with an NVD severity");

    // CycloneDX: NVD's vector rated with source NVD; EPSS and KEV as properties.
    let bom = scan_json(home, &image, &db, "cyclonedx", &[]);
    let entry = bom["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == KEV_CVE)
        .unwrap()
        .clone();
    assert_eq!(entry["ratings"][0]["source"]["name"], "NVD", "{entry}");
    assert_eq!(entry["ratings"][0]["method"], "CVSSv31", "{entry}");
    let properties = entry["properties"].to_string();
    assert!(properties.contains("kabuto:kev:dateAdded"), "{properties}");
    assert!(properties.contains("kabuto:epss:score"), "{properties}");

    // SARIF results and the HTML report carry them too.
    let sarif = scan_json(home, &image, &db, "sarif", &[]).to_string();
    assert!(
        sarif.contains("\"kevDateAdded\":\"2026-03-02\""),
        "KEV in SARIF"
    );
    let html = scan(home, &image, &db, &["--format", "html"]);
    html.expect_code(0);
    assert!(html.stdout.contains(">KEV</span>"), "KEV badge in HTML");
    assert!(html.stdout.contains("EPSS: 31.2"), "EPSS in HTML");

    // Most urgent first: the KEV finding, then by EPSS.
    let report = scan_json(home, &image, &db, "json", &["--sort-by", "risk"]);
    let ids: Vec<&str> = report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids[..2], [KEV_CVE, EPSS_CVE]);

    // The KEV and EPSS controls fail the gate (exit 4) naming the finding.
    let policy = home.join("policy.yaml");
    std::fs::write(
        &policy,
        "name: exploited\nfail_cicd: true\nkev_enabled: true\nepss_score_enabled: true\nepss_score: 0.3\n",
    )
    .unwrap();
    let run = scan(home, &image, &db, &["--policy", path_arg(&policy)]);
    run.expect_code(4);
    assert!(run.stdout.contains(KEV_CVE), "{}", run.stdout);

    // A daily rebuild with nothing changed upstream downloads nothing again (NVD has no
    // validators and is asked again).
    let before = mirror.hits().len();
    let second = fetch();
    let again: Vec<(String, u16)> = mirror.hits()[before..].to_vec();
    let downloaded: Vec<&(String, u16)> = again
        .iter()
        .filter(|(path, status)| *status == 200 && !path.starts_with("/nvd"))
        .collect();
    assert!(downloaded.is_empty(), "{again:?}");
    assert!(
        second.stdout.contains("6786 advisories"),
        "{}",
        second.stdout
    );

    // A failing feed keeps the cached copy; --strict refuses to rebuild.
    std::fs::remove_file(upstream.join("kev.json")).unwrap();
    let third = fetch();
    assert!(third.stderr.contains("kev.json"), "{}", third.stderr);
    assert!(third.stdout.contains("KEV 1"), "{}", third.stdout);
    let built = std::fs::read(&db).unwrap();
    let run = fetch_with(&["--strict"]);
    run.expect_code(1);
    assert!(run.stderr.contains("--strict"), "{}", run.stderr);
    assert_eq!(
        std::fs::read(&db).unwrap(),
        built,
        "the database is untouched"
    );

    // Nothing fetched and nothing cached: said so, and the database is untouched.
    let empty = home.join("empty-cache");
    let args = [
        "db",
        "build",
        "--fetch",
        "--offline",
        "--feed-cache",
        path_arg(&empty),
        "--db",
        path_arg(&db),
    ];
    let run = kabuto_in(home, &args);
    run.expect_code(1);
    assert!(
        run.stderr.contains("the feed cache holds none"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read(&db).unwrap(), built);
}
