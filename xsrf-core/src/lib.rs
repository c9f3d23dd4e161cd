//! Framework-free cross-site request forgery (XSRF/CSRF) protection.
//!
//! This crate holds the logic; it knows no web framework, does no I/O and
//! has no global state. The `xsrf-actix` crate wires it into actix-web.
//! Three independent defences live here:
//!
//! * **Signed tokens** ([`Tokens`]): HMAC-SHA256 over a version, key id,
//!   issue time, random nonce, and the subject (user or anonymous id),
//!   session and optional action they are bound to. Stateless: any instance
//!   with the [`KeyRing`] verifies any token. Keys rotate with fallbacks.
//! * **Origin policy** ([`OriginPolicy`]): `Sec-Fetch-Site`, `Origin` and
//!   `Referer` checks with exact origin matching, and [`Exemptions`] for
//!   routes that must accept foreign requests (webhooks), matched only on
//!   canonical raw paths.
//! * **One-time keys** ([`OneTimeKeys`]): random keys accepted exactly once
//!   through a store with an atomic `take` ([`MemoryStore`] here), carrying
//!   custom data; plus the per-session [`StaticKey`] for non-browser clients.
//!
//! Time is always passed in (`now`), so every check is a pure function;
//! adapters read a [`Clock`], tests use a [`ManualClock`].
//!
//! Coming from Django, flask-xsrf or actix-csrf-middleware? The migration
//! pages (settings and decorators, side by side) are in `xsrf-actix`'s
//! [`docs` module](https://docs.rs/xsrf-actix/latest/xsrf_actix/docs/).
//!
//! # Tokens
//!
//! ```
//! use time::{Duration, OffsetDateTime};
//! use xsrf_core::{Binding, SigningKey, KeyRing, Rejection, Tokens};
//!
//! // Rotate: sign with `new`, still accept tokens signed with `old`.
//! let old = SigningKey::generate()?;
//! let new = SigningKey::generate()?;
//! let tokens = Tokens::builder(KeyRing::new(new).with_fallback(old))
//!     .timeout(Duration::minutes(30))
//!     .build()?;
//!
//! let now = OffsetDateTime::now_utc();
//! let form = Binding::new("user-42").session("per-session-salt").action("POST /comments");
//! let token = tokens.issue(&form, now);
//! assert!(tokens.verify(token.as_str(), &form, now).is_ok());
//!
//! let other_form = Binding::new("user-42").session("per-session-salt").action("POST /delete");
//! assert_eq!(tokens.verify(token.as_str(), &other_form, now), Err(Rejection::BadSignature));
//! assert_eq!(tokens.verify("junk", &form, now).unwrap_err().to_string(),
//!            "XSRF token malformed: wrong length");
//! # Ok::<(), xsrf_core::ConfigError>(())
//! ```
//!
//! # One-time keys
//!
//! ```
//! use time::{Duration, OffsetDateTime};
//! use xsrf_core::{CreateOptions, MemoryStore, OneTimeKeys, Rejection};
//!
//! # futures_executor::block_on(async {
//! let keys = OneTimeKeys::new(MemoryStore::default());
//! let now = OffsetDateTime::now_utc();
//! // A password-reset link for user 7, valid for an hour, usable once.
//! let opts = CreateOptions::new().duration(Duration::hours(1));
//! let key = keys.create(&opts, &7u64, now).await?;
//! let link = format!("/reset/{key}");
//!
//! let user: u64 = keys.validate(key.as_str(), None, now).await?;
//! assert_eq!(user, 7);
//! assert_eq!(keys.validate::<u64>(key.as_str(), None, now).await, Err(Rejection::AlreadyUsed));
//! # let _ = link;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! # Dependencies
//!
//! Each is listed, with what it is for, in this crate's `Cargo.toml`
//! (in the published package, `Cargo.toml.orig`); `subtle` sits behind
//! [`secret_eq`]. The repository's workspace `Cargo.toml` gives the
//! versions and why a few are not the newest.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod clock;
mod error;
mod exempt;
mod key;
mod one_time;
mod origin;
mod random;
mod rejection;
mod secret;
mod static_key;
pub mod store;
mod token;

pub use self::{
    clock::{Clock, ManualClock, SystemClock},
    error::ConfigError,
    exempt::{ExemptRule, Exemptions, is_canonical_path},
    key::{KeyId, KeyRing, SigningKey},
    one_time::{CreateError, CreateOptions, OneTimeKey, OneTimeKeys},
    origin::{OriginAllowed, OriginPolicy, RequestFacts, SiteOrigin, is_safe_method},
    random::{Entropy, SystemEntropy},
    rejection::{BodyProblem, Malformed, OriginRejection, Rejection},
    secret::secret_eq,
    static_key::StaticKey,
    store::{KeyStore, MemoryStore, StoreError, StoreFuture},
    token::{Binding, ENCODED_LEN, Token, Tokens, TokensBuilder, VERSION, Verified},
};

#[doc(hidden)]
pub use self::token::mac_input;

/// Not public API: what `xsrf-actix` shares with this crate, exempt from
/// semver.
#[doc(hidden)]
pub mod __private {
    pub use crate::secret::Secret;
}

/// The `time` crate of every [`Duration`](time::Duration) and
/// `OffsetDateTime` in this API, re-exported.
pub use time;
