//! The signed state cookie of cookie storage: sealing a state into a
//! cookie value and opening one, with the current key or a fallback.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::record::{ID_LEN, Id, MAX_STATIC_KEY, State, is_base64url};
use xsrf_core::__private::Secret;

use crate::config::Xsrf;

/// `anon.salt[.static_key].tag`, the tag an HMAC-SHA256 (base64url) of all
/// that precedes it. Every part is base64url, so `.` separates unambiguously.
pub(crate) fn seal_cookie(x: &Xsrf, state: &State) -> String {
    let static_len = state
        .static_key
        .as_ref()
        .map_or(0, |k| k.expose().len() + 1);
    let mut value = String::with_capacity(2 * ID_LEN + 1 + static_len + 1 + 43);
    value.push_str(state.anon.as_str());
    value.push('.');
    value.push_str(state.salt.as_str());
    if let Some(k) = &state.static_key {
        value.push('.');
        value.push_str(k.expose());
    }
    let tag = ring::hmac::sign(&x.inner.state.key, value.as_bytes());
    value.push('.');
    URL_SAFE_NO_PAD.encode_string(tag.as_ref(), &mut value);
    value
}

/// Which key of the ring a state cookie was signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signer {
    Current,
    Fallback,
}

pub(crate) fn open_cookie(x: &Xsrf, value: &str) -> Option<(State, Signer)> {
    // Bounded: a real state cookie is 90 characters, 134 with a static key.
    if value.len() > 2 * ID_LEN + MAX_STATIC_KEY + 64 {
        return None;
    }
    let (body, tag_text) = value.rsplit_once('.')?;
    // decode_slice wants room for its estimate (a multiple of 3).
    let mut tag = [0u8; 33];
    let n = URL_SAFE_NO_PAD
        .decode_slice(tag_text.as_bytes(), &mut tag)
        .ok()?;
    let opens = |k: &ring::hmac::Key| ring::hmac::verify(k, body.as_bytes(), &tag[..n]).is_ok();
    let signer = if opens(&x.inner.state.key) {
        Signer::Current
    } else if x.inner.state.fallback_keys.iter().any(opens) {
        Signer::Fallback
    } else {
        return None;
    };
    // `anon.salt` or `anon.salt.static_key`: the ids have a fixed length,
    // so the parts are cut at their places (a `.` inside a part fails
    // the part's own check).
    let b = body.as_bytes();
    let anon = Id::parse(b.get(..ID_LEN)?)?;
    if b.get(ID_LEN) != Some(&b'.') {
        return None;
    }
    let salt = Id::parse(b.get(ID_LEN + 1..2 * ID_LEN + 1)?)?;
    let static_key = match b.get(2 * ID_LEN + 1..)? {
        [] => None,
        [b'.', k @ ..] if k.len() <= MAX_STATIC_KEY && k.iter().all(|&c| is_base64url(c)) => {
            Some(Secret::new(body[2 * ID_LEN + 2..].to_owned()))
        }
        _ => return None,
    };
    let state = State {
        anon,
        salt,
        static_key,
        keys: false,
    };
    Some((state, signer))
}
