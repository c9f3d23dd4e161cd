//! The error every refusal becomes, and how it turns into a response.

mod answer;

use std::fmt;
use std::sync::Arc;

use actix_web::body::MessageBody as _;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use bytes::Bytes;
use xsrf_core::{BodyProblem, Rejection};

pub(crate) use self::answer::{Format, page_head};

/// The header of a default refusal naming its reason for code
/// ([`Rejection::code`]): `X-XSRF-Rejection: expired`.
pub const REJECTION_HEADER: &str = "X-XSRF-Rejection";

/// [`REJECTION_HEADER`] as `http` wants a static name: lower case.
const REJECTION_HEADER_LOWER: &str = "x-xsrf-rejection";

/// The header a response gets in report-only mode
/// ([`Rollout::report_only`](crate::Rollout::report_only)) when
/// enforce mode would have refused its request: the same code
/// [`REJECTION_HEADER`] would carry (`X-XSRF-Report-Only: expired`).
/// Added by the `Xsrf` middleware (and `WithToken`) on the way out.
pub const REPORT_ONLY_HEADER: &str = "X-XSRF-Report-Only";

/// A custom response for refusals, given the error and the request; see
/// [`XsrfBuilder::error_handler`](crate::XsrfBuilder::error_handler).
pub type ErrorHandler = dyn Fn(&XsrfError, &HttpRequest) -> HttpResponse + Send + Sync;

/// Why a request was not let through, as an actix-web error.
///
/// A [`Rejection`] (the request is refused) answers `403 Forbidden`, or
/// `413 Payload Too Large` for a body over the scan limit, `400 Bad
/// Request` for a multipart part whose header block exceeds 8 KiB, `408
/// Request Timeout` for a body that arrived too slowly to be read
/// ([`Transport::body_wait`](crate::Transport::body_wait)), and `503
/// Service Unavailable` when the one-time key store is down. A
/// misconfiguration answers `500` with a message that names the fix.
///
/// The body takes the form the request asks for in `Accept`: a small HTML
/// page for a browser's `text/html` (what happened and what to do, in
/// words for the site's visitors), JSON (`{"error": "expired", "message":
/// …, "status": 403}`) for `application/json`, and one short line of
/// plain text otherwise (`*/*`, curl). It never contains a token, a key,
/// a cookie or a session id, with one exception: an expired token on a
/// form posted from the site's own page by a browser (the origin proven,
/// HTML asked for, the body within the scan limit) is answered with a page
/// that holds the person's fields and a fresh token, and sends them again
/// in one click ("Expired forms" in [the deploying
/// guide](crate::docs::deploying)); still `403 expired`, the handler not
/// run. Every refusal, a custom
/// [`error_handler`](crate::XsrfBuilder::error_handler)'s included,
/// carries [`REJECTION_HEADER`], `Cache-Control: no-store` and `Vary`,
/// and the [`Rejection`] in its extensions, for logging middleware.
///
/// ```
/// use actix_web::{ResponseError, http::StatusCode};
/// use xsrf_actix::{Rejection, XsrfError};
///
/// let err = XsrfError::from(Rejection::Missing);
/// assert_eq!(err.status_code(), StatusCode::FORBIDDEN);
/// assert_eq!(err.to_string(), "XSRF token missing");
/// assert_eq!(err.rejection(), Some(Rejection::Missing));
/// ```
#[derive(Clone)]
pub struct XsrfError {
    kind: Kind,
    /// The form of the default body, from the request's `Accept` (known
    /// only where the error meets its request).
    format: Format,
    /// The custom handler's response, made when the error was raised
    /// (the only time the request is at hand). Kept as parts, not as an
    /// `HttpResponse`, so the error stays `Send + Sync` (for `anyhow` and
    /// `Box<dyn Error + Send + Sync>`).
    custom: Option<Arc<Custom>>,
}

struct Custom {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Debug, Clone)]
enum Kind {
    Rejected(Rejection),
    Misconfigured(&'static str),
    Session(String),
}

impl XsrfError {
    pub(crate) fn misconfigured(fix: &'static str) -> Self {
        Self {
            kind: Kind::Misconfigured(fix),
            format: Format::Text,
            custom: None,
        }
    }

    pub(crate) fn session(reason: impl fmt::Display) -> Self {
        Self {
            kind: Kind::Session(reason.to_string()),
            format: Format::Text,
            custom: None,
        }
    }

