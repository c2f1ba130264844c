//! Delivery to loopback receivers: what each output type sends, and how failures are typed.

mod support;

use std::net::{SocketAddr, TcpListener};

use hmac::{Hmac, Mac};
use kabuto_notify::{DeliveryOptions, Failure, Notifier, Output, Trigger};
use sha2::Sha256;
use support::{Recorded, event, http_receiver, smtp_sink};

fn output(json: serde_json::Value) -> Output {
    Output::from_json(&json.to_string()).expect("valid output")
}

fn webhook(addr: SocketAddr, secret: Option<&str>) -> Output {
    output(serde_json::json!({
        "name": "ci-hook", "type": "webhook", "url": format!("http://{addr}/hooks/kabuto"),
        "secret": secret, "headers": { "Authorization": "Bearer abc" },
    }))
}

fn deliver_to(output: &Output, trigger: Trigger) -> Result<(), kabuto_notify::DeliveryError> {
    Notifier::new(&DeliveryOptions::default()).deliver(output, &event(trigger))
}

fn received(receiver: &std::sync::mpsc::Receiver<Recorded>) -> Recorded {
    receiver.recv().expect("the receiver got a request")
}

#[test]
fn webhook_posts_the_event_signed_over_the_exact_body() {
    let (addr, requests) = http_receiver(204, "");
    deliver_to(
        &webhook(addr, Some("hook-key")),
        Trigger::NewCriticalVulnerability,
    )
    .expect("delivered");
    let request = received(&requests);
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/hooks/kabuto")
    );
    assert_eq!(request.headers["content-type"], "application/json");
    assert_eq!(request.headers["authorization"], "Bearer abc");
    assert!(request.headers["x-kabuto-timestamp"].parse::<i64>().is_ok());

    let mut mac = Hmac::<Sha256>::new_from_slice(b"hook-key").expect("any key length");
    mac.update(&request.body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(request.headers["x-kabuto-signature"], expected);

    let body: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON body");
    json_snapshot("webhook_body", &body);
}

#[test]
fn webhook_without_secret_is_unsigned() {
    let (addr, requests) = http_receiver(200, "ok");
    deliver_to(&webhook(addr, None), Trigger::ScanFailed).expect("delivered");
    let request = received(&requests);
    assert!(!request.headers.contains_key("x-kabuto-signature"));
    assert!(request.headers.contains_key("x-kabuto-timestamp"));
}

#[test]
fn slack_payload_shape() {
    let (addr, requests) = http_receiver(200, "ok");
    let slack = output(serde_json::json!({
        "name": "sec-channel", "type": "slack", "webhook_url": format!("http://{addr}/services/T/B/X"),
    }));
    deliver_to(&slack, Trigger::NewCriticalVulnerability).expect("delivered");
    let request = received(&requests);
    assert_eq!(request.headers["content-type"], "application/json");
    let body: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON body");
    json_snapshot("slack_payload", &body);
}

#[test]
fn teams_payload_shape() {
    let (addr, requests) = http_receiver(202, "");
    let teams = output(serde_json::json!({
        "name": "sec-team", "type": "teams", "webhook_url": format!("http://{addr}/workflows/run"),
    }));
    deliver_to(&teams, Trigger::ImageNonCompliant).expect("delivered");
    let body: serde_json::Value =
        serde_json::from_slice(&received(&requests).body).expect("JSON body");
    json_snapshot("teams_payload", &body);
}

#[test]
fn server_errors_and_429_are_retryable_with_status_and_body_excerpt() {
    let long_body: &'static str = "overloaded ".repeat(30).leak();
    for (status, body) in [(500, long_body), (503, "later"), (429, "slow down")] {
        let (addr, _requests) = http_receiver(status, body);
        let error = deliver_to(&webhook(addr, None), Trigger::ScanFailed).expect_err("refused");
        assert!(error.is_retryable(), "{error}");
        let Failure::HttpStatus {
            status: got,
            body_excerpt,
            ..
        } = &error.failure
        else {
            panic!("not an HTTP status failure: {error:?}");
        };
        assert_eq!(*got, status);
        assert_eq!(body_excerpt.as_str(), &body[..body.len().min(200)]);
        let message = error.to_string();
        assert!(
            message.starts_with("notification output `ci-hook` (webhook): http://"),
            "{message}"
        );
        assert!(message.contains(&format!("HTTP {status}")), "{message}");
    }
}

