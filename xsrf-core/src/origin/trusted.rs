//! Matching against trusted origins: exact ones, and wildcards over
//! subdomains (`scheme://*.domain[:port]`).
//!
//! What a wildcard's `*` stands for is one or more well-formed host-name
//! labels (RFC 1123's letters, digits and hyphens), checked here and only
//! here ([`are_host_labels`]). The URL parser takes hosts no browser sends
//! as an `Origin` (`a..example.com`, `*.example.com`, `-a.example.com`,
//! `a_b.example.com`); a security check accepts only what it documents, so
//! such a host matches no wildcard, whether it comes in `Origin` or in
//! `Referer`.

use url::Url;

use super::parse::SiteOrigin;
use crate::ConfigError;

/// A trusted origin: exact, or a wildcard over subdomains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Trusted {
    Exact(SiteOrigin),
    /// `scheme://*.domain[:port]`: a host that is one or more well-formed
    /// labels followed by `.domain` ([`are_host_labels`]), same scheme and
    /// port.
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
                    && o.host()
                        .strip_suffix(suffix.as_str())
                        .is_some_and(are_host_labels)
            }
        }
    }
}

/// The longest label DNS can carry (RFC 1035 §2.3.4): a host with a longer
/// one cannot be resolved, so no page is served from it.
const MAX_LABEL_LEN: usize = 63;

/// Whether `labels` (what a wildcard's `*` stands for, without the dot
/// before the suffix) is one or more well-formed host-name labels, joined
/// by single dots: each of 1 to [`MAX_LABEL_LEN`] ASCII letters, digits and
/// hyphens, neither starting nor ending with a hyphen (RFC 1123 §2.1).
/// Punycode labels (`xn--bcher-kva`) are such labels; an empty label, `*`,
/// `_` and any other byte are not.
///
/// The length of the whole host is not bounded here: every label a longer
/// host adds is still a well-formed label under a domain the site trusts.
fn are_host_labels(labels: &str) -> bool {
    labels.split('.').all(is_host_label)
}

fn is_host_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    let inner_hyphens_only = bytes.first() != Some(&b'-') && bytes.last() != Some(&b'-');
    (1..=MAX_LABEL_LEN).contains(&bytes.len())
        && inner_hyphens_only
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}
