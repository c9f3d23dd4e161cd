//! Session life-cycle: rotation at login/logout, the static session key,
//! session-bound one-time keys.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{FromRequest, HttpMessage as _, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::Duration;
use xsrf_core::{CreateError, CreateOptions, OneTimeKey, Rejection, StaticKey, StoreError};

use crate::config::{Storage, Xsrf};
use crate::error::XsrfError;
use crate::state::{self, State};

impl Xsrf {
    /// Starts new per-session state: a new anonymous id and session salt,
    /// no static key. Every token issued before stops verifying, and the old
    /// session's one-time keys are deleted. Call it at login and logout
    /// (after actix-session's `Session::renew`, if you use it).
    ///
    /// The order with `Identity::logout` (which purges the session) does
    /// not matter once the request's token was checked (`ValidXsrf`,
    /// `#[handle_token]`): the check read the state, and what it read is
    /// what rotation deletes keys by. Called after a purge with nothing
    /// read before, the old session's keys cannot be found: that is an
    /// error (a 500 naming the fix), never a silent `Ok`.
    ///
    /// ```
    /// use actix_web::{HttpRequest, HttpResponse, post};
    /// use xsrf_actix::{ValidXsrf, Xsrf, XsrfError};
    ///
    /// #[post("/login")]
    /// async fn login(req: HttpRequest, xsrf: Xsrf, _: ValidXsrf) -> Result<HttpResponse, XsrfError> {
    ///     // ... check credentials, remember the user ...
    ///     xsrf.rotate(&req).await?;
    ///     Ok(HttpResponse::SeeOther().insert_header(("Location", "/")).finish())
    /// }
    /// ```
    pub async fn rotate(&self, req: &HttpRequest) -> Result<(), XsrfError> {
        let old = state::load(self, req).map_err(|e| self.error(req, e))?;
        if old.is_none() && state::purged_unread(self, req) {
            let err = XsrfError::misconfigured(
                "rotate ran after the session was purged (Identity::logout, Session::purge) and before anything read its XSRF state, so the old session's one-time keys cannot be found to delete: call rotate before the logout, or check the request's token first (ValidXsrf, #[handle_token])",
            );
            tracing::error!("{err}");
            return Err(self.error(req, err));
        }
        let fresh = State::fresh().map_err(|e| self.error(req, e))?;
        state::save(self, req, fresh).map_err(|e| self.error(req, e))?;
        if let Some(old) = old {
            // A failure here leaves keys that can no longer be used from
            // the new session anyway (they are bound to the old salt).
            if let Err(e) = self.inner.one_time.clear_session(old.salt.as_str()).await {
                tracing::warn!(error = %e, "could not clear the old session's one-time keys");
            }
        }
        Ok(())
    }

