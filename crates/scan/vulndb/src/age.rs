//! How old a database is, and when that deserves a warning.

use std::fmt;

use kabuto_types::{Timestamp, TimestampError};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::db::DbInfo;

/// How old a database may be before scans warn, unless the user says otherwise.
pub const DEFAULT_MAX_AGE_DAYS: u64 = 7;

/// The header's build time does not parse: the database's age is unknown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("has an unreadable build time `{built_at}` ({reason}); it may be out of date")]
pub struct UnreadableBuildTime {
    pub built_at: String,
    pub reason: String,
}

/// The header's build time. A database written by someone else may hold any text there: it is
/// kept as written (the header's bytes do not change) and makes the age unknown, not the file
/// unreadable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum BuildTime {
    At(Timestamp),
    Unreadable(UnreadableBuildTime),
}

impl BuildTime {
    /// The text in the header.
    pub fn as_str(&self) -> &str {
        match self {
            BuildTime::At(at) => at.as_str(),
            BuildTime::Unreadable(unreadable) => &unreadable.built_at,
        }
    }
}

impl From<OffsetDateTime> for BuildTime {
    fn from(at: OffsetDateTime) -> Self {
        match Timestamp::try_from(at) {
            Ok(at) => BuildTime::At(at),
            Err(e) => BuildTime::Unreadable(UnreadableBuildTime {
                built_at: String::new(),
                reason: e.to_string(),
            }),
        }
    }
}

impl From<String> for BuildTime {
    fn from(text: String) -> Self {
        match Timestamp::parse(&text) {
            Ok(at) => BuildTime::At(at),
            Err(e) => BuildTime::Unreadable(UnreadableBuildTime {
                built_at: text,
                reason: match e {
                    TimestampError::Unparseable { reason, .. } => reason,
                    other => other.to_string(),
                },
            }),
        }
    }
}

impl From<&str> for BuildTime {
    fn from(text: &str) -> Self {
        BuildTime::from(text.to_owned())
    }
}

impl From<BuildTime> for String {
    fn from(built_at: BuildTime) -> Self {
        built_at.as_str().to_owned()
    }
}

impl fmt::Display for BuildTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the user should update the database. Its text follows "the vulnerability database"
/// (and the database's path, where the caller has one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgeWarning {
    /// Built more than the allowed age ago: advisories published since are missing.
    #[error(
        "was built {} ago ({built_at}), more than the allowed {}; advisories published since are missing",
        days_or_hours(*age),
        days_or_hours(*max_age)
    )]
    Stale {
        built_at: Timestamp,
        age: Duration,
        max_age: Duration,
    },
    #[error(transparent)]
    Unreadable(#[from] UnreadableBuildTime),
}

impl DbInfo {
    /// How long before `now` the database was built (negative when its clock was ahead).
    pub fn age(&self, now: OffsetDateTime) -> Result<Duration, UnreadableBuildTime> {
        match &self.built_at {
            BuildTime::At(built) => Ok(now - built.at()),
            BuildTime::Unreadable(unreadable) => Err(unreadable.clone()),
        }
    }
}

/// The warning for a database built more than `max_age` before `now`, or whose build time
/// cannot be read; `None` when it is fresh enough.
pub fn age_warning(info: &DbInfo, max_age: Duration, now: OffsetDateTime) -> Option<AgeWarning> {
    match &info.built_at {
        BuildTime::At(built) if now - built.at() > max_age => Some(AgeWarning::Stale {
            built_at: built.clone(),
            age: now - built.at(),
            max_age,
        }),
        BuildTime::At(_) => None,
        BuildTime::Unreadable(unreadable) => Some(unreadable.clone().into()),
    }
}

/// `n` days, saturating at the longest duration (for limits given on the command line).
pub fn days(n: u64) -> Duration {
    Duration::DAY.saturating_mul(i32::try_from(n).unwrap_or(i32::MAX))
}

fn days_or_hours(d: Duration) -> String {
    match d.whole_days() {
        0 => format!("{} hours", d.whole_hours()),
        1 => "1 day".to_owned(),
        n => format!("{n} days"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_times_are_written_back_as_read() {
        for text in ["2026-05-01T12:00:00.123456789Z", "last tuesday", ""] {
            let json = serde_json::to_string(text).unwrap();
            let built_at: BuildTime = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&built_at).unwrap(), json);
        }
        let BuildTime::Unreadable(u) = BuildTime::from("last tuesday") else {
            panic!("read a date from text");
        };
        assert!(!u.reason.contains("last tuesday"), "{}", u.reason);
    }

    #[test]
    fn a_new_build_time_is_rfc3339() {
        let at = time::macros::datetime!(2026-05-01 12:00:00.5 UTC);
        assert_eq!(BuildTime::from(at).as_str(), "2026-05-01T12:00:00.5Z");
    }
}
