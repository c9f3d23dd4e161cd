//! Turning a check's outcome into what the request gets: enforced (the
//! error through the app's error handler) or, in report-only mode,
//! reported and let through; logged with structured fields (reason code,
//! method, route pattern) and counted once.
//!
//! One request, one log line: with the middleware, the reasons a
//! request's checks find are noted and [`log_findings`] writes them as one
//! line when the answer passes on the way out (report-only mode lets a
//! forged request through to a second check, and counting lines must count
//! it once); without the middleware, the one check logs its own line.

use actix_web::HttpRequest;
use xsrf_core::Rejection;

use super::origin::compared;
use crate::config::Xsrf;
use crate::counters::Verdict;
use crate::error::XsrfError;
use crate::labels;
use crate::middleware::{Marked, OriginMark};
use crate::state::PerRequest;

/// What the request proves itself with: a token (or the static key), or
/// a one-time key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proof {
    Token,
    OneTimeKey,
}

impl Proof {
    /// Whether report-only mode may let this refusal through: token and
    /// origin reasons for tokens; only the origin for one-time keys, whose
    /// other reasons guard what the app does (a reset link used twice).
    fn may_report(self, r: Rejection) -> bool {
        match self {
            Proof::Token => r.is_reportable(),
            Proof::OneTimeKey => matches!(r, Rejection::Origin(_)),
        }
    }
}

/// Enforces or reports the outcome, logs a refusal, and notes the verdict
/// for the count.
pub(crate) fn conclude(
    x: &Xsrf,
    req: &HttpRequest,
    proof: Proof,
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
    let verdict = if proof.may_report(r) && x.inner.rollout.reports(req) {
        Verdict::Reported(r)
    } else {
        Verdict::Refused(r)
    };
    let seen = matches!(r, Rejection::Origin(_)).then(|| compared(x, req.headers()));
    if Marked::of(req).is_some() {
        PerRequest::found(req, r, seen);
    } else {
        log(req, verdict, &[r], seen.as_deref());
    }
    note(x, req, verdict);
    match verdict {
        Verdict::Refused(_) => Err(x.error(req, e)),
        _ => Ok(()),
    }
}

/// Writes the one line of a request the middleware saw, from what its
/// checks found (nothing found: no line). `verdict` is what the request
/// was counted as.
pub(crate) fn log_findings(req: &HttpRequest) {
    let Some((reasons, seen, verdict)) = PerRequest::write_if_present(req, |p| {
        (
            std::mem::take(&mut p.findings.reasons),
            p.findings.compared.take(),
            p.verdict,
        )
    }) else {
        return;
    };
    let (Some(verdict), false) = (verdict, reasons.is_empty()) else {
        return;
    };
    log(req, verdict, &reasons, seen.as_deref());
}

/// The line itself: `reason` is the code the answer carries (the first
/// reason found, or the refusal), `reasons` every one found.
pub(crate) fn log(
    req: &HttpRequest,
    verdict: Verdict,
    reasons: &[Rejection],
    compared: Option<&str>,
) {
    let (primary, reported) = match verdict {
        Verdict::Refused(r) => (r, false),
        Verdict::Reported(r) => (r, true),
        Verdict::Accepted | Verdict::Exempt => return,
    };
    let all = reasons
        .iter()
        .map(|r| r.code())
        .collect::<Vec<_>>()
        .join(", ");
    let route = labels::route(req);
    let compared = compared.unwrap_or("");
    if reported {
        tracing::warn!(reason = primary.code(), reasons = %all, detail = %primary, method = %req.method(), %route, compared, "XSRF check would refuse the request (report-only: let through)");
    } else {
        tracing::warn!(reason = primary.code(), reasons = %all, detail = %primary, method = %req.method(), %route, compared, "XSRF check refused the request");
    }
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
    match Marked::of(req) {
        Some(m) if verdict == Verdict::Accepted && m.mark.origin == OriginMark::Passed => {}
        Some(_) => PerRequest::note(req, verdict),
        None if !xsrf_core::is_safe_method(req.method().as_str()) => {
            x.inner.counters.check(verdict)
        }
        None => {}
    }
}
