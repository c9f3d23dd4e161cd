//! Sending tokens: issuing for the current subject, the `WithToken`
//! responder behind `#[send_token]`, and the cookies on the way out.

use actix_web::body::EitherBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpMessage as _, HttpRequest, HttpResponse, Responder, ResponseError as _};
use xsrf_core::{Binding, Token};

use crate::config::Xsrf;
use crate::error::XsrfError;
use crate::state::{self, Pending, State};

impl Xsrf {
    /// Issues a fresh token for the subject of `req` (the user from
    /// `user_fn`, else the session's anonymous id, creating the session
    /// state on first use), scoped to `action` if given.
    ///
    /// When the token cookie is configured it is queued for the response.
    pub fn issue(&self, req: &HttpRequest, action: Option<&str>) -> Result<Token, XsrfError> {
        let state = state::load_or_create(self, req).map_err(|e| self.error(e))?;
        let subject = self.subject(req, &state);
        let binding = Binding::new(&subject)
            .session(&state.salt)
            .maybe_action(action);
        let token = self.inner.tokens.issue(&binding, self.inner.clock.now());
        let cookie = self.inner.send_cookie.then(|| {
            // Readable by scripts on purpose: Angular and axios copy it into
            // the X-XSRF-TOKEN header. SameSite=Lax keeps it off cross-site
            // subrequests.
            Cookie::build(self.inner.cookie_name.clone(), token.as_str().to_owned())
                .path("/")
                .http_only(false)
                .secure(self.inner.policy.is_https())
                .same_site(SameSite::Lax)
                .finish()
        });
        state::pending(req, |p| {
            p.token_issued = true;
            if cookie.is_some() {
                p.token_cookie = cookie;
            }
        });
        Ok(token)
    }

    /// `user:<id>` or `anon:<id>`: the two kinds can never collide.
    pub(crate) fn subject(&self, req: &HttpRequest, state: &State) -> String {
        match self.inner.user_fn.as_ref().and_then(|f| f(req)) {
            Some(user) => format!("user:{user}"),
            None => format!("anon:{}", state.anon),
        }
    }
}

/// Adds what was queued during the request (state cookie, token cookie,
/// `Vary`) to the response. Appends: the handler's own cookies stay.
pub(crate) fn apply_pending<B>(req: &HttpRequest, res: &mut HttpResponse<B>) {
    let Some(p) = req.extensions_mut().remove::<Pending>() else {
        return;
    };
    for cookie in [p.state_cookie, p.token_cookie].into_iter().flatten() {
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
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
    action: Option<&'static str>,
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

    /// Scopes the token to an action.
    pub fn action(mut self, action: &'static str) -> Self {
        self.action = Some(action);
        self
    }
}

impl<R: Responder> Responder for WithToken<R> {
    type Body = EitherBody<R::Body>;

    fn respond_to(self, req: &HttpRequest) -> HttpResponse<Self::Body> {
        let issued = Xsrf::from_request(&self.req)
            .and_then(|x| x.issue(&self.req, self.action).map(|t| (x, t)));
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
