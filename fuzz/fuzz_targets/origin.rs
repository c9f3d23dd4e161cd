//! The origin / referer / fetch-metadata policy and the origin parser:
//! no panic on any header bytes, and the fixed points of the policy hold
//! (safe methods pass, a foreign origin never does, our own origin does).
//! Under a wildcard trusted origin, a match implies that every label
//! before the wildcard's domain is a well-formed host-name label (row O16).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use xsrf_core::{OriginAllowed, OriginPolicy, RequestFacts, SiteOrigin};

const SITE: &str = "https://example.com";

fn policy() -> &'static OriginPolicy {
    static POLICY: OnceLock<OriginPolicy> = OnceLock::new();
    POLICY.get_or_init(|| {
        OriginPolicy::new()
            .site(SITE)
            .and_then(|p| p.trust("https://trusted.example:8443"))
            .expect("policy")
    })
}

/// A policy whose only trusted origin is a wildcard, and whose site lies
/// elsewhere: `Trusted` from it means the wildcard matched.
fn wildcard_policy() -> &'static OriginPolicy {
    static POLICY: OnceLock<OriginPolicy> = OnceLock::new();
    POLICY.get_or_init(|| {
        OriginPolicy::new()
            .site("https://example.org")
            .and_then(|p| p.trust("https://*.example.com"))
            .expect("policy")
    })
}

/// Row O16's rule, written apart from the crate's: one or more labels of
/// 1 to 63 ASCII letters, digits and hyphens, no hyphen at either end.
fn well_formed_labels(labels: &str) -> bool {
    labels.split('.').all(|label| {
        (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&present, rest)) = data.split_first() else {
        return;
    };
    let mut fields = rest.splitn(5, |&b| b == 0);
    let method = std::str::from_utf8(fields.next().unwrap_or(b"POST")).unwrap_or("POST");
    let host = fields.next().unwrap_or(b"");
    let origin = fields.next().unwrap_or(b"");
    let referer = fields.next().unwrap_or(b"");
    let fetch_site = fields.next().unwrap_or(b"");

    // The configuration-side parser takes any text without panicking.
    if let Ok(text) = std::str::from_utf8(origin) {
        if let Ok(parsed) = SiteOrigin::parse(text) {
            // Its serialization parses back to the same origin.
            assert_eq!(SiteOrigin::parse(&parsed.to_string()).ok(), Some(parsed));
        }
    }

    let mut facts = RequestFacts::new(method);
    if present & 1 != 0 {
        facts = facts.host(host);
    }
    if present & 2 != 0 {
        facts = facts.origin(origin);
    }
    if present & 4 != 0 {
        facts = facts.referer(referer);
    }
    if present & 8 != 0 {
        facts = facts.sec_fetch_site(fetch_site);
    }
    let verdict = policy().check(&facts);
    if matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE") {
        assert!(verdict.is_ok(), "safe method refused");
    }
    if present & 2 != 0
        && origin == b"https://evil.example"
        && !matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
    {
        assert!(verdict.is_err(), "foreign origin let through");
    }
    if present & 10 == 2 && origin == SITE.as_bytes() {
        assert!(verdict.is_ok(), "own origin refused");
    }

    // The header that decides a wildcard match: Origin when present (also
    // under fetch metadata), else Referer.
    if wildcard_policy().check(&facts) == Ok(OriginAllowed::Trusted) {
        let header = if present & 2 != 0 { origin } else { referer };
        let text = std::str::from_utf8(header).expect("a match is UTF-8");
        let url = url::Url::parse(text.trim()).expect("a match parses");
        let host = url
            .host_str()
            .expect("a match has a host")
            .to_ascii_lowercase();
        let labels = host
            .strip_suffix(".example.com")
            .expect("a match ends in the wildcard's domain");
        assert!(
            well_formed_labels(labels),
            "wildcard matched a malformed host: {host:?}"
        );
    }
});
