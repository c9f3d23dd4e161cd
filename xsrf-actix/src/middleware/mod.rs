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
//! comes first is never buffered whole. The read is bounded in time too
//! (`BodyWait`): a body too slow to arrive is answered `408` and its
//! connection closed, and a request no resource matches is not read at
//! all (see `routed`).
//!
//! * this file: the `Transform` and the service's `call`, which decides at
//!   once (exempt, refused by origin, safe, a body not to read, and why)
//!   or starts a body scan;
//! * `future`: the middleware's future and the answer on the way out (the
//!   `408` of a scan that timed out included);
//! * `body`: the scanner for a body to read, reading the body up to the
//!   token within the time allowed, and giving it back;
//! * `drain`: the body of a request refused from its headers, read and
//!   dropped to keep the connection, or left unread and the connection
//!   closed;
//! * `mark`: the one mark `call` leaves on a request (origin, session,
//!   body), shared app data the checks read;
//! * `outcome`: counting and logging each request once;
//! * `response`: the answer on the way out (queued cookies and headers,
//!   the repost page, the `500` of a session no middleware stores);
//! * `session_order`: the session middleware on either side, and telling
//!   a missing one from one registered inside us.

mod body;
mod drain;
mod future;
mod mark;
mod outcome;
mod response;
mod session_order;

use std::cell::Cell;
use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{Error, ResponseError as _};
use xsrf_core::RequestFacts;

