//! One-time keys (ViUR's security keys) through `Xsrf`: creating them,
//! bound to the session or not; redeeming them, from the session's own
//! request (the one redemption path, which `#[handle_token(one_time)]`
//! and [`Redeemed`](crate::Redeemed) use too) or on a session's behalf;
//! clearing a session's keys.

use actix_web::HttpRequest;
use serde::Serialize;
use serde::de::DeserializeOwned;
use xsrf_core::{CreateError, CreateOptions, OneTimeKey, Rejection, StoreError};

use crate::check::origin::check_origin;
use crate::config::{STATIC_KEY_MARKER, Xsrf};
use crate::counters::KeyEvent;
use crate::error::XsrfError;
use crate::state;

impl Xsrf {
    /// Creates a one-time key bound to the current session (unless
    /// `options` says otherwise by binding it elsewhere), carrying `data`.
    pub async fn create_one_time<T: Serialize + ?Sized>(
        &self,
        req: &HttpRequest,
        options: CreateOptions,
        data: &T,
    ) -> Result<OneTimeKey, XsrfError> {
        let mut s = state::load_or_create(self, req).map_err(|e| self.error(req, e))?;
        let options = options.bound_to(s.salt.as_str().to_owned());
        if state::mark_binding(self, &mut s) {
            // Noted in the state, so a rotation after a purge can still
            // find this session's keys (see `rotate`).
            state::save(self, req, s).map_err(|e| self.error(req, e))?;
        }
        self.inner
            .one_time
            .keys
            .create(&options, data, self.inner.clock.now())
            .await
            .map(|key| self.counted_creation(key))
            .map_err(|e| self.error(req, self.create_error(e, "session-bound")))
    }

    /// Creates a one-time key usable from any session (a link sent by
    /// e-mail, say), carrying `data`.
    ///
    /// The key counts against the quota of this request's session
    /// (creating the session's XSRF state if it has none yet): a session
    /// holds at most the store's per-session quota of unbound keys, apart
    /// from its bound ones, and its own oldest go first, so one session can
    /// never use up the unbound keys of everyone. Fresh sessions cost a
    /// client nothing, so rate-limit the route per client address too (see
    /// the README's flood limits). A job outside any request creates
    /// through [`Xsrf::one_time_keys`] instead; such keys count against the
    /// store's unbound capacity only.
    ///
    /// ```
    /// use actix_web::{HttpRequest, HttpResponse};
    /// use xsrf_actix::{CreateOptions, ValidXsrf, Xsrf, XsrfError};
    ///
    /// async fn send_reset_link(req: HttpRequest, xsrf: Xsrf, _: ValidXsrf) -> Result<HttpResponse, XsrfError> {
    ///     let opts = CreateOptions::new().duration(xsrf_actix::time::Duration::minutes(30));
    ///     let key = xsrf.create_one_time_unbound(&req, opts, "user-7").await?;
    ///     // ... e-mail a link to `/reset/{key}` ...
    ///     # let _ = key;
    ///     Ok(HttpResponse::Ok().body("a link is on its way"))
    /// }
    /// ```
    pub async fn create_one_time_unbound<T: Serialize + ?Sized>(
        &self,
        req: &HttpRequest,
        options: CreateOptions,
        data: &T,
    ) -> Result<OneTimeKey, XsrfError> {
        let s = state::load_or_create(self, req).map_err(|e| self.error(req, e))?;
        // The salt names the session to the store as a binding would, but
        // only to count the key against it: any session may redeem it.
        let options = options
            .maybe_bound_to(None)
            .quota_owner(s.salt.as_str().to_owned());
        self.inner
            .one_time
            .keys
            .create(&options, data, self.inner.clock.now())
            .await
            .map(|key| self.counted_creation(key))
            .map_err(|e| self.error(req, self.create_error(e, "unbound")))
    }

    /// Accepts a one-time key once, from this request's session, and
    /// returns its data. The origin policy applies as for tokens. The
    /// static key marker is refused like a key nobody was handed (see
    /// [`Xsrf::reveal_static_key`]).
    pub async fn redeem<T: DeserializeOwned>(
        &self,
        req: &HttpRequest,
        key: &str,
    ) -> Result<T, XsrfError> {
        redeem_in_request(self, req, key).await.map_err(|e| {
            if let Some(r) = e.rejection() {
                tracing::warn!(reason = r.code(), detail = %r, "one-time key refused");
            }
            self.error(req, e)
        })
    }

    /// The handle of this request's session's one-time keys (creating the
    /// session's XSRF state if it has none yet).
    pub fn one_time_session(&self, req: &HttpRequest) -> Result<OneTimeSession, XsrfError> {
        let s = state::load_or_create(self, req).map_err(|e| self.error(req, e))?;
        Ok(OneTimeSession(s.salt.as_str().to_owned()))
    }

