//! The values an app hands the builder, one per decision: how long tokens
//! live ([`Expiry`]), where per-session state lives ([`Storage`]), where
//! tokens travel ([`Transport`], [`Source`]), the cookie scripts read
//! ([`TokenCookie`]), where the origin policy runs ([`OriginChecks`]) and
//! whether refusals are enforced or reported ([`Rollout`]).
//!
//! Each is a small value with the secure default, built by name
//! (`Expiry::never()`, `Rollout::report_only()`) rather than by a
//! positional `bool`, as actix-session groups its settings into
//! `SessionLifecycle` and `CookieContentSecurity`. A value is taken as
//! given; [`XsrfBuilder::build`](crate::XsrfBuilder::build) checks it
//! (names, cookie prefixes, limits) and turns it into the settings of
//! `super::settings`, where the checked form of each has the same name.

mod expiry;
mod origin_checks;
mod rollout;
mod storage;
mod token_cookie;
mod transport;

pub use self::{
    expiry::Expiry, origin_checks::OriginChecks, rollout::Rollout, storage::Storage,
    token_cookie::TokenCookie, transport::Source, transport::Transport,
};
