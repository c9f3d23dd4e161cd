//! Attack matrix, rows R1–R5: what our responses carry (fresh tokens,
//! cookie flags and names, `Vary`, the refusal body), through real apps.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::test::TestRequest;
use actix_web::{App, web};
use xsrf_actix::{BuildError, Source, Storage, TokenCookie, Transport, Xsrf};
use xsrf_tests::fixture::*;

/// A POST of raw bytes to the fixture's `/bytes` from `origin`.
fn post_from(origin: &str, token: &str) -> TestRequest {
    TestRequest::post()
        .uri("/bytes")
        .insert_header((header::ORIGIN, origin))
        .insert_header(("x-xsrf-token", token))
}

#[actix_web::test]
async fn r1_two_gets_give_two_different_tokens() {
    let (c, _) = start(builder(&clock())).await;
    let a = c.token().await;
    let b = c.token().await;
    assert_ne!(a, b);
    assert_eq!(a.len(), 82);
}

#[actix_web::test]
async fn r2_cookie_flags() {
    // Plain HTTP site: token cookie SameSite + Path, not Secure; session HttpOnly.
    let (c, _) = start(builder(&clock()).token_cookie(TokenCookie::new())).await;
    let r = c.send(TestRequest::get().uri("/form")).await;
    let cookies = r.set_cookies();
    let token = cookies
        .iter()
        .find(|s| s.starts_with("XSRF-TOKEN="))
        .expect("token cookie");
    assert!(
        token.contains("SameSite=Lax") && token.contains("Path=/"),
        "{token}"
    );
    assert!(!token.contains("HttpOnly"), "scripts must read it: {token}");
    assert!(!token.contains("Secure"), "{token}");
    let session = cookies
        .iter()
        .find(|s| s.starts_with("id="))
        .expect("session cookie");
    assert!(session.contains("HttpOnly"), "{session}");

    // HTTPS site: token cookie Secure; state cookie (cookie storage) HttpOnly + Secure
    // (both `__Host-` prefixed: row R5).
    let (c, _) = start(
        builder_for(HTTPS_SITE)
            .token_cookie(TokenCookie::new())
            .storage(Storage::signed_cookie()),
    )
    .await;
    let r = c.send(TestRequest::get().uri("/form")).await;
    let cookies = r.set_cookies();
    let token = cookies
        .iter()
        .find(|s| s.starts_with("__Host-XSRF-TOKEN="))
        .expect("token cookie");
    assert!(
        token.contains("Secure") && token.contains("SameSite=Lax") && token.contains("Path=/"),
        "{token}"
    );
    let state = cookies
        .iter()
        .find(|s| s.starts_with("__Host-xsrf-state="))
        .expect("state cookie");
    assert!(
        state.contains("HttpOnly") && state.contains("Secure") && state.contains("SameSite=Lax"),
        "{state}"
    );
}

#[actix_web::test]
async fn r3_responses_carry_a_fitting_vary() {
    let (c, _) = start(builder(&clock())).await;
    let r = c.send(TestRequest::get().uri("/form")).await;
    let vary: Vec<_> = r
        .headers
        .get_all(header::VARY)
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(vary.iter().any(|v| v.contains("Cookie")), "{vary:?}");
    assert_eq!(r.header("cache-control"), Some("private, no-store"));
    let r = c
        .send(bare_post("x", &[("sec-fetch-site", "cross-site")]))
        .await;
    let vary = r.header("vary").unwrap_or("");
    assert!(
        vary.contains("Origin") && vary.contains("Sec-Fetch-Site"),
        "{vary}"
    );
}

#[actix_web::test]
async fn r4_refusal_body_is_short_and_echoes_nothing_secret() {
    let (c, _) = start(builder(&clock())).await;
    let t = c.token().await;
    let session = c.cookies().get("id").cloned().expect("session");
    let mut bad = t.clone();
    bad.replace_range(40..41, if &t[40..41] == "A" { "B" } else { "A" });
    for req in [
        bare_post(&bad, &[("sec-fetch-site", "same-origin")]),
        bare_post(&t, &[("origin", "http://evil.example")]),
        form_post(&format!("/comments?xsrf_token={t}"), "body=x"),
    ] {
        let r = c.send(req).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.len() < 100, "{}", r.body);
        for secret in [&t, &bad, &session] {
            assert!(!r.body.contains(secret.as_str()), "{}", r.body);
        }
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    }
}

/// A `Set-Cookie` value split into its name and its attributes.
fn parse(set_cookie: &str) -> (String, BTreeSet<String>) {
    let mut parts = set_cookie.split(';').map(str::trim);
    let name = parts
        .next()
        .and_then(|nv| nv.split_once('='))
        .map(|(n, _)| n.to_owned())
        .expect("name=value");
    (name, parts.map(str::to_owned).collect())
}

fn set(attrs: &[&str]) -> BTreeSet<String> {
    attrs.iter().map(|a| (*a).to_owned()).collect()
}

