//! Where the store lives: `sqlite:PATH` (or `sqlite://PATH`) or `postgres://...`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A checked store location.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreUrl {
    Sqlite(PathBuf),
    /// The URL as given (it may hold a password: print [`StoreUrl::redacted`]).
    Postgres(String),
}

#[derive(Debug, thiserror::Error)]
#[error(
    "--store {given:?}: {reason}; give `sqlite:PATH` or `postgres://USER@HOST[:PORT]/DATABASE`"
)]
pub struct StoreUrlError {
    given: String,
    reason: &'static str,
}

impl StoreUrl {
    /// The default store: `kabuto.sqlite` in the server's data directory.
    pub fn in_data_dir(data_dir: &Path) -> StoreUrl {
        StoreUrl::Sqlite(data_dir.join("kabuto.sqlite"))
    }

    pub fn backend(&self) -> Backend {
        match self {
            StoreUrl::Sqlite(_) => Backend::Sqlite,
            StoreUrl::Postgres(_) => Backend::Postgres,
        }
    }

    /// The URL for logs and errors: a PostgreSQL password replaced by `***`.
    pub fn redacted(&self) -> String {
        match self {
            StoreUrl::Sqlite(path) => format!("sqlite:{}", path.display()),
            StoreUrl::Postgres(url) => redact_password(url),
        }
    }

    pub(crate) fn connect_string(&self) -> String {
        match self {
            // `mode=rwc` creates the file on first start.
            StoreUrl::Sqlite(path) => format!("sqlite://{}?mode=rwc", path.display()),
            StoreUrl::Postgres(url) => url.clone(),
        }
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl FromStr for StoreUrl {
    type Err = StoreUrlError;

    fn from_str(given: &str) -> Result<StoreUrl, StoreUrlError> {
        let error = |reason| StoreUrlError {
            given: redact_password(given),
            reason,
        };
        if let Some(path) = given
            .strip_prefix("sqlite://")
            .or_else(|| given.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(error("no file path after `sqlite:`"));
            }
            return Ok(StoreUrl::Sqlite(PathBuf::from(path)));
        }
        if given.starts_with("postgres://") || given.starts_with("postgresql://") {
            return Ok(StoreUrl::Postgres(given.to_owned()));
        }
        Err(error("unknown scheme"))
    }
}

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_backends_and_refuses_others() {
        assert_eq!(
            "sqlite:/var/lib/kabuto/s.db".parse::<StoreUrl>().ok(),
            Some(StoreUrl::Sqlite("/var/lib/kabuto/s.db".into()))
        );
        assert_eq!(
            "sqlite:///tmp/x.sqlite?mode=rwc".parse::<StoreUrl>().ok(),
            Some(StoreUrl::Sqlite("/tmp/x.sqlite".into()))
        );
        let pg: StoreUrl = "postgresql://k:pw@127.0.0.1:5432/kabuto".parse().unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
        let err = "mysql://root:hunter2@h/db".parse::<StoreUrl>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "--store \"mysql://root:***@h/db\": unknown scheme; give `sqlite:PATH` or \
             `postgres://USER@HOST[:PORT]/DATABASE`"
        );
        assert!("sqlite:".parse::<StoreUrl>().is_err());
    }

    #[test]
    fn passwords_never_print() {
        let pg: StoreUrl = "postgres://kabuto:s3cr3t@db:5432/k".parse().unwrap();
        assert_eq!(pg.to_string(), "postgres://kabuto:***@db:5432/k");
        assert_eq!(format!("{pg:?}"), "postgres://kabuto:***@db:5432/k");
        let no_password: StoreUrl = "postgres://kabuto@db/k".parse().unwrap();
        assert_eq!(no_password.to_string(), "postgres://kabuto@db/k");
    }
}
