//! Building, opening, querying and installing databases, on the attributed fixtures in
//! `tests/fixtures/feeds` and (when present) the full corpus in /work/shared/vulndata.

use std::path::{Path, PathBuf};

use kabuto_vulndb::build::{self, BuildError};
use kabuto_vulndb::db::{self, Entry, Problem};
use kabuto_vulndb::manage::{self, ManageError};
use kabuto_vulndb::{AgeWarning, Database, DbError, age_warning};

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

    let err = Database::from_bytes(good[..good.len() - 10].to_vec(), "short.kdb")
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            DbError::Broken {
                problem: Problem::BodyLength { .. },
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().starts_with("broken database: short.kdb: "),
        "{err}"
    );
    assert!(err.to_string().contains("truncated"), "{err}");

    let mut magic = good.clone();
    magic[0] = b'X';
    assert!(matches!(
        Database::from_bytes(magic, "x.kdb").err().unwrap(),
        DbError::BadMagic { .. }
    ));

    let mut version = good.clone();
    version[8] = 99;
    let err = Database::from_bytes(version, "x.kdb").err().unwrap();
    assert!(
        matches!(err, DbError::WrongVersion { found: 99, .. }),
        "{err}"
    );

    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0xff;
    assert!(matches!(
        Database::from_bytes(flipped, "x.kdb").err().unwrap(),
        DbError::Checksum { .. }
    ));

    assert!(matches!(
        Database::from_bytes(Vec::new(), "x.kdb").err().unwrap(),
        DbError::BadMagic { .. }
    ));
    assert!(Database::from_bytes(good, "x.kdb").is_ok());
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
    assert_eq!(
        warnings_by_file_name(&report),
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

#[test]
fn a_signed_import_checks_the_signature_beside_the_file() {
    use kabuto_vulndb::signature::{self, SigningKey, VerifyError};
    let dir = tempfile::tempdir().unwrap();
    let built = build_fixture_db(dir.path());
    let key = SigningKey::generate().unwrap();
    let target = dir.path().join("installed/db.kdb");
    let err = manage::import_verified(&built, &key.public_key(), &target).unwrap_err();
    assert!(
        matches!(err, ManageError::Signature(VerifyError::NoSignature { .. })),
        "{err}"
    );
    assert!(!target.exists());
    let signed = signature::sign_file(&built, &key).unwrap();
    std::fs::write(signature::signature_path(&built), signed.to_json()).unwrap();
    manage::import_verified(&built, &key.public_key(), &target).unwrap();
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(&built).unwrap()
    );

    let other = SigningKey::generate().unwrap().public_key();
    let err = manage::import_verified(&built, &other, &dir.path().join("b.kdb")).unwrap_err();
    assert!(
        matches!(err, ManageError::Signature(VerifyError::OtherKey { .. })),
        "{err}"
    );
    // A changed file under the old signature.
    let mut bytes = std::fs::read(&built).unwrap();
    bytes.push(0);
    std::fs::write(&built, bytes).unwrap();
    let err = manage::import_verified(&built, &key.public_key(), &target).unwrap_err();
    assert!(
        matches!(
            err,
            ManageError::Signature(VerifyError::DigestMismatch { .. })
        ),
        "{err}"
    );
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
    assert_eq!(
        warning,
        AgeWarning::Stale {
            built_at: "2026-11-01T00:00:00Z".parse().unwrap(),
            age: time::Duration::hours(20 * 24 + 12),
            max_age: week,
        }
    );
    assert_eq!(
        warning.to_string(),
        "was built 20 days ago (2026-11-01T00:00:00Z), more than the allowed 7 days; \
         advisories published since are missing"
    );
    let warning = age_warning(&info, time::Duration::hours(6), at("2026-11-01T07:00:00Z")).unwrap();
    assert!(
        warning.to_string().contains("built 7 hours ago"),
        "{warning}"
    );
    // A freshly built database is not old.
    let fresh = db.info();
    assert_eq!(
        age_warning(fresh, week, time::OffsetDateTime::now_utc()),
        None
    );
    info.built_at = "last tuesday".into();
    let warning = age_warning(&info, week, at("2026-11-05T00:00:00Z")).unwrap();
    assert!(
        matches!(&warning, AgeWarning::Unreadable(u) if u.built_at == "last tuesday"),
        "{warning:?}"
    );
    assert!(warning.to_string().contains("unreadable"), "{warning}");
}

/// The fixture database with package entry `entry`'s field at `field` (0 key offset, 4 key
/// length, 8 record offset, 12 record length) set to `value`, checksum recomputed: only the
/// index checks can tell.
fn with_package_field(good: &[u8], entry: usize, field: usize, value: u32) -> Vec<u8> {
    db::reseal(good, |body| {
        let at = 8 + entry * 16 + field;
        body[at..at + 4].copy_from_slice(&value.to_le_bytes());
    })
    .expect("fixture header reads")
}

fn body_len(file: &[u8]) -> u32 {
    let db = Database::from_bytes(file.to_vec(), "x.kdb").expect("the database opens");
    u32::try_from(db.info().body_len).expect("body length fits u32")
}

