use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, Time};

/// A point in time read from RFC 3339 text (`2024-01-02T03:04:05Z`, fractional seconds and
/// offsets allowed) or, as advisory feeds write it, a bare date (`2024-01-02`, midnight UTC).
///
/// The text it was read from is kept and written back unchanged: feeds keep precision and
/// offsets a re-formatting would lose, and reports and database files must not change bytes.
/// Ordered by instant, then by text.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schemars(
    with = "String",
    inline,
    description = "An RFC 3339 timestamp, or a YYYY-MM-DD date where an advisory gives only that.",
    extend("format" = "date-time")
)]
pub struct Timestamp {
    at: OffsetDateTime,
    text: Arc<str>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TimestampError {
    #[error("`{text}` is neither an RFC 3339 timestamp nor a YYYY-MM-DD date ({reason})")]
    Unparseable { text: String, reason: String },
    #[error("{at} cannot be written as RFC 3339 ({reason})")]
    Unrepresentable { at: OffsetDateTime, reason: String },
}

/// The length of `YYYY-MM-DD`; every RFC 3339 timestamp is longer.
const DATE_LEN: usize = 10;

impl Timestamp {
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        let at = OffsetDateTime::parse(text, &Rfc3339).or_else(|rfc3339_error| {
            Date::parse(text, format_description!("[year]-[month]-[day]"))
                .map(|date| date.with_time(Time::MIDNIGHT).assume_utc())
                .map_err(|_| TimestampError::Unparseable {
                    text: text.to_owned(),
                    reason: rfc3339_error.to_string(),
                })
        })?;
        Ok(Timestamp {
            at,
            text: text.into(),
        })
    }

    /// Reads an optional timestamp from untrusted input (image configs, stored reports): text
    /// that does not parse is dropped rather than failing the whole document.
    pub fn lenient<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Timestamp>, D::Error> {
        let text = Option::<String>::deserialize(deserializer)?;
        Ok(text.and_then(|text| Timestamp::parse(&text).ok()))
    }

    pub fn at(&self) -> OffsetDateTime {
        self.at
    }

    /// The text it was read from (or RFC 3339, when made from an instant).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Read from a bare `YYYY-MM-DD` date: the time of day is unknown.
    pub fn is_date_only(&self) -> bool {
        self.text.len() == DATE_LEN
    }
}

impl TryFrom<OffsetDateTime> for Timestamp {
    type Error = TimestampError;
    fn try_from(at: OffsetDateTime) -> Result<Self, Self::Error> {
        let text = at
            .format(&Rfc3339)
            .map_err(|e| TimestampError::Unrepresentable {
                at,
                reason: e.to_string(),
            })?;
        Ok(Timestamp {
            at,
            text: text.into(),
        })
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl TryFrom<String> for Timestamp {
    type Error = TimestampError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Timestamp::parse(&s)
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> Self {
        t.text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn reads_rfc3339_and_bare_dates_and_keeps_the_text() {
        let cases = [
            ("2023-10-19T16:33:01Z", datetime!(2023-10-19 16:33:01 UTC)),
            (
                "2023-10-19T16:33:01.29781Z",
                datetime!(2023-10-19 16:33:01.29781 UTC),
            ),
            (
                "2023-10-19T18:33:01+02:00",
                datetime!(2023-10-19 16:33:01 UTC),
            ),
            ("2018-02-12", datetime!(2018-02-12 00:00 UTC)),
            ("0001-01-01T00:00:00Z", datetime!(0001-01-01 00:00 UTC)),
        ];
        for (text, at) in cases {
            let t = Timestamp::parse(text).expect(text);
            assert_eq!(t.at(), at, "{text}");
            assert_eq!(t.to_string(), text);
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{text}\""));
            assert_eq!(t.is_date_only(), text.len() == 10, "{text}");
        }
    }

    #[test]
    fn rejects_other_text_with_the_text_named() {
        for text in [
            "",
            "not a date",
            "2018-02-30",
            "2018-02-12 10:00:00",
            "12/02/2018",
        ] {
            let err = Timestamp::parse(text).unwrap_err();
            assert!(err.to_string().contains(&format!("`{text}`")), "{err}");
        }
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
    }

    #[test]
    fn lenient_fields_drop_unreadable_text() {
        #[derive(Deserialize)]
        struct Config {
            #[serde(default, deserialize_with = "Timestamp::lenient")]
            created: Option<Timestamp>,
        }
        let read = |json: &str| serde_json::from_str::<Config>(json).unwrap().created;
        assert_eq!(read(r#"{"created":"last tuesday"}"#), None);
        assert_eq!(read(r#"{"created":null}"#), None);
        assert_eq!(read("{}"), None);
        assert_eq!(
            read(r#"{"created":"2024-01-01T00:00:00Z"}"#).map(|t| t.at()),
            Some(datetime!(2024-01-01 00:00 UTC))
        );
    }

    #[test]
    fn ordered_by_instant_not_text() {
        let earlier = Timestamp::parse("2023-10-19T16:33:01Z").unwrap();
        let later = Timestamp::parse("2023-10-19T16:33:01.5Z").unwrap();
        assert!(earlier < later, "text order would say otherwise");
        let offset = Timestamp::parse("2023-10-19T17:00:00+02:00").unwrap();
        assert!(offset < earlier);
    }

    #[test]
    fn made_from_an_instant_it_writes_rfc3339() {
        let t = Timestamp::try_from(datetime!(2025-01-02 03:04:05 UTC)).unwrap();
        assert_eq!(t.as_str(), "2025-01-02T03:04:05Z");
        let t = Timestamp::try_from(datetime!(2025-01-02 03:04:05.25 UTC)).unwrap();
        assert_eq!(t.as_str(), "2025-01-02T03:04:05.25Z");
        assert!(Timestamp::try_from(datetime!(-0001-01-01 00:00 UTC)).is_err());
    }
}
