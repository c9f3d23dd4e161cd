//! The `WithToken` responder behind `#[send_token]`.

use std::borrow::Cow;

use actix_web::body::EitherBody;
use actix_web::http::header::HeaderValue;
use actix_web::{HttpRequest, HttpResponse, Responder, ResponseError as _};

use crate::config::Xsrf;
use crate::middleware::apply_pending;

/// A response with a fresh token in the `X-XSRF-Token` header (and the
/// token cookie when configured): what `#[send_token]` returns.
///
/// The one way to send a token is an [`XsrfToken`](crate::XsrfToken)
/// argument (for the page's form), or `#[send_token]` (for scripts, in the
/// header); `WithToken` is what the attribute expands to, public for an
/// action computed per request ([`WithToken::action`]) or a response built
/// elsewhere.
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
