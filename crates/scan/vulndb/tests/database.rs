//! Building, opening, querying and installing databases, on the attributed fixtures in
//! `tests/fixtures/feeds` and (when present) the full corpus in /work/shared/vulndata.

use std::path::{Path, PathBuf};

use kabuto_vulndb::build::{self, BuildError};
use kabuto_vulndb::manage::{self, ManageError};
use kabuto_vulndb::{Database, DbError, age_warning};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/feeds")
}

fn build_fixture_db(dir: &Path) -> PathBuf {
    let out = dir.join("vuln.kdb");
    let report = build::build(&[fixtures()], &out).expect("fixture build");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    out
}

fn ids(db: &Database, ecosystem: &str, name: &str) -> Vec<String> {
    let mut ids: Vec<String> = db
        .advisories_for(ecosystem, name)
        .expect("lookup")
        .map(|a| a.expect("decode").id.to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn builds_and_looks_up_every_fixture_feed() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&build_fixture_db(dir.path())).unwrap();
    assert_eq!(ids(&db, "PyPI", "requests"), ["PYSEC-2018-28"]);
    // PEP 503 spelling differences still find the package.
    assert_eq!(ids(&db, "PyPI", "Requests"), ["PYSEC-2018-28"]);
    assert_eq!(
        ids(&db, "npm", "lodash"),
        ["NSWG-ECO-368", "NSWG-ECO-493", "NSWG-ECO-516"]
    );
    assert_eq!(ids(&db, "RubyGems", "rack"), ["CVE-2013-0183"]);
    assert_eq!(
        ids(&db, "Packagist", "Symfony/Symfony"),
        ["FOP-symfony/symfony/2012-02-24"]
    );
    assert_eq!(ids(&db, "AlmaLinux:9", "openssl-libs"), ["ALSA-2022:6224"]);
    assert!(ids(&db, "PyPI", "not-a-package").is_empty());
    assert!(ids(&db, "npm", "requests").is_empty());

    let requests = db
        .advisories_for("PyPI", "requests")
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let aliases: Vec<&str> = requests.aliases.iter().map(|a| a.as_str()).collect();
    assert_eq!(aliases, ["CVE-2018-18074", "GHSA-x84v-xcm2-53pg"]);
    assert_eq!(requests.affected[0].ranges[0].fix(), Some("2.20.0"));
    assert!(requests.affected[0].versions.contains(&"2.19.1".to_owned()));

    let rack = db
        .advisories_for("RubyGems", "rack")
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let unaffected: Vec<String> = rack.affected[0]
        .unaffected
        .iter()
        .map(|i| i.to_string())
        .collect();
    assert_eq!(unaffected, [">= 1.3.8, < 1.4", ">= 1.4.3"]);
    assert_eq!(rack.affected[0].fixed_in, ["1.3.8", "1.4.3"]);

    let info = db.info();
    assert_eq!(info.advisories, 12);
    assert_eq!(info.ecosystems.get("npm"), Some(&3));
}

#[test]
fn refuses_damaged_files_with_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = build_fixture_db(dir.path());
    let good = std::fs::read(&path).unwrap();

    let err = Database::from_bytes(good[..good.len() - 10].to_vec())
        .err()
        .unwrap();
    assert!(matches!(err, DbError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("truncated"), "{err}");

    let mut magic = good.clone();
    magic[0] = b'X';
    assert!(matches!(
        Database::from_bytes(magic).err().unwrap(),
        DbError::BadMagic { .. }
    ));

    let mut version = good.clone();
    version[8] = 99;
    let err = Database::from_bytes(version).err().unwrap();
    assert!(
        matches!(err, DbError::WrongVersion { found: 99, .. }),
        "{err}"
    );

    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0xff;
    assert!(matches!(
        Database::from_bytes(flipped).err().unwrap(),
        DbError::Checksum { .. }
    ));

    assert!(matches!(
        Database::from_bytes(Vec::new()).err().unwrap(),
        DbError::BadMagic { .. }
    ));
    assert!(Database::from_bytes(good).is_ok());
}

#[test]
fn malformed_records_are_skipped_with_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("feeds");
    std::fs::create_dir_all(&feeds).unwrap();
    std::fs::write(feeds.join("broken.json"), "{ not json").unwrap();
    std::fs::write(
        feeds.join("bad-id.json"),
        r#"{"id":"has space","modified":"2020-01-01T00:00:00Z","affected":[]}"#,
    )
    .unwrap();
    std::fs::write(
        feeds.join("bad-gem.yml"),
        "gem: x\ncve: 2020-1\npatched_versions:\n  - \"!= 1.0\"\n",
    )
    .unwrap();
    std::fs::write(feeds.join("README.md"), "not an advisory").unwrap();
    std::fs::copy(
        fixtures().join("pypa/PYSEC-2018-28.yaml"),
        feeds.join("PYSEC-2018-28.yaml"),
    )
    .unwrap();
    let (advisories, report) = build::collect(std::slice::from_ref(&feeds)).unwrap();
    assert_eq!(advisories.len(), 1);
    assert_eq!(report.ignored_files, 1);
    let mut warnings: Vec<String> = report
        .warnings
        .iter()
        .map(|w| {
            format!(
                "{} {}",
                Path::new(&w.file).file_name().unwrap().to_string_lossy(),
                w.message
            )
        })
        .collect();
    warnings.sort();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(
        warnings[0].starts_with("bad-gem.yml field `patched_versions`"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].starts_with("bad-id.json field `id`"),
        "{warnings:?}"
    );
    assert!(
        warnings[2].starts_with("broken.json invalid JSON"),
        "{warnings:?}"
    );

    let missing = build::build(&[dir.path().join("nope")], &dir.path().join("x.kdb"));
    assert!(matches!(missing, Err(BuildError::Source { .. })));
}

