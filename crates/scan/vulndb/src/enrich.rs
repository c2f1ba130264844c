//! What other sources say about a CVE, attached at build time to every advisory that names
//! it: NVD's CVSS vectors (distribution feeds carry none), FIRST's EPSS score and CISA's
//! Known Exploited Vulnerabilities entry.
//!
//! Readers, each for the format its publisher serves:
//! - NVD: an API 2.0 page (`{"vulnerabilities": [{"cve": {...}}], ...}`), a JSON-lines file of
//!   such `cve` objects, or one `cve` object per file (as NVD mirrors keep them);
//! - EPSS: FIRST's CSV (`#model_version:...` comment, then `cve,epss,percentile`), gzipped or not;
//! - KEV: CISA's JSON catalog (`{"catalogVersion": ..., "vulnerabilities": [{"cveID", "dateAdded"...}]}`).

use std::collections::HashMap;
use std::io::BufRead;

use kabuto_types::{Epss, KnownExploited, VulnId, VulnIdKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::advisory::{Advisory, SeverityRating};

/// What is known of one CVE beyond the advisory that names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CveContext {
    /// The CVE the context is about (the advisory's id or one of its aliases).
    pub cve: VulnId,
    /// NVD's CVSS vectors, at most one per CVSS version (NVD's own analysis before a CNA's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nvd_cvss: Vec<SeverityRating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<Epss>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev: Option<KnownExploited>,
}

/// NVD's vectors by CVE id.
pub type NvdVectors = HashMap<String, Vec<SeverityRating>>;

/// Everything the enrichment feeds said, by CVE id.
#[derive(Debug, Default)]
pub struct Enrichment {
    pub nvd: NvdVectors,
    pub epss: HashMap<String, Epss>,
    pub kev: HashMap<String, KnownExploited>,
}

impl Enrichment {
    pub fn is_empty(&self) -> bool {
        self.nvd.is_empty() && self.epss.is_empty() && self.kev.is_empty()
    }

    pub fn absorb(&mut self, other: Enrichment) {
        self.nvd.extend(other.nvd);
        self.epss.extend(other.epss);
        self.kev.extend(other.kev);
    }

    /// The context of `cve`, or `None` when no feed knows it.
    fn context(&self, cve: &VulnId) -> Option<CveContext> {
        let id = cve.as_str();
        let context = CveContext {
            cve: cve.clone(),
            nvd_cvss: self.nvd.get(id).cloned().unwrap_or_default(),
            epss: self.epss.get(id).copied(),
            kev: self.kev.get(id).cloned(),
        };
        let known = !context.nvd_cvss.is_empty() || context.epss.is_some() || context.kev.is_some();
        known.then_some(context)
    }

    /// Attaches a context to every advisory whose id, or else first alias that the feeds know,
    /// is a CVE. Returns how many advisories got one.
    pub fn apply(&self, advisories: &mut [Advisory]) -> usize {
        let mut enriched = 0;
        for advisory in advisories {
            let cves = std::iter::once(&advisory.id)
                .chain(&advisory.aliases)
                .filter(|id| id.kind() == VulnIdKind::Cve);
            advisory.context = cves.into_iter().find_map(|cve| self.context(cve));
            enriched += usize::from(advisory.context.is_some());
        }
        enriched
    }
}

/// Why an enrichment file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("{0}")]
    Document(String),
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
}

/// NVD records in any of the shapes in the module docs. Rejected CVEs and records without
/// metrics are skipped.
pub fn read_nvd(text: &str) -> Result<NvdVectors, EnrichError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') && !looks_like_json_lines(trimmed) {
        let document =
            serde_json::from_str(text).map_err(|e| EnrichError::Document(e.to_string()))?;
        let mut out = HashMap::new();
        nvd_document(&document, &mut out);
        return Ok(out);
    }
    read_nvd_lines(text.as_bytes())
}