fn problem(file: Vec<u8>) -> (Problem, String) {
    match Database::from_bytes(file, "crafted.kdb") {
        Err(err @ DbError::Broken { .. }) => {
            let text = err.to_string();
            let DbError::Broken { problem, .. } = err else {
                unreachable!()
            };
            (problem, text)
        }
        Err(other) => panic!("not a broken-database error: {other}"),
        Ok(_) => panic!("the crafted database opened"),
    }
}

#[test]
fn index_entries_outside_the_file_are_refused_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(build_fixture_db(dir.path())).unwrap();
    let end = body_len(&good);

    let (found, text) = problem(with_package_field(&good, 3, 8, end + 100));
    assert!(
        matches!(
            found,
            Problem::OutsideFile {
                entry: Entry::Package(3),
                part: "record",
                ..
            }
        ),
        "{text}"
    );
    assert!(
        text.starts_with(&format!(
            "broken database: crafted.kdb: package entry 3 record at offset {} ",
            end + 100
        )),
        "{text}"
    );
    // A length that runs past the end is as wrong.
    let (found, text) = problem(with_package_field(&good, 0, 12, u32::MAX));
    assert!(
        matches!(found, Problem::OutsideFile { part: "record", .. }),
        "{text}"
    );
    // An advisory entry (after the package entries) pointing at the end.
    let db = Database::from_bytes(good.clone(), "x.kdb").unwrap();
    let packages = usize::try_from(db.info().packages).unwrap();
    let (found, text) = problem(with_package_field(&good, packages, 0, end));
    assert!(
        matches!(
            found,
            Problem::OutsideFile {
                entry: Entry::Advisory(0),
                ..
            }
        ),
        "{text}"
    );
}

#[test]
fn index_entries_pointing_at_other_bytes_are_refused_on_open() {
    // Inside the file, but not the entry's own bytes: the old reader answered a lookup of
    // package 3 with package 2's advisories, silently.
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(build_fixture_db(dir.path())).unwrap();
    let field = |entry: usize, field: usize| {
        let db = Database::from_bytes(good.clone(), "x.kdb").unwrap();
        let header_end = good.len() - usize::try_from(db.info().body_len).unwrap();
        let at = header_end + 8 + entry * 16 + field;
        u32::from_le_bytes(good[at..at + 4].try_into().unwrap())
    };
    let crafted = db::reseal(&good, |body| {
        let at = 8 + 3 * 16 + 8;
        body[at..at + 4].copy_from_slice(&field(2, 8).to_le_bytes());
        body[at + 4..at + 8].copy_from_slice(&field(2, 12).to_le_bytes());
    })
    .unwrap();
    let (found, text) = problem(crafted);
    assert!(
        matches!(
            found,
            Problem::Misplaced {
                entry: Entry::Package(3),
                part: "record",
                ..
            }
        ),
        "{text}"
    );
    // A key inside the index tables.
    let (found, text) = problem(with_package_field(&good, 5, 0, 8));
    assert!(
        matches!(
            found,
            Problem::Misplaced {
                entry: Entry::Package(5),
                part: "key",
                offset: 8,
                ..
            }
        ),
        "{text}"
    );
    // Bytes after the last record that no entry owns.
    let padded = db::reseal(&good, |body| body.extend_from_slice(b"extra")).unwrap();
    let (found, text) = problem(padded);
    assert!(matches!(found, Problem::TrailingBytes { .. }), "{text}");
}

#[test]
fn keys_out_of_order_are_refused_on_open() {
    // Binary search over unsorted keys would silently miss packages.
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(build_fixture_db(dir.path())).unwrap();
    // The first key's first byte made the largest: the key now sorts after the second.
    let crafted = db::reseal(&good, |body| {
        let first_key = u32::from_le_bytes(body[8..12].try_into().unwrap()) as usize;
        body[first_key] = 0xff;
    })
    .unwrap();
    let (found, text) = problem(crafted);
    assert!(matches!(found, Problem::Unsorted { entry: 1 }), "{text}");
}

#[test]
fn an_undecodable_record_is_refused_by_import_and_fails_its_lookup() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(build_fixture_db(dir.path())).unwrap();
    let db = Database::from_bytes(good.clone(), "x.kdb").unwrap();
    let packages = usize::try_from(db.info().packages).unwrap();
    // Zero the record of the last package entry, `npm\0lodash` (the keys sort bytewise).
    let crafted = db::reseal(&good, |body| {
        let at = 8 + (packages - 1) * 16 + 8;
        let field = |at: usize| u32::from_le_bytes(body[at..at + 4].try_into().unwrap()) as usize;
        let (offset, len) = (field(at), field(at + 4));
        body[offset..offset + len].fill(0);
    })
    .unwrap();
    let candidate = dir.path().join("crafted.kdb");
    std::fs::write(&candidate, &crafted).unwrap();

    // Opening checks the structure only; the lookup that decodes the record fails.
    let opened = Database::open(&candidate).unwrap();
    let err = opened.lookup("npm", "lodash").unwrap_err();
    assert!(
        matches!(
            &err,
            DbError::Broken {
                problem: Problem::Decompress {
                    entry: Entry::Package(p),
                    ..
                },
                ..
            } if *p == packages - 1
        ),
        "{err}"
    );
    assert!(err.to_string().starts_with("broken database: "), "{err}");

    let target = dir.path().join("installed.kdb");
    let err = manage::import(&candidate, &target).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&candidate.display().to_string())
            && text.contains(&format!("package entry {}", packages - 1)),
        "{text}"
    );
    assert!(!target.exists());
}

