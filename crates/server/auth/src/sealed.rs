//! Secrets the server must use again later (registry passwords, notification credentials)
//! are kept sealed at rest: XChaCha20-Poly1305 under the server's secret key, with the record
//! they belong to as associated data, so a sealed value copied onto another record does not
//! open there.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::AuthError;
use crate::random::os_random;

const PREFIX: &str = "v1:";
const NONCE_BYTES: usize = 24;

/// The server's key for values sealed at rest. Shown only as `<redacted>`.
#[derive(Clone)]
pub struct SealingKey(Zeroizing<[u8; 32]>);

impl SealingKey {
    /// A new random key.
    pub fn generate() -> Result<SealingKey, AuthError> {
        Ok(SealingKey(os_random::<32>()?))
    }

    /// A key from its text form: 64 hex characters (surrounding whitespace ignored).
    pub fn from_text(text: &str) -> Result<SealingKey, AuthError> {
        let mut key = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), key.as_mut_slice())
            .map_err(|_| AuthError::MalformedSealingKey)?;
        Ok(SealingKey(key))
    }

    /// The text form [`SealingKey::from_text`] reads.
    pub fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_slice()))
    }

    /// Seals `secret` for the record named `context` (`registry:hub`).
    pub fn seal(&self, secret: &[u8], context: &str) -> Result<String, AuthError> {
        let nonce = os_random::<NONCE_BYTES>()?;
        let sealed = self
            .cipher()
            .encrypt(
                XNonce::from_slice(nonce.as_slice()),
                Payload {
                    msg: secret,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| AuthError::Seal)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
    }

    /// Opens a value [`SealingKey::seal`] sealed for the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Zeroizing<Vec<u8>>, AuthError> {
        let bytes = sealed
            .strip_prefix(PREFIX)
            .and_then(|b64| STANDARD.decode(b64).ok())
            .filter(|bytes| bytes.len() > NONCE_BYTES)
            .ok_or(AuthError::MalformedSealed)?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        self.cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| AuthError::Unseal {
                context: context.to_owned(),
            })
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.as_slice().into())
    }
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_context() {
        let key = SealingKey::generate().unwrap();
        let sealed = key.seal(b"hunter2-registry", "registry:hub").unwrap();
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("hunter2"));
        assert_eq!(
            key.open(&sealed, "registry:hub").unwrap().as_slice(),
            b"hunter2-registry"
        );
        assert!(matches!(
            key.open(&sealed, "registry:other"),
            Err(AuthError::Unseal { .. })
        ));
        let other = SealingKey::generate().unwrap();
        assert!(matches!(
            other.open(&sealed, "registry:hub"),
            Err(AuthError::Unseal { .. })
        ));
        // Two seals of the same value differ (fresh nonce each time).
        assert_ne!(
            sealed,
            key.seal(b"hunter2-registry", "registry:hub").unwrap()
        );
    }

    #[test]
    fn altered_and_malformed_values_are_refused() {
        let key = SealingKey::generate().unwrap();
        let sealed = key.seal(b"secret", "output:ops").unwrap();
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 3;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert!(key.open(&altered, "output:ops").is_err());
        for bad in ["", "v1:", "v1:!!", "v2:AAAA", "plain text"] {
            assert!(matches!(
                key.open(bad, "output:ops"),
                Err(AuthError::MalformedSealed)
            ));
        }
    }

    #[test]
    fn the_text_form_round_trips_and_is_checked() {
        let key = SealingKey::generate().unwrap();
        let text = key.to_text();
        assert_eq!(text.len(), 64);
        let again = SealingKey::from_text(&format!(" {}\n", text.as_str())).unwrap();
        let sealed = key.seal(b"x", "c").unwrap();
        assert_eq!(again.open(&sealed, "c").unwrap().as_slice(), b"x");
        for bad in ["", "abc", &"g".repeat(64), &"a".repeat(66)] {
            assert!(matches!(
                SealingKey::from_text(bad),
                Err(AuthError::MalformedSealingKey)
            ));
        }
        assert_eq!(format!("{key:?}"), "SealingKey(<redacted>)");
    }
}
