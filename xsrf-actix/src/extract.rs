//! Checking requests: the `Check` behind `#[handle_token]`, the
//! `ValidXsrf` guard and the `XsrfToken` extractor.

use std::borrow::Cow;
use std::future::{Ready, ready};
use std::ops::Deref;
use std::rc::Rc;

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{FromRequest, HttpMessage as _, HttpRequest};
use serde::{Serialize, Serializer};
use xsrf_core::{Binding, OriginAllowed, Rejection, RequestFacts, StaticKey, Token, secret_eq};

use crate::config::{STATIC_KEY_MARKER, Source, Xsrf};
use crate::error::XsrfError;
use crate::scan::{BodyKind, BodyToken};
use crate::state;

/// What to check on a request: the options of `#[handle_token]`.
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

    /// Expects a one-time key instead of a signed token, and burns it.
    pub fn one_time(mut self) -> Self {
        self.one_time = true;
        self
    }

    /// Runs the check; `Ok` means the request may proceed.
    pub async fn run(self, req: &HttpRequest) -> Result<(), XsrfError> {
        let x = Xsrf::registered(req)?;
        let outcome = self.decide(x, req).await;
        conclude(x, req, outcome)
    }

    async fn decide(self, x: &Xsrf, req: &HttpRequest) -> Result<(), XsrfError> {
        if !self.one_time {
            return self.decide_now(x, req);
        }
        let Some((key, state)) = self.admit(x, req)? else {
            return Ok(());
        };
        let data = x
            .inner
            .one_time
            .validate::<serde_json::Value>(&key, Some(state.salt.as_str()), x.inner.clock.now())
            .await?;
        // For a `Redeemed<T>` argument of the handler: the key is burnt now.
        req.extensions_mut()
            .insert(crate::session::RedeemedData(data));
        Ok(())
    }

    /// A signed token needs no store, so it is decided without waiting
    /// (and `ValidXsrf` needs no boxed future).
    fn decide_now(&self, x: &Xsrf, req: &HttpRequest) -> Result<(), XsrfError> {
        let Some((token, state)) = self.admit(x, req)? else {
            return Ok(());
        };
        let subject = x.subject(req, &state);
        let binding = Binding::new(subject.as_str())
            .session(state.salt.as_str())
            .maybe_action(self.action.as_deref());
        let verified = x
            .inner
            .tokens
            .verify(&token, &binding, x.inner.clock.now())?;
        if verified.refresh_due {
            // Past half its life, or signed by a fallback key: the answer
            // carries a fresh one, so a client in use never holds an
            // expired token and moves to the new key after a rotation.
            x.queue_refresh(req, &state, &subject, self.action.as_deref())?;
        }
        Ok(())
    }

    /// What every check does first: find the token, let a valid static
    /// key through (`None`), apply the origin policy, load the state.
    fn admit<'r>(
        &self,
        x: &Xsrf,
        req: &'r HttpRequest,
    ) -> Result<Option<(Found<'r>, state::State)>, XsrfError> {
        refuse_exempt(x, req)?;
        let token = self.find_token(x, req)?;
        if &*token == STATIC_KEY_MARKER {
            return check_static_key(x, req).map(|()| None);
        }
        check_origin(x, req)?;
        let state = state::load_required(x, req)?;
        Ok(Some((token, state)))
    }

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
            None => x.inner.sources.contains(&s),
        };
        let double_submit = allowed(Source::Cookie);
        let mut found: Option<Found<'r>> = None;
        let mut offer = |candidate: Found<'r>| -> Result<(), Rejection> {
            match &found {
                Some(prev) if !secret_eq(prev.as_bytes(), candidate.as_bytes()) => {
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
            for name in std::iter::once(&x.inner.header).chain(&x.inner.extra_headers) {
                if let Some(v) = single_header(req.headers(), name)? {
                    offer(Found::Header(v))?;
                }
            }
        }
        if allowed(Source::Form) || double_submit {
            match body_token(req) {
                Some(BodyToken::Found(v)) => offer(Found::Body(v))?,
                Some(BodyToken::Conflict) => return Err(Rejection::Conflicting.into()),
                // Without a header token, an unreadable body means no token;
                // with one, the header decides.
                Some(BodyToken::TooLarge) if found.is_none() => {
                    return Err(Rejection::BodyTooLarge.into());
                }
                Some(BodyToken::Unreadable(p)) if found.is_none() => {
                    return Err(Rejection::BodyUnreadable(p).into());
                }
                None if found.is_none() && body_may_hold_token(req) => {
                    return Err(XsrfError::misconfigured(
                        "the token must be read from the request body, which only the Xsrf middleware can do without eating it: add `.wrap(xsrf.clone())` to the App",
                    ));
                }
                _ => {}
            }
        }
        if double_submit {
            let cookie =
                state::cookie_value(req, &x.inner.cookie_name).ok_or(Rejection::Missing)?;
            match &found {
                None => return Err(Rejection::Missing.into()),
                Some(t) if !secret_eq(t.as_bytes(), cookie.as_bytes()) => {
                    return Err(Rejection::Conflicting.into());
                }
                Some(_) => {}
            }
        }
        match found {
            Some(t) => Ok(t),
            None if in_query(req, &x.inner.field) => Err(Rejection::InQueryString.into()),
            None => Err(Rejection::Missing.into()),
        }
    }
}

