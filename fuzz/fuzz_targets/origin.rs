//! The origin / referer / fetch-metadata policy and the origin parser:
//! no panic on any header bytes, and the fixed points of the policy hold
//! (safe methods pass, a foreign origin never does, our own origin does).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use xsrf_core::{OriginPolicy, RequestFacts, SiteOrigin};

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
});
