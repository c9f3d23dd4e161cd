//! `Xsrf`: the configuration, built once and shared by middleware,
//! extractors and helpers.
//!
//! * [`builder`]: [`XsrfBuilder`], its setters grouped by topic, and
//!   `build`, which checks every setting ([`validate`]).
//! * [`settings`]: what `build` makes, grouped into small structs by the
//!   part of the crate that reads them.
//!
//! How a request finds its `Xsrf` is in `extract/xsrf.rs`; what `Xsrf`
//! does is in files named for its verbs (`issue`, `lifecycle`,
//! `one_time`).

mod body_wait;
mod builder;
mod settings;
#[cfg(test)]
mod tests;
mod validate;

use std::fmt;
use std::sync::Arc;

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;
use xsrf_core::{ExemptRule, KeyStore, OneTimeKeys, OriginPolicy, Tokens, is_canonical_path};

use crate::error::XsrfError;

pub use self::body_wait::BodyWait;
pub(crate) use self::body_wait::Wait;
pub use self::builder::XsrfBuilder;
pub(crate) use self::settings::{Inner, Transport};
pub use self::validate::BuildError;

/// Where a token may be read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// The token header (`X-XSRF-Token` by default; header names are
    /// case-insensitive, so axios' `X-XSRF-TOKEN` is the same header).
    Header,
    /// A form field (`xsrf_token` by default) of an
    /// `application/x-www-form-urlencoded` or `multipart/form-data` body,
    /// or a top-level string field of that name in an `application/json`
    /// (or `*/*+json`) body sent without a token header (the main one or
    /// one of [`XsrfBuilder::also_accept_header`], or the static key header).
    Form,
    /// Double submit: the token cookie (`XSRF-TOKEN`) must also be present
    /// and equal to the token sent in the header or form. A cookie alone
    /// never counts: browsers attach it to forged requests too.
    Cookie,
}

/// Where per-session state (anonymous id, session salt, static key) lives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Storage {
    /// In the actix-session `Session` (needs `SessionMiddleware`; works with
    /// the cookie and the Redis session stores). The default.
    Session,
    /// In a signed, `HttpOnly` cookie of its own, with no session
    /// middleware at all. Needs the `Xsrf` middleware to write the cookie.
    SignedCookie {
        /// The cookie's name.
        name: String,
    },
}

/// The XSRF protection of an app: keys, timeout, who the user is, where
/// tokens travel, which origins are ours.
///
/// Build it once with [`Xsrf::builder`], then register it as middleware
/// (`.wrap(xsrf.clone())`, which reads form bodies and enforces the origin
/// policy) and/or as app data (`.app_data(xsrf.clone())`). Cloning is cheap.
///
/// ```no_run
/// use actix_web::{App, HttpServer};
/// use xsrf_actix::{SigningKey, Xsrf};
///
/// # async fn run() -> std::io::Result<()> {
/// let xsrf = Xsrf::builder()
///     .secret(SigningKey::from_env("XSRF_SECRET").expect("XSRF_SECRET"))
///     .site_origin("https://shop.example")
///     .build()
///     .expect("valid XSRF settings");
/// HttpServer::new(move || App::new().wrap(xsrf.clone()))
///     .bind(("127.0.0.1", 8080))?
///     .run()
///     .await
/// # }
/// ```
#[derive(Clone)]
pub struct Xsrf {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Xsrf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Xsrf")
            .field("tokens", &i.tokens)
            .field("policy", &i.origin.policy)
            .field("header", &i.transport.header)
            .field("field", &i.transport.field)
            .field("sources", &i.transport.sources)
            .field("storage", &i.state.storage)
            .field("scan_limit", &i.transport.scan_limit)
            .field("body_wait", &i.transport.body_wait)
            .field("exemptions", &i.origin.exemptions)
            .field("exempt_routes", &i.origin.exempt_routes)
            .finish_non_exhaustive()
    }
}

/// What exempted a request, for the log.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Exempted<'a> {
    Rule(&'a ExemptRule),
    Route(&'a ExemptRoute),
}

impl fmt::Display for Exempted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exempted::Rule(r) => write!(f, "exempt({:?})", r.to_string()),
            Exempted::Route(r) => write!(f, "exempt_route({:?})", r.to_string()),
        }
    }
}

/// A rule of [`XsrfBuilder::exempt_route`]: `METHOD NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExemptRoute {
    pub(crate) method: String,
    pub(crate) name: String,
}

