//! Sending tokens: issuing for the current subject, the `WithToken`
//! responder behind `#[send_token]`, and the cookies on the way out.

use std::borrow::Cow;

use actix_web::body::EitherBody;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpMessage as _, HttpRequest, HttpResponse, Responder, ResponseError as _};
use xsrf_core::{Binding, Token};

use crate::config::Xsrf;
use crate::error::XsrfError;
use crate::state::{self, PerRequest, State, Subject};

impl Xsrf {
    /// Issues a fresh token for the subject of `req` (the user from
    /// `user_fn`, else the session's anonymous id, creating the session
    /// state on first use), scoped to `action` if given.
    ///
    /// When the token cookie is configured it is queued for the response.
    pub fn issue(&self, req: &HttpRequest, action: Option<&str>) -> Result<Token, XsrfError> {
        let state = state::load_or_create(self, req).map_err(|e| self.error(req, e))?;
        let subject = self.subject(req, &state);
        let binding = Binding::new(subject.as_str())
            .session(state.salt.as_str())
            .maybe_action(action);
        let token = self.inner.tokens.issue(&binding, self.inner.clock.now());
        // Readable by scripts on purpose: Angular and axios copy it into the
        // X-XSRF-TOKEN header. SameSite=Lax keeps it off cross-site
        // subrequests.
        let cookie = self
            .inner
            .send_cookie
            .then(|| state::token_cookie(self, token.as_str()));
        PerRequest::write(req, |p| {
            p.pending.token_issued = true;
            if cookie.is_some() {
                p.pending.token_cookie = cookie;
            }
        });
        Ok(token)
    }

    /// Queues a fresh token for the response to a request whose token was
    /// due for a refresh: in the token header (unless the handler sends one
    /// itself), and in the token cookie when configured and the token is
    /// not scoped to an action (the cookie is the app-wide token scripts
    /// copy into every request).
    pub(crate) fn queue_refresh(
        &self,
        req: &HttpRequest,
        state: &State,
        subject: &Subject,
        action: Option<&str>,
    ) -> Result<(), XsrfError> {
        let binding = Binding::new(subject.as_str())
            .session(state.salt.as_str())
            .maybe_action(action);
        let token = self.inner.tokens.issue(&binding, self.inner.clock.now());
        let value = HeaderValue::from_str(token.as_str())
            .map_err(|_| XsrfError::session("token is not a header value"))?;
        let cookie = (self.inner.send_cookie && action.is_none())
            .then(|| state::token_cookie(self, token.as_str()));
        PerRequest::write(req, |p| {
            p.pending.token_issued = true;
            p.pending.refreshed = Some((self.inner.header.clone(), value));
            if cookie.is_some() {
                p.pending.token_cookie = cookie;
            }
        });
        tracing::debug!("XSRF token refreshed");
        Ok(())
    }

    /// The user from `user_fn`, else the session's anonymous id.
    pub(crate) fn subject(&self, req: &HttpRequest, state: &State) -> Subject {
        match self.inner.user_fn.as_ref().and_then(|f| f(req)) {
            Some(user) => Subject::user(&user),
            None => Subject::anon(&state.anon),
        }
    }
}

/// Adds what was queued during the request (state cookie, token cookie,
/// `Vary`) to the response. Appends: the handler's own cookies stay.
pub(crate) fn apply_pending<B>(req: &HttpRequest, res: &mut HttpResponse<B>) {
    let Some(p) = req
        .extensions_mut()
        .get_mut::<PerRequest>()
        .map(|p| std::mem::take(&mut p.pending))
    else {
        return;
    };
    if let Some((name, value)) = p.refreshed
        && !res.headers().contains_key(&name)
    {
        res.headers_mut().insert(name, value);
    }
    for cookie in [p.state_cookie, p.token_cookie].into_iter().flatten() {
        // The formatted cookie becomes the header value without a copy.
        if let Ok(value) = HeaderValue::try_from(cookie) {
            res.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    if p.token_issued {
        // The token depends on the session cookie; a shared cache must not
        // serve it to someone else.
        res.headers_mut()
            .append(header::VARY, HeaderValue::from_static("Cookie"));
        if !res.headers().contains_key(header::CACHE_CONTROL) {
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
        }
    }
}

/// A response with a fresh token in the `X-XSRF-Token` header (and the
/// token cookie when configured): what `#[send_token]` returns.
///
/// Written by hand it looks like this:
///
/// ```
/// use actix_web::{HttpRequest, HttpResponse, get};
/// use xsrf_actix::WithToken;
///
/// #[get("/form")]
/// async fn form(req: HttpRequest) -> WithToken<HttpResponse> {
///     WithToken::new(&req, HttpResponse::Ok().body("<form>...</form>"))
/// }
/// ```
#[must_use]
pub struct WithToken<R> {
    req: HttpRequest,
    inner: R,
    action: Option<Cow<'static, str>>,
}

impl<R> WithToken<R> {
    /// Wraps the handler's response.
    pub fn new(req: &HttpRequest, inner: R) -> Self {
        Self {
            req: req.clone(),
            inner,
            action: None,
        }
    }

    /// Scopes the token to an action (a literal, or one computed per
    /// request, such as `format!("delete-item-{id}")`).
    pub fn action(mut self, action: impl Into<Cow<'static, str>>) -> Self {
        self.action = Some(action.into());
        self
    }
}

impl<R: Responder> Responder for WithToken<R> {
    type Body = EitherBody<R::Body>;

    fn respond_to(self, req: &HttpRequest) -> HttpResponse<Self::Body> {
        let issued = Xsrf::for_request(&self.req)
            .and_then(|x| x.issue(&self.req, self.action.as_deref()).map(|t| (x, t)));
        let mut res = match issued {
            Ok((x, token)) => {
                let mut res = self.inner.respond_to(req).map_into_left_body();
                // Tokens are base64url: always a valid header value.
                if let Ok(value) = HeaderValue::from_str(token.as_str()) {
                    res.headers_mut().insert(x.header_name().clone(), value);
                }
                res
            }
            Err(e) => e.error_response().map_into_right_body(),
        };
        apply_pending(&self.req, &mut res);
        res
    }
}

impl<R> std::fmt::Debug for WithToken<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithToken")
            .field("action", &self.action)
            .finish_non_exhaustive()
    }
}
