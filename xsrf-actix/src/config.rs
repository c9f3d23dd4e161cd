//! `Xsrf`: the configuration, built once and shared by middleware,
//! extractors and helpers.

use std::fmt;
use std::sync::Arc;

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;
use time::Duration;
use xsrf_core::{
    Clock, ConfigError, ExemptRule, Exemptions, KeyRing, KeyStore, MemoryStore, OneTimeKeys,
    OriginPolicy, SigningKey, SystemClock, Tokens, is_canonical_path,
};

use crate::error::{ErrorHandler, XsrfError};

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
    /// (or `*/*+json`) body sent without the token header.
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

type UserFn = dyn Fn(&HttpRequest) -> Option<String> + Send + Sync;

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

pub(crate) struct Inner {
    pub(crate) tokens: Tokens,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) user_fn: Option<Arc<UserFn>>,
    pub(crate) policy: OriginPolicy,
    pub(crate) header: HeaderName,
    /// More token headers accepted (never sent), for migrations.
    pub(crate) extra_headers: Vec<HeaderName>,
    /// Shared: each form scan and `XsrfToken` holds it without a copy.
    pub(crate) field: Arc<str>,
    /// The token cookie's name, prefixed for https sites when it is the
    /// default (see [`XsrfBuilder::cookie_name`]).
    pub(crate) cookie_name: String,
    pub(crate) cookie_domain: Option<String>,
    pub(crate) send_cookie: bool,
    pub(crate) sources: Vec<Source>,
    pub(crate) scan_limit: usize,
    pub(crate) storage: Storage,
    /// The state cookie's MAC key, from the ring's current key.
    pub(crate) state_key: ring::hmac::Key,
    /// The same from each fallback key: a cookie signed before a secret
    /// rotation still opens, and is signed again with the current key on
    /// its way through.
    pub(crate) state_fallback_keys: Vec<ring::hmac::Key>,
    pub(crate) error_handler: Option<Arc<ErrorHandler>>,
    pub(crate) one_time: OneTimeKeys<Arc<dyn KeyStore>>,
    /// This instance has bound a one-time key to a session, or read a
    /// session state that had: from then on, reads of state note whether
    /// it bound any, so a rotation after a purge knows (see `rotate`).
    /// Apps without session-bound keys never pay for the note.
    pub(crate) bound_keys_seen: std::sync::atomic::AtomicBool,
    pub(crate) static_header: HeaderName,
    pub(crate) enforce_origin: bool,
    /// WebSocket handshakes get the origin policy (row O14).
    pub(crate) websocket_check: bool,
    pub(crate) exemptions: Exemptions,
    /// Names of actix routes whose requests are exempt.
    pub(crate) exempt_routes: Vec<String>,
}

impl fmt::Debug for Xsrf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Xsrf")
            .field("tokens", &i.tokens)
            .field("policy", &i.policy)
            .field("header", &i.header)
            .field("field", &i.field)
            .field("sources", &i.sources)
            .field("storage", &i.storage)
            .field("scan_limit", &i.scan_limit)
            .field("exemptions", &i.exemptions)
            .field("exempt_routes", &i.exempt_routes)
            .finish_non_exhaustive()
    }
}

