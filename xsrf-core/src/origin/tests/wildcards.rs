//! Wildcard trusted origins: which subdomains they trust (row O15) and
//! that what the `*` stands for is well-formed host-name labels (row O16).

use super::*;

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

/// Hosts under `.example.com` that are not host names: row O16's, and
/// more of the same kinds (an empty label, a `*` or `_`, a hyphen first or
/// last, a label longer than DNS carries). The URL parser takes each of
/// them, so only the wildcard rule stands in their way.
fn not_host_names() -> Vec<String> {
    let mut hosts: Vec<String> = [
        "a..example.com",
        "..example.com",
        "*.example.com",
        "-a.example.com",
        "a-.example.com",
        "a_b.example.com",
        "a.*.example.com",
        "*a.example.com",
        "-.example.com",
        "a.-b.example.com",
        "ok.b-.example.com",
        "_dmarc.example.com",
    ]
    .map(String::from)
    .into();
    hosts.push(format!("{}.example.com", "a".repeat(64)));
    hosts
}

#[test]
fn o16_wildcard_refuses_hosts_that_are_not_host_names() {
    let p = wildcard_site();
    for host in not_host_names() {
        let origin = format!("https://{host}");
        let o = origin.as_bytes();
        assert_eq!(
            p.check(&post().origin(o)),
            Err(R::OriginMismatch),
            "{origin}"
        );
        let cross = post().sec_fetch_site(b"cross-site").origin(o);
        assert_eq!(p.check(&cross), Err(R::CrossSite), "{origin}");
        let same = post().sec_fetch_site(b"same-site").origin(o);
        assert_eq!(p.check(&same), Err(R::SameSite), "{origin}");
        let referer = format!("{origin}/");
        assert_eq!(
            p.check(&post().referer(referer.as_bytes())),
            Err(R::RefererMismatch),
            "{referer}"
        );
    }
}

#[test]
fn o16_wildcard_still_trusts_well_formed_hosts() {
    let p = wildcard_site();
    let longest = format!("{}.example.com", "a".repeat(63));
    for host in [
        "a.example.com",
        "a-b.c1.example.com",
        "0.example.com",
        "a--b.example.com",
        "xn--bcher-kva.example.com",
        &longest,
    ] {
        let origin = format!("https://{host}");
        let o = origin.as_bytes();
        assert_eq!(
            p.check(&post().origin(o)),
            Ok(OriginAllowed::Trusted),
            "{origin}"
        );
        let cross = post().sec_fetch_site(b"cross-site").origin(o);
        assert_eq!(p.check(&cross), Ok(OriginAllowed::Trusted), "{origin}");
        let referer = format!("{origin}/form");
        assert_eq!(
            p.check(&post().referer(referer.as_bytes())),
            Ok(OriginAllowed::Trusted),
            "{referer}"
        );
    }
}

/// The oracle for the properties below, written apart from the rule it
/// checks: letters, digits and hyphens, no hyphen at either end, 1 to 63
/// characters.
fn well_formed_labels(labels: &str) -> bool {
    labels.split('.').all(|label| {
        (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    })
}

proptest::proptest! {
    /// Whatever stands before `.example.com`, a request the wildcard lets
    /// through has only well-formed labels there.
    #[test]
    fn o16_a_wildcard_match_implies_well_formed_labels(sub in "[a-z0-9_*.-]{0,24}") {
        let origin = format!("https://{sub}.example.com");
        let p = wildcard_site();
        let by_origin = p.check(&post().origin(origin.as_bytes()));
        let referer = format!("{origin}/");
        let by_referer = p.check(&post().referer(referer.as_bytes()));
        for verdict in [by_origin, by_referer] {
            if verdict.is_ok() {
                proptest::prop_assert!(well_formed_labels(&sub), "{origin}: {verdict:?}");
            }
        }
    }

    /// And the rule refuses no host name: any well-formed labels pass.
    #[test]
    fn o16_well_formed_labels_match_the_wildcard(
        labels in proptest::collection::vec("[a-w0-9]([a-w0-9-]{0,8}[a-w0-9])?", 1..4),
    ) {
        let origin = format!("https://{}.example.com", labels.join("."));
        let verdict = wildcard_site().check(&post().origin(origin.as_bytes()));
        proptest::prop_assert!(
            matches!(verdict, Ok(OriginAllowed::Trusted | OriginAllowed::SameOrigin)),
            "{origin}: {verdict:?}"
        );
    }
}
