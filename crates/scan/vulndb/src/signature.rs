//! Signatures of database files: Ed25519 over the file's SHA-256 digest.
//!
//! A signature is a small JSON document, detached from the file (beside it as `<db>.sig`, or a
//! layer of the OCI artifact):
//! ```json
//! {"format":"kabuto-db-signature/v1","algorithm":"ed25519",
//!  "key_id":"sha256:<hex of the 32 raw public key bytes>",
//!  "digest":"sha256:<hex of the database file>","signature":"<base64 of 64 bytes>"}
//! ```
//! The signed message is the ASCII text `kabuto-db-signature/v1 sha256:<hex>`: the format name
//! keeps a release key's signature from meaning anything else. Anyone can check one with
//! OpenSSL: write that text to `msg` and `openssl pkeyutl -verify -pubin -inkey key.pem
//! -rawin -in msg -sigfile sig.bin` (the signature base64-decoded).
//!
//! Keys are PEM, as OpenSSL writes them (`openssl genpkey -algorithm ed25519`): the private key
//! PKCS#8 (`BEGIN PRIVATE KEY`), the public key SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`).

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signer as _, pkcs8::spki::der::pem::LineEnding};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The `format` field of every signature this version writes and reads.
pub const SIGNATURE_FORMAT: &str = "kabuto-db-signature/v1";
const ALGORITHM: &str = "ed25519";
/// Largest signature document read: a real one is under 300 bytes.
pub const MAX_SIGNATURE_BYTES: u64 = 64 << 10;

/// The project's release key: databases published by the Kabuto project are signed with its
/// private half. Callers replace it with [`PublicKey::from_pem`] for a self-hosted mirror.
pub const RELEASE_PUBLIC_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA2jbZ9vB2iEbgDFy60uIOP/A6EJpC03N+zjb2yvU1oMw=
-----END PUBLIC KEY-----
";

/// A key file or key text that is not an Ed25519 key in the expected PEM form.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read key file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: not an Ed25519 {kind} key in PEM ({message})")]
    Parse {
        what: String,
        kind: &'static str,
        message: String,
    },
    #[error("cannot generate a key: no OS randomness ({0})")]
    Random(String),
}

/// Why a database file does not verify. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{db}: no signature (expected {signature}); refusing an unsigned database")]
    NoSignature { db: PathBuf, signature: String },
    #[error("{db}: signature {signature} is not valid: {message}")]
    Malformed {
        db: PathBuf,
        signature: String,
        message: String,
    },
    #[error("{db}: signed by another key ({found}); the trusted key is {trusted}")]
    OtherKey {
        db: PathBuf,
        trusted: String,
        found: String,
    },
    #[error("{db}: has digest {actual}, but the signature is for {signed}")]
    DigestMismatch {
        db: PathBuf,
        signed: String,
        actual: String,
    },
    #[error("{db}: bad signature: it does not verify with key {key_id}")]
    BadSignature { db: PathBuf, key_id: String },
    #[error("{db}: cannot read: {source}")]
    Read {
        db: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// An Ed25519 public key that databases are checked against.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(ed25519_dalek::VerifyingKey);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.key_id())
    }
}

impl PublicKey {
    /// The built-in release key ([`RELEASE_PUBLIC_KEY_PEM`]).
    pub fn release() -> Self {
        Self::from_pem(RELEASE_PUBLIC_KEY_PEM, "the built-in release key")
            .unwrap_or_else(|e| unreachable!("the built-in key is valid PEM: {e}"))
    }

    /// Parses a `BEGIN PUBLIC KEY` PEM; `what` names its origin in errors.
    pub fn from_pem(pem: &str, what: &str) -> Result<Self, KeyError> {
        ed25519_dalek::VerifyingKey::from_public_key_pem(pem.trim())
            .map(Self)
            .map_err(|e| KeyError::Parse {
                what: what.to_owned(),
                kind: "public",
                message: e.to_string(),
            })
    }

    /// Reads a public key PEM file.
    pub fn read(path: &Path) -> Result<Self, KeyError> {
        Self::from_pem(&read_key_file(path)?, &path.display().to_string())
    }

    pub fn to_pem(&self) -> String {
        self.0
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_else(|e| unreachable!("a 32-byte key always encodes: {e}"))
    }

    /// `sha256:<hex>` of the 32 raw key bytes: what signatures name their key by.
    pub fn key_id(&self) -> String {
        format!("sha256:{}", hex::encode(Sha256::digest(self.0.as_bytes())))
    }
}

