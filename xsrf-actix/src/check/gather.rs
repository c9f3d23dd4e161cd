//! Gathering the token a request carries: the header(s), the middleware's
//! body scan, the double-submit cookie. One token, or a reason there is
//! none; a second, different one is a conflict.

use std::rc::Rc;

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderMap};
use xsrf_core::{Rejection, secret_eq};

use super::Check;
use crate::body_plan::plan;
use crate::config::{Source, Xsrf};
use crate::error::XsrfError;
use crate::middleware::{BodyMark, Marked, NotScanned};
use crate::scan::BodyToken;
use crate::{messages, state};

impl Check {
    /// Collects the token from every allowed place; they must agree.
    ///
    /// Header values are borrowed from the request; a body token (kept by
    /// the middleware in the extensions) is shared, not copied.
    pub(crate) fn find_token<'r>(
        &self,
        x: &Xsrf,
        req: &'r HttpRequest,
    ) -> Result<Found<'r>, XsrfError> {
        let allowed = |s: Source| match self.source {
            Some(only) => only == s,
            None => x.inner.transport.sources.contains(&s),
        };
        let double_submit = allowed(Source::Cookie);
        let mut found: Option<Found<'r>> = None;
        let mut offer = |candidate: Found<'r>| -> Result<(), Rejection> {
            match &found {
                Some(prev) if !secret_eq(prev.expose(), candidate.expose()) => {
                    Err(Rejection::Conflicting)
                }
                _ => {
                    found = Some(candidate);
                    Ok(())
                }
            }
        };
        if allowed(Source::Header) || double_submit {
            // The main header, then any accepted during a migration; a token
            // in several of them must be the same token.
            for name in x.inner.transport.token_headers() {
                if let Some(v) = single_header(req.headers(), name)? {
                    offer(Found::Header(v))?;
                }
            }
        }
        if allowed(Source::Form) || double_submit {
            match body_seen(x, req) {
                Body::Scanned(BodyToken::Found(v)) => offer(Found::Body(v))?,
                Body::Scanned(BodyToken::Conflict) => return Err(Rejection::Conflicting.into()),
                // Without a header token, an unreadable body means no token;
                // with one, the header decides.
                Body::Scanned(BodyToken::TooLarge) if found.is_none() => {
                    return Err(Rejection::BodyTooLarge.into());
                }
                Body::Scanned(BodyToken::Unreadable(p)) if found.is_none() => {
                    return Err(Rejection::BodyUnreadable(p).into());
                }
                Body::NotScanned(NotScanned::Unrouted) if found.is_none() => {
                    return Err(XsrfError::misconfigured(messages::UNROUTED_BODY));
                }
                Body::NoMiddleware if found.is_none() => {
                    return Err(XsrfError::misconfigured(messages::BODY_NEEDS_MIDDLEWARE));
                }
                _ => {}
            }
        }
        if double_submit {
            let cookie =
                state::cookie_value(req, &x.inner.token_cookie.name).ok_or(Rejection::Missing)?;
            match &found {
                None => return Err(Rejection::Missing.into()),
                Some(t) if !secret_eq(t.expose(), cookie.as_bytes()) => {
                    return Err(Rejection::Conflicting.into());
                }
                Some(_) => {}
            }
        }
        match found {
            Some(t) => Ok(t),
            None if in_query(req, &x.inner.transport.field) => Err(Rejection::InQueryString.into()),
            None => Err(Rejection::Missing.into()),
        }
    }
}

/// A token as found in the request: borrowed from a header, or shared with
/// what the middleware's body scan found.
///
/// No `PartialEq` and no `Deref`: the token is read through
/// [`Found::expose`], to verify it or to compare it through `secret_eq`.
pub(crate) enum Found<'r> {
    Header(&'r str),
    Body(Rc<str>),
}

impl Found<'_> {
    pub(crate) fn expose(&self) -> &str {
        match self {
            Found::Header(t) => t,
            Found::Body(t) => t,
        }
    }
}

fn single_header<'r>(
    headers: &'r HeaderMap,
    name: &header::HeaderName,
) -> Result<Option<&'r str>, Rejection> {
    let mut values = headers.get_all(name);
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Rejection::Conflicting);
    }
    // What `HeaderValue::to_str` accepts (visible ASCII and tabs), checked
    // without an early exit so that it vectorizes (http 0.2's loop does
    // not): then the bytes are UTF-8 as well.
    let bytes = first.as_bytes();
    let visible = bytes.iter().fold(true, |ok, &b| {
        ok & ((b' '..=b'~').contains(&b) | (b == b'\t'))
    });
    match std::str::from_utf8(bytes) {
        Ok(text) if visible => Ok(Some(text)),
        _ => Err(Rejection::Malformed(xsrf_core::Malformed::Encoding)),
    }
}

/// What is known of the body's token.
enum Body {
    /// The middleware read the body: what it found.
    Scanned(BodyToken),
    /// The middleware left it unread, for this reason.
    NotScanned(NotScanned),
    /// No middleware, and a body only it could read (the token may be in
    /// it): the plan the middleware would have followed, not a second
    /// opinion of our own.
    NoMiddleware,
}

fn body_seen(x: &Xsrf, req: &HttpRequest) -> Body {
    if let Some(outcome) = state::PerRequest::read(req, |p| p.body.clone()).flatten() {
        return Body::Scanned(outcome);
    }
    match Marked::of(req).map(|m| m.mark.body) {
        Some(BodyMark::NotRead(why)) => Body::NotScanned(why),
        // Read, yet no outcome: the scan always notes one, so this cannot
        // be; there is no token from the body.
        Some(BodyMark::Read) => Body::Scanned(BodyToken::NotFound),
        None => match plan(req.headers(), &x.inner.transport) {
            Ok(_) => Body::NoMiddleware,
            Err(why) => Body::NotScanned(why),
        },
    }
}

fn in_query(req: &HttpRequest, field: &str) -> bool {
    req.query_string()
        .split('&')
        .any(|pair| pair.split('=').next() == Some(field))
}
