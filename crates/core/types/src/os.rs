use std::fmt;

use serde::{Deserialize, Serialize};

/// Operating-system distribution family, as detected from os-release and friends.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum OsFamily {
    Debian,
    Ubuntu,
    Alpine,
    Wolfi,
    Chainguard,
    Rhel,
    Centos,
    Rocky,
    Alma,
    Fedora,
    Oracle,
    Amazon,
    Suse,
    Opensuse,
    /// Google distroless (Debian-based, no package manager binary).
    Distroless,
    // Families below follow Trivy's names for distributions detected from os-release.
    CentosStream,
    /// SUSE Linux Enterprise Server.
    Sles,
    /// SUSE Linux Enterprise Micro / SUSE Linux Micro.
    #[serde(rename = "slem")]
    SleMicro,
    OpensuseLeap,
    OpensuseTumbleweed,
    Photon,
    /// CBL-Mariner (Azure Linux before 3.0).
    CblMariner,
    #[serde(rename = "azurelinux")]
    AzureLinux,
    Bottlerocket,
    Echo,
    #[serde(rename = "minimos")]
    MinimOs,
    #[serde(rename = "coreos")]
    CoreOs,
    #[serde(rename = "activestate")]
    ActiveState,
}

impl OsFamily {
    pub const ALL: [OsFamily; 28] = [
        OsFamily::Debian,
        OsFamily::Ubuntu,
        OsFamily::Alpine,
        OsFamily::Wolfi,
        OsFamily::Chainguard,
        OsFamily::Rhel,
        OsFamily::Centos,
        OsFamily::Rocky,
        OsFamily::Alma,
        OsFamily::Fedora,
        OsFamily::Oracle,
        OsFamily::Amazon,
        OsFamily::Suse,
        OsFamily::Opensuse,
        OsFamily::Distroless,
        OsFamily::CentosStream,
        OsFamily::Sles,
        OsFamily::SleMicro,
        OsFamily::OpensuseLeap,
        OsFamily::OpensuseTumbleweed,
        OsFamily::Photon,
        OsFamily::CblMariner,
        OsFamily::AzureLinux,
        OsFamily::Bottlerocket,
        OsFamily::Echo,
        OsFamily::MinimOs,
        OsFamily::CoreOs,
        OsFamily::ActiveState,
    ];

    /// The family named as [`OsFamily::as_str`] writes it (`debian`, `redhat`, `alma`).
    pub fn from_name(name: &str) -> Option<OsFamily> {
        OsFamily::ALL.into_iter().find(|f| f.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OsFamily::Debian => "debian",
            OsFamily::Ubuntu => "ubuntu",
            OsFamily::Alpine => "alpine",
            OsFamily::Wolfi => "wolfi",
            OsFamily::Chainguard => "chainguard",
            OsFamily::Rhel => "redhat",
            OsFamily::Centos => "centos",
            OsFamily::Rocky => "rocky",
            OsFamily::Alma => "alma",
            OsFamily::Fedora => "fedora",
            OsFamily::Oracle => "oracle",
            OsFamily::Amazon => "amazon",
            OsFamily::Suse => "suse",
            OsFamily::Opensuse => "opensuse",
            OsFamily::Distroless => "distroless",
            OsFamily::CentosStream => "centos-stream",
            OsFamily::Sles => "sles",
            OsFamily::SleMicro => "slem",
            OsFamily::OpensuseLeap => "opensuse-leap",
            OsFamily::OpensuseTumbleweed => "opensuse-tumbleweed",
            OsFamily::Photon => "photon",
            OsFamily::CblMariner => "cbl-mariner",
            OsFamily::AzureLinux => "azurelinux",
            OsFamily::Bottlerocket => "bottlerocket",
            OsFamily::Echo => "echo",
            OsFamily::MinimOs => "minimos",
            OsFamily::CoreOs => "coreos",
            OsFamily::ActiveState => "activestate",
        }
    }
}

impl fmt::Display for OsFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The detected operating system of an image or root filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OsInfo {
    pub family: OsFamily,
    /// Release as the distribution spells it (`12.15`, `3.10.0`, `9.0`, `2023`).
    pub version: String,
    /// Human name from `PRETTY_NAME`, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// Release code name (`bookworm`, `jammy`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_listed_once_and_found_by_its_name() {
        for family in OsFamily::ALL {
            assert_eq!(OsFamily::from_name(family.as_str()), Some(family));
        }
        assert_eq!(OsFamily::from_name("rhel"), None);
    }
}
