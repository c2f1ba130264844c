//! OCI artifacts pushed to and pulled from the real registries of
//! `scripts/test-registry.sh`: anonymous plain HTTP, TLS with basic auth, and bearer tokens
//! with push scope. Each test prints a note and passes when that script has not been run.
#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

#[path = "common/registries.rs"]
mod registries;

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::Ordering;

use kabuto_source::SourceError;
use kabuto_source::registry::{
    BlobSource, Credentials, EMPTY_CONFIG_MEDIA_TYPE, ImageReference, PushBlob, RegistryOptions,
    blob_read_error, open_artifact, push_artifact,
};
use registries::{Registries, TOKENS_ISSUED, registries};

const ARTIFACT_TYPE: &str = "application/vnd.kabuto.test.v1";

/// Pushes a file layer and a bytes layer to `address`, pulls the artifact back and checks
/// every part of it.
fn round_trip(r: &Registries, address: &str, options: &RegistryOptions) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("payload.bin");
    let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&file, &payload).unwrap();
    let reference = format!("{address}/{}:1", r.fresh_repository("artifact"));
    let reference = ImageReference::parse(&reference).unwrap();
    let annotations = BTreeMap::from([("org.example.what".to_owned(), "test".to_owned())]);
    let layers = [
        PushBlob {
            media_type: "application/vnd.kabuto.test.file",
            source: BlobSource::File(&file),
        },
        PushBlob {
            media_type: "application/vnd.kabuto.test.bytes+json",
            source: BlobSource::Bytes(b"{\"small\":true}"),
        },
    ];
    let pushed = push_artifact(&reference, options, ARTIFACT_TYPE, &layers, &annotations).unwrap();
    // Pushing again uploads nothing new and names the same manifest.
    let again = push_artifact(&reference, options, ARTIFACT_TYPE, &layers, &annotations).unwrap();
    assert_eq!(pushed, again);

    let artifact = open_artifact(&reference, options).unwrap();
    assert_eq!(artifact.digest, pushed);
    assert_eq!(artifact.artifact_type.as_deref(), Some(ARTIFACT_TYPE));
    assert_eq!(artifact.annotations, annotations);
    assert_eq!(
        artifact.config.media_type.as_deref(),
        Some(EMPTY_CONFIG_MEDIA_TYPE)
    );
    assert_eq!(artifact.config.size, 2);
    assert_eq!(artifact.layers.len(), 2);
    let mut pulled = Vec::new();
    artifact
        .blob("file layer", &artifact.layers[0])
        .unwrap()
        .read_to_end(&mut pulled)
        .unwrap();
    assert_eq!(pulled, payload);
    assert_eq!(
        artifact
            .blob_bytes("bytes layer", &artifact.layers[1], 1024)
            .unwrap(),
        b"{\"small\":true}"
    );
    // Pinned by digest too.
    let pinned = format!("{address}/{}@{pushed}", reference.repository());
    let by_digest = open_artifact(&ImageReference::parse(&pinned).unwrap(), options).unwrap();
    assert_eq!(by_digest.layers, artifact.layers);
}

#[test]
fn artifact_round_trip_on_plain_http() {
    let Some(r) = registries() else { return };
    round_trip(&r, &r.address("PLAIN_PORT"), &r.plain_options());
}

#[test]
fn artifact_push_to_tls_registry_with_basic_auth() {
    let Some(r) = registries() else { return };
    round_trip(&r, &r.address("TLS_PORT"), &r.tls_options());

    let reference = format!(
        "{}/{}:1",
        r.address("TLS_PORT"),
        r.fresh_repository("denied")
    );
    let reference = ImageReference::parse(&reference).unwrap();
    let anonymous = RegistryOptions {
        credentials: None,
        ..r.tls_options()
    };
    let layer = [PushBlob {
        media_type: "application/octet-stream",
        source: BlobSource::Bytes(b"x"),
    }];
    let err = push_artifact(
        &reference,
        &anonymous,
        ARTIFACT_TYPE,
        &layer,
        &BTreeMap::new(),
    )
    .unwrap_err();
    assert!(
        matches!(err, SourceError::RegistryStatus { status: 401, .. }),
        "{err}"
    );
}

#[test]
fn artifact_push_with_token_asks_for_push_scope() {
    let Some(r) = registries() else { return };
    let options = r.token_options();
    let before = TOKENS_ISSUED.load(Ordering::SeqCst);
    round_trip(&r, &r.address("TOKEN_PORT"), &options);
    assert!(TOKENS_ISSUED.load(Ordering::SeqCst) > before);

    let reference = format!(
        "{}/{}:1",
        r.address("TOKEN_PORT"),
        r.fresh_repository("denied")
    );
    let reference = ImageReference::parse(&reference).unwrap();
    let wrong = RegistryOptions {
        credentials: Some(Credentials::new(r.var("USERNAME"), "wrong")),
        ..options
    };
    let layer = [PushBlob {
        media_type: "application/octet-stream",
        source: BlobSource::Bytes(b"x"),
    }];
    let err =
        push_artifact(&reference, &wrong, ARTIFACT_TYPE, &layer, &BTreeMap::new()).unwrap_err();
    assert!(
        err.to_string().contains("credentials were rejected"),
        "{err}"
    );
}

#[test]
fn a_blob_that_does_not_match_its_descriptor_fails_while_read() {
    let Some(r) = registries() else { return };
    let options = r.plain_options();
    let reference = format!(
        "{}/{}:1",
        r.address("PLAIN_PORT"),
        r.fresh_repository("size")
    );
    let reference = ImageReference::parse(&reference).unwrap();
    let layer = [PushBlob {
        media_type: "application/octet-stream",
        source: BlobSource::Bytes(b"twelve bytes"),
    }];
    push_artifact(
        &reference,
        &options,
        ARTIFACT_TYPE,
        &layer,
        &BTreeMap::new(),
    )
    .unwrap();
    let artifact = open_artifact(&reference, &options).unwrap();
    let mut short = artifact.layers[0].clone();
    short.size -= 1;
    let err = artifact
        .blob("layer", &short)
        .unwrap()
        .read_to_end(&mut Vec::new())
        .unwrap_err();
    let err = blob_read_error(err, artifact.name(), "layer");
    assert!(matches!(err, SourceError::DigestMismatch { .. }), "{err}");
}
