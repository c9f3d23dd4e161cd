//! The `Xsrf` middleware: registers the configuration for extractors,
//! refuses cross-origin unsafe requests early, reads form bodies up to the
//! token and puts them back, and writes queued cookies and `Vary`.
//!
//! Why a middleware reads the body: actix-web calls every extractor's
//! `from_request` before polling any, so an extractor that took the payload
//! could not give it back in time for the handler's `web::Form`. Here the
//! request is ours before any extractor exists: take the payload, read only
//! the chunks the scanner needs, then install a payload made of those chunks
//! followed by the untouched rest of the stream. A large upload whose token
//! comes first is never buffered whole.

use std::cell::Cell;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::body::EitherBody;
use actix_web::dev::{
    Extensions, Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready,
};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{Error, HttpMessage, ResponseError as _};
use bytes::Bytes;
use futures_util::Stream;
use futures_util::stream::{self, StreamExt};
use xsrf_core::{BodyProblem, RequestFacts};

use crate::config::{Storage, Xsrf};
use crate::extract::check_origin_facts;
use crate::scan::{
    BodyKind, BodyToken, JsonScanner, MultipartScanner, Scan, Scanner, UrlencodedScanner,
};
use crate::send::apply_pending;
use crate::state::{
    NO_SESSION_MIDDLEWARE, PerRequest, Ran, session_present, session_state_unstored,
};

/// Same shape as actix-http's `BoxedPayloadStream` (not re-exported).
type BoxedPayloadStream = Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>;

/// What the wrapped service answers, and what we answer.
type Inner<B> = Result<ServiceResponse<B>, Error>;
type Outer<B> = Result<ServiceResponse<EitherBody<B>>, Error>;

impl<S, B> Transform<S, ServiceRequest> for Xsrf
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = XsrfMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let ran = |origin_checked, exempt, session_unseen| {
            let mut data = Extensions::new();
            data.insert(Ran {
                xsrf: self.clone(),
                origin_checked,
                exempt,
                session_unseen,
            });
            Rc::new(data)
        };
        ready(Ok(XsrfMiddleware {
            service: Rc::new(service),
            xsrf: self.clone(),
            unchecked: [ran(false, false, false), ran(false, false, true)],
            checked: [ran(true, false, false), ran(true, false, true)],
            exempt: [ran(false, true, false), ran(false, true, true)],
            routes_checked: Cell::new(false),
            session_unseen: Cell::new(None),
        }))
    }
}

/// The service [`Xsrf`] wraps around an app: it refuses cross-origin
/// unsafe requests, reads form bodies up to the token and puts them back,
/// and writes the cookies queued during the request.
///
/// It hands its configuration to extractors as app data of the request
/// (`ServiceRequest::add_data_container`), as actix's own scopes and
/// resources do. Like them, and like actix's router, that needs the
/// middleware around it not to hold a clone of the `HttpRequest` while the
/// request is inside.
pub struct XsrfMiddleware<S> {
    service: Rc<S>,
    xsrf: Xsrf,
    /// App data telling extractors that we ran, with our configuration:
    /// for requests whose origin we did not check, for those we passed,
    /// and for those an exemption let through unchecked; each indexed by
    /// whether the request came in without a session (`[unseen]`).
    unchecked: [Rc<Extensions>; 2],
    checked: [Rc<Extensions>; 2],
    exempt: [Rc<Extensions>; 2],
    /// Whether the names given to `exempt_route` were looked up in the
    /// app's routes (once, at the first request: routes are only known
    /// then).
    routes_checked: Cell<bool>,
    /// Session storage: whether requests reach us without an actix-session
    /// `Session` (asked at the first request; the middleware order is
    /// fixed, so the answer holds for every later one).
    session_unseen: Cell<Option<bool>>,
}

pin_project_lite::pin_project! {
    /// What [`XsrfMiddleware`] answers with: the app's own future (after
    /// reading a form body up to the token, for a body to scan), or our
    /// refusal. Only the state of a body scan is boxed.
    pub struct XsrfFuture<S, B>
    where
        S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    {
        #[pin]
        step: Step<S, B>,
    }
}

pin_project_lite::pin_project! {
    #[project = StepProj]
    enum Step<S, B>
    where
        S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    {
        // The app's own future; the queued cookies are added to its answer.
        Pass { #[pin] app: S::Future, unseen: bool },
        // Refused before the app ran.
        Refused { res: Ready<Outer<B>> },
        // A form body is read up to the token first, then the app runs
        // (`None` only while changing to `Pass`). Boxed: inline, it would
        // make every request's future several times larger, and moving
        // that costs more than this one allocation for form posts.
        Scan { body: Option<Box<BodyScan<S>>>, unseen: bool },
    }
}

impl<S, B> XsrfFuture<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    fn new(step: Step<S, B>) -> Self {
        Self { step }
    }
}