/// What exempted a request, for the log.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Exempted<'a> {
    Rule(&'a ExemptRule),
    Route(&'a str),
}

impl fmt::Display for Exempted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exempted::Rule(r) => write!(f, "exempt({:?})", r.to_string()),
            Exempted::Route(n) => write!(f, "exempt_route({n:?})"),
        }
    }
}

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
/// The value sent in place of a token to say "use my static session key".
pub const STATIC_KEY_MARKER: &str = "STATIC_SESSION_KEY";

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
            storage: Storage::Session,
            default_state_name: false,
            error_handler: None,
            store: None,
            static_header: DEFAULT_STATIC_HEADER.to_owned(),
            enforce_origin: true,
            websocket_check: true,
            exempt: Vec::new(),
            exempt_routes: Vec::new(),
        }
    }

    /// The token service (for issuing outside a request, e.g. in tests).
    pub fn tokens(&self) -> &Tokens {
        &self.inner.tokens
    }

    /// The origin policy in force.
    pub fn origin_policy(&self) -> &OriginPolicy {
        &self.inner.policy
    }

    /// The one-time keys (store and all). Keys created here are not bound
    /// to a session; see [`Xsrf::create_one_time`] for session-bound ones.
    pub fn one_time_keys(&self) -> &OneTimeKeys<Arc<dyn KeyStore>> {
        &self.inner.one_time
    }

    /// The name of the form field tokens are read from.
    pub fn field_name(&self) -> &str {
        &self.inner.field
    }

    /// The header tokens are sent and read in.
    pub fn header_name(&self) -> &HeaderName {
        &self.inner.header
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
        &self.inner.cookie_name
    }

    /// The name of the signed state cookie, with cookie storage (`None`
    /// with session storage).
    pub fn state_cookie_name(&self) -> Option<&str> {
        match &self.inner.storage {
            Storage::SignedCookie { name } => Some(name),
            Storage::Session => None,
        }
    }

    /// Finds the configuration registered for a request: put there by the
    /// middleware, or registered with `App::app_data` (as `Xsrf` or
    /// `web::Data<Xsrf>`). In a handler, take `xsrf: Xsrf` as an argument
    /// instead; this is for code that holds only the request.
    ///
    /// Without a registered `Xsrf` the error answers 500 and names the fix.
    pub fn for_request(req: &HttpRequest) -> Result<Xsrf, XsrfError> {
        Self::registered(req).cloned()
    }

    /// [`Xsrf::for_request`] without the clone, for checks that finish
    /// while they hold the request.
    pub(crate) fn registered(req: &HttpRequest) -> Result<&Xsrf, XsrfError> {
        if let Some(x) = crate::state::middleware_config(req) {
            return Ok(x);
        }
        if let Some(x) = req.app_data::<Xsrf>() {
            return Ok(x);
        }
        if let Some(x) = req.app_data::<actix_web::web::Data<Xsrf>>() {
            return Ok(x);
        }
        let err = XsrfError::misconfigured(
            "no Xsrf registered for this route; add `.wrap(xsrf.clone())` or `.app_data(xsrf.clone())` to the App",
        );
        tracing::error!("{err}");
        Err(err)
    }

    /// Whether the `Xsrf` middleware let this request through as exempt
    /// ([`XsrfBuilder::exempt`], [`XsrfBuilder::exempt_route`]): for a
    /// handler shared by exempt and protected routes, which then checks a
    /// token only when the request is not exempt.
    ///
    /// ```
    /// use actix_web::{HttpRequest, HttpResponse};
    /// use xsrf_actix::{Check, Xsrf, XsrfError};
    ///
    /// async fn hook(req: HttpRequest, body: String) -> Result<HttpResponse, XsrfError> {
    ///     let xsrf = Xsrf::for_request(&req)?;
    ///     if !xsrf.is_exempt(&req) {
    ///         Check::new().run(&req).await?;
    ///     }
    ///     Ok(HttpResponse::Ok().body(body))
    /// }
    /// ```
    pub fn is_exempt(&self, req: &HttpRequest) -> bool {
        req.app_data::<crate::state::Ran>()
            .is_some_and(|r| r.exempt)
    }

    /// The exemption that covers this request, if any: a rule of
    /// [`XsrfBuilder::exempt`] or a route of [`XsrfBuilder::exempt_route`].
    pub(crate) fn exemption<'a>(&'a self, req: &'a HttpRequest) -> Option<Exempted<'a>> {
        let i = &self.inner;
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
        // Works before routing: actix's resource map matches the path
        // against every registered pattern, as its router will.
        let name = req.resource_map().match_name(path)?;
        i.exempt_routes
            .iter()
            .find(|n| n.as_str() == name)
            .map(|n| Exempted::Route(n))
    }

    pub(crate) fn error(&self, req: &HttpRequest, e: impl Into<XsrfError>) -> XsrfError {
        e.into()
            .with_handler(self.inner.error_handler.as_deref(), req)
    }
}

/// The configuration as an extractor, for handlers that issue, rotate or
/// redeem: `async fn login(xsrf: Xsrf, req: HttpRequest)`. A route without
/// a registered `Xsrf` answers 500 naming the fix.
///
/// ```
/// use actix_web::{HttpRequest, HttpResponse, post};
/// use xsrf_actix::{ValidXsrf, Xsrf, XsrfError};
///
/// #[post("/logout")]
/// async fn logout(xsrf: Xsrf, req: HttpRequest, _: ValidXsrf) -> Result<HttpResponse, XsrfError> {
///     xsrf.rotate(&req).await?;
///     Ok(HttpResponse::SeeOther().insert_header(("Location", "/")).finish())
/// }
/// ```
impl actix_web::FromRequest for Xsrf {
    type Error = XsrfError;
    type Future = std::future::Ready<Result<Self, XsrfError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Self::for_request(req))
    }
}