    /// Generates the session's static key (ViUR's static session key) and
    /// returns the header that reveals it, to add to the response once,
    /// typically at a programmatic login. A client sends it back in the same
    /// header with the token value `STATIC_SESSION_KEY` instead of a token.
    ///
    /// Browsers forbid page scripts to set any `Sec-` request header, so a
    /// forged cross-site request can never carry it. (A same-origin script
    /// could read it from this response; reveal it only to clients that
    /// logged in programmatically.)
    pub fn reveal_static_key(
        &self,
        req: &HttpRequest,
    ) -> Result<(HeaderName, HeaderValue), XsrfError> {
        let mut s = state::load_or_create(self, req).map_err(|e| self.error(req, e))?;
        let key = StaticKey::generate();
        s.static_key = Some(key.as_str().to_owned());
        state::save(self, req, s).map_err(|e| self.error(req, e))?;
        let value = HeaderValue::from_str(key.as_str())
            .map_err(|_| self.error(req, XsrfError::session("static key is not a header value")))?;
        Ok((self.inner.static_header.clone(), value))
    }

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
        if !s.keys && matches!(self.inner.storage, Storage::Session) {
            // Noted in the state, so a rotation after a purge can still
            // find this session's keys (see `rotate`).
            self.inner
                .bound_keys_seen
                .store(true, std::sync::atomic::Ordering::Relaxed);
            s.keys = true;
            state::save(self, req, s).map_err(|e| self.error(req, e))?;
        }
        self.inner
            .one_time
            .create(&options, data, self.inner.clock.now())
            .await
            .map_err(|e| self.error(req, create_error(e, "session-bound")))
    }

    /// Creates a one-time key usable from any session (a link sent by
    /// e-mail, say), carrying `data`.
    pub async fn create_one_time_unbound<T: Serialize + ?Sized>(
        &self,
        options: CreateOptions,
        data: &T,
    ) -> Result<OneTimeKey, XsrfError> {
        self.inner
            .one_time
            .create(&options.maybe_bound_to(None), data, self.inner.clock.now())
            .await
            .map_err(|e| create_error(e, "unbound"))
    }

    /// Accepts a one-time key once, from this request's session, and
    /// returns its data. The origin policy applies as for tokens.
    pub async fn redeem<T: DeserializeOwned>(
        &self,
        req: &HttpRequest,
        key: &str,
    ) -> Result<T, XsrfError> {
        let outcome = async {
            crate::extract::check_origin(self, req)?;
            let state = state::load(self, req)?;
            let salt = state.as_ref().map(|s| s.salt.as_str());
            let data = self
                .inner
                .one_time
                .validate::<T>(key, salt, self.inner.clock.now())
                .await?;
            Ok::<T, XsrfError>(data)
        }
        .await;
        outcome.map_err(|e| {
            if let Some(r) = e.rejection() {
                tracing::warn!(reason = %r, "one-time key refused");
            }
            self.error(req, e)
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
            .validate::<T>(key, Some(session.as_str()), self.inner.clock.now())
            .await;
        data.map_err(|r| {
            tracing::warn!(reason = %r, "one-time key refused");
            r.into()
        })
    }
}

impl Xsrf {
    /// Starts a background task on the current actix runtime that deletes
    /// expired one-time keys every `every` (ViUR's `periodic_clear_skeys`).
    ///
    /// The in-process store also purges when it is full, so memory stays
    /// bounded without it; the task returns memory sooner. Stores that
    /// expire keys themselves (Redis) have nothing to do. Call it once, from
    /// inside the runtime (e.g. in `main` under `#[actix_web::main]`).
    ///
    /// `every` is a [`time::Duration`](crate::time::Duration) like every
    /// other duration of this crate; a period under a millisecond (zero,
    /// negative) is taken as one millisecond.
    ///
    /// ```no_run
    /// use xsrf_actix::{Xsrf, time::Duration};
    /// # fn run(xsrf: Xsrf) {
    /// xsrf.start_purge_task(Duration::minutes(1));
    /// # }
    /// ```
    pub fn start_purge_task(&self, every: Duration) -> actix_web::rt::task::JoinHandle<()> {
        let x = self.clone();
        let every = std::time::Duration::try_from(every)
            .unwrap_or_default()
            .max(std::time::Duration::from_millis(1));
        actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(every);
            loop {
                tick.tick().await;
                match x.inner.one_time.purge_expired(x.inner.clock.now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(purged = n, "expired one-time keys purged"),
                    Err(e) => tracing::warn!(error = %e, "purging one-time keys failed"),
                }
            }
        })
    }
}

fn create_error(e: CreateError, kind: &'static str) -> XsrfError {
    match e {
        CreateError::Store(StoreError::Full) => {
            // Someone may be flooding a route that creates keys: tell the
            // operator, who can rate-limit it (see the README).
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

/// The data of the one-time key this request redeemed: extracting it
/// finds the key in the token header or form field (read like a token)
/// and burns it, or, in a handler under `#[handle_token(one_time)]`, takes
/// the data of the key the macro already burnt.
///
/// On its own:
///
/// ```
/// use actix_web::{HttpResponse, post};
/// use xsrf_actix::Redeemed;
///
/// #[post("/pay")]
/// async fn pay(invoice: Redeemed<u64>) -> HttpResponse {
///     HttpResponse::Ok().body(format!("paid invoice {}", invoice.into_inner()))
/// }
/// ```
///
/// Under the macro, which refuses a forged request before this or any
/// other argument is extracted:
///
/// ```
/// use actix_web::{HttpResponse, post, web};
/// use xsrf_actix::{Redeemed, handle_token};
///
/// #[derive(serde::Deserialize)]
/// struct Payment { amount: u64 }
///
/// #[post("/pay")]
/// #[handle_token(one_time)]
/// async fn pay(invoice: Redeemed<u64>, form: web::Form<Payment>) -> HttpResponse {
///     HttpResponse::Ok().body(format!("paid {} on invoice {}", form.amount, *invoice))
/// }
/// ```
///
/// The data must deserialize as `T`, else the request is refused with
/// [`Rejection::DataMismatch`] (the key is burnt either way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redeemed<T>(pub T);

impl<T> Redeemed<T> {
    /// The data the key carried.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Redeemed<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The data of a key `#[handle_token(one_time)]` redeemed, for
/// [`Redeemed`], kept in the request's extensions.
pub(crate) struct RedeemedData(pub(crate) serde_json::Value);

impl<T: DeserializeOwned + 'static> FromRequest for Redeemed<T> {
    type Error = XsrfError;
    type Future = LocalBoxFuture<'static, Result<Self, XsrfError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let x = Xsrf::for_request(&req)?;
            let earlier = req
                .extensions()
                .get::<RedeemedData>()
                .map(|d| T::deserialize(&d.0));
            if let Some(data) = earlier {
                return data
                    .map(Redeemed)
                    .map_err(|_| x.error(&req, Rejection::DataMismatch));
            }
            let key = crate::extract::Check::new()
                .find_token(&x, &req)
                .map_err(|e| x.error(&req, e))?;
            x.redeem::<T>(&req, &key).await.map(Redeemed)
        })
    }
}