/// A token as found in the request: borrowed from a header, or shared with
/// what the middleware's body scan found.
pub(crate) enum Found<'r> {
    Header(&'r str),
    Body(Rc<str>),
}

impl Deref for Found<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Found::Header(t) => t,
            Found::Body(t) => t,
        }
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
    Err(XsrfError::misconfigured(
        "this route is exempt from XSRF checks (XsrfBuilder::exempt / exempt_route) but its handler requires a token (ValidXsrf, #[handle_token], Check): remove the exemption or the check",
    ))
}

/// Logs a refusal and hands the error to the configured handler.
fn conclude(x: &Xsrf, req: &HttpRequest, outcome: Result<(), XsrfError>) -> Result<(), XsrfError> {
    if let Err(e) = &outcome {
        report(req, e);
    }
    outcome.map_err(|e| x.error(req, e))
}

fn report(req: &HttpRequest, e: &XsrfError) {
    // The route pattern, not the path: paths can carry one-time keys.
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "<unmatched>".to_owned());
    match e.rejection() {
        Some(reason) => {
            tracing::warn!(%reason, method = %req.method(), route, "XSRF check refused the request")
        }
        None => tracing::error!(error = %e, method = %req.method(), route, "XSRF check failed"),
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

fn body_token(req: &HttpRequest) -> Option<BodyToken> {
    state::PerRequest::read(req, |p| p.body.clone()).flatten()
}

/// A body the middleware would have scanned for the token field: a form,
/// or JSON (sent without the token header, which is the case here).
fn body_may_hold_token(req: &HttpRequest) -> bool {
    matches!(req.mime_type(), Ok(Some(m)) if BodyKind::of(m.essence_str()).is_some())
}

fn in_query(req: &HttpRequest, field: &str) -> bool {
    req.query_string()
        .split('&')
        .any(|pair| pair.split('=').next() == Some(field))
}

/// Not among `http`'s constants; built once rather than parsed per request.
const SEC_FETCH_SITE: header::HeaderName = header::HeaderName::from_static("sec-fetch-site");

/// The origin policy over the request headers. Only `Host`, `Origin`,
/// `Referer` and `Sec-Fetch-Site` are read: `X-Forwarded-*` never are.
pub(crate) fn check_origin_headers(
    x: &Xsrf,
    method: &str,
    headers: &HeaderMap,
) -> Result<OriginAllowed, Rejection> {
    check_origin_facts(x, RequestFacts::new(method), headers)
}

/// [`check_origin_headers`] from facts already begun (a WebSocket
/// handshake is marked before).
pub(crate) fn check_origin_facts<'h>(
    x: &Xsrf,
    facts: RequestFacts<'h>,
    headers: &'h HeaderMap,
) -> Result<OriginAllowed, Rejection> {
    let get = |name: header::HeaderName| headers.get(name).map(|v| v.as_bytes());
    let mut f = facts;
    if let Some(v) = get(header::HOST) {
        f = f.host(v);
    }
    if let Some(v) = get(header::ORIGIN) {
        f = f.origin(v);
    }
    if let Some(v) = get(header::REFERER) {
        f = f.referer(v);
    }
    if let Some(v) = get(SEC_FETCH_SITE) {
        f = f.sec_fetch_site(v);
    }
    x.inner.policy.check(&f).map_err(Rejection::Origin)
}

/// The origin policy for a handler-level check (tokens, one-time keys).
/// When the middleware already passed this request, its verdict stands;
/// without it (or for a static-key request it let through unchecked) the
/// policy runs here.
pub(crate) fn check_origin(x: &Xsrf, req: &HttpRequest) -> Result<(), Rejection> {
    let checked = req
        .app_data::<state::Ran>()
        .is_some_and(|r| r.origin_checked);
    if !checked {
        check_origin_headers(x, req.method().as_str(), req.headers())?;
    }
    Ok(())
}

fn check_static_key(x: &Xsrf, req: &HttpRequest) -> Result<(), XsrfError> {
    let presented = req
        .headers()
        .get(&x.inner.static_header)
        .and_then(|v| v.to_str().ok())
        .ok_or(Rejection::StaticKeyMismatch)?;
    let state = state::load(x, req)?.ok_or(Rejection::StaticKeyMismatch)?;
    let stored = state
        .static_key
        .as_deref()
        .ok_or(Rejection::StaticKeyMismatch)?;
    if StaticKey::from_stored(stored).matches(presented) {
        Ok(())
    } else {
        Err(Rejection::StaticKeyMismatch.into())
    }
}

