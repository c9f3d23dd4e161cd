//! Parsing into [`SiteOrigin`]: configured origins (strict, with the
//! spellings [`SiteOrigin::parse`] lists), `Origin` and `Referer` header
//! values, and the comparison of an origin with a `Host` header.

use std::fmt;

use url::Url;

use crate::ConfigError;

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

    /// The ASCII serialization, as [`Display`](fmt::Display) writes it.
    pub(super) fn serialized(&self) -> &str {
        &self.serialized
    }

    pub(super) fn authority_matches(&self, host_header: &str) -> bool {
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

/// `Ok(None)` for `null`; `Err` for anything that is not exactly a
/// serialized origin (no path, no credentials, no default port spelled out).
pub(super) fn parse_origin(v: &[u8]) -> Result<Option<SiteOrigin>, ()> {
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

pub(super) fn parse_referer(v: &[u8]) -> Option<SiteOrigin> {
    let url = Url::parse(std::str::from_utf8(v).ok()?.trim()).ok()?;
    if !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    SiteOrigin::from_url(&url)
}