use self::body::{BodyScan, scanner_for};
use self::drain::Drain;
use self::future::Step;
pub use self::future::XsrfFuture;
use self::mark::Marks;
pub(crate) use self::mark::{BodyMark, Mark, Marked, NotScanned, OriginMark, middleware_config};
pub(crate) use self::response::apply_pending;
use self::session_order::SessionOrder;
pub(crate) use self::session_order::{SessionAtEntry, leave_probe};
use crate::body_plan::plan;
use crate::check::origin::{check_origin_facts, compared, is_websocket_upgrade};
use crate::check::static_key_matches;
use crate::config::Xsrf;
use crate::counters::Verdict;
use crate::messages;
use crate::repost::Candidate;
use crate::scan::BodyToken;
use crate::state::{self, PerRequest};

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
        ready(Ok(XsrfMiddleware {
            service: Rc::new(service),
            xsrf: self.clone(),
            marks: Marks::new(self),
            routes_checked: Cell::new(false),
            session_order: SessionOrder::default(),
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
    marks: Marks,
    /// Whether the names given to `exempt_route` were looked up in the
    /// app's routes (once, at the first request: routes are only known
    /// then).
    routes_checked: Cell<bool>,
    session_order: SessionOrder,
}

impl<S, B> XsrfMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    /// Records the request's mark and lets the app serve it.
    fn pass(&self, mut req: ServiceRequest, mark: Mark) -> XsrfFuture<S, B> {
        req.add_data_container(self.marks.get(mark));
        XsrfFuture::new(Step::Pass {
            app: self.service.call(req),
            mark,
        })
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
        let session = self.session_order.at_entry(x, &req);
        let safe = xsrf_core::is_safe_method(req.method().as_str());
        // A WebSocket handshake is a GET that opens a channel carrying the
        // user's cookies: it gets the origin policy of an unsafe method.
        let websocket =
            safe && x.inner.origin.websocket_check && is_websocket_upgrade(req.headers());
        let guarded = !safe || websocket;
        if guarded && let Some(rule) = x.exemption(req.request()) {
            outcome::exempt(x, &req, &rule);
            let mark = Mark {
                origin: OriginMark::Exempt,
                session,
                body: BodyMark::NotRead(NotScanned::Unguarded),
            };
            return self.pass(req, mark);
        }
        if !self.routes_checked.replace(true) {
            warn_unknown_routes(x, &req);
        }
        // A request proving its session's static key comes from no page
        // (see `Xsrf::reveal_static_key`): its origin needs no check. A
        // WebSocket client cannot set headers, so a handshake never does.
        let static_key = !safe && static_key_proved(x, &req, session);
        let check_origin =
            websocket || (!safe && x.inner.origin.enforce_in_middleware && !static_key);
        if check_origin {
            let mut facts = RequestFacts::new(req.method().as_str());
            if websocket {
                facts = facts.websocket();
            }
            let verdict = check_origin_facts(x, facts, req.headers());
            if let Err(r) = verdict {
                let seen = compared(x, req.headers());
                if x.inner.rollout.reports(req.request()) {
                    // Logged with whatever else the request's checks find,
                    // as one line on the way out.
                    PerRequest::note(req.request(), Verdict::Reported(r));
                    PerRequest::found(req.request(), r, Some(seen));
                } else {
                    outcome::refused_early(x, req.request(), r, &seen);
                    let res = x.error(req.request(), r).error_response();
                    // Read a small body first, so the connection is kept;
                    // a larger one closes it.
                    let drain = Drain::of(&mut req).map(Box::new);
                    return XsrfFuture::new(Step::Refused {
                        res: Some(req.into_response(res)),
                        drain,
                    });
                }
            }
        }
        let origin = if check_origin || static_key {
            OriginMark::Passed
        } else {
            OriginMark::Unchecked
        };
        let read = if safe {
            Err(NotScanned::Unguarded)
        } else {
            match plan(req.headers(), &x.inner.transport) {
                Ok(_) if !routed(&req) => Err(NotScanned::Unrouted),
                read => read,
            }
        };
        let read = match read {
            Ok(read) => read,
            Err(why) => {
                let body = BodyMark::NotRead(why);
                return self.pass(
                    req,
                    Mark {
                        origin,
                        session,
                        body,
                    },
                );
            }
        };
        let mark = Mark {
            origin,
            session,
            body: BodyMark::Read,
        };
        let repost = Candidate::of(&read, x);
        let scanner = match scanner_for(read, x) {
            Ok(scanner) => scanner,
            Err(problem) => {
                let outcome = BodyToken::Unreadable(problem);
                PerRequest::write(req.request(), |p| p.body = Some(outcome));
                return self.pass(req, mark);
            }
        };
        // Marked now: the scan hands the request to the app itself.
        req.add_data_container(self.marks.get(mark));
        XsrfFuture::new(Step::Scan {
            body: Some(Box::new(BodyScan::new(
                Rc::clone(&self.service),
                req,
                scanner,
                x.inner.transport.body_wait,
                repost,
            ))),
            mark,
        })
    }
}

/// Whether the request carries its session's static key in the static
/// key header. A wrong, foreign or stale key proves nothing, and the
/// request gets the origin check as if it had sent none.
fn static_key_proved(x: &Xsrf, req: &ServiceRequest, session: SessionAtEntry) -> bool {
    if !req.headers().contains_key(&x.inner.transport.static_header) {
        return false;
    }
    let came_in = session == SessionAtEntry::Present;
    let state = came_in
        .then(|| state::peek_at_entry(x, req.request()))
        .flatten();
    static_key_matches(x, req.request(), state.as_ref())
}

/// Whether a resource of the app matches the request's path, so that a
/// handler of a route may read its body.
///
/// A request no resource matches is answered by actix without a handler
/// of a route (`404`, or a default service), so its body is not read or
/// waited for: no time or memory spent on bytes no handler will see, and
/// the `404` goes out at once, as it does for a body of a kind that is
/// never read. The match is actix's own (`ResourceMap::has_resource`, on
/// the path as actix's router sees it), on patterns only: a resource whose
/// guards then refuse the request (a `#[put]` path posted to) is read, and
/// answered `404`/`405` after, within the same bounds. A default service
/// that checks a form token therefore finds none; the check says so (a
/// `500` naming the fix) rather than refusing the request as tokenless.
fn routed(req: &ServiceRequest) -> bool {
    req.resource_map().has_resource(req.match_info().as_str())
}

/// Logs route names given to `exempt_route` that no route of the app
/// carries: they exempt nothing, which is safe but surely not meant.
fn warn_unknown_routes(x: &Xsrf, req: &ServiceRequest) {
    use actix_web::error::UrlGenerationError;
    for rule in &x.inner.origin.exempt_routes {
        let none: [&str; 0] = [];
        if let Err(UrlGenerationError::ResourceNotFound) = req.request().url_for(&rule.name, none) {
            tracing::error!(route = %rule.name, "{}", messages::UNKNOWN_EXEMPT_ROUTE);
        }
    }
}