/// NVD records as JSON lines (a page or a `cve` object per line), read one line at a time:
/// the cache's `cves.jsonl` holds all of NVD.
pub fn read_nvd_lines(reader: impl BufRead) -> Result<NvdVectors, EnrichError> {
    let mut out = HashMap::new();
    for (number, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let document = serde_json::from_str(&line).map_err(|e| EnrichError::Line {
            line: number + 1,
            message: e.to_string(),
        })?;
        nvd_document(&document, &mut out);
    }
    Ok(out)
}

/// An API page's records, or the document itself when it is one record.
fn nvd_document(document: &Value, out: &mut NvdVectors) {
    match document.get("vulnerabilities").and_then(Value::as_array) {
        Some(page) => {
            for cve in page.iter().filter_map(|item| item.get("cve")) {
                nvd_record(cve, out);
            }
        }
        None => nvd_record(document, out),
    }
}

/// More than one line, each a whole object: JSON lines, not one pretty-printed document.
fn looks_like_json_lines(text: &str) -> bool {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next().unwrap_or_default();
    lines.next().is_some() && serde_json::from_str::<Value>(first).is_ok()
}

fn nvd_record(cve: &Value, out: &mut NvdVectors) {
    let Some(id) = cve.get("id").and_then(Value::as_str) else {
        return;
    };
    if cve.get("vulnStatus").and_then(Value::as_str) == Some("Rejected") {
        return;
    }
    let Some(metrics) = cve.get("metrics") else {
        return;
    };
    let mut vectors = Vec::new();
    for key in [
        "cvssMetricV40",
        "cvssMetricV31",
        "cvssMetricV30",
        "cvssMetricV2",
    ] {
        let entries = metrics.get(key).and_then(Value::as_array);
        // NVD's own analysis (`Primary`) before a CNA's (`Secondary`).
        let best = entries.and_then(|entries| {
            entries
                .iter()
                .find(|e| e.get("type").and_then(Value::as_str) == Some("Primary"))
                .or_else(|| entries.first())
        });
        let data = best.and_then(|b| b.get("cvssData"));
        let version = data.and_then(|d| d.get("version")).and_then(Value::as_str);
        let vector = data
            .and_then(|d| d.get("vectorString"))
            .and_then(Value::as_str);
        if let (Some(version), Some(vector)) = (version, vector) {
            vectors.push(SeverityRating::Cvss {
                version: version.to_owned(),
                vector: vector.to_owned(),
            });
        }
    }
    if !vectors.is_empty() {
        out.insert(id.to_owned(), vectors);
    }
}

/// FIRST's EPSS CSV. The `#model_version` comment and the header line are skipped; a row
/// that does not parse is an error naming its line.
pub fn read_epss(reader: impl BufRead) -> Result<HashMap<String, Epss>, EnrichError> {
    let mut out = HashMap::new();
    for (number, line) in reader.lines().enumerate() {
        let line = line?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("cve,") {
            continue;
        }
        let bad = |message: &str| EnrichError::Line {
            line: number + 1,
            message: format!("{message}: {line:.80}"),
        };
        let mut fields = line.split(',');
        let (Some(cve), Some(score), Some(percentile)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(bad("expected cve,epss,percentile"));
        };
        let probability = |text: &str| text.parse::<f64>().ok().filter(|v| (0.0..=1.0).contains(v));
        let (Some(score), Some(percentile)) = (probability(score), probability(percentile)) else {
            return Err(bad("epss and percentile must be numbers from 0 to 1"));
        };
        if !cve.starts_with("CVE-") {
            return Err(bad("not a CVE id"));
        }
        out.insert(cve.to_owned(), Epss { score, percentile });
    }
    Ok(out)
}

