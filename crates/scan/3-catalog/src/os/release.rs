//! Operating-system detection from release files, and [`pick_os`] to choose one answer when
//! several files each name the OS.
//!
//! Versions are reported the way Trivy reports them, because its vulnerability data is keyed
//! on them: `debian 12.15` from `etc/debian_version`, `alpine 3.10.0` from `etc/alpine-release`,
//! `centos 7.6.1810` from `etc/centos-release`, `amazon 2 (Karoo)` from `etc/system-release`,
//! and os-release `VERSION_ID` otherwise.
//!
//! Google distroless images are reported as `debian`: their os-release says `ID=debian` (with
//! `PRETTY_NAME="Distroless"`, kept in [`OsInfo::pretty_name`]) and their packages are Debian's,
//! so Debian advisories apply. Trivy and Syft report them the same way.

use kabuto_types::{OsFamily, OsInfo};

use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::{AnalysisOutput, AnalyzeError, Evidence, FileInput};

/// Release files larger than this are not release files.
const MAX_RELEASE_FILE: u64 = 64 * 1024;

/// `etc/os-release`, `usr/lib/os-release` and `etc/lsb-release` (`KEY=value` files).
pub struct OsReleaseAnalyzer;

impl FileAnalyzer for OsReleaseAnalyzer {
    const SPEC: Spec = Spec {
        name: "os-release",
        version: 1,
        evidence: Evidence::Installed,
        wants: Wants::Matching(|path, meta| {
            meta.size <= MAX_RELEASE_FILE
                && matches!(
                    path,
                    "etc/os-release" | "usr/lib/os-release" | "etc/lsb-release"
                )
        }),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let text = String::from_utf8_lossy(file.content);
        let os = if file.path.ends_with("lsb-release") {
            parse_lsb_release(&text)
        } else {
            parse_os_release(&text)
        };
        Ok(AnalysisOutput {
            os,
            ..AnalysisOutput::default()
        })
    }
}

/// One-line distribution files: `etc/alpine-release`, `etc/debian_version` and the Red Hat
/// family's `etc/*-release` (`redhat`, `centos`, `rocky`, `almalinux`, `fedora`, `oracle`,
/// and Amazon's `system-release`).
pub struct ReleaseFileAnalyzer;

const REDHAT_FAMILY_FILES: [&str; 7] = [
    "etc/redhat-release",
    "etc/centos-release",
    "etc/rocky-release",
    "etc/almalinux-release",
    "etc/fedora-release",
    "etc/oracle-release",
    "etc/system-release",
];

impl FileAnalyzer for ReleaseFileAnalyzer {
    const SPEC: Spec = Spec {
        name: "os-release-file",
        version: 1,
        evidence: Evidence::Installed,
        wants: Wants::Matching(|path, meta| {
            meta.size <= MAX_RELEASE_FILE
                && (path == "etc/alpine-release"
                    || path == "etc/debian_version"
                    || REDHAT_FAMILY_FILES.contains(&path))
        }),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let text = String::from_utf8_lossy(file.content);
        let first_line = text.lines().map(str::trim).find(|l| !l.is_empty());
        let Some(line) = first_line else {
            return Ok(AnalysisOutput::default());
        };
        let os = match file.path {
            "etc/alpine-release" => Some(os_info(OsFamily::Alpine, line)),
            "etc/debian_version" => Some(os_info(OsFamily::Debian, line)),
            _ => parse_redhat_release_line(line),
        };
        Ok(AnalysisOutput {
            os,
            ..AnalysisOutput::default()
        })
    }
}

fn os_info(family: OsFamily, version: &str) -> OsInfo {
    OsInfo {
        family,
        version: version.to_owned(),
        pretty_name: None,
        codename: None,
    }
}

/// `KEY=value` pairs of an os-release or lsb-release file; values lose their quotes.
fn key_values(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines().filter_map(|line| {
        let line = line.trim();
        if line.starts_with('#') {
            return None;
        }
        let (key, value) = line.split_once('=')?;
        Some((key.trim(), value.trim().trim_matches(['"', '\''])))
    })
}

