//! The workload controls a Kubernetes assurance policy can name: the Kubernetes checks of
//! `kabuto-misconfig` (`KBK001`...), found by Kabuto id, by the id of a peer scanner's
//! check (`KSV017`, `AVD-KSV-0017`, `Trivy KSV017`, `CKV_K8S_16`) or by title; and
//! Kabuto's allowed-registries control.

use kabuto_misconfig::registry::{CHECKS, Check, Target};
use serde::{Deserialize, Deserializer};

/// The id of the `allowed_registries` control in violations.
pub const ALLOWED_REGISTRIES_CONTROL: &str = "KBK-REGISTRY";
pub(crate) const ALLOWED_REGISTRIES_TITLE: &str = "Image not from an allowed registry";

/// The checks a control name stands for: one, or several when a peer check covers more
/// than one Kabuto check (Trivy KSV106 is both KBK006 and KBK007).
#[derive(Debug, Clone)]
pub(crate) struct ControlName(pub Vec<&'static Check>);

impl ControlName {
    pub fn resolve(name: &str) -> Result<ControlName, String> {
        let wanted = name.trim().to_ascii_uppercase();
        let peer_form = avd_to_peer(&wanted).unwrap_or_else(|| wanted.clone());
        let checks: Vec<&'static Check> = kubernetes_checks()
            .filter(|check| {
                check.id == wanted
                    || check.title.eq_ignore_ascii_case(name.trim())
                    || check
                        .peer_ids
                        .iter()
                        .any(|peer| answers_to(peer, &wanted) || answers_to(peer, &peer_form))
            })
            .collect();
        if checks.is_empty() {
            return Err(format!(
                "unknown Kubernetes control `{name}`: name a Kabuto id (KBK001 to KBK018), a \
                 peer id (KSV017, AVD-KSV-0017, Trivy KSV017, CKV_K8S_16) or a check title; \
                 see docs/policies.md"
            ));
        }
        Ok(ControlName(checks))
    }
}

impl<'de> Deserialize<'de> for ControlName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        ControlName::resolve(&name).map_err(serde::de::Error::custom)
    }
}

/// Every Kubernetes check, in id order.
pub(crate) fn kubernetes_checks() -> impl Iterator<Item = &'static Check> {
    CHECKS
        .iter()
        .copied()
        .filter(|check| check.target == Target::Kubernetes)
}

/// Whether a peer id (`Trivy KSV017`) answers to `wanted` (upper case): whole, or its id
/// without the scanner's name.
fn answers_to(peer: &str, wanted: &str) -> bool {
    let peer = peer.to_ascii_uppercase();
    peer == wanted || peer.split_once(' ').is_some_and(|(_, id)| id == wanted)
}

/// Aqua's and Trivy's AVD form `AVD-KSV-0017` as Trivy's `KSV017`.
fn avd_to_peer(wanted: &str) -> Option<String> {
    let number: u32 = wanted.strip_prefix("AVD-KSV-")?.parse().ok()?;
    Some(format!("KSV{number:03}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(name: &str) -> Vec<&'static str> {
        ControlName::resolve(name)
            .map(|c| c.0.iter().map(|check| check.id).collect())
            .unwrap_or_default()
    }

    #[test]
    fn names_in_every_vocabulary() {
        for name in [
            "KBK001",
            "kbk001",
            "KSV017",
            "AVD-KSV-0017",
            "Trivy KSV017",
            "CKV_K8S_16",
            "privileged container",
        ] {
            assert_eq!(ids(name), ["KBK001"], "{name}");
        }
        assert_eq!(ids("KSV106"), ["KBK006", "KBK007"]);
        assert_eq!(ids("AVD-KSV-0023"), ["KBK011"]);
        for unknown in ["KBD001", "KSV999", "KBI001", "Trivy", "", "KBK-REGISTRY"] {
            assert!(ids(unknown).is_empty(), "{unknown} should be unknown");
        }
    }

    #[test]
    fn every_kubernetes_check_has_a_peer() {
        assert_eq!(kubernetes_checks().count(), 18);
        assert!(kubernetes_checks().all(|c| !c.peer_ids.is_empty()));
    }
}
