//! The origin / fetch-metadata policy: is this request from our own pages?
//!
//! The check is a pure function of a few request headers and the
//! configuration. It mirrors Go 1.25's `CrossOriginProtection` and Django's
//! `CsrfViewMiddleware`, in this order:
//!
//! 1. Safe methods (`GET`, `HEAD`, `OPTIONS`, `TRACE`) pass: they must not
//!    change state, and blocking them would break links into the site.
//! 2. `Sec-Fetch-Site` (set by browsers, unforgeable by page scripts):
//!    `same-origin` and `none` (typed URL, bookmark) pass; `cross-site` and
//!    `same-site` pass only when `Origin` is a trusted origin. Other values
//!    fall through to the next step.
//! 3. `Origin`: `null` or unparsable is refused; it must equal a site
//!    origin or a trusted origin exactly (scheme, host and port).
//! 4. No `Origin`: if a `Referer` is present it must match the same way;
//!    on an HTTPS site it is required (a man-in-the-middle on plain HTTP
//!    could otherwise plant a cookie and post from `http://`).
//! 5. Neither header on a plain-HTTP site passes: that is a non-browser
//!    client, which CSRF cannot drive; the token check still applies.
//!
//! The site's scheme comes from configuration, never from the request:
//! behind a TLS-terminating proxy the request URL says `http` and
//! `X-Forwarded-Proto` can be forged. With no site origin configured, the
//! `Origin`'s host and port are compared with the `Host` header instead, as
//! Go does (the scheme then cannot be checked).

use std::fmt;

use url::Url;

use crate::{ConfigError, OriginRejection};

/// An origin: scheme, host and port, compared exactly.
///
/// ```
/// use xsrf_core::SiteOrigin;
/// let o = SiteOrigin::parse("https://Shop.Example:8443")?;
/// assert_eq!(o.to_string(), "https://shop.example:8443");
/// assert!(SiteOrigin::parse("https://shop.example/path").is_err());
/// assert!(SiteOrigin::parse("shop.example").is_err());
/// # Ok::<(), xsrf_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SiteOrigin {
    https: bool,
    host: String,
    port: u16,
    /// The ASCII serialization (`Display`), kept so that the common case,
    /// an `Origin` header equal to a configured origin, is decided by one
    /// comparison instead of a URL parse.
    serialized: String,
}

impl SiteOrigin {
    /// Parses `scheme://host[:port]` (a trailing `/` is tolerated in
    /// configuration). Only `http` and `https` are accepted.
    ///
    /// Exactly these spellings of one origin are accepted, and all mean the
    /// same: surrounding whitespace; any case in scheme and host
    /// (`HTTPS://Shop.Example`); the scheme's default port written or not
    /// (`https://shop.example:443`); one trailing `/`
    /// (`https://shop.example/`); an internationalized host in Unicode or
    /// punycode. Refused: a path other than `/`, a query, a fragment,
    /// credentials, a scheme other than `http`/`https`, a missing host.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let bad = |reason| ConfigError::BadOrigin {
            value: text.to_owned(),
            reason,
        };
        let url = Url::parse(text.trim()).map_err(|_| bad("not an absolute URL"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("must not contain credentials"));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(bad(
                "must be scheme://host[:port] with no path, query or fragment",
            ));
        }
        Self::from_url(&url).ok_or_else(|| bad("scheme must be http or https, with a host"))
    }

    fn from_url(url: &Url) -> Option<Self> {
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            _ => return None,
        };
        let mut origin = Self {
            https,
            host: url.host_str()?.to_ascii_lowercase(),
            port: url.port_or_known_default()?,
            serialized: String::new(),
        };
        origin.serialized = origin.to_string();
        Some(origin)
    }

    /// Whether the scheme is `https`.
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The host, lower-case (IDNs in punycode).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, explicit or the scheme's default.
    pub fn port(&self) -> u16 {
        self.port
    }

    fn authority_matches(&self, host_header: &str) -> bool {
        let host_header = host_header.to_ascii_lowercase();
        let default = if self.https { 443 } else { 80 };
        host_header == format!("{}:{}", self.host, self.port)
            || (self.port == default && host_header == self.host)
    }
}