#[derive(Deserialize)]
struct KevCatalog {
    vulnerabilities: Vec<KevEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KevEntry {
    #[serde(rename = "cveID")]
    cve_id: String,
    date_added: String,
    #[serde(default)]
    due_date: Option<String>,
    #[serde(default)]
    known_ransomware_campaign_use: Option<String>,
}

/// CISA's KEV catalog.
pub fn read_kev(text: &str) -> Result<HashMap<String, KnownExploited>, EnrichError> {
    let catalog: KevCatalog =
        serde_json::from_str(text).map_err(|e| EnrichError::Document(e.to_string()))?;
    Ok(catalog
        .vulnerabilities
        .into_iter()
        .map(|entry| {
            let known = KnownExploited {
                date_added: entry.date_added,
                due_date: entry.due_date,
                ransomware: entry
                    .known_ransomware_campaign_use
                    .is_some_and(|u| u.eq_ignore_ascii_case("known")),
            };
            (entry.cve_id, known)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NVD_SAMPLE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../../shared/vulndata/nvd-sample"
    );

    fn sample(cve: &str) -> Option<String> {
        std::fs::read_to_string(format!("{NVD_SAMPLE}/{cve}.json")).ok()
    }

    #[test]
    fn nvd_records_give_one_vector_per_version_nvd_first() {
        let Some(text) = sample("CVE-2019-9511") else {
            eprintln!("SKIP: ../shared/vulndata/nvd-sample is not here");
            return;
        };
        let vectors = read_nvd(&text).expect("a cve object");
        let versions: Vec<&str> = vectors["CVE-2019-9511"]
            .iter()
            .map(|v| match v {
                SeverityRating::Cvss { version, .. } => version.as_str(),
                SeverityRating::Label { .. } => "label",
            })
            .collect();
        assert_eq!(versions, ["3.1", "3.0", "2.0"]);
        // The page shape and JSON lines give the same.
        let cve: Value = serde_json::from_str(&text).expect("json");
        let page = serde_json::json!({"totalResults": 1, "vulnerabilities": [{"cve": cve}]});
        assert_eq!(read_nvd(&page.to_string()).expect("page"), vectors);
        let lines = format!("{}\n{}\n", cve, serde_json::json!({"id": "CVE-0000-0001"}));
        assert_eq!(read_nvd(&lines).expect("lines"), vectors);
    }

    #[test]
    fn records_without_metrics_give_nothing() {
        let Some(text) = sample("CVE-2018-25091") else {
            return;
        };
        assert!(read_nvd(&text).expect("a cve object").is_empty());
    }

    #[test]
    fn epss_rows_are_read_and_bad_rows_named() {
        let csv = "#model_version:v2025.03.14,score_date:2026-12-06T00:00:00+0000\n\
                   cve,epss,percentile\nCVE-2018-18074,0.01228,0.78531\nCVE-2019-5481,0.0211,0.8\n";
        let scores = read_epss(csv.as_bytes()).expect("valid");
        assert_eq!(scores.len(), 2);
        assert_eq!(scores["CVE-2018-18074"].percentile, 0.78531);
        let error = read_epss("cve,epss,percentile\nCVE-1,2.5,0.1\n".as_bytes()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 2: epss and percentile must be numbers from 0 to 1: CVE-1,2.5,0.1"
        );
    }

    #[test]
    fn kev_entries_keep_dates_and_ransomware_use() {
        let json = r#"{"title": "CISA Catalog of Known Exploited Vulnerabilities",
            "catalogVersion": "2026.12.05", "count": 1, "vulnerabilities": [
            {"cveID": "CVE-2019-11043", "vendorProject": "PHP", "product": "FastCGI",
             "dateAdded": "2022-03-25", "dueDate": "2022-04-15",
             "knownRansomwareCampaignUse": "Known", "notes": ""}]}"#;
        let kev = read_kev(json).expect("valid");
        assert_eq!(kev["CVE-2019-11043"].date_added, "2022-03-25");
        assert!(kev["CVE-2019-11043"].ransomware);
        assert!(read_kev("{}").is_err());
    }
}
