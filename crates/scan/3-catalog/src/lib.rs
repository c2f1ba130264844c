//! Analyzers: small, named, versioned units that read one file each and report what it says
//! about the operating system and the packages installed or declared.
//!
//! The scan pipeline (`kabuto-inventory`) streams every file of every layer past the
//! [`registry::all`] list, hands each analyzer the files it [`Analyzer::wants`], and later keeps
//! only results from files that survive in the final (squashed) filesystem.

pub mod binary;
pub mod file_analyzer;
pub mod lang;
pub mod license;
pub mod os;
pub mod registry;

use kabuto_types::{Ecosystem, OsInfo, Package};

/// What a file an analyzer reads says about packages, which decides the scans it runs in
/// (the per-ecosystem table, with Trivy's choice beside ours, is `docs/evidence.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// Installed on the system: a package database, a `dist-info` directory,
    /// `node_modules/*/package.json`, a binary, a jar.
    Installed,
    /// A lockfile that is the only record of what a build shipped, for ecosystems whose
    /// builds leave no per-package metadata behind (`Cargo.lock`, NuGet's
    /// `packages.lock.json` and `packages.config`): read in images and root filesystems
    /// too, as Trivy reads them.
    BuildRecord,
    /// Declared by a project (a lockfile or manifest): read in project (`fs`) scans only.
    Declared,
}

impl Evidence {
    /// Whether image and root filesystem scans run analyzers of this evidence; project
    /// scans run them all.
    pub fn counts_in_images(self) -> bool {
        self != Evidence::Declared
    }
}

/// File metadata available before the content is read, so analyzers can decline cheaply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileMeta {
    pub size: u64,
    /// Unix permission bits (`0o755`...).
    pub mode: u32,
}

impl FileMeta {
    pub fn is_executable(&self) -> bool {
        self.mode & 0o111 != 0
    }
}

/// One file handed to an analyzer.
#[derive(Debug, Clone, Copy)]
pub struct FileInput<'a> {
    /// Path relative to the artifact root, `/`-separated, no leading `/`
    /// (e.g. `var/lib/dpkg/status`).
    pub path: &'a str,
    pub content: &'a [u8],
}

/// What an analyzer found in one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnalysisOutput {
    pub os: Option<OsInfo>,
    /// Packages, each with `locations[0].path` set to the file (or the archive member, as
    /// `outer.jar!/inner.jar`) it was read from. Layers are filled in by the pipeline.
    pub packages: Vec<Package>,
    /// Problems inside the file that did not stop it from being read (one bad entry among
    /// many), each naming the line or entry.
    pub warnings: Vec<String>,
    /// Licences declared for packages that another analyzer reports (a Debian package's
    /// `usr/share/doc/<name>/copyright` speaks for the dpkg package `<name>`). The
    /// pipeline adds them to the matching packages if the file survives in the final
    /// filesystem.
    pub package_licenses: Vec<PackageLicenses>,
    /// Why this package database's packages are not all here (more than
    /// [`MAX_PACKAGES_PER_DATABASE`]); `None` when the file was read whole. The pipeline
    /// turns it into an incomplete-package-database warning.
    pub incomplete: Option<String>,
}

/// Most packages read from one package database. Real databases list a few hundred
/// (distroless, Alpine) to a few thousand (a full Debian or Fedora system; Debian's whole
/// archive has about 65,000 binary packages per architecture), so only a made-up file hits
/// this; it bounds the memory and report size such a file can cost.
pub const MAX_PACKAGES_PER_DATABASE: usize = 100_000;

/// Licences one file declares for the packages of `ecosystem` named `package_name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageLicenses {
    pub ecosystem: Ecosystem,
    pub package_name: String,
    /// SPDX ids where recognised, the declared text otherwise; no repeats.
    pub licenses: Vec<String>,
}

/// Why a file could not be analyzed at all. The pipeline turns this into a warning naming
/// the layer and file and carries on with the other files.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum AnalyzeError {
    /// The file is not what its name promises (bad syntax, wrong magic number, ...).
    #[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
    Malformed {
        line: Option<usize>,
        message: String,
    },
    /// The file is valid but uses a format version or feature we do not read.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

impl AnalyzeError {
    pub fn malformed(message: impl Into<String>) -> Self {
        AnalyzeError::Malformed {
            line: None,
            message: message.into(),
        }
    }

    pub fn at_line(line: usize, message: impl Into<String>) -> Self {
        AnalyzeError::Malformed {
            line: Some(line),
            message: message.into(),
        }
    }
}

/// `content` without one leading UTF-8 byte order mark, which Windows editors and .NET
/// tools write at the start of JSON, XML and text manifests.
pub(crate) fn strip_bom(content: &[u8]) -> &[u8] {
    content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content)
}

/// One analyzer. Implementations are small structs that describe themselves as a
/// [`file_analyzer::FileAnalyzer`] (name, version, evidence, wanted files, parse function)
/// and are listed explicitly in [`registry::all`]; nothing registers itself.
pub trait Analyzer: Send + Sync {
    /// Stable kebab-case name, shown as `found_by` on every package it reports.
    fn name(&self) -> &'static str;
    /// Bumped whenever the output for the same input may change; part of any cache key.
    fn version(&self) -> u32;
    fn evidence(&self) -> Evidence;
    /// Whether this analyzer wants the regular file at `path` (relative, no leading `/`).
    /// Called for every file of every layer: keep it cheap (suffix and component checks).
    fn wants(&self, path: &str, meta: &FileMeta) -> bool;
    fn analyze(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError>;
    /// Whether this analyzer reads a package database (dpkg status, apk installed, an rpm
    /// database). Such a file is never skipped for its size: the pipeline reads it up to the
    /// per-file limit, hands that to [`Analyzer::analyze_prefix`] and records the database
    /// as incomplete, so a scan cannot silently report an image as empty.
    fn is_package_database(&self) -> bool {
        false
    }
    /// What the first bytes of a package database too large to read whole say: the
    /// packages that were read completely. The default analyzes them as a whole file; text
    /// formats drop the line the cut went through.
    fn analyze_prefix(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        self.analyze(file)
    }
}
