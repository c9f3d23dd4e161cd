//! The page that sends an expired form again.
//!
//! A person who types into a plain HTML form for longer than the token
//! lifetime and then submits it from the site would get `403 expired`
//! and, reloading, lose what they typed. Instead, the refusal's body
//! becomes a page holding their fields and a fresh token in a form with
//! one button, "Send again". The refusal stays a refusal: the status, the
//! `X-XSRF-Rejection: expired` header and the count are those of any
//! expired token, and the handler does not run.
//!
//! Only the body of a refusal for which every one of these holds:
//!
//! * the middleware read the whole body within the scan limit: an
//!   urlencoded or multipart form carrying its token in a field, and no
//!   token header (a script's request, which recovers on its own);
//! * the browser proved that the post came from a page of the site itself
//!   ([`proven_same_origin`]), navigating a window (`Sec-Fetch-Mode:
//!   navigate` and `Sec-Fetch-Dest: document`, where sent) and asking for
//!   HTML;
//! * the token check found the token authentic and expired: its tag is
//!   verified before its time, so it was issued by this service to this
//!   session, user and action; the fresh token is minted there, for the
//!   same binding;
//! * the refusal is the crate's default (no `error_handler`), enforced
//!   (not report-only).
//!
//! One step per stage of the request: [`Candidate::keep`] in the
//! middleware, after the body scan (a clone of the chunks read, which are
//! reference-counted; nothing for any other request, and whether the
//! token even looks expired is read from it first, without its tag);
//! [`mint`] in the check; [`answer`] on the way out. Reading the fields:
//! `fields`; the page: `page`.

mod fields;
mod page;

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpMessage as _, HttpRequest};
use bytes::Bytes;
use xsrf_core::{Binding, Rejection, Token};

use crate::body_plan::ReadAs;
use crate::check::origin::proven_same_origin;
use crate::config::Xsrf;
use crate::error::{DefaultRefusal, Format};
use crate::scan::BodyToken;
use crate::state::{self, PerRequest};

/// A body about to be read whose refusal could become the page: the
/// settings allow it (the default refusal, tokens that expire) and it is
/// a form. Whether the request itself qualifies is known only once the
/// body is read. One byte in the scan's state: every form post carries it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate {
    multipart: bool,
}

/// What the middleware kept of a qualifying request, and the fresh token
/// its check minted: a request extension of its own, not a field of
/// `PerRequest`, so that no other request carries even its empty slot.
pub(crate) struct Kept {
    multipart: bool,
    /// The body as read: the chunks themselves, shared, not copied.
    chunks: Vec<Bytes>,
    fresh: Option<Token>,
}

impl Candidate {
    /// For a body the middleware is about to read as `read`.
    pub(crate) fn of(read: &ReadAs, x: &Xsrf) -> Option<Self> {
        let multipart = match read {
            ReadAs::Form => false,
            ReadAs::Multipart(_) => true,
            ReadAs::Json | ReadAs::Unreadable(_) => return None,
        };
        let i = &x.inner;
        (i.error_handler.is_none() && i.tokens.timeout().is_some()).then_some(Self { multipart })
    }

    /// After the scan: keeps (a clone of) the chunks read, `len` bytes,
    /// when the request qualifies as far as can be told before the check.
    /// The first test is the token's issue time, read without its tag:
    /// for nearly every form post it is recent, and nothing else is
    /// looked at. A forged time only makes us keep, until the answer, at
    /// most the scan limit of chunks already in memory; the check refuses
    /// such a token for its tag, and no page is made.
    pub(crate) fn keep<'c>(
        self,
        req: &HttpRequest,
        outcome: &BodyToken,
        len: usize,
        chunks: impl Iterator<Item = &'c Bytes>,
    ) {
        let BodyToken::Found(token) = outcome else {
            return;
        };
        let Some(x) = crate::middleware::middleware_config(req) else {
            return;
        };
        // Past the limit, the body was not read whole.
        if len > x.inner.transport.scan_limit {
            return;
        }
        if !x.inner.tokens.seems_expired(token, x.inner.clock.now()) || !qualifies(x, req) {
            return;
        }
        req.extensions_mut().insert(Kept {
            multipart: self.multipart,
            chunks: chunks.cloned().collect(),
            fresh: None,
        });
    }
}

/// What the headers must say for the page: a form posted from the site's
/// own page by a browser navigating a window, which wants HTML.
fn qualifies(x: &Xsrf, req: &HttpRequest) -> bool {
    let headers = req.headers();
    let t = &x.inner.transport;
    if t.header_decides(headers) || x.inner.rollout.reports(req) {
        return false;
    }
    let is = |name: &'static str, wanted: &str| {
        headers.get(HeaderName::from_static(name)).is_none_or(|v| {
            v.as_bytes()
                .trim_ascii()
                .eq_ignore_ascii_case(wanted.as_bytes())
        })
    };
    is("sec-fetch-mode", "navigate")
        && is("sec-fetch-dest", "document")
        && Format::of(req) == Format::Html
        && proven_same_origin(x, req.method().as_str(), headers)
}

/// The check found the request's body token authentic and expired: when
/// the middleware kept the body, a fresh token for the same `binding`
/// goes on the page. `app_wide`: the token has no action, so the token
/// cookie (when sent) carries it too, as a refresh does, and a double
/// submit of the page matches the cookie.
pub(crate) fn mint(x: &Xsrf, req: &HttpRequest, binding: &Binding<'_>, app_wide: bool) {
    if !req.extensions().contains::<Kept>() {
        return;
    }
    let token = x.inner.tokens.issue(binding, x.inner.clock.now());
    if x.inner.token_cookie.send && app_wide {
        let cookie = state::token_cookie(x, token.as_str());
        PerRequest::write(req, |p| p.pending.token_cookie = Some(cookie));
    }
    if let Some(kept) = req.extensions_mut().get_mut::<Kept>() {
        kept.fresh = Some(token);
    }
}

/// On the way out: the default `403 expired` of a request whose body was
/// kept and whose check minted a fresh token becomes the page (same status
/// and headers, plus those that keep the page from being framed, cached,
/// or running anything). Any other response is handed back untouched;
/// so is this one when its fields cannot be read back (then the ordinary
/// page says what to do).
pub(crate) fn answer<B>(
    req: &HttpRequest,
    res: actix_web::HttpResponse<B>,
) -> Result<actix_web::HttpResponse<BoxBody>, actix_web::HttpResponse<B>> {
    let ours = res.status() == StatusCode::FORBIDDEN
        && res.extensions().get::<DefaultRefusal>().is_some()
        && res.extensions().get::<Rejection>() == Some(&Rejection::Expired);
    if !ours {
        return Err(res);
    }
    let Some(kept) = req.extensions_mut().remove::<Kept>() else {
        return Err(res);
    };
    let Kept {
        multipart,
        chunks,
        fresh,
    } = kept;
    let (Some(x), Some(fresh)) = (crate::middleware::middleware_config(req), fresh) else {
        return Err(res);
    };
    let field = &*x.inner.transport.field;
    let Some(fields) = fields::read(req, multipart, chunks, field) else {
        tracing::debug!("XSRF expired form: its fields could not be read back; ordinary page");
        return Err(res);
    };
    let body = page::render(&fields, field, fresh.as_str(), multipart);
    let mut res = res.set_body(body).map_into_boxed_body();
    let h = res.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CONTENT_SECURITY_POLICY, page::CSP),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    tracing::debug!(
        fields = fields.len(),
        "XSRF expired form from the site: answered with the page that sends it again"
    );
    Ok(res)
}
