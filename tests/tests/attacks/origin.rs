//! Attack matrix, rows O1–O12 and O16 through a real actix-web app; O13
//! (exemptions), O14 (WebSocket handshakes), O15 (wildcard origins) and
//! O17 (exemptions by route name) in the modules below.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::test::TestRequest;
use xsrf_tests::fixture::*;

mod exempt;
mod exempt_route;
mod websocket;
mod wildcards;

#[actix_web::test]
async fn o1_cross_site_fetch_metadata_is_refused() {
    let (c, log) = start(builder(&clock())).await;
    let t = c.token().await;
    for m in ["POST", "PUT", "PATCH", "DELETE"] {
        let req = TestRequest::default()
            .method(m.parse().expect("method"))
            .uri("/comments")
            .insert_header(("x-xsrf-token", t.as_str()))
            .insert_header(("sec-fetch-site", "cross-site"))
            .insert_header((header::ORIGIN, "http://evil.example"))
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload("body=forged");
        let r = c.send(req).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{m}");
        assert_eq!(
            r.body.trim(),
            "cross-origin request refused: Sec-Fetch-Site is cross-site"
        );
    }
    assert!(log.is_empty());
}

#[actix_web::test]
async fn o2_same_site_is_refused_unless_trusted() {
    let (c, log) = start(builder(&clock()).trusted_origin("http://admin.localhost:8080")).await;
    let t = c.token().await;
    for origin in ["http://sub.localhost:8080", "http://localhost:9090"] {
        let r = c
            .send(bare_post(
                &t,
                &[("sec-fetch-site", "same-site"), ("origin", origin)],
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{origin}");
    }
    assert!(log.is_empty());
    let r = c
        .send(bare_post(
            &t,
            &[
                ("sec-fetch-site", "same-site"),
                ("origin", "http://admin.localhost:8080"),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(log.entries(), ["api:x"]);
}

#[actix_web::test]
async fn o3_same_origin_and_none_pass_the_origin_check() {
    let (c, log) = start(builder(&clock())).await;
    let t = c.token().await;
    for v in ["same-origin", "none"] {
        let r = c.send(bare_post(&t, &[("sec-fetch-site", v)])).await;
        assert_eq!(r.status, StatusCode::CREATED, "{v}");
    }
    // Passing the origin check is not enough: the token is still required.
    let r = c
        .send(bare_post("", &[("sec-fetch-site", "same-origin")]))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(log.entries(), ["api:x", "api:x"]);
}

#[actix_web::test]
async fn o4_foreign_and_null_origins_are_refused() {
    let (c, log) = start(builder(&clock())).await;
    let t = c.token().await;
    for origin in ["http://evil.example", "null"] {
        let r = c.send(bare_post(&t, &[("origin", origin)])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{origin}");
    }
    assert!(log.is_empty());
}

#[actix_web::test]
async fn o5_same_host_other_scheme_or_port_is_refused() {
    let (c, log) = start(builder(&clock())).await;
    let t = c.token().await;
    for origin in [
        "https://localhost:8080",
        "http://localhost:8081",
        "http://localhost",
    ] {
        let r = c.send(bare_post(&t, &[("origin", origin)])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{origin}");
        assert_eq!(
            r.body.trim(),
            "cross-origin request refused: Origin does not match"
        );
    }
    assert!(log.is_empty());
}

#[actix_web::test]
async fn o6_unparsable_origins_and_userinfo_tricks_are_refused() {
    let (c, log) = start(builder(&clock())).await;
    let t = c.token().await;
    for origin in [
        "http://evil@localhost:8080",
        "http://localhost:8080@evil.example",
        "localhost:8080",
        "http://localhost:8080/path",
        "http://",
    ] {
        let r = c.send(bare_post(&t, &[("origin", origin)])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{origin}");
    }
    assert!(log.is_empty());
}

#[actix_web::test]
async fn o7_https_site_without_origin_or_referer_is_refused() {
    let (c, log) = start(builder_for(HTTPS_SITE)).await;
    let t = c.token().await;
    let r = c.send(bare_post(&t, &[])).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body.trim(),
        "cross-origin request refused: Referer required on HTTPS"
    );
    assert!(log.is_empty());
    let r = c
        .send(bare_post(&t, &[("referer", "https://shop.example/cart")]))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(log.entries(), ["api:x"]);
}

#[actix_web::test]
async fn o8_foreign_or_unparsable_referer_is_refused() {
    let (c, log) = start(builder_for(HTTPS_SITE)).await;
    let t = c.token().await;
    for referer in [
        "https://evil.example/page",
        "not a url",
        "http://shop.example/cart",
        "https://user:pw@shop.example/",
    ] {
        let r = c.send(bare_post(&t, &[("referer", referer)])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{referer}");
    }
    assert!(log.is_empty());
}

#[actix_web::test]
async fn o9_trusted_origin_scheme_is_part_of_the_match() {
    let (c, log) = start(builder_for(HTTPS_SITE).trusted_origin("https://a.example")).await;
    let t = c.token().await;
    let r = c
        .send(bare_post(&t, &[("origin", "http://a.example")]))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c
        .send(bare_post(
            &t,
            &[
                ("origin", "http://a.example"),
                ("sec-fetch-site", "cross-site"),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(log.is_empty());
    let r = c
        .send(bare_post(
            &t,
            &[
                ("origin", "https://a.example"),
                ("sec-fetch-site", "cross-site"),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn o10_unusual_case_gives_the_same_result() {
    let (c, log) = start(builder(&clock())).await;
    let t = c.token().await;
    let r = c
        .send(bare_post(&t, &[("SEC-FETCH-SITE", "Cross-Site")]))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c
        .send(bare_post(&t, &[("ORIGIN", "HTTP://EVIL.EXAMPLE")]))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(log.is_empty());
    let r = c
        .send(bare_post(&t, &[("Sec-Fetch-Site", "Same-Origin")]))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = c
        .send(bare_post(&t, &[("ORIGIN", "HTTP://LOCALHOST:8080")]))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(log.entries(), ["api:x", "api:x"]);
}

#[actix_web::test]
async fn o11_spoofed_forwarded_headers_are_ignored() {
    // With no site origin configured, Origin is compared with Host; a
    // forwarded host naming the attacker must not stand in for it.
    let (c, log) = start(xsrf_actix::Xsrf::builder().secret(key_a()).clock(clock())).await;
    let t = c.token().await;
    let spoof = [
        ("host", "localhost:8080"),
        ("origin", "http://evil.example"),
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-proto", "http"),
        ("forwarded", "host=evil.example;proto=http"),
    ];
    let r = c.send(bare_post(&t, &spoof)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // With a configured https site, X-Forwarded-Proto cannot turn an http
    // Origin into a match either.
    let (c2, log2) = start(builder_for(HTTPS_SITE)).await;
    let t2 = c2.token().await;
    let r = c2
        .send(bare_post(
            &t2,
            &[
                ("origin", "http://shop.example"),
                ("x-forwarded-proto", "http"),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(log.is_empty() && log2.is_empty());
    // Control: the real origin passes.
    let r = c
        .send(bare_post(
            &t,
            &[
                ("host", "localhost:8080"),
                ("origin", "http://localhost:8080"),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn o12_safe_methods_are_never_blocked_by_the_middleware() {
    let (c, log) = start(builder_for(HTTPS_SITE)).await;
    for m in ["GET", "HEAD", "OPTIONS", "TRACE"] {
        let req = TestRequest::default()
            .method(m.parse().expect("method"))
            .uri("/comments")
            .insert_header(("sec-fetch-site", "cross-site"))
            .insert_header((header::ORIGIN, "null"));
        let r = c.send(req).await;
        assert_eq!(r.status, StatusCode::OK, "{m}");
    }
    assert!(log.is_empty());
}

#[actix_web::test]
async fn o16_wildcard_refuses_malformed_hosts() {
    let (c, log) = start(builder_for(HTTPS_SITE).trusted_origin("https://*.example.com")).await;
    let t = c.token().await;
    let long_label = format!("https://{}.example.com", "a".repeat(64));
    let not_host_names = [
        "https://a..example.com",
        "https://..example.com",
        "https://*.example.com",
        "https://-a.example.com",
        "https://a-.example.com",
        "https://a_b.example.com",
        &long_label,
    ];
    for origin in not_host_names {
        let r = c.send(bare_post(&t, &[("origin", origin)])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{origin}");
        assert_eq!(
            r.body.trim(),
            "cross-origin request refused: Origin does not match",
            "{origin}"
        );
        let cross_site = [("origin", origin), ("sec-fetch-site", "cross-site")];
        let r = c.send(bare_post(&t, &cross_site)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{origin} cross-site");
        let referer = format!("{origin}/");
        let r = c.send(bare_post(&t, &[("referer", &referer)])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{referer}");
        assert_eq!(
            r.body.trim(),
            "cross-origin request refused: Referer does not match",
            "{referer}"
        );
    }
    // The handler never ran.
    assert!(log.is_empty(), "{:?}", log.entries());
    // Control: well-formed hosts under the wildcard still pass, by Origin
    // (with fetch metadata) and by Referer.
    for origin in ["https://a.example.com", "https://a-b.c1.example.com"] {
        let cross_site = [("origin", origin), ("sec-fetch-site", "cross-site")];
        let r = c.send(bare_post(&t, &cross_site)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{origin}: {}", r.body);
        let referer = format!("{origin}/form");
        let r = c.send(bare_post(&t, &[("referer", &referer)])).await;
        assert_eq!(r.status, StatusCode::CREATED, "{referer}: {}", r.body);
    }
    assert_eq!(log.entries(), ["api:x"; 4]);
}
