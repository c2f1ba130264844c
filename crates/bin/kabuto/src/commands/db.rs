//! `kabuto db build|import|update|info`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use kabuto_types::text::terminal_safe;
use kabuto_vulndb::{DbInfo, manage};

use super::eprint_safe;
use crate::cli::DbCommand;
use crate::paths;

pub fn run(command: DbCommand, quiet: bool) -> Result<ExitCode> {
    let stdout = std::io::stdout();
    let out = &mut stdout.lock();
    match command {
        DbCommand::Build { sources, output } => {
            let output = match output {
                Some(path) => path,
                None => paths::default_database()?,
            };
            create_parent(&output)?;
            let report = kabuto_vulndb::build::build(&sources, &output)
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
        }
        DbCommand::Import { file, db } => {
            let target = paths::database(&db.db)?;
            create_parent(&target)?;
            let info = manage::import(&file, &target)
                .with_context(|| format!("cannot import {}", file.display()))?;
            writeln!(out, "imported {} -> {}", file.display(), target.display())?;
            print_info(out, &info, quiet)?;
        }
        DbCommand::Update {
            from,
            sha256,
            offline,
            db,
        } => {
            let target = paths::database(&db.db)?;
            create_parent(&target)?;
            let info = update(&from, sha256.as_deref(), offline, &target)?;
            writeln!(out, "updated {} from {from}", target.display())?;
            print_info(out, &info, quiet)?;
        }
        DbCommand::Info { db, json } => {
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
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn update(from: &str, sha256: Option<&str>, offline: bool, target: &Path) -> Result<DbInfo> {
    let is_url = from.starts_with("http://") || from.starts_with("https://");
    if is_url && offline {
        bail!("--offline: refusing to download {from}; give a local path instead");
    }
    let expected = match sha256 {
        Some(hex) => hex.to_owned(),
        None => {
            let sidecar = format!("{from}.sha256");
            let text = if is_url {
                http_get(&sidecar)?
                    .into_string()
                    .with_context(|| format!("cannot read {sidecar}"))?
            } else {
                std::fs::read_to_string(&sidecar).with_context(|| {
                    format!("cannot read {sidecar} (or give the checksum with --sha256)")
                })?
            };
            text.split_whitespace()
                .next()
                .map(str::to_owned)
                .with_context(|| format!("{sidecar} is empty"))?
        }
    };
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
