//! Golden files of the pages a user sees, from fixed data (the browser tests render the same
//! pages from a live server).

use kabuto_api::AssuranceCheck;
use kabuto_api::server::{
    AuditEntry, Dashboard, ImageSummary, Page, RiskCounts, TokenInfo, TrendPoint, UserInfo,
    VulnerabilityGroup,
};
use kabuto_auth::Role;
use kabuto_console::{ListQuery, Viewer, pages};
use serde_json::json;

/// One tag per line, so a golden file's diff shows what changed; the assets' content hashes
/// left out (a stylesheet change is not a change of every page).
fn lines(markup: maud::Markup) -> String {
    use kabuto_console::assets::{ICON, SCRIPT, STYLESHEET};
    let mut html = markup.into_string().replace("><", ">\n<");
    for (asset, stable) in [
        (&*STYLESHEET, "/assets/console.css"),
        (&*SCRIPT, "/assets/console.js"),
        (&*ICON, "/assets/icon.svg"),
    ] {
        html = html.replace(&asset.path, stable);
    }
    html
}

fn viewer(role: Role) -> Viewer {
    Viewer {
        user: "administrator".into(),
        role,
        csrf: "csrf-token-for-tests".into(),
    }
}

fn image(repository: &str, tag: &str, critical: i64, disallowed: bool) -> ImageSummary {
    ImageSummary {
        registry: "registry.example".into(),
        repository: repository.into(),
        tag: tag.into(),
        name: format!("{repository}:{tag}"),
        digest: Some(
            "sha256:4c1b1d2f0a9e8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c".into(),
        ),
        scan_status: "scanned".into(),
        os: Some("debian 12.12".into()),
        packages: 120,
        disallowed,
        vulns_found: critical + 3,
        crit_vulns: critical,
        high_vulns: 3,
        med_vulns: 0,
        low_vulns: 0,
        neg_vulns: 0,
        unknown_vulns: 0,
        registered_by: "ci".into(),
        registered: "2026-12-01T10:00:00Z".into(),
        scan_date: Some("2026-12-01T10:00:00Z".into()),
        evaluated: Some("2026-12-01T10:00:01Z".into()),
        db_version: Some("2026-12-01T00:00:00Z".into()),
        assurance_checks_performed: vec![AssuranceCheck {
            policy_name: "no-high".into(),
            control: "cvss_severity".into(),
            failed: disallowed,
            blocking: disallowed,
            message: String::new(),
        }],
    }
}

#[test]
fn login_and_setup() {
    insta::assert_snapshot!("login", lines(pages::login::render(None)));
    insta::assert_snapshot!("setup", lines(pages::login::setup()));
}

#[test]
fn images_list_with_a_hostile_name() {
    let query = ListQuery::new("/images", Some("severity=high&order_by=-critical"));
    let page = Page {
        count: 2,
        page: 1,
        pagesize: 50,
        result: vec![
            image("shop/api", "1.0", 2, true),
            image("<script>alert(1)</script>", "\"x'", 0, false),
        ],
    };
    insta::assert_snapshot!(
        "images",
        lines(pages::images::render(
            &viewer(Role::Administrator),
            &query,
            &page
        ))
    );
}

#[test]
fn audit_log() {
    let query = ListQuery::new("/audit", Some("result=blocked"));
    let page = Page {
        count: 1,
        page: 1,
        pagesize: 50,
        result: vec![AuditEntry {
            id: 7,
            time: "2026-12-01T10:00:02Z".into(),
            user: "ci".into(),
            credential: "token:ab12cd".into(),
            source: "127.0.0.1".into(),
            action: "verdict.block".into(),
            target: "registry.example/shop/api:1.0".into(),
            result: "blocked".into(),
            detail: json!({"failed": ["no-high"]}),
        }],
    };
    insta::assert_snapshot!(
        "audit",
        lines(pages::audit::render(&viewer(Role::Auditor), &query, &page))
    );
}

#[test]
fn policy_editor_for_an_author_and_for_an_auditor() {
    // Keys in sorted order: the page shows them as given, and serde_json keeps insertion
    // order only when a crate of the build asks for it.
    let policy = json!({
        "cves_white_list": ["CVE-2018-18074"],
        "cves_white_list_enabled": true,
        "cvss_severity": "high",
        "cvss_severity_enabled": true,
        "description": "Block high and critical vulnerabilities",
        "enabled": true,
        "fail_cicd": true,
        "name": "no-high",
        "packages_black_list": [{"format": "pypi", "name": "requests"}],
    });
    insta::assert_snapshot!(
        "policy-editor",
        lines(pages::policies::editor(
            &viewer(Role::PolicyAuthor),
            &policy,
            false
        ))
    );
    let read_only = lines(pages::policies::editor(
        &viewer(Role::Auditor),
        &policy,
        false,
    ));
    assert!(!read_only.contains("Save"), "an auditor is offered to save");
    assert!(read_only.contains("disabled"));
}

