//! The engine: a walk of the target with the selected content scanners, then the same
//! judgement for a fresh scan and for a stored inventory (match, suppress, filter, policies,
//! exit decision).

use std::path::Path;

use kabuto_inventory::{Cancel, FileFinding, FileScanner, Progress, ScanOptions, ScanOutput};
use kabuto_types::{
    Artifact, ArtifactKind, FileEntry, Inventory, MalwareFinding, MisconfigFinding, SecretFinding,
};
use kabuto_vulndb::Database;

use crate::adapters::{self, Malware, Misconfigs, Secrets};
use crate::policy::{self, Judged};
use crate::result::{ExitDecision, ScanResult, ScanWarning};
use crate::target::{Opened, Target};
use crate::{EngineError, Rules, ScanPlan, Scanners, StoredScan};

/// A loaded scan engine: the vulnerability database and the compiled content-scanner rules.
/// Build one per database (and rule set) and run any number of scans on it, from several
/// threads at once if need be; nothing in it changes during a scan.
pub struct Engine {
    db: Option<Database>,
    secrets: Option<Secrets>,
    malware: Option<Malware>,
}

/// What a walk (or a stored report) holds before judgement.
struct Collected {
    inventory: Inventory,
    secrets: Option<Vec<SecretFinding>>,
    misconfigs: Option<Vec<MisconfigFinding>>,
    malware: Option<Vec<MalwareFinding>>,
    special_files: Option<Vec<FileEntry>>,
    warnings: Vec<ScanWarning>,
}

impl Engine {
    /// An engine for plans that use at most `scanners` (see
    /// [`ScanPlan::effective_scanners`]): compiles the secret and malware rules those need.
    /// `db` is required for `vuln`.
    pub fn new(
        db: Option<Database>,
        rules: &Rules,
        scanners: Scanners,
    ) -> Result<Self, EngineError> {
        let secrets = scanners
            .secret
            .then(|| Secrets::load(rules.secret_config.as_deref()))
            .transpose()?;
        let malware = scanners
            .malware
            .then(|| Malware::load(&rules.malware_rules, &rules.malware_hashes))
            .transpose()?;
        Ok(Engine {
            db,
            secrets,
            malware,
        })
    }

    pub fn database(&self) -> Option<&Database> {
        self.db.as_ref()
    }

    /// Scans `target` as `plan` says. `progress` hears about the walk; setting `cancel`
    /// stops the scan between files and layers with [`EngineError::Cancelled`].
    pub fn scan(
        &self,
        target: &Target,
        plan: &ScanPlan,
        progress: &dyn Progress,
        cancel: &Cancel,
    ) -> Result<ScanResult, EngineError> {
        let scanners = plan.effective_scanners();
        self.check_loaded(scanners)?;
        let opened = target.open(&plan.registry)?;
        cancel.check()?;
        let collected = match opened {
            Opened::Image(image) => {
                let mut options = ScanOptions::for_kind(ArtifactKind::ContainerImage);
                options.cancel = cancel.clone();
                let output = kabuto_inventory::scan_image_with(
                    image.as_ref(),
                    &options,
                    &self.file_scanners(scanners),
                    progress,
                )?;
                self.collect(output, scanners)
            }
            Opened::Directory(path, kind) => {
                let mut options = ScanOptions::for_kind(kind);
                options.cancel = cancel.clone();
                let output = kabuto_inventory::scan_directory_with(
                    &path,
                    kind,
                    &options,
                    &self.file_scanners(scanners),
                    progress,
                )?;
                self.collect(output, scanners)
            }
            Opened::ConfigFiles(path) => config_files(&path, progress, cancel)?,
        };
        cancel.check()?;
        Ok(self.judge(collected, plan, scanners))
    }

