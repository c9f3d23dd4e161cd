//! The checks `XsrfBuilder::build` runs on names, cookie prefixes and
//! domains, and the error it answers with.

use actix_web::http::header::HeaderName;
use xsrf_core::ConfigError;

pub(super) fn header_name(name: &str) -> Result<HeaderName, BuildError> {
    HeaderName::from_bytes(name.as_bytes()).map_err(|_| BuildError::BadName(name.to_owned()))
}

/// The name a cookie is sent under: the default, prefixed on https sites
/// (`__Host-`, or `__Secure-` with a domain); a given name as given, if
/// its prefix can hold (browsers drop a `__Host-` cookie that is not
/// `Secure`, has a `Domain` or another path, and a `__Secure-` one that is
/// not `Secure`).
pub(super) fn cookie_name(
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
pub(super) fn cookie_domain(domain: String) -> Result<String, BuildError> {
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
pub(super) fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Why [`XsrfBuilder::build`](crate::XsrfBuilder::build) refused the settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No secret: call `.secret(..)` (with `SigningKey::generate()?` in
    /// development).
    #[error(
        "no signing secret: call .secret(SigningKey::from_env(..)?) (or .secret(SigningKey::generate()?) for development)"
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
    /// A rule of [`XsrfBuilder::exempt_route`](crate::XsrfBuilder::exempt_route)
    /// that is not `METHOD NAME`.
    #[error("exempt_route({value:?}): {reason}")]
    BadExemptRoute {
        /// The rule given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A scan limit too small to hold a form with a token.
    #[error("scan limit of {0} bytes is too small (at least 1024)")]
    ScanLimitTooSmall(usize),
    /// A [`BodyWait`](crate::BodyWait) that could not bound a body scan
    /// (an idle limit that is zero or negative is
    /// [`ConfigError::NonPositiveDuration`], as every duration).
    #[error("body wait: {0}")]
    BodyWait(&'static str),
}