#[test]
fn install_errors_name_the_file_or_url() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(build_fixture_db(dir.path())).unwrap();
    let crafted = with_package_field(&good, 0, 8, body_len(&good));
    let target = dir.path().join("installed.kdb");

    let candidate = dir.path().join("crafted.kdb");
    std::fs::write(&candidate, &crafted).unwrap();
    let text = manage::import(&candidate, &target).unwrap_err().to_string();
    assert!(
        text.starts_with(&format!("broken database: {}: ", candidate.display())),
        "{text}"
    );

    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&crafted))
    };
    let url = "https://mirror.example.invalid/kabuto.db";
    let text = manage::update_from_reader(&crafted[..], url, &sha, &target)
        .unwrap_err()
        .to_string();
    assert!(
        text.starts_with(&format!("broken database: {url}: package entry 0")),
        "{text}"
    );
    assert!(!text.contains("<memory>"), "{text}");
}

/// Every answer the fixture database gives: advisories (with text) of every fixture package.
fn every_answer(db: &Database) -> Vec<String> {
    let packages = [
        ("PyPI", "requests"),
        ("npm", "lodash"),
        ("RubyGems", "rack"),
        ("Packagist", "symfony/symfony"),
        ("AlmaLinux:9", "openssl-libs"),
        ("Go", "github.com/gin-gonic/gin"),
    ];
    packages
        .iter()
        .flat_map(|(ecosystem, name)| db.advisories_for(ecosystem, name).expect("lookup"))
        .map(|a| format!("{a:?}"))
        .collect()
}

#[test]
fn an_open_database_survives_its_file_being_truncated() {
    // A memory-mapped database died of SIGBUS here, killing the test binary.
    let dir = tempfile::tempdir().unwrap();
    let path = build_fixture_db(dir.path());
    let db = Database::open(&path).unwrap();
    let before = every_answer(&db);
    assert!(before.len() >= 6, "{before:?}");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    assert_eq!(every_answer(&db), before);
    db.check_records().unwrap();
}

#[test]
fn import_replaces_the_file_and_never_rewrites_it_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let first = build_fixture_db(dir.path());
    let target = dir.path().join("installed.kdb");
    manage::import(&first, &target).unwrap();
    let first_bytes = std::fs::read(&first).unwrap();
    let second = dir.path().join("pypa-only.kdb");
    build::build(&[fixtures().join("pypa")], &second).unwrap();

    // Held across the import: an open file, and an open database.
    let mut held = std::fs::File::open(&target).unwrap();
    let db = Database::open(&target).unwrap();
    manage::import(&second, &target).unwrap();
    let mut seen = Vec::new();
    std::io::Read::read_to_end(&mut held, &mut seen).unwrap();
    assert_eq!(seen, first_bytes, "the old file was rewritten in place");
    assert_eq!(ids(&db, "npm", "lodash").len(), 3);
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(&second).unwrap()
    );
}

/// A member whose bytes were damaged is named with its CRC-32 mismatch; the others are read.
#[test]
fn damaged_zip_members_are_named_and_skipped() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("all.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("damaged.json", stored).unwrap();
    zip.write_all(br#"{"id": "X-DAMAGED-1", "modified": "2026-01-01T00:00:00Z", "affected": []}"#)
        .unwrap();
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("GO-2020-0001.json", deflated).unwrap();
    zip.write_all(&std::fs::read(fixtures().join("golang/GO-2020-0001.json")).unwrap())
        .unwrap();
    zip.finish().unwrap();
    let mut bytes = std::fs::read(&zip_path).unwrap();
    let at = bytes
        .windows(12)
        .position(|w| w == b"X-DAMAGED-1\"")
        .unwrap();
    bytes[at] = b'Y';
    std::fs::write(&zip_path, bytes).unwrap();

    let (advisories, report) = build::collect(&[zip_path]).unwrap();
    assert_eq!(advisories.len(), 1);
    assert_eq!(advisories[0].id.as_str(), "GO-2020-0001");
    assert_eq!(
        warnings_by_file_name(&report),
        [(
            "all.zip!damaged.json",
            "cannot read entry: CRC-32 mismatch: the archive is damaged"
        )]
    );
}

/// Each warning as (file name without its directory, message).
fn warnings_by_file_name(report: &build::BuildReport) -> Vec<(&str, &str)> {
    report
        .warnings
        .iter()
        .map(|w| {
            (
                w.file.rsplit('/').next().unwrap_or(&w.file),
                w.message.as_str(),
            )
        })
        .collect()
}