    /// Judges a stored inventory (a Kabuto JSON report or an SBOM) as [`Engine::scan`]
    /// judges a fresh one, without reading the image: a newer database, other policies or
    /// acknowledgements give new findings and a new verdict. Content findings a Kabuto
    /// report kept are carried over for the scanners the plan asks for; nothing is
    /// rescanned.
    pub fn reevaluate(
        &self,
        stored: StoredScan,
        plan: &ScanPlan,
    ) -> Result<ScanResult, EngineError> {
        let asked = plan.effective_scanners();
        let scanners = Scanners {
            vuln: asked.vuln,
            ..Scanners::default()
        };
        self.check_loaded(scanners)?;
        let collected = Collected {
            inventory: stored.inventory,
            secrets: stored.secrets.filter(|_| asked.secret),
            misconfigs: stored.misconfigs.filter(|_| asked.misconfig),
            malware: stored.malware.filter(|_| asked.malware),
            special_files: None,
            warnings: stored
                .skipped
                .into_iter()
                .map(ScanWarning::Stored)
                .collect(),
        };
        Ok(self.judge(collected, plan, scanners))
    }

    fn check_loaded(&self, scanners: Scanners) -> Result<(), EngineError> {
        if scanners.vuln && self.db.is_none() {
            Err(EngineError::NotLoaded("a vulnerability database"))
        } else if scanners.secret && self.secrets.is_none() {
            Err(EngineError::NotLoaded("secret rules"))
        } else if scanners.malware && self.malware.is_none() {
            Err(EngineError::NotLoaded("malware rules"))
        } else {
            Ok(())
        }
    }

    fn file_scanners(&self, scanners: Scanners) -> Vec<&dyn FileScanner> {
        let mut list: Vec<&dyn FileScanner> = Vec::new();
        if let Some(secrets) = self.secrets.as_ref().filter(|_| scanners.secret) {
            list.push(secrets);
        }
        if scanners.misconfig {
            list.push(&Misconfigs);
        }
        if let Some(malware) = self.malware.as_ref().filter(|_| scanners.malware) {
            list.push(malware);
        }
        list
    }

    /// Sorts the walk's content findings by kind and adds the image config checks.
    fn collect(&self, output: ScanOutput, scanners: Scanners) -> Collected {
        let ScanOutput {
            inventory,
            findings,
            special_files,
        } = output;
        let mut secrets = Vec::new();
        let mut misconfigs = Vec::new();
        let mut malware = Vec::new();
        for finding in findings {
            match finding {
                FileFinding::Secret(s) => secrets.push(s),
                FileFinding::Misconfig(m) => misconfigs.push(m),
                FileFinding::Malware(m) => malware.push(m),
            }
        }
        if let Some(image) = &inventory.image {
            if let Some(scanner) = self.secrets.as_ref().filter(|_| scanners.secret) {
                secrets.extend(scanner.scan_image_config(image));
            }
            if scanners.misconfig {
                misconfigs.extend(adapters::image_config_checks(image, &special_files));
            }
        }
        Collected {
            inventory,
            secrets: scanners.secret.then_some(secrets),
            misconfigs: scanners.misconfig.then_some(misconfigs),
            malware: scanners.malware.then_some(malware),
            special_files: Some(special_files),
            warnings: Vec::new(),
        }
    }