    /// Meets the request: picks the default body's form from its
    /// `Accept`, then runs the configured handler for this error and `req`
    /// now, and keeps its response for [`ResponseError::error_response`].
    pub(crate) fn with_handler(
        mut self,
        handler: Option<&ErrorHandler>,
        req: &HttpRequest,
    ) -> Self {
        self.format = Format::of(req);
        let Some(handler) = handler else {
            return self;
        };
        let (head, body) = handler(&self, req).into_parts();
        match body.try_into_bytes() {
            Ok(body) => {
                let mut headers = head.headers().clone();
                // What code reads (the htmx and SPA retry on `expired`,
                // caches) survives a handler that only meant to change
                // the page; a header the handler set itself stays.
                for (name, value) in self.machine_headers() {
                    if !headers.contains_key(&name) {
                        headers.insert(name, value);
                    }
                }
                self.custom = Some(Arc::new(Custom {
                    status: head.status(),
                    headers,
                    body,
                }));
            }
            // A stream cannot be kept in a `Send` error; refusal pages are
            // small, so this is a mistake to name, not a case to support.
            Err(_) => tracing::error!("{}", crate::messages::STREAMING_ERROR_HANDLER),
        }
        self
    }

    /// The reason the request was refused, if it was refused (rather than
    /// failing on a misconfiguration).
    pub fn rejection(&self) -> Option<Rejection> {
        match self.kind {
            Kind::Rejected(r) => Some(r),
            _ => None,
        }
    }

    /// Whether this is a configuration mistake of the application.
    pub fn is_misconfiguration(&self) -> bool {
        !matches!(self.kind, Kind::Rejected(_))
    }

    /// The status of the default response (the custom handler's may differ).
    fn default_status(&self) -> StatusCode {
        match self.kind {
            Kind::Rejected(Rejection::BodyTooLarge) => StatusCode::PAYLOAD_TOO_LARGE,
            // No browser sends such a body: a bad request, not a forgery.
            Kind::Rejected(Rejection::BodyUnreadable(BodyProblem::PartHeadersTooLarge)) => {
                StatusCode::BAD_REQUEST
            }
            // A transport failure, as actix's own slow-header answer.
            Kind::Rejected(Rejection::BodyTimeout) => StatusCode::REQUEST_TIMEOUT,
            Kind::Rejected(Rejection::StoreUnavailable | Rejection::StoreFull) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Kind::Rejected(_) => StatusCode::FORBIDDEN,
            Kind::Misconfigured(_) | Kind::Session(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The headers every refusal carries, the custom handler's included.
    fn machine_headers(&self) -> impl Iterator<Item = (header::HeaderName, HeaderValue)> {
        [
            // The outcome depends on these request headers (and the body's
            // form on `Accept`); caches must not hand one client's refusal
            // to another.
            Some((
                header::VARY,
                HeaderValue::from_static("Origin, Sec-Fetch-Site, Cookie, Accept"),
            )),
            Some((header::CACHE_CONTROL, HeaderValue::from_static("no-store"))),
            // The reason for code, as `Rejection::code` names it: an SPA
            // seeing `expired` fetches a fresh token and retries once.
            self.rejection().map(|r| {
                (
                    header::HeaderName::from_static(REJECTION_HEADER_LOWER),
                    HeaderValue::from_static(r.code()),
                )
            }),
        ]
        .into_iter()
        .flatten()
    }

    /// The response this error gives without a custom handler, in the
    /// form the request's `Accept` asked for.
    pub fn default_response(&self) -> HttpResponse {
        let status = self.default_status();
        let mut res = HttpResponse::build(status);
        res.insert_header((header::CONTENT_TYPE, self.format.content_type()));
        for pair in self.machine_headers() {
            res.insert_header(pair);
        }
        let body = answer::body(
            self.format,
            self.rejection(),
            &self.to_string(),
            status.as_u16(),
        );
        let mut res = res.body(body);
        if let Some(r) = self.rejection() {
            res.extensions_mut().insert(r);
        }
        res.extensions_mut().insert(DefaultRefusal);
        res
    }
}

/// In the extensions of this crate's default refusal only (not a custom
/// handler's response, whose extensions are not kept, nor the app's own):
/// only such a response may become the page that sends an expired form
/// again (see `repost`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DefaultRefusal;

impl From<Rejection> for XsrfError {
    fn from(r: Rejection) -> Self {
        Self {
            kind: Kind::Rejected(r),
            format: Format::Text,
            custom: None,
        }
    }
}

impl fmt::Display for XsrfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Rejected(r) => write!(f, "{r}"),
            Kind::Misconfigured(fix) => write!(f, "XSRF protection misconfigured: {fix}"),
            Kind::Session(reason) => write!(f, "XSRF session storage failed: {reason}"),
        }
    }
}

impl fmt::Debug for XsrfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XsrfError")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl std::error::Error for XsrfError {}

impl ResponseError for XsrfError {
    fn status_code(&self) -> StatusCode {
        match &self.custom {
            Some(custom) => custom.status,
            None => self.default_status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match &self.custom {
            Some(custom) => {
                let mut res = HttpResponse::build(custom.status);
                for (name, value) in &custom.headers {
                    res.append_header((name.clone(), value.clone()));
                }
                let mut res = res.body(custom.body.clone());
                if let Some(r) = self.rejection() {
                    res.extensions_mut().insert(r);
                }
                res
            }
            None => self.default_response(),
        }
    }
}
