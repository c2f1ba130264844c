use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::AuthError;

pub(crate) const MAX_CHARS: usize = 64;

/// A user account's id: 1 to 64 characters of `A-Z a-z 0-9 . _ @ -`, not starting with `-` or
/// `.`.
///
/// The alphabet keeps ids safe in URLs, log lines and file names without escaping, and allows
/// e-mail-like ids; the start rule keeps ids from looking like command-line options or hidden
/// files.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String")]
pub struct UserId(String);

impl UserId {
    /// The id of the built-in administrator account (the same as Aqua's).
    pub const ADMINISTRATOR: &'static str = "administrator";

    /// The built-in administrator account, [`UserId::ADMINISTRATOR`].
    pub fn administrator() -> UserId {
        UserId(Self::ADMINISTRATOR.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks the rules in the order a person reads them: length, then each character, so the
/// error names the first rule broken.
fn check(id: &str) -> Result<(), AuthError> {
    let chars = id.chars().count();
    if chars == 0 {
        return Err(AuthError::UserIdEmpty);
    }
    if chars > MAX_CHARS {
        return Err(AuthError::UserIdTooLong { chars });
    }
    if let Some((index, found)) = id.chars().enumerate().find(|(_, c)| !allowed(*c)) {
        return Err(AuthError::UserIdBadCharacter {
            found,
            position: index + 1,
        });
    }
    match id.chars().next() {
        Some(found @ ('-' | '.')) => Err(AuthError::UserIdBadStart { found }),
        _ => Ok(()),
    }
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-')
}

impl TryFrom<String> for UserId {
    type Error = AuthError;

    fn try_from(id: String) -> Result<Self, AuthError> {
        check(&id)?;
        Ok(UserId(id))
    }
}

impl FromStr for UserId {
    type Err = AuthError;

    fn from_str(id: &str) -> Result<Self, AuthError> {
        UserId::try_from(id.to_owned())
    }
}

impl From<UserId> for String {
    fn from(id: UserId) -> String {
        id.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn error(id: &str) -> String {
        id.parse::<UserId>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn accepts_ids_within_the_rules() {
        let longest = "a".repeat(64);
        for id in [
            "a",
            "administrator",
            "jane.doe@example.com",
            "ci_bot-2",
            "_x",
            "@x",
            &longest,
        ] {
            assert_eq!(
                id.parse::<UserId>().ok().as_ref().map(UserId::as_str),
                Some(id)
            );
        }
    }

    #[test]
    fn errors_name_the_rule_broken() {
        assert_eq!(error(""), "user id is empty; it needs 1 to 64 characters");
        assert_eq!(
            error(&"a".repeat(65)),
            "user id has 65 characters; at most 64 are allowed"
        );
        assert_eq!(
            error("jane doe"),
            "user id has ' ' at character 5; only letters A-Z a-z, digits and `.` `_` `@` `-` are allowed"
        );
        assert_eq!(
            error("é"),
            "user id has 'é' at character 1; only letters A-Z a-z, digits and `.` `_` `@` `-` are allowed"
        );
        assert_eq!(
            error("-rf"),
            "user id starts with '-'; it must not start with `-` or `.`"
        );
        assert_eq!(
            error(".hidden"),
            "user id starts with '.'; it must not start with `-` or `.`"
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 33 two-byte characters are 66 bytes but within the length rule; 65 are not.
        assert!(error(&"é".repeat(33)).starts_with("user id has 'é' at character 1"));
        assert_eq!(
            error(&"é".repeat(65)),
            "user id has 65 characters; at most 64 are allowed"
        );
    }

    #[test]
    fn administrator_is_a_valid_id() {
        let parsed = UserId::ADMINISTRATOR.parse::<UserId>().ok();
        assert_eq!(parsed, Some(UserId::administrator()));
    }

    #[test]
    fn serde_is_a_plain_string_validated_on_the_way_in() {
        let id = UserId::administrator();
        assert_eq!(
            serde_json::to_string(&id).ok().as_deref(),
            Some("\"administrator\"")
        );
        assert!(serde_json::from_str::<UserId>("\"jane\"").is_ok());
        let bad = serde_json::from_str::<UserId>("\"-jane\"")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            bad.as_deref(),
            Some("user id starts with '-'; it must not start with `-` or `.`")
        );
    }

    proptest! {
        #[test]
        fn try_from_never_panics_and_accepts_exactly_the_rules(id in any::<String>()) {
            let expected = (1..=64).contains(&id.chars().count())
                && id.chars().all(allowed)
                && !id.starts_with(['-', '.']);
            prop_assert_eq!(UserId::try_from(id).is_ok(), expected);
        }

        #[test]
        fn ids_from_the_alphabet_round_trip(id in "[A-Za-z0-9_@][A-Za-z0-9._@-]{0,63}") {
            let parsed = UserId::try_from(id.clone()).ok();
            prop_assert_eq!(parsed.as_ref().map(UserId::as_str), Some(id.as_str()));
        }
    }
}
