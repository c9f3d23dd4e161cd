//! The byte layout of a token (see the module doc of `token`) as
//! constants, and its outer format: base64url, length, version.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::{Malformed, Rejection};

/// The token format version this build issues.
pub const VERSION: u8 = 1;
pub(super) const HEADER_LEN: usize = 1 + 4 + 8 + NONCE_LEN;
const NONCE_LEN: usize = 16;
const TAG_LEN: usize = 32;
pub(super) const RAW_LEN: usize = HEADER_LEN + TAG_LEN;
/// Length of an encoded token, in characters.
pub const ENCODED_LEN: usize = (RAW_LEN * 4).div_ceil(3);

/// An issued token: the text to hand to the client.
///
/// `Debug` is redacted; `Display` and [`Token::as_str`] give the text.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// The encoded token.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The encoded token, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(..)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Token {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The text of a token whose bytes are `raw`.
pub(super) fn encode(raw: &[u8; RAW_LEN]) -> Token {
    Token(URL_SAFE_NO_PAD.encode(raw))
}

/// Where the issue time sits in a token's bytes (big-endian seconds).
pub(super) const ISSUED: std::ops::Range<usize> = 5..13;

/// The issue time of a token's bytes (its header, or more).
pub(super) fn issued_of(raw: &[u8]) -> u64 {
    let mut secs = [0u8; 8];
    secs.copy_from_slice(&raw[ISSUED]);
    u64::from_be_bytes(secs)
}

/// The issue time as the first characters of a token of the right length
/// say it, without decoding the rest (which may still be malformed).
pub(super) fn issued_at(token: &str) -> Option<u64> {
    // Whole groups of 4 characters for 3 bytes, up to the time's end.
    const CHARS: usize = ISSUED.end.div_ceil(3) * 4;
    if token.len() != ENCODED_LEN {
        return None;
    }
    let mut buf = [0u8; CHARS / 4 * 3];
    let n = URL_SAFE_NO_PAD
        .decode_slice(token.as_bytes().get(..CHARS)?, &mut buf)
        .ok()?;
    (n == buf.len() && buf[0] == VERSION).then(|| issued_of(&buf))
}

/// Parses the outer format: length, encoding, version.
pub(super) fn decode(token: &str) -> Result<[u8; RAW_LEN], Rejection> {
    if token.len() != ENCODED_LEN {
        return Err(if token.is_empty() {
            Rejection::Missing
        } else if token.trim().is_empty() {
            Rejection::Malformed(Malformed::Blank)
        } else {
            Rejection::Malformed(Malformed::Length)
        });
    }
    // decode_slice wants room for its estimate (a multiple of 3).
    let mut buf = [0u8; RAW_LEN.div_ceil(3) * 3];
    let n = URL_SAFE_NO_PAD
        .decode_slice(token.as_bytes(), &mut buf)
        .map_err(|_| {
            // Blank is checked only once the input is not a token: valid
            // tokens skip the scan.
            Rejection::Malformed(if token.trim().is_empty() {
                Malformed::Blank
            } else {
                Malformed::Encoding
            })
        })?;
    if n != RAW_LEN {
        return Err(Rejection::Malformed(Malformed::Length));
    }
    if buf[0] != VERSION {
        return Err(Rejection::Malformed(Malformed::Version));
    }
    let mut raw = [0u8; RAW_LEN];
    raw.copy_from_slice(&buf[..RAW_LEN]);
    Ok(raw)
}