#[test]
fn client_errors_and_redirects_are_not_retryable() {
    for status in [400, 401, 404, 302] {
        let (addr, _requests) = http_receiver(status, "no such hook");
        let error = deliver_to(&webhook(addr, None), Trigger::ScanFailed).expect_err("refused");
        assert!(!error.is_retryable(), "{error}");
        assert!(
            error
                .to_string()
                .contains(&format!("HTTP {status}: \"no such hook\"")),
            "{error}"
        );
    }
}

#[test]
fn connection_refused_is_retryable() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port");
    // The listener is dropped: nothing listens on `addr` any more.
    let error = deliver_to(&webhook(addr, None), Trigger::ScanFailed).expect_err("unreachable");
    assert!(
        matches!(error.failure, Failure::Unreachable { .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert!(
        error.to_string().contains("could not be reached"),
        "{error}"
    );
}

fn email(addr: SocketAddr) -> Output {
    output(serde_json::json!({
        "name": "ops-mail", "type": "email", "host": addr.ip().to_string(), "port": addr.port(),
        "tls": "off", "from": "Kabuto <kabuto@scanner.test>",
        "to": ["ops@corp.test", "Sec Team <sec@corp.test>"],
    }))
}

#[test]
fn email_carries_from_to_subject_and_body() {
    let (addr, mails) = smtp_sink("250 OK");
    deliver_to(&email(addr), Trigger::NewCriticalVulnerability).expect("delivered");
    let mail = mails.recv().expect("the sink got a session");
    assert_eq!(mail.mail_from, "MAIL FROM:<kabuto@scanner.test>");
    assert_eq!(
        mail.rcpt_to,
        ["RCPT TO:<ops@corp.test>", "RCPT TO:<sec@corp.test>"]
    );
    let (head, body) = mail
        .data
        .split_once("\r\n\r\n")
        .expect("headers, blank line, body");
    for header in [
        "From: Kabuto <kabuto@scanner.test>",
        "To: ops@corp.test, \"Sec Team\" <sec@corp.test>",
        "Subject: [Kabuto] New critical vulnerability: registry.local/shop/api:1.4",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
    ] {
        assert!(
            head.lines().any(|line| line == header),
            "{header} not in:\n{head}"
        );
    }
    // Undo only quoted-printable's soft line breaks: the text has no `=` or non-ASCII to decode.
    insta::assert_snapshot!(
        "email_body",
        body.replace("=\r\n", "").replace("\r\n", "\n")
    );
}

#[test]
fn smtp_permanent_refusal_is_not_retryable_and_transient_is() {
    for (reply, code, retryable) in [
        ("550 no such user", 550, false),
        ("451 try later", 451, true),
    ] {
        let (addr, _mails) = smtp_sink(reply);
        let error = deliver_to(&email(addr), Trigger::ScanFailed).expect_err("refused");
        let Failure::Smtp { reply_code, .. } = &error.failure else {
            panic!("not an SMTP failure: {error:?}");
        };
        assert_eq!(*reply_code, Some(code));
        assert_eq!(error.is_retryable(), retryable, "{error}");
        assert!(
            error.to_string().contains(&format!("replied {code}")),
            "{error}"
        );
    }
}

#[test]
fn smtp_connection_refused_is_retryable() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port");
    let error = deliver_to(&email(addr), Trigger::ScanFailed).expect_err("unreachable");
    assert!(error.is_retryable(), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("notification output `ops-mail` (email): SMTP server")
    );
}

#[test]
fn secrets_never_in_debug_output() {
    let hook = webhook("127.0.0.1:9".parse().expect("addr"), Some("hook-key-XYZ"));
    let mail = output(serde_json::json!({
        "name": "m", "type": "email", "host": "smtp.corp.test", "username": "kabuto",
        "password": "smtp-pass-XYZ", "from": "k@corp.test", "to": ["o@corp.test"],
    }));
    for output in [hook, mail] {
        let debug = format!("{output:?} {:#?}", output.kind());
        assert!(!debug.contains("XYZ"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
    }
}

/// A JSON golden file with object keys sorted: serde_json keeps insertion order when another
/// crate of the workspace turns on its `preserve_order` feature, and sorted keys otherwise.
fn json_snapshot(name: &str, body: &serde_json::Value) {
    insta::with_settings!({sort_maps => true}, {
        insta::assert_json_snapshot!(name, body);
    });
}
