//! Publishing the database as a signed OCI artifact and pulling it back, against the real
//! registries of `scripts/test-registry.sh` (skipped with a note when they are not running).
#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

#[path = "../../1-source/tests/common/registries.rs"]
mod registries;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use kabuto_source::registry::{BlobSource, PushBlob, RegistryOptions, push_artifact};
use kabuto_vulndb::distribute::{
    self, ARTIFACT_TYPE, DB_LAYER_MEDIA_TYPE, DbReference, DistributeError, SIGNATURE_MEDIA_TYPE,
    Verification,
};
use kabuto_vulndb::signature::{FileDigest, SigningKey, VerifyError};
use kabuto_vulndb::{build, db};
use registries::{Registries, registries};

fn build_db(dir: &Path, name: &str) -> PathBuf {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/feeds");
    let out = dir.join(name);
    build::build(&[fixtures], &out).unwrap();
    out
}

/// A second, different valid database.
fn other_db(dir: &Path) -> PathBuf {
    let bytes = db::encode(
        &[],
        vec!["somewhere else".into()],
        time::OffsetDateTime::now_utc().into(),
    )
    .unwrap();
    let path = dir.join("other.kdb");
    std::fs::write(&path, bytes).unwrap();
    path
}

fn reference(address: &str, r: &Registries, what: &str) -> DbReference {
    DbReference::parse(&format!("oci://{address}/{}:1", r.fresh_repository(what))).unwrap()
}

/// Publish with `key`, pull into a target that holds an older file, compare.
fn round_trip(r: &Registries, address: &str, options: &RegistryOptions) {
    let dir = tempfile::tempdir().unwrap();
    let published_file = build_db(dir.path(), "vuln.kdb");
    let key = SigningKey::generate().unwrap();
    let to = reference(address, r, "db");
    let published = distribute::publish(&published_file, Some(&key), &to, options).unwrap();
    assert_eq!(published.key_id, Some(key.public_key().key_id()));

    let target = dir.path().join("installed/db.kdb");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::copy(other_db(dir.path()), &target).unwrap();
    let pulled =
        distribute::pull(&to, options, Verification::Key(&key.public_key()), &target).unwrap();
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(&published_file).unwrap()
    );
    assert_eq!(pulled.manifest_digest, published.manifest_digest);
    assert_eq!(
        pulled.db_digest,
        FileDigest::of_file(&published_file).unwrap()
    );
    assert_eq!(pulled.verified_key_id, published.key_id);
    assert_eq!(pulled.info, published.info);
    // No download left behind.
    let leftovers: Vec<_> = std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["db.kdb"]);
}

#[test]
fn publish_then_pull_on_plain_http() {
    let Some(r) = registries() else { return };
    round_trip(&r, &r.address("PLAIN_PORT"), &r.plain_options());
}

#[test]
fn publish_to_the_tls_registry_with_basic_auth() {
    let Some(r) = registries() else { return };
    round_trip(&r, &r.address("TLS_PORT"), &r.tls_options());
}

#[test]
fn publish_to_the_token_registry_with_push_scope() {
    let Some(r) = registries() else { return };
    round_trip(&r, &r.address("TOKEN_PORT"), &r.token_options());
}

#[test]
fn the_artifact_carries_its_type_and_annotations() {
    let Some(r) = registries() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = build_db(dir.path(), "vuln.kdb");
    let to = reference(&r.address("PLAIN_PORT"), &r, "annotated");
    let key = SigningKey::generate().unwrap();
    let published = distribute::publish(&file, Some(&key), &to, &r.plain_options()).unwrap();
    let output = Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{}", to.image().original()))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let manifest: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(manifest["artifactType"], ARTIFACT_TYPE);
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.oci.empty.v1+json"
    );
    assert_eq!(manifest["layers"][0]["mediaType"], DB_LAYER_MEDIA_TYPE);
    assert_eq!(manifest["layers"][1]["mediaType"], SIGNATURE_MEDIA_TYPE);
    let annotations = &manifest["annotations"];
    assert_eq!(
        annotations["org.opencontainers.image.created"],
        published.info.built_at.as_str()
    );
    assert_eq!(
        annotations["dev.kabuto.db.sources"],
        serde_json::to_string(&published.info.sources).unwrap()
    );
    assert_eq!(annotations["dev.kabuto.db.format-version"], "1");
}

#[test]
fn another_key_or_no_signature_is_refused_and_the_old_file_kept() {
    let Some(r) = registries() else { return };
    let options = r.plain_options();
    let dir = tempfile::tempdir().unwrap();
    let file = build_db(dir.path(), "vuln.kdb");
    let target = other_db(dir.path());
    let old = std::fs::read(&target).unwrap();
    let key = SigningKey::generate().unwrap();
    let stranger = SigningKey::generate().unwrap().public_key();

    let signed = reference(&r.address("PLAIN_PORT"), &r, "signed");
    distribute::publish(&file, Some(&key), &signed, &options).unwrap();
    let err =
        distribute::pull(&signed, &options, Verification::Key(&stranger), &target).unwrap_err();
    assert!(
        matches!(
            err,
            DistributeError::Signature(VerifyError::OtherKey { .. })
        ),
        "{err}"
    );
    assert!(err.to_string().contains(&signed.to_string()), "{err}");
    assert_eq!(std::fs::read(&target).unwrap(), old);

    let unsigned = reference(&r.address("PLAIN_PORT"), &r, "unsigned");
    distribute::publish(&file, None, &unsigned, &options).unwrap();
    let err = distribute::pull(
        &unsigned,
        &options,
        Verification::Key(&key.public_key()),
        &target,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            DistributeError::Signature(VerifyError::NoSignature { .. })
        ),
        "{err}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), old);
    // Skipping the check installs it.
    distribute::pull(&unsigned, &options, Verification::SkipSignature, &target).unwrap();
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(&file).unwrap()
    );
}

