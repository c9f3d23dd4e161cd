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
//!    origin or a trusted origin exactly (scheme, host and port), or match
//!    a wildcard trusted origin `scheme://*.domain[:port]`: same scheme and
//!    port, and a host that is one or more well-formed labels (ASCII
//!    letters, digits and inner hyphens, 1 to 63 each, no empty label)
//!    followed by `.domain`. Any other host, `a..example.com`,
//!    `*.example.com`, `-a.example.com` or `a_b.example.com`, matches no
//!    wildcard, in this step and the next two.
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
//!
//! Laid out in the order a request meets it: [`RequestFacts`] (`facts.rs`)
//! is what the policy reads from a request; `parse.rs` turns header values
//! and configured origins into [`SiteOrigin`]s; `trusted.rs` matches an
//! origin against the trusted ones, wildcards included; this file holds
//! the policy and its check, step by step as listed above.

mod facts;
mod parse;
#[cfg(test)]
mod tests;
mod trusted;

pub use self::{facts::RequestFacts, parse::SiteOrigin};

use self::parse::{parse_origin, parse_referer};
use self::trusted::Trusted;
use crate::{ConfigError, OriginRejection};

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
    /// of two labels or more; anything else is a [`ConfigError`]. In a
    /// request, the `*` stands for one or more well-formed host-name labels
    /// (ASCII letters, digits and hyphens, neither first nor last, 1 to 63
    /// characters each): `https://a..example.com`, `https://*.example.com`,
    /// `https://-a.example.com` or `https://a_b.example.com` are refused,
    /// in `Origin` and in `Referer` alike.
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
    /// assert_eq!(from("https://a..example.com"), Err(OriginRejection::OriginMismatch));
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
        let matches = |o: &SiteOrigin| o.serialized().as_bytes().eq_ignore_ascii_case(text);
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
