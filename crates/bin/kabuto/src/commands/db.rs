//! `kabuto db build|import|update|info`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use kabuto_types::text::terminal_safe;
use kabuto_vulndb::distribute::DEFAULT_DB_REFERENCE;
use kabuto_vulndb::signature::{DbSignature, FileDigest, PublicKey};
use kabuto_vulndb::{DbInfo, manage};

use super::{db_remote, eprint_safe};
use crate::cli::{DbArgs, DbCommand};
use crate::paths;

pub fn run(command: DbCommand, quiet: bool) -> Result<ExitCode> {
    let stdout = std::io::stdout();
    let out = &mut stdout.lock();
    match command {
        DbCommand::Build {
            sources,
            output,
            fetch,
            signing_key,
        } => {
            let output = match output {
                Some(path) => path,
                None => paths::default_database()?,
            };
            create_parent(&output)?;
            let mut inputs = Vec::new();
            if fetch.fetch {
                inputs = db_remote::fetch_feeds(&fetch, quiet)?;
            }
            inputs.extend(sources);
            if inputs.is_empty() {
                bail!(
                    "no feed could be fetched and the feed cache holds none: {} was not rebuilt",
                    output.display()
                );
            }
            build(out, &inputs, &output, quiet)?;
            if let Some(key) = signing_key {
                let signature = db_remote::sign(&output, &key)?;
                writeln!(out, "signed: {}", signature.display())?;
            }
        }
        DbCommand::Sources { file } => {
            let sources = match file {
                Some(path) => kabuto_fetch::Sources::from_file(&path)?,
                None => kabuto_fetch::Sources::defaults(),
            };
            write!(out, "{}", sources.to_yaml())?;
        }
        DbCommand::Import { file, verify, db } => {
            let target = paths::database(&db.db)?;
            create_parent(&target)?;
            let info = match db_remote::public_key(&verify)? {
                Some(key) => manage::import_verified(&file, &key, &target),
                None => manage::import(&file, &target),
            }
            .with_context(|| format!("cannot import {}", file.display()))?;
            writeln!(out, "imported {} -> {}", file.display(), target.display())?;
            print_info(out, &info, quiet)?;
        }
        DbCommand::Update {
            from,
            sha256,
            verify,
            registry,
            db,
        } => {
            let target = paths::database(&db.db)?;
            create_parent(&target)?;
            let from = from.unwrap_or_else(|| DEFAULT_DB_REFERENCE.to_owned());
            let info = if from.starts_with("oci://") {
                db_remote::pull(&from, &verify, &registry, &target)?
            } else {
                let key = db_remote::public_key(&verify)?;
                update(
                    &from,
                    sha256.as_deref(),
                    key.as_ref(),
                    registry.offline,
                    &target,
                )?
            };
            writeln!(out, "updated {} from {from}", target.display())?;
            print_info(out, &info, quiet)?;
        }
        DbCommand::Publish {
            to,
            signing_key,
            registry,
            db,
        } => {
            let path = paths::database(&db.db)?;
            db_remote::publish(out, &path, &to, signing_key.as_deref(), &registry)?;
        }
        DbCommand::Keygen { out: file } => {
            let public = db_remote::keygen(&file)?;
            writeln!(
                out,
                "private key: {} (keep it secret)\npublic key: {}",
                file.display(),
                public.display()
            )?;
        }
        DbCommand::Info { db, json } => info(out, &db, json, quiet)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn build(out: &mut dyn Write, inputs: &[PathBuf], output: &Path, quiet: bool) -> Result<()> {
    let report = kabuto_vulndb::build::build(inputs, output)
        .with_context(|| format!("cannot build {}", output.display()))?;
    if !quiet {
        for w in &report.warnings {
            eprint_safe("warning", format_args!("{}: {}", w.file, w.message));
        }
    }
    writeln!(
        out,
        "built {}: {} advisories ({} records from {} files, {:.1} MiB of feeds) -> {:.1} MiB in {:.1} s; \
         skipped {} withdrawn, {} GIT ranges, {} not applicable; {} warnings",
        output.display(),
        report.advisories,
        report.records,
        report.files_read,
        mib(report.input_bytes),
        mib(report.output_bytes),
        report.elapsed_ms as f64 / 1000.0,
        report.withdrawn,
        report.git_ranges_skipped,
        report.not_applicable,
        report.warnings.len()
    )?;
    if report.nvd_records + report.epss_scores + report.kev_entries > 0 {
        writeln!(
            out,
            "enriched {} advisories: NVD CVSS for {} CVEs, EPSS {}, KEV {}",
            report.enriched, report.nvd_records, report.epss_scores, report.kev_entries
        )?;
    }
    Ok(())
}

fn info(out: &mut dyn Write, db: &DbArgs, json: bool, quiet: bool) -> Result<()> {
    let path = paths::database(&db.db)?;
    let info = manage::info(&path)
        .with_context(|| format!("vulnerability database {}", path.display()))?;
    if json {
        let value = serde_json::json!({
            "path": path,
            "format_version": info.format_version,
            "built_at": info.built_at,
            "age_days": info.age(time::OffsetDateTime::now_utc()).ok().map(|age| age.whole_days()),
            "sources": info.sources,
            "advisories": info.advisories,
            "packages": info.packages,
            "ecosystems": info.ecosystems,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
    } else {
        writeln!(
            out,
            "database: {}",
            terminal_safe(&path.display().to_string())
        )?;
        print_info(out, &info, quiet)?;
    }
    Ok(())
}

/// A database file from a URL or path: its SHA-256 from `sha256` or the `.sha256` beside it,
/// and, unless told to skip, its signature from the `.sig` beside it.
fn update(
    from: &str,
    sha256: Option<&str>,
    key: Option<&PublicKey>,
    offline: bool,
    target: &Path,
) -> Result<DbInfo> {
    let is_url = from.starts_with("http://") || from.starts_with("https://");
    if is_url && offline {
        bail!("--offline: refusing to download {from}; give a local path instead");
    }
    let sidecar = |extension: &str, hint: &str| -> Result<String> {
        let sidecar = format!("{from}.{extension}");
        if is_url {
            http_get(&sidecar)?
                .into_string()
                .with_context(|| format!("cannot read {sidecar}"))
        } else {
            std::fs::read_to_string(&sidecar)
                .with_context(|| format!("cannot read {sidecar} ({hint})"))
        }
    };
    let expected = match sha256 {
        Some(hex) => hex.to_owned(),
        None => sidecar("sha256", "or give the checksum with --sha256")?
            .split_whitespace()
            .next()
            .map(str::to_owned)
            .with_context(|| format!("{from}.sha256 is empty"))?,
    };
    // The signature covers the digest; the update then installs only bytes of that digest.
    if let Some(key) = key {
        let signature = sidecar("sig", "the signature is needed, or --insecure-skip-verify")?;
        let signature = DbSignature::parse(signature.as_bytes())
            .map_err(|e| anyhow::anyhow!("{from}.sig: {e}"))?;
        let digest = FileDigest::parse(&format!(
            "sha256:{}",
            expected.trim_start_matches("sha256:")
        ))
        .map_err(|e| anyhow::anyhow!("checksum of {from}: {e}"))?;
        signature
            .verify(Path::new(from), &digest, key)
            .with_context(|| {
                format!("cannot update from {from} (the previous database is unchanged)")
            })?;
    }
    let info = if is_url {
        let response = http_get(from)?;
        manage::update_from_reader(response.into_reader(), from, &expected, target)
    } else {
        manage::update_from_path(Path::new(from), &expected, target)
    }
    .with_context(|| format!("cannot update from {from} (the previous database is unchanged)"))?;
    Ok(info)
}

fn http_get(url: &str) -> Result<ureq::Response> {
    ureq::get(url)
        .timeout(Duration::from_secs(300))
        .call()
        .with_context(|| format!("cannot download {url}"))
}

/// The header's contents on `out` (its text fields come from the file, so they are escaped);
/// the age warning a scan would give on stderr.
fn print_info(out: &mut dyn Write, info: &DbInfo, quiet: bool) -> std::io::Result<()> {
    writeln!(out, "format version: {}", info.format_version)?;
    let built_at = terminal_safe(info.built_at.as_str());
    match info.age(time::OffsetDateTime::now_utc()) {
        Ok(age) => writeln!(out, "built at: {built_at} ({} days ago)", age.whole_days()),
        Err(unreadable) => writeln!(
            out,
            "built at: {built_at} (age unknown: {})",
            terminal_safe(&unreadable.reason)
        ),
    }?;
    let max_age = kabuto_vulndb::age::days(kabuto_vulndb::age::DEFAULT_MAX_AGE_DAYS);
    if !quiet
        && let Some(warning) =
            kabuto_vulndb::age_warning(info, max_age, time::OffsetDateTime::now_utc())
    {
        eprint_safe(
            "warning",
            format_args!("the vulnerability database {warning}"),
        );
    }
    writeln!(
        out,
        "advisories: {}  packages: {}",
        info.advisories, info.packages
    )?;
    writeln!(out, "sources:")?;
    for s in &info.sources {
        writeln!(out, "  {}", terminal_safe(s))?;
    }
    writeln!(out, "entries per ecosystem:")?;
    for (ecosystem, count) in &info.ecosystems {
        writeln!(out, "  {:<24} {count}", terminal_safe(ecosystem))?;
    }
    Ok(())
}

fn create_parent(path: &Path) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    Ok(())
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
