use std::fmt;

use argon2::password_hash::{
    PasswordHash as Phc, PasswordHasher as _, PasswordVerifier as _, SaltString,
};
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Params, Version};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::AuthError;
use crate::random::os_random;

pub(crate) const MIN_CHARS: usize = 12;
/// Argon2 accepts any length, but an unbounded password is a free CPU/memory amplifier for
/// whoever sends it.
pub(crate) const MAX_BYTES: usize = 1024;

/// OWASP's argon2id recommendation (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane.
const OWASP_PARAMS: Params = match Params::new(19_456, 2, 1, None) {
    Ok(params) => params,
    Err(_) => panic!("the OWASP argon2 parameters are within argon2's limits"),
};

/// Ceilings for stored hashes: a hash from a tampered or foreign database must not make one
/// login allocate gigabytes or run for minutes. Far above [`OWASP_PARAMS`], so stronger
/// parameters chosen later still verify.
pub(crate) const MAX_MEMORY_KIB: u32 = 256 * 1024;
pub(crate) const MAX_ITERATIONS: u32 = 16;

/// A plaintext password as a user typed it.
///
/// It has no `Display` and no `Serialize`, its `Debug` is redacted, and its memory is wiped on
/// drop, so it cannot end up in a log line, a response or a core dump by accident.
#[derive(Deserialize)]
#[serde(try_from = "String")]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Accepts 12 or more characters, at most 1024 bytes, not only whitespace.
    pub fn new(plaintext: String) -> Result<Password, AuthError> {
        // Wrapped first so that a rejected password is wiped too.
        let plaintext = Zeroizing::new(plaintext);
        if plaintext.len() > MAX_BYTES {
            return Err(AuthError::PasswordTooLong);
        }
        if plaintext.chars().count() < MIN_CHARS {
            return Err(AuthError::PasswordTooShort);
        }
        if plaintext.chars().all(char::is_whitespace) {
            return Err(AuthError::PasswordBlank);
        }
        Ok(Password(plaintext))
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl TryFrom<String> for Password {
    type Error = AuthError;

    fn try_from(plaintext: String) -> Result<Self, AuthError> {
        Password::new(plaintext)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A stored argon2id password hash in PHC string form (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`).
///
/// The string carries its own parameters and salt, so hashes made with different parameters
/// keep verifying after the defaults change.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Hashes with argon2id, OWASP's parameters (m=19456 KiB, t=2, p=1) and a fresh 16-byte
    /// random salt.
    pub fn new(password: &Password) -> Result<PasswordHash, AuthError> {
        let salt = os_random::<16>()?;
        let salt = SaltString::encode_b64(salt.as_slice()).map_err(AuthError::PasswordHashing)?;
        let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, OWASP_PARAMS);
        let phc = hasher
            .hash_password(password.as_bytes(), &salt)
            .map_err(AuthError::PasswordHashing)?;
        Ok(PasswordHash(phc.to_string()))
    }

    /// Accepts a stored hash only if it is a complete argon2id PHC string with parameters
    /// argon2 accepts and below the cost ceilings, so [`PasswordHash::verify`] can only fail
    /// on a wrong password.
    pub fn parse(phc: String) -> Result<PasswordHash, AuthError> {
        let parsed = Phc::new(&phc).map_err(AuthError::MalformedPasswordHash)?;
        if parsed.algorithm != ARGON2ID_IDENT {
            return Err(AuthError::NotArgon2id {
                algorithm: parsed.algorithm.to_string(),
            });
        }
        check_parts(&parsed)?;
        Ok(PasswordHash(phc))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `password` is the one this hash was made from; argon2 compares the outputs in
    /// constant time.
    pub fn verify(&self, password: &Password) -> bool {
        verify_phc(&self.0, password)
    }

    /// Spends the same time as [`PasswordHash::verify`] against a hash nobody knows the
    /// password of. Call it when the user id does not exist, so that response times do not
    /// tell an attacker which user ids do.
    pub fn verify_dummy(password: &Password) {
        std::hint::black_box(verify_phc(DUMMY_PHC, password));
    }
}

/// A hash made with [`OWASP_PARAMS`] from a random password that was thrown away; the test
/// `dummy_hash_costs_what_a_real_one_does` keeps its parameters equal to the real ones.
const DUMMY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$4Hfp4V2ul7sJDTITAjKhuA$6YfzvJ7usf3OaDkAP8xe7BnjXYEFyxcjvqhve+bY7Xo";

fn check_parts(parsed: &Phc<'_>) -> Result<(), AuthError> {
    let malformed =
        || AuthError::MalformedPasswordHash(argon2::password_hash::Error::PhcStringField);
    if parsed.salt.is_none() || parsed.hash.is_none() {
        return Err(malformed());
    }
    if let Some(version) = parsed.version {
        Version::try_from(version).map_err(|e| AuthError::MalformedPasswordHash(e.into()))?;
    }
    let params = Params::try_from(parsed).map_err(AuthError::MalformedPasswordHash)?;
    if params.m_cost() > MAX_MEMORY_KIB || params.t_cost() > MAX_ITERATIONS {
        return Err(AuthError::PasswordHashTooCostly {
            memory_kib: params.m_cost(),
            iterations: params.t_cost(),
        });
    }
    Ok(())
}

fn verify_phc(phc: &str, password: &Password) -> bool {
    let Ok(parsed) = Phc::new(phc) else {
        return false;
    };
    // The algorithm, version and parameters come from the stored string, not from here.
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The hash is what an offline cracker needs; keep it out of logs as well.
        f.write_str("PasswordHash(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(text: &str) -> Password {
        Password::new(text.to_owned()).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn error(text: &str) -> String {
        Password::new(text.to_owned())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    fn parse_error(phc: &str) -> String {
        PasswordHash::parse(phc.to_owned())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn password_rules_are_named_in_errors() {
        assert_eq!(
            error("eleven char"),
            "password is too short; it needs at least 12 characters"
        );
        assert_eq!(
            error(&"x".repeat(1025)),
            "password is too long; at most 1024 bytes are allowed"
        );
        assert_eq!(error(&" ".repeat(12)), "password is only whitespace");
        // Characters, not bytes, count towards the minimum.
        assert_eq!(
            error(&"é".repeat(11)),
            "password is too short; it needs at least 12 characters"
        );
        assert!(Password::new("é".repeat(12)).is_ok());
        assert!(Password::new("x".repeat(1024)).is_ok());
    }

    #[test]
    fn password_debug_is_redacted_and_deserialize_validates() {
        assert_eq!(
            format!("{:?}", password("correct horse battery")),
            "Password(<redacted>)"
        );
        assert!(serde_json::from_str::<Password>("\"correct horse battery\"").is_ok());
        let short = serde_json::from_str::<Password>("\"short\"")
            .err()
            .map(|e| e.to_string());
        assert!(short.is_some_and(|m| m.starts_with("password is too short")));
    }

    /// The one test that pays for real argon2id hashing (twice) with the real parameters.
    #[test]
    fn hash_uses_owasp_argon2id_and_verifies_only_the_right_password() {
        let right = password("correct horse battery");
        let hash = PasswordHash::new(&right).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            hash.as_str()
        );
        assert!(hash.verify(&right));
        assert!(!hash.verify(&password("correct horse battery!")));

        let reparsed = PasswordHash::parse(hash.as_str().to_owned()).ok();
        assert_eq!(reparsed.as_ref(), Some(&hash));
        let again = PasswordHash::new(&right).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(
            again.as_str(),
            hash.as_str(),
            "every hash gets a fresh salt"
        );
        assert_eq!(format!("{hash:?}"), "PasswordHash(<redacted>)");
    }

    #[test]
    fn dummy_hash_costs_what_a_real_one_does() {
        let dummy = Phc::new(DUMMY_PHC).unwrap_or_else(|e| panic!("{e}"));
        let params = Params::try_from(&dummy).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(dummy.algorithm, ARGON2ID_IDENT);
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (
                OWASP_PARAMS.m_cost(),
                OWASP_PARAMS.t_cost(),
                OWASP_PARAMS.p_cost()
            )
        );
        assert!(PasswordHash::parse(DUMMY_PHC.to_owned()).is_ok());
        PasswordHash::verify_dummy(&password("correct horse battery"));
    }

    #[test]
    fn parse_accepts_only_complete_argon2id_phc_strings() {
        let salt_and_hash = "$4Hfp4V2ul7sJDTITAjKhuA$6YfzvJ7usf3OaDkAP8xe7BnjXYEFyxcjvqhve+bY7Xo";
        assert!(
            PasswordHash::parse(format!("$argon2id$v=19$m=65536,t=3,p=4{salt_and_hash}")).is_ok()
        );
        assert_eq!(
            parse_error(&format!("$argon2i$v=19$m=19456,t=2,p=1{salt_and_hash}")),
            "stored password hash uses `argon2i`; only argon2id is accepted"
        );
        assert_eq!(
            parse_error("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"),
            "stored password hash is not a valid PHC string"
        );
        for incomplete in [
            "",
            "plaintext",
            "$argon2id$v=19$m=19456,t=2,p=1",
            "$argon2id$v=19$m=19456,t=2,p=1$4Hfp4V2ul7sJDTITAjKhuA",
            &format!("$argon2id$v=7$m=19456,t=2,p=1{salt_and_hash}"),
            &format!("$argon2id$v=19$m=19456,t=2,p=1,x=1{salt_and_hash}"),
        ] {
            assert_eq!(
                parse_error(incomplete),
                "stored password hash is not a valid PHC string",
                "{incomplete}"
            );
        }
        assert_eq!(
            parse_error(&format!("$argon2id$v=19$m=4194304,t=2,p=1{salt_and_hash}")),
            "stored password hash asks for m=4194304 KiB, t=2; at most m=262144 KiB, t=16 are accepted"
        );
    }
}
