//! A session's life-cycle: rotation at login and logout, the static
//! session key, and the purge task for expired one-time keys.

use actix_web::HttpRequest;
use actix_web::http::header::{HeaderName, HeaderValue};
use time::Duration;
use xsrf_core::__private::Secret;
use xsrf_core::StaticKey;

use crate::config::Xsrf;
use crate::error::XsrfError;
use crate::messages;
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
            let err = XsrfError::misconfigured(messages::ROTATE_AFTER_PURGE);
            tracing::error!("{err}");
            return Err(self.error(req, err));
        }
        let fresh = State::fresh().map_err(|e| self.error(req, e))?;
        state::save(self, req, fresh).map_err(|e| self.error(req, e))?;
        if let Some(old) = old {
            // A failure here leaves keys that can no longer be used from
            // the new session anyway (they are bound to the old salt).
            if let Err(e) = self
                .inner
                .one_time
                .keys
                .clear_session(old.salt.as_str())
                .await
            {
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
        s.static_key = Some(Secret::new(key.as_str().to_owned()));
        state::save(self, req, s).map_err(|e| self.error(req, e))?;
        let value = HeaderValue::from_str(key.as_str())
            .map_err(|_| self.error(req, XsrfError::session("static key is not a header value")))?;
        Ok((self.inner.transport.static_header.clone(), value))
    }

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
                match x
                    .inner
                    .one_time
                    .keys
                    .purge_expired(x.inner.clock.now())
                    .await
                {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(purged = n, "expired one-time keys purged"),
                    Err(e) => tracing::warn!(error = %e, "purging one-time keys failed"),
                }
            }
        })
    }
}
