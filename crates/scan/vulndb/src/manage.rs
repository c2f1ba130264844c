//! Installing a database: import a built file, update from a download with a checksum.
//! Every path validates the new file completely before an atomic rename, so a failed
//! import or update leaves the previous database in place.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::db::{self, Database, DbError, DbInfo};

/// Databases larger than this are refused when read from a stream.
pub const MAX_DATABASE_BYTES: u64 = 2 << 30;

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

/// Validates `candidate` and installs a copy at `target`.
pub fn import(candidate: &Path, target: &Path) -> Result<DbInfo, ManageError> {
    let bytes = std::fs::read(candidate).map_err(|e| ManageError::Read {
        what: candidate.display().to_string(),
        source: e,
    })?;
    install(bytes, target)
}

/// Reads a database from `reader` (a file or an HTTP body the caller opened), checks its
/// sha256 against `expected_sha256` (hex), validates and installs it at `target`.
pub fn update_from_reader(
    reader: impl Read,
    what: &str,
    expected_sha256: &str,
    target: &Path,
) -> Result<DbInfo, ManageError> {
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
    let found = hex::encode(Sha256::digest(&bytes));
    let expected = expected_sha256.trim().to_ascii_lowercase();
    if found != expected {
        return Err(ManageError::Checksum { expected, found });
    }
    install(bytes, target)
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

fn install(bytes: Vec<u8>, target: &Path) -> Result<DbInfo, ManageError> {
    let validated = Database::from_bytes(bytes)?;
    let info = validated.info().clone();
    let bytes = validated.into_bytes();
    db::write_atomically(target, &bytes).map_err(|e| ManageError::Install {
        path: target.to_owned(),
        source: e,
    })?;
    Ok(info)
}
