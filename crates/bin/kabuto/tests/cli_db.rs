//! `kabuto db build|import|info|update` end to end, in a throwaway home directory: the
//! default database location, checksum-verified updates that leave the previous database
//! in place on failure, and what a scan does with the installed database.

mod common;

use std::path::Path;

use common::{Run, app_image, kabuto_in, path_arg, redact, vulndb_feeds};

/// The output of `run` with the temp home and this checkout's path made stable.
fn stable(text: &str, home: &Path) -> String {
    let repo = common::crate_dir()
        .join("../../..")
        .canonicalize()
        .expect("checkout path");
    redact(text, &[home]).replace(path_arg(&repo), "[REPO]")
}

fn installed(home: &Path) -> std::path::PathBuf {
    home.join("cache/kabuto/db/kabuto.db")
}

/// The feeds directory as this checkout spells it (so messages show `[REPO]/...`).
fn feeds() -> String {
    path_arg(&vulndb_feeds().canonicalize().expect("feeds dir")).to_owned()
}

fn build(home: &Path, sources: &[&str], output: &Path) -> Run {
    let mut args = vec!["db", "build", "--output", path_arg(output)];
    for source in sources {
        args.extend(["--source", source]);
    }
    kabuto_in(home, &args)
}

/// Databases built in these tests are unsigned (signatures have their own test).
const SKIP_VERIFY: &str = "--insecure-skip-verify";

#[test]
fn build_import_info_and_scan_with_the_default_database() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let built = home.join("built.db");
    let run = build(home, &[&feeds()], &built);
    run.expect_code(0);
    insta::assert_snapshot!("build", stable(&run.stdout, home));

    // Nothing installed yet: info and scans say so.
    let run = kabuto_in(home, &["db", "info"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains(path_arg(&installed(home))),
        "{}",
        run.stderr
    );

    // Import checks the signature beside the file: signed with our own key, it verifies
    // with that key and not with the release key.
    let key = home.join("signing.pem");
    kabuto_in(home, &["db", "keygen", "--out", path_arg(&key)]).expect_code(0);
    let mut signed_build = vec!["db", "build", "--output", path_arg(&built)];
    let feeds = feeds();
    signed_build.extend(["--source", feeds.as_str(), "--signing-key", path_arg(&key)]);
    let run = kabuto_in(home, &signed_build);
    run.expect_code(0);
    assert!(run.stdout.contains("signed: "), "{}", run.stdout);
    let run = kabuto_in(home, &["db", "import", path_arg(&built)]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("signed by another key"),
        "{}",
        run.stderr
    );
    assert!(!installed(home).exists());
    let public = format!("{}.pub", path_arg(&key));
    let run = kabuto_in(
        home,
        &["db", "import", path_arg(&built), "--public-key", &public],
    );
    run.expect_code(0);
    assert_eq!(
        std::fs::read(installed(home)).unwrap(),
        std::fs::read(&built).unwrap()
    );
    let run = kabuto_in(home, &["db", "info"]);
    run.expect_code(0);
    insta::assert_snapshot!("info", stable(&run.stdout, home));
    let info = kabuto_in(home, &["db", "info", "--json"]);
    info.expect_code(0);
    let info = info.json();
    assert_eq!(info["advisories"], 12);
    assert_eq!(info["age_days"], 0);
    assert_eq!(info["ecosystems"]["npm"], 3);

    // `scan` without --db uses the installed database.
    let archive = home.join("app.tar");
    app_image().write(&archive);
    let run = kabuto_in(
        home,
        &[
            "scan",
            "image",
            path_arg(&archive),
            "--scanners",
            "vuln",
            "--exit-code",
            "3",
        ],
    );
    run.expect_code(3);
    assert!(run.stdout.contains("CVE-2018-18074"), "{}", run.stdout);
}

