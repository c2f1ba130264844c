//! Acknowledged vulnerabilities: a reviewed decision that a finding does not fail policies
//! until a date. Acknowledged findings are still reported, marked with who, why and until
//! when.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use kabuto_types::{
    AckState, Acknowledgement, Finding, ImageReference, Inventory, VexJustification,
};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::PolicyError;
use crate::load::{self, Shape};
use crate::matchers::{ImageMatch, Pattern, image_names};
use crate::values::DateValue;

/// One acknowledgement as written in the file: a rule that may cover many findings. What it
/// decides about each finding it covers is a [`kabuto_types::Acknowledgement`] mark
/// ([`Acknowledgements::marks`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "Acknowledgement")]
pub struct AcknowledgementRule {
    /// The vulnerability id (or any of its aliases).
    pub id: String,
    /// Only this package (exact name); absent: any package.
    #[serde(default)]
    pub package: Option<String>,
    /// Image name patterns the acknowledgement is limited to; absent: every image.
    #[serde(default)]
    pub images: Vec<Pattern>,
    /// Who decided.
    pub by: String,
    /// Why the finding is acceptable.
    pub reason: String,
    /// The last day the acknowledgement holds (`YYYY-MM-DD`).
    pub expires: DateValue,
    /// The triage decision (CycloneDX/OpenVEX analysis state); `acknowledged` when absent.
    #[serde(default)]
    pub state: Option<AckState>,
    /// Why the package is not affected, for `not_affected`.
    #[serde(default)]
    pub justification: Option<VexJustification>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AckFile {
    #[serde(rename = "$schema", default)]
    _schema: Option<serde::de::IgnoredAny>,
    acknowledgements: Vec<AcknowledgementRule>,
}

/// How an acknowledgement applies to one finding, as shown in verdicts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AckNote {
    pub by: String,
    pub reason: String,
    pub expires: String,
    /// True when the date has passed: the finding counts again.
    pub expired: bool,
    pub state: AckState,
    pub justification: Option<VexJustification>,
}

/// Acknowledgements indexed by upper-case vulnerability id.
#[derive(Debug, Clone, Default)]
pub struct Acknowledgements {
    by_id: HashMap<String, Vec<AcknowledgementRule>>,
}

impl Acknowledgements {
    /// Reads an acknowledgement file: `acknowledgements: [...]` or a bare list.
    pub fn load(path: &Path) -> Result<Acknowledgements, PolicyError> {
        Acknowledgements::parse(&load::read(path)?, &path.display().to_string())
    }

    /// Parses acknowledgement text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Acknowledgements, PolicyError> {
        let list = match load::shape(text, file, "acknowledgements")? {
            Shape::Sequence => load::parse::<Vec<AcknowledgementRule>>(text, file)?,
            _ => load::parse::<AckFile>(text, file)?.acknowledgements,
        };
        Ok(Acknowledgements::from_list(list))
    }

    pub fn from_list(list: Vec<AcknowledgementRule>) -> Acknowledgements {
        let mut by_id: HashMap<String, Vec<AcknowledgementRule>> = HashMap::new();
        for ack in list {
            by_id
                .entry(ack.id.trim().to_ascii_uppercase())
                .or_default()
                .push(ack);
        }
        Acknowledgements { by_id }
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The findings of the scan of `inventory` that a current (not expired) acknowledgement
    /// covers, each with that acknowledgement, as policy evaluation decides it (id or alias,
    /// package, the image names the scan is known by). Reports mark these findings.
    pub fn covered<'f>(
        &self,
        inventory: &Inventory,
        findings: &'f [Finding],
        today: Date,
    ) -> Vec<(&'f Finding, AckNote)> {
        if self.by_id.is_empty() {
            return Vec::new();
        }
        let images = image_names(inventory);
        findings
            .iter()
            .filter_map(|f| Some((f, self.find(f, &images, today)?)))
            .filter(|(_, note)| !note.expired)
            .collect()
    }

    /// The marks reports show: one per (finding id, package) a current acknowledgement
    /// covers, so every report format shows the decision (CycloneDX `analysis`, SARIF
    /// suppressions, the table's status), with or without policies.
    pub fn marks(
        &self,
        inventory: &Inventory,
        findings: &[Finding],
        today: Date,
    ) -> Vec<Acknowledgement> {
        let mut seen = HashSet::new();
        self.covered(inventory, findings, today)
            .into_iter()
            .filter(|(finding, _)| seen.insert((&finding.id, &finding.package_purl)))
            .map(|(finding, note)| Acknowledgement {
                vulnerability: finding.id.clone(),
                package_purl: Some(finding.package_purl.clone()),
                state: note.state,
                justification: note.justification,
                reason: Some(format!(
                    "{} (acknowledged by {} until {})",
                    note.reason, note.by, note.expires
                )),
            })
            .collect()
    }

    /// The acknowledgement covering `finding` on one of `images`: a current one when there
    /// is one, else an expired one (so reports say it lapsed).
    pub(crate) fn find(
        &self,
        finding: &Finding,
        images: &[ImageReference],
        today: Date,
    ) -> Option<AckNote> {
        if self.by_id.is_empty() {
            return None;
        }
        let ids = std::iter::once(&finding.id).chain(&finding.aliases);
        let mut best: Option<&AcknowledgementRule> = None;
        for id in ids {
            let Some(acks) = self.by_id.get(&id.as_str().to_ascii_uppercase()) else {
                continue;
            };
            for ack in acks {
                let package_ok = ack
                    .package
                    .as_deref()
                    .is_none_or(|p| p == finding.package_name);
                let image_ok = ack.images.is_empty()
                    || images
                        .iter()
                        .any(|image| ack.images.iter().any(|p| image.name_matches(p)));
                if package_ok && image_ok && best.is_none_or(|b| ack.expires > b.expires) {
                    best = Some(ack);
                }
            }
        }
        best.map(|ack| AckNote {
            by: ack.by.clone(),
            reason: ack.reason.clone(),
            expires: ack.expires.to_string(),
            expired: ack.expires.0 < today,
            state: ack.state.unwrap_or(AckState::Acknowledged),
            justification: ack.justification,
        })
    }
}
