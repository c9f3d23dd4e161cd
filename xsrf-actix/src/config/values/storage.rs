//! [`Storage`]: where per-session state lives.

/// Where per-session state (anonymous id, session salt, static key) lives,
/// for [`XsrfBuilder::storage`](crate::XsrfBuilder::storage).
///
/// [`Storage::Session`], the default, needs actix-session's
/// `SessionMiddleware`; [`Storage::signed_cookie()`] needs no session at
/// all.
///
/// ```
/// use xsrf_actix::{SigningKey, Storage, Xsrf};
///
/// let xsrf = Xsrf::builder()
///     .secret(SigningKey::generate()?)
///     .site_origin("https://shop.example")
///     .storage(Storage::signed_cookie())
///     .build()?;
/// assert_eq!(xsrf.state_cookie_name(), Some("__Host-xsrf-state"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Storage {
    /// In the actix-session `Session` (needs `SessionMiddleware`; works with
    /// the cookie and the Redis session stores). The default.
    #[default]
    Session,
    /// In a signed, `HttpOnly` cookie of its own, with no session
    /// middleware at all. Needs the `Xsrf` middleware to write the cookie.
    ///
    /// The name [`Storage::DEFAULT_COOKIE_NAME`] (`xsrf-state`, what
    /// [`Storage::signed_cookie()`] gives) is sent as `__Host-xsrf-state`
    /// on https sites (any [`site_origin`](crate::XsrfBuilder::site_origin)
    /// is `https://`), so a sibling subdomain or plain http cannot plant
    /// or overwrite it. Any other name is used exactly as given; one
    /// starting with `__Host-` or `__Secure-` needs an https site, or
    /// [`build`](crate::XsrfBuilder::build) refuses it. Unlike the token
    /// cookie's, no script ever reads this cookie, so the default name is
    /// never wanted bare on https; a value is therefore all it takes to
    /// know the name, whichever way it was written.
    ///
    /// ```
    /// use xsrf_actix::{SigningKey, Storage, Xsrf};
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .site_origin("https://shop.example")
    ///     .storage(Storage::SignedCookie { name: "__Host-shop-xsrf".to_owned() })
    ///     .build()?;
    /// assert_eq!(xsrf.state_cookie_name(), Some("__Host-shop-xsrf"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    SignedCookie {
        /// The cookie's name.
        name: String,
    },
}

impl Storage {
    /// The name of [`Storage::signed_cookie()`]'s cookie, `xsrf-state`
    /// (`__Host-xsrf-state` on https sites).
    ///
    /// ```
    /// use xsrf_actix::Storage;
    /// assert_eq!(Storage::DEFAULT_COOKIE_NAME, "xsrf-state");
    /// ```
    pub const DEFAULT_COOKIE_NAME: &'static str = "xsrf-state";

    /// State in a signed cookie named [`Storage::DEFAULT_COOKIE_NAME`]:
    /// the session-less mode.
    ///
    /// ```
    /// use xsrf_actix::Storage;
    /// assert_eq!(
    ///     Storage::signed_cookie(),
    ///     Storage::SignedCookie { name: "xsrf-state".to_owned() },
    /// );
    /// ```
    pub fn signed_cookie() -> Self {
        Self::SignedCookie {
            name: Self::DEFAULT_COOKIE_NAME.to_owned(),
        }
    }
}
