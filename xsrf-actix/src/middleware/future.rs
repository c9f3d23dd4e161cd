//! The middleware's future: the app's own future, a refusal decided
//! before the app ran, or a body scan first (and the `408` of a scan
//! that timed out). The answer on the way out is `response`'s.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse};
use actix_web::{Error, ResponseError as _};
use xsrf_core::Rejection;

use super::body::{BodyScan, Scanned};
use super::drain::{Drain, close_after};
use super::mark::{Mark, middleware_config};
use super::outcome;
use super::response::finish;
use crate::error::XsrfError;

/// What we answer.
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
        Pass { #[pin] app: S::Future, mark: Mark },
        // Refused before the app ran (`None` once answered).
        Refused { res: Option<ServiceResponse<BoxBody>>, drain: Option<Box<Drain>> },
        // A form body is read up to the token first, then the app runs
        // (`None` only while changing to `Pass`). Boxed: inline, it would
        // make every request's future several times larger, and moving
        // that costs more than this one allocation for form posts.
        Scan { body: Option<Box<BodyScan<S>>>, mark: Mark },
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
                StepProj::Pass { app, mark } => {
                    let mark = *mark;
                    return app.poll(cx).map(|res| finish(res, mark));
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
                StepProj::Scan { body, mark } => {
                    let mark = *mark;
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
                            mark,
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
    let x = middleware_config(req.request());
    outcome::too_slow(x, &req, received);
    let r = Rejection::BodyTimeout;
    let res = match x {
        Some(x) => x.error(req.request(), r).error_response(),
        None => XsrfError::from(r).error_response(),
    };
    close_after(req.into_response(res), payload).map_into_right_body()
}