#[test]
fn a_database_swapped_under_its_signature_is_refused() {
    let Some(r) = registries() else { return };
    let options = r.plain_options();
    let dir = tempfile::tempdir().unwrap();
    let genuine = build_db(dir.path(), "vuln.kdb");
    let forged = other_db(dir.path());
    let target = dir.path().join("installed.kdb");
    std::fs::copy(&genuine, &target).unwrap();
    let key = SigningKey::generate().unwrap();
    let to = reference(&r.address("PLAIN_PORT"), &r, "tampered");
    distribute::publish(&genuine, Some(&key), &to, &options).unwrap();
    // Overwrite the tag: the genuine signature, another database blob.
    let signature = key
        .sign_digest(&FileDigest::of_file(&genuine).unwrap())
        .to_json();
    let layers = [
        PushBlob {
            media_type: DB_LAYER_MEDIA_TYPE,
            source: BlobSource::File(&forged),
        },
        PushBlob {
            media_type: SIGNATURE_MEDIA_TYPE,
            source: BlobSource::Bytes(signature.as_bytes()),
        },
    ];
    push_artifact(
        to.image(),
        &options,
        ARTIFACT_TYPE,
        &layers,
        &BTreeMap::new(),
    )
    .unwrap();

    let err =
        distribute::pull(&to, &options, Verification::Key(&key.public_key()), &target).unwrap_err();
    assert!(
        matches!(
            err,
            DistributeError::Signature(VerifyError::DigestMismatch { .. })
        ),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(&genuine).unwrap()
    );
    // --insecure-skip-verify skips the signature only: the blob still matches its digest, so
    // the forged (but intact) file installs.
    distribute::pull(&to, &options, Verification::SkipSignature, &target).unwrap();
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(&forged).unwrap()
    );
}

#[test]
fn skipping_the_signature_never_skips_the_digest_check() {
    let Some(r) = registries() else { return };
    let options = r.plain_options();
    let dir = tempfile::tempdir().unwrap();
    let file = build_db(dir.path(), "vuln.kdb");
    let target = other_db(dir.path());
    let old = std::fs::read(&target).unwrap();
    let to = reference(&r.address("PLAIN_PORT"), &r, "short");
    distribute::publish(&file, None, &to, &options).unwrap();
    // A manifest whose database descriptor gives one byte less than the blob has: the bytes
    // served no longer match what the manifest names.
    let size = std::fs::metadata(&file).unwrap().len();
    let digest = FileDigest::of_file(&file).unwrap();
    let empty = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": ARTIFACT_TYPE,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [{"mediaType": DB_LAYER_MEDIA_TYPE, "digest": digest.to_string(), "size": size - 1}],
    });
    let url = format!(
        "http://{}/v2/{}/manifests/short",
        r.address("PLAIN_PORT"),
        to.image().repository()
    );
    let status = Command::new("curl")
        .args(["-sSf", "-X", "PUT", "-H"])
        .arg("Content-Type: application/vnd.oci.image.manifest.v1+json")
        .arg("--data-binary")
        .arg(manifest.to_string())
        .arg(&url)
        .status()
        .unwrap();
    assert!(status.success(), "the registry refused the short manifest");
    let short = DbReference::parse(&format!(
        "oci://{}/{}:short",
        r.address("PLAIN_PORT"),
        to.image().repository()
    ))
    .unwrap();
    let err = distribute::pull(&short, &options, Verification::SkipSignature, &target).unwrap_err();
    assert!(
        matches!(
            err,
            DistributeError::Registry(kabuto_source::SourceError::DigestMismatch { .. })
        ),
        "{err}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), old);
}

#[test]
fn other_artifacts_are_not_databases() {
    let Some(r) = registries() else { return };
    let options = r.plain_options();
    let to = reference(&r.address("PLAIN_PORT"), &r, "not-db");
    let layers = [PushBlob {
        media_type: DB_LAYER_MEDIA_TYPE,
        source: BlobSource::Bytes(b"x"),
    }];
    push_artifact(
        to.image(),
        &options,
        "application/vnd.example.other",
        &layers,
        &BTreeMap::new(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err = distribute::pull(
        &to,
        &options,
        Verification::SkipSignature,
        &dir.path().join("db.kdb"),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("artifactType is `application/vnd.example.other`"),
        "{err}"
    );
    assert!(!dir.path().join("db.kdb").exists());
}
