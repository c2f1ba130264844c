//! Typed readers for the enrichment feeds in the cache: NVD CVE records (CVSS), FIRST EPSS
//! scores and the CISA KEV catalog.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::Deserialize;

/// Why an enrichment file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}: {message}")]
    Invalid {
        file: String,
        line: usize,
        message: String,
    },
}

fn open(path: &Path) -> Result<File, ReadError> {
    File::open(path).map_err(|source| ReadError::Io {
        file: path.display().to_string(),
        source,
    })
}

/// A CVSS version NVD publishes, in the order of preference (best last).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CvssVersion {
    V2,
    V30,
    V31,
    V40,
}

/// One entry of `metrics.cvssMetricV*`.
#[derive(Debug, Clone, PartialEq)]
pub struct CvssScore {
    pub version: CvssVersion,
    pub vector: String,
    pub score: f64,
    /// `cvssData.baseSeverity` (v3/v4) or the metric's `baseSeverity` (v2).
    pub severity: Option<String>,
    /// Who scored it (`nvd@nist.gov`, a CNA).
    pub source: String,
    /// NVD's own score (`type: Primary`) rather than a CNA's (`Secondary`).
    pub primary: bool,
}

/// The parts of an NVD API 2.0 `cve` object enrichment uses.
#[derive(Debug, Clone, PartialEq)]
pub struct NvdRecord {
    pub id: String,
    pub status: Option<String>,
    pub cvss: Vec<CvssScore>,
}

impl NvdRecord {
    /// Parses one `cve` object (a line of `nvd/cves.jsonl`).
    pub fn from_json(text: &str) -> Result<NvdRecord, serde_json::Error> {
        serde_json::from_str::<RawCve>(text).map(NvdRecord::from)
    }

    /// The score to show: the newest CVSS version (v4.0 > v3.1 > v3.0 > v2), NVD's own
    /// (Primary) before a CNA's within a version.
    pub fn preferred(&self) -> Option<&CvssScore> {
        self.cvss.iter().max_by_key(|s| (s.version, s.primary))
    }