impl<S, B> Future for XsrfFuture<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Output = Outer<B>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outer<B>> {
        let mut this = self.project();
        loop {
            match this.step.as_mut().project() {
                StepProj::Pass { app, unseen } => {
                    let unseen = *unseen;
                    return app.poll(cx).map(|res| finish(res, unseen));
                }
                StepProj::Refused { res } => return Pin::new(res).poll(cx),
                StepProj::Scan { body, unseen } => {
                    let unseen = *unseen;
                    let Some(scan) = body.as_mut() else {
                        // Polled again after it failed below: cannot be.
                        return Poll::Ready(Err(actix_web::error::ErrorInternalServerError(
                            "XSRF body scan polled after it ended",
                        )));
                    };
                    if scan.poll_read(cx).is_pending() {
                        return Poll::Pending;
                    }
                    let Some(scan) = body.take() else {
                        continue;
                    };
                    let (service, req) = (*scan).finish();
                    this.step.set(Step::Pass {
                        app: service.call(req),
                        unseen,
                    });
                }
            }
        }
    }
}

impl<S, B> XsrfMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    fn pass(&self, req: ServiceRequest, unseen: bool) -> XsrfFuture<S, B> {
        XsrfFuture::new(Step::Pass {
            app: self.service.call(req),
            unseen,
        })
    }

    /// Whether requests come in without a session (session storage only).
    fn session_unseen(&self, req: &ServiceRequest) -> bool {
        if !matches!(self.xsrf.inner.storage, Storage::Session) {
            return false;
        }
        match self.session_unseen.get() {
            Some(unseen) => unseen,
            None => {
                let unseen = !session_present(req);
                self.session_unseen.set(Some(unseen));
                unseen
            }
        }
    }
}

impl<S, B> Service<ServiceRequest> for XsrfMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = XsrfFuture<S, B>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let x = &self.xsrf;
        let unseen = self.session_unseen(&req);
        // A request with the static key header is a programmatic client;
        // the check proves or refutes the key itself.
        let safe = xsrf_core::is_safe_method(req.method().as_str());
        // A WebSocket handshake is a GET that opens a channel carrying the
        // user's cookies: it gets the origin policy of an unsafe method.
        let websocket = safe && x.inner.websocket_check && is_websocket_upgrade(req.headers());
        let guarded = !safe || websocket;
        if guarded && let Some(rule) = x.exemption(req.request()) {
            tracing::debug!(%rule, method = %req.method(), path = req.path(), "XSRF checks skipped: exempt");
            req.add_data_container(Rc::clone(&self.exempt[usize::from(unseen)]));
            return self.pass(req, unseen);
        }
        if !self.routes_checked.replace(true) {
            warn_unknown_routes(x, &req);
        }
        // A WebSocket client cannot set headers, so the static key header
        // proves nothing there and lets nothing skip the check.
        let check_origin = websocket
            || (!safe
                && x.inner.enforce_origin
                && !req.headers().contains_key(&x.inner.static_header));
        if check_origin {
            let mut facts = RequestFacts::new(req.method().as_str());
            if websocket {
                facts = facts.websocket();
            }
            let verdict = check_origin_facts(x, facts, req.headers());
            if let Err(r) = verdict {
                // The route pattern, not the path (paths can carry keys).
                let route = req.match_pattern();
                tracing::warn!(reason = %r, method = %req.method(), route = route.as_deref().unwrap_or("<unmatched>"), websocket, "XSRF origin check refused the request");
                let res = x.error(req.request(), r).error_response();
                return XsrfFuture::new(Step::Refused {
                    res: ready(Ok(req.into_response(res).map_into_right_body())),
                });
            }
        }
        // Shared app data rather than a per-request extension: most
        // requests then cost no allocation here at all. Adding it needs the
        // request not to be shared (actix unwraps `Rc::get_mut`); actix's
        // own routing, which runs after an App- or scope-level middleware,
        // requires exactly the same, so no working app is refused here.
        let ran = if check_origin {
            &self.checked
        } else {
            &self.unchecked
        };
        let ran = &ran[usize::from(unseen)];
        req.add_data_container(Rc::clone(ran));
        if safe {
            return self.pass(req, unseen);
        }
        let scanner = match pick_scanner(&req, x) {
            Ok(scanner) => scanner,
            // Not a form: the token can only be in a header.
            Err(BodyToken::NotScanned) => return self.pass(req, unseen),
            Err(outcome) => {
                PerRequest::write(req.request(), |p| p.body = Some(outcome));
                return self.pass(req, unseen);
            }
        };
        XsrfFuture::new(Step::Scan {
            body: Some(Box::new(BodyScan::new(
                Rc::clone(&self.service),
                req,
                scanner,
            ))),
            unseen,
        })
    }
}

