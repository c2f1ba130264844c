//! From the scan flags to what the engine takes: a plan with every user file loaded, and an
//! engine with the database and rules the plan needs.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use kabuto_scan::{Engine, Filters, RegistryAccess, Rules, ScanPlan, Scanners};
use kabuto_source::registry::{Credentials, RegistryOptions};
use kabuto_vulndb::Database;

use super::eprint_safe;
use crate::cli::{RegistryArgs, ScanArgs};
use crate::paths;

/// The plan the flags describe, with every policy, acknowledgement, ignore and VEX file
/// loaded (an invalid one is refused here).
pub fn plan(args: &ScanArgs, quiet: bool) -> Result<ScanPlan> {
    let mut plan = ScanPlan {
        scanners: Scanners::from_names(&args.scanners),
        filters: Filters {
            severities: args.severity.clone(),
            ignore_unfixed: args.ignore_unfixed,
        },
        findings_exit_code: args.exit_code,
        allow_incomplete: args.allow_incomplete,
        ..ScanPlan::default()
    }
    .with_policy_files(&args.policy)?;
    if let Some(path) = &args.acknowledgements {
        plan = plan.with_acknowledgements_file(path)?;
    }
    if let Some(path) = ignore_file(args.ignorefile.as_deref(), quiet) {
        plan = plan.with_ignore_file(&path)?;
    }
    Ok(plan.with_vex_files(&args.vex)?)
}

/// `--ignorefile`, else `.kabutoignore` or `.kabutoignore.yaml` in the current directory.
pub(super) fn ignore_file(explicit: Option<&Path>, quiet: bool) -> Option<PathBuf> {
    explicit.map(Path::to_path_buf).or_else(|| {
        let found = [".kabutoignore", ".kabutoignore.yaml"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())?;
        // A file in the current directory changes the result unasked: say which one.
        if !quiet {
            eprint_safe(
                "note",
                format_args!(
                    "ignoring findings listed in {} (found in the current directory; \
                     --ignorefile picks another)",
                    found.display()
                ),
            );
        }
        Some(found)
    })
}

/// An engine with the database and the rules `scanners` need.
pub fn engine(args: &ScanArgs, scanners: Scanners, quiet: bool) -> Result<Engine> {
    let db = if scanners.vuln {
        Some(open_db(args, quiet)?)
    } else {
        None
    };
    let rules = Rules {
        secret_config: args.secret_config.clone(),
        malware_rules: args.malware_rules.clone(),
        malware_hashes: args.malware_hashes.clone(),
    };
    Ok(Engine::new(db, &rules, scanners)?)
}

fn open_db(args: &ScanArgs, quiet: bool) -> Result<Database> {
    let path = paths::database(&args.db.db)?;
    if !path.exists() {
        // The exact command: the same --db when one was given.
        let db_flag = match &args.db.db {
            Some(explicit) => format!(" --db {}", explicit.display()),
            None => String::new(),
        };
        anyhow::bail!(
            "no vulnerability database at {}: download the advisory feeds and build one with \
             `kabuto db build --fetch{db_flag}`, pull one from a mirror with \
             `kabuto db update --from oci://REGISTRY/REPO:TAG{db_flag}`, build one from local \
             feeds with `kabuto db build --source FEED...{db_flag}`, or scan with `--scanners none`",
            path.display()
        );
    }
    let db = Database::open(&path)
        .with_context(|| format!("vulnerability database {}", path.display()))?;
    let max_age = kabuto_vulndb::age::days(args.db_max_age);
    if !quiet
        && let Some(warning) =
            kabuto_vulndb::age_warning(db.info(), max_age, time::OffsetDateTime::now_utc())
    {
        eprint_safe(
            "warning",
            format_args!(
                "the vulnerability database {} {warning}: \
                 update it with `kabuto db build --fetch` or `kabuto db update --from oci://...`",
                path.display()
            ),
        );
    }
    Ok(db)
}

/// How to reach registries: `--username/--password` (or the environment), else docker's
/// `config.json`; `--platform`, `--insecure`, `--registry-ca`, `--offline`.
pub fn registry_access(args: &RegistryArgs) -> Result<RegistryAccess> {
    let mut options = RegistryOptions::from_env();
    if let (Some(user), Some(password)) = (&args.username, &args.password) {
        options.credentials = Some(Credentials::new(user.clone(), password.clone()));
    }
    options.platform = args
        .platform
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--platform: {e}"))?;
    options.insecure = args.insecure;
    options.ca_file.clone_from(&args.registry_ca);
    Ok(RegistryAccess {
        options,
        offline: args.offline,
    })
}
