//! Comparing secret material without leaking where it differs, and holding
//! it so that nothing else can compare it.

use std::fmt;

use subtle::ConstantTimeEq as _;
use zeroize::{Zeroize, Zeroizing};

/// Whether two secrets (tokens, cookie values, session salts, keys) are
/// equal, in time that depends only on their lengths.
///
/// `==` on strings stops at the first differing byte, so its timing tells
/// an attacker how much of a guess was right. Every comparison of secret
/// material in these crates goes through this one function (`subtle`'s
/// `ct_eq`), so a test can check that no other compare crept in. Lengths
/// are not secret here (tokens, salts and keys have fixed lengths), so
/// unequal lengths return `false` at once.
///
/// ```
/// use xsrf_core::secret_eq;
/// assert!(secret_eq("s3cret-salt", "s3cret-salt"));
/// assert!(!secret_eq("s3cret-salt", "s3cret-salT"));
/// assert!(!secret_eq(b"short".as_slice(), b"longer".as_slice()));
/// ```
pub fn secret_eq(a: impl AsRef<[u8]>, b: impl AsRef<[u8]>) -> bool {
    let (a, b) = (a.as_ref(), b.as_ref());
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Secret material held where no plain compare can reach it: a key's
/// bytes, a static key, a session salt.
///
/// It has no `PartialEq`, so `==` and `!=` on it do not compile: the one
/// way to compare it is [`secret_eq`] over [`Secret::expose`]. Its `Debug`
/// shows nothing of it, and it is wiped from memory on drop.
///
/// Not public API (no semver promise): `xsrf-actix` reaches it as
/// `xsrf_core::__private::Secret` to hold its own secrets the same way.
///
/// ```
/// use xsrf_core::{__private::Secret, secret_eq};
///
/// let stored = Secret::new(String::from("s3cret-salt"));
/// assert!(secret_eq(stored.expose(), "s3cret-salt"));
/// assert!(!secret_eq(stored.expose(), Secret::new(String::from("guess")).expose()));
/// assert_eq!(format!("{stored:?}"), "Secret(..)");
/// ```
///
/// Each of the compares below fails to build with E0369 ("binary
/// operation cannot be applied"); a toolchain that checks doc tests' error
/// codes (`RUSTC_BOOTSTRAP=1 cargo test --doc`) confirms that it is that
/// error and not another. Between two secrets:
///
/// ```compile_fail,E0369
/// use xsrf_core::__private::Secret;
/// let (a, b) = (Secret::new(String::from("salt")), Secret::new(String::from("salt")));
/// let _ = a == b;
/// ```
///
/// ```compile_fail,E0369
/// use xsrf_core::__private::Secret;
/// let (a, b) = (Secret::new(vec![7u8; 32]), Secret::new(vec![7u8; 32]));
/// let _ = a != b;
/// ```
///
/// Between a secret and the text a request presents:
///
/// ```compile_fail,E0369
/// use xsrf_core::__private::Secret;
/// let stored = Secret::new(String::from("salt"));
/// let _ = stored == "salt";
/// ```
///
/// And on the public types built on it, a static key and a signing key:
///
/// ```compile_fail,E0369
/// let key = xsrf_core::StaticKey::generate();
/// let _ = key == xsrf_core::StaticKey::from_stored(key.as_str());
/// ```
///
/// ```compile_fail,E0369
/// let key = xsrf_core::SigningKey::from_bytes(&[7; 32]).unwrap();
/// let _ = key != key.clone();
/// ```
#[derive(Clone)]
pub struct Secret<T: Zeroize>(Zeroizing<T>);

impl<T: Zeroize> Secret<T> {
    /// Takes `value` in; it is wiped when the `Secret` is dropped.
    pub fn new(value: T) -> Self {
        Self(Zeroizing::new(value))
    }

    /// The secret itself: to sign with, to store, to hand to its owner, or
    /// to compare through [`secret_eq`], never with `==`.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_unequal_and_different_lengths() {
        assert!(secret_eq("", ""));
        assert!(secret_eq("abc", String::from("abc")));
        assert!(!secret_eq("abc", "abd"));
        assert!(!secret_eq("abc", "bbc"));
        assert!(!secret_eq("abc", "abcd"));
        assert!(!secret_eq("abcd", "abc"));
    }

    #[test]
    fn a_secret_compares_through_secret_eq_and_shows_nothing() {
        let a = Secret::new(String::from("s3cret"));
        assert!(secret_eq(a.expose(), a.clone().expose()));
        assert!(!secret_eq(a.expose(), "s3creT"));
        assert!(!format!("{a:?}").contains("s3cret"));
    }
}