/// A guard: a handler that takes `ValidXsrf` runs only for requests that
/// pass the origin policy and carry a valid token for the current session.
///
/// Tokens are looked for in the `X-XSRF-Token` header and, through the
/// `Xsrf` middleware, in the `xsrf_token` field of urlencoded and multipart
/// bodies; the handler's own `web::Form`, `web::Bytes` or `Multipart` still
/// see the whole body. Tokens in the query string are never accepted.
///
/// Take it as the first argument: actix-web polls arguments in order, and
/// this check is decided at once, so a forged request is refused before a
/// body extractor after it parses anything. (Each argument's
/// `from_request` is still called up front; for extractors with side
/// effects there, use `#[handle_token]` or [`Deferred`](crate::Deferred),
/// which extract only after the check.)
///
/// ```
/// use actix_web::{HttpResponse, post, web};
/// use xsrf_actix::ValidXsrf;
///
/// #[derive(serde::Deserialize)]
/// struct Comment { body: String }
///
/// #[post("/comments")]
/// async fn post_comment(_: ValidXsrf, form: web::Form<Comment>) -> HttpResponse {
///     HttpResponse::SeeOther().insert_header(("Location", "/")).finish()
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidXsrf;

impl FromRequest for ValidXsrf {
    type Error = XsrfError;
    type Future = Ready<Result<Self, XsrfError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Xsrf::registered(req).and_then(|x| {
            let outcome = Check::new().decide_now(x, req);
            conclude(x, req, outcome).map(|()| ValidXsrf)
        }))
    }
}

/// A fresh token for the current subject, for templates and JSON.
///
/// ```
/// use actix_web::{HttpResponse, get};
/// use xsrf_actix::XsrfToken;
///
/// #[get("/")]
/// async fn page(token: XsrfToken) -> HttpResponse {
///     HttpResponse::Ok().content_type("text/html").body(format!(
///         r#"<form method="post" action="/comments">{}<input name="body"><button>Post</button></form>"#,
///         token.hidden_input()
///     ))
/// }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct XsrfToken {
    token: Token,
    field: std::sync::Arc<str>,
}

impl XsrfToken {
    /// A fresh token scoped to `action`, for a form that a check with the
    /// same action accepts (`Check::new().action(..)`,
    /// `#[handle_token(action = "..")]`). The extractor gives tokens
    /// without an action; per-record forms need one per record.
    ///
    /// ```
    /// use actix_web::{HttpRequest, HttpResponse, get, web};
    /// use xsrf_actix::{XsrfError, XsrfToken};
    ///
    /// #[get("/items/{id}")]
    /// async fn item(req: HttpRequest, id: web::Path<u64>) -> Result<HttpResponse, XsrfError> {
    ///     let token = XsrfToken::for_action(&req, &format!("delete-item-{id}"))?;
    ///     Ok(HttpResponse::Ok().content_type("text/html").body(format!(
    ///         r#"<form method="post" action="/items/{id}/delete">{}<button>Delete</button></form>"#,
    ///         token.hidden_input()
    ///     )))
    /// }
    /// ```
    pub fn for_action(req: &HttpRequest, action: &str) -> Result<Self, XsrfError> {
        let x = Xsrf::registered(req)?;
        let token = x.issue(req, Some(action))?;
        Ok(XsrfToken {
            token,
            field: std::sync::Arc::clone(&x.inner.field),
        })
    }

    /// The token text.
    pub fn as_str(&self) -> &str {
        self.token.as_str()
    }

    /// The name of the form field the token goes in.
    pub(crate) fn field_name(&self) -> &str {
        &self.field
    }

    /// `<input type="hidden" name="xsrf_token" value="...">`, escaped.
    /// In a template engine, use [`XsrfToken::field`] instead: it is the
    /// same markup, marked safe for the engine.
    ///
    /// Tokens and configured field names never need escaping (the builder
    /// refuses odd names); escaping anyway keeps that an invariant of this
    /// function rather than of its callers.
    pub fn hidden_input(&self) -> String {
        use html_escape::encode_double_quoted_attribute as attr;
        format!(
            r#"<input type="hidden" name="{}" value="{}">"#,
            attr(&self.field),
            attr(self.token.as_str())
        )
    }
}

impl std::fmt::Debug for XsrfToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("XsrfToken(..)")
    }
}

impl Serialize for XsrfToken {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.token.as_str())
    }
}

impl FromRequest for XsrfToken {
    type Error = XsrfError;
    type Future = Ready<Result<Self, XsrfError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Xsrf::registered(req).and_then(|x| {
            let token = x.issue(req, None)?;
            Ok(XsrfToken {
                token,
                field: std::sync::Arc::clone(&x.inner.field),
            })
        }))
    }
}
