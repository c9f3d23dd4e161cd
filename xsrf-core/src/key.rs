//! Signing keys and the key ring that lets a secret be rotated.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use ring::hmac;
use zeroize::Zeroizing;

use crate::ConfigError;
use crate::secret::Secret;

/// Label under which the token-signing subkey is derived from a secret.
const TOKEN_PURPOSE: &str = "xsrf-core/token/v1";
/// Label under which the public key id is derived from a secret.
const ID_PURPOSE: &str = "xsrf-core/key-id/v1";

/// A short public name for a key, carried in every token it signs so that
/// verification goes straight to the right key of a [`KeyRing`].
///
/// It is derived from the secret with HMAC, so it reveals nothing about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub(crate) [u8; 4]);

impl KeyId {
    /// The id's bytes, as they appear in tokens.
    pub fn as_bytes(&self) -> &[u8; 4] {
        &self.0
    }
}

/// A signing secret of at least 32 bytes: what tokens, and the state
/// cookie of `xsrf-actix`, are signed with.
///
/// Named `SigningKey` (not `Key`) so it never reads like actix-web's
/// `cookie::Key`, the session cookie's key, which every app also holds.
///
/// Each use gets its own subkey derived with HMAC-SHA256 under a purpose
/// label ([`SigningKey::derive`]), so the same secret can sign tokens and, say,
/// cookies without one ever being valid as the other. The secret is wiped
/// from memory on drop and never shown by `Debug`.
///
/// ```
/// use xsrf_core::SigningKey;
///
/// let key = SigningKey::from_base64("dGhpcyBpcyBhIDMyIGJ5dGUgc2VjcmV0IGZvciB0ZXN0cyE")?;
/// assert_eq!(format!("{key:?}"), format!("SigningKey {{ id: {:?}, .. }}", key.id()));
/// assert!(SigningKey::from_bytes(b"too short").is_err());
/// # Ok::<(), xsrf_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct SigningKey {
    secret: Secret<Vec<u8>>,
    token_key: hmac::Key,
    id: KeyId,
}

impl SigningKey {
    /// Fewest secret bytes accepted: HMAC-SHA256's full strength.
    pub const MIN_LEN: usize = 32;
    /// Most secret bytes accepted; longer input is a sign of a wrong variable.
    pub const MAX_LEN: usize = 1024;

    /// A key from raw secret bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ConfigError> {
        if bytes.len() < Self::MIN_LEN {
            return Err(ConfigError::KeyTooShort {
                len: bytes.len(),
                min: Self::MIN_LEN,
            });
        }
        if bytes.len() > Self::MAX_LEN {
            return Err(ConfigError::KeyTooLong {
                len: bytes.len(),
                max: Self::MAX_LEN,
            });
        }
        let master = hmac::Key::new(hmac::HMAC_SHA256, bytes);
        let token_key = derive_with(&master, TOKEN_PURPOSE);
        let tag = hmac::sign(&master, ID_PURPOSE.as_bytes());
        let mut id = [0u8; 4];
        id.copy_from_slice(&tag.as_ref()[..4]);
        Ok(Self {
            secret: Secret::new(bytes.to_vec()),
            token_key,
            id: KeyId(id),
        })
    }

    /// A key from base64 text (standard or URL-safe alphabet, padded or
    /// not). Whitespace anywhere is ignored: `openssl rand -base64 64`
    /// breaks its output into lines of 64 characters.
    pub fn from_base64(text: &str) -> Result<Self, ConfigError> {
        let text: Zeroizing<String> =
            Zeroizing::new(text.chars().filter(|c| !c.is_ascii_whitespace()).collect());
        let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text.as_bytes()).ok())
            .map(Zeroizing::new)
            .ok_or(ConfigError::KeyNotBase64)?;
        Self::from_bytes(&bytes)
    }

    /// A key from an environment variable holding base64 text.
    pub fn from_env(var: &str) -> Result<Self, ConfigError> {
        let text = std::env::var(var).map_err(|_| ConfigError::MissingEnv(var.to_owned()))?;
        Self::from_base64(&text)
    }

    /// A fresh 32-byte key straight from the operating system's generator.
    ///
    /// A generated key lives only as long as the process: tokens stop
    /// verifying after a restart and on other instances. Use it for
    /// development and tests; configure a shared secret in production.
    pub fn generate() -> Result<Self, ConfigError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        crate::random::os_fill(bytes.as_mut())?;
        Self::from_bytes(bytes.as_ref())
    }

    /// The key's public id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// An HMAC-SHA256 subkey for `purpose`, independent of every other
    /// purpose's subkey.
    ///
    /// ```
    /// # let key = xsrf_core::SigningKey::generate()?;
    /// let cookies = key.derive("my-app/cookies");
    /// let tag = ring::hmac::sign(&cookies, b"value");
    /// assert!(ring::hmac::verify(&key.derive("my-app/cookies"), b"value", tag.as_ref()).is_ok());
    /// assert!(ring::hmac::verify(&key.derive("other"), b"value", tag.as_ref()).is_err());
    /// # Ok::<(), xsrf_core::ConfigError>(())
    /// ```
    pub fn derive(&self, purpose: &str) -> hmac::Key {
        derive_with(
            &hmac::Key::new(hmac::HMAC_SHA256, self.secret.expose()),
            purpose,
        )
    }

    pub(crate) fn token_key(&self) -> &hmac::Key {
        &self.token_key
    }
}

