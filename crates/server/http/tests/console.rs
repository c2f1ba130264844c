//! The console's pages over HTTP, without a browser: who may see what, the security headers,
//! escaping, exports, assets, page weight. (tests/console_browser.rs drives a real browser.)

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

mod harness;

use harness::{Harness, report_bytes};
use kabuto_auth::Role;
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";

/// A page's status, headers and body, redirects not followed.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn get(server: &Harness, path: &str, cookie: Option<&str>) -> Answer {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let mut request = agent.get(&format!("{}{path}", server.base()));
    if let Some(cookie) = cookie {
        request = request.set("Cookie", cookie);
    }
    let response = match request.call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let headers = response
        .headers_names()
        .into_iter()
        .filter_map(|n| response.header(&n).map(|v| (n.clone(), v.to_owned())))
        .collect();
    Answer {
        status: response.status(),
        headers,
        body: response.into_string().unwrap_or_default(),
    }
}

/// A console session (the cookie header value) of `id`.
fn session(server: &Harness, id: &str, password: &str) -> String {
    server.login_cookies(id, password).0
}

fn register_scan(server: &Harness, image: &str) {
    let token = server.token_for(Role::Scanner);
    let reply = server.raw(
        "POST",
        &format!("/api/v1/scans?register=true&image={image}"),
        Some(&token),
        "application/json",
        report_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
}

/// Registers one image by name only (not scanned) as the administrator, and answers an
/// administrator's console session.
fn register_name(server: &Harness, registry: &str, repository: &str, tag: &str) -> String {
    let admin = server.admin();
    let image = json!({"registry": registry, "repository": repository, "tag": tag});
    let reply = server.call(
        "POST",
        "/api/v1/images",
        Some(&admin),
        Some(json!({ "images": [image] })),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    session(server, "administrator", PASSWORD)
}

const PAGES: [&str; 11] = [
    "/",
    "/images",
    "/images/registry.example/shop/api/1.0",
    "/images/registry.example/shop/api/1.0?tab=vulnerabilities",
    "/vulnerabilities",
    "/vulnerabilities/acknowledged",
    "/policies",
    "/runtime",
    "/audit",
    "/users",
    "/settings",
];

#[test]
fn pages_need_a_session_and_say_where_to_log_in() {
    let server = Harness::start(PASSWORD);
    for path in PAGES {
        let answer = get(&server, path, None);
        assert_eq!(answer.status, 303, "{path}");
        let location = answer.header("location").unwrap();
        assert!(
            location.starts_with("/login?next=%2F"),
            "{path}: {location}"
        );
    }
    let login = get(&server, "/login", None);
    assert_eq!(login.status, 200);
    assert!(login.body.contains("<form data-api=\"/api/v1/login\""));
    // A bearer token is not a console session.
    let token = server.admin();
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let with_bearer = agent
        .get(&format!("{}/images", server.base()))
        .set("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    assert_eq!(with_bearer.status(), 303);
}

#[test]
fn every_page_has_a_strict_content_security_policy_and_stays_small() {
    let server = Harness::start(PASSWORD);
    register_scan(&server, "registry.example/shop/api:1.0");
    let cookie = session(&server, "administrator", PASSWORD);
    for path in PAGES
        .into_iter()
        .chain(["/policies/new?template=default", "/login"])
    {
        let answer = get(&server, path, Some(&cookie));
        let expected = if path == "/login" { 303 } else { 200 };
        assert_eq!(answer.status, expected, "{path}: {}", answer.body);
        let csp = answer.header("content-security-policy").unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(answer.header("cache-control"), Some("no-store"), "{path}");
        assert!(
            !answer.body.contains("<script>"),
            "{path} has an inline script"
        );
        assert!(
            !answer.body.contains(" style="),
            "{path} has an inline style"
        );
        assert!(
            answer.body.len() < 300_000,
            "{path} weighs {} bytes",
            answer.body.len()
        );
        if expected == 200 {
            assert!(answer.body.contains("<meta name=\"csrf-token\""), "{path}");
        }
    }
}

#[test]
fn forms_carry_the_sessions_csrf_token() {
    let server = Harness::start(PASSWORD);
    let (cookie, csrf) = server.login_cookies("administrator", PASSWORD);
    let page = get(&server, "/users", Some(&cookie));
    let forms = page.body.matches("<form data-api=").count();
    let tokens = page
        .body
        .matches(&format!(
            "<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">"
        ))
        .count();
    assert!(forms >= 3, "{}", page.body);
    assert_eq!(forms, tokens, "every form carries the CSRF token");
}

#[test]
fn roles_see_what_they_may() {
    let server = Harness::start(PASSWORD);
    let admin = server.admin();
    for (id, role) in [("scanner-1", "scanner"), ("auditor-1", "auditor")] {
        let reply = server.call(
            "POST",
            "/api/v1/users",
            Some(&admin),
            Some(json!({"id": id, "role": role, "password": PASSWORD})),
        );
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    let scanner = session(&server, "scanner-1", PASSWORD);
    let refused = get(&server, "/images", Some(&scanner));
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("may not read"), "{}", refused.body);
    let auditor = session(&server, "auditor-1", PASSWORD);
    let users = get(&server, "/users", Some(&auditor));
    assert_eq!(users.status, 200);
    assert!(
        !users.body.contains("table id=\"users\""),
        "an auditor sees the user list"
    );
    let policies = get(&server, "/policies", Some(&auditor));
    assert!(
        !policies.body.contains("New policy"),
        "an auditor is offered to write"
    );
    let missing = get(&server, "/images/registry.example/none/1", Some(&auditor));
    assert_eq!(missing.status, 404);
    assert!(
        missing.body.contains("no image registry.example/none:1"),
        "{}",
        missing.body
    );
    let bad_filter = get(&server, "/images?severity=catastrophic", Some(&auditor));
    assert_eq!(bad_filter.status, 400);
    assert!(
        bad_filter.body.contains("catastrophic"),
        "{}",
        bad_filter.body
    );
}

#[test]
fn hostile_names_are_escaped() {
    let server = Harness::start(PASSWORD);
    let cookie = register_name(&server, "evil.example", "<script>alert(1)</script>", "\"x'");
    let page = get(&server, "/images", Some(&cookie));
    assert!(!page.body.contains("<script>alert(1)"), "{}", page.body);
    assert!(
        page.body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;:&quot;x'"),
        "{}",
        page.body
    );
    // Its link percent-encodes every segment.
    assert!(
        page.body
            .contains("/images/evil.example/%3Cscript%3Ealert%281%29%3C/script%3E/%22x%27"),
        "{}",
        page.body
    );
}

#[test]
fn the_audit_log_exports_as_csv_and_json() {
    let server = Harness::start(PASSWORD);
    let cookie = register_name(&server, "r.example", "=cmd|x", "1");
    let csv = get(&server, "/audit/export.csv?action=image.", Some(&cookie));
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(
        csv.header("content-disposition")
            .unwrap()
            .contains("kabuto-audit.csv")
    );
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next(),
        Some("id,time,user,credential,source,action,target,result,detail")
    );
    let row = lines.next().unwrap();
    assert!(row.contains(",image.register,images,success,"), "{row}");
    assert!(row.contains("r.example/=cmd|x:1"), "{row}");
    assert!(
        csv.body.lines().count() == 2,
        "only image actions: {}",
        csv.body
    );
    let json = get(&server, "/audit/export.json?result=success", Some(&cookie));
    let entries: Vec<serde_json::Value> = serde_json::from_str(&json.body).unwrap();
    assert!(entries.iter().all(|e| e["result"] == "success"));
    assert!(
        entries.iter().any(|e| e["action"] == "login"),
        "{}",
        json.body
    );
}

#[test]
fn assets_are_embedded_and_cached_for_good() {
    let server = Harness::start(PASSWORD);
    let login = get(&server, "/login", None);
    let css = login
        .body
        .split("href=\"")
        .find_map(|s| s.split('"').next().filter(|p| p.ends_with(".css")))
        .unwrap()
        .to_owned();
    let js = login
        .body
        .split("src=\"")
        .find_map(|s| s.split('"').next().filter(|p| p.ends_with(".js")))
        .unwrap()
        .to_owned();
    for (path, kind) in [(css, "text/css"), (js, "text/javascript")] {
        let asset = get(&server, &path, None);
        assert_eq!(asset.status, 200, "{path}");
        assert!(asset.header("content-type").unwrap().starts_with(kind));
        assert!(asset.header("cache-control").unwrap().contains("immutable"));
    }
    assert_eq!(get(&server, "/assets/console.css", None).status, 404);
}

/// A runtime event as an enforcer sends it (`RuntimeAuditEvent::to_enforcer_event`).
fn runtime_event(host: &str, container: &str, field: &str, blocked: bool) -> serde_json::Value {
    let (result, outcome) = if blocked {
        ("Block", "blocked")
    } else {
        ("Detect", "detected")
    };
    json!({
        "time": "2026-12-07T12:00:00Z",
        "action": format!("Runtime.{field}.{result}"),
        "target": format!("container {container}"),
        "result": outcome,
        "detail": {"host": host, "image": "debian:12", "policy": "lockdown", "control": "KRT001",
                   "control_field": field, "evidence": {"message": format!("{field} in {container}")}},
    })
}

#[test]
fn the_runtime_page_shows_policies_enforcers_and_filtered_events() {
    let server = Harness::start(PASSWORD);
    let admin = server.admin();
    let enforcer = server.token_for(Role::Enforcer);
    let policy = json!({"name": "lockdown", "enforce": true, "container_exec": {"enabled": true}});
    let put = server.call(
        "POST",
        "/api/v2/runtime_policies",
        Some(&admin),
        Some(policy),
    );
    assert_eq!(put.status, 201, "{}", put.text);
    let report = json!({"host": "node-1", "version": "0.1.0", "mode": "enforcement: test mode",
        "policies": ["lockdown"], "containers": 2, "events": {"spooled": 3, "sent": 3, "dropped": 0},
        "interval_seconds": 30});
    let sent = server.call("POST", "/api/v1/enforcers", Some(&enforcer), Some(report));
    assert_eq!(sent.status, 204, "{}", sent.text);
    let events = [
        runtime_event("node-1", "web-1", "container_exec", true),
        runtime_event("node-1", "db-1", "reverse_shell", false),
        runtime_event("node-2", "web-2", "container_exec", false),
    ];
    let body = json!({"events": events});
    let sent = server.call("POST", "/api/v1/audit/events", Some(&enforcer), Some(body));
    assert_eq!(sent.status, 204, "{}", sent.text);

    let cookie = session(&server, "administrator", PASSWORD);
    let page = get(&server, "/runtime", Some(&cookie));
    assert_eq!(page.status, 200, "{}", page.body);
    for shown in [
        "lockdown",
        "node-1",
        "connected",
        "enforcement: test mode",
        "web-1",
        "db-1",
        "web-2",
    ] {
        assert!(page.body.contains(shown), "{shown}: {}", page.body);
    }
    let shown = |path: &str| {
        let page = get(&server, path, Some(&cookie));
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        ["web-1", "db-1", "web-2"]
            .into_iter()
            .filter(|c| {
                page.body.contains(&format!("{c} in")) || page.body.contains(&format!(">{c}<"))
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(shown("/runtime?host=node-1"), ["web-1", "db-1"]);
    assert_eq!(shown("/runtime?control=container_exec"), ["web-1", "web-2"]);
    assert_eq!(shown("/runtime?result=blocked"), ["web-1"]);
    assert_eq!(shown("/runtime?container=db"), ["db-1"]);
    assert_eq!(
        shown("/runtime?host=node-2&result=blocked"),
        Vec::<&str>::new()
    );
}