#[test]
fn a_bad_feed_file_is_a_warning_not_a_failure() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let extra = home.join("extra-feed");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::write(
        extra.join("GHSA-broken.json"),
        r#"{"id": "GHSA-broken", "affected": ["#,
    )
    .unwrap();
    let run = build(home, &[&feeds(), path_arg(&extra)], &home.join("out.db"));
    run.expect_code(0);
    // Only the CLI's own lines: the library's log line is the bug below.
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    insta::assert_snapshot!("bad_feed_file", stable(warnings[0], home));

    let run = build(
        home,
        &[path_arg(&home.join("no-such-feed"))],
        &home.join("x.db"),
    );
    run.expect_code(1);
    assert!(run.stderr.contains("no-such-feed"), "{}", run.stderr);
}

#[test]
fn feed_warnings_are_printed_once_without_colour_codes() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let extra = home.join("extra-feed");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::write(extra.join("GHSA-broken.json"), "{").unwrap();
    let run = build(home, &[path_arg(&extra), &feeds()], &home.join("out.db"));
    run.expect_code(0);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
    assert_eq!(
        run.stderr.matches("GHSA-broken.json").count(),
        1,
        "{}",
        run.stderr
    );
}

#[test]
fn failed_import_or_update_keeps_the_installed_database() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let good = home.join("good.db");
    build(home, &[&feeds()], &good).expect_code(0);
    kabuto_in(home, &["db", "import", path_arg(&good), SKIP_VERIFY]).expect_code(0);
    let before = std::fs::read(installed(home)).unwrap();

    let garbage = home.join("garbage.db");
    std::fs::write(&garbage, "not a database\n").unwrap();
    let mut transcript = String::new();
    let failures: [Vec<&str>; 4] = [
        vec!["db", "import", path_arg(&garbage), SKIP_VERIFY],
        vec![
            "db",
            "update",
            "--from",
            path_arg(&good),
            "--sha256",
            "00ff",
            SKIP_VERIFY,
        ],
        // No --sha256 and no `<from>.sha256` next to it.
        vec!["db", "update", "--from", path_arg(&good), SKIP_VERIFY],
        vec![
            "db",
            "update",
            "--from",
            "https://registry.example.invalid/kabuto.db",
            "--offline",
        ],
    ];
    for args in failures {
        let run = kabuto_in(home, &args);
        run.expect_code(1);
        assert_eq!(std::fs::read(installed(home)).unwrap(), before, "{args:?}");
        transcript.push_str(&run.stderr);
    }
    // A checksum file that matches a different file.
    std::fs::write(
        home.join("garbage.db.sha256"),
        format!("{}  good.db\n", &common::sha256(&before)[7..]),
    )
    .unwrap();
    let run = kabuto_in(
        home,
        &["db", "update", "--from", path_arg(&garbage), SKIP_VERIFY],
    );
    run.expect_code(1);
    assert_eq!(std::fs::read(installed(home)).unwrap(), before);
    transcript.push_str(&run.stderr);
    // The database records when it was built: its checksum changes with every build.
    let transcript = transcript.replace(&common::sha256(&before)[7..], "[SHA256 OF good.db]");
    insta::assert_snapshot!("failed_updates", stable(&transcript, home));

    // The sidecar checksum of the right file: the update goes through.
    std::fs::write(
        home.join("good.db.sha256"),
        format!("{}  good.db\n", &common::sha256(&before)[7..]),
    )
    .unwrap();
    // Without a signature beside it, the update is refused unless told to skip the check.
    let run = kabuto_in(home, &["db", "update", "--from", path_arg(&good)]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("the signature is needed"),
        "{}",
        run.stderr
    );
    let run = kabuto_in(
        home,
        &["db", "update", "--from", path_arg(&good), SKIP_VERIFY],
    );
    run.expect_code(0);
    assert!(run.stdout.starts_with("updated "), "{}", run.stdout);
}

