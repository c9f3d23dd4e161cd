//! The middleware's future: the app's own future, a refusal decided
//! before the app ran, or a body scan first; and the answer on the way
//! out (queued cookies and headers, or the 500 of a missing session
//! middleware).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpRequest, ResponseError as _};
use xsrf_core::Rejection;

use super::body::{BodyScan, Scanned};
use super::drain::{Drain, close_after};
use super::session_order::{SessionAtEntry, state_lost};
use crate::check::conclude;
use crate::config::Exempted;
use crate::counters::Verdict;
use crate::error::XsrfError;
use crate::state::{OriginMark, PerRequest, Ran, apply_pending};
use crate::{labels, messages, repost, state};

/// What the wrapped service answers, and what we answer.
type Inner<B> = Result<ServiceResponse<B>, Error>;
type Outer<B> = Result<ServiceResponse<EitherBody<B>>, Error>;

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
    pub(super) enum Step<S, B>
    where
        S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    {
        // The app's own future; the queued cookies are added to its answer.
        Pass { #[pin] app: S::Future, session: SessionAtEntry, tally: Tally },
        // Refused before the app ran (`None` once answered).
        Refused { res: Option<ServiceResponse<BoxBody>>, drain: Option<Box<Drain>> },
        // A form body is read up to the token first, then the app runs
        // (`None` only while changing to `Pass`). Boxed: inline, it would
        // make every request's future several times larger, and moving
        // that costs more than this one allocation for form posts.
        Scan { body: Option<Box<BodyScan<S>>>, session: SessionAtEntry, tally: Tally },
    }
}

impl<S, B> XsrfFuture<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    pub(super) fn new(step: Step<S, B>) -> Self {
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
                StepProj::Pass {
                    app,
                    session,
                    tally,
                } => {
                    let (session, tally) = (*session, *tally);
                    return app.poll(cx).map(|res| finish(res, session, tally));
                }
                StepProj::Refused { res, drain } => {
                    if let Some(d) = drain.as_mut()
                        && d.poll_drain(cx).is_pending()
                    {
                        return Poll::Pending;
                    }
                    let Some(res) = res.take() else {
                        return Poll::Ready(Err(actix_web::error::ErrorInternalServerError(
                            "XSRF refusal polled after it was answered",
                        )));
                    };
                    let res = match drain.take() {
                        Some(d) => d.settle(res),
                        None => res,
                    };
                    return Poll::Ready(Ok(res.map_into_right_body()));
                }
                StepProj::Scan {
                    body,
                    session,
                    tally,
                } => {
                    let (session, tally) = (*session, *tally);
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
                    match (*scan).finish() {
                        Scanned::Serve(service, req) => this.step.set(Step::Pass {
                            app: service.call(req),
                            session,
                            tally,
                        }),
                        Scanned::TooSlow {
                            req,
                            payload,
                            received,
                        } => return Poll::Ready(Ok(too_slow(req, payload, received))),
                    }
                }
            }
        }
    }
}

/// The `408` of a body that arrived too slowly to be read for the token:
/// the app does not run, the body is left unread and the connection
/// closes after the answer. Refused in report-only mode too: there is no
/// whole request to let through (`Rejection::is_reportable`).
fn too_slow<B>(
    req: ServiceRequest,
    payload: Payload,
    received: usize,
) -> ServiceResponse<EitherBody<B>> {
    let r = Rejection::BodyTimeout;
    let route = labels::route(req.request());
    tracing::warn!(reason = r.code(), detail = %r, method = %req.method(), %route, received, "XSRF body scan gave up on a slow body");
    let res = match state::middleware_config(req.request()) {
        Some(x) => {
            x.inner.counters.check(Verdict::Refused(r));
            x.error(req.request(), r).error_response()
        }
        None => XsrfError::from(r).error_response(),
    };
    close_after(req.into_response(res), payload).map_into_right_body()
}

/// Adds what the request queued (cookies, `Vary`) to the app's response,
/// unless the state saved in the session was lost (see
/// `session_order::state_lost`).
fn finish<B>(res: Inner<B>, session: SessionAtEntry, tally: Tally) -> Outer<B> {
    let (req, mut response) = res?.into_parts();
    match tally {
        Tally::AtFinish => {
            count(&req);
            conclude::log_findings(&req);
        }
        Tally::Exempt => misrouted_exemption(&req),
        Tally::Done => {}
    }
    if let Some(res) = state_lost(&req, session) {
        return Ok(ServiceResponse::new(req, res).map_into_right_body());
    }
    apply_pending(&req, &mut response);
    // Only a 403 is looked at further: the common answer costs a compare.
    if response.status() == actix_web::http::StatusCode::FORBIDDEN {
        return match repost::answer(&req, response) {
            Ok(page) => Ok(ServiceResponse::new(req, page).map_into_right_body()),
            Err(response) => Ok(ServiceResponse::new(req, response).map_into_left_body()),
        };
    }
    Ok(ServiceResponse::new(req, response).map_into_left_body())
}

/// Whether a request is still to be counted when its answer passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tally {
    /// A guarded request (unsafe, or a WebSocket upgrade): counted from
    /// what its checks decided.
    AtFinish,
    /// Exempt, counted already; whether the exemption reached the
    /// resource it names is checked on the way out.
    Exempt,
    /// Never counted (a safe request).
    Done,
}

/// After an exempt request was served: when a rule of `exempt_route`
/// exempted it and actix served it from another resource, which shows
/// when that resource has a name, a guard of the named resource refused
/// the request and it ran unchecked elsewhere. Too late to refuse it, so
/// said loudly, naming both resources.
fn misrouted_exemption(req: &HttpRequest) {
    let Some(ran) = req.app_data::<Ran>() else {
        return;
    };
    let Some(Exempted::Route(rule)) = ran.xsrf.exemption(req) else {
        return;
    };
    // Routed now: the resource that served the request (or, for one
    // without a name, the first pattern's name again, which shows nothing).
    if let Some(served) = req.match_name()
        && served != rule.name
    {
        tracing::error!(rule = %rule, served, method = %req.method(), route = %labels::route(req), "{}", messages::MISROUTED_EXEMPT_ROUTE);
    }
}

/// Counts a guarded request once: the verdict its checks noted, else
/// accepted if the middleware checked its origin; a request nothing
/// checked (origin left to handlers that took no token) is not counted.
fn count(req: &HttpRequest) {
    // Only requests the middleware saw are counted here, and it left `Ran`.
    let Some(ran) = req.app_data::<Ran>() else {
        return;
    };
    let counters = &ran.xsrf.inner.counters;
    match PerRequest::read(req, |p| p.verdict).flatten() {
        Some(verdict) => counters.check(verdict),
        None if ran.origin == OriginMark::Checked => counters.check(Verdict::Accepted),
        None => {}
    }
}
