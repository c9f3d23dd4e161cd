//! Per-session state: the anonymous id, the session salt every token is
//! bound to, and the static session key. Kept in the actix-session
//! `Session` or in a signed cookie of its own.

use std::rc::Rc;

use actix_session::SessionExt as _;
use actix_web::HttpMessage as _;
use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use xsrf_core::{Entropy as _, SystemEntropy};

use crate::config::{Storage, Xsrf};
use crate::error::XsrfError;

/// Session key under which the state is stored.
pub(crate) const SESSION_KEY: &str = "xsrf";

#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct State {
    /// The visitor's anonymous id (the subject when `user_fn` says None).
    pub(crate) anon: String,
    /// Changes on every rotation, so older tokens stop verifying.
    pub(crate) salt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) static_key: Option<String>,
}

impl State {
    pub(crate) fn fresh() -> Self {
        Self {
            anon: random_id(),
            salt: random_id(),
            static_key: None,
        }
    }
}

fn random_id() -> String {
    let mut b = [0u8; 16];
    SystemEntropy.fill(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// The state as this request sees it: set earlier in the same request, or
/// read from storage. Cached in the request so one request sees one state;
/// shared, so the cache costs no copy of its strings.
#[derive(Clone)]
struct Current(Rc<State>);

/// Cookies the middleware (or `WithToken`) must add to the response.
#[derive(Default)]
pub(crate) struct Pending {
    pub(crate) state_cookie: Option<Cookie<'static>>,
    pub(crate) token_cookie: Option<Cookie<'static>>,
    /// A token was issued: the response depends on the session cookie.
    pub(crate) token_issued: bool,
}

/// Put in the extensions by the middleware: its configuration, which also
/// tells that it ran, and whether it already passed this request's origin
/// check. One entry, so an unprotected route pays one insertion.
#[derive(Clone)]
pub(crate) struct MiddlewareRan {
    pub(crate) xsrf: Xsrf,
    pub(crate) origin_checked: bool,
}

pub(crate) fn load(x: &Xsrf, req: &HttpRequest) -> Result<Option<Rc<State>>, XsrfError> {
    if let Some(Current(s)) = req.extensions().get::<Current>() {
        return Ok(Some(Rc::clone(s)));
    }
    let state = match &x.inner.storage {
        // An unreadable session value is treated as no state: the request
        // fails closed with NoSession, and the next GET starts over.
        Storage::Session => req.get_session().get::<State>(SESSION_KEY).ok().flatten(),
        Storage::SignedCookie { name } => {
            require_middleware(req)?;
            req.cookie(name).and_then(|c| open_cookie(x, c.value()))
        }
    }
    .map(Rc::new);
    if let Some(s) = &state {
        req.extensions_mut().insert(Current(Rc::clone(s)));
    }
    Ok(state)
}

pub(crate) fn load_or_create(x: &Xsrf, req: &HttpRequest) -> Result<Rc<State>, XsrfError> {
    match load(x, req)? {
        Some(s) => Ok(s),
        None => save(x, req, State::fresh()),
    }
}

pub(crate) fn save(x: &Xsrf, req: &HttpRequest, state: State) -> Result<Rc<State>, XsrfError> {
    match &x.inner.storage {
        Storage::Session => req
            .get_session()
            .insert(SESSION_KEY, &state)
            .map_err(XsrfError::session)?,
        Storage::SignedCookie { name } => {
            require_middleware(req)?;
            let cookie = Cookie::build(name.clone(), seal_cookie(x, &state)?)
                .path("/")
                .http_only(true)
                .secure(x.inner.policy.is_https())
                .same_site(SameSite::Lax)
                .finish();
            pending(req, |p| p.state_cookie = Some(cookie));
        }
    }
    let state = Rc::new(state);
    req.extensions_mut().insert(Current(Rc::clone(&state)));
    Ok(state)
}

pub(crate) fn pending(req: &HttpRequest, f: impl FnOnce(&mut Pending)) {
    let mut ext = req.extensions_mut();
    if ext.get::<Pending>().is_none() {
        ext.insert(Pending::default());
    }
    if let Some(p) = ext.get_mut::<Pending>() {
        f(p);
    }
}

fn require_middleware(req: &HttpRequest) -> Result<(), XsrfError> {
    if req.extensions().contains::<MiddlewareRan>() {
        Ok(())
    } else {
        Err(XsrfError::misconfigured(
            "cookie storage needs the Xsrf middleware to write its cookie: add `.wrap(xsrf.clone())`",
        ))
    }
}

fn seal_cookie(x: &Xsrf, state: &State) -> Result<String, XsrfError> {
    let json = serde_json::to_vec(state).map_err(XsrfError::session)?;
    let body = URL_SAFE_NO_PAD.encode(json);
    let tag = ring::hmac::sign(&x.inner.state_key, body.as_bytes());
    Ok(format!("{body}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref())))
}

fn open_cookie(x: &Xsrf, value: &str) -> Option<State> {
    // Bounded: a real state cookie is ~200 bytes.
    if value.len() > 2048 {
        return None;
    }
    let (body, tag) = value.split_once('.')?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    ring::hmac::verify(&x.inner.state_key, body.as_bytes(), &tag).ok()?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()
}
