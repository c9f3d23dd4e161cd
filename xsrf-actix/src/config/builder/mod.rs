//! [`XsrfBuilder`]: the struct and `build`; the setters live in files
//! named for their topic (keys and lifetime, origins and exemptions,
//! transport, cookies and storage), the checks in `super::validate`.

mod cookies;
mod keys;
mod origins;
mod rollout;
mod transport;

use std::sync::Arc;

use actix_web::HttpRequest;
use time::Duration;
use xsrf_core::{
    Clock, Exemptions, KeyRing, KeyStore, MemoryStore, OneTimeKeys, OriginPolicy, SystemClock,
    Tokens,
};

use super::settings::{
    Inner, OneTime, Origins, Rollout, StateSettings, TokenCookie, Transport, UserFn,
};
use super::validate::{BuildError, cookie_domain, cookie_name, header_name, is_token_char};
use super::{
    BodyWait, DEFAULT_COOKIE, DEFAULT_FIELD, DEFAULT_HEADER, DEFAULT_SCAN_LIMIT,
    DEFAULT_STATE_COOKIE, DEFAULT_STATIC_HEADER, ExemptRoute, Source, Storage, Xsrf,
};
use crate::error::{ErrorHandler, XsrfError};

/// Builder for [`Xsrf`]. Every setter has a secure default except the
/// secret, which must be given (or explicitly generated).
#[must_use]
pub struct XsrfBuilder {
    ring: Option<KeyRing>,
    timeout: Duration,
    no_expiry: bool,
    clock: Arc<dyn Clock>,
    user_fn: Option<Arc<UserFn>>,
    site: Vec<String>,
    trusted: Vec<String>,
    header: String,
    extra_headers: Vec<String>,
    field: String,
    cookie_name: Option<String>,
    cookie_domain: Option<String>,
    send_cookie: bool,
    sources: Vec<Source>,
    scan_limit: usize,
    body_wait: BodyWait,
    storage: Storage,
    /// The state cookie's name is the default (set by `cookie_storage()`),
    /// so it gets the `__Host-` prefix on https sites.
    default_state_name: bool,
    error_handler: Option<Arc<ErrorHandler>>,
    store: Option<Arc<dyn KeyStore>>,
    static_header: String,
    enforce_origin: bool,
    websocket_check: bool,
    exempt: Vec<String>,
    exempt_routes: Vec<String>,
    report_only: bool,
    report_only_paths: Vec<String>,
}

impl Xsrf {
    /// Starts a builder.
    pub fn builder() -> XsrfBuilder {
        XsrfBuilder {
            ring: None,
            timeout: Tokens::DEFAULT_TIMEOUT,
            no_expiry: false,
            clock: Arc::new(SystemClock),
            user_fn: None,
            site: Vec::new(),
            trusted: Vec::new(),
            header: DEFAULT_HEADER.to_owned(),
            extra_headers: Vec::new(),
            field: DEFAULT_FIELD.to_owned(),
            cookie_name: None,
            cookie_domain: None,
            send_cookie: false,
            sources: vec![Source::Header, Source::Form],
            scan_limit: DEFAULT_SCAN_LIMIT,
            body_wait: BodyWait::default(),
            storage: Storage::Session,
            default_state_name: false,
            error_handler: None,
            store: None,
            static_header: DEFAULT_STATIC_HEADER.to_owned(),
            enforce_origin: true,
            websocket_check: true,
            exempt: Vec::new(),
            exempt_routes: Vec::new(),
            report_only: false,
            report_only_paths: Vec::new(),
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

    /// The one-time key store (default: an in-process [`MemoryStore`]).
    pub fn one_time_store(mut self, store: impl KeyStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Checks every setting; refuses unsafe or unusable ones.
    pub fn build(self) -> Result<Xsrf, BuildError> {
        let ring = self.ring.ok_or(BuildError::MissingSecret)?;
        let tokens = Tokens::builder(ring.clone()).timeout(self.timeout);
        let tokens = if self.no_expiry {
            tokens.no_expiry()
        } else {
            tokens
        }
        .build()?;
        let mut policy = OriginPolicy::new();
        for o in &self.site {
            policy = policy.site(o)?;
        }
        for o in &self.trusted {
            policy = policy.trust(o)?;
        }
        let header = header_name(&self.header)?;
        let static_header = header_name(&self.static_header)?;
        if !static_header.as_str().starts_with("sec-") {
            return Err(BuildError::StaticHeaderNotSec);
        }
        if self.sources.is_empty() {
            return Err(BuildError::NoSources);
        }
        if self.sources == [Source::Cookie] {
            return Err(BuildError::CookieOnly);
        }
        if self.field.is_empty() || !self.field.bytes().all(is_token_char) {
            return Err(BuildError::BadName(self.field));
        }
        let https = policy.is_https();
        let cookie_domain = match self.cookie_domain {
            Some(d) => Some(cookie_domain(d)?),
            None => None,
        };
        let token_name = cookie_name(
            DEFAULT_COOKIE,
            self.cookie_name,
            https,
            cookie_domain.is_some(),
        )?;
        let storage = match self.storage {
            Storage::SignedCookie { name } => {
                let given = (!self.default_state_name).then_some(name);
                Storage::SignedCookie {
                    name: cookie_name(DEFAULT_STATE_COOKIE, given, https, false)?,
                }
            }
            other => other,
        };
        let mut extra_headers = Vec::new();
        for name in &self.extra_headers {
            let name = header_name(name)?;
            if name != header && !extra_headers.contains(&name) {
                extra_headers.push(name);
            }
        }
        if self.scan_limit < 1024 {
            return Err(BuildError::ScanLimitTooSmall(self.scan_limit));
        }
        let body_wait = self.body_wait.checked()?;
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
        for rule in &self.report_only_paths {
            report_paths = report_paths.rule(rule)?;
        }
        let rollout = Rollout {
            everywhere: self.report_only,
            paths: report_paths,
        };
        if let Some(paths) = rollout.describe() {
            // Report-only is not protection, and a setting like this gets
            // forgotten: say so at every start.
            tracing::warn!(
                paths = %paths,
                "XSRF report-only mode is ON for {paths}: requests that enforce mode would refuse for a token or origin reason reach their handlers (logged, counted, `X-XSRF-Report-Only` on the response); call .report_only(false) to enforce"
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
                    enforce_in_middleware: self.enforce_origin,
                    websocket_check: self.websocket_check,
                    exemptions,
                    exempt_routes,
                },
                transport: Transport {
                    header,
                    extra_headers,
                    field: Arc::from(self.field),
                    sources: self.sources,
                    scan_limit: self.scan_limit,
                    body_wait,
                    static_header,
                },
                token_cookie: TokenCookie {
                    send: self.send_cookie,
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
