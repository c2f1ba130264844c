//! The console in a real browser: Debian's chromium, driven over WebDriver by chromedriver
//! (both installed by scripts/setup-browser.sh, which scripts/test.sh runs). A user logs in,
//! a scan is registered through the API, the image is found in the list and opened, a
//! vulnerability is acknowledged through the dialog, and the CI verdict changes. Every page
//! is screenshotted into `target/console-screenshots/` (kept as test artifacts) and its DOM
//! checked. Hostile image, package and vulnerability texts are rendered and must stay text.
//!
//! Without chromedriver the tests print why and skip, unless `KABUTO_REQUIRE_BROWSER=1`
//! (scripts/test.sh sets it), where they fail.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

mod harness;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use harness::{Harness, nvd_page, report_bytes, unused_port};
use kabuto_auth::Role;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

/// A feed record whose texts are hostile: HTML, quotes, a right-to-left override, and a
/// `javascript:` reference, affecting requests 2.19.1 of the test report.
fn hostile_advisory() -> Value {
    json!({
        "id": "GHSA-kbto-xss0-0001",
        "modified": "2024-01-01T00:00:00Z",
        "summary": "<img src=x onerror=\"window.__pwned=1\"> it's \"quoted\" \u{202E}txt.exe",
        "details": "<script>window.__pwned=2</script>",
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": "requests"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.20.0"}]}],
        }],
        "references": [{"type": "WEB", "url": "javascript:window.__pwned=3"}],
    })
}