/// Logs route names given to `exempt_route` that no route of the app
/// carries: they exempt nothing, which is safe but surely not meant.
fn warn_unknown_routes(x: &Xsrf, req: &ServiceRequest) {
    use actix_web::error::UrlGenerationError;
    for name in &x.inner.exempt_routes {
        let none: [&str; 0] = [];
        if let Err(UrlGenerationError::ResourceNotFound) = req.request().url_for(name, none) {
            tracing::error!(route = %name, "XsrfBuilder::exempt_route names no route of this app: it exempts nothing");
        }
    }
}

/// Adds what the request queued (cookies, `Vary`) to the app's response.
///
/// For a request that came in without a session (`unseen`), first checks
/// that a `SessionMiddleware` inside us stored what was saved in the
/// session; if none did, every token is bound to state that is gone, and
/// the answer is a 500 naming the fix rather than a 403 for everyone.
fn finish<B>(res: Inner<B>, unseen: bool) -> Outer<B> {
    let (req, mut response) = res?.into_parts();
    if unseen && session_state_unstored(&req) {
        let err = crate::error::XsrfError::misconfigured(NO_SESSION_MIDDLEWARE);
        tracing::error!(method = %req.method(), route = req.match_pattern().as_deref().unwrap_or("<unmatched>"), "{err}");
        let Ok(x) = Xsrf::for_request(&req) else {
            return Ok(ServiceResponse::new(req, err.error_response()).map_into_right_body());
        };
        let res = x.error(&req, err).error_response();
        return Ok(ServiceResponse::new(req, res).map_into_right_body());
    }
    apply_pending(&req, &mut response);
    Ok(ServiceResponse::new(req, response).map_into_left_body())
}

/// `Upgrade: websocket` (a token list, any case), as browsers send on a
/// WebSocket handshake.
fn is_websocket_upgrade(headers: &actix_web::http::header::HeaderMap) -> bool {
    headers.get_all(header::UPGRADE).any(|v| {
        v.as_bytes()
            .split(|&b| b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"websocket"))
    })
}

/// Picks a scanner from the headers, or the final outcome when the body is
/// not one that carries form fields.
fn pick_scanner(req: &ServiceRequest, x: &Xsrf) -> Result<Scanner, BodyToken> {
    let limit = x.inner.scan_limit;
    let field = &x.inner.field;
    // What browsers send for a form, and most clients for JSON: decided
    // without parsing a MIME type.
    let bare = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| BodyKind::bare(v.as_bytes()));
    if bare.is_some() && req.headers().get(header::CONTENT_ENCODING).is_none() {
        return match bare {
            Some(BodyKind::Json) if sends_token_header(req, x) => Err(BodyToken::NotScanned),
            Some(BodyKind::Json) => Ok(json_scanner(x)),
            _ => Ok(form_scanner(x)),
        };
    }
    let mime = match req.mime_type() {
        Ok(Some(m)) => m,
        Ok(None) => return Err(BodyToken::NotScanned),
        Err(_) => return Err(BodyToken::Unreadable(BodyProblem::ContentType)),
    };
    let kind = BodyKind::of(mime.essence_str());
    let form = kind == Some(BodyKind::Form);
    let json = kind == Some(BodyKind::Json) && !sends_token_header(req, x);
    if !form && !json && kind != Some(BodyKind::Multipart) {
        return Err(BodyToken::NotScanned);
    }
    // actix's extractors decompress inside themselves; what we would see
    // here is compressed bytes.
    if let Some(enc) = req.headers().get(header::CONTENT_ENCODING) {
        let identity = enc
            .to_str()
            .is_ok_and(|e| e.trim().eq_ignore_ascii_case("identity"));
        if !identity {
            return Err(BodyToken::Unreadable(BodyProblem::Compressed));
        }
    }
    // Tokens are ASCII; a form in another charset could encode the field
    // name differently. Refuse rather than guess.
    if let Some(charset) = mime.get_param("charset") {
        let cs = charset.as_str();
        if !cs.eq_ignore_ascii_case("utf-8") && !cs.eq_ignore_ascii_case("us-ascii") {
            return Err(BodyToken::Unreadable(BodyProblem::Charset));
        }
    }
    if form {
        Ok(form_scanner(x))
    } else if json {
        Ok(json_scanner(x))
    } else {
        let boundary = mime
            .get_param("boundary")
            .ok_or(BodyToken::Unreadable(BodyProblem::ContentType))?;
        MultipartScanner::new(boundary.as_str(), Arc::clone(field), limit)
            .map(|s| Scanner::Multipart(Box::new(s)))
            .map_err(|_| BodyToken::Unreadable(BodyProblem::ContentType))
    }
}

