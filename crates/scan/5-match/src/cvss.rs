//! CVSS vectors: parse v2, v3.x and v4.0; compute v2 and v3.x base scores
//! (FIRST specifications, v2 section 3.2.1 and v3.1 section 7.1 with Appendix A rounding).

use std::collections::HashMap;

/// A vector that cannot be read.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("invalid CVSS vector `{vector}`: {reason}")]
pub struct CvssError {
    pub vector: String,
    pub reason: String,
}

/// A parsed vector: its version and base score, when the version is scored here.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// `2.0`, `3.0`, `3.1` or `4.0`.
    pub version: String,
    /// Base score; None for v4.0 (parsed and kept, not scored).
    pub score: Option<f64>,
}

fn metrics<'a>(
    vector: &'a str,
    parts: impl Iterator<Item = &'a str>,
) -> Result<HashMap<&'a str, &'a str>, CvssError> {
    let mut map = HashMap::new();
    for part in parts {
        let (k, v) = part.split_once(':').ok_or_else(|| CvssError {
            vector: vector.to_owned(),
            reason: format!("`{part}` is not METRIC:VALUE"),
        })?;
        map.insert(k, v);
    }
    Ok(map)
}

/// Parses a vector. `version_hint` is used for bare v2 vectors (`AV:N/AC:L/Au:N/...`), which
/// carry no prefix.
pub fn parse(vector: &str, version_hint: Option<&str>) -> Result<Parsed, CvssError> {
    let vector = vector.trim();
    let mut parts = vector.split('/');
    let (version, rest): (String, Vec<&str>) = match vector.strip_prefix("CVSS:") {
        Some(_) => {
            let head = parts.next().unwrap_or_default();
            (head.trim_start_matches("CVSS:").to_owned(), parts.collect())
        }
        None => (
            version_hint.unwrap_or("2.0").to_owned(),
            vector
                .trim_start_matches('(')
                .trim_end_matches(')')
                .split('/')
                .collect(),
        ),
    };
    let m = metrics(vector, rest.into_iter())?;
    let score = match version.as_str() {
        "2.0" | "2" => Some(v2_base(vector, &m)?),
        "3.0" | "3.1" => Some(v3_base(vector, &m)?),
        "4.0" => {
            for key in [
                "AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA",
            ] {
                if !m.contains_key(key) {
                    return Err(missing(vector, key));
                }
            }
            None
        }
        other => {
            return Err(CvssError {
                vector: vector.to_owned(),
                reason: format!("unknown CVSS version `{other}`"),
            });
        }
    };
    Ok(Parsed { version, score })
}

fn missing(vector: &str, key: &str) -> CvssError {
    CvssError {
        vector: vector.to_owned(),
        reason: format!("metric `{key}` missing or invalid"),
    }
}

fn weight(
    vector: &str,
    m: &HashMap<&str, &str>,
    key: &str,
    table: &[(&str, f64)],
) -> Result<f64, CvssError> {
    let value = m.get(key).ok_or_else(|| missing(vector, key))?;
    table
        .iter()
        .find(|(v, _)| v == value)
        .map(|(_, w)| *w)
        .ok_or_else(|| missing(vector, key))
}

/// CVSS v3.1 Roundup: the smallest number with one decimal that is >= the input, computed on
/// integers to avoid floating-point surprises.
fn roundup(x: f64) -> f64 {
    let int_input = (x * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) + 1) as f64 / 10.0
    }
}

fn v3_base(vector: &str, m: &HashMap<&str, &str>) -> Result<f64, CvssError> {
    let scope_changed = match m.get("S") {
        Some(&"U") => false,
        Some(&"C") => true,
        _ => return Err(missing(vector, "S")),
    };
    let av = weight(
        vector,
        m,
        "AV",
        &[("N", 0.85), ("A", 0.62), ("L", 0.55), ("P", 0.2)],
    )?;
    let ac = weight(vector, m, "AC", &[("L", 0.77), ("H", 0.44)])?;
    let pr = if scope_changed {
        weight(vector, m, "PR", &[("N", 0.85), ("L", 0.68), ("H", 0.5)])?
    } else {
        weight(vector, m, "PR", &[("N", 0.85), ("L", 0.62), ("H", 0.27)])?
    };
    let ui = weight(vector, m, "UI", &[("N", 0.85), ("R", 0.62)])?;
    let cia = [("H", 0.56), ("L", 0.22), ("N", 0.0)];
    let c = weight(vector, m, "C", &cia)?;
    let i = weight(vector, m, "I", &cia)?;
    let a = weight(vector, m, "A", &cia)?;
    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if scope_changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    Ok(if impact <= 0.0 {
        0.0
    } else if scope_changed {
        roundup((1.08 * (impact + exploitability)).min(10.0))
    } else {
        roundup((impact + exploitability).min(10.0))
    })
}

fn v2_base(vector: &str, m: &HashMap<&str, &str>) -> Result<f64, CvssError> {
    let av = weight(vector, m, "AV", &[("L", 0.395), ("A", 0.646), ("N", 1.0)])?;
    let ac = weight(vector, m, "AC", &[("H", 0.35), ("M", 0.61), ("L", 0.71)])?;
    let au = weight(vector, m, "Au", &[("M", 0.45), ("S", 0.56), ("N", 0.704)])?;
    let cia = [("N", 0.0), ("P", 0.275), ("C", 0.660)];
    let c = weight(vector, m, "C", &cia)?;
    let i = weight(vector, m, "I", &cia)?;
    let a = weight(vector, m, "A", &cia)?;
    let impact = 10.41 * (1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a));
    let exploitability = 20.0 * av * ac * au;
    let f = if impact == 0.0 { 0.0 } else { 1.176 };
    let base = ((0.6 * impact) + (0.4 * exploitability) - 1.5) * f;
    Ok((base * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_scores_match_the_nvd_calculator() {
        // Vector -> base score pairs as published by NVD for well-known CVEs.
        let cases = [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8), // CVE-2019-11324-class
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0), // CVE-2021-44228
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1), // typical reflected XSS
            ("CVSS:3.0/AV:N/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:L", 2.0), // nodejs-security-wg 410
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8), // local privilege escalation
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9), // CVE-2016-2183 (Sweet32)
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        ];
        for (vector, want) in cases {
            let p = parse(vector, None).unwrap();
            assert_eq!(p.score, Some(want), "{vector}");
        }
    }

    #[test]
    fn v2_scores_match_the_nvd_calculator() {
        let cases = [
            ("AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5),
            ("AV:N/AC:M/Au:N/C:N/I:P/A:N", 4.3),
            ("AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0),
            ("AV:L/AC:L/Au:N/C:P/I:N/A:N", 2.1),
        ];
        for (vector, want) in cases {
            let p = parse(vector, Some("2.0")).unwrap();
            assert_eq!(
                (p.version.as_str(), p.score),
                ("2.0", Some(want)),
                "{vector}"
            );
        }
    }

    #[test]
    fn v4_is_parsed_not_scored_and_garbage_is_refused() {
        let v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
        assert_eq!(parse(v4, None).unwrap().score, None);
        assert!(parse("CVSS:4.0/AV:N", None).is_err());
        assert!(parse("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", None).is_err());
        assert!(parse("CVSS:9.9/AV:N", None).is_err());
        assert!(parse("nonsense", None).is_err());
    }
}