impl ExemptRoute {
    /// Parses `METHOD NAME` (the name is the rest, spaces and all).
    fn parse(text: &str) -> Result<Self, BuildError> {
        let bad = |reason| BuildError::BadExemptRoute {
            value: text.to_owned(),
            reason,
        };
        let Some((method, name)) = text.trim().split_once(' ') else {
            return Err(bad(
                "give the method before the route name (\"POST hooks\"): actix hands a request that the named resource's method guard refuses to the next resource on its path",
            ));
        };
        let name = name.trim_start();
        let token = !method.is_empty()
            && method
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if !token {
            return Err(bad("the method must be written in capitals (\"PUT\")"));
        }
        if name.is_empty() {
            return Err(bad("no route name after the method"));
        }
        Ok(Self {
            method: method.to_owned(),
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for ExemptRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.name)
    }
}

/// Default header carrying tokens both ways (flask-xsrf's name).
pub const DEFAULT_HEADER: &str = "X-XSRF-Token";
/// Default form field.
pub const DEFAULT_FIELD: &str = "xsrf_token";
/// Default token cookie: the name Angular and axios read. On https sites
/// it is sent as `__Host-XSRF-TOKEN` (or `__Secure-XSRF-TOKEN` with a
/// cookie domain); see [`XsrfBuilder::cookie_name`].
pub const DEFAULT_COOKIE: &str = "XSRF-TOKEN";
/// Default name of the state cookie of [`XsrfBuilder::cookie_storage`]
/// (`__Host-xsrf-state` on https sites).
pub const DEFAULT_STATE_COOKIE: &str = "xsrf-state";
/// Default body scan limit: 64 KiB.
pub const DEFAULT_SCAN_LIMIT: usize = 64 * 1024;
/// Default header of the static session key. Browsers forbid page scripts
/// to set any `Sec-` request header.
pub const DEFAULT_STATIC_HEADER: &str = "Sec-Xsrf-Static-Key";
/// The value sent in place of a token to say "use my static session key"
/// (the key itself goes in the static key header). Accepted in place of a
/// token, never of a one-time key: see [`Xsrf::reveal_static_key`].
///
/// ```
/// assert_eq!(xsrf_actix::STATIC_KEY_MARKER, "STATIC_SESSION_KEY");
/// ```
pub const STATIC_KEY_MARKER: &str = "STATIC_SESSION_KEY";

impl Xsrf {
    /// The token service (for issuing outside a request, e.g. in tests).
    pub fn tokens(&self) -> &Tokens {
        &self.inner.tokens
    }

    /// The origin policy in force.
    pub fn origin_policy(&self) -> &OriginPolicy {
        &self.inner.origin.policy
    }

    /// The one-time keys (store and all). Keys created here are not bound
    /// to a session; see [`Xsrf::create_one_time`] for session-bound ones.
    pub fn one_time_keys(&self) -> &OneTimeKeys<Arc<dyn KeyStore>> {
        &self.inner.one_time.keys
    }

    /// The name of the form field tokens are read from.
    pub fn field_name(&self) -> &str {
        &self.inner.transport.field
    }

    /// The header tokens are sent and read in.
    pub fn header_name(&self) -> &HeaderName {
        &self.inner.transport.header
    }

    /// The name the token cookie is sent under: what an SPA must be told
    /// to read (axios `xsrfCookieName`, Angular's `cookieName`). On https
    /// sites the default is `__Host-XSRF-TOKEN` (`__Secure-XSRF-TOKEN`
    /// with a cookie domain).
    ///
    /// ```
    /// use xsrf_actix::{SigningKey, Xsrf};
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .site_origin("https://shop.example")
    ///     .send_cookie(true)
    ///     .build()?;
    /// assert_eq!(xsrf.token_cookie_name(), "__Host-XSRF-TOKEN");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn token_cookie_name(&self) -> &str {
        &self.inner.token_cookie.name
    }

    /// The name of the signed state cookie, with cookie storage (`None`
    /// with session storage).
    pub fn state_cookie_name(&self) -> Option<&str> {
        match &self.inner.state.storage {
            Storage::SignedCookie { name } => Some(name),
            Storage::Session => None,
        }
    }

    /// The exemption that covers this request, if any: a rule of
    /// [`XsrfBuilder::exempt`] or a route of [`XsrfBuilder::exempt_route`].
    pub(crate) fn exemption<'a>(&'a self, req: &'a HttpRequest) -> Option<Exempted<'a>> {
        let i = &self.inner.origin;
        if i.exemptions.is_empty() && i.exempt_routes.is_empty() {
            return None;
        }
        let path = req.path();
        if let Some(rule) = i.exemptions.find(req.method().as_str(), path) {
            return Some(Exempted::Rule(rule));
        }
        if i.exempt_routes.is_empty() || !is_canonical_path(path) {
            return None;
        }
        // Works before routing: actix's resource map names the first
        // resource whose pattern matches the path, guards unseen (see
        // `XsrfBuilder::exempt_route` for why the method is part of the rule).
        let name = req.resource_map().match_name(path)?;
        let method = req.method().as_str();
        i.exempt_routes
            .iter()
            .find(|r| r.name == name && r.method == method)
            .map(Exempted::Route)
    }

    pub(crate) fn error(&self, req: &HttpRequest, e: impl Into<XsrfError>) -> XsrfError {
        e.into()
            .with_handler(self.inner.error_handler.as_deref(), req)
    }
}
