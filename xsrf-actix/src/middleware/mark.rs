//! The one mark the middleware leaves on a request it sees: what it
//! decided about the origin, whether a session came in, and what it did
//! with the body. Recorded once, in `call`, before the app runs; read by
//! the checks in handlers (an origin already passed, a body not read and
//! why) and on the way out (what to count).
//!
//! It travels as shared app data ([`Marked`]: the mark and our
//! configuration), not as a per-request extension: most requests then cost
//! no allocation for it at all. Few marks occur (thirty at most, a handful
//! in one app), so each distinct one gets its container the first time it
//! is seen, and later requests share it. Adding app data needs the request
//! not to be shared (actix unwraps `Rc::get_mut`); actix's own routing,
//! which runs after an App- or scope-level middleware, requires exactly
//! the same, so no working app is refused for it.

use std::cell::RefCell;
use std::rc::Rc;

use actix_web::HttpRequest;
use actix_web::dev::Extensions;

use super::session_order::SessionAtEntry;
use crate::config::Xsrf;

/// What the middleware decided about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mark {
    pub(crate) origin: OriginMark,
    pub(crate) session: SessionAtEntry,
    pub(crate) body: BodyMark,
}

impl Mark {
    /// Whether the request was exempt: not checked, counted as exempt on
    /// the way in.
    pub(crate) fn exempt(self) -> bool {
        self.origin == OriginMark::Exempt
    }

    /// Whether the request was a safe one the middleware let through
    /// without a look (not a WebSocket handshake, whose origin it checks):
    /// nothing to count.
    pub(crate) fn unguarded_safe(self) -> bool {
        self.origin == OriginMark::Unchecked
            && self.body == BodyMark::NotRead(NotScanned::Unguarded)
    }
}

/// What the middleware decided about a request's origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OriginMark {
    /// Not checked (a safe method, or the check is left to the handler).
    Unchecked,
    /// The request passed the origin check, or proved its session's
    /// static key, which no page can send.
    Passed,
    /// The request is exempt (`XsrfBuilder::exempt`): no check may pass it.
    Exempt,
}

/// What the middleware did with the request's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyMark {
    /// Read it for the token: what it found is `PerRequest::body`.
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

/// Among a request's app data: the configuration of the middleware that
/// saw it (which also tells that it ran) and its mark.
pub(crate) struct Marked {
    pub(crate) xsrf: Xsrf,
    pub(crate) mark: Mark,
}

impl Marked {
    /// The mark the middleware left on the request, if one did.
    pub(crate) fn of(req: &HttpRequest) -> Option<&Marked> {
        req.app_data::<Marked>()
    }
}

/// The configuration of the `Xsrf` middleware serving this request.
pub(crate) fn middleware_config(req: &HttpRequest) -> Option<&Xsrf> {
    Marked::of(req).map(|m| &m.xsrf)
}

/// The containers of the marks seen so far, one per distinct mark.
pub(super) struct Marks {
    xsrf: Xsrf,
    seen: RefCell<Vec<(Mark, Rc<Extensions>)>>,
}

impl Marks {
    pub(super) fn new(xsrf: &Xsrf) -> Self {
        Self {
            xsrf: xsrf.clone(),
            seen: RefCell::new(Vec::new()),
        }
    }

    /// The shared container holding `mark`, made the first time it is
    /// asked for.
    pub(super) fn get(&self, mark: Mark) -> Rc<Extensions> {
        let mut seen = self.seen.borrow_mut();
        if let Some((_, data)) = seen.iter().find(|(m, _)| *m == mark) {
            return Rc::clone(data);
        }
        let mut data = Extensions::new();
        data.insert(Marked {
            xsrf: self.xsrf.clone(),
            mark,
        });
        let data = Rc::new(data);
        seen.push((mark, Rc::clone(&data)));
        data
    }
}
