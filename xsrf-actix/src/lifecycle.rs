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
    /// logged in programmatically.) A new reveal replaces the session's
    /// key; a rotation ([`Xsrf::rotate`]) drops it.
    ///
    /// # Where the static key is accepted
    ///
    /// The one statement of the rule (the checks it names link here):
    ///
    /// * **In place of a token: yes.** Every token check
    ///   ([`ValidXsrf`](crate::ValidXsrf), `#[handle_token]` without
    ///   `one_time`, [`Check`](crate::Check) without `.one_time()`) accepts
    ///   the marker [`STATIC_KEY_MARKER`](crate::Transport::STATIC_KEY_MARKER) with the
    ///   session's key in the static key header, for any action. This is
    ///   ViUR's case: there the static key stands in for the session's own
    ///   security key, the proof that a request comes from the session and
    ///   not from another site's page; here that proof is the token.
    /// * **In place of a one-time key: never.**
    ///   [`Check::one_time`](crate::Check::one_time),
    ///   `#[handle_token(one_time)]`, [`Redeemed`](crate::Redeemed) and
    ///   [`Xsrf::redeem`] refuse the marker as a key nobody was handed
    ///   (`already-used`), before the store and whatever the static key
    ///   header holds, for keys bound to the session or not, with data or
    ///   without: nothing is burnt and the handler does not run. Why: a
    ///   handler asks for a one-time key when its request may happen once
    ///   per key the app handed out (a payment, a reset link sent by
    ///   e-mail, a form that must not be sent twice), and a static key is
    ///   reusable by design: accepted there, it would make the handler
    ///   repeatable for whoever holds it. ViUR accepts it where a key is
    ///   validated as bound to the session because its session-bound keys
    ///   are also its CSRF tokens for every form; here tokens do that, and
    ///   a check could not tell a handler that wants a token's protection
    ///   from one that wants one use per key (whether a key is bound is
    ///   only known from the store, and its data is read after the check).
    ///   A programmatic client that must call such a handler gets a key
    ///   like a browser does (from a handler it calls with its static key,
    ///   which creates one with [`Xsrf::create_one_time`]) and sends it.
    /// * **In place of the origin check: yes, when the key is right.** A
    ///   request whose static key header holds its session's key gets no
    ///   origin check, neither in the middleware nor in a handler's check
    ///   (for a token or a one-time key): no page can set a `Sec-` header,
    ///   and no page is shown the key, so such a request is no forgery; and
    ///   a programmatic client sends no `Origin`, which an https site would
    ///   refuse. Only the right key counts: a wrong, foreign or stale one,
    ///   or the header on a request without a session, proves nothing, and
    ///   the request is checked as if it had sent none. A browser that ever
    ///   let a page set the header would still not get a forged request
    ///   past the origin check, and a wrong key with the marker is refused
    ///   (`static-key-mismatch`, or by the origin check first) and burns
    ///   nothing. A WebSocket handshake always gets its origin check: a
    ///   browser's WebSocket API sets no headers, so the header proves
    ///   nothing there.
    ///
    /// ```
    /// use actix_web::http::{StatusCode, header};
    /// use actix_web::{App, HttpRequest, HttpResponse, get, post, test};
    /// use xsrf_actix::{SigningKey, Storage, ValidXsrf, Xsrf, XsrfError, handle_token};
    ///
    /// #[get("/tool-login")]
    /// async fn tool_login(req: HttpRequest, xsrf: Xsrf) -> Result<HttpResponse, XsrfError> {
    ///     // ... after checking the tool's credentials ...
    ///     Ok(HttpResponse::Ok().insert_header(xsrf.reveal_static_key(&req)?).finish())
    /// }
    ///
    /// #[post("/import")]
    /// async fn import(_: ValidXsrf) -> HttpResponse { HttpResponse::Ok().finish() }
    ///
    /// #[post("/pay")]
    /// #[handle_token(one_time)]
    /// async fn pay() -> HttpResponse { HttpResponse::Ok().finish() }
    ///
    /// # #[actix_web::main]
    /// # async fn main() {
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate().expect("randomness"))
    ///     .site_origin("https://shop.example")
    ///     .storage(Storage::signed_cookie())
    ///     .build()
    ///     .expect("settings");
    /// let app = test::init_service(App::new().wrap(xsrf).service(tool_login).service(import).service(pay)).await;
    /// let login = test::call_service(&app, test::TestRequest::get().uri("/tool-login").to_request()).await;
    /// let key = login.headers().get("sec-xsrf-static-key").expect("revealed").clone();
    /// let cookie = login.headers().get(header::SET_COOKIE).expect("state").to_str().unwrap();
    /// let cookie = cookie.split(';').next().unwrap().to_owned();
    /// // The tool's requests: no Origin, the marker and the key.
    /// let from_tool = |path: &str| {
    ///     test::TestRequest::post()
    ///         .uri(path)
    ///         .insert_header((header::COOKIE, cookie.clone()))
    ///         .insert_header(("x-xsrf-token", "STATIC_SESSION_KEY"))
    ///         .insert_header(("sec-xsrf-static-key", key.clone()))
    ///         .to_request()
    /// };
    /// // In place of a token: accepted, again and again.
    /// for _ in 0..2 {
    ///     assert_eq!(test::call_service(&app, from_tool("/import")).await.status(), StatusCode::OK);
    /// }
    /// // In place of a one-time key: refused.
    /// assert_eq!(test::call_service(&app, from_tool("/pay")).await.status(), StatusCode::FORBIDDEN);
    /// # }
    /// ```
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
    /// `every` is a [`time::Duration`] like every
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