impl XsrfBuilder {
    /// The signing secret (at least 32 bytes). Accepts a [`SigningKey`] or a
    /// [`KeyRing`] with fallback keys for rotation.
    pub fn secret(mut self, ring: impl Into<KeyRing>) -> Self {
        self.ring = Some(ring.into());
        self
    }

    /// How long a token stays valid (default one hour).
    ///
    /// A token checked past half its lifetime is replaced on the way: the
    /// answer carries a fresh one in the token header (and the token
    /// cookie, when sent), so a page or SPA in use never holds an expired
    /// token; only one idle for longer than the timeout gets
    /// `403` with `X-XSRF-Rejection: expired`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Tokens never expire: each stays valid until its session is rotated
    /// ([`Xsrf::rotate`], at login and logout) or its key leaves the ring.
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
    /// `login` example); call [`Xsrf::rotate`] at login and logout.
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

    /// An origin the site is served from, `scheme://host[:port]`. Repeat
    /// for several. With none, `Origin` is compared with the `Host` header
    /// (the scheme cannot be checked then; configure it in production).
    pub fn site_origin(mut self, origin: impl Into<String>) -> Self {
        self.site.push(origin.into());
        self
    }

    /// Another origin allowed to send unsafe requests. Repeatable.
    ///
    /// An exact origin, or a wildcard over subdomains like Django's:
    /// `"https://*.example.com"` trusts `https://a.example.com` and
    /// `https://a.b.example.com` (same scheme and port), never
    /// `https://example.com`, `https://evil-example.com`,
    /// `https://example.com.evil`, `http://a.example.com` or another port.
    /// Patterns are parsed once, by [`Self::build`]; a malformed one
    /// (`*.com`, `a.*.example.com`, `*example.com`) is a [`BuildError`].
    ///
    /// Accepted spellings of an origin, all meaning the same origin:
    /// surrounding whitespace, any case, the default port written or not
    /// (`https://example.com:443`), one trailing `/`
    /// (`https://example.com/`), a Unicode or punycode host. A path,
    /// query, fragment or credentials are refused (see
    /// [`xsrf_core::SiteOrigin::parse`]).
    ///
    /// ```
    /// use actix_web::{App, HttpResponse, http::StatusCode, test, web};
    /// use xsrf_actix::{SigningKey, Xsrf};
    ///
    /// # #[actix_web::main]
    /// # async fn main() {
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate().expect("randomness"))
    ///     .site_origin("https://api.example.com")
    ///     .trusted_origin("https://*.example.com")
    ///     .build()
    ///     .expect("settings");
    /// let app = test::init_service(App::new().wrap(xsrf).route("/", web::post().to(HttpResponse::Ok))).await;
    /// let from = |origin: &str| test::TestRequest::post().uri("/").insert_header(("Origin", origin)).to_request();
    /// // Origin passes; the handler would still check the token.
    /// assert_eq!(test::call_service(&app, from("https://app.example.com")).await.status(), StatusCode::OK);
    /// assert_eq!(test::call_service(&app, from("https://evil-example.com")).await.status(), StatusCode::FORBIDDEN);
    /// # }
    /// ```
    pub fn trusted_origin(mut self, origin: impl Into<String>) -> Self {
        self.trusted.push(origin.into());
        self
    }

    /// The header tokens travel in (default `X-XSRF-Token`).
    pub fn header_name(mut self, name: impl Into<String>) -> Self {
        self.header = name.into();
        self
    }

    /// The form field tokens are read from (default `xsrf_token`); also the
    /// name of the top-level field read from JSON bodies.
    pub fn field_name(mut self, name: impl Into<String>) -> Self {
        self.field = name.into();
        self
    }

    /// Also send tokens in a cookie scripts can read (`XSRF-TOKEN`), the
    /// convention of Angular's `HttpClient` and axios, which then send it
    /// back in `X-XSRF-TOKEN` with no client code.
    pub fn send_cookie(mut self, yes: bool) -> Self {
        self.send_cookie = yes;
        self
    }

    /// The token cookie's name.
    ///
    /// How names are chosen (row R5 of the attack matrix): the **default**
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
    /// [`Xsrf::token_cookie_name`] says which name is in force.
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

    /// Also accepts tokens in header `name` (repeatable), for a migration
    /// whose clients still send another header (Django's `X-CSRFToken`).
    /// Tokens are only ever *sent* in the main [header](Self::header_name).
    /// A request carrying tokens in several accepted headers must carry
    /// the same token in each, or it is refused as conflicting.
    ///
    /// ```
    /// use xsrf_actix::{SigningKey, Xsrf};
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .also_accept_header("X-CSRFToken")
    ///     .build()?;
    /// assert_eq!(xsrf.header_name().as_str(), "x-xsrf-token");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn also_accept_header(mut self, name: impl Into<String>) -> Self {
        self.extra_headers.push(name.into());
        self
    }

    /// Where tokens are read from (default header and form). Including
    /// [`Source::Cookie`] turns on double submit.
    pub fn sources(mut self, sources: impl IntoIterator<Item = Source>) -> Self {
        self.sources = sources.into_iter().collect();
        self
    }

    /// Most body bytes read while looking for a token in a form or JSON
    /// body (default 64 KiB). The scan reads on to the end of the body or
    /// to this limit, so a second token field within it is a conflict;
    /// the handler still gets the whole body.
    pub fn scan_limit(mut self, bytes: usize) -> Self {
        self.scan_limit = bytes;
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

    /// A custom response for refusals and misconfigurations, in place of
    /// the one line of text. It gets the error ([`XsrfError::rejection`]
    /// tells why; [`XsrfError::default_response`] is the response it
    /// replaces) and the request, so it can answer each client in its own
    /// terms: JSON to `Accept: application/json`, a page otherwise.
    ///
    /// It runs when the error is raised, and its response must have a
    /// complete body (a `String`, `Bytes`, `.json(..)`), not a stream. The
    /// [`Rejection`](xsrf_core::Rejection) is added to the response's
    /// extensions either way.
    ///
    /// ```
    /// use actix_web::{HttpRequest, HttpResponse, ResponseError as _};
    /// use xsrf_actix::{SigningKey, Xsrf, XsrfError};
    ///
    /// fn refusal(err: &XsrfError, req: &HttpRequest) -> HttpResponse {
    ///     let wants_json = req
    ///         .headers()
    ///         .get("accept")
    ///         .and_then(|v| v.to_str().ok())
    ///         .is_some_and(|a| a.contains("application/json"));
    ///     let reason = err.rejection().map_or("error", |r| r.code());
    ///     if wants_json {
    ///         HttpResponse::build(err.status_code())
    ///             .json(serde_json::json!({ "error": "xsrf", "reason": reason }))
    ///     } else {
    ///         HttpResponse::build(err.status_code()).content_type("text/html").body(
    ///             "<h1>This form has expired</h1><p><a href=\"/\">Reload the page</a> and try again.</p>",
    ///         )
    ///     }
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

    /// The header of the static session key (default `Sec-Xsrf-Static-Key`;
    /// must start with `Sec-`).
    pub fn static_key_header(mut self, name: impl Into<String>) -> Self {
        self.static_header = name.into();
        self
    }

    /// Whether the middleware refuses unsafe cross-origin requests before
    /// any handler runs (default true). `ValidXsrf` checks origins either way.
    pub fn enforce_origin_in_middleware(mut self, yes: bool) -> Self {
        self.enforce_origin = yes;
        self
    }

    /// Whether the middleware applies the origin policy to WebSocket
    /// handshakes (`GET` with `Upgrade: websocket`), as to unsafe methods
    /// (default **on**).
    ///
    /// A handshake is a `GET`, so without this any site could open a
    /// socket to the app with the visitor's cookies and talk on their
    /// behalf (cross-site WebSocket hijacking). Browsers always send
    /// `Origin` on a handshake, so a foreign page is refused before the
    /// upgrade; a handshake without `Origin` or fetch metadata is a
    /// non-browser client and passes on a plain-http site only, exactly as
    /// a `POST` would. The static-key header lets nothing skip this check
    /// (a WebSocket client cannot set headers). Exemptions apply
    /// (`.exempt("GET /ws")` exempts one socket route). Turn it off with
    /// `.websocket_origin_check(false)` only if the socket route checks
    /// `Origin` itself.
    ///
    /// ```
    /// use actix_web::{App, HttpResponse, http::StatusCode, test, web};
    /// use xsrf_actix::{SigningKey, Xsrf};
    ///
    /// # #[actix_web::main]
    /// # async fn main() {
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate().expect("randomness"))
    ///     .site_origin("https://chat.example")
    ///     .build()
    ///     .expect("settings");
    /// let app = test::init_service(App::new().wrap(xsrf).route("/ws", web::get().to(HttpResponse::SwitchingProtocols))).await;
    /// let handshake = |origin: &str| {
    ///     test::TestRequest::get()
    ///         .uri("/ws")
    ///         .insert_header(("Upgrade", "websocket"))
    ///         .insert_header(("Connection", "Upgrade"))
    ///         .insert_header(("Origin", origin))
    ///         .to_request()
    /// };
    /// let evil = test::call_service(&app, handshake("https://evil.example")).await;
    /// assert_eq!(evil.status(), StatusCode::FORBIDDEN);
    /// let ours = test::call_service(&app, handshake("https://chat.example")).await;
    /// assert_eq!(ours.status(), StatusCode::SWITCHING_PROTOCOLS);
    /// # }
    /// ```
    pub fn websocket_origin_check(mut self, yes: bool) -> Self {
        self.websocket_check = yes;
        self
    }

    /// Exempts requests from every XSRF check (origin and token): for
    /// webhooks, OAuth/SAML callbacks, health probes, which are posted
    /// from elsewhere without `Origin` or token. Repeatable.
    ///
    /// A rule is `PATH` or `METHOD PATH`:
    ///
    /// * `"/webhooks/"` (ends in `/`): a prefix on segment boundaries,
    ///   covering `/webhooks/` and everything under it, not `/webhooks`;
    /// * `"/health"` (no trailing `/`): that exact path only;
    /// * `"POST /webhooks/stripe"`: that method only (capitals).
    ///
    /// Rules match the **raw** request path, case-sensitively, and only a
    /// path in canonical spelling is ever exempt: one with `%`, `;`, `\`,
    /// `//`, or a `.` / `..` segment gets the full checks even if a proxy
    /// or actix would resolve it onto an exempt path (so `/x/../webhooks/`,
    /// `/%77ebhooks/`, `//webhooks/` are never exempt); see
    /// [`xsrf_core::Exemptions`] for the exact rule. A malformed rule is a
    /// [`BuildError`]. An exempt request that reaches `ValidXsrf`,
    /// `#[handle_token]` or `Check` fails with a 500 naming the conflict:
    /// a handler cannot be both exempt and protected. Each exemption is
    /// logged at debug level with the rule that matched.
    ///
    /// ```
    /// use actix_web::{App, HttpResponse, http::StatusCode, test, web};
    /// use xsrf_actix::{SigningKey, Xsrf};
    ///
    /// # #[actix_web::main]
    /// # async fn main() {
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate().expect("randomness"))
    ///     .site_origin("https://shop.example")
    ///     .exempt("/webhooks/")
    ///     .exempt("POST /oauth/callback")
    ///     .build()
    ///     .expect("settings");
    /// let app = test::init_service(
    ///     App::new()
    ///         .wrap(xsrf)
    ///         .route("/webhooks/{name}", web::post().to(HttpResponse::Ok))
    ///         .route("/{tail:.*}", web::post().to(HttpResponse::Ok)),
    /// )
    /// .await;
    /// // A payment provider's post: no Origin, no token, still accepted.
    /// let hook = test::TestRequest::post().uri("/webhooks/stripe").to_request();
    /// assert_eq!(test::call_service(&app, hook).await.status(), StatusCode::OK);
    /// // A path trick is not exempt: refused like any foreign post.
    /// let trick = test::TestRequest::post().uri("/webhooks/../admin").to_request();
    /// assert_eq!(test::call_service(&app, trick).await.status(), StatusCode::FORBIDDEN);
    /// # }
    /// ```
    pub fn exempt(mut self, rule: impl Into<String>) -> Self {
        self.exempt.push(rule.into());
        self
    }

    /// Exempts the requests actix routes to the resource **named** `name`
    /// (`web::resource(..).name(..)`, or `name = ".."` in a route macro):
    /// the per-route way, for dynamic paths (`/hooks/{id}`) and to keep the
    /// exemption next to the route it concerns. Repeatable.
    ///
    /// Why a name rather than a `.wrap(..)` on the resource: the `Xsrf`
    /// middleware runs before actix routes the request (it is registered
    /// on the App or a scope) and must refuse a forged request before any
    /// inner middleware or handler exists for it; actix's resource map,
    /// which it can consult at that point, knows routes by name and
    /// pattern, not by what wraps them. A name also needs no macro.
    ///
    /// The name matches the resource actix's route table finds for the
    /// raw path (the canonical-path rule of [`Self::exempt`] applies, and
    /// every method of that resource is covered). Give the name to a
    /// resource that no other resource with the same path shadows. A name
    /// that no route carries exempts nothing and is logged as an error at
    /// the first request.
    ///
    /// ```
    /// use actix_web::{App, HttpResponse, http::StatusCode, post, test};
    /// use xsrf_actix::{SigningKey, Xsrf};
    ///
    /// #[post("/hooks/{provider}", name = "hooks")]
    /// async fn hook() -> HttpResponse { HttpResponse::Ok().finish() }
    ///
    /// # #[actix_web::main]
    /// # async fn main() {
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate().expect("randomness"))
    ///     .site_origin("https://shop.example")
    ///     .exempt_route("hooks")
    ///     .build()
    ///     .expect("settings");
    /// let app = test::init_service(App::new().wrap(xsrf).service(hook)).await;
    /// let req = test::TestRequest::post().uri("/hooks/github").to_request();
    /// assert_eq!(test::call_service(&app, req).await.status(), StatusCode::OK);
    /// # }
    /// ```
    pub fn exempt_route(mut self, name: impl Into<String>) -> Self {
        self.exempt_routes.push(name.into());
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
        let cookie_name = cookie_name(
            DEFAULT_COOKIE,
            self.cookie_name,
            https,
            cookie_domain.is_some(),
        )?;
        let storage = match self.storage {
            Storage::SignedCookie { name } => {
                let given = (!self.default_state_name).then_some(name);
                Storage::SignedCookie {
                    name: self::cookie_name(DEFAULT_STATE_COOKIE, given, https, false)?,
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
        let mut exemptions = Exemptions::new();
        for rule in &self.exempt {
            exemptions = exemptions.rule(rule)?;
        }
        if let Some(bad) = self.exempt_routes.iter().find(|n| n.is_empty()) {
            return Err(BuildError::BadName(bad.clone()));
        }
        let store = self
            .store
            .unwrap_or_else(|| Arc::new(MemoryStore::default()));
        Ok(Xsrf {
            inner: Arc::new(Inner {
                state_key: ring.current().derive(STATE_COOKIE_PURPOSE),
                state_fallback_keys: ring
                    .keys()
                    .skip(1)
                    .map(|k| k.derive(STATE_COOKIE_PURPOSE))
                    .collect(),
                tokens,
                clock: self.clock,
                user_fn: self.user_fn,
                policy,
                header,
                extra_headers,
                field: Arc::from(self.field),
                cookie_name,
                cookie_domain,
                send_cookie: self.send_cookie,
                sources: self.sources,
                scan_limit: self.scan_limit,
                storage,
                error_handler: self.error_handler,
                one_time: OneTimeKeys::new(store),
                bound_keys_seen: std::sync::atomic::AtomicBool::new(false),
                static_header,
                enforce_origin: self.enforce_origin,
                websocket_check: self.websocket_check,
                exemptions,
                exempt_routes: self.exempt_routes,
            }),
        })
    }

    /// Generates a random secret: fine for development, but tokens then die
    /// with the process and are not shared between instances.
    pub fn generated_secret(self) -> Result<Self, BuildError> {
        Ok(self.secret(SigningKey::generate()?))
    }
}

/// The label the state cookie's MAC key is derived under.
const STATE_COOKIE_PURPOSE: &str = "xsrf-actix/state-cookie/v1";

fn header_name(name: &str) -> Result<HeaderName, BuildError> {
    HeaderName::from_bytes(name.as_bytes()).map_err(|_| BuildError::BadName(name.to_owned()))
}

/// The name a cookie is sent under: the default, prefixed on https sites
/// (`__Host-`, or `__Secure-` with a domain); a given name as given, if
/// its prefix can hold (browsers drop a `__Host-` cookie that is not
/// `Secure`, has a `Domain` or another path, and a `__Secure-` one that is
/// not `Secure`).
fn cookie_name(
    default: &str,
    given: Option<String>,
    https: bool,
    domain: bool,
) -> Result<String, BuildError> {
    let Some(name) = given else {
        return Ok(match (https, domain) {
            (false, _) => default.to_owned(),
            (true, false) => format!("__Host-{default}"),
            (true, true) => format!("__Secure-{default}"),
        });
    };
    if name.is_empty() || !name.bytes().all(is_token_char) {
        return Err(BuildError::BadName(name));
    }
    // Browsers match the prefixes without regard to case.
    let starts = |p: &str| {
        name.get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p))
    };
    if starts("__Host-") && (!https || domain) {
        return Err(BuildError::CookiePrefix {
            name,
            reason: "a __Host- cookie needs an https site origin and no cookie domain",
        });
    }
    if starts("__Secure-") && !https {
        return Err(BuildError::CookiePrefix {
            name,
            reason: "a __Secure- cookie needs an https site origin",
        });
    }
    Ok(name)
}