/// The cookies of ours a first GET gets (the session cookie of
/// actix-session is not ours and is left out).
async fn our_cookies(xsrf: Xsrf) -> Vec<(String, BTreeSet<String>)> {
    let client = Client::new(service(xsrf, Log::default()).await);
    let r = client.send(TestRequest::get().uri("/form")).await;
    assert_eq!(r.status, StatusCode::OK);
    let mut cookies: Vec<_> = r
        .set_cookies()
        .iter()
        .map(|c| parse(c))
        .filter(|(n, _)| n != "id")
        .collect();
    cookies.sort();
    cookies
}

#[actix_web::test]
async fn r5_https_site_cookies_get_the_host_prefix() {
    let xsrf = builder_for(HTTPS_SITE)
        .token_cookie(TokenCookie::new())
        .storage(Storage::signed_cookie())
        .build()
        .expect("settings");
    assert_eq!(xsrf.token_cookie_name(), "__Host-XSRF-TOKEN");
    assert_eq!(xsrf.state_cookie_name(), Some("__Host-xsrf-state"));
    assert_eq!(
        our_cookies(xsrf).await,
        [
            (
                "__Host-XSRF-TOKEN".to_owned(),
                set(&["Path=/", "SameSite=Lax", "Secure"])
            ),
            (
                "__Host-xsrf-state".to_owned(),
                set(&["HttpOnly", "Path=/", "SameSite=Lax", "Secure"])
            ),
        ]
    );
}

#[actix_web::test]
async fn r5_cookie_domain_gives_the_secure_prefix_to_the_token_cookie_only() {
    let xsrf = builder_for("https://api.example.com")
        .token_cookie(TokenCookie::new().domain(".Example.com"))
        .storage(Storage::signed_cookie())
        .build()
        .expect("settings");
    assert_eq!(
        our_cookies(xsrf).await,
        [
            (
                "__Host-xsrf-state".to_owned(),
                set(&["HttpOnly", "Path=/", "SameSite=Lax", "Secure"])
            ),
            (
                "__Secure-XSRF-TOKEN".to_owned(),
                set(&["Domain=example.com", "Path=/", "SameSite=Lax", "Secure"])
            ),
        ]
    );
}

#[actix_web::test]
async fn r5_plain_http_site_keeps_the_bare_names() {
    let xsrf = builder_for("http://localhost:8080")
        .token_cookie(TokenCookie::new())
        .storage(Storage::signed_cookie())
        .build()
        .expect("settings");
    assert_eq!(
        our_cookies(xsrf).await,
        [
            ("XSRF-TOKEN".to_owned(), set(&["Path=/", "SameSite=Lax"])),
            (
                "xsrf-state".to_owned(),
                set(&["HttpOnly", "Path=/", "SameSite=Lax"])
            ),
        ]
    );
}

#[actix_web::test]
async fn r5_a_given_name_is_used_as_given_and_its_prefix_validated() {
    let xsrf = builder_for(HTTPS_SITE)
        .token_cookie(TokenCookie::new().name("XSRF-TOKEN"))
        .storage(xsrf_actix::Storage::SignedCookie {
            name: "__Host-state".to_owned(),
        })
        .build()
        .expect("settings");
    assert_eq!(
        our_cookies(xsrf).await,
        [
            (
                "XSRF-TOKEN".to_owned(),
                set(&["Path=/", "SameSite=Lax", "Secure"])
            ),
            (
                "__Host-state".to_owned(),
                set(&["HttpOnly", "Path=/", "SameSite=Lax", "Secure"])
            ),
        ]
    );
    let refused = [
        builder_for("http://localhost:8080").token_cookie(TokenCookie::new().name("__Host-XSRF")),
        builder_for("http://localhost:8080").token_cookie(TokenCookie::new().name("__secure-XSRF")),
        builder_for(HTTPS_SITE).token_cookie(
            TokenCookie::new()
                .name("__HOST-XSRF")
                .domain("shop.example"),
        ),
        builder_for("http://localhost:8080").storage(xsrf_actix::Storage::SignedCookie {
            name: "__Host-state".to_owned(),
        }),
    ];
    for b in refused {
        let err = b.build().err();
        assert!(
            matches!(err, Some(BuildError::CookiePrefix { .. })),
            "{err:?}"
        );
    }
}

