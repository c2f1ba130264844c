//! What the package database parsers (dpkg, apk, rpm) share: each package is listed once,
//! and no more than a cap of them are kept, so a made-up database of repeated or countless
//! entries costs memory and report space in proportion to the real packages it names.

use std::collections::HashSet;
use std::ops::ControlFlow;

use kabuto_types::Package;

use crate::AnalysisOutput;

/// The packages of one database, collected as the parser reads them.
pub(crate) struct DatabasePackages {
    out: AnalysisOutput,
    max: usize,
    /// (name, version, architecture) of every package kept.
    seen: HashSet<(String, String, Option<String>)>,
    /// Entries that named a package already kept.
    repeats: usize,
}

impl DatabasePackages {
    /// Keeps at most `max` packages.
    pub fn new(max: usize) -> Self {
        DatabasePackages {
            out: AnalysisOutput::default(),
            max,
            seen: HashSet::new(),
            repeats: 0,
        }
    }

    /// A problem with one entry (it names the file and line).
    pub fn warn(&mut self, message: String) {
        self.out.warnings.push(message);
    }

    /// Adds a package unless it repeats one already kept (a package manager keeps one
    /// record per package, so a repeat adds nothing); breaks, marking the output
    /// incomplete, when a package beyond the cap arrives.
    pub fn push(&mut self, package: Package) -> ControlFlow<()> {
        let key = (
            package.name.clone(),
            package.version.clone(),
            package.arch.clone(),
        );
        if self.seen.contains(&key) {
            self.repeats += 1;
            return ControlFlow::Continue(());
        }
        if self.out.packages.len() == self.max {
            self.out.incomplete = Some(format!(
                "more than {max} packages; only the first {max} were read (the cap per package \
                 database)",
                max = self.max
            ));
            return ControlFlow::Break(());
        }
        self.seen.insert(key);
        self.out.packages.push(package);
        ControlFlow::Continue(())
    }

    /// The packages and warnings, with one warning for all the repeats of `path`.
    pub fn finish(mut self, path: &str) -> AnalysisOutput {
        if self.repeats > 0 {
            self.out.warnings.push(format!(
                "{path}: {} entries repeat a package, version and architecture listed before; \
                 each package is reported once",
                self.repeats
            ));
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use kabuto_types::Ecosystem;

    use super::*;

    fn package(name: &str, version: &str) -> Package {
        Package::new(Ecosystem::Deb, name, version, "var/lib/dpkg/status", "dpkg")
    }

    #[test]
    fn repeats_are_kept_once_and_counted_in_one_warning() {
        let mut packages = DatabasePackages::new(2);
        for _ in 0..1000 {
            assert!(packages.push(package("a", "1")).is_continue());
        }
        assert!(packages.push(package("a", "2")).is_continue());
        let out = packages.finish("var/lib/dpkg/status");
        assert_eq!(out.packages.len(), 2);
        assert_eq!(out.incomplete, None, "repeats do not count towards the cap");
        assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
        assert!(
            out.warnings[0].contains("999 entries repeat"),
            "{:?}",
            out.warnings
        );
    }

    #[test]
    fn a_package_past_the_cap_breaks_and_marks_the_output_incomplete() {
        let mut packages = DatabasePackages::new(1);
        assert!(packages.push(package("a", "1")).is_continue());
        assert!(packages.push(package("b", "1")).is_break());
        let out = packages.finish("var/lib/dpkg/status");
        assert_eq!(out.packages.len(), 1);
        assert!(
            out.incomplete
                .is_some_and(|r| r.contains("more than 1 packages"))
        );
    }
}