/// A cookie domain: a host name (no scheme, port or path); a leading `.`
/// is dropped, as browsers ignore it.
fn cookie_domain(domain: String) -> Result<String, BuildError> {
    let d = domain.trim().trim_start_matches('.').to_ascii_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if d.is_empty() || d.len() > 253 || !d.split('.').all(label_ok) {
        return Err(BuildError::BadCookieDomain(domain));
    }
    Ok(d)
}

// RFC 7230 tchar: what a header, field or cookie name may be made of.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Why [`XsrfBuilder::build`] refused the settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No secret: call `.secret(..)` (or `.generated_secret()` in development).
    #[error(
        "no signing secret: call .secret(SigningKey::from_env(..)?) (or .generated_secret()? for development)"
    )]
    MissingSecret,
    /// A key, timeout or origin is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No token source.
    #[error("no token source configured: tokens could never be accepted")]
    NoSources,
    /// Only the cookie as a source: browsers send it on forged requests too.
    #[error(
        "the cookie alone cannot be a token source: browsers attach it to forged requests; add Source::Header or Source::Form"
    )]
    CookieOnly,
    /// A header, field or cookie name with forbidden characters.
    #[error("{0:?} is not a valid header, field or cookie name")]
    BadName(String),
    /// The static key header does not start with `Sec-`.
    #[error("the static key header must start with `Sec-`, so page scripts cannot set it")]
    StaticHeaderNotSec,
    /// A cookie name whose `__Host-` / `__Secure-` prefix the settings
    /// cannot honour (browsers would drop the cookie).
    #[error("cookie name {name:?}: {reason}")]
    CookiePrefix {
        /// The name given.
        name: String,
        /// Why it cannot be used.
        reason: &'static str,
    },
    /// A cookie domain that is not a host name.
    #[error("cookie domain {0:?} is not a host name (like example.com)")]
    BadCookieDomain(String),
    /// A scan limit too small to hold a form with a token.
    #[error("scan limit of {0} bytes is too small (at least 1024)")]
    ScanLimitTooSmall(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[3; 32]).expect("key")
    }

    #[test]
    fn unsafe_settings_are_refused() {
        assert_eq!(
            Xsrf::builder().build().err(),
            Some(BuildError::MissingSecret)
        );
        assert!(matches!(
            Xsrf::builder()
                .secret(key())
                .timeout(Duration::ZERO)
                .build(),
            Err(BuildError::Config(ConfigError::NonPositiveDuration(_)))
        ));
        assert_eq!(
            Xsrf::builder().secret(key()).sources([]).build().err(),
            Some(BuildError::NoSources)
        );
        assert_eq!(
            Xsrf::builder()
                .secret(key())
                .sources([Source::Cookie])
                .build()
                .err(),
            Some(BuildError::CookieOnly)
        );
        assert!(matches!(
            Xsrf::builder()
                .secret(key())
                .site_origin("shop.example")
                .build(),
            Err(BuildError::Config(ConfigError::BadOrigin { .. }))
        ));
        assert_eq!(
            Xsrf::builder()
                .secret(key())
                .static_key_header("X-Static")
                .build()
                .err(),
            Some(BuildError::StaticHeaderNotSec)
        );
        assert!(matches!(
            Xsrf::builder().secret(key()).field_name("a b").build(),
            Err(BuildError::BadName(_))
        ));
        assert!(Xsrf::builder().secret(key()).build().is_ok());
    }
}
