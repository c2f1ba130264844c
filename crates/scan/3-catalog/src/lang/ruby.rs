//! Ruby: installed gems (`specifications/*.gemspec`, the Ruby-syntax spec RubyGems writes
//! at install time) and declared gems (`Gemfile.lock`).

use std::sync::LazyLock;

use kabuto_types::{Ecosystem, Package};
use regex::Regex;

use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::lang::utf8;
use crate::{AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput};

pub fn analyzers() -> Vec<Box<dyn Analyzer>> {
    vec![Box::new(GemspecAnalyzer), Box::new(GemfileLockAnalyzer)]
}

/// Installed gem specifications. Gemspecs are Ruby code; like Trivy, read the generated
/// assignments (`s.name = "rake".freeze`) with patterns rather than evaluating anything.
pub struct GemspecAnalyzer;

/// Declared gems in `Gemfile.lock`.
pub struct GemfileLockAnalyzer;

/// `Gem::Specification.new do |s|`: assignments must go through the block variable `s`.
static BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"Gem::Specification\.new\s+do\s+\|\s*(\w+)\s*\|").expect("static regex")
});
static NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*(\w+)\.name\s*=\s*["']([^"']+)["']"#).expect("static regex")
});
static VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*(\w+)\.version\s*=\s*["']([^"']+)["']"#).expect("static regex")
});
static LICENSES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^\s*(\w+)\.licenses?\s*=\s*(.+)$"#).expect("static regex"));
static QUOTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"["']([^"']+)["']"#).expect("static regex"));

impl FileAnalyzer for GemspecAnalyzer {
    const SPEC: Spec = Spec {
        name: "ruby-gemspec",
        version: 1,
        evidence: Evidence::Installed,
        wants: Wants::Matching(|path, _| {
            path.ends_with(".gemspec") && crate::lang::parent_name(path) == Some("specifications")
        }),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let text = utf8(file.content)?;
        let block = BLOCK.captures(text).map(|c| c[1].to_owned());
        let on_spec = |c: &regex::Captures<'_>| block.as_deref().is_none_or(|b| b == &c[1]);
        let (mut name, mut version, mut licenses) = (None, None, Vec::new());
        for line in text.lines() {
            if let Some(c) = NAME.captures(line).filter(on_spec) {
                name = name.or(c.get(2).map(|m| m.as_str()));
            } else if let Some(c) = VERSION.captures(line).filter(on_spec) {
                version = version.or(c.get(2).map(|m| m.as_str()));
            } else if let Some(c) = LICENSES.captures(line).filter(on_spec) {
                let list = c.get(2).map_or("", |m| m.as_str());
                licenses.extend(QUOTED.captures_iter(list).map(|q| q[1].to_owned()));
            }
        }
        let (Some(name), Some(version)) = (name, version) else {
            return Err(AnalyzeError::malformed(
                "gemspec assigns no name or no version",
            ));
        };
        let mut package = Package::new(Ecosystem::Gem, name, version, file.path, self.name());
        package.licenses = licenses;
        Ok(AnalysisOutput {
            packages: vec![package],
            ..AnalysisOutput::default()
        })
    }
}

/// The `name (version)` lines of every `specs:` block (GEM, GIT and PATH sources).
/// Platform gems carry the platform after the version: `nokogiri (1.13.6-x86_64-linux)`.
pub fn parse_gemfile_lock(text: &str) -> Result<Vec<(String, String)>, AnalyzeError> {
    let mut gems = Vec::new();
    let mut in_specs = false;
    for (index, line) in text.lines().enumerate() {
        if !line.starts_with(' ') {
            in_specs = false;
            continue;
        }
        if line.trim() == "specs:" {
            in_specs = true;
            continue;
        }
        // Four spaces: a locked gem; six: one of its dependencies.
        let Some(spec) = line
            .strip_prefix("    ")
            .filter(|s| in_specs && !s.starts_with(' '))
        else {
            continue;
        };
        let parsed = spec
            .split_once(" (")
            .and_then(|(name, rest)| Some((name, rest.strip_suffix(')')?)));
        let Some((name, version)) = parsed else {
            return Err(AnalyzeError::at_line(
                index + 1,
                format!("expected `name (version)`, found {spec:?}"),
            ));
        };
        let version = version.split('-').next().unwrap_or(version);
        gems.push((name.to_owned(), version.to_owned()));
    }
    Ok(gems)
}

impl FileAnalyzer for GemfileLockAnalyzer {
    const SPEC: Spec = Spec {
        name: "ruby-gemfile-lock",
        version: 1,
        evidence: Evidence::Declared,
        wants: Wants::Named(&["Gemfile.lock", "gems.locked"]),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let text = utf8(file.content)?;
        let mut packages: Vec<Package> = parse_gemfile_lock(text)?
            .into_iter()
            .map(|(name, version)| {
                Package::new(Ecosystem::Gem, name, version, file.path, self.name())
            })
            .collect();
        // A platform gem appears once per platform with the same version.
        packages.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        packages.dedup_by(|a, b| a.name == b.name && a.version == b.version);
        Ok(AnalysisOutput {
            packages,
            ..AnalysisOutput::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileMeta;

    #[test]
    fn gemspec_name_version_licences() {
        let text = "# stub: rake 13.0.6 ruby lib\n\nGem::Specification.new do |s|\n  s.name = \"rake\".freeze\n  \
                    s.version = \"13.0.6\"\n  s.licenses = [\"MIT\".freeze, \"Ruby\".freeze]\n  s.add_runtime_dependency(%q<x>.freeze, [\"= 1\"])\nend\n";
        let out = GemspecAnalyzer
            .analyze(FileInput {
                path: "gems/specifications/rake-13.0.6.gemspec",
                content: text.as_bytes(),
            })
            .unwrap();
        let p = &out.packages[0];
        assert_eq!((p.name.as_str(), p.version.as_str()), ("rake", "13.0.6"));
        assert_eq!(p.licenses, ["MIT", "Ruby"]);
        assert_eq!(p.purl.to_string(), "pkg:gem/rake@13.0.6");
        assert!(GemspecAnalyzer.wants(
            "usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
            &FileMeta {
                size: 1,
                mode: 0o644
            }
        ));
        assert!(!GemspecAnalyzer.wants(
            "src/rake.gemspec",
            &FileMeta {
                size: 1,
                mode: 0o644
            }
        ));
    }

    #[test]
    fn gemspec_assignments_must_use_the_block_variable() {
        let text = b"Gem::Specification.new do |spec|\n    s.name = \"async\".freeze\n    s.version = \"1.25.0\"\nend\n";
        let out = GemspecAnalyzer.analyze(FileInput {
            path: "x.gemspec",
            content: text,
        });
        assert!(matches!(out, Err(AnalyzeError::Malformed { .. })));
    }

    #[test]
    fn gemspec_without_version_is_an_error() {
        let out = GemspecAnalyzer.analyze(FileInput {
            path: "x.gemspec",
            content: b"Gem::Specification.new do |s|\n  s.name = \"x\"\nend\n",
        });
        assert!(matches!(out, Err(AnalyzeError::Malformed { .. })));
    }

    #[test]
    fn gemfile_lock_specs_platforms_and_deps() {
        let text = "GEM\n  remote: https://rubygems.example.invalid/\n  specs:\n    coderay (1.1.3)\n    nokogiri (1.13.6-x86_64-linux)\n      racc (~> 1.4)\n    nokogiri (1.13.6-arm64-darwin)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  coderay\n\nBUNDLED WITH\n   2.3.7\n";
        assert_eq!(
            parse_gemfile_lock(text).unwrap(),
            [
                ("coderay".into(), "1.1.3".into()),
                ("nokogiri".into(), "1.13.6".into()),
                ("nokogiri".into(), "1.13.6".into())
            ]
        );
        let out = GemfileLockAnalyzer
            .analyze(FileInput {
                path: "Gemfile.lock",
                content: text.as_bytes(),
            })
            .unwrap();
        assert_eq!(out.packages.len(), 2);
    }

    #[test]
    fn gemfile_lock_garbage_names_the_line() {
        assert_eq!(
            parse_gemfile_lock("GEM\n  specs:\n    broken\n"),
            Err(AnalyzeError::at_line(
                3,
                "expected `name (version)`, found \"broken\""
            ))
        );
    }
}