    /// Deletes every one-time key bound to `session`, from any request or
    /// none (ViUR's `clear_session_skeys`): an admin logging a user out,
    /// a password change ending the user's other sessions. Returns how many
    /// keys were deleted. Tokens of that session are not affected; they
    /// stop with its rotation.
    pub async fn clear_one_time_keys(&self, session: &OneTimeSession) -> Result<usize, XsrfError> {
        self.inner
            .one_time
            .keys
            .clear_session(session.as_str())
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "could not clear a session's one-time keys");
                XsrfError::from(Rejection::StoreUnavailable)
            })
    }

    /// Accepts a key bound to `session` once, without that session's
    /// request (ViUR's `validate(key, session_bound=False)`, made explicit):
    /// a confirmation link opened in another browser, whose owner the app
    /// knows from its own records, or a background job. No origin check
    /// runs, as there is no request; call it only where the caller has
    /// established by other means that the key may be used.
    ///
    /// Why not "any session" as in ViUR: stores file a key under its
    /// session (on Redis, one hash per session, so each script touches one
    /// slot and the per-session quota holds), so a key cannot be found
    /// without it. A key meant to be accepted anywhere should be created
    /// so ([`Xsrf::create_one_time_unbound`]); one bound to a session is
    /// accepted elsewhere only on behalf of that session, as here.
    pub async fn redeem_for<T: DeserializeOwned>(
        &self,
        session: &OneTimeSession,
        key: &str,
    ) -> Result<T, XsrfError> {
        let data = self
            .inner
            .one_time
            .keys
            .validate::<T>(key, Some(session.as_str()), self.inner.clock.now())
            .await;
        self.inner
            .counters
            .one_time(KeyEvent::of_redemption(data.as_ref().err().copied()));
        data.map_err(|r| {
            tracing::warn!(reason = r.code(), detail = %r, "one-time key refused");
            r.into()
        })
    }
}

/// One session's one-time keys, named outside that session's requests.
///
/// Session-bound keys are filed under the session's XSRF state (its salt),
/// which only that session's requests can read. Keep this handle where
/// other code can find it (next to the user's record, at login) to clear
/// that session's keys from elsewhere ([`Xsrf::clear_one_time_keys`], an
/// admin logging a user out: ViUR's `clear_session_skeys`) or to accept
/// one of its keys from elsewhere ([`Xsrf::redeem_for`]). It changes when
/// the session is rotated ([`Xsrf::rotate`], which clears the old one's
/// keys itself). `Debug` is redacted; store it like a session id.
///
/// ```
/// use actix_web::{HttpRequest, HttpResponse, post, web};
/// use xsrf_actix::{OneTimeSession, ValidXsrf, Xsrf, XsrfError};
///
/// #[post("/login")]
/// async fn login(req: HttpRequest, xsrf: Xsrf, _: ValidXsrf) -> Result<HttpResponse, XsrfError> {
///     xsrf.rotate(&req).await?;
///     let handle: OneTimeSession = xsrf.one_time_session(&req)?;
///     // ... save handle.as_str() with the user's record ...
///     Ok(HttpResponse::SeeOther().insert_header(("Location", "/")).finish())
/// }
///
/// #[post("/admin/users/{id}/logout")]
/// async fn force_logout(xsrf: Xsrf, _: ValidXsrf, id: web::Path<u64>) -> Result<HttpResponse, XsrfError> {
///     let stored: String = String::new(); // ... load the user's handle ...
///     let cleared = xsrf.clear_one_time_keys(&OneTimeSession::from_stored(stored)).await?;
///     Ok(HttpResponse::Ok().body(format!("{cleared} keys of user {id} cleared")))
/// }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeSession(String);

impl OneTimeSession {
    /// A handle saved earlier with [`OneTimeSession::as_str`].
    pub fn from_stored(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The handle as text, to store.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for OneTimeSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OneTimeSession(..)")
    }
}

impl Xsrf {
    fn counted_creation(&self, key: OneTimeKey) -> OneTimeKey {
        self.inner.counters.one_time(KeyEvent::Created);
        key
    }

    fn create_error(&self, e: CreateError, kind: &'static str) -> XsrfError {
        if matches!(e, CreateError::Store(_)) {
            self.inner.counters.one_time(KeyEvent::StoreError);
        }
        match e {
            CreateError::Store(StoreError::Full) => {
                // Someone may be flooding a route that creates keys: tell the
                // operator, who can rate-limit it (see `docs::one_time_keys`).
                tracing::warn!(
                    keys = kind,
                    "one-time key store full: new {kind} keys are refused with 503 until keys expire or are used; rate-limit the routes that create them"
                );
                Rejection::StoreFull.into()
            }
            CreateError::Store(_) => Rejection::StoreUnavailable.into(),
            other => XsrfError::session(other),
        }
    }
}

/// The one way a key is redeemed in a request of its session, for
/// [`Xsrf::redeem`], [`Redeemed`](crate::Redeemed) and
/// `#[handle_token(one_time)]` alike: the origin policy as for tokens
/// (unless the middleware applied it), then the key taken from the store
/// under the session's state. A request without state can still redeem
/// an unbound key; a bound one is then refused (`other-session`).
///
/// The static key marker is refused here, before the store, as the key
/// nobody was handed that it is (`already-used`), whatever the static key
/// header holds: the static key never stands in for a one-time key (see
/// [`Xsrf::reveal_static_key`]), so it burns nothing and runs nothing.
pub(crate) async fn redeem_in_request<T: DeserializeOwned>(
    x: &Xsrf,
    req: &HttpRequest,
    key: &str,
) -> Result<T, XsrfError> {
    check_origin(x, req)?;
    if key == STATIC_KEY_MARKER {
        tracing::warn!(
            "the static session key was sent for a one-time key: it stands in for tokens only, never for a one-time key; get a key and send it instead"
        );
        x.inner.counters.one_time(KeyEvent::Refused);
        return Err(Rejection::AlreadyUsed.into());
    }
    let state = state::load(x, req)?;
    if state.is_none() {
        // No state is no refusal here (an unbound key needs none), so the
        // probe `load_required` leaves is left here too: a missing
        // `SessionMiddleware` still shows on the way out.
        crate::middleware::leave_probe(x, req)?;
    }
    let salt = state.as_ref().map(|s| s.salt.as_str());
    let data = x
        .inner
        .one_time
        .keys
        .validate::<T>(key, salt, x.inner.clock.now())
        .await;
    x.inner
        .counters
        .one_time(KeyEvent::of_redemption(data.as_ref().err().copied()));
    Ok(data?)
}
