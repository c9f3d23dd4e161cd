//! Per-request scratch: what this crate notes on one request while
//! serving it (one extension entry), down to the cookies and headers its
//! response gets (written by `middleware::response`). What the middleware
//! decided is its mark (`middleware::mark`), not kept here.

use actix_web::HttpMessage as _;
use actix_web::HttpRequest;
use actix_web::http::header::{HeaderName, HeaderValue};

use super::record::State;
use crate::counters::Verdict;
use crate::scan::BodyToken;

/// Cookies and headers the middleware (or `WithToken`) must add to the
/// response, already formatted as `Set-Cookie` values.
#[derive(Default)]
pub(crate) struct Pending {
    pub(crate) state_cookie: Option<String>,
    pub(crate) token_cookie: Option<String>,
    /// A token was issued: the response depends on the session cookie.
    pub(crate) token_issued: bool,
    /// A fresh token for a request whose token was past half its life (or
    /// signed by a fallback key): the token header and its value.
    pub(crate) refreshed: Option<(HeaderName, HeaderValue)>,
}

/// Everything this crate notes on one request, in one extension
/// entry, so a request pays for one insertion however many it uses.
#[derive(Default)]
pub(crate) struct PerRequest {
    /// What the middleware found in the body.
    pub(crate) body: Option<BodyToken>,
    /// State saved earlier in this request (new, rotated, or with a static
    /// key): what later loads in the request must see, even where the
    /// storage cannot show it yet (a cookie goes out with the response).
    pub(crate) current: Option<State>,
    /// The data of the one-time key `#[handle_token(one_time)]` redeemed,
    /// for a `Redeemed<T>` argument of the handler.
    pub(crate) redeemed: Option<serde_json::Value>,
    /// What the checks of this request decided, for the count and the
    /// report-only header (the middleware reads it on the way out).
    pub(crate) verdict: Option<Verdict>,
    /// What the checks found, for the request's one log line (written by
    /// the middleware on the way out).
    pub(crate) findings: Findings,
    pub(crate) pending: Pending,
}

/// Every reason a request's checks found, in order, and what an origin
/// check compared: one request, one log line naming them all (a forged
/// request in report-only mode fails the origin check and then the token
/// check; counting log lines must count it once).
#[derive(Default)]
pub(crate) struct Findings {
    pub(crate) reasons: Vec<xsrf_core::Rejection>,
    pub(crate) compared: Option<String>,
}

impl PerRequest {
    /// Notes a check's verdict, after those of earlier checks of the
    /// request ([`Verdict::then`]).
    pub(crate) fn note(req: &HttpRequest, verdict: Verdict) {
        Self::write(req, |p| {
            p.verdict = Some(match p.verdict {
                Some(earlier) => earlier.then(verdict),
                None => verdict,
            });
        });
    }

    /// Notes a reason found, for the request's log line; `compared` is
    /// what an origin check compared.
    pub(crate) fn found(req: &HttpRequest, r: xsrf_core::Rejection, compared: Option<String>) {
        Self::write(req, |p| {
            if !p.findings.reasons.contains(&r) {
                p.findings.reasons.push(r);
            }
            if p.findings.compared.is_none() {
                p.findings.compared = compared;
            }
        });
    }

    /// Reads the entry, if anything put one there.
    pub(crate) fn read<R>(req: &HttpRequest, f: impl FnOnce(&PerRequest) -> R) -> Option<R> {
        req.extensions().get::<PerRequest>().map(f)
    }

    /// Changes the entry if there is one.
    pub(crate) fn write_if_present<R>(
        req: &HttpRequest,
        f: impl FnOnce(&mut PerRequest) -> R,
    ) -> Option<R> {
        req.extensions_mut().get_mut::<PerRequest>().map(f)
    }

    /// Changes the entry, creating it first if needed.
    pub(crate) fn write<R>(req: &HttpRequest, f: impl FnOnce(&mut PerRequest) -> R) -> R {
        let mut ext = req.extensions_mut();
        if let Some(p) = ext.get_mut::<PerRequest>() {
            return f(p);
        }
        let mut p = PerRequest::default();
        let out = f(&mut p);
        ext.insert(p);
        out
    }
}
