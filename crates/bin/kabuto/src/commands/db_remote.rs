//! The network side of `kabuto db`: fetching the feeds, publishing and pulling the database
//! as a signed OCI artifact, and the keys that sign it.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use kabuto_fetch::{FeedCache, FeedStatus, FetchOptions, Sources};
use kabuto_vulndb::DbInfo;
use kabuto_vulndb::distribute::{self, DbReference, Verification};
use kabuto_vulndb::signature::{self, PublicKey, SigningKey};

use super::eprint_safe;
use super::plan::registry_access;
use crate::cli::{FetchArgs, RegistryArgs, VerifyArgs};
use crate::progress::FeedBars;

/// Downloads the feeds into the feed cache and returns the files to build from. A feed that
/// failed is reported; its cached copy from an earlier run (if any) is built from, unless
/// `--strict`, which stops before the database is touched.
pub fn fetch_feeds(args: &FetchArgs, quiet: bool) -> Result<Vec<PathBuf>> {
    let sources = match &args.sources_file {
        Some(path) => Sources::from_file(path)?,
        None => Sources::defaults(),
    };
    let cache_dir = match &args.feed_cache {
        Some(dir) => dir.clone(),
        None => crate::paths::feed_cache()?,
    };
    let cache = FeedCache::new(&cache_dir);
    if args.offline {
        eprint_safe(
            "note",
            format_args!(
                "--offline: building from the feed cache {} as it is",
                cache_dir.display()
            ),
        );
        return Ok(cache.build_inputs(&sources));
    }
    let bars = FeedBars::new(quiet);
    let report = kabuto_fetch::fetch(&sources, &cache, &FetchOptions::default(), &bars)
        .with_context(|| format!("cannot fetch into {}", cache_dir.display()))?;
    drop(bars);
    for failure in report.failures() {
        eprint_safe(
            "error",
            // Each error names the URL it failed on.
            format_args!("feed {}: {}", failure.name, status_text(&failure.status)),
        );
    }
    if !quiet {
        let not_modified = report
            .feeds
            .iter()
            .filter(|f| matches!(f.status, FeedStatus::NotModified))
            .count();
        eprintln!(
            "fetched {} feed files ({:.1} MiB), {not_modified} not modified, {} failed",
            report.feeds.len() - not_modified - report.failures().count(),
            report.bytes() as f64 / (1024.0 * 1024.0),
            report.failures().count()
        );
    }
    if args.strict && report.has_failures() {
        bail!(
            "--strict: {} feeds failed; the database was not rebuilt",
            report.failures().count()
        );
    }
    Ok(cache.build_inputs(&sources))
}

fn status_text(status: &FeedStatus) -> String {
    match status {
        FeedStatus::Fetched { bytes } => format!("fetched {bytes} bytes"),
        FeedStatus::NotModified => "not modified".to_owned(),
        FeedStatus::Failed(error) => error.to_string(),
    }
}

/// The key a signature must verify with; `None` with `--insecure-skip-verify`.
pub fn public_key(args: &VerifyArgs) -> Result<Option<PublicKey>> {
    if args.insecure_skip_verify {
        return Ok(None);
    }
    match &args.public_key {
        Some(path) => Ok(Some(PublicKey::read(path)?)),
        None => Ok(Some(PublicKey::release())),
    }
}

/// Signs `db` with the key in `key_file`; returns where the signature was written.
pub fn sign(db: &Path, key_file: &Path) -> Result<PathBuf> {
    let key = SigningKey::read(key_file)?;
    let signature = signature::sign_file(db, &key)?;
    let path = signature::signature_path(db);
    std::fs::write(&path, signature.to_json())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// Writes a new key pair: `file` (private, readable by the owner only) and `file.pub`.
pub fn keygen(file: &Path) -> Result<PathBuf> {
    use std::os::unix::fs::OpenOptionsExt;
    let key = SigningKey::generate()?;
    let public = PathBuf::from(format!("{}.pub", file.display()));
    let mut private = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(file)
        .with_context(|| {
            format!(
                "cannot create {} (an existing key is never overwritten)",
                file.display()
            )
        })?;
    private
        .write_all(key.to_pem().as_bytes())
        .with_context(|| format!("cannot write {}", file.display()))?;
    std::fs::write(&public, key.public_key().to_pem())
        .with_context(|| format!("cannot write {}", public.display()))?;
    Ok(public)
}

pub fn publish(
    out: &mut dyn Write,
    db: &Path,
    to: &str,
    key_file: Option<&Path>,
    registry: &RegistryArgs,
) -> Result<()> {
    let access = registry_access(registry)?;
    if access.offline {
        bail!("--offline: refusing to push to {to}");
    }
    let to = DbReference::parse(to)?;
    let key = key_file.map(SigningKey::read).transpose()?;
    let published = distribute::publish(db, key.as_ref(), &to, &access.options)
        .with_context(|| format!("cannot publish {} to {to}", db.display()))?;
    writeln!(
        out,
        "published {} to {to}@{}\ndatabase {} built at {}, {}",
        db.display(),
        published.manifest_digest,
        published.db_digest,
        published.info.built_at.as_str(),
        match &published.key_id {
            Some(id) => format!("signed by key {id}"),
            None =>
                "unsigned (`db update` will refuse it without --insecure-skip-verify)".to_owned(),
        }
    )?;
    Ok(())
}

pub fn pull(
    from: &str,
    verify: &VerifyArgs,
    registry: &RegistryArgs,
    target: &Path,
) -> Result<DbInfo> {
    let access = registry_access(registry)?;
    if access.offline {
        bail!("--offline: refusing to download {from}; give a local path instead");
    }
    let reference = DbReference::parse(from)?;
    let key = public_key(verify)?;
    let verification = match &key {
        Some(key) => Verification::Key(key),
        None => Verification::SkipSignature,
    };
    let pulled =
        distribute::pull(&reference, &access.options, verification, target).with_context(|| {
            format!("cannot update from {from} (the previous database is unchanged)")
        })?;
    if let Some(id) = &pulled.verified_key_id {
        eprint_safe("note", format_args!("signature verified (key {id})"));
    }
    Ok(pulled.info)
}