#[test]
fn reads_osv_zip_archives() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("all.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("GO-2020-0001.json", options).unwrap();
    zip.write_all(&std::fs::read(fixtures().join("golang/GO-2020-0001.json")).unwrap())
        .unwrap();
    zip.start_file("broken.json", options).unwrap();
    zip.write_all(b"[]").unwrap();
    zip.finish().unwrap();
    let (advisories, report) = build::collect(&[zip_path]).unwrap();
    assert_eq!(advisories.len(), 1);
    assert_eq!(advisories[0].id.as_str(), "GO-2020-0001");
    assert_eq!(report.warnings.len(), 1);
    assert!(report.warnings[0].file.ends_with("all.zip!broken.json"));
}

/// A member cut at the inflation limit is named with the limit, not reported as JSON that
/// breaks at column 16777216; the other members are still read.
#[test]
fn zip_members_past_the_inflation_limit_are_named_not_parsed() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("all.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("huge.json", options).unwrap();
    // A valid JSON document just over 16 MiB that deflates to a few KiB.
    let padding = " ".repeat((16 << 20) + 1);
    zip.write_all(format!("{{\"id\": \"X-1\",{padding}\"affected\": []}}").as_bytes())
        .unwrap();
    zip.start_file("GO-2020-0001.json", options).unwrap();
    zip.write_all(&std::fs::read(fixtures().join("golang/GO-2020-0001.json")).unwrap())
        .unwrap();
    zip.finish().unwrap();
    let (advisories, report) = build::collect(&[zip_path]).unwrap();
    assert_eq!(advisories.len(), 1);
    let messages: Vec<_> = report
        .warnings
        .iter()
        .map(|w| (w.file.rsplit('/').next().unwrap(), w.message.as_str()))
        .collect();
    assert_eq!(
        messages,
        [(
            "all.zip!huge.json",
            "entry inflates past the 16 MiB limit; not analyzed"
        )]
    );
}

#[test]
fn import_and_update_keep_the_previous_database_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    let built = build_fixture_db(dir.path());
    let target = dir.path().join("installed/db.kdb");
    let info = manage::import(&built, &target).unwrap();
    assert_eq!(manage::info(&target).unwrap(), info);

    let junk = dir.path().join("junk.kdb");
    std::fs::write(&junk, b"KABUTODB garbage").unwrap();
    assert!(matches!(
        manage::import(&junk, &target),
        Err(ManageError::Invalid(_))
    ));
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(&built).unwrap()
    );

    let bytes = std::fs::read(&built).unwrap();
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&bytes))
    };
    let wrong = "0".repeat(64);
    let err = manage::update_from_reader(&bytes[..], "download", &wrong, &target).unwrap_err();
    assert!(matches!(err, ManageError::Checksum { .. }), "{err}");
    manage::update_from_path(&built, &sha.to_uppercase(), &target).unwrap();
    assert!(Database::open(&target).is_ok());
}

/// The whole staged corpus: every feed converts without aborting and known records land.
#[test]
fn builds_the_shared_corpus() {
    let corpus = Path::new("/work/shared/vulndata");
    if !corpus.exists() {
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("all.kdb");
    let report = build::build(&[corpus.to_owned()], &out).unwrap();
    eprintln!(
        "corpus: {} files, {} advisories, {} warnings, {} ms",
        report.files_read,
        report.advisories,
        report.warnings.len(),
        report.elapsed_ms
    );
    // Warnings are only for files that are not advisories of a known feed, or broken records:
    // far fewer than one in a hundred files.
    assert!(
        report.warnings.len() * 100 < report.files_read,
        "{:?}",
        &report.warnings[..10]
    );
    let db = Database::open(&out).unwrap();
    assert!(ids(&db, "PyPI", "requests").contains(&"PYSEC-2018-28".to_owned()));
    assert!(ids(&db, "npm", "lodash").contains(&"NSWG-ECO-368".to_owned()));
    assert!(ids(&db, "Alpine:v3.8", "apache2").contains(&"CVE-2019-9517".to_owned()));
    assert!(
        ids(&db, "Debian:12", "openssl")
            .iter()
            .any(|id| id.starts_with("DEBCL-CVE-"))
    );
    assert!(ids(&db, "Debian:10", "prototypejs").contains(&"CVE-2008-7220".to_owned()));
    assert!(
        ids(&db, "crates.io", "smallvec")
            .iter()
            .any(|id| id.starts_with("RUSTSEC-"))
    );
}

#[test]
fn age_warning_names_the_age_and_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&build_fixture_db(dir.path())).unwrap();
    let mut info = db.info().clone();
    info.built_at = "2026-11-01T00:00:00Z".into();
    let at = |text: &str| {
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap()
    };
    let week = time::Duration::days(7);
    assert_eq!(age_warning(&info, week, at("2026-11-05T00:00:00Z")), None);
    assert_eq!(age_warning(&info, week, at("2026-11-08T00:00:00Z")), None);
    let warning = age_warning(&info, week, at("2026-11-21T12:00:00Z")).unwrap();
    assert!(warning.contains("built 20 days ago"), "{warning}");
    assert!(warning.contains("allowed 7 days"), "{warning}");
    let warning = age_warning(&info, time::Duration::hours(6), at("2026-11-01T07:00:00Z")).unwrap();
    assert!(warning.contains("built 7 hours ago"), "{warning}");
    // A freshly built database is not old.
    let fresh = db.info();
    assert_eq!(
        age_warning(fresh, week, time::OffsetDateTime::now_utc()),
        None
    );
    info.built_at = "last tuesday".into();
    assert!(
        age_warning(&info, week, at("2026-11-05T00:00:00Z"))
            .unwrap()
            .contains("unreadable")
    );
}