impl fmt::Display for SiteOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        let default = if self.https { 443 } else { 80 };
        if self.port == default {
            write!(f, "{scheme}://{}", self.host)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// A trusted origin: exact, or a wildcard over subdomains.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Trusted {
    Exact(SiteOrigin),
    /// `scheme://*.domain[:port]`: any host ending in `.domain` (one label
    /// or more before it), same scheme and port.
    Wildcard {
        https: bool,
        /// `.domain`, lower-case, with its leading dot.
        suffix: String,
        port: u16,
    },
}

impl Trusted {
    fn parse(text: &str) -> Result<Self, ConfigError> {
        let trimmed = text.trim();
        let Some((scheme, rest)) = trimmed.split_once("://") else {
            return SiteOrigin::parse(text).map(Trusted::Exact);
        };
        let Some(domain) = rest.strip_prefix("*.") else {
            if rest.contains('*') {
                return Err(ConfigError::BadOrigin {
                    value: text.to_owned(),
                    reason: "a wildcard must be the whole leftmost label: scheme://*.domain",
                });
            }
            return SiteOrigin::parse(text).map(Trusted::Exact);
        };
        let bad = |reason| ConfigError::BadOrigin {
            value: text.to_owned(),
            reason,
        };
        if domain.contains('*') {
            return Err(bad("only one wildcard, as the whole leftmost label"));
        }
        // The rest must be an origin of its own: a domain name of two
        // labels or more (`*.com` would trust a whole top-level domain).
        let base = SiteOrigin::parse(&format!("{scheme}://{domain}"))?;
        let url = Url::parse(&base.serialized).map_err(|_| bad("not an absolute URL"))?;
        if !matches!(url.host(), Some(url::Host::Domain(_))) {
            return Err(bad(
                "a wildcard needs a domain name after `*.`, not an IP address",
            ));
        }
        if !base.host.contains('.') || base.host.ends_with('.') {
            return Err(bad(
                "a wildcard needs a domain of two labels or more after `*.` (`*.example.com`)",
            ));
        }
        Ok(Trusted::Wildcard {
            https: base.https,
            suffix: format!(".{}", base.host),
            port: base.port,
        })
    }

    fn matches(&self, o: &SiteOrigin) -> bool {
        match self {
            Trusted::Exact(t) => t == o,
            Trusted::Wildcard {
                https,
                suffix,
                port,
            } => {
                o.https == *https
                    && o.port == *port
                    && o.host.len() > suffix.len()
                    && o.host.ends_with(suffix.as_str())
            }
        }
    }
}

/// The request headers the policy looks at, as raw bytes (a header that is
/// not valid UTF-8 counts as malformed, never as absent).
///
/// ```
/// use xsrf_core::RequestFacts;
/// let facts = RequestFacts::new("POST").origin(b"https://shop.example");
/// assert_eq!(facts.method(), "POST");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestFacts<'a> {
    method: &'a str,
    host: Option<&'a [u8]>,
    origin: Option<&'a [u8]>,
    referer: Option<&'a [u8]>,
    sec_fetch_site: Option<&'a [u8]>,
    websocket: bool,
}

impl<'a> RequestFacts<'a> {
    /// Facts for a request with `method` (case-sensitive, as HTTP says).
    pub fn new(method: &'a str) -> Self {
        Self {
            method,
            ..Self::default()
        }
    }
    /// The `Host` header (or HTTP/2 `:authority`).
    #[must_use]
    pub fn host(mut self, v: &'a [u8]) -> Self {
        self.host = Some(v);
        self
    }
    /// The `Origin` header.
    #[must_use]
    pub fn origin(mut self, v: &'a [u8]) -> Self {
        self.origin = Some(v);
        self
    }
    /// The `Referer` header.
    #[must_use]
    pub fn referer(mut self, v: &'a [u8]) -> Self {
        self.referer = Some(v);
        self
    }
    /// The `Sec-Fetch-Site` header.
    #[must_use]
    pub fn sec_fetch_site(mut self, v: &'a [u8]) -> Self {
        self.sec_fetch_site = Some(v);
        self
    }
    /// Marks a WebSocket handshake (`GET` with `Upgrade: websocket`): it
    /// opens a channel with the user's cookies, so it gets the policy of
    /// an unsafe method although it is a `GET` (cross-site WebSocket
    /// hijacking).
    ///
    /// ```
    /// use xsrf_core::{OriginPolicy, OriginRejection, RequestFacts};
    /// let policy = OriginPolicy::new().site("https://chat.example")?;
    /// let ws = RequestFacts::new("GET").websocket();
    /// assert!(policy.check(&ws.origin(b"https://chat.example")).is_ok());
    /// assert_eq!(policy.check(&ws.origin(b"https://evil.example")), Err(OriginRejection::OriginMismatch));
    /// # Ok::<(), xsrf_core::ConfigError>(())
    /// ```
    #[must_use]
    pub fn websocket(mut self) -> Self {
        self.websocket = true;
        self
    }
    /// The method.
    pub fn method(&self) -> &'a str {
        self.method
    }
}

