//! The extractors, one per file: [`ValidXsrf`] (the guard), [`XsrfToken`]
//! (a fresh token for a page), `Xsrf` itself (how a request finds its
//! configuration), [`Redeemed`] (a one-time key's data) and [`Deferred`]
//! (a handler's arguments, extracted after `#[handle_token]`'s check).

mod deferred;
mod redeemed;
mod token;
mod valid;
mod xsrf;

pub use self::deferred::Deferred;
pub use self::redeemed::Redeemed;
pub use self::token::XsrfToken;
pub use self::valid::ValidXsrf;