/// os-release (`ID`, `VERSION_ID`): `None` without an `ID` or `VERSION_ID`, or for an
/// `ID` we do not know, as Trivy does.
pub fn parse_os_release(text: &str) -> Option<OsInfo> {
    let (mut id, mut version, mut name, mut pretty, mut codename) = (None, None, "", None, None);
    for (key, value) in key_values(text) {
        match key {
            "ID" => id = Some(value.to_ascii_lowercase()),
            "VERSION_ID" => version = Some(value),
            "NAME" => name = value,
            "PRETTY_NAME" => pretty = Some(value),
            "VERSION_CODENAME" => codename = Some(value),
            "UBUNTU_CODENAME" if codename.is_none() => codename = Some(value),
            _ => {}
        }
    }
    let family = match family_from_id(&id?)? {
        OsFamily::Centos if name.contains("Stream") => OsFamily::CentosStream,
        family => family,
    };
    Some(OsInfo {
        family,
        version: version.filter(|v| !v.is_empty())?.to_owned(),
        pretty_name: pretty.filter(|p| !p.is_empty()).map(str::to_owned),
        codename: codename.filter(|c| !c.is_empty()).map(str::to_owned),
    })
}

/// lsb-release (`DISTRIB_ID`, `DISTRIB_RELEASE`), as Ubuntu writes it.
pub fn parse_lsb_release(text: &str) -> Option<OsInfo> {
    let (mut id, mut version, mut pretty, mut codename) = (None, None, None, None);
    for (key, value) in key_values(text) {
        match key {
            "DISTRIB_ID" => id = Some(value.to_ascii_lowercase()),
            "DISTRIB_RELEASE" => version = Some(value),
            "DISTRIB_DESCRIPTION" => pretty = Some(value),
            "DISTRIB_CODENAME" => codename = Some(value),
            _ => {}
        }
    }
    Some(OsInfo {
        family: family_from_id(&id?)?,
        version: version.filter(|v| !v.is_empty())?.to_owned(),
        pretty_name: pretty.filter(|p| !p.is_empty()).map(str::to_owned),
        codename: codename.filter(|c| !c.is_empty()).map(str::to_owned),
    })
}

/// The family for an os-release `ID` (lowercase), as SBOMs also name operating systems.
pub fn family_from_id(id: &str) -> Option<OsFamily> {
    Some(match id {
        "debian" => OsFamily::Debian,
        "ubuntu" => OsFamily::Ubuntu,
        "alpine" => OsFamily::Alpine,
        "wolfi" => OsFamily::Wolfi,
        "chainguard" => OsFamily::Chainguard,
        "rhel" => OsFamily::Rhel,
        "centos" => OsFamily::Centos,
        "rocky" => OsFamily::Rocky,
        "almalinux" => OsFamily::Alma,
        "fedora" => OsFamily::Fedora,
        "ol" => OsFamily::Oracle,
        "amzn" => OsFamily::Amazon,
        "sles" => OsFamily::Sles,
        "sle-micro" | "sle-micro-rancher" | "sl-micro" => OsFamily::SleMicro,
        // openSUSE Leap 42 says `opensuse`, Leap 15 says `opensuse-leap`.
        "opensuse" | "opensuse-leap" => OsFamily::OpensuseLeap,
        "opensuse-tumbleweed" => OsFamily::OpensuseTumbleweed,
        "photon" => OsFamily::Photon,
        "mariner" => OsFamily::CblMariner,
        "azurelinux" => OsFamily::AzureLinux,
        "bottlerocket" => OsFamily::Bottlerocket,
        "echo" => OsFamily::Echo,
        "minimos" => OsFamily::MinimOs,
        "coreos" => OsFamily::CoreOs,
        "activestate" => OsFamily::ActiveState,
        _ => return None,
    })
}

/// `<Name> release <version> (<codename>)`, as the Red Hat family writes its release files.
/// The family comes from the name, not the file name: CentOS and Oracle Linux also ship an
/// `etc/redhat-release`, and `system-release` is a copy of the distribution's own file.
pub fn parse_redhat_release_line(line: &str) -> Option<OsInfo> {
    let lower = line.to_ascii_lowercase();
    if lower.starts_with("amazon linux") {
        return parse_amazon_release(line);
    }
    let (name, rest) = line.split_once(" release ")?;
    let version: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    if !version.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let name = name.to_ascii_lowercase();
    let family = if name.starts_with("centos stream") {
        OsFamily::CentosStream
    } else if name.starts_with("centos") {
        OsFamily::Centos
    } else if name.starts_with("rocky") {
        OsFamily::Rocky
    } else if name.starts_with("almalinux") {
        OsFamily::Alma
    } else if name.starts_with("oracle") {
        OsFamily::Oracle
    } else if name.starts_with("fedora") {
        OsFamily::Fedora
    } else if name.starts_with("red hat") {
        OsFamily::Rhel
    } else {
        return None;
    };
    let codename = rest
        .split_once('(')
        .and_then(|(_, c)| c.split_once(')'))
        .map(|(c, _)| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    Some(OsInfo {
        family,
        version: version.trim_end_matches('.').to_owned(),
        pretty_name: Some(line.to_owned()),
        codename,
    })
}

/// Amazon Linux: `Amazon Linux release 2 (Karoo)` -> `2 (Karoo)`, `... release 2023 (Amazon
/// Linux)` -> `2023`, `Amazon Linux AMI release 2018.03` -> `AMI release 2018.03`; the
/// versions Trivy reports and matches advisories on.
fn parse_amazon_release(line: &str) -> Option<OsInfo> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let version = match fields.as_slice() {
        [_, _, "release", year @ ("2022" | "2023"), ..] => (*year).to_owned(),
        [_, _, "release", "2", ..] => fields.get(3..5)?.join(" "),
        [_, _, rest @ ..] if !rest.is_empty() => rest.join(" "),
        _ => return None,
    };
    Some(OsInfo {
        family: OsFamily::Amazon,
        version,
        pretty_name: Some(line.to_owned()),
        codename: None,
    })
}

