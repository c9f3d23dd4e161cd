//! Matching against trusted origins: exact ones, and wildcards over
//! subdomains (`scheme://*.domain[:port]`).

use url::Url;

use super::parse::SiteOrigin;
use crate::ConfigError;

/// A trusted origin: exact, or a wildcard over subdomains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Trusted {
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
    pub(super) fn parse(text: &str) -> Result<Self, ConfigError> {
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
        let url = Url::parse(base.serialized()).map_err(|_| bad("not an absolute URL"))?;
        if !matches!(url.host(), Some(url::Host::Domain(_))) {
            return Err(bad(
                "a wildcard needs a domain name after `*.`, not an IP address",
            ));
        }
        if !base.host().contains('.') || base.host().ends_with('.') {
            return Err(bad(
                "a wildcard needs a domain of two labels or more after `*.` (`*.example.com`)",
            ));
        }
        Ok(Trusted::Wildcard {
            https: base.is_https(),
            suffix: format!(".{}", base.host()),
            port: base.port(),
        })
    }

    pub(super) fn matches(&self, o: &SiteOrigin) -> bool {
        match self {
            Trusted::Exact(t) => t == o,
            Trusted::Wildcard {
                https,
                suffix,
                port,
            } => {
                o.is_https() == *https
                    && o.port() == *port
                    && o.host().len() > suffix.len()
                    && o.host().ends_with(suffix.as_str())
            }
        }
    }
}
