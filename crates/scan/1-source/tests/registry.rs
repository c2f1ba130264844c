//! Pulls from real registries started by `scripts/test-registry.sh` (Debian's
//! docker-registry on loopback: plain HTTP, TLS + htpasswd, bearer tokens). Each test prints
//! a note and passes when that script has not been run.
#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

#[path = "common/registries.rs"]
mod registries;

use std::net::TcpListener;
use std::process::Command;
use std::sync::atomic::Ordering;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kabuto_source::registry::{
    BearerToken, Credentials, Platform, RegistryOptions, open_registry, platform_manifests,
};
use kabuto_source::{ImageSource, SourceError};
use kabuto_types::ImageReference;
use registries::{TOKENS_ISSUED, TOKENS_REFUSED, issue_token, registries, start_token_server};

fn plain(platform: Option<&str>) -> RegistryOptions {
    RegistryOptions {
        insecure: true,
        platform: platform.map(|p| p.parse().unwrap()),
        ..RegistryOptions::default()
    }
}

/// What `skopeo inspect` says about an image in the plain registry.
fn skopeo_inspect(reference: &str) -> serde_json::Value {
    let output = Command::new("skopeo")
        .args([
            "inspect",
            "--tls-verify=false",
            &format!("docker://{reference}"),
        ])
        .output()
        .expect("skopeo runs");
    assert!(
        output.status.success(),
        "skopeo inspect {reference}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The step, status and message of a registry's error answer; any other error fails the test.
fn registry_status(err: &SourceError) -> (&str, u16, &str) {
    let SourceError::RegistryStatus {
        step,
        status,
        message,
        ..
    } = err
    else {
        panic!("{err:?}");
    };
    (step, *status, message)
}

/// Reads every layer to the end (which verifies its digest) and returns the byte counts.
fn read_layers(image: &dyn ImageSource) -> Vec<u64> {
    (0..image.metadata().layers.len())
        .map(|i| {
            let mut reader = image.open_layer(i).unwrap();
            std::io::copy(&mut reader, &mut std::io::sink()).unwrap()
        })
        .collect()
}

#[test]
fn plain_http_pull_matches_skopeo() {
    let Some(r) = registries() else { return };
    for (name, tag) in [
        ("alpine-like", "latest"),
        ("debian-app", "latest"),
        ("alpine-like", "docker"),
    ] {
        let reference = format!("{}/fixtures/{name}:{tag}", r.address("PLAIN_PORT"));
        let image = open_registry(&reference, &plain(None)).unwrap();
        let skopeo = skopeo_inspect(&reference);
        let metadata = image.metadata();
        assert_eq!(image.name(), reference);
        assert_eq!(
            metadata.manifest_digest.as_ref().unwrap().as_str(),
            skopeo["Digest"].as_str().unwrap(),
            "{reference}"
        );
        assert_eq!(metadata.repo_tags, std::slice::from_ref(&reference));
        assert_eq!(
            metadata.repo_digests,
            [format!(
                "{}/fixtures/{name}@{}",
                r.address("PLAIN_PORT"),
                skopeo["Digest"].as_str().unwrap()
            )]
        );
        assert_eq!(
            metadata.architecture.as_deref(),
            skopeo["Architecture"].as_str()
        );
        assert_eq!(metadata.os.as_deref(), skopeo["Os"].as_str());
        let skopeo_layers: Vec<&str> = skopeo["Layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        let our_layers: Vec<&str> = metadata
            .layers
            .iter()
            .map(|l| l.digest.as_ref().unwrap().as_str())
            .collect();
        assert_eq!(our_layers, skopeo_layers, "{reference}");
        let sizes: Vec<u64> = metadata.layers.iter().map(|l| l.size.unwrap()).collect();
        assert_eq!(read_layers(image.as_ref()), sizes, "{reference}");
        assert!(!metadata.history.is_empty());
    }
}

#[test]
fn docker_schema2_manifest_is_read() {
    let Some(r) = registries() else { return };
    let base = format!("{}/fixtures/alpine-like", r.address("PLAIN_PORT"));
    let oci = open_registry(&format!("{base}:latest"), &plain(None)).unwrap();
    let docker = open_registry(&format!("{base}:docker"), &plain(None)).unwrap();
    let (oci, docker) = (oci.metadata(), docker.metadata());
    assert_ne!(oci.manifest_digest, docker.manifest_digest);
    assert!(
        docker.layers[0]
            .media_type
            .as_deref()
            .unwrap()
            .starts_with("application/vnd.docker.image.rootfs"),
        "{:?}",
        docker.layers[0].media_type
    );
    // The same filesystem whatever the manifest format.
    let diff_ids = |m: &kabuto_types::ImageMetadata| -> Vec<String> {
        m.layers.iter().map(|l| l.diff_id.to_string()).collect()
    };
    assert_eq!(diff_ids(oci), diff_ids(docker));
}

#[test]
fn platform_selection_in_multi_arch_index() {
    let Some(r) = registries() else { return };
    let reference = format!("{}/fixtures/multi:latest", r.address("PLAIN_PORT"));
    let index_digest = r.var("MULTI_INDEX_DIGEST");
    for (platform, digest_var, arch) in [
        ("linux/arm64", "MULTI_ARM64_DIGEST", "arm64"),
        ("linux/arm64/v8", "MULTI_ARM64_DIGEST", "arm64"),
        ("linux/amd64", "MULTI_AMD64_DIGEST", "amd64"),
    ] {
        let image = open_registry(&reference, &plain(Some(platform))).unwrap();
        let metadata = image.metadata();
        assert_eq!(
            metadata.manifest_digest.as_ref().unwrap().as_str(),
            r.var(digest_var),
            "{platform}"
        );
        assert_eq!(metadata.architecture.as_deref(), Some(arch));
        // The repo digest is the index's: what `docker pull` by tag records.
        assert!(
            metadata.repo_digests[0].ends_with(index_digest),
            "{:?}",
            metadata.repo_digests
        );
        assert_eq!(read_layers(image.as_ref()).len(), 2);
    }
    // Pinned by the index digest works too, and checks the digest.
    let pinned = format!("{}/fixtures/multi@{index_digest}", r.address("PLAIN_PORT"));
    let image = open_registry(&pinned, &plain(Some("linux/arm64"))).unwrap();
    assert_eq!(
        image.metadata().manifest_digest.as_ref().unwrap().as_str(),
        r.var("MULTI_ARM64_DIGEST")
    );
    assert!(image.metadata().repo_tags.is_empty());

    let Err(err) = open_registry(&reference, &plain(Some("linux/s390x"))) else {
        panic!("s390x is not in the index");
    };
    let message = err.to_string();
    assert!(
        message.contains("no image for platform linux/s390x")
            && message.contains("linux/amd64, linux/arm64/v8"),
        "{message}"
    );
    // A single-platform image of another platform than the one asked for.
    let single = format!("{}/fixtures/alpine-like:latest", r.address("PLAIN_PORT"));
    let Err(err) = open_registry(&single, &plain(Some("linux/arm64"))) else {
        panic!("alpine-like is amd64 only");
    };
    assert!(
        err.to_string()
            .contains("image is for platform linux/amd64, not the requested linux/arm64"),
        "{err}"
    );
}

/// A scheduler learns each platform's manifest digest (what a scan records) without pulling:
/// the index's entries for the platforms asked for, or a single image's own digest.
#[test]
fn platform_manifests_name_what_a_scan_records() {
    let Some(r) = registries() else { return };
    let multi = ImageReference::parse(&format!(
        "{}/fixtures/multi:latest",
        r.address("PLAIN_PORT")
    ))
    .unwrap();
    let wanted: Vec<Platform> = ["linux/arm64", "linux/s390x", "linux/amd64"]
        .iter()
        .map(|p| p.parse().unwrap())
        .collect();
    let found = platform_manifests(&multi, &plain(None), &wanted).unwrap();
    let found: Vec<(String, &str)> = found
        .iter()
        .map(|(p, d)| (p.to_string(), d.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("linux/arm64".to_owned(), r.var("MULTI_ARM64_DIGEST")),
            ("linux/amd64".to_owned(), r.var("MULTI_AMD64_DIGEST")),
        ]
    );
    let none = platform_manifests(&multi, &plain(None), &wanted[1..2]).unwrap_err();
    assert!(
        none.to_string()
            .contains("no image for platform linux/s390x"),
        "{none}"
    );

    let single = ImageReference::parse(&format!(
        "{}/fixtures/alpine-like:latest",
        r.address("PLAIN_PORT")
    ))
    .unwrap();
    let found = platform_manifests(&single, &plain(None), &wanted).unwrap();
    let image = open_registry(&single.to_string(), &plain(None)).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(Some(&found[0].1), image.metadata().manifest_digest.as_ref());
}

#[test]
fn unknown_tag_and_unreachable_port_are_clear_errors() {
    let Some(r) = registries() else { return };
    let reference = format!(
        "{}/fixtures/alpine-like:no-such-tag",
        r.address("PLAIN_PORT")
    );
    let Err(err) = open_registry(&reference, &plain(None)) else {
        panic!("tag does not exist");
    };
    let SourceError::RegistryStatus {
        image,
        step,
        status,
        message,
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(
        (image.as_str(), step.as_str(), *status),
        (reference.as_str(), "manifest no-such-tag", 404)
    );
    assert!(message.contains("MANIFEST_UNKNOWN"), "{message}");

    // A port nothing listens on: bind one, then free it.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let reference = format!("127.0.0.1:{port}/fixtures/alpine-like:latest");
    let Err(err) = open_registry(&reference, &plain(None)) else {
        panic!("nothing listens on {port}");
    };
    assert!(matches!(err, SourceError::Registry { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with(&reference)
            && message.contains("manifest latest")
            && message.contains("refused"),
        "{message}"
    );

    let Err(err) = open_registry("127.0.0.1:5000/Bad/Name", &plain(None)) else {
        panic!("uppercase repository");
    };
    assert!(err.to_string().contains("lowercase"), "{err}");
}

#[test]
fn tls_with_ca_file_and_basic_auth() {
    let Some(r) = registries() else { return };
    let reference = format!("{}/fixtures/alpine-like:latest", r.address("TLS_PORT"));
    let options = RegistryOptions {
        ca_file: Some(r.ca_file()),
        credentials: Some(r.credentials()),
        ..RegistryOptions::default()
    };
    let image = open_registry(&reference, &options).unwrap();
    assert_eq!(read_layers(image.as_ref()).len(), 2);

    // Same credentials from a docker config file.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    let auth = STANDARD.encode(format!("{}:{}", r.var("USERNAME"), r.var("PASSWORD")));
    std::fs::write(
        &config,
        format!(
            r#"{{"auths":{{"https://{}":{{"auth":"{auth}"}}}}}}"#,
            r.address("TLS_PORT")
        ),
    )
    .unwrap();
    let from_config = RegistryOptions {
        credentials: None,
        docker_config: Some(config),
        ..options.clone()
    };
    open_registry(&reference, &from_config).unwrap();

    let status_of = |options: &RegistryOptions| match open_registry(&reference, options) {
        Err(SourceError::RegistryStatus {
            status, message, ..
        }) => (status, message),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("pulled without the right credentials"),
    };
    let wrong = RegistryOptions {
        credentials: Some(Credentials::new(r.var("USERNAME"), "wrong")),
        ..options.clone()
    };
    let (status, message) = status_of(&wrong);
    assert_eq!(status, 401);
    assert!(message.contains("credentials were rejected"), "{message}");
    let anonymous = RegistryOptions {
        credentials: None,
        ..options.clone()
    };
    let (status, message) = status_of(&anonymous);
    assert_eq!(status, 401);
    assert!(message.contains("username and password"), "{message}");

    // Without the CA the certificate is not trusted.
    let no_ca = RegistryOptions {
        ca_file: None,
        ..options.clone()
    };
    let Err(err) = open_registry(&reference, &no_ca) else {
        panic!("self-signed CA trusted without ca_file");
    };
    let message = err.to_string();
    assert!(
        message.contains("UnknownIssuer") && message.contains("CA certificate file"),
        "{message}"
    );
}

#[test]
fn bearer_token_flow() {
    let Some(r) = registries() else { return };
    start_token_server(&r);
    let reference = format!("{}/fixtures/debian-base:latest", r.address("TOKEN_PORT"));
    let with_credentials = RegistryOptions {
        credentials: Some(r.credentials()),
        ..plain(None)
    };
    let issued_before = TOKENS_ISSUED.load(Ordering::SeqCst);
    let image = open_registry(&reference, &with_credentials).unwrap();
    assert!(!read_layers(image.as_ref()).is_empty());
    assert!(TOKENS_ISSUED.load(Ordering::SeqCst) > issued_before);

    for (credentials, hint) in [
        (None, "authentication required"),
        (
            Some(Credentials::new(r.var("USERNAME"), "wrong")),
            "credentials were rejected",
        ),
    ] {
        let options = RegistryOptions {
            credentials,
            ..plain(None)
        };
        let refused_before = TOKENS_REFUSED.load(Ordering::SeqCst);
        let Err(err) = open_registry(&reference, &options) else {
            panic!("token server let a bad request through");
        };
        let (step, status, message) = registry_status(&err);
        assert_eq!(status, 401);
        assert!(step.starts_with("token from http://127.0.0.1:"), "{step}");
        assert!(message.contains(hint), "{message}");
        assert!(TOKENS_REFUSED.load(Ordering::SeqCst) > refused_before);
    }
}

/// A token obtained elsewhere (as Harbor hands one to its scanners) is sent as it is: without
/// credentials the pull succeeds, which the token flow could not (the token server refuses
/// anonymous requests); a token for another repository is refused and the error says the
/// given token was, not a token request.
#[test]
fn a_given_bearer_token_is_sent_as_is() {
    let Some(r) = registries() else { return };
    let reference = format!("{}/fixtures/debian-base:latest", r.address("TOKEN_PORT"));
    let with_token = |scope: &str| RegistryOptions {
        bearer_token: Some(BearerToken::new(issue_token(&r, scope))),
        ..plain(None)
    };
    let image = open_registry(
        &reference,
        &with_token("repository:fixtures/debian-base:pull"),
    )
    .unwrap();
    assert!(!read_layers(image.as_ref()).is_empty());

    let Err(err) = open_registry(&reference, &with_token("repository:fixtures/another:pull"))
    else {
        panic!("a token for another repository pulled");
    };
    let (step, status, message) = registry_status(&err);
    assert_eq!(status, 401);
    assert!(step.starts_with("manifest "), "{step}");
    assert!(
        message.contains("bearer token given was rejected"),
        "{message}"
    );
}
