//! Java archives (`.jar`, `.war`, `.ear`, `.par`), read in memory, as Trivy's jar parser
//! does without its Java database:
//!
//! 1. every `META-INF/maven/**/pom.properties` names a Maven artifact (the archive's own, or
//!    one shaded into it);
//! 2. if none of them is the archive itself (its file name `artifact-version.jar` does not
//!    match), `META-INF/MANIFEST.MF` is tried (`Implementation-*`, `Specification-*`,
//!    `Bundle-*`);
//! 3. failing that, the file name alone gives an artifact id and version.
//!
//! Licences come from the embedded `META-INF/maven/<group>/<artifact>/pom.xml` (for the
//! package of that group and artifact), else from the manifest (`Plugin-License-Name`,
//! `Bundle-License`) for the archive's own package when exactly one package is read from
//! it; see [`super::java_licenses`].
//!
//! Nested archives (`WEB-INF/lib/*.jar`, `BOOT-INF/lib/*.jar`, ...) are read recursively and
//! reported at `outer.war!/WEB-INF/lib/inner.jar`. Decompression is bounded per member, per
//! file and in nesting depth, so zip bombs and archive quines end in a warning.

use std::io::{Cursor, Read};
use std::sync::LazyLock;

use kabuto_types::{Ecosystem, Package};
use regex::Regex;

use super::java_licenses::{embedded_pom_name, manifest_licenses, pom_licenses};
use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::{AnalysisOutput, AnalyzeError, Evidence, FileInput};

/// Largest `pom.properties` or manifest we read; real ones are a few hundred bytes.
const MAX_TEXT_MEMBER: u64 = 1024 * 1024;
/// Largest nested archive we inflate into memory.
const MAX_NESTED_ARCHIVE: u64 = 128 * 1024 * 1024;
/// Total bytes inflated while reading one top-level archive, nested members included.
const MAX_TOTAL_INFLATED: u64 = 512 * 1024 * 1024;
/// `outer.war!/lib/a.jar!/lib/b.jar` is depth 2; real archives stop at 2 or 3.
const MAX_DEPTH: usize = 5;

const NAME: &str = "java-archive";

/// Reports the Maven artifacts of Java archives.
pub struct JavaArchiveAnalyzer;

impl FileAnalyzer for JavaArchiveAnalyzer {
    const SPEC: Spec = Spec {
        name: NAME,
        version: 2,
        evidence: Evidence::Installed,
        wants: Wants::Matching(|path, _| is_java_archive(path)),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let mut reader = ArchiveReader {
            inflated: 0,
            output: AnalysisOutput::default(),
        };
        reader.read(file.content, file.path, 0)?;
        Ok(reader.output)
    }
}

fn is_java_archive(path: &str) -> bool {
    let Some((_, ext)) = path.rsplit_once('.') else {
        return false;
    };
    ["jar", "war", "ear", "par"]
        .iter()
        .any(|e| ext.eq_ignore_ascii_case(e))
}

/// A Maven coordinate as one source (pom.properties, manifest, file name) states it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Coordinates {
    group_id: String,
    artifact_id: String,
    version: String,
}

impl Coordinates {
    fn is_complete(&self) -> bool {
        !self.group_id.is_empty() && !self.artifact_id.is_empty() && !self.version.is_empty()
    }

    fn package(&self, location: &str) -> Package {
        let name = if self.group_id.is_empty() {
            self.artifact_id.clone()
        } else {
            format!("{}:{}", self.group_id, self.artifact_id)
        };
        Package::new(Ecosystem::Maven, name, &self.version, location, NAME)
    }
}

struct ArchiveReader {
    inflated: u64,
    output: AnalysisOutput,
}