/// Why the policy let a request through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OriginAllowed {
    /// GET, HEAD, OPTIONS or TRACE.
    SafeMethod,
    /// `Sec-Fetch-Site: same-origin` or `none`.
    FetchMetadata,
    /// `Origin` or `Referer` equals a site origin.
    SameOrigin,
    /// `Origin` or `Referer` equals a trusted origin.
    Trusted,
    /// No `Origin`, `Referer` or fetch metadata on a plain-HTTP site: a
    /// non-browser client.
    NoBrowserHeaders,
}

/// The configured origins, and the check: safe methods pass; then
/// `Sec-Fetch-Site` (`same-origin`, `none`), then `Origin`, then `Referer`
/// must say the request comes from a site or trusted origin; with none of
/// them, a plain-HTTP site lets it on to the token check and an HTTPS site
/// refuses it.
///
/// ```
/// use xsrf_core::{OriginAllowed, OriginPolicy, OriginRejection, RequestFacts};
///
/// let policy = OriginPolicy::new()
///     .site("https://shop.example")?
///     .trust("https://pay.example")?;
/// let post = RequestFacts::new("POST");
/// assert_eq!(policy.check(&post.origin(b"https://shop.example")), Ok(OriginAllowed::SameOrigin));
/// assert_eq!(policy.check(&post.origin(b"https://pay.example")), Ok(OriginAllowed::Trusted));
/// assert_eq!(policy.check(&post.origin(b"http://shop.example")), Err(OriginRejection::OriginMismatch));
/// assert_eq!(policy.check(&post.sec_fetch_site(b"cross-site")), Err(OriginRejection::CrossSite));
/// assert_eq!(policy.check(&post), Err(OriginRejection::MissingReferer));
/// # Ok::<(), xsrf_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct OriginPolicy {
    site: Vec<SiteOrigin>,
    trusted: Vec<Trusted>,
}

/// Whether `method` is safe in RFC 9110's sense (`GET`, `HEAD`, `OPTIONS`,
/// `TRACE`): it must not change state, so neither the origin check nor the
/// token check applies to it. The one list of safe methods; the actix
/// middleware asks this function too.
///
/// ```
/// assert!(xsrf_core::is_safe_method("GET"));
/// assert!(!xsrf_core::is_safe_method("POST"));
/// // Method names are case-sensitive (RFC 9110 §9.1).
/// assert!(!xsrf_core::is_safe_method("get"));
/// ```
pub fn is_safe_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

impl OriginPolicy {
    /// A policy with no origins configured (compares with `Host`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an origin the site itself is served from.
    pub fn site(mut self, origin: &str) -> Result<Self, ConfigError> {
        self.site.push(SiteOrigin::parse(origin)?);
        Ok(self)
    }

