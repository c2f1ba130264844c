//! A redacting holder for passwords and signing keys.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

/// What a [`Secret`] shows in Debug and Serialize output instead of its value.
pub const REDACTED: &str = "<redacted>";

/// A password or key. Its value leaves only through [`Secret::expose`]: Debug and Serialize
/// print [`REDACTED`], there is no Display, and the memory is wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The plain value, for signing, authenticating or encrypting at rest.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({REDACTED})")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_never_in_debug_or_serialize() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        assert_eq!(format!("{secret:#?}"), "Secret(<redacted>)");
        assert_eq!(
            serde_json::to_string(&secret).ok().as_deref(),
            Some("\"<redacted>\"")
        );
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn deserializes_from_a_string() {
        let secret: Result<Secret, _> = serde_json::from_str("\"k3y\"");
        assert_eq!(
            secret.ok().map(|s| s.expose().to_owned()).as_deref(),
            Some("k3y")
        );
    }
}
