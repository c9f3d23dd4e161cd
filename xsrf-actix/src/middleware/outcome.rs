//! Where a request the middleware saw is counted and logged: each request
//! once, whichever way it leaves. Exempt and refused before the app ran:
//! on the way in; a body too slow to read: when the scan gives up; every
//! other guarded request: on the way out, from what its checks noted.

use actix_web::HttpRequest;
use actix_web::dev::ServiceRequest;
use xsrf_core::Rejection;

use super::mark::{Mark, Marked, OriginMark};
use crate::check::conclude;
use crate::config::{Exempted, Xsrf};
use crate::counters::Verdict;
use crate::state::PerRequest;
use crate::{labels, messages};

/// An exempt request, let through unchecked.
pub(super) fn exempt(x: &Xsrf, req: &ServiceRequest, rule: &Exempted<'_>) {
    tracing::debug!(%rule, method = %req.method(), route = %labels::route(req.request()), "XSRF checks skipped: exempt");
    x.inner.counters.check(Verdict::Exempt);
}

/// A request refused by its origin before the app ran; `seen` is what the
/// origin check compared.
pub(super) fn refused_early(x: &Xsrf, req: &HttpRequest, r: Rejection, seen: &str) {
    conclude::log(req, Verdict::Refused(r), &[r], Some(seen));
    x.inner.counters.check(Verdict::Refused(r));
}

/// A body that arrived too slowly to be read for the token.
pub(super) fn too_slow(x: Option<&Xsrf>, req: &ServiceRequest, received: usize) {
    let r = Rejection::BodyTimeout;
    let route = labels::route(req.request());
    tracing::warn!(reason = r.code(), detail = %r, method = %req.method(), %route, received, "XSRF body scan gave up on a slow body");
    if let Some(x) = x {
        x.inner.counters.check(Verdict::Refused(r));
    }
}

/// After the app answered: counts and logs a guarded request from what
/// its checks noted; for an exempt one, whether the exemption reached
/// the resource it names. A safe request is neither.
pub(super) fn at_end(req: &HttpRequest, mark: Mark) {
    if mark.exempt() {
        misrouted_exemption(req);
    } else if !mark.unguarded_safe() {
        count(req, mark);
        conclude::log_findings(req);
    }
}

/// Counts a guarded request once: the verdict its checks noted, else
/// accepted if the middleware passed its origin; a request nothing
/// checked (origin left to handlers that took no token) is not counted.
fn count(req: &HttpRequest, mark: Mark) {
    let Some(marked) = Marked::of(req) else {
        return;
    };
    let counters = &marked.xsrf.inner.counters;
    match PerRequest::read(req, |p| p.verdict).flatten() {
        Some(verdict) => counters.check(verdict),
        None if mark.origin == OriginMark::Passed => counters.check(Verdict::Accepted),
        None => {}
    }
}

/// After an exempt request was served: when a rule of `exempt_route`
/// exempted it and actix served it from another resource, which shows
/// when that resource has a name, a guard of the named resource refused
/// the request and it ran unchecked elsewhere. Too late to refuse it, so
/// said loudly, naming both resources.
fn misrouted_exemption(req: &HttpRequest) {
    let Some(marked) = Marked::of(req) else {
        return;
    };
    let Some(Exempted::Route(rule)) = marked.xsrf.exemption(req) else {
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