    /// Adds another origin allowed to send unsafe requests (e.g. a sibling
    /// subdomain hosting a form that posts here).
    ///
    /// Spelled as for [`SiteOrigin::parse`], or as a wildcard over
    /// subdomains, `scheme://*.domain[:port]` (Django's
    /// `CSRF_TRUSTED_ORIGINS` form): `https://*.example.com` trusts
    /// `https://a.example.com` and `https://a.b.example.com`, never
    /// `https://example.com` itself, `https://evil-example.com`,
    /// `https://example.com.evil`, `http://a.example.com` or another port.
    /// The `*` must be the whole leftmost label, followed by a domain name
    /// of two labels or more; anything else is a [`ConfigError`].
    ///
    /// ```
    /// use xsrf_core::{OriginAllowed, OriginPolicy, OriginRejection, RequestFacts};
    ///
    /// let policy = OriginPolicy::new()
    ///     .site("https://api.example.com")?
    ///     .trust("https://*.example.com")?;
    /// let from = |o: &'static str| policy.check(&RequestFacts::new("POST").origin(o.as_bytes()));
    /// assert_eq!(from("https://app.example.com"), Ok(OriginAllowed::Trusted));
    /// assert_eq!(from("https://a.b.example.com"), Ok(OriginAllowed::Trusted));
    /// assert_eq!(from("https://evil-example.com"), Err(OriginRejection::OriginMismatch));
    /// assert_eq!(from("http://app.example.com"), Err(OriginRejection::OriginMismatch));
    /// assert!(OriginPolicy::new().trust("https://*.com").is_err());
    /// # Ok::<(), xsrf_core::ConfigError>(())
    /// ```
    pub fn trust(mut self, origin: &str) -> Result<Self, ConfigError> {
        self.trusted.push(Trusted::parse(origin)?);
        Ok(self)
    }

    fn is_trusted(&self, o: &SiteOrigin) -> bool {
        self.trusted.iter().any(|t| t.matches(o))
    }

    /// The configured site origins.
    pub fn site_origins(&self) -> &[SiteOrigin] {
        &self.site
    }

    /// Whether the site is HTTPS (any configured site origin is), which
    /// makes `Referer` mandatory when `Origin` is absent and marks cookies
    /// `Secure`.
    pub fn is_https(&self) -> bool {
        self.site.iter().any(SiteOrigin::is_https)
    }

    /// Applies the policy.
    pub fn check(&self, req: &RequestFacts<'_>) -> Result<OriginAllowed, OriginRejection> {
        if !req.websocket && is_safe_method(req.method) {
            return Ok(OriginAllowed::SafeMethod);
        }
        if let Some(site) = req.sec_fetch_site {
            let site = site.trim_ascii();
            let is = |value: &str| site.eq_ignore_ascii_case(value.as_bytes());
            if is("same-origin") || is("none") {
                return Ok(OriginAllowed::FetchMetadata);
            }
            let cross_site = is("cross-site");
            if cross_site || is("same-site") {
                return match req.origin.map(parse_origin) {
                    Some(Ok(Some(o))) if self.is_trusted(&o) => Ok(OriginAllowed::Trusted),
                    _ if cross_site => Err(OriginRejection::CrossSite),
                    _ => Err(OriginRejection::SameSite),
                };
            }
            // An unknown value: decide on Origin / Referer below.
        }
        if let Some(origin) = req.origin {
            if let Some(allowed) = self.configured(origin) {
                return Ok(allowed);
            }
            return match parse_origin(origin) {
                Err(()) => Err(OriginRejection::MalformedOrigin),
                Ok(None) => Err(OriginRejection::NullOrigin),
                Ok(Some(o)) => self.judge(&o, req.host, OriginRejection::OriginMismatch),
            };
        }
        if let Some(referer) = req.referer {
            let o = parse_referer(referer).ok_or(OriginRejection::MalformedReferer)?;
            return self.judge(&o, req.host, OriginRejection::RefererMismatch);
        }
        if self.is_https() {
            return Err(OriginRejection::MissingReferer);
        }
        Ok(OriginAllowed::NoBrowserHeaders)
    }

    /// An `Origin` header that is, up to case, the serialization of a
    /// configured origin. Such a header parses to exactly that origin, so
    /// this only skips the parse; anything else goes through
    /// [`parse_origin`] and [`Self::judge`] for the precise verdict.
    fn configured(&self, origin: &[u8]) -> Option<OriginAllowed> {
        let text = origin.trim_ascii();
        let matches = |o: &SiteOrigin| o.serialized.as_bytes().eq_ignore_ascii_case(text);
        let exact = |t: &Trusted| matches!(t, Trusted::Exact(o) if matches(o));
        if self.trusted.iter().any(exact) {
            Some(OriginAllowed::Trusted)
        } else if self.site.iter().any(matches) {
            Some(OriginAllowed::SameOrigin)
        } else {
            None
        }
    }

