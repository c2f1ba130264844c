//! Scalar values of policy and acknowledgement files, checked while they are read so that
//! a bad value is reported at its own line.

use kabuto_types::Severity;
use serde::{Deserialize, Deserializer};
use time::{Date, macros::format_description};

/// `cvss_severity`: `critical`, `high`, `medium`, `low` (any case); empty means unset, as in
/// Aqua exports of policies whose severity control is off.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SeverityName(pub Option<Severity>);

impl<'de> Deserialize<'de> for SeverityName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Option::<String>::deserialize(deserializer)?.unwrap_or_default();
        if text.trim().is_empty() {
            return Ok(SeverityName(None));
        }
        match Severity::from_label(&text) {
            Some(
                severity @ (Severity::Low | Severity::Medium | Severity::High | Severity::Critical),
            ) => Ok(SeverityName(Some(severity))),
            _ => Err(serde::de::Error::custom(format!(
                "invalid severity `{text}`: expected one of critical, high, medium, low"
            ))),
        }
    }
}

/// A CVSS base score threshold, 0.0 to 10.0.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Score(pub f64);

impl<'de> Deserialize<'de> for Score {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let score = f64::deserialize(deserializer)?;
        if !(0.0..=10.0).contains(&score) {
            return Err(serde::de::Error::custom(format!(
                "score {score} is out of range: CVSS scores are 0.0 to 10.0"
            )));
        }
        Ok(Score(score))
    }
}

/// A calendar date written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateValue(pub Date);

impl<'de> Deserialize<'de> for DateValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Date::parse(&text, format_description!("[year]-[month]-[day]"))
            .map(DateValue)
            .map_err(|e| {
                serde::de::Error::custom(format!("invalid date `{text}` (want YYYY-MM-DD): {e}"))
            })
    }
}

impl std::fmt::Display for DateValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (year, month, day) = (self.0.year(), u8::from(self.0.month()), self.0.day());
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}