struct Browser {
    driver: Child,
    client: Client,
    shots: PathBuf,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn chromedriver() -> Option<PathBuf> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// chromedriver and a headless chromium at 1280 px, or `None` (with the reason printed)
/// when they are not installed and not required.
async fn start_browser(name: &str) -> Option<Browser> {
    let Some(driver_path) = chromedriver() else {
        let note = "chromedriver is not installed: run scripts/setup-browser.sh (as root)";
        if std::env::var("KABUTO_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("{note}");
        }
        eprintln!("SKIPPED (browser): {note}");
        return None;
    };
    let port = unused_port();
    let driver = Command::new(driver_path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1000", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-quic", "--disable-features=Translate,MediaRouter",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let started = Instant::now();
    let client = loop {
        let attempt = ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        match attempt {
            Ok(client) => break client,
            Err(e) if started.elapsed() < Duration::from_secs(20) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot start chromium through chromedriver: {e}"),
        }
    };
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../target/console-screenshots")
        .join(name);
    std::fs::create_dir_all(&shots).unwrap();
    Some(Browser {
        driver,
        client,
        shots,
        _profile: profile,
    })
}

impl Browser {
    async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    /// The text of `css`, looked up again when the page changed under it (a reload after a
    /// form was sent).
    async fn text(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            let found = self
                .client
                .wait()
                .at_most(Duration::from_secs(10))
                .for_element(Locator::Css(css))
                .await;
            let text = match found {
                Ok(element) => element.text().await,
                Err(e) => Err(e),
            };
            match text {
                Ok(text) => return text,
                Err(e) if started.elapsed() > Duration::from_secs(10) => panic!("no {css}: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    async fn fill(&self, css: &str, value: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    async fn click(&self, css: &str) {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits until the page's path (and query) starts with `prefix`.
    async fn wait_path(&self, prefix: &str) {
        let started = Instant::now();
        while !self.path().await.starts_with(prefix) {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "still at {} instead of {prefix}",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `css`'s text contains `wanted`, reloading the page between looks when
    /// `reload` (for state the server changes in the background).
    async fn wait_text(&self, css: &str, wanted: &str, reload: bool) -> String {
        let started = Instant::now();
        loop {
            let text = self.text(css).await;
            if text.contains(wanted) {
                return text;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{css} never showed {wanted:?}; it shows {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
            if reload {
                self.client.refresh().await.unwrap();
            }
        }
    }

    /// Nothing the page rendered ran: no marker set, no alert open.
    async fn nothing_ran(&self) {
        let marker = self
            .client
            .execute("return typeof window.__pwned;", vec![])
            .await
            .unwrap();
        assert_eq!(marker, json!("undefined"), "a hostile text ran as script");
        assert!(
            self.client.get_alert_text().await.is_err(),
            "an alert opened"
        );
    }

    /// Navigation timing of the current page: first byte and until usable (DOM content
    /// loaded), in milliseconds.
    async fn timing(&self) -> (f64, f64) {
        let t = self
            .client
            .execute(
                "const n = performance.getEntriesByType('navigation')[0]; \
                 return [n.responseStart - n.startTime, n.domContentLoadedEventEnd - n.startTime, n.transferSize, n.decodedBodySize];",
                vec![],
            )
            .await
            .unwrap();
        (t[0].as_f64().unwrap_or(0.0), t[1].as_f64().unwrap_or(0.0))
    }
}

/// Registers the test report as `image` through the API (the CI gate's call) and answers
/// the verdict's exit code.
fn upload(server: &Harness, token: &str, image: &str, register: bool) -> u64 {
    let reply = server.raw(
        "POST",
        &format!("/api/v1/scans?register={register}&image={image}"),
        Some(token),
        "application/json",
        report_bytes(),
    );
    assert_eq!(reply.status, 200, "upload: {}", reply.text);
    reply.body["verdict"]["exit_code"].as_u64().unwrap()
}

fn block_high_policy() -> Value {
    json!({
        "name": "no-high",
        "description": "Block high and critical vulnerabilities",
        "enabled": true,
        "fail_cicd": true,
        "cvss_severity_enabled": true,
        "cvss_severity": "high",
    })
}

#[test]
fn a_user_finds_an_image_acknowledges_a_vulnerability_and_the_gate_passes() {
    let server = Harness::start_with_feed(PASSWORD, &json!([nvd_page(), hostile_advisory()]));
    let admin = server.admin();
    let policy = server.call(
        "POST",
        "/api/v2/assurance_policy/image",
        Some(&admin),
        Some(block_high_policy()),
    );
    assert_eq!(policy.status, 201, "{}", policy.text);
    let scanner = server.token_for(Role::Scanner);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let Some(b) = start_browser("walkthrough").await else {
            return;
        };
        let base = server.base().to_owned();

        // Not logged in: any page leads to the login form, and back after it.
        b.client.goto(&format!("{base}/images")).await.unwrap();
        b.wait_path("/login?next=%2Fimages").await;
        b.shot("01-login").await;
        for _ in 0..6 {
            b.fill("input[name=id]", "mallory").await;
            b.fill("input[name=password]", "not the password").await;
            b.click("button[type=submit]").await;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let limited = b
            .wait_text(".form-error", "too many failed logins", false)
            .await;
        assert!(limited.contains("try again in"), "{limited}");
        b.shot("02-login-rate-limited").await;
        b.fill("input[name=id]", "administrator").await;
        b.fill("input[name=password]", PASSWORD).await;
        b.click("button[type=submit]").await;
        b.wait_path("/images").await;
        assert!(b.text("main").await.contains("No image is registered yet"));

        // A CI job registers a scan; the server's policy fails it (exit code 4).
        assert_eq!(
            upload(&server, &scanner, "registry.example/shop/api:1.0", true),
            4
        );
        b.client.refresh().await.unwrap();
        let row = b
            .wait_text("table#images tbody", "shop/api:1.0", true)
            .await;
        assert!(row.contains("non-compliant"), "{row}");
        b.shot("03-images").await;

        // The image page, its vulnerabilities with the high ones checked.
        b.click("table#images a[href^='/images/registry.example/shop/api/1.0']")
            .await;
        b.wait_path("/images/registry.example/shop/api/1.0").await;
        assert_eq!(b.text("h1").await, "registry.example/shop/api:1.0");
        assert!(b.text("dl.facts").await.contains("non-compliant"));
        b.shot("04-image-summary").await;
        b.client
            .goto(&format!(
                "{base}/images/registry.example/shop/api/1.0?tab=vulnerabilities&severity=high"
            ))
            .await
            .unwrap();
        let table = b.text("table#vulnerabilities").await;
        assert!(
            table.contains("CVE-2018-18074") && table.contains("requests"),
            "{table}"
        );
        b.nothing_ran().await;
        b.shot("05-image-vulnerabilities").await;

        // Acknowledge every high one through the dialog.
        b.click("input[data-check-all]").await;
        b.click("main p button[data-open='ack-dialog']").await;
        b.fill(
            "#ack-dialog textarea[name=comment]",
            "Not reachable: the service never follows redirects",
        )
        .await;
        b.fill("#ack-dialog input[name=expiration_days]", "30")
            .await;
        b.shot("06-acknowledge-dialog").await;
        b.click("#ack-dialog button[type=submit]").await;
        // The page reloads; the marks come with the background re-evaluation.
        let status = b
            .wait_text("table#vulnerabilities", "acknowledged", true)
            .await;
        assert!(status.contains("CVE-2018-18074"), "{status}");

        // The gate passes now, and the image turns compliant once re-evaluated.
        assert_eq!(
            upload(&server, &scanner, "registry.example/shop/api:1.0", false),
            0
        );
        b.client.goto(&format!("{base}/images")).await.unwrap();
        b.wait_text("table#images tbody", "✓ compliant", true).await;

        // Every other page renders real data.
        for (path, css, wanted, shot) in [
            ("/", ".tiles", "images", "07-dashboard"),
            (
                "/vulnerabilities",
                "table#groups",
                "CVE-2018-18074",
                "08-vulnerabilities",
            ),
            (
                "/vulnerabilities?search=CVE-2018-18074",
                "table#occurrences",
                "shop/api:1.0",
                "09-vulnerability-occurrences",
            ),
            (
                "/vulnerabilities/acknowledged",
                "table#acks",
                "Not reachable",
                "10-acknowledgements",
            ),
            ("/policies", "table#policies", "no-high", "11-policies"),
            ("/audit", "table#audit", "ack.", "12-audit"),
            ("/users", "table#users", "administrator", "13-users"),
            ("/settings", "main", "Vulnerability database", "14-settings"),
        ] {
            b.client.goto(&format!("{base}{path}")).await.unwrap();
            let text = b.text(css).await;
            assert!(text.contains(wanted), "{path}: {css} shows {text:?}");
            b.nothing_ran().await;
            let (first_byte, usable) = b.timing().await;
            eprintln!("{path}: first byte {first_byte:.0} ms, usable {usable:.0} ms");
            b.shot(shot).await;
        }
        let dashboard = server.call("GET", "/api/v2/dashboard", Some(&admin), None);
        b.client.goto(&format!("{base}/")).await.unwrap();
        let tiles = b.text(".tiles").await;
        assert!(
            tiles.starts_with(&dashboard.body["images"].to_string()),
            "{tiles} vs {}",
            dashboard.text
        );

        // A policy from a template: a bad value is refused naming the field, a good one saved
        // and previewed.
        b.client
            .goto(&format!("{base}/policies/new?template=default"))
            .await
            .unwrap();
        b.fill("#policy-form input[name=name]", "strict").await;
        b.click("#policy-form input[name=maximum_score_enabled]")
            .await;
        b.fill("#policy-form input[name=maximum_score]", "42").await;
        b.click("#policy-form .actions button:not(.secondary)")
            .await;
        let refused = b
            .wait_text("#policy-form .form-error", "maximum_score", false)
            .await;
        b.shot("15-policy-refused").await;
        assert!(refused.contains("maximum_score"), "{refused}");
        b.fill("#policy-form input[name=maximum_score]", "5").await;
        b.click("#policy-form .actions button.secondary").await;
        let preview = b.wait_text("#preview .summary", "would fail", false).await;
        assert!(preview.starts_with("1 of 1"), "{preview}");
        b.shot("16-policy-preview").await;
        b.click("#policy-form .actions button:not(.secondary)")
            .await;
        b.wait_path("/policies/strict").await;

        // A token is shown once, then only its prefix.
        b.client.goto(&format!("{base}/users")).await.unwrap();
        b.fill("input[name=name][data-key=name]", "gitlab-ci").await;
        b.click("form[data-done=token] button[type=submit]").await;
        let token = b
            .wait_text("#created-token .token-once", "kbt_", false)
            .await;
        b.shot("17-token-created").await;
        b.client.refresh().await.unwrap();
        let source = b.client.source().await.unwrap();
        assert!(!source.contains(token.trim()), "the token is shown again");
        assert!(b.text("table#tokens").await.contains("gitlab-ci"));

        // A narrow window still reaches every section.
        b.client.set_window_size(420, 900).await.unwrap();
        b.client.goto(&format!("{base}/images")).await.unwrap();
        assert!(b.text("nav.main").await.contains("Vulnerabilities"));
        b.shot("18-images-narrow").await;
        b.client.set_window_size(1280, 1000).await.unwrap();

        b.click("header form button[type=submit]").await;
        b.wait_path("/login").await;
        b.client.goto(&format!("{base}/images")).await.unwrap();
        b.wait_path("/login").await;
        b.client.clone().close().await.unwrap();
    });
}

#[test]
fn hostile_names_stay_text() {
    let server = Harness::start_with_feed(PASSWORD, &json!([nvd_page(), hostile_advisory()]));
    let admin = server.admin();
    let hostile = [
        ("evil.example", "<script>window.__pwned=1</script>", "1"),
        ("evil.example", "a\"onmouseover=\"window.__pwned=1", "x'y"),
        ("evil.example", "rtl\u{202E}gpj.exe", "latest"),
    ];
    let images: Vec<Value> = hostile
        .iter()
        .map(|(r, p, t)| json!({"registry": r, "repository": p, "tag": t}))
        .collect();
    let reply = server.call(
        "POST",
        "/api/v1/images",
        Some(&admin),
        Some(json!({ "images": images })),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let scanner = server.token_for(Role::Scanner);
    upload(&server, &scanner, "registry.example/shop/api:1.0", true);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let Some(b) = start_browser("hostile").await else {
            return;
        };
        let base = server.base().to_owned();
        b.client.goto(&format!("{base}/login")).await.unwrap();
        b.fill("input[name=id]", "administrator").await;
        b.fill("input[name=password]", PASSWORD).await;
        b.click("button[type=submit]").await;
        b.text("nav.main").await;
        b.client.goto(&format!("{base}/images")).await.unwrap();
        let table = b.text("table#images").await;
        for (_, repository, tag) in hostile {
            assert!(
                table.contains(&format!("{repository}:{tag}")),
                "{repository} not shown as text in {table}"
            );
        }
        b.nothing_ran().await;
        b.shot("images").await;
        // Each hostile image's own page opens from its link.
        let links = b
            .client
            .find_all(Locator::Css("table#images td a"))
            .await
            .unwrap();
        let hrefs: Vec<String> = futures_hrefs(&links).await;
        for href in hrefs.iter().filter(|h| h.contains("evil.example")) {
            b.client.goto(href).await.unwrap();
            let title = b.text("h1").await;
            assert!(title.starts_with("evil.example/"), "{href}: {title}");
            b.nothing_ran().await;
        }
        // The hostile advisory's texts on the image's vulnerabilities.
        b.client
            .goto(&format!(
                "{base}/images/registry.example/shop/api/1.0?tab=vulnerabilities&search=GHSA-kbto"
            ))
            .await
            .unwrap();
        let row = b.text("table#vulnerabilities").await;
        assert!(row.contains("<img src=x onerror="), "{row}");
        b.click("table#vulnerabilities details summary").await;
        let why = b.text("table#vulnerabilities details").await;
        assert!(why.contains("javascript:window.__pwned=3"), "{why}");
        let javascript_links = b
            .client
            .find_all(Locator::Css("a[href^='javascript:' i]"))
            .await
            .unwrap();
        assert!(
            javascript_links.is_empty(),
            "a javascript: link was rendered"
        );
        b.nothing_ran().await;
        b.shot("hostile-advisory").await;
        b.client.clone().close().await.unwrap();
    });
}

async fn futures_hrefs(links: &[fantoccini::elements::Element]) -> Vec<String> {
    let mut out = Vec::new();
    for link in links {
        if let Some(href) = link.prop("href").await.unwrap() {
            out.push(href);
        }
    }
    out
}

#[test]
fn first_run_creates_the_administrator_in_the_browser() {
    let server = Harness::try_start(None).unwrap();
    let code = std::fs::read_to_string(server.data_dir().join("setup-code")).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let Some(b) = start_browser("first-run").await else {
            return;
        };
        let base = server.base().to_owned();
        // Any page leads to the login, which leads to setup while there is no user.
        b.client.goto(&format!("{base}/")).await.unwrap();
        b.wait_path("/setup").await;
        b.fill("input[name=setup_code]", "not the code").await;
        b.fill("input[name=password]", PASSWORD).await;
        b.click("button[type=submit]").await;
        let refused = b.wait_text(".form-error", "code", false).await;
        b.shot("01-setup-wrong-code").await;
        assert!(!refused.contains(code.trim()), "the answer shows the code");
        b.fill("input[name=setup_code]", code.trim()).await;
        b.click("button[type=submit]").await;
        assert!(b.text(".tiles").await.contains("images"));
        b.shot("02-dashboard-after-setup").await;
        assert!(!server.data_dir().join("setup-code").exists());
        // Setup is over: /setup leads to the login, which leads a logged-in user home.
        b.client.goto(&format!("{base}/setup")).await.unwrap();
        assert!(b.text(".tiles").await.contains("images"));
        b.click("header form button[type=submit]").await;
        b.wait_path("/login").await;
        b.fill("input[name=id]", "administrator").await;
        b.fill("input[name=password]", PASSWORD).await;
        b.click("button[type=submit]").await;
        assert!(b.text(".tiles").await.contains("images"));
        b.client.clone().close().await.unwrap();
    });
}