#[test]
fn users_and_tokens() {
    let users = [
        UserInfo {
            id: "administrator".into(),
            role: Role::Administrator,
        },
        UserInfo {
            id: "ci".into(),
            role: Role::Scanner,
        },
    ];
    let tokens = [TokenInfo {
        id: "3".into(),
        name: "gitlab-ci".into(),
        user: "ci".into(),
        prefix: "ab12cd".into(),
        created: "2026-12-01T09:00:00Z".into(),
        revoked: None,
    }];
    insta::assert_snapshot!(
        "users",
        lines(pages::users::render(
            &viewer(Role::Administrator),
            Some(&users),
            &tokens
        ))
    );
}

fn counts(critical: i64, high: i64, medium: i64, low: i64, other: i64) -> RiskCounts {
    RiskCounts {
        critical,
        high,
        medium,
        low,
        other,
    }
}

#[test]
fn dashboard_with_a_trend() {
    let dashboard = Dashboard {
        images: 3,
        scanned: 2,
        disallowed: 1,
        images_by_risk: counts(1, 1, 0, 0, 0),
        vulnerabilities: counts(2, 6, 0, 0, 1),
        trend: vec![
            TrendPoint {
                day: "2026-12-05".into(),
                images: 1,
                disallowed: 0,
                vulnerabilities: counts(0, 3, 0, 0, 1),
            },
            TrendPoint {
                day: "2026-12-06".into(),
                images: 2,
                disallowed: 1,
                vulnerabilities: counts(2, 6, 0, 0, 1),
            },
        ],
        top_images: vec![image("shop/api", "1.0", 2, true)],
        top_vulnerabilities: vec![VulnerabilityGroup {
            name: "CVE-2018-18074".into(),
            severity: "high".into(),
            score: Some(7.5),
            images: 2,
            packages: vec!["requests 2.19.1".into()],
            fix_version: Some("2.20.0".into()),
            acknowledged: 0,
            occurrences: 2,
        }],
        blocked_runs: Vec::new(),
        recent_audit: Vec::new(),
    };
    let html = lines(pages::dashboard::render(&viewer(Role::Auditor), &dashboard));
    // Two days: one line per severity, the highest point at the top of the chart.
    assert_eq!(html.matches("<polyline").count(), 4, "{html}");
    insta::assert_snapshot!("dashboard", html);
}

#[test]
fn runtime_page_with_policies_enforcers_and_events() {
    use kabuto_api::server::{EnforcerEntry, EnforcerEventCounts, EnforcerReport, EnforcerStatus};
    let query = ListQuery::new("/runtime", Some("host=node-1&result=blocked"));
    assert_eq!(
        pages::runtime::audit_filters(&query),
        [
            ("action".to_owned(), "Runtime.".to_owned()),
            ("host".to_owned(), "node-1".to_owned()),
            ("result".to_owned(), "blocked".to_owned()),
        ]
    );
    // Keys in sorted order: the page is the same with and without serde_json's preserve_order.
    let policies = [json!({
        "container_exec": {"enabled": true},
        "description": "no shells",
        "enforce": true,
        "executable_blacklist": {"enabled": false, "executables": ["nc"]},
        "name": "lockdown<script>",
        "reverse_shell": {"enabled": true},
    })];
    let enforcer = |host: &str, status| EnforcerEntry {
        report: EnforcerReport {
            host: host.into(),
            version: "0.1.0".into(),
            mode: "enforcement: exec killed before the new program runs".into(),
            policies: vec!["lockdown".into()],
            containers: 4,
            events: EnforcerEventCounts {
                spooled: 9,
                sent: 8,
                dropped: 1,
            },
            interval_seconds: 30,
        },
        reporter: "enforcer-1".into(),
        first_seen: "2026-12-07T10:00:00Z".into(),
        last_seen: "2026-12-07T12:00:00Z".into(),
        status,
    };
    let enforcers = [
        enforcer("node-1", EnforcerStatus::Connected),
        enforcer("node-2", EnforcerStatus::Disconnected),
    ];
    let events = Page {
        count: 1,
        page: 1,
        pagesize: 50,
        result: vec![AuditEntry {
            id: 7,
            time: "2026-12-07T12:00:01Z".into(),
            user: "enforcer-1".into(),
            credential: "token:node".into(),
            source: "192.0.2.10".into(),
            action: "Runtime.container_exec.Block".into(),
            target: "container web".into(),
            result: "blocked".into(),
            detail: json!({
                "host": "node-1", "image": "debian:12", "policy": "lockdown",
                "control": "KRT001", "control_field": "container_exec",
                "evidence": {"message": "bash entered the running container"},
            }),
        }],
    };
    let shown = pages::runtime::Runtime {
        policies: &policies,
        enforcers: &enforcers,
        events: &events,
    };
    insta::assert_snapshot!(
        "runtime",
        lines(pages::runtime::render(
            &viewer(Role::PolicyAuthor),
            &query,
            &shown
        ))
    );
}
