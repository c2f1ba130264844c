//! Where Kabuto keeps its files by default.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// `$XDG_CACHE_HOME/kabuto/db/kabuto.db`, or `~/.cache/kabuto/db/kabuto.db`.
pub fn default_database() -> Result<PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .context("neither XDG_CACHE_HOME nor HOME is set: give the database with --db")?;
    Ok(cache.join("kabuto").join("db").join("kabuto.db"))
}

/// Where `db build --fetch` keeps the downloaded feeds between runs.
pub fn feed_cache() -> Result<PathBuf> {
    let database = default_database()?;
    let kabuto = database
        .parent()
        .and_then(Path::parent)
        .context("the default database has no parent directory")?;
    Ok(kabuto.join("feeds"))
}

/// `--db` (or `KABUTO_DB`) when given, the default otherwise.
pub fn database(explicit: &Option<PathBuf>) -> Result<PathBuf> {
    match explicit {
        Some(path) => Ok(path.clone()),
        None => default_database(),
    }
}

/// `$XDG_DATA_HOME/kabuto`, or `~/.local/share/kabuto`: the server's files.
pub fn default_data_dir() -> Result<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .context("neither XDG_DATA_HOME nor HOME is set: give --data-dir")?;
    Ok(data.join("kabuto"))
}
