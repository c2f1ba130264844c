//! Scan requests checked field by field, `Accept` headers, and sealed requests opening only
//! on their own row.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use axum::http::StatusCode;
use kabuto_store::HarborScanState;
use serde_json::json;
use time::OffsetDateTime;

use super::*;

const DIGEST: &str = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b";

fn request(value: serde_json::Value) -> HarborScanRequest {
    serde_json::from_value(value).unwrap()
}

fn valid() -> serde_json::Value {
    json!({
        "registry": {"url": "http://harbor-core:8080/", "authorization": "Basic cm9ib3Q6czNjcmV0"},
        "artifact": {"repository": "library/mongo", "digest": DIGEST, "tag": "3.14",
                     "mime_type": DOCKER_MANIFEST},
        "enabled_capabilities": [
            {"type": "vulnerability",
             "produces_mime_types": ["application/vnd.security.vulnerability.report; version=1.1"]},
            {"type": "sbom", "produces_mime_types": ["application/vnd.security.sbom.report+json; version=1.0"],
             "parameters": {"sbom_media_types": ["application/spdx+json"]}}
        ],
        "a_field_of_a_later_spec": true
    })
}

#[test]
fn a_scan_request_becomes_an_order() {
    let order = Order::try_from(&request(valid())).unwrap();
    assert_eq!(
        (order.host.as_str(), order.insecure),
        ("harbor-core:8080", true)
    );
    assert_eq!(
        order.target(),
        format!("harbor-core:8080/library/mongo@{DIGEST}")
    );
    assert_eq!(
        order.key().to_string(),
        "harbor-core:8080/library/mongo:3.14"
    );
    assert_eq!(order.sbom, SbomFormat::Spdx);
    let credentials = order.access().options.credentials.unwrap();
    assert_eq!(
        (credentials.username.as_str(), credentials.password.as_str()),
        ("robot", "s3cret")
    );

    let mut bearer = valid();
    bearer["registry"] =
        json!({"url": "https://core.harbor.example", "authorization": "Bearer jwt.token.here"});
    bearer["artifact"]["tag"] = json!(null);
    bearer["enabled_capabilities"] = json!(null);
    let order = Order::try_from(&request(bearer)).unwrap();
    assert!(!order.insecure);
    assert_eq!(order.key().tag, DIGEST, "no tag: registered by digest");
    assert_eq!(order.sbom, SbomFormat::CycloneDx);
    let access = order.access();
    assert!(access.options.bearer_token.is_some() && access.options.credentials.is_none());
    assert!(!format!("{access:?}").contains("jwt.token.here"));
}

#[test]
fn a_bad_field_is_named_with_the_specs_status() {
    let cases = [
        ("/registry/url", json!(""), "registry.url", 422),
        ("/registry/url", json!("INVALID URL"), "registry.url", 422),
        (
            "/registry/authorization",
            json!("Token abc"),
            "registry.authorization",
            422,
        ),
        (
            "/registry/authorization",
            json!("Basic !!"),
            "registry.authorization",
            422,
        ),
        (
            "/artifact/repository",
            json!(""),
            "artifact.repository",
            422,
        ),
        (
            "/artifact/repository",
            json!("Library/Mongo"),
            "artifact.repository",
            422,
        ),
        ("/artifact/digest", json!("latest"), "artifact.digest", 422),
        ("/artifact/tag", json!("bad tag"), "artifact.tag", 422),
        (
            "/enabled_capabilities/1/type",
            json!("license"),
            "enabled_capabilities[1].type",
            422,
        ),
        (
            "/enabled_capabilities/1/parameters/sbom_media_types/0",
            json!("text/plain"),
            "enabled_capabilities[1].parameters.sbom_media_types",
            422,
        ),
        (
            "/artifact/mime_type",
            json!("application/vnd.cncf.helm.config.v1+json"),
            "artifact.mime_type",
            501,
        ),
        (
            "/enabled_capabilities/0/produces_mime_types",
            json!(["application/vnd.scanner.adapter.vuln.report.raw"]),
            "enabled_capabilities[0].produces_mime_types",
            501,
        ),
    ];
    for (pointer, value, field, status) in cases {
        let mut body = valid();
        *body.pointer_mut(pointer).unwrap() = value;
        let error = Order::try_from(&request(body)).unwrap_err();
        assert_eq!(
            error.status.as_u16(),
            status,
            "{pointer}: {}",
            error.message
        );
        assert!(
            error.message.starts_with(field),
            "{pointer}: {}",
            error.message
        );
    }
    let missing = Order::try_from(&request(json!({}))).unwrap_err();
    assert_eq!(
        (missing.status, missing.message.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "registry.url: missing")
    );
}

#[test]
fn accept_headers_choose_the_report() {
    for (accept, wanted) in [
        (None, ReportType::HarborVulnerability),
        (Some("*/*"), ReportType::HarborVulnerability),
        (
            Some("application/vnd.security.vulnerability.report; version=1.1"),
            ReportType::Vulnerability,
        ),
        (
            Some("application/vnd.scanner.adapter.vuln.report.harbor+json;version=\"1.0\""),
            ReportType::HarborVulnerability,
        ),
        (
            Some("text/html, application/vnd.security.sbom.report+json; version=1.0"),
            ReportType::Sbom,
        ),
        (
            Some("application/vnd.security.sbom.report+json"),
            ReportType::Sbom,
        ),
    ] {
        assert_eq!(
            ReportType::from_accept(accept).unwrap(),
            wanted,
            "{accept:?}"
        );
    }
    for refused in [
        "application/vnd.scanner.adapter.vuln.report.raw",
        "application/vnd.security.vulnerability.report; version=1.0",
        "application/json",
    ] {
        let error = ReportType::from_accept(Some(refused)).unwrap_err();
        assert_eq!(error.status, StatusCode::NOT_IMPLEMENTED, "{refused}");
    }
    assert_eq!(
        queried_sbom("application/spdx+json").unwrap(),
        SbomFormat::Spdx
    );
    assert_eq!(
        queried_sbom("spdx").unwrap_err().status,
        StatusCode::BAD_REQUEST
    );
}

#[test]
fn a_sealed_request_opens_only_on_its_own_row() {
    let key = SealingKey::generate().unwrap();
    let wire = request(valid());
    let order = Order::try_from(&wire).unwrap();
    let sealed = Sealed {
        request: wire,
        requested_by: "harbor".into(),
    };
    let new = to_row(&key, "one", &order, &sealed).unwrap();
    assert!(!new.request.contains("cm9ib3Q6czNjcmV0"), "{}", new.request);
    assert_eq!(
        (
            new.registry.as_str(),
            new.repository.as_str(),
            new.digest.as_str()
        ),
        ("harbor-core:8080", "library/mongo", DIGEST)
    );
    let row = |id: &str| HarborScanRow {
        id: id.into(),
        request: new.request.clone(),
        registry: new.registry.clone(),
        repository: new.repository.clone(),
        digest: new.digest.clone(),
        state: HarborScanState::Pending,
        error: None,
        created_at: OffsetDateTime::UNIX_EPOCH,
        finished_at: None,
    };
    let (opened, again) = open(&key, &row("one")).unwrap();
    assert_eq!(opened.requested_by, "harbor");
    assert_eq!(again.key(), order.key());
    assert!(open(&key, &row("two")).is_err());
}