#[actix_web::test]
async fn r5_prefixed_cookies_are_read_back_on_https() {
    // Cookie storage and double submit: both cookies must come back under
    // their prefixed names for a post to pass.
    let log = Log::default();
    let xsrf = builder_for(HTTPS_SITE)
        .token_cookie(TokenCookie::new())
        .storage(Storage::signed_cookie())
        .transport(Transport::new().sources([Source::Header, Source::Cookie]))
        .build()
        .expect("settings");
    // No session middleware: the state lives in its cookie.
    let client = client_of(
        App::new()
            .app_data(web::Data::new(log.clone()))
            .wrap(xsrf)
            .configure(routes),
    )
    .await;
    let token = client.token().await;
    let jar = client.cookies();
    assert!(jar.contains_key("__Host-XSRF-TOKEN") && jar.contains_key("__Host-xsrf-state"));
    let ok = client
        .send(post_from(HTTPS_SITE, &token).set_payload("ok"))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    // Under the bare names they are not ours.
    let bare = jar
        .iter()
        .map(|(k, v)| (k.trim_start_matches("__Host-").to_owned(), v.clone()))
        .collect();
    client.set_cookies(bare);
    let r = client
        .send(post_from(HTTPS_SITE, &token).set_payload("bare"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(log.entries(), ["bytes:2"]);
}

/// What a browser's navigation sends, what `fetch` sends, and an API's.
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

#[actix_web::test]
async fn r4_the_refusal_takes_the_form_accept_asks_for_and_still_echoes_nothing() {
    let (c, log) = start(builder(&clock())).await;
    let t = c.token().await;
    let session = c.cookies().get("id").cloned().expect("session");
    let mut bad = t.clone();
    bad.replace_range(40..41, if &t[40..41] == "A" { "B" } else { "A" });
    for (accept, content_type) in [
        (Some(BROWSER_ACCEPT), "text/html; charset=utf-8"),
        (Some("application/json"), "application/json"),
        (Some("*/*"), "text/plain; charset=utf-8"),
        (None, "text/plain; charset=utf-8"),
    ] {
        for (req, code) in [
            (
                form_post("/comments", &format!("body=forged&xsrf_token={bad}")),
                "bad-signature",
            ),
            (
                form_post("/comments", &format!("body=forged&xsrf_token={t}"))
                    .insert_header(("sec-fetch-site", "cross-site")),
                "origin",
            ),
            (form_post("/comments", "body=forged"), "missing"),
        ] {
            let req = match accept {
                Some(a) => req.insert_header((header::ACCEPT, a)),
                None => req,
            };
            let r = c.send(req).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{accept:?} {code}");
            assert_eq!(r.header("content-type"), Some(content_type), "{accept:?}");
            assert_eq!(r.header("x-xsrf-rejection"), Some(code));
            assert_eq!(r.header("cache-control"), Some("no-store"));
            assert!(r.header("vary").is_some_and(|v| v.contains("Accept")));
            for secret in [&t, &bad, &session] {
                assert!(!r.body.contains(secret.as_str()), "{}", r.body);
            }
            assert!(
                !r.body.contains("forged"),
                "the fields are never echoed: {}",
                r.body
            );
            match content_type {
                "text/html; charset=utf-8" => {
                    assert!(r.body.starts_with("<!doctype html>"), "{}", r.body);
                    assert!(
                        r.body.contains(&format!("<code>{code}</code>")),
                        "{}",
                        r.body
                    );
                    assert!(r.body.contains("try again"), "{}", r.body);
                }
                "application/json" => {
                    let v: serde_json::Value = serde_json::from_str(&r.body).expect("JSON");
                    assert_eq!(v["error"], code);
                    assert_eq!(v["status"], 403);
                }
                _ => assert!(
                    r.body.lines().count() == 1 && r.body.len() < 100,
                    "{}",
                    r.body
                ),
            }
        }
    }
    assert!(
        log.is_empty(),
        "a refused post reached the handler: {:?}",
        log.entries()
    );
}

#[actix_web::test]
async fn r4_a_custom_refusal_keeps_the_reason_header_vary_and_no_store() {
    fn page(err: &xsrf_actix::XsrfError, _: &actix_web::HttpRequest) -> actix_web::HttpResponse {
        use actix_web::ResponseError as _;
        actix_web::HttpResponse::build(err.status_code())
            .content_type("text/html")
            .body("<h1>Our own page</h1>")
    }
    fn own_headers(
        err: &xsrf_actix::XsrfError,
        _: &actix_web::HttpRequest,
    ) -> actix_web::HttpResponse {
        use actix_web::ResponseError as _;
        actix_web::HttpResponse::build(err.status_code())
            .insert_header((header::CACHE_CONTROL, "private, max-age=0"))
            .insert_header(("x-xsrf-rejection", "ours"))
            .body("ours")
    }
    let (c, log) = start(builder(&clock()).error_handler(page)).await;
    let r = c.send(form_post("/comments", "body=forged")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body, "<h1>Our own page</h1>");
    assert_eq!(r.header("x-xsrf-rejection"), Some("missing"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!(r.header("vary").is_some_and(|v| v.contains("Origin")));
    // Refused by the middleware's origin check, before any handler.
    let cross =
        form_post("/comments", "body=forged").insert_header(("sec-fetch-site", "cross-site"));
    let r = c.send(cross).await;
    assert_eq!(r.header("x-xsrf-rejection"), Some("origin"));
    assert_eq!(r.header("cache-control"), Some("no-store"));

    // A header the handler set itself is its own.
    let (c, own_log) = start(builder(&clock()).error_handler(own_headers)).await;
    let r = c.send(form_post("/comments", "body=forged")).await;
    assert_eq!(r.header("x-xsrf-rejection"), Some("ours"));
    assert_eq!(r.header("cache-control"), Some("private, max-age=0"));
    assert!(r.header("vary").is_some());
    assert!(
        log.is_empty() && own_log.is_empty(),
        "a refused post reached the handler"
    );
}