/// An Ed25519 private key that signs databases. `Debug` shows only the public key's id.
pub struct SigningKey(ed25519_dalek::SigningKey);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey(public {})", self.public_key().key_id())
    }
}

impl SigningKey {
    /// A new key from the OS's randomness.
    pub fn generate() -> Result<Self, KeyError> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| KeyError::Random(e.to_string()))?;
        let key = ed25519_dalek::SigningKey::from_bytes(&secret);
        secret.fill(0);
        Ok(Self(key))
    }

    /// Parses a PKCS#8 `BEGIN PRIVATE KEY` PEM; `what` names its origin in errors.
    pub fn from_pem(pem: &str, what: &str) -> Result<Self, KeyError> {
        ed25519_dalek::SigningKey::from_pkcs8_pem(pem.trim())
            .map(Self)
            .map_err(|e| KeyError::Parse {
                what: what.to_owned(),
                kind: "private",
                message: e.to_string(),
            })
    }

    /// Reads a private key PEM file.
    pub fn read(path: &Path) -> Result<Self, KeyError> {
        Self::from_pem(&read_key_file(path)?, &path.display().to_string())
    }

    /// The PKCS#8 v1 PEM text, as OpenSSL writes and reads it (v2, which also holds the
    /// public key, OpenSSL 3 cannot read); wiped from memory when dropped.
    pub fn to_pem(&self) -> ed25519_dalek::pkcs8::spki::der::zeroize::Zeroizing<String> {
        let v1 = ed25519_dalek::pkcs8::KeypairBytes {
            secret_key: self.0.to_bytes(),
            public_key: None,
        };
        v1.to_pkcs8_pem(LineEnding::LF)
            .unwrap_or_else(|e| unreachable!("a 32-byte key always encodes: {e}"))
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs a file whose SHA-256 is `digest`.
    pub fn sign_digest(&self, digest: &FileDigest) -> DbSignature {
        let signature = self.0.sign(&signed_message(digest));
        DbSignature {
            key_id: self.public_key().key_id(),
            digest: *digest,
            signature,
        }
    }
}

fn read_key_file(path: &Path) -> Result<String, KeyError> {
    std::fs::read_to_string(path).map_err(|source| KeyError::Read {
        path: path.to_owned(),
        source,
    })
}

/// The SHA-256 of a whole file, shown as `sha256:<hex>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileDigest([u8; 32]);

impl FileDigest {
    pub fn of_bytes(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// Streams `reader` through SHA-256.
    pub fn of_reader(mut reader: impl Read) -> std::io::Result<Self> {
        let mut hasher = Sha256::new();
        std::io::copy(&mut reader, &mut hasher)?;
        Ok(Self(hasher.finalize().into()))
    }

    pub fn of_file(path: &Path) -> Result<Self, VerifyError> {
        std::fs::File::open(path)
            .and_then(Self::of_reader)
            .map_err(|source| VerifyError::Read {
                db: path.to_owned(),
                source,
            })
    }

    /// The 64 lowercase hex digits.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses `sha256:<64 hex digits>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let hex_part = text
            .strip_prefix("sha256:")
            .ok_or_else(|| format!("digest `{text}` does not start with `sha256:`"))?;
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut bytes)
            .map_err(|_| format!("digest `{text}` is not sha256: and 64 hex digits"))?;
        Ok(Self(bytes))
    }
}

impl fmt::Display for FileDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

fn signed_message(digest: &FileDigest) -> Vec<u8> {
    format!("{SIGNATURE_FORMAT} {digest}").into_bytes()
}

/// A detached signature of one database file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbSignature {
    pub key_id: String,
    pub digest: FileDigest,
    pub signature: ed25519_dalek::Signature,
}

/// The JSON document as written; [`DbSignature`] is what it parses into.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignature {
    format: String,
    algorithm: String,
    key_id: String,
    digest: String,
    signature: String,
}

impl TryFrom<RawSignature> for DbSignature {
    type Error = String;

    fn try_from(raw: RawSignature) -> Result<Self, String> {
        if raw.format != SIGNATURE_FORMAT {
            return Err(format!(
                "format `{}` is not `{SIGNATURE_FORMAT}`",
                raw.format
            ));
        }
        if raw.algorithm != ALGORITHM {
            return Err(format!(
                "algorithm `{}` is not `{ALGORITHM}`",
                raw.algorithm
            ));
        }
        let bytes = BASE64
            .decode(raw.signature.trim())
            .map_err(|_| "`signature` is not base64".to_owned())?;
        let bytes: [u8; 64] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("`signature` has {} bytes, not 64", b.len()))?;
        Ok(Self {
            key_id: raw.key_id,
            digest: FileDigest::parse(&raw.digest)?,
            signature: ed25519_dalek::Signature::from_bytes(&bytes),
        })
    }
}