    fn judge(
        &self,
        o: &SiteOrigin,
        host: Option<&[u8]>,
        mismatch: OriginRejection,
    ) -> Result<OriginAllowed, OriginRejection> {
        if self.is_trusted(o) {
            return Ok(OriginAllowed::Trusted);
        }
        let same = if self.site.is_empty() {
            host.and_then(|h| std::str::from_utf8(h).ok())
                .is_some_and(|h| o.authority_matches(h.trim()))
        } else {
            self.site.contains(o)
        };
        if same {
            Ok(OriginAllowed::SameOrigin)
        } else {
            Err(mismatch)
        }
    }
}

/// `Ok(None)` for `null`; `Err` for anything that is not exactly a
/// serialized origin (no path, no credentials, no default port spelled out).
fn parse_origin(v: &[u8]) -> Result<Option<SiteOrigin>, ()> {
    let text = std::str::from_utf8(v).map_err(|_| ())?.trim();
    if text.eq_ignore_ascii_case("null") {
        return Ok(None);
    }
    let url = Url::parse(text).map_err(|_| ())?;
    // Browsers send the ASCII serialization; anything else (userinfo, a
    // path, `https://a:443`) is a hand-made header and is refused.
    if !url
        .origin()
        .ascii_serialization()
        .eq_ignore_ascii_case(text)
    {
        return Err(());
    }
    SiteOrigin::from_url(&url).map(Some).ok_or(())
}

