//! First-run setup: a server started with no users and no `KABUTO_ADMIN_PASSWORD` writes a
//! random setup code to `<data-dir>/setup-code` (readable by its owner only), and whoever
//! presents it to `POST /api/v1/setup` chooses the administrator's password. Only who can
//! read the server's files can claim the server.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::ServerError;

/// The setup code's file in the data directory.
pub const SETUP_CODE_FILE: &str = "setup-code";

/// The code the server waits for; only its hash is kept in memory.
pub struct SetupCode {
    digest: [u8; 32],
    file: PathBuf,
}

impl SetupCode {
    /// A new random code, written to `data_dir`'s [`SETUP_CODE_FILE`] (replacing one a
    /// previous start left), with one log line that says where it is (never the code).
    pub fn create(data_dir: &Path) -> Result<SetupCode, ServerError> {
        let file = data_dir.join(SETUP_CODE_FILE);
        let code = kabuto_auth::random_secret();
        let io = |source| ServerError::SetupCodeFile {
            path: file.clone(),
            source,
        };
        if let Err(e) = std::fs::remove_file(&file)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            return Err(io(e));
        }
        crate::write_private_file(&file, &format!("{}\n", code.as_str())).map_err(io)?;
        tracing::warn!(
            file = %file.display(),
            "no administrator yet: open the console's /setup page and enter the setup code from this file"
        );
        Ok(SetupCode {
            digest: Sha256::digest(code.as_bytes()).into(),
            file,
        })
    }

    /// Whether `presented` is the code. Hashes are compared, so the comparison's time tells
    /// nothing about the code.
    pub fn matches(&self, presented: &str) -> bool {
        <[u8; 32]>::from(Sha256::digest(presented.trim().as_bytes())) == self.digest
    }

    /// Deletes the file once the code was used.
    pub fn forget(self) {
        if let Err(e) = std::fs::remove_file(&self.file) {
            tracing::warn!(file = %self.file.display(), error = %e, "cannot delete the used setup code");
        }
    }
}
