//! Loading and saving the state, in the session or the state cookie;
//! what a later load in the same request sees.

use actix_session::SessionExt as _;
use actix_web::HttpRequest;
use xsrf_core::Rejection;

use super::bound_keys::remember_loaded;
use super::cookies::{cookie_value, set_cookie};
use super::per_request::PerRequest;
use super::record::{SESSION_KEY, State};
use super::sealed::{Signer, open_cookie, seal_cookie};
use crate::config::{Storage, Xsrf};
use crate::error::XsrfError;
use crate::messages;
use crate::middleware::{leave_probe, middleware_config};

pub(crate) fn load(x: &Xsrf, req: &HttpRequest) -> Result<Option<State>, XsrfError> {
    if let Some(s) = PerRequest::read(req, |p| p.current.clone()).flatten() {
        return Ok(Some(s));
    }
    let state = match &x.inner.state.storage {
        // An unreadable session value is treated as no state: the request
        // fails closed with NoSession, and the next GET starts over.
        Storage::Session => {
            let state = in_session(req);
            if let Some(s) = &state {
                remember_loaded(x, req, s);
            }
            state
        }
        Storage::SignedCookie { name } => {
            require_middleware(req)?;
            match in_cookie(x, req, name) {
                // Signed with a fallback key: signed again with the current
                // one as it passes, so the state outlives the old key.
                Some((state, Signer::Fallback)) => return save(x, req, state).map(Some),
                Some((state, Signer::Current)) => Some(state),
                None => None,
            }
        }
    };
    // Not cached here: a second load reads the same storage and gets the
    // same state, and most requests load once. `save` records what it
    // writes, and that is what later loads must see.
    Ok(state)
}

/// The state as the request brought it, for the middleware before it
/// marks the request: read only (a state signed with a fallback key is not
/// signed again, nothing is noted for the request). With session storage,
/// call it only when a session came in (`SessionAtEntry::Present`): asking
/// actix-session for an absent one leaves a detached session behind.
pub(crate) fn peek_at_entry(x: &Xsrf, req: &HttpRequest) -> Option<State> {
    match &x.inner.state.storage {
        Storage::Session => in_session(req),
        Storage::SignedCookie { name } => in_cookie(x, req, name).map(|(state, _)| state),
    }
}

fn in_session(req: &HttpRequest) -> Option<State> {
    req.get_session()
        .entries()
        .get(SESSION_KEY)
        .and_then(|v| State::from_session(v))
}

fn in_cookie(x: &Xsrf, req: &HttpRequest, name: &str) -> Option<(State, Signer)> {
    cookie_value(req, name).and_then(|v| open_cookie(x, v))
}

/// The state a token check needs; a request without any is refused as
/// `NoSession`, after leaving the probe that tells a missing
/// `SessionMiddleware` from one inside `Xsrf` (a `500` naming the fix
/// instead of a `403` for everyone).
pub(crate) fn load_required(x: &Xsrf, req: &HttpRequest) -> Result<State, XsrfError> {
    if let Some(state) = load(x, req)? {
        return Ok(state);
    }
    leave_probe(x, req)?;
    Err(Rejection::NoSession.into())
}

pub(crate) fn load_or_create(x: &Xsrf, req: &HttpRequest) -> Result<State, XsrfError> {
    match load(x, req)? {
        Some(s) => Ok(s),
        None => save(x, req, State::fresh()?),
    }
}

pub(crate) fn save(x: &Xsrf, req: &HttpRequest, state: State) -> Result<State, XsrfError> {
    let cookie = match &x.inner.state.storage {
        Storage::Session => {
            req.get_session()
                .insert(SESSION_KEY, &state)
                .map_err(XsrfError::session)?;
            None
        }
        Storage::SignedCookie { name } => {
            require_middleware(req)?;
            let value = seal_cookie(x, &state);
            Some(set_cookie(x, name, &value, true))
        }
    };
    PerRequest::write(req, |p| {
        if cookie.is_some() {
            p.pending.state_cookie = cookie;
        }
        p.current = Some(state.clone());
    });
    Ok(state)
}

fn require_middleware(req: &HttpRequest) -> Result<(), XsrfError> {
    if middleware_config(req).is_some() {
        Ok(())
    } else {
        Err(XsrfError::misconfigured(
            messages::COOKIE_STORAGE_NEEDS_MIDDLEWARE,
        ))
    }
}