impl DbSignature {
    /// Parses a signature document; the error says which field is wrong.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let raw: RawSignature =
            serde_json::from_slice(bytes).map_err(|e| format!("not signature JSON: {e}"))?;
        Self::try_from(raw)
    }

    /// The JSON document, pretty-printed, with a final newline.
    pub fn to_json(&self) -> String {
        let raw = RawSignature {
            format: SIGNATURE_FORMAT.to_owned(),
            algorithm: ALGORITHM.to_owned(),
            key_id: self.key_id.clone(),
            digest: self.digest.to_string(),
            signature: BASE64.encode(self.signature.to_bytes()),
        };
        let mut text = serde_json::to_string_pretty(&raw)
            .unwrap_or_else(|e| unreachable!("strings always serialize: {e}"));
        text.push('\n');
        text
    }

    /// Checks that this signature is `key`'s over `actual`, the digest of `db` (named in
    /// errors).
    pub fn verify(
        &self,
        db: &Path,
        actual: &FileDigest,
        key: &PublicKey,
    ) -> Result<(), VerifyError> {
        let trusted = key.key_id();
        if self.key_id != trusted {
            return Err(VerifyError::OtherKey {
                db: db.to_owned(),
                trusted,
                found: self.key_id.clone(),
            });
        }
        if self.digest != *actual {
            return Err(VerifyError::DigestMismatch {
                db: db.to_owned(),
                signed: self.digest.to_string(),
                actual: actual.to_string(),
            });
        }
        key.0
            .verify_strict(&signed_message(actual), &self.signature)
            .map_err(|_| VerifyError::BadSignature {
                db: db.to_owned(),
                key_id: trusted,
            })
    }
}

/// Where a database's detached signature lives: `<db>.sig` beside it.
pub fn signature_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// Signs the file at `db`.
pub fn sign_file(db: &Path, key: &SigningKey) -> Result<DbSignature, VerifyError> {
    Ok(key.sign_digest(&FileDigest::of_file(db)?))
}

/// Reads and parses the signature file at `path` for database `db`.
pub fn read_signature(db: &Path, path: &Path) -> Result<DbSignature, VerifyError> {
    let shown = path.display().to_string();
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(VerifyError::NoSignature {
                db: db.to_owned(),
                signature: shown,
            });
        }
        Err(source) => {
            return Err(VerifyError::Read {
                db: path.to_owned(),
                source,
            });
        }
    };
    let mut bytes = Vec::new();
    file.take(MAX_SIGNATURE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| VerifyError::Read {
            db: path.to_owned(),
            source,
        })?;
    if bytes.len() as u64 > MAX_SIGNATURE_BYTES {
        return Err(VerifyError::Malformed {
            db: db.to_owned(),
            signature: shown,
            message: format!("larger than {MAX_SIGNATURE_BYTES} bytes"),
        });
    }
    DbSignature::parse(&bytes).map_err(|message| VerifyError::Malformed {
        db: db.to_owned(),
        signature: shown,
        message,
    })
}

