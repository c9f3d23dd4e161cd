//! The origin facts of a request (`Host`, `Origin`, `Referer`,
//! `Sec-Fetch-Site`, a WebSocket upgrade) handed to `xsrf-core`'s
//! `OriginPolicy::check`, unless the middleware already did.

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderMap};
use xsrf_core::{OriginAllowed, Rejection, RequestFacts};

use super::static_key_matches;
use crate::config::Xsrf;
use crate::middleware::{Marked, OriginMark};
use crate::state;

/// Not among `http`'s constants; built once rather than parsed per request.
const SEC_FETCH_SITE: header::HeaderName = header::HeaderName::from_static("sec-fetch-site");

/// The origin policy over the request headers. Only `Host`, `Origin`,
/// `Referer` and `Sec-Fetch-Site` are read: `X-Forwarded-*` never are.
pub(crate) fn check_origin_headers(
    x: &Xsrf,
    method: &str,
    headers: &HeaderMap,
) -> Result<OriginAllowed, Rejection> {
    check_origin_facts(x, RequestFacts::new(method), headers)
}

/// [`check_origin_headers`] from facts already begun (a WebSocket
/// handshake is marked before).
pub(crate) fn check_origin_facts<'h>(
    x: &Xsrf,
    facts: RequestFacts<'h>,
    headers: &'h HeaderMap,
) -> Result<OriginAllowed, Rejection> {
    let get = |name: header::HeaderName| headers.get(name).map(|v| v.as_bytes());
    let mut f = facts;
    if let Some(v) = get(header::HOST) {
        f = f.host(v);
    }
    if let Some(v) = get(header::ORIGIN) {
        f = f.origin(v);
    }
    if let Some(v) = get(header::REFERER) {
        f = f.referer(v);
    }
    if let Some(v) = get(SEC_FETCH_SITE) {
        f = f.sec_fetch_site(v);
    }
    x.inner.origin.policy.check(&f).map_err(Rejection::Origin)
}

/// Whether the browser proved that the request comes from a page of this
/// very site, not merely from an origin the policy lets through:
/// `Sec-Fetch-Site: same-origin`, and an `Origin` (or, without one, a
/// `Referer`) equal to a site origin, or to the `Host` when none is
/// configured. Either header alone proves it when the other is absent (a
/// browser without fetch metadata; a `Referer` without `Origin` only in
/// older browsers). A trusted origin, `same-site`, `none` (a typed URL
/// cannot post a form) and a request that names no origin at all prove
/// nothing. Only browsers are asked this: a program can send any header,
/// but it carries its own cookies, not a victim's.
pub(crate) fn proven_same_origin(x: &Xsrf, method: &str, headers: &HeaderMap) -> bool {
    let get = |name: header::HeaderName| headers.get(name).map(|v| v.as_bytes());
    let fetch_site = get(SEC_FETCH_SITE);
    if let Some(site) = fetch_site
        && !site.trim_ascii().eq_ignore_ascii_case(b"same-origin")
    {
        return false;
    }
    // The policy without fetch metadata: the origin itself compared.
    let mut facts = RequestFacts::new(method);
    if let Some(v) = get(header::HOST) {
        facts = facts.host(v);
    }
    match (get(header::ORIGIN), get(header::REFERER)) {
        (Some(origin), _) => facts = facts.origin(origin),
        (None, Some(referer)) => facts = facts.referer(referer),
        (None, None) => return fetch_site.is_some(),
    }
    x.inner.origin.policy.check(&facts) == Ok(OriginAllowed::SameOrigin)
}

/// The origin policy for a handler-level check (tokens, one-time keys).
/// When the middleware already passed this request (or found it proving
/// its static key), its verdict stands; without it (or with its origin
/// check turned off) the policy runs here, unless the request proves its
/// static key (see [`Xsrf::reveal_static_key`]).
pub(crate) fn check_origin(x: &Xsrf, req: &HttpRequest) -> Result<(), Rejection> {
    let checked = Marked::of(req).is_some_and(|m| m.mark.origin == OriginMark::Passed);
    if checked || static_key_proved(x, req) {
        return Ok(());
    }
    check_origin_headers(x, req.method().as_str(), req.headers())?;
    Ok(())
}

/// Whether the request carries its session's static key in the static key
/// header. A state that cannot be read proves nothing.
fn static_key_proved(x: &Xsrf, req: &HttpRequest) -> bool {
    if !req.headers().contains_key(&x.inner.transport.static_header) {
        return false;
    }
    let state = state::load(x, req).ok().flatten();
    static_key_matches(x, req, state.as_ref())
}

/// `Upgrade: websocket` (a token list, any case), as browsers send on a
/// WebSocket handshake.
pub(crate) fn is_websocket_upgrade(headers: &actix_web::http::header::HeaderMap) -> bool {
    headers.get_all(header::UPGRADE).any(|v| {
        v.as_bytes()
            .split(|&b| b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"websocket"))
    })
}

/// What an origin refusal compared, for its log line: the `Origin` (or
/// the origin of the `Referer`) and `Sec-Fetch-Site` received, against
/// the site origins configured, or the `Host` when none is; with the fix
/// when the `Host` was all there was to compare with.
///
/// Origins are not secrets, but a `Referer`'s path and query can hold a
/// one-time key, and any header can hold what an attacker wrote: only
/// parsed origins and short, escaped header values are written, never a
/// path.
pub(crate) fn compared(x: &Xsrf, headers: &HeaderMap) -> String {
    use std::fmt::Write as _;
    let text = |name: header::HeaderName| headers.get(name).map(|v| v.as_bytes());
    let mut out = String::new();
    match (text(header::ORIGIN), text(header::REFERER)) {
        (Some(origin), _) => {
            let _ = write!(out, "received Origin {}", shown_origin(origin));
        }
        (None, Some(referer)) => {
            let _ = write!(out, "received Referer from {}", shown_origin(referer));
        }
        (None, None) => out.push_str("received neither Origin nor Referer"),
    }
    if let Some(site) = text(SEC_FETCH_SITE) {
        let _ = write!(out, ", Sec-Fetch-Site {}", shown_value(site));
    }
    let site = x.inner.origin.policy.site_origins();
    if site.is_empty() {
        let host = text(header::HOST).map_or_else(|| "(none)".to_owned(), shown_value);
        let _ = write!(
            out,
            "; no site_origin configured, so compared with Host {host} (behind a proxy that rewrites Host, set site_origin to the address visitors use)"
        );
    } else {
        let list: Vec<String> = site.iter().map(ToString::to_string).collect();
        let _ = write!(out, "; site origins configured: {}", list.join(", "));
    }
    out
}

/// The origin of an `Origin` or `Referer` value (`scheme://host:port`, no
/// path), `null`, or a note that it does not parse.
fn shown_origin(value: &[u8]) -> String {
    let Ok(text) = std::str::from_utf8(value) else {
        return "(not UTF-8)".to_owned();
    };
    let text = text.trim();
    if text == "null" {
        return "null".to_owned();
    }
    match url::Url::parse(text) {
        Ok(url) if url.has_host() => url.origin().ascii_serialization(),
        _ => format!("(unparseable, {} bytes)", text.len()),
    }
}

/// A short header value, escaped (no line breaks or controls reach a log).
fn shown_value(value: &[u8]) -> String {
    const MAX: usize = 64;
    let shown = String::from_utf8_lossy(&value[..value.len().min(MAX)]);
    let mut out: String = shown.escape_debug().collect();
    if value.len() > MAX {
        out.push('…');
    }
    out
}