    /// Rejected records carry no affected product.
    pub fn is_rejected(&self) -> bool {
        self.status.as_deref() == Some("Rejected")
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCve {
    id: String,
    #[serde(default)]
    vuln_status: Option<String>,
    #[serde(default)]
    metrics: RawMetrics,
}

#[derive(Deserialize, Default)]
struct RawMetrics {
    #[serde(default, rename = "cvssMetricV40")]
    v40: Vec<RawMetric>,
    #[serde(default, rename = "cvssMetricV31")]
    v31: Vec<RawMetric>,
    #[serde(default, rename = "cvssMetricV30")]
    v30: Vec<RawMetric>,
    #[serde(default, rename = "cvssMetricV2")]
    v2: Vec<RawMetric>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMetric {
    source: String,
    #[serde(rename = "type")]
    kind: String,
    cvss_data: RawCvssData,
    #[serde(default)]
    base_severity: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCvssData {
    vector_string: String,
    base_score: f64,
    #[serde(default)]
    base_severity: Option<String>,
}

impl From<RawCve> for NvdRecord {
    fn from(raw: RawCve) -> Self {
        let RawMetrics { v40, v31, v30, v2 } = raw.metrics;
        let cvss = [
            (CvssVersion::V40, v40),
            (CvssVersion::V31, v31),
            (CvssVersion::V30, v30),
            (CvssVersion::V2, v2),
        ]
        .into_iter()
        .flat_map(|(version, metrics)| {
            metrics.into_iter().map(move |m| CvssScore {
                version,
                vector: m.cvss_data.vector_string,
                score: m.cvss_data.base_score,
                severity: m.cvss_data.base_severity.or(m.base_severity),
                source: m.source,
                primary: m.kind == "Primary",
            })
        })
        .collect();
        NvdRecord {
            id: raw.id,
            status: raw.vuln_status,
            cvss,
        }
    }
}

/// Reads `nvd/cves.jsonl` (one `cve` object per line), calling `each` per record.
pub fn read_nvd_cves(path: &Path, mut each: impl FnMut(NvdRecord)) -> Result<usize, ReadError> {
    let file = path.display().to_string();
    let mut count = 0;
    for (index, line) in BufReader::new(open(path)?).lines().enumerate() {
        let line = line.map_err(|source| ReadError::Io {
            file: file.clone(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let record = NvdRecord::from_json(&line).map_err(|e| ReadError::Invalid {
            file: file.clone(),
            line: index + 1,
            message: format!("NVD cve object: {e}"),
        })?;
        each(record);
        count += 1;
    }
    Ok(count)
}

/// One CVE's EPSS figures, both in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Epss {
    pub score: f64,
    pub percentile: f64,
}

/// FIRST's EPSS CSV: `#model_version:...,score_date:...` then `cve,epss,percentile` rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EpssScores {
    pub model_version: Option<String>,
    pub score_date: Option<String>,
    pub scores: HashMap<String, Epss>,
}

impl EpssScores {
    /// Reads the gzipped CSV as published (`epss/epss_scores.csv.gz`).
    pub fn read_gz(path: &Path) -> Result<EpssScores, ReadError> {
        let decoder = flate2::read::GzDecoder::new(BufReader::new(open(path)?));
        EpssScores::read(&path.display().to_string(), BufReader::new(decoder))
    }

    /// Reads the CSV text; `file` names it in errors.
    pub fn read(file: &str, reader: impl BufRead) -> Result<EpssScores, ReadError> {
        let invalid = |line: usize, message: String| ReadError::Invalid {
            file: file.to_owned(),
            line,
            message,
        };
        let mut epss = EpssScores::default();
        let mut header_seen = false;
        for (index, line) in reader.lines().enumerate() {
            let number = index + 1;
            let line = line.map_err(|source| ReadError::Io {
                file: file.to_owned(),
                source,
            })?;
            let line = line.trim();
            if let Some(comment) = line.strip_prefix('#') {
                epss.read_comment(comment);
            } else if line.is_empty() {
                continue;
            } else if !header_seen {
                if line != "cve,epss,percentile" {
                    return Err(invalid(
                        number,
                        format!("expected the header `cve,epss,percentile`, found `{line}`"),
                    ));
                }
                header_seen = true;
            } else {
                let (cve, figures) = parse_epss_row(line).map_err(|m| invalid(number, m))?;
                epss.scores.insert(cve, figures);
            }
        }
        if !header_seen {
            return Err(invalid(0, "no `cve,epss,percentile` header".into()));
        }
        Ok(epss)
    }

    fn read_comment(&mut self, comment: &str) {
        for part in comment.split(',') {
            match part.split_once(':') {
                Some(("model_version", v)) => self.model_version = Some(v.to_owned()),
                Some(("score_date", v)) => self.score_date = Some(v.to_owned()),
                _ => {}
            }
        }
    }
}

fn parse_epss_row(line: &str) -> Result<(String, Epss), String> {
    let mut fields = line.split(',');
    let (Some(cve), Some(score), Some(percentile), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(format!("expected `cve,epss,percentile`, found `{line}`"));
    };
    let fraction = |name: &str, text: &str| {
        text.parse::<f64>()
            .ok()
            .filter(|v| (0.0..=1.0).contains(v))
            .ok_or_else(|| format!("{name} `{text}` is not a number from 0 to 1"))
    };
    if !cve.starts_with("CVE-") {
        return Err(format!("`{cve}` is not a CVE id"));
    }
    let figures = Epss {
        score: fraction("epss", score)?,
        percentile: fraction("percentile", percentile)?,
    };
    Ok((cve.to_owned(), figures))
}

/// One entry of CISA's Known Exploited Vulnerabilities catalog.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KevEntry {
    #[serde(rename = "cveID")]
    pub cve_id: String,
    /// `YYYY-MM-DD`.
    pub date_added: String,
    #[serde(default)]
    pub due_date: Option<String>,
    /// `Known` or `Unknown`.
    #[serde(default)]
    pub known_ransomware_campaign_use: Option<String>,
}

/// `known_exploited_vulnerabilities.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KevCatalog {
    #[serde(default)]
    pub catalog_version: Option<String>,
    #[serde(default)]
    pub date_released: Option<String>,
    pub vulnerabilities: Vec<KevEntry>,
}

impl KevCatalog {
    pub fn read(path: &Path) -> Result<KevCatalog, ReadError> {
        let mut text = String::new();
        open(path)?
            .read_to_string(&mut text)
            .map_err(|source| ReadError::Io {
                file: path.display().to_string(),
                source,
            })?;
        KevCatalog::from_json(&path.display().to_string(), &text)
    }

    pub fn from_json(file: &str, text: &str) -> Result<KevCatalog, ReadError> {
        let catalog: KevCatalog = serde_json::from_str(text).map_err(|e| ReadError::Invalid {
            file: file.to_owned(),
            line: e.line(),
            message: format!("KEV catalog: {e}"),
        })?;
        if let Some(bad) = catalog
            .vulnerabilities
            .iter()
            .find(|e| !is_date(&e.date_added))
        {
            return Err(ReadError::Invalid {
                file: file.to_owned(),
                line: 0,
                message: format!(
                    "{}: dateAdded `{}` is not YYYY-MM-DD",
                    bad.cve_id, bad.date_added
                ),
            });
        }
        Ok(catalog)
    }
}

fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPSS: &str = "#model_version:v2025.03.14,score_date:2026-11-22T12:55:00Z\n\
cve,epss,percentile\n\
CVE-2024-3094,0.84216,0.99277\n\
CVE-1999-0001,0.01146,0.77710\n";

    #[test]
    fn epss_csv_as_published() {
        let epss = EpssScores::read("epss.csv", EPSS.as_bytes()).expect("valid");
        assert_eq!(epss.model_version.as_deref(), Some("v2025.03.14"));
        assert_eq!(epss.score_date.as_deref(), Some("2026-11-22T12:55:00Z"));
        assert_eq!(
            epss.scores.get("CVE-2024-3094"),
            Some(&Epss {
                score: 0.84216,
                percentile: 0.99277
            })
        );
        assert_eq!(epss.scores.len(), 2);
    }

    #[test]
    fn bad_epss_rows_name_their_line() {
        let text = EPSS.replace("0.01146", "1.5");
        let error = EpssScores::read("epss.csv", text.as_bytes()).expect_err("refused");
        assert_eq!(
            error.to_string(),
            "epss.csv:4: epss `1.5` is not a number from 0 to 1"
        );
        let error = EpssScores::read("e", "cve,score\n".as_bytes()).expect_err("refused");
        assert!(
            error.to_string().starts_with("e:1: expected the header"),
            "{error}"
        );
    }

    #[test]
    fn kev_catalog_as_published() {
        let text = r#"{"title": "CISA Catalog of Known Exploited Vulnerabilities",
            "catalogVersion": "2026.11.20", "dateReleased": "2026-11-20T17:01:43.7316Z", "count": 1,
            "vulnerabilities": [{"cveID": "CVE-2024-3094", "vendorProject": "Tukaani",
            "product": "XZ Utils", "vulnerabilityName": "backdoor", "dateAdded": "2024-03-29",
            "shortDescription": "...", "requiredAction": "...", "dueDate": "2024-04-19",
            "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": ["CWE-506"]}]}"#;
        let kev = KevCatalog::from_json("kev.json", text).expect("valid");
        assert_eq!(kev.catalog_version.as_deref(), Some("2026.11.20"));
        assert_eq!(kev.vulnerabilities[0].cve_id, "CVE-2024-3094");
        assert_eq!(kev.vulnerabilities[0].date_added, "2024-03-29");
        let bad = text.replace("2024-03-29", "29/03/2024");
        assert!(KevCatalog::from_json("kev.json", &bad).is_err());
    }
}