impl ArchiveReader {
    /// Reads one archive at `location` (`a.war` or `a.war!/WEB-INF/lib/b.jar`). Only the
    /// top-level archive being unreadable is an error; nested problems become warnings.
    fn read(&mut self, bytes: &[u8], location: &str, depth: usize) -> Result<(), AnalyzeError> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
            AnalyzeError::malformed(format!("{location}: not a readable zip archive: {e}"))
        })?;
        let from_file_name = parse_file_name(location);
        let mut own_pom_found = false;
        let mut found_any = false;
        let mut manifest = Vec::new();
        // Licences of embedded poms by `group:artifact`; the path has no version.
        let mut pom_license_lists: Vec<(String, Vec<String>)> = Vec::new();
        let first_own = self.output.packages.len();
        for index in 0..archive.len() {
            let mut entry = match archive.by_index(index) {
                Ok(entry) => entry,
                Err(e) => {
                    self.warn(format!("{location}: entry {index}: {e}"));
                    continue;
                }
            };
            let name = entry.name().to_owned();
            let base = name.rsplit('/').next().unwrap_or_default();
            if base == "pom.properties" && name.starts_with("META-INF/maven/") {
                let Some(text) = self.inflate(&mut entry, MAX_TEXT_MEMBER, location) else {
                    continue;
                };
                let props = parse_pom_properties(&member_text(&text));
                if props.is_complete() {
                    own_pom_found |= props.artifact_id == from_file_name.artifact_id
                        && props.version == from_file_name.version;
                    found_any = true;
                    self.push(props.package(location));
                }
            } else if name == "META-INF/MANIFEST.MF" {
                if let Some(text) = self.inflate(&mut entry, MAX_TEXT_MEMBER, location) {
                    manifest = manifest_headers(&member_text(&text));
                }
            } else if let Some(package_name) = embedded_pom_name(&name) {
                let Some(xml) = self.inflate(&mut entry, MAX_TEXT_MEMBER, location) else {
                    continue;
                };
                match pom_licenses(&member_text(&xml)) {
                    Ok(licenses) if !licenses.is_empty() => {
                        pom_license_lists.push((package_name, licenses));
                    }
                    Ok(_) => {}
                    Err(e) => self.warn(format!("{location}!/{name}: {e}")),
                }
            } else if is_java_archive(&name) && !entry.is_dir() {
                let inner_location = format!("{location}!/{name}");
                if depth + 1 > MAX_DEPTH {
                    self.warn(format!(
                        "{inner_location}: not read, archives nest deeper than {MAX_DEPTH}"
                    ));
                    continue;
                }
                let Some(inner) = self.inflate(&mut entry, MAX_NESTED_ARCHIVE, location) else {
                    continue;
                };
                drop(entry);
                if let Err(e) = self.read(&inner, &inner_location, depth + 1) {
                    self.warn(e.to_string());
                }
            }
        }
        if !own_pom_found {
            let from_manifest = manifest_coordinates(&manifest);
            if from_manifest.is_complete() {
                self.push(from_manifest.package(location));
            } else if !found_any && !from_file_name.artifact_id.is_empty() {
                self.push(from_file_name.package(location));
            }
        }
        self.attach_licenses(first_own, location, &pom_license_lists, &manifest);
        Ok(())
    }

    /// Gives the packages read from the archive at `location` (pushed from index `first`
    /// on; nested archives' packages have other locations) the licences of their embedded
    /// pom, then the manifest's licences to the archive's own package if it is the only one.
    fn attach_licenses(
        &mut self,
        first: usize,
        location: &str,
        pom_license_lists: &[(String, Vec<String>)],
        manifest: &[(String, String)],
    ) {
        let own = |p: &Package| p.locations.first().is_some_and(|l| l.path == location);
        let packages = &mut self.output.packages[first..];
        for package in packages
            .iter_mut()
            .filter(|p| own(p) && p.licenses.is_empty())
        {
            if let Some((_, licenses)) = pom_license_lists.iter().find(|(n, _)| *n == package.name)
            {
                package.licenses.clone_from(licenses);
            }
        }
        let mut owned = packages.iter_mut().filter(|p| own(p));
        if let (Some(package), None) = (owned.next(), owned.next())
            && package.licenses.is_empty()
        {
            package.licenses = manifest_licenses(manifest);
        }
    }

    /// The member's bytes, or `None` (with a warning) past `limit` or the total budget.
    fn inflate(
        &mut self,
        entry: &mut zip::read::ZipFile<'_, Cursor<&[u8]>>,
        limit: u64,
        location: &str,
    ) -> Option<Vec<u8>> {
        let limit = limit.min(MAX_TOTAL_INFLATED.saturating_sub(self.inflated));
        let mut bytes = Vec::new();
        let read = entry.by_ref().take(limit + 1).read_to_end(&mut bytes);
        self.inflated += bytes.len() as u64;
        let member = entry.name().to_owned();
        match read {
            Err(e) => {
                self.warn(format!("{location}!/{member}: {e}"));
                None
            }
            Ok(n) if n as u64 > limit => {
                self.warn(format!(
                    "{location}!/{member}: not read, inflates past {limit} bytes (size limit)"
                ));
                None
            }
            Ok(_) => Some(bytes),
        }
    }

    fn push(&mut self, package: Package) {
        let duplicate = self.output.packages.iter().any(|p| {
            p.name == package.name
                && p.version == package.version
                && p.locations == package.locations
        });
        if !duplicate {
            self.output.packages.push(package);
        }
    }

    fn warn(&mut self, message: String) {
        self.output.warnings.push(message);
    }
}

/// A text member (properties, manifest, pom) as text: lossily, since only ASCII keys
/// matter, and without a leading byte order mark, which would hide the first key.
fn member_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(crate::strip_bom(bytes))
}

