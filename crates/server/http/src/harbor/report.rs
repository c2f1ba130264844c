//! Harbor's vulnerability report from the stored image's evaluation (Kabuto's JSON report the
//! store keeps per image, updated by every re-evaluation).

use std::collections::BTreeMap;

use kabuto_api::ScanReport;
use kabuto_api::server::{
    HarborArtifact, HarborCvss, HarborLayer, HarborScanner, HarborSeverity, HarborVendorAttributes,
    HarborVendorCvss, HarborVulnerability, HarborVulnerabilityReport,
};
use kabuto_types::{Cvss, Finding, FixStatus, ImageMetadata, VulnIdKind};

use super::severity;

/// The scanner as Harbor shows it.
pub fn scanner() -> HarborScanner {
    HarborScanner {
        name: "Kabuto".into(),
        vendor: "Kabuto project".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }
}

/// The report of `evaluated` (every finding, acknowledged ones too: Harbor has its own
/// allowlist) for `artifact`.
pub fn vulnerability_report(
    evaluated: &ScanReport,
    artifact: HarborArtifact,
    generated_at: String,
) -> HarborVulnerabilityReport {
    let image = evaluated.image.as_ref();
    let vulnerabilities: Vec<HarborVulnerability> = evaluated
        .vulnerabilities
        .iter()
        .flatten()
        .map(|v| vulnerability(&v.finding, image))
        .collect();
    HarborVulnerabilityReport {
        generated_at,
        artifact,
        scanner: scanner(),
        severity: vulnerabilities
            .iter()
            .map(|v| v.severity)
            .max()
            .unwrap_or(HarborSeverity::Unknown),
        vulnerabilities,
    }
}

fn vulnerability(finding: &Finding, image: Option<&ImageMetadata>) -> HarborVulnerability {
    let fixed = finding.status == FixStatus::Fixed && !finding.fixed_versions.is_empty();
    HarborVulnerability {
        id: finding.id.as_str().to_owned(),
        package: finding.package_name.clone(),
        version: finding.installed_version.clone(),
        fix_version: fixed.then(|| finding.fixed_versions.join(", ")),
        severity: severity(finding.severity),
        description: finding
            .description
            .as_deref()
            .or(finding.title.as_deref())
            .unwrap_or_default()
            .to_owned(),
        links: finding.references.to_vec(),
        preferred_cvss: preferred_cvss(&finding.cvss),
        cwe_ids: Vec::new(),
        vendor_attributes: HarborVendorAttributes {
            cvss: cvss_by_source(&finding.cvss),
        },
        layer: layer(finding, image),
    }
}

/// The first v3 and v2 ratings, in the order the matcher prefers them.
fn preferred_cvss(ratings: &[Cvss]) -> Option<HarborCvss> {
    let v3 = ratings.iter().find(|c| c.version.starts_with('3'));
    let v2 = ratings.iter().find(|c| c.version.starts_with('2'));
    (v3.is_some() || v2.is_some()).then(|| HarborCvss {
        score_v3: v3.and_then(|c| c.score),
        vector_v3: v3.map(|c| c.vector.clone()),
        score_v2: v2.and_then(|c| c.score),
        vector_v2: v2.map(|c| c.vector.clone()),
    })
}

/// Ratings by source, as Trivy's adapter names them: `nvd` for a CVE record, `ghsa`, else the
/// advisory id's prefix (`pysec`, `go`, ...). A source's first rating of a version is kept.
fn cvss_by_source(ratings: &[Cvss]) -> BTreeMap<String, HarborVendorCvss> {
    let mut by_source: BTreeMap<String, HarborVendorCvss> = BTreeMap::new();
    for rating in ratings {
        let entry = by_source.entry(source_name(rating)).or_default();
        let (score, vector) = match rating.version.chars().next() {
            Some('2') => (&mut entry.v2_score, &mut entry.v2_vector),
            Some('3') => (&mut entry.v3_score, &mut entry.v3_vector),
            Some('4') => (&mut entry.v40_score, &mut entry.v40_vector),
            _ => continue,
        };
        if vector.is_none() {
            *score = rating.score;
            *vector = Some(rating.vector.clone());
        }
    }
    by_source.retain(|_, cvss| *cvss != HarborVendorCvss::default());
    by_source
}

fn source_name(rating: &Cvss) -> String {
    match rating.source.kind() {
        VulnIdKind::Cve => "nvd".into(),
        VulnIdKind::Ghsa => "ghsa".into(),
        _ => rating
            .source
            .as_str()
            .split(['-', ':'])
            .next()
            .unwrap_or("osv")
            .to_ascii_lowercase(),
    }
}

/// The layer the package came from: its diff id, and its blob digest when the image's
/// metadata names it.
fn layer(finding: &Finding, image: Option<&ImageMetadata>) -> Option<HarborLayer> {
    let diff_id = finding.locations.iter().find_map(|l| l.layer.as_ref())?;
    let digest = image
        .into_iter()
        .flat_map(|i| &i.layers)
        .find(|l| &l.diff_id == diff_id)
        .and_then(|l| l.digest.as_ref());
    Some(HarborLayer {
        digest: digest.map(|d| d.as_str().to_owned()),
        diff_id: diff_id.as_str().to_owned(),
    })
}
