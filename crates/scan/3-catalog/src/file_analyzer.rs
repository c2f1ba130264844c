//! Analyzers described by data, as Syft's generic cataloger describes its catalogers: a
//! name, a version, the evidence its files give, the files it wants, and a parse function.
//! Every analyzer is one of these; [`Analyzer`] is the interface the pipeline runs them by.

use crate::{AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput, FileMeta};

/// Which files an analyzer wants. No globs: this runs for every file of every layer, so each
/// kind is a few comparisons on the path.
#[derive(Clone, Copy)]
pub enum Wants {
    /// Files with one of these names in any directory. A name may start with directories
    /// (`composer/installed.json`); it matches whole path components.
    Named(&'static [&'static str]),
    /// Files whose name ends with this (`.deps.json`).
    NameEndsWith(&'static str),
    /// Exactly these paths from the root (`lib/apk/db/installed`).
    Paths(&'static [&'static str]),
    /// Executable files, whatever their name (binaries with embedded build information).
    Executable,
    /// Any other rule on the path and metadata; it must stay as cheap as the kinds above.
    Matching(fn(&str, &FileMeta) -> bool),
}

impl Wants {
    pub fn matches(self, path: &str, meta: &FileMeta) -> bool {
        match self {
            Wants::Named(names) => names.iter().any(|name| {
                path.strip_suffix(name)
                    .is_some_and(|dir| dir.is_empty() || dir.ends_with('/'))
            }),
            Wants::NameEndsWith(suffix) => crate::lang::file_name(path).ends_with(suffix),
            Wants::Paths(paths) => paths.contains(&path),
            Wants::Executable => meta.is_executable(),
            Wants::Matching(rule) => rule(path, meta),
        }
    }
}

/// What an analyzer is, apart from how it parses.
pub struct Spec {
    /// Stable kebab-case name, shown as `found_by` on every package it reports.
    pub name: &'static str,
    /// Bumped whenever the output for the same input may change.
    pub version: u32,
    pub evidence: Evidence,
    pub wants: Wants,
}

/// How a package database reads the first bytes of a file too large to read whole
/// (see [`Analyzer::is_package_database`]).
#[derive(Clone, Copy)]
pub enum Prefix {
    /// A text database: only the complete lines, since the line the cut went through could
    /// end in a shortened version.
    WholeLines,
    /// A binary database: the bytes as they are, read as far as its format allows.
    AsIs,
}

/// An analyzer given by its [`Spec`] and [`FileAnalyzer::parse`]; the impl below makes it an
/// [`Analyzer`], listed in the registry like any other.
pub trait FileAnalyzer: Send + Sync {
    const SPEC: Spec;
    /// `Some` for a package database: a file too large to read whole is never skipped but
    /// read this way up to the pipeline's limit.
    const PACKAGE_DATABASE: Option<Prefix> = None;
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError>;
}

impl<T: FileAnalyzer> Analyzer for T {
    fn name(&self) -> &'static str {
        T::SPEC.name
    }
    fn version(&self) -> u32 {
        T::SPEC.version
    }
    fn evidence(&self) -> Evidence {
        T::SPEC.evidence
    }
    fn wants(&self, path: &str, meta: &FileMeta) -> bool {
        T::SPEC.wants.matches(path, meta)
    }
    fn analyze(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        self.parse(file)
    }
    fn is_package_database(&self) -> bool {
        T::PACKAGE_DATABASE.is_some()
    }
    fn analyze_prefix(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        match T::PACKAGE_DATABASE {
            Some(Prefix::WholeLines) => self.parse(FileInput {
                content: whole_lines(file.content),
                ..file
            }),
            Some(Prefix::AsIs) | None => self.parse(file),
        }
    }
}

/// The complete lines of the first bytes of a text file: everything up to the last newline.
fn whole_lines(prefix: &[u8]) -> &[u8] {
    prefix
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(&[], |end| &prefix[..=end])
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: FileMeta = FileMeta {
        size: 10,
        mode: 0o644,
    };

    #[test]
    fn names_match_whole_components() {
        let wants = Wants::Named(&["Cargo.lock", "composer/installed.json"]);
        for path in [
            "Cargo.lock",
            "src/app/Cargo.lock",
            "composer/installed.json",
            "vendor/composer/installed.json",
        ] {
            assert!(wants.matches(path, &FILE), "{path}");
        }
        for path in [
            "MyCargo.lock",
            "Cargo.lock.bak",
            "mycomposer/installed.json",
            "composer/installed.json/x",
        ] {
            assert!(!wants.matches(path, &FILE), "{path}");
        }
    }

    #[test]
    fn package_databases_read_a_cut_file_as_their_format_allows() {
        let databases: Vec<&str> = crate::registry::all()
            .iter()
            .filter(|a| a.is_package_database())
            .map(|a| a.name())
            .collect();
        assert_eq!(databases, ["dpkg", "apk", "rpm"]);
        assert_eq!(whole_lines(b"a\nb\nc"), b"a\nb\n");
        assert_eq!(whole_lines(b"no newline"), b"");
    }

    #[test]
    fn other_kinds() {
        assert!(Wants::NameEndsWith(".deps.json").matches("app/a.deps.json", &FILE));
        assert!(!Wants::NameEndsWith(".deps.json").matches("a.deps.json/x", &FILE));
        assert!(Wants::Paths(&["etc/x"]).matches("etc/x", &FILE));
        assert!(!Wants::Paths(&["etc/x"]).matches("a/etc/x", &FILE));
        let executable = FileMeta {
            size: 10,
            mode: 0o755,
        };
        assert!(Wants::Executable.matches("any", &executable));
        assert!(!Wants::Executable.matches("any", &FILE));
        let small = Wants::Matching(|_, meta| meta.size < 5);
        assert!(!small.matches("any", &FILE));
    }
}