/// A JSON client sending the token header is not scanned (the header
/// decides, as with actix-csrf-middleware): the field in the body is for
/// clients that cannot set headers, or that migrate from a peer.
fn sends_token_header(req: &ServiceRequest, x: &Xsrf) -> bool {
    req.headers().contains_key(&x.inner.header)
        || req.headers().contains_key(&x.inner.static_header)
}

fn json_scanner(x: &Xsrf) -> Scanner {
    Scanner::Json(Box::new(JsonScanner::new(
        Arc::clone(&x.inner.field),
        x.inner.scan_limit,
    )))
}

/// The whole body is read up to the limit whatever its declared length, so
/// a second token field is a conflict however the body travels.
fn form_scanner(x: &Xsrf) -> Scanner {
    Scanner::Form(UrlencodedScanner::new(
        Arc::clone(&x.inner.field),
        x.inner.scan_limit,
    ))
}

/// A request whose body is being read up to the token: the chunks read
/// are kept (by reference) and handed back before the app runs.
pub(crate) struct BodyScan<S> {
    service: Rc<S>,
    req: ServiceRequest,
    scanner: Option<Scanner>,
    // take_payload leaves Payload::None behind: `finish` must always
    // set_payload, or the handler sees an empty body.
    payload: Payload,
    read: Kept,
    failure: Option<PayloadError>,
    exhausted: bool,
    outcome: Option<BodyToken>,
}

impl<S> BodyScan<S> {
    fn new(service: Rc<S>, mut req: ServiceRequest, scanner: Scanner) -> Self {
        let payload = req.take_payload();
        Self {
            service,
            req,
            scanner: Some(scanner),
            payload,
            read: Kept::default(),
            failure: None,
            exhausted: false,
            outcome: None,
        }
    }

    /// Reads chunks until the scanner decides or the body ends.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        while self.outcome.is_none() {
            let Some(scanner) = self.scanner.as_mut() else {
                self.outcome = Some(BodyToken::Unreadable(BodyProblem::Interrupted));
                break;
            };
            match Pin::new(&mut self.payload).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => {
                    if chunk.is_empty() {
                        continue;
                    }
                    let scan = scanner.feed(&chunk);
                    self.read.push(chunk);
                    if let Scan::Done(outcome) = scan {
                        self.outcome = Some(outcome);
                    }
                }
                Poll::Ready(Some(Err(err))) => {
                    // Hand the error on too, so the handler's extractor
                    // fails as it would have without us.
                    self.failure = Some(err);
                    self.outcome = Some(BodyToken::Unreadable(BodyProblem::Interrupted));
                }
                Poll::Ready(None) => {
                    self.exhausted = true;
                    self.outcome = self.scanner.take().map(Scanner::finish);
                }
            }
        }
        Poll::Ready(())
    }

    /// Puts the body back, notes the outcome for the extractors, and gives
    /// the request back to be served.
    fn finish(self) -> (Rc<S>, ServiceRequest) {
        let Self {
            service,
            mut req,
            payload,
            read,
            failure,
            exhausted,
            outcome,
            ..
        } = self;
        let outcome = outcome.unwrap_or(BodyToken::Unreadable(BodyProblem::Interrupted));
        req.set_payload(restore(payload, read, failure, exhausted));
        PerRequest::write(req.request(), |p| p.body = Some(outcome));
        (service, req)
    }
}

/// The chunks read so far, in order. The first is held inline: most bodies
/// arrive in one chunk, which then costs no allocation.
#[derive(Default)]
struct Kept {
    first: Option<Bytes>,
    more: Vec<Bytes>,
}

impl Kept {
    fn push(&mut self, chunk: Bytes) {
        if self.first.is_none() {
            self.first = Some(chunk);
        } else {
            self.more.push(chunk);
        }
    }

    fn into_iter(self) -> impl DoubleEndedIterator<Item = Bytes> {
        self.first.into_iter().chain(self.more)
    }
}

/// The body as the app must see it: the chunks read, then the rest.
///
/// An HTTP/1 payload takes the chunks back at its front (its own queue, no
/// new stream). Any other payload, or one that failed, is replaced by a
/// stream of the chunks, then the error, then what was not read. Never
/// poll a stream again after it ended or failed.
fn restore(
    payload: Payload,
    read: Kept,
    failure: Option<PayloadError>,
    exhausted: bool,
) -> Payload {
    match payload {
        Payload::H1 { mut payload } if failure.is_none() => {
            for chunk in read.into_iter().rev() {
                payload.unread_data(chunk);
            }
            Payload::H1 { payload }
        }
        payload => {
            let rest = if exhausted || failure.is_some() {
                Payload::None
            } else {
                payload
            };
            let replay: BoxedPayloadStream = Box::pin(
                stream::iter(read.into_iter().map(Ok))
                    .chain(stream::iter(failure.map(Err)))
                    .chain(rest),
            );
            Payload::from(replay)
        }
    }
}