#[test]
fn old_database_warns_but_scans() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let archive = home.join("app.tar");
    app_image().write(&archive);
    let db = common::feeds_db();
    let run = kabuto_in(
        home,
        &[
            "scan",
            "image",
            path_arg(&archive),
            "--scanners",
            "vuln",
            "--db",
            path_arg(db),
            "--db-max-age",
            "0",
        ],
    );
    run.expect_code(0);
    assert!(
        run.stderr
            .starts_with("warning: the vulnerability database"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("CVE-2018-18074"));
}

/// A database whose first package entry points past the end of the file, with the checksum
/// recomputed: the old reader accepted it and scanned without that package, exit 0.
#[test]
fn a_crafted_database_is_refused_by_import_and_scan() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let good = std::fs::read(common::feeds_db()).unwrap();
    let crafted = kabuto_vulndb::db::reseal(&good, |body| {
        let past_end = u32::try_from(body.len() + 1).unwrap();
        body[16..20].copy_from_slice(&past_end.to_le_bytes());
    })
    .unwrap();
    let db = home.join("crafted.db");
    std::fs::write(&db, crafted).unwrap();

    let run = kabuto_in(home, &["db", "import", path_arg(&db), SKIP_VERIFY]);
    run.expect_code(1);
    let expected = format!("broken database: {}: package entry 0 record", path_arg(&db));
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    assert!(!installed(home).exists());

    let archive = home.join("app.tar");
    app_image().write(&archive);
    let scan = [
        "scan",
        "image",
        path_arg(&archive),
        "--scanners",
        "vuln",
        "--db",
        path_arg(&db),
    ];
    let run = kabuto_in(home, &scan);
    run.expect_code(1);
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
}

/// Publish to the local Debian docker-registry and pull back: the signature checked with the
/// key given, a different key refused with the installed database kept, and the first-run
/// hint of a scan naming the exact commands.
#[test]
fn publish_and_pull_a_signed_database_through_a_registry() {
    let Some(registry) = common::plain_registry() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let key = home.join("release.pem");
    kabuto_in(home, &["db", "keygen", "--out", path_arg(&key)]).expect_code(0);
    let public = format!("{}.pub", path_arg(&key));
    let built = home.join("built.db");
    build(home, &[&feeds()], &built).expect_code(0);
    let reference = format!("oci://{registry}/kabuto-test/cli-db:{}", std::process::id());

    let run = kabuto_in(
        home,
        &[
            "db",
            "publish",
            "--to",
            &reference,
            "--db",
            path_arg(&built),
            "--signing-key",
            path_arg(&key),
            "--insecure",
        ],
    );
    run.expect_code(0);
    assert!(
        run.stdout.contains("signed by key sha256:"),
        "{}",
        run.stdout
    );

    // A scan without a database says how to get one.
    let archive = home.join("app.tar");
    app_image().write(&archive);
    let run = kabuto_in(home, &["scan", "image", path_arg(&archive)]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("`kabuto db build --fetch`"),
        "{}",
        run.stderr
    );

    let pull = |extra: &[&str]| {
        let mut args = vec!["db", "update", "--from", &reference, "--insecure"];
        args.extend(extra);
        kabuto_in(home, &args)
    };
    pull(&["--public-key", &public]).expect_code(0);
    assert_eq!(
        std::fs::read(installed(home)).unwrap(),
        std::fs::read(&built).unwrap()
    );
    kabuto_in(home, &["scan", "image", path_arg(&archive)]).expect_code(0);

    // The release key did not sign it: refused, the installed file kept.
    std::fs::write(installed(home), b"the installed database").unwrap();
    let run = pull(&[]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("signed by another key"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("the previous database is unchanged"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read(installed(home)).unwrap(),
        b"the installed database"
    );
    // --offline never reaches the registry.
    let run = pull(&["--offline"]);
    run.expect_code(1);
    assert!(run.stderr.contains("--offline"), "{}", run.stderr);
}
