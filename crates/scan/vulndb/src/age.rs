//! How old a database is, and when that deserves a warning.

use time::format_description::well_known::Rfc3339;
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
        built_at: String,
        age: Duration,
        max_age: Duration,
    },
    #[error(transparent)]
    Unreadable(#[from] UnreadableBuildTime),
}

impl DbInfo {
    /// How long before `now` the database was built (negative when its clock was ahead).
    pub fn age(&self, now: OffsetDateTime) -> Result<Duration, UnreadableBuildTime> {
        let built =
            OffsetDateTime::parse(&self.built_at, &Rfc3339).map_err(|e| UnreadableBuildTime {
                built_at: self.built_at.clone(),
                reason: e.to_string(),
            })?;
        Ok(now - built)
    }
}

/// The warning for a database built more than `max_age` before `now`, or whose build time
/// cannot be read; `None` when it is fresh enough.
pub fn age_warning(info: &DbInfo, max_age: Duration, now: OffsetDateTime) -> Option<AgeWarning> {
    match info.age(now) {
        Ok(age) if age > max_age => Some(AgeWarning::Stale {
            built_at: info.built_at.clone(),
            age,
            max_age,
        }),
        Ok(_) => None,
        Err(unreadable) => Some(unreadable.into()),
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
