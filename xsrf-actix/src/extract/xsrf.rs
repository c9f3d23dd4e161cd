//! How a request finds its `Xsrf`: the middleware's mark, or app data;
//! `Xsrf` as an extractor; whether the middleware let the request through
//! as exempt.

use actix_web::HttpRequest;

use crate::config::Xsrf;
use crate::error::XsrfError;
use crate::messages;
use crate::middleware::{Marked, middleware_config};

impl Xsrf {
    /// Finds the configuration registered for a request: put there by the
    /// middleware, or registered with `App::app_data` (as `Xsrf` or
    /// `web::Data<Xsrf>`). In a handler, take `xsrf: Xsrf` as an argument
    /// instead; this is for code that holds only the request.
    ///
    /// Without a registered `Xsrf` the error answers 500 and names the fix.
    pub fn for_request(req: &HttpRequest) -> Result<Xsrf, XsrfError> {
        Self::registered(req).cloned()
    }

    /// [`Xsrf::for_request`] without the clone, for checks that finish
    /// while they hold the request.
    pub(crate) fn registered(req: &HttpRequest) -> Result<&Xsrf, XsrfError> {
        if let Some(x) = middleware_config(req) {
            return Ok(x);
        }
        if let Some(x) = req.app_data::<Xsrf>() {
            return Ok(x);
        }
        if let Some(x) = req.app_data::<actix_web::web::Data<Xsrf>>() {
            return Ok(x);
        }
        let err = XsrfError::misconfigured(messages::NO_XSRF_REGISTERED);
        tracing::error!("{err}");
        Err(err)
    }

    /// Whether the `Xsrf` middleware let this request through as exempt
    /// ([`XsrfBuilder::exempt`](crate::XsrfBuilder::exempt), [`XsrfBuilder::exempt_route`](crate::XsrfBuilder::exempt_route)): for a
    /// handler shared by exempt and protected routes, which then checks a
    /// token only when the request is not exempt.
    ///
    /// ```
    /// use actix_web::{HttpRequest, HttpResponse};
    /// use xsrf_actix::{Check, Xsrf, XsrfError};
    ///
    /// async fn hook(req: HttpRequest, body: String) -> Result<HttpResponse, XsrfError> {
    ///     let xsrf = Xsrf::for_request(&req)?;
    ///     if !xsrf.is_exempt(&req) {
    ///         Check::new().run(&req).await?;
    ///     }
    ///     Ok(HttpResponse::Ok().body(body))
    /// }
    /// ```
    pub fn is_exempt(&self, req: &HttpRequest) -> bool {
        Marked::of(req).is_some_and(|m| m.mark.exempt())
    }
}

/// The configuration as an extractor, for handlers that issue, rotate or
/// redeem: `async fn login(xsrf: Xsrf, req: HttpRequest)`. A route without
/// a registered `Xsrf` answers 500 naming the fix.
///
/// ```
/// use actix_web::{HttpRequest, HttpResponse, post};
/// use xsrf_actix::{ValidXsrf, Xsrf, XsrfError};
///
/// #[post("/logout")]
/// async fn logout(xsrf: Xsrf, req: HttpRequest, _: ValidXsrf) -> Result<HttpResponse, XsrfError> {
///     xsrf.rotate(&req).await?;
///     Ok(HttpResponse::SeeOther().insert_header(("Location", "/")).finish())
/// }
/// ```
impl actix_web::FromRequest for Xsrf {
    type Error = XsrfError;
    type Future = std::future::Ready<Result<Self, XsrfError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Self::for_request(req))
    }
}
