//! Checking a request, top-down: [`gather`] the token (headers, the
//! middleware's body scan, the cookie), [`origin`] facts and the state;
//! hand them to `xsrf-core` for a pure verdict (`Tokens::verify`,
//! `OriginPolicy::check`, `OneTimeKeys::validate`); [`conclude`](mod@conclude): log,
//! count, and answer through the error handler. `Check` is what
//! `#[handle_token]` runs; `ValidXsrf` runs the same steps without the
//! options.

pub(crate) mod conclude;
mod gather;
pub(crate) mod origin;

use std::borrow::Cow;

use actix_web::HttpRequest;
use xsrf_core::{Binding, Rejection, StaticKey};

use self::conclude::{Proof, conclude};
pub(crate) use self::gather::Found;
use self::origin::check_origin;
use crate::config::{STATIC_KEY_MARKER, Source, Xsrf};
use crate::error::XsrfError;
use crate::one_time::redeem_in_request;
use crate::state::State;
use crate::{messages, state};

/// What to check on a request: the options of `#[handle_token]`.
///
/// The one way to guard a handler is a [`ValidXsrf`](crate::ValidXsrf)
/// argument, or `#[handle_token]` on it for options; `Check` is what the
/// attribute expands to, public for what neither covers: an action
/// computed per request ([`Check::action`], with
/// [`Deferred`](crate::Deferred) to keep the body extractors after the
/// check), or a check in code that holds only the request.
///
/// ```
/// use actix_web::{HttpRequest, HttpResponse, post};
/// use xsrf_actix::{Check, Source, XsrfError};
///
/// // What `#[handle_token(action = "delete-account", source = "header")]` expands
/// // to for a handler taking nothing but the request; a handler with body
/// // extractors takes them as one `Deferred` and extracts them after the
/// // check (see `Deferred`).
/// #[post("/account/delete")]
/// async fn delete(req: HttpRequest) -> Result<HttpResponse, XsrfError> {
///     Check::new().action("delete-account").source(Source::Header).run(&req).await?;
///     Ok(HttpResponse::NoContent().finish())
/// }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct Check {
    action: Option<Cow<'static, str>>,
    source: Option<Source>,
    one_time: bool,
}

impl Check {
    /// Checks a token for the configured sources, no action scope.
    pub const fn new() -> Self {
        Self {
            action: None,
            source: None,
            one_time: false,
        }
    }

    /// Requires a token issued for `action`: a literal, or an action
    /// computed per request (`format!("delete-item-{id}")`) for tokens
    /// scoped to one record; see [`Deferred`](crate::Deferred) for keeping
    /// such a check ahead of the body extractors.
    pub fn action(mut self, action: impl Into<Cow<'static, str>>) -> Self {
        self.action = Some(action.into());
        self
    }

    /// Reads the token only from `source` (`Source::Cookie`: double submit
    /// with the header or form token).
    pub fn source(mut self, source: Source) -> Self {
        self.source = Some(source);
        self
    }

    /// Expects a one-time key instead of a signed token, and burns it. The
    /// static session key is never accepted in its place (see
    /// [`Xsrf::reveal_static_key`]).
    pub fn one_time(mut self) -> Self {
        self.one_time = true;
        self
    }

    /// Runs the check; `Ok` means the request may proceed.
    pub async fn run(self, req: &HttpRequest) -> Result<(), XsrfError> {
        let x = Xsrf::registered(req)?;
        let proof = if self.one_time {
            Proof::OneTimeKey
        } else {
            Proof::Token
        };
        let outcome = self.decide(x, req).await;
        conclude(x, req, proof, outcome)
    }