    /// Match, suppress, filter, evaluate policies, decide the exit.
    fn judge(&self, collected: Collected, plan: &ScanPlan, scanners: Scanners) -> ScanResult {
        let Collected {
            inventory,
            mut secrets,
            mut misconfigs,
            mut malware,
            special_files,
            mut warnings,
        } = collected;
        let now = plan.now();
        let mut suppressed = Vec::new();
        let mut vulnerabilities = match self.db.as_ref().filter(|_| scanners.vuln) {
            Some(db) => {
                let outcome = kabuto_match::match_inventory_detailed(db, &inventory);
                warnings.extend(outcome.warnings.into_iter().map(ScanWarning::Match));
                let suppression = kabuto_match::suppress::suppress(
                    outcome.findings,
                    &plan.ignore_files,
                    &plan.vex,
                    now.date(),
                );
                warnings.extend(
                    suppression
                        .expired
                        .into_iter()
                        .map(ScanWarning::ExpiredIgnore),
                );
                suppressed = suppression.suppressed;
                Some(suppression.kept)
            }
            None => None,
        };
        let filters = &plan.filters;
        if let Some(v) = &mut vulnerabilities {
            v.retain(|f| filters.keeps_vulnerability(f.severity, f.status));
        }
        if let Some(s) = &mut secrets {
            s.retain(|f| filters.keeps(f.severity));
        }
        let mut suppressed_misconfigs = Vec::new();
        if let Some(m) = &mut misconfigs {
            let suppression = kabuto_match::suppress::suppress_misconfigs(
                std::mem::take(m),
                &plan.ignore_files,
                now.date(),
            );
            warnings.extend(
                suppression
                    .expired
                    .into_iter()
                    .map(ScanWarning::ExpiredIgnore),
            );
            suppressed_misconfigs = suppression.suppressed;
            *m = suppression.kept;
            m.retain(|f| filters.keeps(f.severity));
        }
        if let Some(m) = &mut malware {
            m.retain(|f| filters.keeps(f.severity));
        }
        let findings = vulnerabilities.as_deref().unwrap_or_default();
        let verdict = plan.policies.as_ref().map(|policies| {
            let judged = Judged {
                inventory: &inventory,
                vulnerabilities: findings,
                secrets: secrets.as_deref(),
                misconfigs: misconfigs.as_deref(),
                malware: malware.as_deref(),
                special_files: special_files.as_deref(),
            };
            policy::evaluate(policies, &plan.acknowledgements, &judged, now)
        });
        let acknowledgements = plan
            .acknowledgements
            .marks(&inventory, findings, now.date());
        let mut result = ScanResult {
            policies: verdict
                .as_ref()
                .map(kabuto_policy::Verdict::summaries)
                .unwrap_or_default(),
            inventory,
            vulnerabilities,
            secrets,
            misconfigs,
            malware,
            special_files: special_files.unwrap_or_default(),
            suppressed,
            suppressed_misconfigs,
            acknowledgements,
            verdict,
            warnings,
            exit: ExitDecision::Success,
        };
        result.exit =
            if !plan.allow_incomplete && result.inventory.incomplete_databases().next().is_some() {
                ExitDecision::IncompleteInventory
            } else {
                ExitDecision::decide(
                    result.verdict.as_ref(),
                    result.finding_count(),
                    plan.findings_exit_code,
                )
            };
        result
    }
}

/// `kabuto config`: a single Dockerfile or manifest, or the ones in a directory; no
/// package analyzers.
fn config_files(
    path: &Path,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<Collected, EngineError> {
    if !path.is_file() {
        let mut options = ScanOptions::for_kind(ArtifactKind::Filesystem);
        options.analyze_packages = false;
        options.cancel = cancel.clone();
        let output = kabuto_inventory::scan_directory_with(
            path,
            ArtifactKind::Filesystem,
            &options,
            &[&Misconfigs],
            progress,
        )?;
        let misconfigs = output
            .findings
            .into_iter()
            .filter_map(|f| match f {
                FileFinding::Misconfig(m) => Some(m),
                _ => None,
            })
            .collect();
        return Ok(only_misconfigs(output.inventory, misconfigs));
    }
    let content = std::fs::read(path).map_err(|source| EngineError::Read {
        path: path.to_owned(),
        source,
    })?;
    let found = kabuto_misconfig::scan_file(path, &content)
        .ok_or_else(|| EngineError::NotAConfigFile(path.to_owned()))??;
    let inventory = Inventory {
        artifact: Artifact {
            name: path.display().to_string(),
            kind: ArtifactKind::Filesystem,
        },
        image: None,
        os: None,
        packages: Vec::new(),
        warnings: Vec::new(),
    };
    Ok(only_misconfigs(inventory, found))
}

fn only_misconfigs(inventory: Inventory, misconfigs: Vec<MisconfigFinding>) -> Collected {
    Collected {
        inventory,
        secrets: None,
        misconfigs: Some(misconfigs),
        malware: None,
        special_files: None,
        warnings: Vec::new(),
    }
}
