//! Scalar values of policy and acknowledgement files, checked while they are read so that
//! a bad value is reported at its own line.

use kabuto_types::Severity;
use serde::{Deserialize, Deserializer};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, macros::format_description};

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

/// `epss_score`: a probability, 0.0 to 1.0, as FIRST publishes EPSS scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Probability(pub f64);

impl<'de> Deserialize<'de> for Probability {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(deserializer)?;
        if !(0.0..=1.0).contains(&value) {
            return Err(serde::de::Error::custom(format!(
                "{value} is out of range: EPSS scores are probabilities from 0.0 to 1.0"
            )));
        }
        Ok(Probability(value))
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

/// Aqua's `lastupdate`: unix seconds (as Aqua exports it), an RFC 3339 time, or a
/// `YYYY-MM-DD` date (midnight UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub OffsetDateTime);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TimestampVisitor)
    }
}

struct TimestampVisitor;

impl serde::de::Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("unix seconds, an RFC 3339 time or a YYYY-MM-DD date")
    }

    fn visit_i64<E: serde::de::Error>(self, seconds: i64) -> Result<Timestamp, E> {
        OffsetDateTime::from_unix_timestamp(seconds)
            .map(Timestamp)
            .map_err(|e| E::custom(format!("{seconds} is not a time in unix seconds: {e}")))
    }

    fn visit_u64<E: serde::de::Error>(self, seconds: u64) -> Result<Timestamp, E> {
        let seconds = i64::try_from(seconds)
            .map_err(|_| E::custom(format!("{seconds} is not a time in unix seconds")))?;
        self.visit_i64(seconds)
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Timestamp, E> {
        let text = text.trim();
        if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
            return Ok(Timestamp(at));
        }
        Date::parse(text, format_description!("[year]-[month]-[day]"))
            .map(|date| Timestamp(date.midnight().assume_utc()))
            .map_err(|_| {
                E::custom(format!(
                    "invalid time `{text}`: want unix seconds, an RFC 3339 time \
                     (2025-12-06T00:00:00Z) or a date (2025-12-06)"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_every_written_form() {
        let read = |yaml: &str| serde_yaml::from_str::<Timestamp>(yaml).map(|t| t.0);
        let midnight = time::macros::datetime!(2025-12-06 00:00 UTC);
        assert_eq!(read("1764979200").unwrap(), midnight);
        assert_eq!(read("2025-12-06").unwrap(), midnight);
        assert_eq!(read("'2025-12-06T01:00:00+01:00'").unwrap(), midnight);
        for bad in ["2025-13-01", "yesterday", "-99999999999999999", "1.5"] {
            assert!(read(bad).is_err(), "{bad} should be refused");
        }
    }
}
