//! Unit tests of the origin policy, named after the row of the attack
//! matrix they check where one applies (`o1_…` to `o16_…`); those of
//! wildcard trusted origins are in `tests/wildcards.rs`.

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

mod wildcards;

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
