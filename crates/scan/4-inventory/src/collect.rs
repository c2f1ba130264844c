//! Handing files to the analyzers that want them, and turning their output into inventory.

use kabuto_catalog::{AnalysisOutput, Analyzer, FileInput, FileMeta, PackageLicenses};
use kabuto_types::{Digest, Ecosystem, OsInfo, Package, Warning, WarningCode};

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

    /// Which of the analyzers `which` read a file of `size` bytes, and how much of it: all
    /// of them the whole file within `limit`; over it, only the package database analyzers,
    /// the first `limit` bytes (so a padded database cannot hide an image's packages).
    pub fn for_size(&self, which: Vec<usize>, size: u64, limit: u64) -> Reading {
        if size <= limit {
            return Reading {
                analyzers: which,
                extent: Extent::Whole,
                skips_some: false,
            };
        }
        let wanted = which.len();
        let databases: Vec<usize> = which
            .into_iter()
            .filter(|&i| self.list[i].is_package_database())
            .collect();
        Reading {
            skips_some: databases.len() < wanted,
            analyzers: databases,
            extent: Extent::Prefix { size, limit },
        }
    }

    /// Runs the analyzers `which` (from [`Analyzers::wanting`]) over one file's content,
    /// all of it or (`extent`) the first bytes of a package database too large to read
    /// whole. `origin` describes the file for warnings (e.g. `layer 2 (sha256:...) `).
    pub fn analyze(
        &self,
        which: &[usize],
        file: FileInput<'_>,
        extent: Extent,
        layer: Option<usize>,
        origin: &str,
    ) -> FileFindings {
        let FileInput { path, content } = file;
        let location = format!("{origin}{path}");
        let mut found = FileFindings {
            path: path.to_owned(),
            layer,
            ..FileFindings::default()
        };
        for &i in which {
            let analyzer = &self.list[i];
            let name = analyzer.name();
            let result = match extent {
                Extent::Whole => analyzer.analyze(file),
                Extent::Prefix { .. } => analyzer.analyze_prefix(file),
            };
            let output = match result {
                Ok(output) => output,
                Err(e) => {
                    found.warnings.push(Warning::new(
                        WarningCode::FileUnparsable,
                        &location,
                        format!("{name}: {e}"),
                    ));
                    AnalysisOutput::default()
                }
            };
            found.os.extend(output.os);
            found.packages.extend(output.packages);
            found.package_licenses.extend(output.package_licenses);
            found
                .warnings
                .extend(output.warnings.into_iter().map(|message| {
                    Warning::new(
                        WarningCode::EntrySkipped,
                        &location,
                        format!("{name}: {message}"),
                    )
                }));
            let cut = match extent {
                Extent::Prefix { size, limit } => Some(format!(
                    "{size} bytes is over the {limit} byte limit per file; only packages in the \
                     first {} bytes were read",
                    content.len()
                )),
                Extent::Whole => None,
            };
            for reason in cut.into_iter().chain(output.incomplete) {
                found.warnings.push(Warning::new(
                    WarningCode::IncompletePackageDatabase,
                    &location,
                    format!("{name}: package database not read whole: {reason}"),
                ));
            }
        }
        found
    }
}

/// The analyzers that read one file, and how much of it (from [`Analyzers::for_size`]).
#[derive(Debug)]
pub(crate) struct Reading {
    pub analyzers: Vec<usize>,
    pub extent: Extent,
    /// Some analyzer wanted the file but does not get it: it is over the limit (warn with
    /// [`too_large`]).
    pub skips_some: bool,
}

/// How much of a file its analyzers get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extent {
    Whole,
    /// The first `limit` bytes of a package database of `size` bytes.
    Prefix {
        size: u64,
        limit: u64,
    },
}

impl Extent {
    /// How many bytes of a file of `size` bytes to read.
    pub fn read_len(self, size: u64) -> u64 {
        match self {
            Extent::Whole => size,
            Extent::Prefix { limit, .. } => limit,
        }
    }
}

/// The warning for a wanted file that is not read (or, for package databases, not read
/// whole) because of its size.
pub(crate) fn too_large(location: String, size: u64, limit: u64) -> Warning {
    Warning::new(
        WarningCode::FileTooLarge,
        location,
        format!("skipped: {size} bytes is over the {limit} byte limit per file"),
    )
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
