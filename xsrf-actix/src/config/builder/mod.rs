//! [`XsrfBuilder`]: the struct and `build`; the setters live in files
//! named for their topic (keys and lifetime, origins and exemptions,
//! transport, cookies and storage, rollout), the values they take in
//! `super::values`, the checks in `super::validate`.

mod cookies;
mod keys;
mod origins;
mod rollout;
mod transport;

use std::sync::Arc;

use actix_web::HttpRequest;
use xsrf_core::{
    Clock, Exemptions, KeyRing, KeyStore, MemoryStore, OneTimeKeys, OriginPolicy, SystemClock,
    Tokens,
};

use super::settings::{self, Inner, OneTime, Origins, StateSettings, UserFn};
use super::validate::{BuildError, cookie_domain, cookie_name, header_name, is_token_char};
use super::{
    ExemptRoute, Expiry, OriginChecks, Rollout, Source, Storage, TokenCookie, Transport, Xsrf,
};
use crate::error::{ErrorHandler, XsrfError};

/// Builder for [`Xsrf`]. Every setting has a secure default except the
/// secret, which must be given. Settings that belong together are one
/// value each ([`Expiry`], [`Storage`], [`Transport`], [`TokenCookie`],
/// [`OriginChecks`], [`Rollout`]); the repeatable ones (origins,
/// exemptions) add one entry per call.
///
/// ```
/// use xsrf_actix::{SigningKey, Storage, TokenCookie, Xsrf};
///
/// let xsrf = Xsrf::builder()
///     .secret(SigningKey::generate()?)
///     .site_origin("https://shop.example")
///     .exempt("/webhooks/")
///     .storage(Storage::signed_cookie())
///     .token_cookie(TokenCookie::new())
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub struct XsrfBuilder {
    ring: Option<KeyRing>,
    expiry: Expiry,
    clock: Arc<dyn Clock>,
    user_fn: Option<Arc<UserFn>>,
    site: Vec<String>,
    trusted: Vec<String>,
    transport: Transport,
    /// `None`: no token cookie is sent.
    token_cookie: Option<TokenCookie>,
    storage: Storage,
    error_handler: Option<Arc<ErrorHandler>>,
    store: Option<Arc<dyn KeyStore>>,
    origin_checks: OriginChecks,
    exempt: Vec<String>,
    exempt_routes: Vec<String>,
    rollout: Rollout,
}

impl Xsrf {
    /// Starts a builder.
    ///
    /// ```
    /// use xsrf_actix::{SigningKey, Xsrf};
    /// let xsrf = Xsrf::builder().secret(SigningKey::generate()?).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> XsrfBuilder {
        XsrfBuilder {
            ring: None,
            expiry: Expiry::DEFAULT,
            clock: Arc::new(SystemClock),
            user_fn: None,
            site: Vec::new(),
            trusted: Vec::new(),
            transport: Transport::new(),
            token_cookie: None,
            storage: Storage::Session,
            error_handler: None,
            store: None,
            origin_checks: OriginChecks::new(),
            exempt: Vec::new(),
            exempt_routes: Vec::new(),
            rollout: Rollout::enforce(),
        }
    }
}

impl XsrfBuilder {
    /// A custom response for refusals and misconfigurations, in place of
    /// the default (an HTML page, JSON or a line of text, by `Accept`:
    /// see [`XsrfError`]). It gets the error ([`XsrfError::rejection`]
    /// tells why; [`XsrfError::default_response`] is the response it
    /// replaces) and the request, so it can answer in the app's own look.
    ///
    /// It runs when the error is raised, and its response must have a
    /// complete body (a `String`, `Bytes`, `.json(..)`), not a stream.
    /// What code reads is added to its response unless it set its own:
    /// `X-XSRF-Rejection` (the htmx and SPA retry on `expired` needs it),
    /// `Cache-Control: no-store` and `Vary`; and the
    /// [`Rejection`](xsrf_core::Rejection) goes in the response's
    /// extensions either way. With a handler, an expired form posted from
    /// the site gets the handler's page, not the default page that sends
    /// the person's fields again (see "Expired forms" in [the deploying
    /// guide](crate::docs::deploying)).
    ///
    /// ```
    /// use actix_web::{HttpRequest, HttpResponse, ResponseError as _};
    /// use xsrf_actix::{Rejection, SigningKey, Xsrf, XsrfError};
    ///
    /// fn refusal(err: &XsrfError, _req: &HttpRequest) -> HttpResponse {
    ///     let page = match err.rejection() {
    ///         Some(Rejection::Expired) => "<h1>This form has expired</h1><p><a href=\"/\">Reload the page</a> and try again.</p>",
    ///         _ => "<h1>We could not accept this request</h1><p>Go back, reload and try again.</p>",
    ///     };
    ///     // `X-XSRF-Rejection`, `Vary` and `Cache-Control` are added after this.
    ///     HttpResponse::build(err.status_code()).content_type("text/html").body(page)
    /// }
    ///
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .error_handler(refusal)
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn error_handler(
        mut self,
        f: impl Fn(&XsrfError, &HttpRequest) -> actix_web::HttpResponse + Send + Sync + 'static,
    ) -> Self {
        self.error_handler = Some(Arc::new(f));
        self
    }

