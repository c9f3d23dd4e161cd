//! Session life-cycle: rotation at login/logout, the static session key,
//! session-bound one-time keys.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{FromRequest, HttpMessage as _, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use xsrf_core::{CreateError, CreateOptions, OneTimeKey, Rejection, StaticKey, StoreError};

use crate::config::Xsrf;
use crate::error::XsrfError;
use crate::state::{self, State};

impl Xsrf {
    /// Starts new per-session state: a new anonymous id and session salt,
    /// no static key. Every token issued before stops verifying, and the old
    /// session's one-time keys are deleted. Call it at login and logout
    /// (after actix-session's `Session::renew`, if you use it).
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
        let old = state::load(self, req).map_err(|e| self.error(e))?;
        let fresh = State::fresh().map_err(|e| self.error(e))?;
        state::save(self, req, fresh).map_err(|e| self.error(e))?;
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
        let mut s = state::load_or_create(self, req).map_err(|e| self.error(e))?;
        let key = StaticKey::generate();
        s.static_key = Some(key.as_str().to_owned());
        state::save(self, req, s).map_err(|e| self.error(e))?;
        let value = HeaderValue::from_str(key.as_str())
            .map_err(|_| self.error(XsrfError::session("static key is not a header value")))?;
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
        let s = state::load_or_create(self, req).map_err(|e| self.error(e))?;
        let options = options.bound_to(s.salt.as_str().to_owned());
        self.inner
            .one_time
            .create(&options, data, self.inner.clock.now())
            .await
            .map_err(|e| self.error(create_error(e, "session-bound")))
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
            .map_err(|e| self.error(create_error(e, "unbound")))
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
            self.error(e)
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
    pub fn start_purge_task(
        &self,
        every: std::time::Duration,
    ) -> actix_web::rt::task::JoinHandle<()> {
        let x = self.clone();
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
                    .map_err(|_| x.error(Rejection::DataMismatch));
            }
            let key = crate::extract::Check::new()
                .find_token(&x, &req)
                .map_err(|e| x.error(e))?;
            x.redeem::<T>(&req, &key).await.map(Redeemed)
        })
    }
}
