//! Cookies and storage: the token cookie, and where per-session state
//! lives (the session, or a signed cookie of its own).

use super::XsrfBuilder;
use crate::config::{Storage, TokenCookie};

impl XsrfBuilder {
    /// Also send tokens in a cookie scripts can read, for Angular and
    /// axios (default: no token cookie). [`TokenCookie`] says how its name
    /// is chosen (`__Host-XSRF-TOKEN` on https sites) and sets a name or
    /// a domain.
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
    pub fn token_cookie(mut self, cookie: impl Into<TokenCookie>) -> Self {
        self.token_cookie = Some(cookie.into());
        self
    }

    /// Where per-session state lives: [`Storage::Session`] (the default,
    /// needs actix-session's `SessionMiddleware`) or
    /// [`Storage::signed_cookie()`] (no session at all;
    /// `__Host-xsrf-state` on https sites).
    ///
    /// ```
    /// use xsrf_actix::{SigningKey, Storage, Xsrf};
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .storage(Storage::signed_cookie())
    ///     .build()?;
    /// assert_eq!(xsrf.state_cookie_name(), Some("xsrf-state"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn storage(mut self, storage: impl Into<Storage>) -> Self {
        self.storage = storage.into();
        self
    }
}