fn derive_with(master: &hmac::Key, purpose: &str) -> hmac::Key {
    let sub = hmac::sign(master, purpose.as_bytes());
    hmac::Key::new(hmac::HMAC_SHA256, sub.as_ref())
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The current signing key plus older keys still accepted.
///
/// New tokens are always signed with the current key. To rotate a secret
/// without rejecting every token issued a minute ago, make the new secret
/// current and keep the old one as a fallback for at least the token
/// timeout; then drop it. A token signed by a key no longer in the ring is
/// refused with [`Rejection::UnknownKey`](crate::Rejection::UnknownKey).
///
/// ```
/// use xsrf_core::{SigningKey, KeyRing};
///
/// let old = SigningKey::generate()?;
/// let new = SigningKey::generate()?;
/// let ring = KeyRing::new(new.clone()).with_fallback(old.clone());
/// assert_eq!(ring.current().id(), new.id());
/// assert_eq!(ring.len(), 2);
/// # Ok::<(), xsrf_core::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct KeyRing {
    current: SigningKey,
    fallbacks: Vec<SigningKey>,
}

impl KeyRing {
    /// A ring with one key.
    pub fn new(current: SigningKey) -> Self {
        Self {
            current,
            fallbacks: Vec::new(),
        }
    }

    /// Adds a key that verifies but no longer signs.
    #[must_use]
    pub fn with_fallback(mut self, key: SigningKey) -> Self {
        self.fallbacks.push(key);
        self
    }

    /// The key new tokens are signed with.
    pub fn current(&self) -> &SigningKey {
        &self.current
    }

    /// Number of keys, current included.
    pub fn len(&self) -> usize {
        1 + self.fallbacks.len()
    }

    /// Every key, current first: what a value signed with "any key of the
    /// ring" (a state cookie, say) is checked against while a secret is
    /// being rotated.
    ///
    /// ```
    /// use xsrf_core::{SigningKey, KeyRing};
    ///
    /// let (old, new) = (SigningKey::generate()?, SigningKey::generate()?);
    /// let ring = KeyRing::new(new.clone()).with_fallback(old.clone());
    /// let ids: Vec<_> = ring.keys().map(|k| k.id()).collect();
    /// assert_eq!(ids, [new.id(), old.id()]);
    /// # Ok::<(), xsrf_core::ConfigError>(())
    /// ```
    pub fn keys(&self) -> impl Iterator<Item = &SigningKey> {
        std::iter::once(&self.current).chain(self.fallbacks.iter())
    }

    /// Always false: a ring holds at least its current key.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Keys whose id is `id`, current first. Ids are 32 bits, so two keys
    /// may share one; callers try each.
    pub(crate) fn with_id(&self, id: [u8; 4]) -> impl Iterator<Item = &SigningKey> {
        self.keys().filter(move |key| key.id.0 == id)
    }
}

impl From<SigningKey> for KeyRing {
    fn from(key: SigningKey) -> Self {
        Self::new(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_keys_are_refused() {
        assert_eq!(
            SigningKey::from_bytes(&[7; 31]).err(),
            Some(ConfigError::KeyTooShort { len: 31, min: 32 })
        );
        assert!(matches!(
            SigningKey::from_bytes(&[7; 1025]),
            Err(ConfigError::KeyTooLong { .. })
        ));
        assert!(SigningKey::from_bytes(&[7; 32]).is_ok());
    }

    #[test]
    fn base64_in_any_common_alphabet_is_accepted() {
        let bytes = [0xfbu8; 33];
        let a = SigningKey::from_base64(&STANDARD.encode(bytes)).expect("standard");
        let b = SigningKey::from_base64(&URL_SAFE_NO_PAD.encode(bytes)).expect("url safe");
        assert_eq!(a.id(), b.id());
        // As `openssl rand -base64 64` prints it: two lines.
        let long = STANDARD.encode([0x5au8; 64]);
        let wrapped = format!("{}\n{}\n", &long[..64], &long[64..]);
        let c = SigningKey::from_base64(&wrapped).expect("wrapped");
        assert_eq!(
            c.id(),
            SigningKey::from_bytes(&[0x5a; 64]).expect("key").id()
        );
        assert_eq!(
            SigningKey::from_base64("not base64!").err(),
            Some(ConfigError::KeyNotBase64)
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = SigningKey::from_bytes(&[0x41; 32]).expect("key");
        let shown = format!("{key:?} {:?}", KeyRing::new(key.clone()));
        assert!(
            !shown.contains("AAAA") && !shown.contains("65, 65"),
            "{shown}"
        );
    }

    #[test]
    fn generated_keys_differ_and_ids_follow_the_secret() {
        let a = SigningKey::generate().expect("a");
        let b = SigningKey::generate().expect("b");
        assert_ne!(a.id(), b.id());
        assert_eq!(
            SigningKey::from_bytes(&[1; 40]).expect("x").id(),
            SigningKey::from_bytes(&[1; 40]).expect("y").id()
        );
    }

    #[test]
    fn missing_env_var_is_named() {
        assert_eq!(
            SigningKey::from_env("XSRF_CORE_TEST_SURELY_UNSET").err(),
            Some(ConfigError::MissingEnv(
                "XSRF_CORE_TEST_SURELY_UNSET".into()
            ))
        );
    }
}
