//! `Xsrf`: the configuration, built once and shared by middleware,
//! extractors and helpers.
//!
//! * [`builder`]: [`XsrfBuilder`], its setters grouped by topic, and
//!   `build`, which checks every setting ([`validate`]).
//! * [`values`]: what an app hands the builder, one value type per
//!   decision ([`Expiry`], [`Storage`], [`Transport`], ...).
//! * [`settings`]: what `build` makes of them, grouped into small structs
//!   by the part of the crate that reads them.
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
mod values;

use std::fmt;
use std::sync::Arc;

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;
use xsrf_core::{ExemptRule, KeyStore, OneTimeKeys, OriginPolicy, Tokens, is_canonical_path};

use crate::error::XsrfError;

pub use self::body_wait::BodyWait;
pub(crate) use self::body_wait::Wait;
pub use self::builder::XsrfBuilder;
pub(crate) use self::settings::{Inner, Transport as TransportSettings};
pub use self::validate::BuildError;
pub use self::values::{Expiry, OriginChecks, Rollout, Source, Storage, TokenCookie, Transport};

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

/// The value sent in place of a token to say "use my static session key"
/// (public as [`Transport::STATIC_KEY_MARKER`]).
pub(crate) const STATIC_KEY_MARKER: &str = Transport::STATIC_KEY_MARKER;

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
    /// use xsrf_actix::{SigningKey, TokenCookie, Xsrf};
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .site_origin("https://shop.example")
    ///     .token_cookie(TokenCookie::new())
    ///     .build()?;
    /// assert_eq!(xsrf.token_cookie_name(), "__Host-XSRF-TOKEN");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn token_cookie_name(&self) -> &str {
        &self.inner.token_cookie.name
    }

    /// The name of the signed state cookie, with
    /// [`Storage::SignedCookie`] (`None` with [`Storage::Session`]).
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
