//! The session middleware on either side: with session storage, `Xsrf`
//! works whether actix-session's `SessionMiddleware` is registered outside
//! it (a request comes in with its session) or inside it (the session
//! appears only after the request has passed us). A request with no
//! session looks the same in both cases and in a third, an app with no
//! `SessionMiddleware` at all, where every token is bound to state that
//! is gone; the difference shows on the way out.
//!
//! What that takes, all here: whether a session came in
//! ([`SessionAtEntry`], asked once), a probe left in the session by a
//! check that found no state, and on the way out, when the probe is still
//! there (no middleware took it to store it), a `500` naming the fix
//! rather than a `403` for everyone.
//!
//! Why it stays: actix runs the last `wrap` first, so registering
//! `SessionMiddleware` "before" `Xsrf` puts it inside, the most common
//! order mistake there is; without this file that app refuses every token
//! with `403` and nothing says why. What it costs: this file (about 60
//! lines of code), the session field of the mark and two calls of
//! [`leave_probe`]; before, the same was spread over four files (a load
//! that saved, the future, `mod.rs` and a probe module).

use std::cell::Cell;

use actix_session::SessionExt as _;
use actix_web::dev::ServiceRequest;
use actix_web::{HttpMessage as _, HttpRequest, HttpResponse, ResponseError as _};

use super::mark::Marked;
use crate::config::{Storage, Xsrf};
use crate::error::XsrfError;
use crate::state::{self, SESSION_KEY, State};
use crate::{labels, messages};

/// Whether an actix-session `Session` existed when the middleware got the
/// request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionAtEntry {
    /// There was one, or the storage needs none (cookie storage).
    Present,
    /// Session storage and no session: either `SessionMiddleware` is
    /// registered inside `Xsrf` (which works) or nowhere (which cannot).
    Absent,
}

/// Whether requests reach the middleware with a session. Asked at the
/// first request and kept: the middleware order is fixed, so the answer
/// holds for every later one, and asking costs allocations.
#[derive(Default)]
pub(super) struct SessionOrder {
    known: Cell<Option<SessionAtEntry>>,
}

impl SessionOrder {
    pub(super) fn at_entry(&self, x: &Xsrf, req: &ServiceRequest) -> SessionAtEntry {
        if !matches!(x.inner.state.storage, Storage::Session) {
            return SessionAtEntry::Present;
        }
        if let Some(known) = self.known.get() {
            return known;
        }
        let known = if session_present(req) {
            SessionAtEntry::Present
        } else {
            SessionAtEntry::Absent
        };
        self.known.set(Some(known));
        known
    }
}

/// Whether an actix-session `Session` is attached to the request, i.e. a
/// `SessionMiddleware` around us loaded one, without leaving a trace.
///
/// actix-session hands out a detached, empty session when no middleware
/// loaded one (and keeps it in the extensions under a private type), so
/// asking for the session cannot tell. What can: ask with the extensions
/// set aside, which always yields a new session, then put them back; a
/// loaded session replaces the new one, an absent one leaves it. Two
/// `Session` handles share their map exactly when they are the same
/// session.
fn session_present(req: &ServiceRequest) -> bool {
    let saved = std::mem::take(&mut *req.extensions_mut());
    let fresh = req.get_session();
    req.extensions_mut().extend(saved);
    let now = req.get_session();
    let same = std::ptr::eq(&*fresh.entries(), &*now.entries());
    !same
}

/// For a check that found no state in a request that came in without a
/// session: saves a fresh state, so that the way out can tell whether a
/// `SessionMiddleware` inside us took it (see [`state_lost`]). Nothing is
/// saved otherwise.
pub(crate) fn leave_probe(x: &Xsrf, req: &HttpRequest) -> Result<(), XsrfError> {
    let absent = Marked::of(req).is_some_and(|m| m.mark.session == SessionAtEntry::Absent);
    if absent && matches!(x.inner.state.storage, Storage::Session) {
        state::save(x, req, State::fresh()?)?;
    }
    Ok(())
}

/// After the app answered a request that came in without a session: the
/// `500` naming the fix when state this crate saved in the session is
/// still there. A `SessionMiddleware` registered inside `Xsrf` has taken
/// it by now to store it; with none, it is lost, and so is every token
/// bound to it.
pub(super) fn state_lost(req: &HttpRequest, session: SessionAtEntry) -> Option<HttpResponse> {
    if session != SessionAtEntry::Absent || !req.get_session().contains_key(SESSION_KEY) {
        return None;
    }
    let err = XsrfError::misconfigured(messages::NO_SESSION_MIDDLEWARE);
    tracing::error!(method = %req.method(), route = %labels::route(req), "{err}");
    Some(match Xsrf::registered(req) {
        Ok(x) => x.error(req, err).error_response(),
        Err(_) => err.error_response(),
    })
}