/// How much a file says about the version: a distribution's own file (`debian_version`
/// `12.15`) beats os-release (`12`), which beats lsb-release.
fn version_rank(path: &str) -> u8 {
    if path.ends_with("os-release") {
        1
    } else if path.ends_with("lsb-release") {
        2
    } else {
        0
    }
}

/// How much a file says about the family: os-release names derivatives precisely (`centos`
/// with `NAME="CentOS Stream"`), the distribution's own files next, lsb-release last.
fn family_rank(path: &str) -> u8 {
    if path.ends_with("os-release") {
        0
    } else if path.ends_with("lsb-release") {
        2
    } else {
        1
    }
}

/// Chooses one OS from what several files said (`(path, OsInfo)` pairs, any order).
///
/// - Family: base distributions lose to derivatives, because derivatives keep the base's
///   files (Ubuntu ships `etc/debian_version` saying `bookworm/sid`; Oracle Linux and CentOS
///   ship `etc/redhat-release`). So `debian` is dropped when any other family was seen, and
///   `redhat` likewise. Among what remains, os-release decides, then the distribution's own
///   release file, then lsb-release.
/// - Version: among the files of that family, the most specific version wins: one that
///   extends another by a `.` or ` ` part (`12.15` over `12`, `7.6.1810` over `7`,
///   `2 (Karoo)` over `2`, but not `1.20` over `1.2`); otherwise
///   the distribution's own file beats os-release, which beats lsb-release.
/// - `pretty_name` and `codename` are taken from the first file of the family that has them
///   (os-release first).
pub fn pick_os(candidates: Vec<(String, OsInfo)>) -> Option<OsInfo> {
    let has_other = |base: OsFamily| candidates.iter().any(|(_, os)| os.family != base);
    let drop_debian = has_other(OsFamily::Debian);
    let drop_rhel = has_other(OsFamily::Rhel);
    let mut kept: Vec<(String, OsInfo)> = candidates
        .into_iter()
        .filter(|(_, os)| {
            !(drop_debian && os.family == OsFamily::Debian
                || drop_rhel && os.family == OsFamily::Rhel)
        })
        .collect();
    kept.sort_by(|(a, _), (b, _)| family_rank(a).cmp(&family_rank(b)).then(a.cmp(b)));
    let family = kept.first()?.1.family;
    kept.retain(|(_, os)| os.family == family);

    let mut by_version: Vec<&(String, OsInfo)> = kept.iter().collect();
    by_version.sort_by_key(|(path, _)| version_rank(path));
    let mut best = by_version.first()?.1.clone();
    for (_, os) in &by_version[1..] {
        let extends = os
            .version
            .strip_prefix(best.version.as_str())
            .is_some_and(|rest| rest.starts_with(['.', ' ']));
        if extends {
            best.version = os.version.clone();
        }
    }
    best.pretty_name = kept.iter().find_map(|(_, os)| os.pretty_name.clone());
    best.codename = kept.iter().find_map(|(_, os)| os.codename.clone());
    Some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(family: OsFamily, version: &str) -> OsInfo {
        os_info(family, version)
    }

    #[test]
    fn os_release_fields_and_quotes() {
        let text = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID='12'\n\
                    VERSION_CODENAME=bookworm\n# comment\n";
        let got = parse_os_release(text).expect("debian");
        assert_eq!(got.family, OsFamily::Debian);
        assert_eq!(got.version, "12");
        assert_eq!(got.codename.as_deref(), Some("bookworm"));
        assert_eq!(
            got.pretty_name.as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
    }

    #[test]
    fn os_release_without_id_or_version_or_known_id_is_none() {
        assert_eq!(parse_os_release("VERSION_ID=3.15.4\n"), None);
        assert_eq!(parse_os_release("ID=alpine\n"), None);
        assert_eq!(parse_os_release("ID=unknown\nVERSION_ID=4.3.2\n"), None);
    }

    #[test]
    fn centos_stream_is_told_apart_by_name() {
        let got = parse_os_release("NAME=\"CentOS Stream\"\nID=\"centos\"\nVERSION_ID=\"8\"\n");
        assert_eq!(got.map(|o| o.family), Some(OsFamily::CentosStream));
    }

    #[test]
    fn redhat_family_lines() {
        let cases = [
            (
                "CentOS Linux release 7.6.1810 (Core)",
                OsFamily::Centos,
                "7.6.1810",
            ),
            (
                "Rocky Linux release 9.0 (Blue Onyx)",
                OsFamily::Rocky,
                "9.0",
            ),
            (
                "AlmaLinux release 8.4 (Electric Cheetah)",
                OsFamily::Alma,
                "8.4",
            ),
            ("Oracle Linux Server release 7.6", OsFamily::Oracle, "7.6"),
            ("Fedora release 29 (Twenty Nine)", OsFamily::Fedora, "29"),
            (
                "Red Hat Enterprise Linux Server release 6.2 (Santiago)",
                OsFamily::Rhel,
                "6.2",
            ),
            (
                "Amazon Linux release 2 (Karoo)",
                OsFamily::Amazon,
                "2 (Karoo)",
            ),
            (
                "Amazon Linux release 2023 (Amazon Linux)",
                OsFamily::Amazon,
                "2023",
            ),
            (
                "Amazon Linux AMI release 2018.03",
                OsFamily::Amazon,
                "AMI release 2018.03",
            ),
        ];
        for (line, family, version) in cases {
            let got = parse_redhat_release_line(line).expect(line);
            assert_eq!(
                (got.family, got.version.as_str()),
                (family, version),
                "{line}"
            );
        }
        assert_eq!(parse_redhat_release_line("Something else"), None);
        assert_eq!(parse_redhat_release_line("Foo release 1.0"), None);
    }

    #[test]
    fn pick_prefers_specific_version_and_derivative_family() {
        let debian = pick_os(vec![
            ("etc/os-release".into(), os(OsFamily::Debian, "12")),
            ("etc/debian_version".into(), os(OsFamily::Debian, "12.15")),
        ]);
        assert_eq!(debian.map(|o| o.version), Some("12.15".into()));

        let ubuntu = pick_os(vec![
            (
                "etc/debian_version".into(),
                os(OsFamily::Debian, "bookworm/sid"),
            ),
            ("etc/lsb-release".into(), os(OsFamily::Ubuntu, "22.04")),
        ])
        .expect("ubuntu");
        assert_eq!(
            (ubuntu.family, ubuntu.version.as_str()),
            (OsFamily::Ubuntu, "22.04")
        );

        let oracle = pick_os(vec![
            ("etc/redhat-release".into(), os(OsFamily::Rhel, "7.6")),
            ("etc/oracle-release".into(), os(OsFamily::Oracle, "7.6")),
        ]);
        assert_eq!(oracle.map(|o| o.family), Some(OsFamily::Oracle));

        let amazon = pick_os(vec![
            ("etc/os-release".into(), os(OsFamily::Amazon, "2")),
            (
                "etc/system-release".into(),
                os(OsFamily::Amazon, "2 (Karoo)"),
            ),
        ]);
        assert_eq!(amazon.map(|o| o.version), Some("2 (Karoo)".into()));

        // `1.20` is a different release, not a more specific `1.2`.
        let alpine = pick_os(vec![
            ("etc/alpine-release".into(), os(OsFamily::Alpine, "1.2")),
            ("etc/os-release".into(), os(OsFamily::Alpine, "1.20")),
        ]);
        assert_eq!(alpine.map(|o| o.version), Some("1.2".into()));
        assert_eq!(pick_os(vec![]), None);
    }

    #[test]
    fn pick_keeps_pretty_name_from_os_release() {
        let mut from_os_release = os(OsFamily::Debian, "12");
        from_os_release.pretty_name = Some("Distroless".into());
        let got = pick_os(vec![
            ("etc/debian_version".into(), os(OsFamily::Debian, "12.15")),
            ("etc/os-release".into(), from_os_release),
        ])
        .expect("debian");
        assert_eq!(got.version, "12.15");
        assert_eq!(got.pretty_name.as_deref(), Some("Distroless"));
    }
}
