//! Telling a missing `SessionMiddleware` from one registered inside
//! `Xsrf`: both look the same when a request comes in; the difference
//! shows on the way out.

use actix_session::SessionExt as _;
use actix_web::HttpMessage as _;
use actix_web::HttpRequest;

use crate::state::SESSION_KEY;

/// Whether an actix-session `Session` is attached to the request, i.e. a
/// `SessionMiddleware` around us loaded one, without leaving a trace.
///
/// actix-session hands out a detached, empty session when no middleware
/// loaded one (and keeps it in the extensions under a private type), so
/// asking for the session cannot tell. What can: ask with the extensions
/// set aside, which always yields a new session, then put them back; a
/// loaded session replaces the new one, an absent one leaves it. Two
/// `Session` handles share their map exactly when they are the same
/// session. Costs a few allocations: the middleware asks once and keeps
/// the answer, as the middleware order never changes.
pub(crate) fn session_present(req: &actix_web::dev::ServiceRequest) -> bool {
    let saved = std::mem::take(&mut *req.extensions_mut());
    let fresh = req.get_session();
    req.extensions_mut().extend(saved);
    let now = req.get_session();
    let same = std::ptr::eq(&*fresh.entries(), &*now.entries());
    !same
}

/// After the app answered a request that came in without a session: if
/// state this crate saved in the session is still there, no
/// `SessionMiddleware` took it to store it (one registered inside `Xsrf`
/// has taken it by now), so it is lost, and so is every token bound to it.
pub(crate) fn session_state_unstored(req: &HttpRequest) -> bool {
    req.get_session().contains_key(SESSION_KEY)
}
