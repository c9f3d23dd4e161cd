//! The static session key, after ViUR: one secret per session, revealed
//! once (at login) to non-browser clients, accepted back instead of a token.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroizing;

use crate::secret::Secret;
use crate::{Entropy, SystemEntropy, secret_eq};

/// A per-session secret for programmatic clients (admin tools, importers).
///
/// A browser page can neither read nor set a `Sec-`-prefixed header, so a
/// key revealed and accepted only in such a header is useless to a CSRF
/// attacker, who can only make the victim's browser send requests.
///
/// ```
/// use xsrf_core::StaticKey;
/// let key = StaticKey::generate();
/// let text = key.as_str().to_owned();
/// assert!(StaticKey::from_stored(&text).matches(&text));
/// assert!(!key.matches("guess"));
/// assert_eq!(format!("{key:?}"), "StaticKey(..)");
/// ```
#[derive(Clone)]
pub struct StaticKey(Secret<String>);

impl StaticKey {
    /// A fresh 256-bit key.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        SystemEntropy.fill(bytes.as_mut());
        Self(Secret::new(URL_SAFE_NO_PAD.encode(bytes.as_ref())))
    }

    /// A key read back from session storage.
    pub fn from_stored(text: &str) -> Self {
        Self(Secret::new(text.to_owned()))
    }

    /// The key text (to store in the session and to reveal once).
    pub fn as_str(&self) -> &str {
        self.0.expose()
    }

    /// Compares in constant time (for equal lengths).
    pub fn matches(&self, presented: &str) -> bool {
        // Lengths are public (always 43); only the content must not leak.
        secret_eq(self.0.expose(), presented)
    }
}

impl fmt::Debug for StaticKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticKey(..)")
    }
}
