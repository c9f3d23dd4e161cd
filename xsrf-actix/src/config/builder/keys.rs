//! Keys and lifetime: the secret, the expiry, the clock, and who the
//! user is.

use std::sync::Arc;

use actix_web::HttpRequest;
use xsrf_core::{Clock, KeyRing};

use super::XsrfBuilder;
use crate::config::Expiry;

impl XsrfBuilder {
    /// The signing secret (at least 32 bytes): a [`SigningKey`](crate::SigningKey), or a
    /// [`KeyRing`] with fallback keys for rotation. The only setting
    /// without a default. In development, `SigningKey::generate()?` gives
    /// a random one; tokens then die with the process and are not shared
    /// between instances.
    ///
    /// ```no_run
    /// use xsrf_actix::{SigningKey, Xsrf};
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::from_env("XSRF_SECRET")?)
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn secret(mut self, ring: impl Into<KeyRing>) -> Self {
        self.ring = Some(ring.into());
        self
    }

    /// How long a token stays valid: [`Expiry::after`] a lifetime (default
    /// one hour, [`Expiry::DEFAULT`]) or [`Expiry::never`], whose
    /// trade-off [`Expiry`] weighs.
    ///
    /// ```
    /// use xsrf_actix::{Expiry, SigningKey, Xsrf, time::Duration};
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .expiry(Expiry::after(Duration::hours(8)))
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expiry(mut self, expiry: impl Into<Expiry>) -> Self {
        self.expiry = expiry.into();
        self
    }

    /// Where "now" comes from (default the system clock; tests use a
    /// [`ManualClock`](crate::ManualClock) to step over a token's
    /// lifetime).
    ///
    /// ```
    /// use xsrf_actix::{ManualClock, SigningKey, Xsrf, time::OffsetDateTime};
    /// let clock = ManualClock::new(OffsetDateTime::UNIX_EPOCH);
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .clock(clock.clone())
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Who the user is, as flask-xsrf's `user_fn`: an id for a logged-in
    /// user, `None` for a visitor, who gets an anonymous id kept in the
    /// session. With actix-identity:
    /// `|req| req.get_identity().ok().and_then(|id| id.id().ok())` (the
    /// `login` example); call [`Xsrf::rotate`](crate::Xsrf::rotate) at login and logout.
    ///
    /// It runs on every token check, inside extractors that answer without
    /// a future, so it must not do I/O: an auth middleware that runs
    /// before resolves the user (a database lookup, a JWT) and puts it into
    /// the request extensions, and `user_fn` reads it from there.
    ///
    /// ```
    /// use actix_web::HttpMessage as _;
    /// use xsrf_actix::{SigningKey, Xsrf};
    ///
    /// /// Put into the request by the app's auth middleware.
    /// #[derive(Clone)]
    /// struct UserId(String);
    ///
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .user_fn(|req| req.extensions().get::<UserId>().map(|u| u.0.clone()))
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn user_fn(
        mut self,
        f: impl Fn(&HttpRequest) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.user_fn = Some(Arc::new(f));
        self
    }
}
