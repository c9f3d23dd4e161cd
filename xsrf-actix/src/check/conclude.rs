//! Turning a check's outcome into what the request gets: enforced (the
//! error through the app's error handler) or, in report-only mode,
//! reported and let through; logged with structured fields (reason code,
//! method, route pattern) and counted once.

use actix_web::HttpRequest;
use xsrf_core::Rejection;

use crate::config::Xsrf;
use crate::counters::Verdict;
use crate::error::XsrfError;
use crate::labels;
use crate::state::{OriginMark, PerRequest, Ran};

/// What was checked: a token (or the static key), or a one-time key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checked {
    Token,
    OneTimeKey,
}

impl Checked {
    /// Whether report-only mode may let this refusal through: token and
    /// origin reasons for tokens; only the origin for one-time keys, whose
    /// other reasons guard what the app does (a reset link used twice).
    fn may_report(self, r: Rejection) -> bool {
        match self {
            Checked::Token => r.is_reportable(),
            Checked::OneTimeKey => matches!(r, Rejection::Origin(_)),
        }
    }
}

/// Enforces or reports the outcome, logs a refusal, and notes the verdict
/// for the count.
pub(crate) fn conclude(
    x: &Xsrf,
    req: &HttpRequest,
    what: Checked,
    outcome: Result<(), XsrfError>,
) -> Result<(), XsrfError> {
    let e = match outcome {
        Ok(()) => {
            note(x, req, Verdict::Accepted);
            return Ok(());
        }
        Err(e) => e,
    };
    let route = labels::route(req);
    let Some(r) = e.rejection() else {
        tracing::error!(error = %e, method = %req.method(), %route, "XSRF check failed");
        return Err(x.error(req, e));
    };
    if what.may_report(r) && x.inner.rollout.reports(req) {
        tracing::warn!(reason = r.code(), detail = %r, method = %req.method(), %route, "XSRF check would refuse the request (report-only: let through)");
        note(x, req, Verdict::Reported(r));
        return Ok(());
    }
    tracing::warn!(reason = r.code(), detail = %r, method = %req.method(), %route, "XSRF check refused the request");
    note(x, req, Verdict::Refused(r));
    Err(x.error(req, e))
}

/// With the middleware, the verdict waits in the request for its count on
/// the way out (a request checked twice is counted once); without it, an
/// unsafe request is counted here.
///
/// An accepted check of a request whose origin the middleware checked is
/// not noted at all: the middleware counts such a request as accepted
/// unless something else was noted, and the usual protected request then
/// costs no per-request entry (no allocation).
fn note(x: &Xsrf, req: &HttpRequest, verdict: Verdict) {
    match req.app_data::<Ran>() {
        Some(ran) if verdict == Verdict::Accepted && ran.origin == OriginMark::Checked => {}
        Some(_) => PerRequest::note(req, verdict),
        None if !xsrf_core::is_safe_method(req.method().as_str()) => {
            x.inner.counters.check(verdict)
        }
        None => {}
    }
}