fn parse_referer(v: &[u8]) -> Option<SiteOrigin> {
    let url = Url::parse(std::str::from_utf8(v).ok()?.trim()).ok()?;
    if !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    SiteOrigin::from_url(&url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use OriginRejection as R;

    fn https_site() -> OriginPolicy {
        OriginPolicy::new()
            .site("https://victim.example")
            .and_then(|p| p.trust("https://a.example"))
            .expect("policy")
    }

    fn http_site() -> OriginPolicy {
        OriginPolicy::new()
            .site("http://127.0.0.1:8080")
            .expect("policy")
    }

    fn post() -> RequestFacts<'static> {
        RequestFacts::new("POST")
    }

    #[test]
    fn o1_cross_site_fetch_metadata_is_refused_on_every_unsafe_method() {
        for m in ["POST", "PUT", "PATCH", "DELETE"] {
            let r = RequestFacts::new(m).sec_fetch_site(b"cross-site");
            assert_eq!(https_site().check(&r), Err(R::CrossSite), "{m}");
        }
        let forged_origin = post()
            .sec_fetch_site(b"cross-site")
            .origin(b"https://victim.example");
        assert_eq!(https_site().check(&forged_origin), Err(R::CrossSite));
    }

    #[test]
    fn o2_same_site_is_refused_unless_trusted() {
        let sibling = post()
            .sec_fetch_site(b"same-site")
            .origin(b"https://sub.victim.example");
        assert_eq!(https_site().check(&sibling), Err(R::SameSite));
        let port = post()
            .sec_fetch_site(b"same-site")
            .origin(b"https://victim.example:444");
        assert_eq!(https_site().check(&port), Err(R::SameSite));
        let trusted = post()
            .sec_fetch_site(b"same-site")
            .origin(b"https://a.example");
        assert_eq!(https_site().check(&trusted), Ok(OriginAllowed::Trusted));
    }

    #[test]
    fn o3_same_origin_and_none_pass() {
        for v in [&b"same-origin"[..], b"none"] {
            assert_eq!(
                https_site().check(&post().sec_fetch_site(v)),
                Ok(OriginAllowed::FetchMetadata)
            );
        }
    }

    #[test]
    fn o4_other_host_and_null_origin_are_refused() {
        let p = https_site();
        assert_eq!(
            p.check(&post().origin(b"https://evil.example")),
            Err(R::OriginMismatch)
        );
        assert_eq!(p.check(&post().origin(b"null")), Err(R::NullOrigin));
        assert_eq!(
            p.check(&post().origin(b"https://victim.example")),
            Ok(OriginAllowed::SameOrigin)
        );
    }

    #[test]
    fn o5_other_scheme_or_port_is_refused() {
        let p = https_site();
        assert_eq!(
            p.check(&post().origin(b"http://victim.example")),
            Err(R::OriginMismatch)
        );
        assert_eq!(
            p.check(&post().origin(b"https://victim.example:8443")),
            Err(R::OriginMismatch)
        );
        assert_eq!(
            http_site().check(&post().origin(b"http://127.0.0.1:8081")),
            Err(R::OriginMismatch)
        );
        assert_eq!(
            http_site().check(&post().origin(b"http://localhost:8080")),
            Err(R::OriginMismatch)
        );
    }

    #[test]
    fn o6_unparsable_origins_and_userinfo_tricks_are_refused() {
        let p = https_site();
        for bad in [
            &b"https://evil@victim.example"[..],
            b"https://victim.example@evil.example",
            b"https://victim.example/",
            b"https://victim.example:443",
            b"victim.example",
            b"https://",
            b"javascript:alert(1)",
            b"https://victim.example.",
            b"\xff\xfe",
            b"",
        ] {
            let got = p.check(&post().origin(bad));
            assert!(
                matches!(got, Err(R::MalformedOrigin) | Err(R::OriginMismatch)),
                "{:?} -> {got:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let referer = post().referer(b"https://evil.example@victim.example/form");
        assert_eq!(p.check(&referer), Err(R::MalformedReferer));
    }

    #[test]
    fn o7_https_site_without_origin_or_referer_is_refused() {
        assert_eq!(https_site().check(&post()), Err(R::MissingReferer));
        // A plain-HTTP site lets header-less (non-browser) clients through
        // to the token check.
        assert_eq!(
            http_site().check(&post()),
            Ok(OriginAllowed::NoBrowserHeaders)
        );
    }

    #[test]
    fn o8_foreign_or_unparsable_referer_is_refused() {
        let p = https_site();
        assert_eq!(
            p.check(&post().referer(b"https://evil.example/x")),
            Err(R::RefererMismatch)
        );
        assert_eq!(
            p.check(&post().referer(b"not a url")),
            Err(R::MalformedReferer)
        );
        assert_eq!(
            p.check(&post().referer(b"http://victim.example/")),
            Err(R::RefererMismatch)
        );
        assert_eq!(
            p.check(&post().referer(b"https://victim.example/form?x=1")),
            Ok(OriginAllowed::SameOrigin)
        );
        assert_eq!(
            http_site().check(&post().referer(b"http://evil.example/")),
            Err(R::RefererMismatch)
        );
    }

    #[test]
    fn o9_scheme_is_part_of_a_trusted_origin() {
        let p = https_site();
        assert_eq!(
            p.check(&post().origin(b"http://a.example")),
            Err(R::OriginMismatch)
        );
        let fetch = post()
            .sec_fetch_site(b"cross-site")
            .origin(b"http://a.example");
        assert_eq!(p.check(&fetch), Err(R::CrossSite));
        assert_eq!(
            p.check(&post().origin(b"https://a.example")),
            Ok(OriginAllowed::Trusted)
        );
    }

    #[test]
    fn o10_header_values_are_case_insensitive() {
        let p = https_site();
        assert_eq!(
            p.check(&post().sec_fetch_site(b"Same-Origin")),
            Ok(OriginAllowed::FetchMetadata)
        );
        assert_eq!(
            p.check(&post().sec_fetch_site(b"CROSS-SITE")),
            Err(R::CrossSite)
        );
        assert_eq!(
            p.check(&post().origin(b"HTTPS://VICTIM.EXAMPLE")),
            Ok(OriginAllowed::SameOrigin)
        );
        assert_eq!(
            p.check(&post().origin(b"HTTPS://EVIL.EXAMPLE")),
            Err(R::OriginMismatch)
        );
    }

    #[test]
    fn o11_policy_takes_no_forwarded_headers() {
        // The only inputs are method, Host, Origin, Referer and
        // Sec-Fetch-Site, so X-Forwarded-* cannot sway it; with a site
        // configured even Host is ignored.
        let p = https_site();
        let spoofed = post().host(b"evil.example").origin(b"https://evil.example");
        assert_eq!(p.check(&spoofed), Err(R::OriginMismatch));
    }

    #[test]
    fn o12_safe_methods_always_pass() {
        for m in ["GET", "HEAD", "OPTIONS", "TRACE"] {
            let r = RequestFacts::new(m)
                .sec_fetch_site(b"cross-site")
                .origin(b"null");
            assert_eq!(https_site().check(&r), Ok(OriginAllowed::SafeMethod));
        }
        // Methods are case-sensitive: "get" is not GET.
        let r = RequestFacts::new("get").sec_fetch_site(b"cross-site");
        assert_eq!(https_site().check(&r), Err(R::CrossSite));
    }

    #[test]
    fn o14_websocket_handshakes_get_the_unsafe_method_policy() {
        let ws = RequestFacts::new("GET").websocket();
        let p = https_site();
        assert_eq!(
            p.check(&ws.origin(b"https://victim.example")),
            Ok(OriginAllowed::SameOrigin)
        );
        assert_eq!(
            p.check(&ws.origin(b"https://evil.example")),
            Err(R::OriginMismatch)
        );
        assert_eq!(
            p.check(&ws.sec_fetch_site(b"cross-site")),
            Err(R::CrossSite)
        );
        assert_eq!(p.check(&ws.origin(b"null")), Err(R::NullOrigin));
        assert_eq!(p.check(&ws), Err(R::MissingReferer));
        assert_eq!(http_site().check(&ws), Ok(OriginAllowed::NoBrowserHeaders));
        assert_eq!(
            p.check(&ws.origin(b"https://a.example")),
            Ok(OriginAllowed::Trusted)
        );
    }

    #[test]
    fn without_configured_site_the_host_header_is_compared() {
        let p = OriginPolicy::new();
        let ok = post()
            .host(b"localhost:8080")
            .origin(b"http://localhost:8080");
        assert_eq!(p.check(&ok), Ok(OriginAllowed::SameOrigin));
        let other_port = post()
            .host(b"localhost:8080")
            .origin(b"http://localhost:9090");
        assert_eq!(p.check(&other_port), Err(R::OriginMismatch));
        let default_port = post().host(b"Example.com").origin(b"https://example.com");
        assert_eq!(p.check(&default_port), Ok(OriginAllowed::SameOrigin));
        let no_host = post().origin(b"http://localhost:8080");
        assert_eq!(p.check(&no_host), Err(R::OriginMismatch));
    }

    #[test]
    fn configured_origins_are_validated() {
        for bad in [
            "ftp://x.example",
            "https://u:p@x.example",
            "https://x.example/app",
            "x",
        ] {
            assert!(SiteOrigin::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            SiteOrigin::parse("HTTP://LOCALHOST:80/")
                .expect("ok")
                .to_string(),
            "http://localhost"
        );
    }

    fn wildcard_site() -> OriginPolicy {
        OriginPolicy::new()
            .site("https://api.example.com")
            .and_then(|p| p.trust("https://*.example.com"))
            .expect("policy")
    }

    #[test]
    fn o15_wildcard_trusts_subdomains_on_the_same_scheme_and_port_only() {
        let p = wildcard_site();
        for ok in [
            "https://a.example.com",
            "https://a.b.example.com",
            "https://A.Example.COM",
            "https://a.example.com:443",
        ] {
            let by_origin = post().origin(ok.as_bytes());
            // `:443` spelled out is not a browser's Origin; via Referer it is
            // the same origin.
            let facts = if ok.ends_with(":443") {
                post().referer(b"https://a.example.com:443/form")
            } else {
                by_origin
            };
            assert_eq!(p.check(&facts), Ok(OriginAllowed::Trusted), "{ok}");
            let fetch = post()
                .sec_fetch_site(b"same-site")
                .origin(b"https://a.example.com");
            assert_eq!(p.check(&fetch), Ok(OriginAllowed::Trusted));
        }
        for bad in [
            "https://example.com",
            "https://evil-example.com",
            "https://example.com.evil",
            "https://aexample.com",
            "http://a.example.com",
            "https://a.example.com:8443",
            "https://a.example.co",
            "https://.example.com",
        ] {
            let got = p.check(&post().origin(bad.as_bytes()));
            assert!(
                matches!(got, Err(R::OriginMismatch) | Err(R::MalformedOrigin)),
                "{bad} -> {got:?}"
            );
            let fetch = post().sec_fetch_site(b"cross-site").origin(bad.as_bytes());
            assert_eq!(p.check(&fetch), Err(R::CrossSite), "{bad}");
        }
        let port = OriginPolicy::new()
            .trust("https://*.example.com:8443")
            .expect("policy");
        assert_eq!(
            port.check(&post().origin(b"https://a.example.com:8443")),
            Ok(OriginAllowed::Trusted)
        );
        assert_eq!(
            port.check(&post().origin(b"https://a.example.com")),
            Err(R::OriginMismatch)
        );
    }

    #[test]
    fn o15_bad_wildcards_are_configuration_errors() {
        for bad in [
            "https://*.com",
            "https://*",
            "https://*.",
            "https://a.*.example.com",
            "https://*example.com",
            "https://**.example.com",
            "https://*.*.example.com",
            "https://*.example.com/path",
            "https://*.127.0.0.1",
            "https://*.[::1]",
            "ftp://*.example.com",
            "*.example.com",
            "https://u@*.example.com",
        ] {
            assert!(
                matches!(
                    OriginPolicy::new().trust(bad),
                    Err(ConfigError::BadOrigin { .. })
                ),
                "{bad}"
            );
        }
        assert!(OriginPolicy::new().trust("https://*.example.com/").is_ok());
    }

    /// Which spellings of a configured origin mean the same origin.
    #[test]
    fn o15_accepted_spellings_of_a_configured_origin() {
        for same in [
            "https://shop.example",
            " https://shop.example ",
            "HTTPS://SHOP.EXAMPLE",
            "https://shop.example:443",
            "https://shop.example/",
        ] {
            assert_eq!(
                SiteOrigin::parse(same).expect(same).to_string(),
                "https://shop.example",
                "{same:?}"
            );
        }
        assert_eq!(
            SiteOrigin::parse("https://bücher.example")
                .expect("idn")
                .to_string(),
            "https://xn--bcher-kva.example"
        );
        for bad in [
            "https://shop.example//",
            "https://shop.example/x",
            "https://shop.example?x",
            "https://shop.example#x",
            "https://u@shop.example",
            "shop.example",
            "https://",
            "null",
            "",
        ] {
            assert!(SiteOrigin::parse(bad).is_err(), "{bad:?}");
        }
    }

    /// The shortcut for configured origins must never change a verdict:
    /// every header gets what the full parse and comparison would give.
    #[test]
    fn configured_origin_shortcut_agrees_with_the_parse() {
        let policy = OriginPolicy::new()
            .site("https://victim.example:8443")
            .and_then(|p| p.site("http://[::1]:8080"))
            .and_then(|p| p.trust("https://a.example"))
            .expect("policy");
        let headers: [&[u8]; 12] = [
            b"https://victim.example:8443",
            b"HTTPS://VICTIM.EXAMPLE:8443",
            b" https://victim.example:8443 ",
            b"https://victim.example",
            b"https://victim.example:8443/",
            b"http://victim.example:8443",
            b"http://[::1]:8080",
            b"https://a.example",
            b"https://a.example:443",
            b"https://evil.example",
            b"null",
            b"https://user@victim.example:8443",
        ];
        for h in headers {
            let full = match parse_origin(h) {
                Err(()) => Err(R::MalformedOrigin),
                Ok(None) => Err(R::NullOrigin),
                Ok(Some(o)) => policy.judge(&o, None, R::OriginMismatch),
            };
            let facts = RequestFacts::new("POST").origin(h);
            assert_eq!(policy.check(&facts), full, "{}", String::from_utf8_lossy(h));
        }
    }
}
