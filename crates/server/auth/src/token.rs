//! Bearer secrets: API tokens (`kbt_...`), console session ids (`kbs_...`) and CSRF tokens.
//!
//! All three are 32 bytes from the OS random number generator in url-safe base64 without
//! padding (43 characters), so they fit in headers, cookies and URLs unescaped.

use std::fmt;
use std::marker::PhantomData;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::AuthError;
use crate::random::os_random;

const SECRET_BYTES: usize = 32;
/// `ceil(32 * 8 / 6)`: the unpadded base64 length of [`SECRET_BYTES`].
const SECRET_CHARS: usize = 43;
const DISPLAY_PREFIX_CHARS: usize = 8;

/// What distinguishes one kind of prefixed [`Token`] from another. Sealed: the kinds are
/// [`kind::Api`] and [`kind::Session`].
pub trait TokenKind: sealed::Sealed {
    /// Starts every token of this kind, so a leaked token is recognisable (by people and by
    /// secret scanners) and one kind is never accepted where the other is expected.
    const PREFIX: &'static str;
    /// How error messages name the token.
    const DESCRIPTION: &'static str;
    /// How `Debug` names the token.
    const TYPE_NAME: &'static str;
}

mod sealed {
    pub trait Sealed {}
}

/// The marker types that select a [`Token`]'s kind.
pub mod kind {
    /// An API token for scripts, CI jobs and agents: `kbt_` + 43 characters.
    #[derive(Debug)]
    pub enum Api {}
    /// A console session id, kept in a cookie: `kbs_` + 43 characters.
    #[derive(Debug)]
    pub enum Session {}
}

impl sealed::Sealed for kind::Api {}
impl TokenKind for kind::Api {
    const PREFIX: &'static str = "kbt_";
    const DESCRIPTION: &'static str = "API token";
    const TYPE_NAME: &'static str = "ApiToken";
}

impl sealed::Sealed for kind::Session {}
impl TokenKind for kind::Session {
    const PREFIX: &'static str = "kbs_";
    const DESCRIPTION: &'static str = "session token";
    const TYPE_NAME: &'static str = "SessionToken";
}

/// A bearer secret shown to its owner once; the server keeps only its [`TokenHash`].
pub type ApiToken = Token<kind::Api>;
/// A console session id; the server keeps only its [`TokenHash`].
pub type SessionToken = Token<kind::Session>;

/// A prefixed bearer secret: `K::PREFIX` followed by 43 url-safe base64 characters.
///
/// No `PartialEq`: tokens are looked up by [`Token::hash`], never compared as strings.
pub struct Token<K: TokenKind> {
    text: Zeroizing<String>,
    kind: PhantomData<fn() -> K>,
}

impl<K: TokenKind> Token<K> {
    /// A new token from 32 bytes of OS randomness.
    ///
    /// # Panics
    /// If the operating system's random number generator fails, which on Linux it does not
    /// once the system has booted; there is no safe token to return instead.
    pub fn generate() -> Self {
        Self::from_text(format!("{}{}", K::PREFIX, *random_secret()))
    }

