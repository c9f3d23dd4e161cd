//! Cookies and storage: the token cookie, and where per-session state
//! lives (the session, or a signed cookie of its own).

use super::XsrfBuilder;
use crate::config::{DEFAULT_STATE_COOKIE, Storage};

impl XsrfBuilder {
    /// Also send tokens in a cookie scripts can read (`XSRF-TOKEN`), the
    /// convention of Angular's `HttpClient` and axios, which then send it
    /// back in `X-XSRF-TOKEN` with no client code.
    pub fn send_cookie(mut self, yes: bool) -> Self {
        self.send_cookie = yes;
        self
    }

    /// The token cookie's name.
    ///
    /// How names are chosen: the **default**
    /// is `XSRF-TOKEN` on plain-http sites and, on https sites (any
    /// `site_origin` is `https://`), `__Host-XSRF-TOKEN`, or
    /// `__Secure-XSRF-TOKEN` when a [cookie domain](Self::cookie_domain)
    /// is set: a browser then refuses the cookie from a sibling subdomain
    /// or plain http, so it cannot be tossed or overwritten. A name given
    /// here is used **exactly as given**; one starting with `__Host-` must
    /// be on an https site with no cookie domain, one starting with
    /// `__Secure-` on an https site, or [`XsrfBuilder::build`] refuses it.
    /// Tell the SPA the name it must read: `axios.defaults.xsrfCookieName
    /// = "__Host-XSRF-TOKEN"` (axios reads `XSRF-TOKEN` otherwise), and
    /// Angular's `withXsrfConfiguration({cookieName: ..})`.
    /// [`Xsrf::token_cookie_name`](crate::Xsrf::token_cookie_name) says which name is in force.
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = Some(name.into());
        self
    }

    /// A `Domain` for the token cookie, so that an SPA on a sibling
    /// subdomain (`app.example.com` calling `api.example.com`) can read
    /// it: `.cookie_domain("example.com")`. Its default name then becomes
    /// `__Secure-XSRF-TOKEN` on https sites (`__Host-` forbids a domain).
    /// The state cookie stays host-only. Trust the SPA's origin too
    /// ([`Self::trusted_origin`], wildcards allowed).
    ///
    /// ```
    /// use xsrf_actix::{SigningKey, Xsrf};
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .site_origin("https://api.example.com")
    ///     .trusted_origin("https://*.example.com")
    ///     .send_cookie(true)
    ///     .cookie_domain("example.com")
    ///     .build()?;
    /// assert_eq!(xsrf.token_cookie_name(), "__Secure-XSRF-TOKEN");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cookie_domain(mut self, domain: impl Into<String>) -> Self {
        self.cookie_domain = Some(domain.into());
        self
    }

    /// Where per-session state lives (default the actix-session `Session`).
    pub fn storage(mut self, storage: Storage) -> Self {
        self.storage = storage;
        self.default_state_name = false;
        self
    }

    /// Shorthand for [`Storage::SignedCookie`] named `xsrf-state`.
    /// On https sites the cookie is named `__Host-xsrf-state` (`Secure`,
    /// `Path=/`, no `Domain`); a name given through [`Self::storage`] is
    /// used as given (validated as for [`Self::cookie_name`]).
    pub fn cookie_storage(mut self) -> Self {
        self = self.storage(Storage::SignedCookie {
            name: DEFAULT_STATE_COOKIE.to_owned(),
        });
        self.default_state_name = true;
        self
    }
}
