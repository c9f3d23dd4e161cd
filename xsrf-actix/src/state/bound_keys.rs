//! The one owner of the invariant "which sessions hold bound one-time
//! keys": a state that bound keys says so (`State::keys`), this instance
//! remembers that it has seen such states, and a rotation after a purge
//! asks here whether the old session's keys can still be found.

use std::sync::atomic::Ordering::Relaxed;

use actix_session::SessionExt as _;
use actix_web::HttpMessage as _;
use actix_web::HttpRequest;

use super::per_request::PerRequest;
use super::record::State;
use crate::config::{Storage, Xsrf};

/// Marks a request whose session state was read and bound no one-time
/// keys: a rotation after the session was purged has nothing to delete.
struct LoadedWithoutKeys;

/// What [`Xsrf::rotate`] needs if the session is purged later in the
/// request (`Identity::logout` does): a state that bound one-time keys is
/// kept (their salt finds them); otherwise, once this instance has seen
/// session-bound keys at all, the fact that this one had none.
pub(super) fn remember_loaded(x: &Xsrf, req: &HttpRequest, s: &State) {
    use std::sync::atomic::Ordering::Relaxed;
    if s.keys {
        x.inner.one_time.bound_keys_seen.store(true, Relaxed);
        PerRequest::write(req, |p| {
            if p.current.is_none() {
                p.current = Some(s.clone());
            }
        });
    } else if x.inner.one_time.bound_keys_seen.load(Relaxed) {
        req.extensions_mut().insert(LoadedWithoutKeys);
    }
}

/// Session storage, state gone: the session was purged (e.g. by
/// `Identity::logout`) before anything in this request read our state,
/// and this instance uses session-bound one-time keys, so whether this
/// session bound any, and to which salt, is unknown. (An instance that
/// never saw one has none to leave: every state that bound a key says so
/// and is kept when read.)
pub(crate) fn purged_unread(x: &Xsrf, req: &HttpRequest) -> bool {
    matches!(x.inner.state.storage, Storage::Session)
        && x.inner.one_time.bound_keys_seen.load(Relaxed)
        && req.get_session().status() == actix_session::SessionStatus::Purged
        && !req.extensions().contains::<LoadedWithoutKeys>()
}

/// Notes that `state` is about to bind a one-time key (session storage
/// only: the state cookie outlives a purge). Returns whether the state
/// changed and must be saved.
pub(crate) fn mark_binding(x: &Xsrf, state: &mut State) -> bool {
    if state.keys || !matches!(x.inner.state.storage, Storage::Session) {
        return false;
    }
    x.inner.one_time.bound_keys_seen.store(true, Relaxed);
    state.keys = true;
    true
}
