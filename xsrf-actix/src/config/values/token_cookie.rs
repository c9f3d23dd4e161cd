//! [`TokenCookie`]: the cookie tokens are also sent in, for scripts.

/// The token cookie scripts read, for
/// [`XsrfBuilder::token_cookie`](crate::XsrfBuilder::token_cookie): giving
/// one turns it on (by default no token cookie is sent).
///
/// Tokens then also travel in a cookie scripts can read (`XSRF-TOKEN`),
/// the convention of Angular's `HttpClient` and axios, which send it back
/// in `X-XSRF-TOKEN` with no client code. The cookie is `SameSite=Lax`
/// and not `HttpOnly`, on purpose. As a token *source* it only ever adds
/// a double-submit requirement ([`Source::Cookie`](crate::Source::Cookie)).
///
/// How its name is chosen: the **default** is `XSRF-TOKEN` on plain-http
/// sites and, on https sites (any
/// [`site_origin`](crate::XsrfBuilder::site_origin) is `https://`),
/// `__Host-XSRF-TOKEN`, or `__Secure-XSRF-TOKEN` when a
/// [domain](TokenCookie::domain) is set: a browser then refuses the cookie
/// from a sibling subdomain or plain http, so it cannot be tossed or
/// overwritten. A [name](TokenCookie::name) given is used **exactly as
/// given** (`XSRF-TOKEN` on https, for an axios left at its default); one
/// starting with `__Host-` must be on an https site with no domain, one
/// starting with `__Secure-` on an https site, or
/// [`build`](crate::XsrfBuilder::build) refuses it. Tell the SPA the name
/// it must read: `axios.defaults.xsrfCookieName = "__Host-XSRF-TOKEN"`
/// (axios reads `XSRF-TOKEN` otherwise), and Angular's
/// `withXsrfConfiguration({cookieName: ..})`.
/// [`Xsrf::token_cookie_name`](crate::Xsrf::token_cookie_name) says which
/// name is in force.
///
/// ```
/// use xsrf_actix::{SigningKey, TokenCookie, Xsrf};
/// let xsrf = Xsrf::builder()
///     .secret(SigningKey::generate()?)
///     .site_origin("https://shop.example")
///     .token_cookie(TokenCookie::new())
///     .build()?;
/// assert_eq!(xsrf.token_cookie_name(), "__Host-XSRF-TOKEN");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenCookie {
    /// `None`: the default, prefixed on https sites.
    pub(in crate::config) name: Option<String>,
    pub(in crate::config) domain: Option<String>,
}

impl TokenCookie {
    /// The default name, `XSRF-TOKEN`: the one Angular and axios read. On
    /// https sites it is sent as `__Host-XSRF-TOKEN` (`__Secure-XSRF-TOKEN`
    /// with a domain).
    ///
    /// ```
    /// use xsrf_actix::TokenCookie;
    /// assert_eq!(TokenCookie::DEFAULT_NAME, "XSRF-TOKEN");
    /// ```
    pub const DEFAULT_NAME: &'static str = "XSRF-TOKEN";

    /// The token cookie under its default name, host-only.
    ///
    /// ```
    /// use xsrf_actix::{SigningKey, TokenCookie, Xsrf};
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .token_cookie(TokenCookie::new())
    ///     .build()?;
    /// assert_eq!(xsrf.token_cookie_name(), "XSRF-TOKEN");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const fn new() -> Self {
        Self {
            name: None,
            domain: None,
        }
    }

    /// The cookie's name, used exactly as given (see above for how a
    /// `__Host-` or `__Secure-` prefix is checked).
    ///
    /// ```
    /// use xsrf_actix::{SigningKey, TokenCookie, Xsrf};
    /// // Django's name, for scripts written against it.
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .token_cookie(TokenCookie::new().name("csrftoken"))
    ///     .build()?;
    /// assert_eq!(xsrf.token_cookie_name(), "csrftoken");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// A `Domain` for the cookie, so that an SPA on a sibling subdomain
    /// (`app.example.com` calling `api.example.com`) can read it:
    /// `.domain("example.com")` (a leading `.` is dropped, as browsers do).
    /// Its default name then becomes `__Secure-XSRF-TOKEN` on https sites
    /// (`__Host-` forbids a domain). The state cookie stays host-only.
    /// Trust the SPA's origin too
    /// ([`trusted_origin`](crate::XsrfBuilder::trusted_origin), wildcards
    /// allowed).
    ///
    /// ```
    /// use xsrf_actix::{SigningKey, TokenCookie, Xsrf};
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .site_origin("https://api.example.com")
    ///     .trusted_origin("https://*.example.com")
    ///     .token_cookie(TokenCookie::new().domain("example.com"))
    ///     .build()?;
    /// assert_eq!(xsrf.token_cookie_name(), "__Secure-XSRF-TOKEN");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }
}
