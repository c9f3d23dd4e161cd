//! [`Expiry`]: how long a token stays valid.

use time::Duration;
use xsrf_core::Tokens;

/// How long a token stays valid, for
/// [`XsrfBuilder::expiry`](crate::XsrfBuilder::expiry): a lifetime
/// ([`Expiry::after`], one hour by default) or none ([`Expiry::never`]).
///
/// With a lifetime, a token checked past half of it is replaced on the
/// way: the answer carries a fresh one in the token header (and the token
/// cookie, when sent), so a page or SPA in use never holds an expired
/// token; only one idle for longer than the lifetime gets `403` with
/// `X-XSRF-Rejection: expired`. That costs nobody their input: htmx and
/// SPA pages retry once with a fresh token, and a plain HTML form that a
/// person filled in for longer, then sent from the site, is still refused
/// (the handler does not run) but comes back as a page holding what they
/// entered and a fresh token, with one button that sends it again (see
/// [the deploying guide](crate::docs::deploying), "Expired forms").
///
/// Why a lifetime, and why an hour. Django, Rails and Laravel bind the
/// token to the session and give it no clock of its own, OWASP's cheat
/// sheet notes that a token which stops working under an open page
/// hinders the back button, and flask-xsrf makes its timeout optional:
/// that design is [`Expiry::never`]. The default keeps a lifetime because
/// it bounds what the session binding does not: a token that leaked (a
/// page in a shared cache, a log, a screenshot) is worthless after it,
/// also in the two places where the origin check lets a forged post on to
/// the token check (a plain-HTTP site receiving a post that names no
/// origin at all, and a post from a trusted origin that turned hostile).
/// With the refresh, the retry and the page that sends an expired form
/// again, the lifetime costs a person at most one click, so there is no
/// reason to lengthen it; an hour (flask-wtf's default too) leaves the
/// click to the rare form kept open longer. Shorter is fine where forms
/// are short; longer only widens the window of a leaked token.
///
/// Without one, each token stays valid until its session is rotated
/// ([`Xsrf::rotate`](crate::Xsrf::rotate), at login and logout) or its key
/// leaves the ring. The trade-off: with expiry (the default), a token that
/// leaks (a page in a shared cache, a log, a screenshot) is worthless
/// after the lifetime; without it, until the session ends. Either way the
/// token is bound to its session's salt, so a leaked token alone is
/// useless to anyone without that session's cookie, and a page left open
/// never goes stale. Django's tokens do not expire; choose it where
/// sessions are short or rotated at every login, and forms stay open for
/// long. The token format does not change: tokens issued with a lifetime
/// keep verifying, and turning expiry back on applies to every token out.
///
/// ```
/// use xsrf_actix::{Expiry, SigningKey, Xsrf, time::Duration};
///
/// let short = Xsrf::builder()
///     .secret(SigningKey::generate()?)
///     .expiry(Expiry::after(Duration::minutes(20)))
///     .build()?;
/// assert_eq!(short.tokens().timeout(), Some(Duration::minutes(20)));
///
/// let never = Xsrf::builder()
///     .secret(SigningKey::generate()?)
///     .expiry(Expiry::never())
///     .build()?;
/// assert_eq!(never.tokens().timeout(), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Expiry {
    /// `None`: tokens never expire.
    lifetime: Option<Duration>,
}

impl Expiry {
    /// One hour (flask-xsrf's example): the default.
    ///
    /// ```
    /// use xsrf_actix::{Expiry, time::Duration};
    /// assert_eq!(Expiry::DEFAULT, Expiry::after(Duration::hours(1)));
    /// assert_eq!(Expiry::default(), Expiry::DEFAULT);
    /// ```
    pub const DEFAULT: Self = Self::after(Tokens::DEFAULT_TIMEOUT);

    /// Tokens live this long; it must be positive, or
    /// [`build`](crate::XsrfBuilder::build) refuses it.
    ///
    /// ```
    /// use xsrf_actix::{Expiry, time::Duration};
    /// let eight_hours = Expiry::after(Duration::hours(8));
    /// # assert_ne!(eight_hours, Expiry::never());
    /// ```
    pub const fn after(lifetime: Duration) -> Self {
        Self {
            lifetime: Some(lifetime),
        }
    }

    /// Tokens never expire (see the trade-off above).
    ///
    /// ```
    /// use xsrf_actix::Expiry;
    /// let never = Expiry::never();
    /// # assert_ne!(never, Expiry::DEFAULT);
    /// ```
    pub const fn never() -> Self {
        Self { lifetime: None }
    }

    /// The lifetime, `None` for [`Expiry::never`].
    pub(crate) const fn lifetime(self) -> Option<Duration> {
        self.lifetime
    }
}

impl Default for Expiry {
    fn default() -> Self {
        Self::DEFAULT
    }
}
