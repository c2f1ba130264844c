//! What the console reads beyond the REST API's lists, end to end on loopback: the dashboard,
//! vulnerabilities grouped across images, a policy's preview, and first-run setup. Scans are
//! real reports made by the engine; numbers are checked against the image list's own counts.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

mod harness;

use std::collections::BTreeSet;

use harness::{Harness, report_bytes, report_of};
use kabuto_auth::Role;
use serde_json::{Value, json};

const ADMIN_PASSWORD: &str = "correct horse battery staple";
const FULL: &str = "registry.example/shop/api:1.0";
const REQUESTS_ONLY: &str = "registry.example/shop/web:2.0";

/// NVD's page for two CVEs of the committed records: CVE-2019-11324 (urllib3 1.24.1) rated
/// critical, CVE-2018-18074 (requests 2.19.1) high.
fn ratings() -> Value {
    let record = |id: &str, vector: &str| {
        json!({ "cve": { "id": id, "sourceIdentifier": "nvd@nist.gov", "metrics": { "cvssMetricV31": [{
            "source": "nvd@nist.gov", "type": "Primary",
            "cvssData": { "version": "3.1", "vectorString": vector },
        }] } } })
    };
    json!({
        "resultsPerPage": 2, "startIndex": 0, "totalResults": 2, "format": "NVD_CVE",
        "version": "2.0",
        "vulnerabilities": [
            record("CVE-2019-11324", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            record("CVE-2018-18074", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"),
        ],
    })
}

/// Two images with different scans (one with urllib3's critical, one with requests only),
/// and one registered but not scanned.
fn store_images(h: &Harness, scanner: &str) {
    for (image, report) in [
        (FULL, report_bytes()),
        (REQUESTS_ONLY, report_of(&[("requests", "2.19.1")])),
    ] {
        let reply = h.raw(
            "POST",
            &format!("/api/v1/scans?register=true&image={image}"),
            Some(scanner),
            "application/json",
            report,
        );
        assert_eq!(reply.status, 200, "{reply:?}");
    }
    let pending = h.call(
        "POST",
        "/api/v1/images",
        Some(scanner),
        Some(json!({"images": [{"registry": "registry.example", "repository": "shop/queue", "tag": "3.0"}]})),
    );
    assert_eq!(pending.status, 201, "{pending:?}");
}

fn get(h: &Harness, path: &str, token: &str) -> Value {
    let reply = h.call("GET", path, Some(token), None);
    assert_eq!(reply.status, 200, "{path}: {reply:?}");
    reply.body
}

fn int(value: &Value) -> i64 {
    value.as_i64().unwrap()
}

/// The image list's counts summed, as the dashboard's `vulnerabilities`.
fn summed_counts(images: &[Value]) -> Value {
    let sum = |field: &str| images.iter().map(|i| int(&i[field])).sum::<i64>();
    json!({
        "critical": sum("crit_vulns"), "high": sum("high_vulns"), "medium": sum("med_vulns"),
        "low": sum("low_vulns"), "other": sum("neg_vulns") + sum("unknown_vulns"),
    })
}

/// The dashboard over real scans: every count equals what the image list says.
fn the_dashboard_sums_the_images(h: &Harness) {
    let scanner = h.token_for(Role::Scanner);
    let author = h.token_for(Role::PolicyAuthor);
    let auditor = h.token_for(Role::Auditor);
    store_images(h, &scanner);
    let blocking = json!({"name": "no-critical", "fail_cicd": true, "cvss_severity_enabled": true, "cvss_severity": "critical"});
    let put = h.call(
        "PUT",
        "/api/v2/assurance_policy/image/no-critical",
        Some(&author),
        Some(blocking),
    );
    assert_eq!(put.status, 200, "{put:?}");
    let gate = h.raw(
        "POST",
        &format!("/api/v1/scans?image={FULL}"),
        Some(&scanner),
        "application/json",
        report_bytes(),
    );
    assert_eq!(gate.body["verdict"]["disallowed"], true, "{gate:?}");
    // The re-evaluation audits the verdict it changed: after that, nothing writes.
    h.wait_for("/api/v1/audit?action=image.verdict", &auditor, |page| {
        page["count"] == 1
    });

    let images = get(h, "/api/v2/images?pagesize=100", &auditor)["result"]
        .as_array()
        .unwrap()
        .clone();
    let dashboard = get(h, "/api/v2/dashboard", &auditor);
    assert_eq!(
        (
            &dashboard["images"],
            &dashboard["scanned"],
            &dashboard["disallowed"]
        ),
        (&json!(3), &json!(2), &json!(1)),
        "{dashboard}"
    );
    assert_eq!(dashboard["vulnerabilities"], summed_counts(&images));
    assert_eq!(
        dashboard["vulnerabilities"],
        json!({"critical": 1, "high": 2, "medium": 1, "low": 0, "other": 0})
    );
    assert_eq!(
        dashboard["images_by_risk"],
        json!({"critical": 1, "high": 1, "medium": 0, "low": 0, "other": 0})
    );
    let top: Vec<&str> = dashboard["top_images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(top, ["shop/api:1.0", "shop/web:2.0", "shop/queue:3.0"]);
    let top_vulnerability = &dashboard["top_vulnerabilities"][0];
    assert_eq!(
        (&top_vulnerability["name"], &top_vulnerability["images"]),
        (&json!("CVE-2018-18074"), &json!(2)),
        "in both images: {dashboard}"
    );
    assert_eq!(dashboard["blocked_runs"][0]["action"], "verdict.block");
    assert_eq!(dashboard["blocked_runs"][0]["target"], FULL);
    let recent = get(h, "/api/v1/audit?pagesize=8", &auditor)["result"].clone();
    assert_eq!(dashboard["recent_audit"], recent);

    // A re-evaluation records today's point of the trend with the same figures.
    let admin = h.admin();
    assert_eq!(
        h.call("POST", "/api/v1/reevaluate", Some(&admin), None)
            .status,
        202
    );
    let dashboard = h.wait_for("/api/v2/dashboard", &auditor, |d| {
        d["trend"]
            .as_array()
            .and_then(|t| t.last())
            .is_some_and(|p| p["images"] == 3 && p["disallowed"] == 1)
    });
    let trend = dashboard["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 1, "one point per day: {trend:?}");
    assert_eq!(trend[0]["vulnerabilities"], dashboard["vulnerabilities"]);
    assert_eq!(trend[0]["day"].as_str().unwrap().len(), "2026-12-07".len());

    // A new scan shows at once in the (kept) top vulnerabilities.
    let third = h.raw(
        "POST",
        "/api/v1/scans?register=true&image=registry.example/shop/worker:4.0",
        Some(&scanner),
        "application/json",
        report_of(&[("requests", "2.19.1")]),
    );
    assert_eq!(third.status, 200, "{third:?}");
    let dashboard = get(h, "/api/v2/dashboard", &auditor);
    assert_eq!(
        dashboard["top_vulnerabilities"][0]["images"], 3,
        "{dashboard}"
    );
}

#[test]
fn the_dashboard_sums_the_images_on_sqlite() {
    the_dashboard_sums_the_images(&Harness::start_with_feed(ADMIN_PASSWORD, &ratings()));
}

#[test]
fn the_dashboard_sums_the_images_on_postgresql() {
    match Harness::start_postgres(ADMIN_PASSWORD, Some(&ratings())) {
        Some(h) => the_dashboard_sums_the_images(&h),
        None => eprintln!(
            "note: skipped: KABUTO_TEST_POSTGRES_URL is not set (scripts/test.sh starts a server)"
        ),
    }
}

/// Groups against the flat list: one group per distinct id, its images and occurrences
/// counted from the rows; filters, orders and refusals.
fn vulnerabilities_group_by_id(h: &Harness) {
    let scanner = h.token_for(Role::Scanner);
    let auditor = h.token_for(Role::Auditor);
    store_images(h, &scanner);
    let rows = get(h, "/api/v2/risks/vulnerabilities?pagesize=1000", &auditor)["result"]
        .as_array()
        .unwrap()
        .clone();
    let ids: BTreeSet<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    let groups = get(h, "/api/v2/risks/vulnerabilities/grouped", &auditor);
    assert_eq!(int(&groups["count"]), ids.len() as i64, "{groups}");
    for group in groups["result"].as_array().unwrap() {
        let of_id: Vec<&Value> = rows.iter().filter(|r| r["name"] == group["name"]).collect();
        let images: BTreeSet<&str> = of_id
            .iter()
            .map(|r| r["image_name"].as_str().unwrap())
            .collect();
        assert_eq!(int(&group["images"]), images.len() as i64, "{group}");
        assert_eq!(int(&group["occurrences"]), of_id.len() as i64, "{group}");
        assert_eq!(group["acknowledged"], 0);
        assert_eq!(group["severity"], of_id[0]["severity"], "{group}");
    }
    let first = &groups["result"][0];
    assert_eq!(
        (&first["name"], &first["images"], &first["packages"]),
        (
            &json!("CVE-2018-18074"),
            &json!(2),
            &json!(["requests 2.19.1"])
        )
    );
    assert_eq!(first["fix_version"], "2.20.0");

    let names = |path: &str| -> Vec<String> {
        get(h, path, &auditor)["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let by_name = names("/api/v2/risks/vulnerabilities/grouped?order_by=name");
    let mut sorted = by_name.clone();
    sorted.sort();
    assert_eq!(by_name, sorted);
    let reversed = names("/api/v2/risks/vulnerabilities/grouped?order_by=-name");
    assert_eq!(reversed, sorted.into_iter().rev().collect::<Vec<_>>());
    assert_eq!(
        names("/api/v2/risks/vulnerabilities/grouped?order_by=severity")[0],
        "CVE-2019-11324",
        "the critical one first"
    );
    assert_eq!(
        names("/api/v2/risks/vulnerabilities/grouped?order_by=-images")
            .last()
            .unwrap(),
        "CVE-2018-18074",
        "the one in most images last"
    );
    assert_eq!(
        names(
            "/api/v2/risks/vulnerabilities/grouped?search=2019-113&severity=CRITICAL&registry=registry.example&acknowledged=false"
        ),
        ["CVE-2019-11324"]
    );
    let paged = get(
        h,
        "/api/v2/risks/vulnerabilities/grouped?pagesize=1&page=2",
        &auditor,
    );
    assert_eq!(
        (
            int(&paged["count"]),
            paged["result"].as_array().unwrap().len()
        ),
        (ids.len() as i64, 1)
    );

    for (query, parameter) in [
        ("colour=red", "colour"),
        ("order_by=colour", "order_by"),
        ("severity=extreme", "severity"),
        ("acknowledged=perhaps", "acknowledged"),
        ("page=first", "page"),
    ] {
        let refused = h.call(
            "GET",
            &format!("/api/v2/risks/vulnerabilities/grouped?{query}"),
            Some(&auditor),
            None,
        );
        assert_eq!(refused.status, 400, "{query}: {refused:?}");
        let error = &refused.body["error"];
        assert!(
            error["field"] == parameter || error["message"].as_str().unwrap().contains(parameter),
            "{query}: {refused:?}"
        );
    }
}

#[test]
fn vulnerabilities_group_by_id_on_sqlite() {
    vulnerabilities_group_by_id(&Harness::start_with_feed(ADMIN_PASSWORD, &ratings()));
}

#[test]
fn vulnerabilities_group_by_id_on_postgresql() {
    match Harness::start_postgres(ADMIN_PASSWORD, Some(&ratings())) {
        Some(h) => vulnerabilities_group_by_id(&h),
        None => eprintln!(
            "note: skipped: KABUTO_TEST_POSTGRES_URL is not set (scripts/test.sh starts a server)"
        ),
    }
}

/// A previewed policy fails exactly the images with critical vulnerabilities, changes
/// nothing, and counts acknowledgements.
#[test]
fn a_policy_preview_lists_the_images_it_would_fail_and_changes_nothing() {
    let h = Harness::start_with_feed(ADMIN_PASSWORD, &ratings());
    let scanner = h.token_for(Role::Scanner);
    let author = h.token_for(Role::PolicyAuthor);
    let auditor = h.token_for(Role::Auditor);
    store_images(&h, &scanner);
    let policy = json!({"name": "no-critical", "fail_cicd": true, "cvss_severity_enabled": true, "cvss_severity": "critical"});
    let preview = |body: &Value| {
        h.call(
            "POST",
            "/api/v2/assurance_policy/image/preview",
            Some(&auditor),
            Some(body.clone()),
        )
    };

    let answer = preview(&policy);
    assert_eq!(answer.status, 200, "{answer:?}");
    let critical: Vec<String> = get(&h, "/api/v2/images?pagesize=100", &auditor)["result"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| int(&i["crit_vulns"]) > 0)
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(critical, ["shop/api:1.0"]);
    let failing: Vec<&str> = answer.body["would_fail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(failing, critical);
    assert_eq!(
        (
            &answer.body["policy"],
            &answer.body["evaluated"],
            &answer.body["skipped"]
        ),
        (&json!("no-critical"), &json!(2), &json!(0))
    );
    let failed = &answer.body["would_fail"][0];
    assert_eq!(failed["registry"], "registry.example");
    assert_eq!(failed["disallowed_now"], false, "no stored policy yet");
    assert_eq!(failed["failed_controls"][0]["control"], "cvss_severity");
    assert_eq!(failed["failed_controls"][0]["blocking"], true);
    assert!(
        h.call(
            "GET",
            "/api/v2/assurance_policy/image",
            Some(&auditor),
            None
        )
        .body
        .as_array()
        .unwrap()
        .is_empty(),
        "a preview stores nothing"
    );
    assert_eq!(
        get(&h, "/api/v2/images?disallowed=true", &auditor)["count"],
        0
    );

    let ack = json!({"comment": "not reachable here", "issues": [{"issue_name": "CVE-2019-11324", "resource_name": "urllib3"}]});
    let acked = h.call(
        "POST",
        "/api/v2/risks/acknowledge",
        Some(&author),
        Some(ack),
    );
    assert_eq!(acked.status, 201, "{acked:?}");
    assert_eq!(
        preview(&policy).body["would_fail"],
        json!([]),
        "acknowledged"
    );

    let bad = preview(&json!({"name": "p", "cvss_severity": "extreme"}));
    assert_eq!(bad.status, 400, "{bad:?}");
    assert!(
        bad.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cvss_severity"),
        "{bad:?}"
    );
    let unnamed = preview(&json!({"fail_cicd": true}));
    assert_eq!(unnamed.status, 400, "{unnamed:?}");
    assert!(
        unnamed.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`name`"),
        "{unnamed:?}"
    );
    let reserved = h.call(
        "PUT",
        "/api/v2/assurance_policy/image/preview",
        Some(&author),
        Some(json!({"name": "preview"})),
    );
    assert_eq!(reserved.status, 405, "the preview's path: {reserved:?}");
    let reserved = h.call(
        "POST",
        "/api/v2/assurance_policy/image",
        Some(&author),
        Some(json!({"name": "preview"})),
    );
    assert_eq!(reserved.body["error"]["field"], "name", "{reserved:?}");
}

fn setup_code(h: &Harness) -> String {
    std::fs::read_to_string(h.data_dir().join("setup-code"))
        .unwrap()
        .trim()
        .to_owned()
}

fn setup(h: &Harness, code: &str, password: &str) -> harness::Reply {
    h.call(
        "POST",
        "/api/v1/setup",
        None,
        Some(json!({"setup_code": code, "password": password})),
    )
}

/// Started with no users and no password, the server waits for the setup code from its data
/// directory; the code creates the administrator once, and logs it in.
#[test]
fn first_run_setup_needs_the_code_from_the_data_directory_once() {
    use std::os::unix::fs::PermissionsExt;
    let h = Harness::try_start(None).unwrap();
    let file = h.data_dir().join("setup-code");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let code = setup_code(&h);
    assert_eq!(code.len(), 43, "32 random bytes");
    assert_eq!(
        h.call("GET", "/api/v1/setup", None, None).body,
        json!({"needed": true})
    );
    assert_eq!(h.call("GET", "/api/v2/images", None, None).status, 401);
    let login = h.call(
        "POST",
        "/api/v1/login",
        None,
        Some(json!({"id": "administrator", "password": ADMIN_PASSWORD})),
    );
    assert_eq!(login.status, 401, "no user yet: {login:?}");

    let wrong = setup(&h, "not-the-code", ADMIN_PASSWORD);
    assert_eq!(wrong.status, 403, "{wrong:?}");
    let short = setup(&h, &code, "short");
    assert_eq!(
        (short.status, &short.body["error"]["field"]),
        (400, &json!("password")),
        "{short:?}"
    );
    let unknown = h.call(
        "POST",
        "/api/v1/setup",
        None,
        Some(json!({"setup_code": code, "password": ADMIN_PASSWORD, "role": "x"})),
    );
    assert_eq!(unknown.status, 400, "{unknown:?}");

    let done = setup(&h, &code, ADMIN_PASSWORD);
    assert_eq!(done.status, 201, "{done:?}");
    assert_eq!(done.body["user"]["id"], "administrator");
    assert!(
        done.cookies
            .iter()
            .any(|c| c.starts_with("kabuto_session=") && c.contains("HttpOnly")),
        "{:?}",
        done.cookies
    );
    assert!(done.cookies.iter().any(|c| c.starts_with("kabuto_csrf=")));
    let session = done.body["token"].as_str().unwrap();
    assert_eq!(
        h.call("GET", "/api/v1/me", Some(session), None).body["role"],
        "administrator"
    );
    assert!(!file.exists(), "the used code is deleted");
    assert_eq!(
        h.call("GET", "/api/v1/setup", None, None).body,
        json!({"needed": false})
    );
    let token = h.login("administrator", ADMIN_PASSWORD);
    assert_eq!(setup(&h, &code, ADMIN_PASSWORD).status, 409);
    let audit = get(&h, "/api/v1/audit?action=setup", &token);
    let outcomes: Vec<&str> = audit["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["result"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["success", "failure"], "{audit}");
    assert!(
        !audit.to_string().contains(&code),
        "the code is never recorded"
    );
}

#[test]
fn wrong_setup_codes_are_rate_limited_and_a_server_with_users_needs_no_setup() {
    let h = Harness::try_start(None).unwrap();
    let code = setup_code(&h);
    for _ in 0..5 {
        assert_eq!(setup(&h, "guess", ADMIN_PASSWORD).status, 403);
    }
    let limited = setup(&h, &code, ADMIN_PASSWORD);
    assert_eq!(limited.status, 429, "the right code waits too: {limited:?}");
    assert!(limited.retry_after.unwrap() >= 1);

    let configured = Harness::start(ADMIN_PASSWORD);
    assert_eq!(
        configured.call("GET", "/api/v1/setup", None, None).body,
        json!({"needed": false})
    );
    assert!(!configured.data_dir().join("setup-code").exists());
    assert_eq!(setup(&configured, "anything", ADMIN_PASSWORD).status, 409);
}
