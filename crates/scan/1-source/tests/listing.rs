//! Catalog and tag listing against the real registries of `scripts/test-registry.sh`
//! (plain HTTP, TLS with basic auth, bearer tokens), two names per page so that every
//! catalog walk follows `Link` headers. The registries share one storage with other tests and
//! runs, so each test pushes under its own prefix and looks at its own repositories only.
//! Each test prints a note and passes when that script has not been run.
#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

#[path = "common/registries.rs"]
mod registries;

use std::collections::BTreeMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use kabuto_source::SourceError;
use kabuto_source::registry::{
    BlobSource, Credentials, ImageReference, PullSelection, PullSelectionSpec, PushBlob,
    RegistryOptions, list_repositories, list_tags, push_artifact,
};
use registries::registries;

const PAGE: u32 = 2;
const ALL: usize = 1_000_000;

/// A prefix no other test or run uses.
fn prefix(what: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("reglist-{}-{nanos}/{what}", std::process::id())
}

/// Pushes `repos` repositories `<prefix>/r<i>` with tags `1.0`..`1.<tags-1>` each (a tiny
/// OCI artifact); returns the repository names in the catalog's (lexical) order.
fn push_repositories(
    address: &str,
    options: &RegistryOptions,
    prefix: &str,
    repos: usize,
    tags: usize,
) -> Vec<String> {
    let layer = [PushBlob {
        media_type: "application/octet-stream",
        source: BlobSource::Bytes(b"reglist"),
    }];
    let mut names: Vec<String> = (0..repos).map(|i| format!("{prefix}/r{i:02}")).collect();
    for name in &names {
        for tag in 0..tags {
            let reference = ImageReference::parse(&format!("{address}/{name}:1.{tag}")).unwrap();
            push_artifact(
                &reference,
                options,
                "application/vnd.kabuto.test.v1",
                &layer,
                &BTreeMap::new(),
            )
            .unwrap();
        }
    }
    names.sort();
    names
}

/// Lists the catalog and each pushed repository's tags two per page and checks them.
fn list_and_check(address: &str, options: &RegistryOptions, what: &str) {
    let prefix = prefix(what);
    let pushed = push_repositories(address, options, &prefix, 3, 5);

    let catalog = list_repositories(address, options, PAGE, ALL).unwrap();
    let selection = PullSelection::try_from(PullSelectionSpec {
        repo_patterns: vec![format!("{prefix}/*")],
        ..PullSelectionSpec::default()
    })
    .unwrap();
    assert_eq!(selection.repositories(&catalog), pushed);
    // `max` stops the walk (other tests push meanwhile, so only the count is certain).
    assert_eq!(
        list_repositories(address, options, PAGE, 3).unwrap().len(),
        3
    );

    for repository in &pushed {
        let reference = ImageReference::parse(&format!("{address}/{repository}")).unwrap();
        // Debian's docker-registry (2.8) sends all tags at once, unsorted, and no `Link`:
        // tag paging is shown by tests/listing_mock.rs.
        let mut tags = list_tags(&reference, options, PAGE, ALL).unwrap();
        tags.sort();
        assert_eq!(tags, ["1.0", "1.1", "1.2", "1.3", "1.4"], "{repository}");
        assert_eq!(list_tags(&reference, options, PAGE, 3).unwrap().len(), 3);
    }
}

#[test]
fn lists_pages_on_plain_http() {
    let Some(r) = registries() else { return };
    list_and_check(&r.address("PLAIN_PORT"), &r.plain_options(), "plain");
}

#[test]
fn lists_pages_on_tls_with_basic_auth_and_refuses_wrong_credentials() {
    let Some(r) = registries() else { return };
    let address = r.address("TLS_PORT");
    list_and_check(&address, &r.tls_options(), "tls");

    let wrong = RegistryOptions {
        credentials: Some(Credentials::new(r.var("USERNAME"), "wrong")),
        ..r.tls_options()
    };
    let err = list_repositories(&address, &wrong, PAGE, ALL).unwrap_err();
    assert!(
        matches!(err, SourceError::RegistryStatus { status: 401, .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("credentials were rejected"),
        "{err}"
    );
    let anonymous = RegistryOptions {
        credentials: None,
        ..r.tls_options()
    };
    let err = list_repositories(&address, &anonymous, PAGE, ALL).unwrap_err();
    assert!(err.to_string().contains("basic auth"), "{err}");
}

#[test]
fn lists_pages_with_bearer_tokens_and_refuses_wrong_credentials() {
    let Some(r) = registries() else { return };
    let address = r.address("TOKEN_PORT");
    let options = r.token_options();
    list_and_check(&address, &options, "token");

    let wrong = RegistryOptions {
        credentials: Some(Credentials::new(r.var("USERNAME"), "wrong")),
        ..options
    };
    let err = list_repositories(&address, &wrong, PAGE, ALL).unwrap_err();
    assert!(
        matches!(err, SourceError::RegistryStatus { status: 401, ref step, .. } if step.starts_with("token from")),
        "{err}"
    );
    assert!(
        err.to_string().contains("credentials were rejected"),
        "{err}"
    );
}

#[test]
fn tags_of_a_missing_repository_are_a_404_naming_it() {
    let Some(r) = registries() else { return };
    let address = r.address("PLAIN_PORT");
    let missing = format!("{}/absent", prefix("missing"));
    let reference = ImageReference::parse(&format!("{address}/{missing}")).unwrap();
    let err = list_tags(&reference, &r.plain_options(), PAGE, ALL).unwrap_err();
    assert!(
        matches!(err, SourceError::RegistryStatus { status: 404, .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&missing) && text.contains("NAME_UNKNOWN"),
        "{text}"
    );
}

/// How long the walk over 50 repositories of 10 tags takes (pushing excluded); run with
/// `--ignored` and read the figure it prints. Nothing is timed in an assertion.
#[test]
#[ignore = "a measurement: pushes 500 tags"]
fn listing_50_repositories_of_10_tags() {
    let Some(r) = registries() else { return };
    let address = r.address("PLAIN_PORT");
    let options = r.plain_options();
    let prefix = prefix("bench");
    let pushed = push_repositories(&address, &options, &prefix, 50, 10);
    let started = Instant::now();
    let catalog = list_repositories(&address, &options, 100, ALL).unwrap();
    let selection = PullSelection::try_from(PullSelectionSpec {
        repo_patterns: vec![format!("{prefix}/*")],
        ..PullSelectionSpec::default()
    })
    .unwrap();
    let mut tags = 0;
    for repository in selection.repositories(&catalog) {
        let reference = ImageReference::parse(&format!("{address}/{repository}")).unwrap();
        tags += list_tags(&reference, &options, 100, ALL).unwrap().len();
    }
    eprintln!(
        "listed {} repositories of the catalog's {}, {tags} tags, in {:?}",
        pushed.len(),
        catalog.len(),
        started.elapsed()
    );
    assert_eq!(tags, 500);
}