    async fn decide(self, x: &Xsrf, req: &HttpRequest) -> Result<(), XsrfError> {
        if !self.one_time {
            return self.decide_now(x, req);
        }
        refuse_exempt(x, req)?;
        let key = self.find_token(x, req)?;
        // The one redemption path, shared with `Xsrf::redeem`; it refuses
        // the static key marker like any key it does not hold.
        let data = redeem_in_request::<serde_json::Value>(x, req, key.expose()).await?;
        // For a `Redeemed<T>` argument of the handler: the key is burnt now.
        state::PerRequest::write(req, |p| p.redeemed = Some(data));
        Ok(())
    }

    /// A signed token needs no store, so it is decided without waiting
    /// (and `ValidXsrf` needs no boxed future).
    pub(crate) fn decide_now(&self, x: &Xsrf, req: &HttpRequest) -> Result<(), XsrfError> {
        let Some(token) = self.admit(x, req)? else {
            return Ok(());
        };
        check_origin(x, req)?;
        let state = state::load_required(x, req)?;
        let subject = x.subject(req, &state);
        let binding = Binding::new(subject.as_str())
            .session(state.salt.as_str())
            .maybe_action(self.action.as_deref());
        let verified = match x
            .inner
            .tokens
            .verify(token.expose(), &binding, x.inner.clock.now())
        {
            // Authentic (the tag is checked before the time) and expired:
            // a form from the site gets it back with a fresh token for the
            // same binding, if the middleware kept it (see `repost`).
            Err(Rejection::Expired) if matches!(token, Found::Body(_)) => {
                crate::repost::mint(x, req, &binding, self.action.is_none());
                return Err(Rejection::Expired.into());
            }
            verified => verified?,
        };
        if verified.refresh_due {
            // Past half its life, or signed by a fallback key: the answer
            // carries a fresh one, so a client in use never holds an
            // expired token and moves to the new key after a rotation.
            x.queue_refresh(req, &state, &subject, self.action.as_deref())?;
        }
        Ok(())
    }

    /// What a token check does first: refuse a check on an exempt route,
    /// find the token, and let a valid static key through (`None`), which
    /// stands in for the token and the origin check. Where the static key
    /// is accepted and where not: [`Xsrf::reveal_static_key`].
    fn admit<'r>(&self, x: &Xsrf, req: &'r HttpRequest) -> Result<Option<Found<'r>>, XsrfError> {
        refuse_exempt(x, req)?;
        let token = self.find_token(x, req)?;
        if token.expose() == STATIC_KEY_MARKER {
            return check_static_key(x, req).map(|()| None);
        }
        Ok(Some(token))
    }
}

/// An exempt request skipped every check in the middleware; a handler
/// that asks for one anyway is configured two ways at once.
fn refuse_exempt(x: &Xsrf, req: &HttpRequest) -> Result<(), XsrfError> {
    if !x.is_exempt(req) {
        return Ok(());
    }
    let rule = x
        .exemption(req)
        .map_or_else(|| "?".to_owned(), |e| e.to_string());
    tracing::error!(%rule, "an exempt route's handler requires an XSRF token");
    Err(XsrfError::misconfigured(messages::EXEMPT_ROUTE_CHECKED))
}

fn check_static_key(x: &Xsrf, req: &HttpRequest) -> Result<(), XsrfError> {
    let state = state::load(x, req)?;
    if static_key_matches(x, req, state.as_ref()) {
        Ok(())
    } else {
        Err(Rejection::StaticKeyMismatch.into())
    }
}

/// Whether the request's static key header holds the static key of its
/// session (`state`): the one comparison of static keys, for the token
/// check and for the middleware, which skips its origin check only for a
/// request that proves its key.
pub(crate) fn static_key_matches(x: &Xsrf, req: &HttpRequest, state: Option<&State>) -> bool {
    let presented = req
        .headers()
        .get(&x.inner.transport.static_header)
        .and_then(|v| v.to_str().ok());
    let stored = state.and_then(|s| s.static_key.as_ref());
    match (presented, stored) {
        (Some(presented), Some(stored)) => {
            StaticKey::from_stored(stored.expose()).matches(presented)
        }
        _ => false,
    }
}
