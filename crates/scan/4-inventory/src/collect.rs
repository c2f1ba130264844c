//! Handing files to the analyzers that want them, and turning their output into inventory.

use kabuto_catalog::{AnalysisOutput, Analyzer, FileInput, FileMeta, PackageLicenses};
use kabuto_types::{Digest, Ecosystem, OsInfo, Package, Warning};

/// What the analyzers found in one file, tagged with where that file came from.
#[derive(Debug, Default)]
pub(crate) struct FileFindings {
    pub path: String,
    /// Index of the layer (images only) the file was read from.
    pub layer: Option<usize>,
    /// `path` is a name through a symlink in the squashed image, not an entry of `layer`.
    pub via_symlink: bool,
    pub os: Vec<OsInfo>,
    pub packages: Vec<Package>,
    pub warnings: Vec<Warning>,
    pub package_licenses: Vec<PackageLicenses>,
}

/// The analyzers of one scan.
pub(crate) struct Analyzers {
    list: Vec<Box<dyn Analyzer>>,
}

impl Analyzers {
    pub fn new(options: &crate::ScanOptions) -> Self {
        let list = if options.analyze_packages {
            kabuto_catalog::registry::for_scan(options.include_declared)
        } else {
            Vec::new()
        };
        Analyzers { list }
    }

    /// Indexes of the analyzers that want this file; empty for most files.
    pub fn wanting(&self, path: &str, meta: &FileMeta) -> Vec<usize> {
        self.list
            .iter()
            .enumerate()
            .filter(|(_, a)| a.wants(path, meta))
            .map(|(i, _)| i)
            .collect()
    }

    /// Runs the analyzers `which` (from [`Analyzers::wanting`]) over one file's content.
    /// `origin` describes the file for warnings (e.g. `layer 2 (sha256:...)`).
    pub fn analyze(
        &self,
        which: &[usize],
        path: &str,
        content: &[u8],
        layer: Option<usize>,
        origin: &str,
    ) -> FileFindings {
        let mut found = FileFindings {
            path: path.to_owned(),
            layer,
            ..FileFindings::default()
        };
        for &i in which {
            let analyzer = &self.list[i];
            match analyzer.analyze(FileInput { path, content }) {
                Ok(AnalysisOutput {
                    os,
                    packages,
                    warnings,
                    package_licenses,
                }) => {
                    found.os.extend(os);
                    found.packages.extend(packages);
                    found.package_licenses.extend(package_licenses);
                    found
                        .warnings
                        .extend(warnings.into_iter().map(|message| Warning {
                            location: format!("{origin}{path}"),
                            message: format!("{}: {message}", analyzer.name()),
                        }));
                }
                Err(e) => found.warnings.push(Warning {
                    location: format!("{origin}{path}"),
                    message: format!("{}: {e}", analyzer.name()),
                }),
            }
        }
        found
    }
}

/// The assembled result of all surviving file findings.
pub(crate) struct Assembled {
    pub os: Option<OsInfo>,
    pub packages: Vec<Package>,
    pub warnings: Vec<Warning>,
}

/// Merges per-file findings: picks the OS, stamps layers onto package locations, adds
/// licences declared in other files (dpkg copyright files) and qualifies OS package purls
/// with the distribution.
pub(crate) fn assemble(findings: Vec<FileFindings>, layer_ids: &[Digest]) -> Assembled {
    let mut os_candidates = Vec::new();
    let mut packages = Vec::new();
    let mut package_licenses = Vec::new();
    let mut warnings = Vec::new();
    for f in findings {
        let layer = f.layer.and_then(|i| layer_ids.get(i)).cloned();
        os_candidates.extend(f.os.into_iter().map(|os| (f.path.clone(), os)));
        for mut p in f.packages {
            for loc in &mut p.locations {
                if loc.layer.is_none() {
                    loc.layer.clone_from(&layer);
                }
            }
            packages.push(p);
        }
        package_licenses.extend(f.package_licenses);
        warnings.extend(f.warnings);
    }
    add_package_licenses(&mut packages, &package_licenses);
    drop_binaries_owned_by_os_packages(&mut packages);
    let os = kabuto_catalog::os::pick_os(os_candidates);
    if let Some(os) = &os {
        kabuto_catalog::os::qualify_os_packages(os, &mut packages);
    }
    Assembled {
        os,
        packages,
        warnings,
    }
}

/// Adds each file's declared licences to the OS packages of that ecosystem and name,
/// skipping licences a package already has.
fn add_package_licenses(packages: &mut [Package], declared: &[PackageLicenses]) {
    let mut by_package: std::collections::HashMap<(Ecosystem, &str), Vec<&String>> =
        std::collections::HashMap::new();
    for d in declared {
        by_package
            .entry((d.ecosystem, d.package_name.as_str()))
            .or_default()
            .extend(&d.licenses);
    }
    for p in packages.iter_mut().filter(|p| p.ecosystem.is_os()) {
        let Some(licenses) = by_package.get(&(p.ecosystem, p.name.as_str())) else {
            continue;
        };
        for &license in licenses {
            if !p.licenses.contains(license) {
                p.licenses.push(license.clone());
            }
        }
    }
}

/// A program recognised from its bytes is already reported by the OS package that installed
/// it (busybox in an Alpine image belongs to the apk `busybox` package).
fn drop_binaries_owned_by_os_packages(packages: &mut Vec<Package>) {
    let os_names: std::collections::HashSet<String> = packages
        .iter()
        .filter(|p| p.ecosystem.is_os())
        .flat_map(|p| {
            std::iter::once(p.name.clone()).chain(p.source.as_ref().map(|s| s.name.clone()))
        })
        .collect();
    packages.retain(|p| p.ecosystem != Ecosystem::Binary || !os_names.contains(&p.name));
}
