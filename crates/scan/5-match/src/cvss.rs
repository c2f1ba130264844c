//! CVSS vectors: parse and score v2.0, v3.0, v3.1 and v4.0 base vectors with RustSec's `cvss`
//! crate (FIRST specifications; v4.0 through its MacroVector lookup tables).

use std::str::FromStr;

/// A vector that cannot be read.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("invalid CVSS vector `{vector}`: {reason}")]
pub struct CvssError {
    pub vector: String,
    pub reason: String,
}

/// A parsed vector: its version and base score.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// `2.0`, `3.0`, `3.1` or `4.0`.
    pub version: String,
    /// Base score (for v4.0: CVSS-B, or CVSS-BT/BE/BTE when the vector carries those metrics).
    pub score: f64,
}

/// Parses and scores a vector. `version_hint` names the version of bare v2 vectors
/// (`AV:N/AC:L/Au:N/...`, sometimes in parentheses), which carry no prefix.
pub fn parse(vector: &str, version_hint: Option<&str>) -> Result<Parsed, CvssError> {
    let trimmed = vector.trim();
    let error = |reason: String| CvssError {
        vector: trimmed.to_owned(),
        reason,
    };
    let bare = !trimmed.starts_with("CVSS:");
    if bare && !matches!(version_hint, None | Some("2" | "2.0")) {
        return Err(error(format!(
            "a CVSS {} vector must start with `CVSS:`",
            version_hint.unwrap_or_default()
        )));
    }
    let text = if bare {
        trimmed.trim_start_matches('(').trim_end_matches(')')
    } else {
        trimmed
    };
    let parsed = cvss::Cvss::from_str(text).map_err(|e| error(e.to_string()))?;
    let version = match parsed {
        cvss::Cvss::CvssV20(_) => "2.0",
        cvss::Cvss::CvssV30(_) => "3.0",
        cvss::Cvss::CvssV31(_) => "3.1",
        cvss::Cvss::CvssV40(_) => "4.0",
        _ => return Err(error("unsupported CVSS version".to_owned())),
    };
    Ok(Parsed {
        version: version.to_owned(),
        score: parsed.score(),
    })
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
            assert_eq!(p.score, want, "{vector}");
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
            assert_eq!((p.version.as_str(), p.score), ("2.0", want), "{vector}");
        }
    }

    #[test]
    fn v4_scores_match_the_first_calculator() {
        // Vector -> CVSS-B score pairs from FIRST's v4.0 calculator, as GitHub advisories show them.
        let cases = [
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                9.3,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
                10.0,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N",
                8.7,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N",
                5.3,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N",
                5.1,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                7.7,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:N/VI:H/VA:N/SC:N/SI:N/SA:N",
                8.2,
            ),
            (
                "CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N",
                8.3,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
                0.0,
            ),
        ];
        for (vector, want) in cases {
            let p = parse(vector, Some("4.0")).unwrap();
            assert_eq!((p.version.as_str(), p.score), ("4.0", want), "{vector}");
        }
    }

    #[test]
    fn garbage_is_refused() {
        assert!(parse("CVSS:4.0/AV:N", None).is_err());
        assert!(parse("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", None).is_err());
        assert!(parse("CVSS:9.9/AV:N", None).is_err());
        assert!(parse("nonsense", None).is_err());
        assert!(parse("", None).is_err());
        // A bare vector labelled v3 is not silently read as v2.
        assert!(parse("AV:N/AC:L/Au:N/C:P/I:P/A:P", Some("3.1")).is_err());
    }
}
