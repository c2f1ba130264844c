//! Policy scopes see an image by the names the registry client gives it: the reference
//! parsed by `kabuto_types::ImageReference`, with Docker Hub's defaults applied once.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

mod common;

use common::Scan;
use kabuto_policy::EvaluationOutcome;

const HEX: &str = "0ac14209fa0fcba0f13b57557faf8856319d5b4a703d92eba79240f0fe7a860a";

/// A scan of `target` whose image has the given repository tags and digests, as
/// `kabuto-source` records them for a registry pull (`familiar name:tag`, `name@digest`).
fn scan_named(target: &str, repo_tags: &[&str], repo_digests: &[String]) -> Scan {
    let mut scan = Scan::base();
    scan.inventory.artifact.name = target.to_owned();
    scan.image().repo_tags = repo_tags.iter().map(|t| (*t).to_owned()).collect();
    scan.image().repo_digests = repo_digests.to_vec();
    scan
}

fn outcome(scan: &Scan, scope: &str) -> EvaluationOutcome {
    let policy = format!("name: t\ndisallow_malware: true\n{scope}");
    scan.judge(&policy).policies[0].outcome
}

#[test]
fn a_scope_written_nginx_matches_the_image_as_the_registry_client_names_it() {
    let digest = format!("nginx@sha256:{HEX}");
    let scans = [
        scan_named("docker.io/library/nginx:latest", &["nginx:latest"], &[]),
        scan_named(&digest, &[], std::slice::from_ref(&digest)),
        scan_named(
            &format!("nginx:1.25@sha256:{HEX}"),
            &["nginx:1.25"],
            std::slice::from_ref(&digest),
        ),
    ];
    for scan in &scans {
        let name = &scan.inventory.artifact.name;
        assert_eq!(
            outcome(scan, "images: [nginx]\n"),
            EvaluationOutcome::Pass,
            "{name}"
        );
        let by_repo =
            "scope:\n  expression: v1\n  variables:\n    - {attribute: image.repo, value: nginx}\n";
        assert_eq!(outcome(scan, by_repo), EvaluationOutcome::Pass, "{name}");
        assert_eq!(
            outcome(scan, "images: [alpine]\n"),
            EvaluationOutcome::Skipped,
            "{name}"
        );
    }
}

/// Regression: the policy parser had no `latest` default, so a policy for the latest
/// tag skipped an image pulled as plain `nginx` (which the registry client pulls as
/// `nginx:latest`).
#[test]
fn a_policy_for_the_latest_tag_applies_to_a_bare_name() {
    let scan = scan_named("nginx", &[], &[]);
    for scope in [
        "images: ['docker.io/library/nginx:latest']\n",
        "images: ['nginx:latest']\n",
        "scope:\n  expression: v1\n  variables:\n    - {attribute: image.tag, value: latest}\n",
    ] {
        assert_eq!(outcome(&scan, scope), EvaluationOutcome::Pass, "{scope}");
    }
}

/// A digest that is not a digest makes no image name; the verdict then names the scan
/// target as it was given.
#[test]
fn an_unchecked_digest_is_not_an_image_name() {
    let scan = scan_named("nginx@sha256:abcd", &[], &[]);
    assert_eq!(
        scan.judge("name: t\ndisallow_malware: true\n").image,
        "nginx@sha256:abcd"
    );
}
