//! Per-request scratch: what the middleware marks on every request it
//! sees (shared app data, no allocation), and what this crate notes on one
//! request while serving it (one extension entry), down to the cookies and
//! headers its response gets.

use actix_web::HttpMessage as _;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};

use super::record::State;
use crate::config::Xsrf;
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

/// Put among a request's app data by the `Xsrf` middleware: its
/// configuration, which also tells that it ran. The same for every request
/// the middleware sees, so it is built once and shared, not inserted per
/// request.
pub(crate) struct Ran {
    pub(crate) xsrf: Xsrf,
    pub(crate) origin: OriginMark,
    pub(crate) session: crate::middleware::SessionAtEntry,
    pub(crate) body: BodyMark,
}

/// What the middleware did with the request's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyMark {
    /// Read it for the token: what it found is [`PerRequest::body`].
    Read,
    /// Left it unread, for this reason.
    NotRead(NotScanned),
}

/// Why the middleware did not read a request's body for the token, for
/// the check in the handler: a body it left unread holds no token the
/// check could see, and the reason tells an answer from a misconfiguration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotScanned {
    /// A safe method (a WebSocket handshake's origin is checked, its body
    /// is not read), or an exempt request: no token to read a body for.
    Unguarded,
    /// No body of a kind that carries form fields (no `Content-Type`,
    /// `text/plain`, an octet stream, ...).
    NotAForm,
    /// A JSON body sent with a token header (or the static key header):
    /// the header decides (`Transport::header_decides`).
    HeaderToken,
    /// A form or JSON body to a path no resource of the app matches: no
    /// handler of a route reads it (actix answers `404`, or a default
    /// service does), so it is not read or waited for.
    Unrouted,
}

/// What the middleware decided about a request's origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OriginMark {
    /// Not checked (a safe method, or the check is left to the handler).
    Unchecked,
    /// The request passed the origin check, or proved its session's
    /// static key, which no page can send.
    Checked,
    /// The request is exempt (`XsrfBuilder::exempt`): no check may pass it.
    Exempt,
}

/// The configuration of the `Xsrf` middleware serving this request.
pub(crate) fn middleware_config(req: &HttpRequest) -> Option<&Xsrf> {
    req.app_data::<Ran>().map(|r| &r.xsrf)
}

/// Everything else this crate notes on one request, in one extension
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

/// Adds what was queued during the request (state cookie, token cookie,
/// `Vary`) to the response. Appends: the handler's own cookies stay.
pub(crate) fn apply_pending<B>(req: &HttpRequest, res: &mut HttpResponse<B>) {
    let Some((p, verdict)) = req
        .extensions_mut()
        .get_mut::<PerRequest>()
        .map(|p| (std::mem::take(&mut p.pending), p.verdict))
    else {
        return;
    };
    if let Some(Verdict::Reported(r)) = verdict {
        res.headers_mut().insert(
            HeaderName::from_static(REPORT_ONLY_HEADER_LOWER),
            HeaderValue::from_static(r.code()),
        );
    }
    if let Some((name, value)) = p.refreshed
        && !res.headers().contains_key(&name)
    {
        res.headers_mut().insert(name, value);
    }
    for cookie in [p.state_cookie, p.token_cookie].into_iter().flatten() {
        // The formatted cookie becomes the header value without a copy.
        if let Ok(value) = HeaderValue::try_from(cookie) {
            res.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    if p.token_issued {
        // The token depends on the session cookie; a shared cache must not
        // serve it to someone else.
        res.headers_mut()
            .append(header::VARY, HeaderValue::from_static("Cookie"));
        if !res.headers().contains_key(header::CACHE_CONTROL) {
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
        }
    }
}

/// [`REPORT_ONLY_HEADER`](crate::REPORT_ONLY_HEADER) as `http` wants a
/// static name: lower case.
const REPORT_ONLY_HEADER_LOWER: &str = "x-xsrf-report-only";