/// `groupId`, `artifactId` and `version` from a Java properties file.
fn parse_pom_properties(text: &str) -> Coordinates {
    let mut coordinates = Coordinates::default();
    for line in text.lines().map(str::trim) {
        if line.starts_with(['#', '!']) {
            continue;
        }
        let Some((key, value)) = line.split_once(['=', ':']) else {
            continue;
        };
        let slot = match key.trim() {
            "groupId" => &mut coordinates.group_id,
            "artifactId" => &mut coordinates.artifact_id,
            "version" => &mut coordinates.version,
            _ => continue,
        };
        *slot = value.trim().to_owned();
    }
    coordinates
}

/// The headers of a manifest's main section, in order. Lines longer than 72 bytes continue
/// on lines starting with one space.
fn manifest_headers(text: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break; // end of the main section
        }
        if let Some(continued) = line.strip_prefix(' ') {
            if let Some((_, value)) = headers.last_mut() {
                value.push_str(continued);
            }
        } else if let Some((key, value)) = line.split_once(':') {
            headers.push((key.trim().to_owned(), value.trim_start().to_owned()));
        }
    }
    headers
}

/// Coordinates from a manifest's main section, with Trivy's precedence of headers.
fn manifest_coordinates(headers: &[(String, String)]) -> Coordinates {
    let header = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| {
                headers
                    .iter()
                    .find(|(key, value)| {
                        key == k && !value.trim().is_empty() && !value.starts_with('%')
                    })
                    .map(|(_, value)| value.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let group_id = match header(&["Implementation-Vendor-Id"]) {
        id if !id.is_empty() => id,
        _ => match header(&["Bundle-SymbolicName"]) {
            // `com.fasterxml.jackson.core.jackson-databind;singleton:=true` -> the package part.
            symbolic if !symbolic.is_empty() => {
                let symbolic = symbolic.split(';').next().unwrap_or_default().trim();
                symbolic
                    .rsplit_once('.')
                    .map_or(symbolic, |(group, _)| group)
                    .to_owned()
            }
            _ => header(&["Implementation-Vendor", "Specification-Vendor"]),
        },
    };
    Coordinates {
        group_id,
        artifact_id: header(&["Implementation-Title", "Specification-Title", "Bundle-Name"]),
        version: header(&[
            "Implementation-Version",
            "Specification-Version",
            "Bundle-Version",
        ]),
    }
}

/// `spring-core-5.3.4-SNAPSHOT.jar` -> artifact `spring-core`, version `5.3.4-SNAPSHOT`
/// (Trivy's pattern; only `.jar` names carry versions this way).
fn parse_file_name(location: &str) -> Coordinates {
    static PATTERN: LazyLock<Regex> = LazyLock::new(|| {
        #[allow(clippy::unwrap_used)] // a constant pattern, covered by tests
        Regex::new(r"^([a-zA-Z0-9._-]*[^-*])-(\d\S*(?:-SNAPSHOT)?)\.jar$").unwrap()
    });
    let file_name = location.rsplit(['/', '!']).next().unwrap_or(location);
    PATTERN
        .captures(file_name)
        .map(|c| Coordinates {
            group_id: String::new(),
            artifact_id: c[1].to_owned(),
            version: c[2].to_owned(),
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_split_like_trivy() {
        let c = parse_file_name("app.war!/WEB-INF/lib/spring-core-5.3.4-SNAPSHOT.jar");
        assert_eq!(
            (c.artifact_id.as_str(), c.version.as_str()),
            ("spring-core", "5.3.4-SNAPSHOT")
        );
        assert_eq!(parse_file_name("lib/app.jar"), Coordinates::default());
        assert_eq!(parse_file_name("x-1.0.war"), Coordinates::default());
    }

    fn parse_manifest_text(text: &str) -> Coordinates {
        manifest_coordinates(&manifest_headers(text))
    }

    #[test]
    fn manifest_precedence_and_continuation_lines() {
        let m = parse_manifest_text(
            "Manifest-Version: 1.0\r\nBundle-SymbolicName: com.fasterxml.jackson.core.jackson-da\r\n tabind;singleton:=true\r\n\
             Bundle-Name: Jackson-databind\r\nBundle-Version: 2.9.10\r\n\r\nName: other\r\nImplementation-Version: 9\r\n",
        );
        assert_eq!(m.group_id, "com.fasterxml.jackson.core");
        assert_eq!(m.artifact_id, "Jackson-databind");
        assert_eq!(m.version, "2.9.10");
        let vendor = parse_manifest_text(
            "Implementation-Vendor-Id: org.springframework\nImplementation-Title: Spring Framework\nImplementation-Version: 2.5.6.SEC03\nBundle-Name: %bundleName\n",
        );
        assert_eq!(
            vendor.package("a.jar").name,
            "org.springframework:Spring Framework"
        );
    }

    #[test]
    fn pom_properties_skips_comments() {
        let p = parse_pom_properties(
            "#Generated by Maven\n#Tue\ngroupId=log4j\nartifactId = log4j\nversion=1.2.17\n",
        );
        assert!(p.is_complete());
        assert_eq!(p.package("x.jar").name, "log4j:log4j");
    }
}
