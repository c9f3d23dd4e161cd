//! Signed, expiring tokens bound to a subject, a session and an action.
//!
//! # Format (version 1)
//!
//! ```text
//! byte  0       version (1)
//! bytes 1..5    key id (which key of the ring signed it)
//! bytes 5..13   issue time, unix seconds, big-endian
//! bytes 13..29  random nonce
//! bytes 29..61  HMAC-SHA256 tag
//! ```
//!
//! encoded as unpadded base64url: 82 characters, safe in headers, cookies,
//! form fields and HTML attributes without escaping.
//!
//! The tag covers bytes `0..29` followed by the subject, the session and the
//! action, each prefixed with its length as a 64-bit big-endian integer (the
//! action also by a presence byte), so no two different bindings produce the
//! same MAC input (`"ab" + "c"` vs `"a" + "bc"`). The bound values themselves
//! are not in the token: it reveals nothing about who it belongs to.
//!
//! The random nonce makes every token different, so a compressed response
//! never repeats a secret across requests (BREACH).
//!
//! Laid out by stage: `codec.rs` spells the layout out in constants and
//! encodes and decodes it; `binding.rs` holds [`Binding`]; `mac.rs` writes
//! the MAC input and signs or checks a tag; `tokens.rs` issues and verifies
//! ([`Tokens`], [`TokensBuilder`], [`Verified`]).

mod binding;
mod codec;
mod mac;
#[cfg(test)]
mod tests;
mod tokens;

pub use self::{
    binding::Binding,
    codec::{ENCODED_LEN, Token, VERSION},
    mac::mac_input,
    tokens::{Tokens, TokensBuilder, Verified},
};
