//! Per-session state (the anonymous id, the session salt every token is
//! bound to, the static session key), kept in the actix-session `Session`
//! or in a signed cookie of its own; and everything this crate notes on a
//! request while it is being served.
//!
//! * `record`: the record and the subject a token is issued to;
//! * `storage`: loading and saving it, in the session or the cookie;
//! * `sealed`: the signed state cookie;
//! * `cookies`: our `Set-Cookie` values and reading a cookie in place;
//! * `bound_keys`: which sessions hold bound one-time keys;
//! * `per_request`: what a request notes while it is served.

mod bound_keys;
mod cookies;
mod per_request;
mod record;
mod sealed;
mod storage;
#[cfg(test)]
mod tests;

pub(crate) use self::bound_keys::{mark_binding, purged_unread};
pub(crate) use self::cookies::{cookie_value, token_cookie};
pub(crate) use self::per_request::PerRequest;
pub(crate) use self::record::{SESSION_KEY, State, Subject};
#[cfg(feature = "__fuzz")]
pub(crate) use self::sealed::{open_cookie, seal_cookie};
pub(crate) use self::storage::{load, load_or_create, load_required, peek_at_entry, save};