    /// Accepts a presented token of the right shape (prefix, length, alphabet). Whether it
    /// exists is for the caller to find out by its [`Token::hash`].
    pub fn parse(text: &str) -> Result<Self, AuthError> {
        let secret = text.strip_prefix(K::PREFIX).ok_or(AuthError::TokenPrefix {
            kind: K::DESCRIPTION,
            prefix: K::PREFIX,
        })?;
        check_secret(K::DESCRIPTION, secret)?;
        Ok(Self::from_text(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The lowercase hex SHA-256 of the whole token, which is what the server stores.
    ///
    /// A fast hash is right here, unlike for passwords: the token has 256 random bits, so there
    /// is nothing to brute-force, and it is checked on every API request.
    pub fn hash(&self) -> TokenHash {
        TokenHash(hex::encode(Sha256::digest(self.text.as_bytes())))
    }

    /// The first 8 characters after the prefix, shown in token lists so owners can tell their
    /// tokens apart; 48 of 256 bits, too few to help guess the rest.
    pub fn display_prefix(&self) -> &str {
        let start = K::PREFIX.len();
        // The shape was checked at construction, so the range is always there.
        self.text
            .get(start..start + DISPLAY_PREFIX_CHARS)
            .unwrap_or_default()
    }

    fn from_text(text: String) -> Self {
        Token {
            text: Zeroizing::new(text),
            kind: PhantomData,
        }
    }
}

impl<K: TokenKind> fmt::Debug for Token<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(<redacted>)", K::TYPE_NAME)
    }
}

/// The stored form of an [`ApiToken`] or [`SessionToken`]: 64 lowercase hex characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    /// Accepts a hash read back from storage. Uppercase is rejected rather than folded: the
    /// server finds tokens by comparing hash strings, and an uppercase copy would never match.
    pub fn from_stored(hash: String) -> Result<TokenHash, AuthError> {
        let lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        if hash.len() != 64 || !hash.bytes().all(lower_hex) {
            return Err(AuthError::MalformedTokenHash);
        }
        Ok(TokenHash(hash))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A console CSRF token: sent in a header or form field and compared with the one stored
/// with the session.
pub struct CsrfToken(Zeroizing<String>);

impl CsrfToken {
    /// # Panics
    /// If the operating system's random number generator fails (see [`Token::generate`]).
    pub fn generate() -> Self {
        CsrfToken(random_secret())
    }

    /// Accepts a stored CSRF token of the right shape (43 url-safe base64 characters).
    pub fn parse(text: &str) -> Result<Self, AuthError> {
        check_secret("CSRF token", text)?;
        Ok(CsrfToken(Zeroizing::new(text.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `presented` is this token, compared in constant time so that response times
    /// do not reveal how many leading characters an attacker got right.
    pub fn matches(&self, presented: &str) -> bool {
        self.0.as_bytes().ct_eq(presented.as_bytes()).into()
    }
}

impl fmt::Debug for CsrfToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfToken(<redacted>)")
    }
}

/// 32 random bytes as 43 url-safe base64 characters: a shared secret another system
/// presents (a registry's webhook token).
///
/// # Panics
/// If the operating system's random number generator fails (see [`Token::generate`]).
pub fn random_secret() -> Zeroizing<String> {
    let bytes = os_random::<SECRET_BYTES>()
        .unwrap_or_else(|error| panic!("cannot generate a token: {error}"));
    Zeroizing::new(URL_SAFE_NO_PAD.encode(bytes.as_slice()))
}

fn check_secret(kind: &'static str, secret: &str) -> Result<(), AuthError> {
    let url_safe = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if let Some(position) = secret.chars().position(|c| !url_safe(c)) {
        return Err(AuthError::TokenAlphabet { kind, position });
    }
    if secret.len() != SECRET_CHARS {
        return Err(AuthError::TokenLength {
            kind,
            found: secret.len(),
            expected: SECRET_CHARS,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn error(result: Result<impl fmt::Debug, AuthError>) -> String {
        result.err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn generated_tokens_have_the_documented_shape() {
        let token = ApiToken::generate();
        assert!(token.as_str().starts_with("kbt_"));
        assert_eq!(token.as_str().len(), 4 + 43);
        assert_eq!(token.display_prefix(), &token.as_str()[4..12]);
        let session = SessionToken::generate();
        assert!(session.as_str().starts_with("kbs_"));
        assert_eq!(session.as_str().len(), 4 + 43);
        assert_eq!(CsrfToken::generate().as_str().len(), 43);
    }

    #[test]
    fn generated_tokens_differ() {
        assert_ne!(ApiToken::generate().as_str(), ApiToken::generate().as_str());
        assert_ne!(
            CsrfToken::generate().as_str(),
            CsrfToken::generate().as_str()
        );
    }

    #[test]
    fn hash_is_lowercase_hex_sha256_of_the_whole_token() {
        let body = "A".repeat(43);
        let token = ApiToken::parse(&format!("kbt_{body}")).ok();
        let expected = hex::encode(Sha256::digest(format!("kbt_{body}")));
        assert_eq!(
            token.map(|t| t.hash().as_str().to_owned()),
            Some(expected.clone())
        );
        assert_eq!(
            TokenHash::from_stored(expected.clone()).ok().map(|h| h.0),
            Some(expected)
        );
    }

    #[test]
    fn parse_errors_name_the_shape_rule_and_not_the_token() {
        let body = "x".repeat(43);
        assert_eq!(
            error(ApiToken::parse(&format!("kbs_{body}"))),
            "API token does not start with `kbt_`"
        );
        assert_eq!(
            error(SessionToken::parse(&format!("kbt_{body}"))),
            "session token does not start with `kbs_`"
        );
        assert_eq!(
            error(ApiToken::parse("kbt_short")),
            "API token has 5 characters after its prefix; expected 43"
        );
        assert_eq!(
            error(ApiToken::parse(&format!("kbt_{}+", "x".repeat(42)))),
            "API token has a character outside the url-safe base64 alphabet at position 42"
        );
        assert_eq!(
            error(CsrfToken::parse(&format!("{}=", "x".repeat(42)))),
            "CSRF token has a character outside the url-safe base64 alphabet at position 42"
        );
    }

    #[test]
    fn debug_is_redacted() {
        let token = ApiToken::generate();
        assert_eq!(format!("{token:?}"), "ApiToken(<redacted>)");
        assert_eq!(
            format!("{:?}", SessionToken::generate()),
            "SessionToken(<redacted>)"
        );
        assert_eq!(
            format!("{:?}", CsrfToken::generate()),
            "CsrfToken(<redacted>)"
        );
    }

    #[test]
    fn token_hash_from_stored_rejects_anything_but_64_lowercase_hex() {
        for bad in ["", "abc", &"A".repeat(64), &"g".repeat(64), &"a".repeat(65)] {
            assert!(TokenHash::from_stored(bad.to_owned()).is_err(), "{bad}");
        }
    }

    #[test]
    fn csrf_matches_only_the_same_token() {
        let csrf = CsrfToken::generate();
        assert!(csrf.matches(csrf.as_str()));
        assert!(!csrf.matches(&csrf.as_str()[..42]));
        assert!(!csrf.matches(CsrfToken::generate().as_str()));
        assert!(!csrf.matches(""));
    }

    proptest! {
        #[test]
        fn parse_round_trips_generated_tokens(_ in 0..64u8) {
            let token = ApiToken::generate();
            let parsed = ApiToken::parse(token.as_str());
            prop_assert_eq!(parsed.ok().map(|t| t.hash()), Some(token.hash()));
            let session = SessionToken::generate();
            prop_assert!(SessionToken::parse(session.as_str()).is_ok());
        }

        #[test]
        fn parse_never_panics(text in "(kbt_|kbs_)?.{0,60}") {
            let _ = ApiToken::parse(&text);
            let _ = SessionToken::parse(&text);
            let _ = CsrfToken::parse(&text);
        }

        #[test]
        fn parse_accepts_every_well_shaped_token(body in "[A-Za-z0-9_-]{43}") {
            let token = ApiToken::parse(&format!("kbt_{body}"));
            prop_assert_eq!(token.ok().map(|t| t.display_prefix().to_owned()), Some(body[..8].to_owned()));
        }
    }
}