    /// The one-time key store (default: an in-process
    /// [`MemoryStore`]; `RedisStore` with
    /// feature `redis`, for many instances; see [`store`](crate::store)).
    ///
    /// ```
    /// use xsrf_actix::{SigningKey, Xsrf, store::MemoryStore};
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .one_time_store(MemoryStore::default())
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn one_time_store(mut self, store: impl KeyStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Checks every setting; refuses unsafe or unusable ones.
    ///
    /// ```
    /// use xsrf_actix::{BuildError, SigningKey, Xsrf};
    /// assert_eq!(Xsrf::builder().build().err(), Some(BuildError::MissingSecret));
    /// assert!(Xsrf::builder().secret(SigningKey::generate()?).build().is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(self) -> Result<Xsrf, BuildError> {
        let ring = self.ring.ok_or(BuildError::MissingSecret)?;
        let tokens = Tokens::builder(ring.clone());
        let tokens = match self.expiry.lifetime() {
            Some(lifetime) => tokens.timeout(lifetime),
            None => tokens.no_expiry(),
        }
        .build()?;
        let mut policy = OriginPolicy::new();
        for o in &self.site {
            policy = policy.site(o)?;
        }
        for o in &self.trusted {
            policy = policy.trust(o)?;
        }
        let transport = self.transport;
        let header = header_name(&transport.header)?;
        let static_header = header_name(&transport.static_key_header)?;
        if !static_header.as_str().starts_with("sec-") {
            return Err(BuildError::StaticHeaderNotSec);
        }
        if transport.sources.is_empty() {
            return Err(BuildError::NoSources);
        }
        if transport.sources == [Source::Cookie] {
            return Err(BuildError::CookieOnly);
        }
        if transport.field.is_empty() || !transport.field.bytes().all(is_token_char) {
            return Err(BuildError::BadName(transport.field));
        }
        let https = policy.is_https();
        let send_cookie = self.token_cookie.is_some();
        let TokenCookie {
            name: token_name,
            domain: token_domain,
        } = self.token_cookie.unwrap_or_default();
        let cookie_domain = match token_domain {
            Some(d) => Some(cookie_domain(d)?),
            None => None,
        };
        let token_name = cookie_name(
            TokenCookie::DEFAULT_NAME,
            token_name,
            https,
            cookie_domain.is_some(),
        )?;
        let storage = match self.storage {
            Storage::SignedCookie { name } => {
                // The default name is prefixed on https; any other is
                // used as given (see `Storage::SignedCookie`).
                let given = (name != Storage::DEFAULT_COOKIE_NAME).then_some(name);
                Storage::SignedCookie {
                    name: cookie_name(Storage::DEFAULT_COOKIE_NAME, given, https, false)?,
                }
            }
            other => other,
        };
        let mut extra_headers = Vec::new();
        for name in &transport.also_accept {
            let name = header_name(name)?;
            if name != header && !extra_headers.contains(&name) {
                extra_headers.push(name);
            }
        }
        if transport.scan_limit < 1024 {
            return Err(BuildError::ScanLimitTooSmall(transport.scan_limit));
        }
        let body_wait = transport.body_wait.checked()?;
        let mut exemptions = Exemptions::new();
        for rule in &self.exempt {
            exemptions = exemptions.rule(rule)?;
        }
        let exempt_routes = self
            .exempt_routes
            .iter()
            .map(|rule| ExemptRoute::parse(rule))
            .collect::<Result<Vec<_>, _>>()?;
        let mut report_paths = Exemptions::new();
        for rule in &self.rollout.paths {
            report_paths = report_paths.rule(rule)?;
        }
        let rollout = settings::Rollout {
            everywhere: self.rollout.everywhere,
            paths: report_paths,
        };
        if let Some(paths) = rollout.describe() {
            // Report-only is not protection, and a setting like this gets
            // forgotten: say so at every start.
            tracing::warn!(
                paths = %paths,
                "XSRF report-only mode is ON for {paths}: requests that enforce mode would refuse for a token or origin reason reach their handlers (logged, counted, `X-XSRF-Report-Only` on the response); remove the .rollout(..) setting to enforce"
            );
        }
        crate::counters::describe();
        let store = self
            .store
            .unwrap_or_else(|| Arc::new(MemoryStore::default()));
        Ok(Xsrf {
            inner: Arc::new(Inner {
                state: StateSettings::new(storage, &ring),
                tokens,
                clock: self.clock,
                user_fn: self.user_fn,
                origin: Origins {
                    policy,
                    enforce_in_middleware: self.origin_checks.in_middleware,
                    websocket_check: self.origin_checks.websocket,
                    exemptions,
                    exempt_routes,
                },
                transport: settings::Transport {
                    header,
                    extra_headers,
                    field: Arc::from(transport.field),
                    sources: transport.sources,
                    scan_limit: transport.scan_limit,
                    body_wait,
                    static_header,
                },
                token_cookie: settings::TokenCookie {
                    send: send_cookie,
                    name: token_name,
                    domain: cookie_domain,
                },
                one_time: OneTime {
                    keys: OneTimeKeys::new(store),
                    bound_keys_seen: std::sync::atomic::AtomicBool::new(false),
                },
                rollout,
                counters: crate::counters::Counters::default(),
                error_handler: self.error_handler,
            }),
        })
    }
}
