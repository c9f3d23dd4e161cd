//! Comparing secret material without leaking where it differs.

use subtle::ConstantTimeEq as _;

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
}
