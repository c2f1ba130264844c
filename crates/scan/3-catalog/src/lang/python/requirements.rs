//! `requirements*.txt`: only exactly pinned requirements (`name==version`) name a
//! version, so only those are reported, as Trivy does. Ranges, URLs, editable installs,
//! `-r`/`-c` includes (each included file is analyzed on its own) and options are skipped.

use std::sync::LazyLock;

use kabuto_types::{Ecosystem, Package};
use regex::Regex;

use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::lang::file_name;
use crate::{AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput};

pub struct RequirementsAnalyzer;

/// A PEP 508 distribution name.
static NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$").expect("static regex")
});

/// A PEP 440 public or local version, without wildcards.
static VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^v?(\d+!)?\d+(\.\d+)*
          ([-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?\d*)?
          ((-\d+)|([-_.]?(post|rev|r)[-_.]?\d*))?
          ([-_.]?dev[-_.]?\d*)?
          (\+[a-z0-9]+([-_.][a-z0-9]+)*)?$",
    )
    .expect("static regex")
});

/// One pinned requirement and the line it was found on.
#[derive(Debug, PartialEq, Eq)]
pub struct Pinned {
    pub name: String,
    pub version: String,
    pub line: usize,
}

/// Decodes UTF-8 (with or without BOM) or UTF-16 with a BOM, which Windows editors write.
fn decode(content: &[u8]) -> Result<String, AnalyzeError> {
    let utf16 = |bytes: &[u8], from: fn([u8; 2]) -> u16| {
        let units: Vec<u16> = bytes.chunks_exact(2).map(|c| from([c[0], c[1]])).collect();
        String::from_utf16(&units).map_err(|_| AnalyzeError::malformed("invalid UTF-16 text"))
    };
    match content {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        _ => crate::lang::utf8(content).map(str::to_owned),
    }
}

/// Every `name==version` requirement of the file, skipping lines that pin nothing.
pub fn parse_requirements(text: &str) -> Vec<Pinned> {
    let mut pinned = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        // Comments start at `#` (pip requires whitespace before it, but Trivy and real
        // files accept `pkg==1.0#comment`); markers after `;`; hashes and other
        // per-requirement options after ` --`. Continuation lines start with `--hash` or
        // another option and fall out below.
        let line = raw.split('#').next().unwrap_or_default();
        let line = line.split(';').next().unwrap_or_default();
        let line = line.split(" --").next().unwrap_or_default();
        let line: String = line
            .trim_end_matches('\\')
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if line.is_empty() || line.starts_with('-') {
            continue;
        }
        let Some((name, version)) = line.split_once("==") else {
            continue;
        };
        // `===` is arbitrary equality: still an exact pin. `pkg == 1.0 @ url` pins too.
        let version = version.strip_prefix('=').unwrap_or(version);
        let version = version.split('@').next().unwrap_or_default();
        let name = match name.split_once('[') {
            Some((base, extras)) if extras.ends_with(']') => base,
            Some(_) => continue,
            None => name,
        };
        if NAME.is_match(name) && VERSION.is_match(version) {
            pinned.push(Pinned {
                name: name.to_owned(),
                version: version.to_owned(),
                line: index + 1,
            });
        }
    }
    pinned
}

impl FileAnalyzer for RequirementsAnalyzer {
    const SPEC: Spec = Spec {
        name: "python-requirements",
        version: 1,
        evidence: Evidence::Declared,
        wants: Wants::Matching(|path, _| {
            let name = file_name(path);
            name.starts_with("requirements") && name.ends_with(".txt")
        }),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let text = decode(file.content)?;
        let packages = parse_requirements(&text)
            .into_iter()
            .map(|p| Package::new(Ecosystem::PyPi, p.name, p.version, file.path, self.name()))
            .collect();
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

    fn pins(text: &str) -> Vec<(String, String, usize)> {
        parse_requirements(text)
            .into_iter()
            .map(|p| (p.name, p.version, p.line))
            .collect()
    }

    fn pin(name: &str, version: &str, line: usize) -> (String, String, usize) {
        (name.to_owned(), version.to_owned(), line)
    }

    #[test]
    fn keeps_only_exact_pins() {
        let text = "# comment\nclick==8.0.0\nFlask == 2.0.0 # web\nJinja2==3.0.0#c\n\
                    keyring >= 4.1.1\npandas\n-r other.txt\n-e .\ngit+https://example.invalid/x.git\n\
                    django==5.*\nfoo=='1.0'\nname @ https://example.invalid/x.whl\n";
        assert_eq!(
            pins(text),
            [
                pin("click", "8.0.0", 2),
                pin("Flask", "2.0.0", 3),
                pin("Jinja2", "3.0.0", 4)
            ]
        );
    }

    #[test]
    fn strips_extras_markers_and_hashes() {
        let text = "pyjwt[crypto]==2.1.0\ncelery[redis, pytest]==4.4.7\n\
                    SomeProject ==5.4 ; python_version < '3.8'\n\
                    FooProject == 1.2 --hash=sha256:2cf2 \\\n    --hash=sha256:486e\nexact===1.0+local\n\
                    Sample == 3.7.1 @ git+https://example.invalid/r@v3.7.1\n";
        assert_eq!(
            pins(text),
            [
                pin("pyjwt", "2.1.0", 1),
                pin("celery", "4.4.7", 2),
                pin("SomeProject", "5.4", 3),
                pin("FooProject", "1.2", 4),
                pin("exact", "1.0+local", 6),
                pin("Sample", "3.7.1", 7),
            ]
        );
    }

    #[test]
    fn reads_utf16_with_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "attrs==20.3.0\r\n".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let out = RequirementsAnalyzer
            .analyze(FileInput {
                path: "requirements.txt",
                content: &bytes,
            })
            .unwrap();
        assert_eq!(out.packages[0].name, "attrs");
        assert_eq!(out.packages[0].version, "20.3.0");
    }

    #[test]
    fn binary_garbage_is_an_error_naming_the_line() {
        let out = RequirementsAnalyzer.analyze(FileInput {
            path: "requirements.txt",
            content: b"a==1\n\xff\xfe\xfd",
        });
        // Starts with neither BOM, so it must be UTF-8, and line 2 is not.
        assert_eq!(
            out,
            Err(AnalyzeError::at_line(2, "file is not valid UTF-8"))
        );
    }

    #[test]
    fn wants_requirements_files() {
        let meta = FileMeta {
            size: 1,
            mode: 0o644,
        };
        assert!(RequirementsAnalyzer.wants("app/requirements.txt", &meta));
        assert!(RequirementsAnalyzer.wants("requirements-dev.txt", &meta));
        assert!(!RequirementsAnalyzer.wants("app/requirements.in", &meta));
    }
}
