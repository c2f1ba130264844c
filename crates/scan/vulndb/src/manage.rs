//! Installing a database: import a built file (signed or not), update from a download with a
//! checksum.
//! Every path checks the new file completely (structure, checksum, every record decoded)
//! before an atomic rename, so a failed import or update leaves the previous database in
//! place, and the installed file is never truncated or rewritten in place.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::db::{self, Database, DbError, DbInfo, MAX_DATABASE_BYTES};
use crate::signature::{self, FileDigest, PublicKey, VerifyError};

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error(transparent)]
    Invalid(#[from] DbError),
    #[error("cannot read {what}: {source}")]
    Read {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("download is larger than {MAX_DATABASE_BYTES} bytes")]
    TooLarge,
    #[error("checksum mismatch: expected sha256 {expected}, got {found}")]
    Checksum { expected: String, found: String },
    #[error(transparent)]
    Signature(#[from] VerifyError),
    #[error("cannot install database at {path}: {source}")]
    Install {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The header of the database at `path`, after full validation.
pub fn info(path: &Path) -> Result<DbInfo, DbError> {
    Ok(Database::open(path)?.info().clone())
}

/// Checks `candidate` and installs a copy at `target`.
pub fn import(candidate: &Path, target: &Path) -> Result<DbInfo, ManageError> {
    install(Database::open(candidate)?, target)
}

/// Reads a database from `reader` (a file or an HTTP body the caller opened), checks its
/// sha256 against `expected_sha256` (hex), validates and installs it at `target`.
pub fn update_from_reader(
    reader: impl Read,
    what: &str,
    expected_sha256: &str,
    target: &Path,
) -> Result<DbInfo, ManageError> {
    let bytes = read_bounded(reader, what)?;
    let found = hex::encode(Sha256::digest(&bytes));
    let expected = expected_sha256.trim().to_ascii_lowercase();
    if found != expected {
        return Err(ManageError::Checksum { expected, found });
    }
    install(Database::from_bytes(bytes, what)?, target)
}

/// [`update_from_reader`] on a local file.
pub fn update_from_path(
    source: &Path,
    expected_sha256: &str,
    target: &Path,
) -> Result<DbInfo, ManageError> {
    let file = std::fs::File::open(source).map_err(|e| ManageError::Read {
        what: source.display().to_string(),
        source: e,
    })?;
    update_from_reader(file, &source.display().to_string(), expected_sha256, target)
}

/// Checks `candidate` against its detached signature beside it (`<candidate>.sig`) and
/// `key`, then like [`import`]. The bytes verified are the bytes installed.
pub fn import_verified(
    candidate: &Path,
    key: &PublicKey,
    target: &Path,
) -> Result<DbInfo, ManageError> {
    let signature = signature::read_signature(candidate, &signature::signature_path(candidate))?;
    let what = candidate.display().to_string();
    let file = std::fs::File::open(candidate).map_err(|e| ManageError::Read {
        what: what.clone(),
        source: e,
    })?;
    let bytes = read_bounded(file, &what)?;
    signature.verify(candidate, &FileDigest::of_bytes(&bytes), key)?;
    install(Database::from_bytes(bytes, candidate)?, target)
}

/// The whole of `reader`, up to [`MAX_DATABASE_BYTES`].
fn read_bounded(reader: impl Read, what: &str) -> Result<Vec<u8>, ManageError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_DATABASE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ManageError::Read {
            what: what.to_owned(),
            source: e,
        })?;
    if bytes.len() as u64 > MAX_DATABASE_BYTES {
        return Err(ManageError::TooLarge);
    }
    Ok(bytes)
}

/// Decodes every record of `candidate`, then installs it at `target`.
fn install(candidate: Database, target: &Path) -> Result<DbInfo, ManageError> {
    candidate.check_records()?;
    let info = candidate.info().clone();
    let bytes = candidate.into_bytes();
    db::write_atomically(target, &bytes).map_err(|e| ManageError::Install {
        path: target.to_owned(),
        source: e,
    })?;
    Ok(info)
}
