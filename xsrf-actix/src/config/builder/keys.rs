//! Keys and lifetime: the secret, the timeout, the clock, and who the
//! user is.

use std::sync::Arc;

use actix_web::HttpRequest;
use time::Duration;
use xsrf_core::{Clock, KeyRing, SigningKey};

use super::{BuildError, XsrfBuilder};

impl XsrfBuilder {
    /// The signing secret (at least 32 bytes). Accepts a [`SigningKey`] or a
    /// [`KeyRing`] with fallback keys for rotation.
    pub fn secret(mut self, ring: impl Into<KeyRing>) -> Self {
        self.ring = Some(ring.into());
        self
    }

    /// Generates a random secret: fine for development, but tokens then die
    /// with the process and are not shared between instances.
    pub fn generated_secret(self) -> Result<Self, BuildError> {
        Ok(self.secret(SigningKey::generate()?))
    }

    /// How long a token stays valid (default one hour).
    ///
    /// A token checked past half its lifetime is replaced on the way: the
    /// answer carries a fresh one in the token header (and the token
    /// cookie, when sent), so a page or SPA in use never holds an expired
    /// token; only one idle for longer than the timeout gets
    /// `403` with `X-XSRF-Rejection: expired`. That costs nobody their
    /// input: htmx and SPA pages retry once with a fresh token, and a plain
    /// HTML form that a person filled in for longer, then sent from the
    /// site, is still refused (the handler does not run) but comes back as
    /// a page holding what they entered and a fresh token, with one button
    /// that sends it again (see [the deploying guide](crate::docs::deploying),
    /// "Expired forms").
    ///
    /// Why a lifetime, and why an hour. Django, Rails and Laravel bind the
    /// token to the session and give it no clock of its own, OWASP's cheat
    /// sheet notes that a token which stops working under an open page
    /// hinders the back button, and flask-xsrf makes its timeout optional:
    /// that design is
    /// [`no_expiry`](Self::no_expiry). The default keeps a lifetime because
    /// it bounds what the session binding does not: a token that leaked (a
    /// page in a shared cache, a log, a screenshot) is worthless after it,
    /// also in the two places where the origin check lets a forged post on
    /// to the token check (a plain-HTTP site receiving a post that names no
    /// origin at all, and a post from a trusted origin that turned
    /// hostile). With the refresh, the retry and the page that sends an
    /// expired form again, the lifetime no longer costs a person their
    /// input, at most one click, so there is no reason to lengthen it; an
    /// hour (flask-wtf's default too) leaves the click to the rare form
    /// kept open longer. Shorter is fine where forms are short; longer
    /// only widens the window of a leaked token.
    ///
    /// ```
    /// use xsrf_actix::time::Duration;
    /// use xsrf_actix::{SigningKey, Xsrf};
    ///
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .timeout(Duration::minutes(30))
    ///     .build()?;
    /// assert_eq!(xsrf.tokens().timeout(), Some(Duration::minutes(30)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Tokens never expire: each stays valid until its session is rotated
    /// ([`Xsrf::rotate`](crate::Xsrf::rotate), at login and logout) or its key leaves the ring.
    /// Overrides [`XsrfBuilder::timeout`].
    ///
    /// The trade-off: with expiry (the default), a token that leaks (a
    /// page in a shared cache, a log, a screenshot) is worthless after the
    /// timeout; without it, until the session ends. Either way the token
    /// is bound to its session's salt, so a leaked token alone is useless
    /// to anyone without that session's cookie, and a page left open never
    /// goes stale. Django's tokens do not expire; choose it where sessions
    /// are short or rotated at every login, and forms stay open for long.
    /// The token format does not change: tokens issued with a timeout keep
    /// verifying, and turning expiry back on applies to every token out.
    ///
    /// ```
    /// use xsrf_actix::{SigningKey, Xsrf};
    ///
    /// let xsrf = Xsrf::builder().secret(SigningKey::generate()?).no_expiry().build()?;
    /// assert_eq!(xsrf.tokens().timeout(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn no_expiry(mut self) -> Self {
        self.no_expiry = true;
        self
    }

    /// Where "now" comes from (tests use a manual clock).
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
    pub fn user_fn(
        mut self,
        f: impl Fn(&HttpRequest) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.user_fn = Some(Arc::new(f));
        self
    }
}
