//! [`ValidXsrf`]: the guard a handler takes to run only for requests
//! that pass the origin policy and carry a valid token.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::check::Check;
use crate::check::conclude::{Proof, conclude};
use crate::config::Xsrf;
use crate::error::XsrfError;

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
            conclude(x, req, Proof::Token, outcome).map(|()| ValidXsrf)
        }))
    }
}