/// Verifies the file at `db` against its signature beside it ([`signature_path`]) and `key`.
pub fn verify_file(db: &Path, key: &PublicKey) -> Result<DbSignature, VerifyError> {
    let signature = read_signature(db, &signature_path(db))?;
    signature.verify(db, &FileDigest::of_file(db)?, key)?;
    Ok(signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed key, so signatures (deterministic in Ed25519) can be golden.
    fn test_key() -> SigningKey {
        SigningKey(ed25519_dalek::SigningKey::from_bytes(&[7; 32]))
    }

    fn signed_db(dir: &Path, bytes: &[u8], key: &SigningKey) -> PathBuf {
        let db = dir.join("vuln.db");
        std::fs::write(&db, bytes).unwrap();
        std::fs::write(signature_path(&db), sign_file(&db, key).unwrap().to_json()).unwrap();
        db
    }

    #[test]
    fn signature_document_is_stable() {
        let signature = test_key().sign_digest(&FileDigest::of_bytes(b"database bytes"));
        insta::assert_snapshot!(signature.to_json());
        assert_eq!(
            DbSignature::parse(signature.to_json().as_bytes()).unwrap(),
            signature
        );
    }

    #[test]
    fn keys_round_trip_through_pem() {
        let key = SigningKey::generate().unwrap();
        let again = SigningKey::from_pem(&key.to_pem(), "test").unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let public = PublicKey::from_pem(&key.public_key().to_pem(), "test").unwrap();
        assert_eq!(public, key.public_key());
        assert!(!format!("{key:?}").contains("PRIVATE"));
        assert_ne!(
            SigningKey::generate().unwrap().public_key(),
            key.public_key()
        );
        // The built-in key parses and is the one documented.
        assert_eq!(PublicKey::release().to_pem(), RELEASE_PUBLIC_KEY_PEM);
    }

    #[test]
    fn keys_from_openssl_pem_are_read() {
        // `openssl pkey` output for the test key: ours must read it and write the same.
        let private = "-----BEGIN PRIVATE KEY-----\n\
            MC4CAQAwBQYDK2VwBCIEIAcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH\n\
            -----END PRIVATE KEY-----\n";
        let key = SigningKey::from_pem(private, "openssl.pem").unwrap();
        assert_eq!(key.public_key(), test_key().public_key());
        assert_eq!(&*key.to_pem(), private);
    }

    #[test]
    fn a_signed_file_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let key = test_key();
        let db = signed_db(dir.path(), b"database bytes", &key);
        let signature = verify_file(&db, &key.public_key()).unwrap();
        assert_eq!(signature.key_id, key.public_key().key_id());
    }

    #[test]
    fn each_verification_failure_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let key = test_key();
        let db = signed_db(dir.path(), b"database bytes", &key);
        let other = SigningKey(ed25519_dalek::SigningKey::from_bytes(&[9; 32]));
        let message = |result: Result<DbSignature, VerifyError>| {
            result
                .unwrap_err()
                .to_string()
                .replace(&dir.path().display().to_string(), "DIR")
        };

        let mut report = vec![message(verify_file(&db, &other.public_key()))];

        std::fs::write(&db, b"database bytes, changed").unwrap();
        report.push(message(verify_file(&db, &key.public_key())));

        // Same key id and digest, signature bytes from another message.
        let good = sign_file(&db, &key).unwrap();
        let forged = DbSignature {
            signature: key.0.sign(b"something else"),
            ..good
        };
        std::fs::write(signature_path(&db), forged.to_json()).unwrap();
        report.push(message(verify_file(&db, &key.public_key())));

        std::fs::write(signature_path(&db), "{\"format\":\"x\"}").unwrap();
        report.push(message(verify_file(&db, &key.public_key())));

        std::fs::remove_file(signature_path(&db)).unwrap();
        report.push(message(verify_file(&db, &key.public_key())));

        let missing = dir.path().join("missing.db");
        std::fs::write(signature_path(&missing), good_json(&key)).unwrap();
        report.push(message(verify_file(&missing, &key.public_key())));
        insta::assert_snapshot!(report.join("\n"));
    }

    fn good_json(key: &SigningKey) -> String {
        key.sign_digest(&FileDigest::of_bytes(b"x")).to_json()
    }

    #[test]
    fn malformed_signature_fields_are_named() {
        let good = test_key()
            .sign_digest(&FileDigest::of_bytes(b"x"))
            .to_json();
        for (from, to, why) in [
            ("kabuto-db-signature/v1", "kabuto-db-signature/v9", "format"),
            ("\"ed25519\"", "\"rsa\"", "algorithm `rsa`"),
            (
                "\"digest\": \"sha256:",
                "\"digest\": \"md5:",
                "does not start with `sha256:`",
            ),
            ("\"signature\": \"", "\"signature\": \"!", "not base64"),
            ("\"signature\": \"", "\"signature\": \"AAAA", "not 64"),
            (
                "\"format\"",
                "\"extra\": 1, \"format\"",
                "unknown field `extra`",
            ),
        ] {
            let bad = good.replacen(from, to, 1);
            assert_ne!(bad, good, "{from}");
            let err = DbSignature::parse(bad.as_bytes()).unwrap_err();
            assert!(err.contains(why), "{from}: {err}");
        }
        let key_err = PublicKey::from_pem("not a key", "key.pem").unwrap_err();
        assert!(
            key_err
                .to_string()
                .starts_with("key.pem: not an Ed25519 public key")
        );
    }
}
