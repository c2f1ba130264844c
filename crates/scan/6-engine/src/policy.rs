//! From findings to a policy verdict. (What reports show of the verdict and of the
//! acknowledgements, kabuto-policy makes: `Verdict::summaries`, `Acknowledgements::marks`.)

use kabuto_policy::{Acknowledgements, MalwareHit, MisconfigHit, PolicyInput, PolicySet, Verdict};
use kabuto_types::{
    FileEntry, Finding, Inventory, MalwareFinding, MisconfigFinding, SecretFinding,
};
use time::OffsetDateTime;

/// What the policies judge: the sections are `None` when their scanner did not run.
pub(crate) struct Judged<'a> {
    pub inventory: &'a Inventory,
    pub vulnerabilities: &'a [Finding],
    pub secrets: Option<&'a [SecretFinding]>,
    pub misconfigs: Option<&'a [MisconfigFinding]>,
    pub malware: Option<&'a [MalwareFinding]>,
    /// `None` when the permissions are not known (a re-evaluated SBOM does not record them).
    pub special_files: Option<&'a [FileEntry]>,
}

pub(crate) fn evaluate(
    policies: &PolicySet,
    acknowledgements: &Acknowledgements,
    judged: &Judged<'_>,
    now: OffsetDateTime,
) -> Verdict {
    let malware: Option<Vec<MalwareHit>> = judged.malware.map(|m| {
        m.iter()
            .map(|f| MalwareHit {
                rule: f.rule.to_string(),
                path: f.path.clone(),
                sha256: f.sha256.to_string(),
            })
            .collect()
    });
    let misconfigs: Option<Vec<MisconfigHit>> = judged.misconfigs.map(|m| {
        m.iter()
            .map(|f| MisconfigHit {
                check_id: f.check_id.to_string(),
                severity: f.severity,
            })
            .collect()
    });
    let input = PolicyInput {
        secrets: judged.secrets,
        malware: malware.as_deref(),
        misconfigurations: misconfigs.as_deref(),
        file_permissions: judged.special_files,
        ..PolicyInput::new(judged.inventory, judged.vulnerabilities, now)
    };
    kabuto_policy::evaluate(policies, acknowledgements, &input)
}
