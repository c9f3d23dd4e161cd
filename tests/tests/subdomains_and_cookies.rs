//! Row O15 (wildcard trusted origins, cookie domain, extra token headers)
//! and row R5 (`__Host-` / `__Secure-` cookie names on https sites),
//! through real apps.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpResponse, web};
use xsrf_actix::{BuildError, Source, ValidXsrf, WithToken, Xsrf, XsrfBuilder};
use xsrf_tests::fixture::{Client, Log, clock, key_a, session_middleware};

const API: &str = "https://api.example.com";

fn base(site: &str) -> XsrfBuilder {
    Xsrf::builder()
        .secret(key_a())
        .clock(clock())
        .site_origin(site)
}

async fn comments(_: ValidXsrf, body: String, log: web::Data<Log>) -> HttpResponse {
    log.push(format!("comment:{body}"));
    HttpResponse::Created().finish()
}

macro_rules! app {
    ($xsrf:expr, $log:expr) => {
        test::init_service(
            App::new()
                .app_data(web::Data::new($log.clone()))
                .wrap($xsrf)
                .wrap(session_middleware())
                .route(
                    "/token",
                    web::get().to(|req: actix_web::HttpRequest| async move {
                        WithToken::new(&req, HttpResponse::Ok().finish())
                    }),
                )
                .route("/comments", web::post().to(comments)),
        )
        .await
    };
}

fn post_from(origin: &str, token: &str) -> TestRequest {
    TestRequest::post()
        .uri("/comments")
        .insert_header((header::ORIGIN, origin))
        .insert_header(("x-xsrf-token", token))
        .set_payload(origin.to_owned())
}

#[actix_web::test]
async fn o15_wildcard_trusted_origin_through_the_app() {
    let log = Log::default();
    let xsrf = base(API)
        .trusted_origin("https://*.example.com")
        .build()
        .expect("settings");
    let app = app!(xsrf, log);
    let client = Client::new(&app);
    let token = client
        .send(TestRequest::get().uri("/token"))
        .await
        .header("x-xsrf-token")
        .expect("token")
        .to_owned();
    let trusted = ["https://app.example.com", "https://a.b.example.com"];
    for origin in trusted {
        let r = client.send(post_from(origin, &token)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{origin}: {}", r.body);
    }
    for origin in [
        "https://example.com",
        "https://evil-example.com",
        "https://example.com.evil",
        "http://a.example.com",
        "https://a.example.com:8443",
        "https://a.example.com.",
    ] {
        let r = client.send(post_from(origin, &token)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{origin}: {}", r.body);
        // The same with fetch metadata a browser adds.
        let r = client
            .send(post_from(origin, &token).insert_header(("sec-fetch-site", "same-site")))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{origin}: {}", r.body);
    }
    let logged: Vec<String> = trusted.iter().map(|o| format!("comment:{o}")).collect();
    assert_eq!(log.entries(), logged);
}

#[test]
fn o15_invalid_wildcards_are_build_errors() {
    for bad in [
        "https://*.com",
        "https://a.*.example.com",
        "https://*example.com",
        "https://*.example.com/x",
    ] {
        let err = base(API).trusted_origin(bad).build().err();
        assert!(matches!(err, Some(BuildError::Config(_))), "{bad}: {err:?}");
    }
    for bad in ["", "https://example.com", "example.com/x", "exa mple.com"] {
        let err = base(API).cookie_domain(bad).build().err();
        assert!(
            matches!(err, Some(BuildError::BadCookieDomain(_))),
            "{bad:?}: {err:?}"
        );
    }
}

#[actix_web::test]
async fn o15_also_accepted_header_is_read_but_never_sent() {
    let log = Log::default();
    let xsrf = base(API)
        .also_accept_header("X-CSRFToken")
        .build()
        .expect("settings");
    let app = app!(xsrf, log);
    let client = Client::new(&app);
    let page = client.send(TestRequest::get().uri("/token")).await;
    assert!(
        page.header("x-csrftoken").is_none(),
        "sent in the old header"
    );
    let token = page.header("x-xsrf-token").expect("token").to_owned();
    let old = |t: &str| {
        TestRequest::post()
            .uri("/comments")
            .insert_header((header::ORIGIN, API))
            .insert_header(("X-CSRFToken", t.to_owned()))
            .set_payload("old")
    };
    assert_eq!(client.send(old(&token)).await.status, StatusCode::CREATED);
    // Both headers, the same token: fine; different tokens: a conflict.
    let both = old(&token).insert_header(("x-xsrf-token", token.clone()));
    assert_eq!(client.send(both).await.status, StatusCode::CREATED);
    let other = client
        .send(TestRequest::get().uri("/token"))
        .await
        .header("x-xsrf-token")
        .expect("token")
        .to_owned();
    let mixed = old(&token).insert_header(("x-xsrf-token", other));
    let r = client.send(mixed).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("disagree"), "{}", r.body);
    // A forged token in the old header is still a forged token.
    let r = client.send(old("forged")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(log.entries(), ["comment:old", "comment:old"]);
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
    let log = Log::default();
    let app = app!(xsrf, log);
    let client = Client::new(&app);
    let r = client.send(TestRequest::get().uri("/token")).await;
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
    let xsrf = base("https://shop.example")
        .send_cookie(true)
        .cookie_storage()
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
    let xsrf = base("https://api.example.com")
        .send_cookie(true)
        .cookie_domain(".Example.com")
        .cookie_storage()
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
    let xsrf = base("http://localhost:8080")
        .send_cookie(true)
        .cookie_storage()
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
    let xsrf = base("https://shop.example")
        .send_cookie(true)
        .cookie_name("XSRF-TOKEN")
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
        base("http://localhost:8080").cookie_name("__Host-XSRF"),
        base("http://localhost:8080").cookie_name("__secure-XSRF"),
        base("https://shop.example")
            .cookie_name("__HOST-XSRF")
            .cookie_domain("shop.example"),
        base("http://localhost:8080").storage(xsrf_actix::Storage::SignedCookie {
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
    let xsrf = base("https://shop.example")
        .send_cookie(true)
        .cookie_storage()
        .sources([Source::Header, Source::Cookie])
        .build()
        .expect("settings");
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(log.clone()))
            .wrap(xsrf)
            .route(
                "/token",
                web::get().to(|req: actix_web::HttpRequest| async move {
                    WithToken::new(&req, HttpResponse::Ok().finish())
                }),
            )
            .route("/comments", web::post().to(comments)),
    )
    .await;
    let client = Client::new(&app);
    let token = client
        .send(TestRequest::get().uri("/token"))
        .await
        .header("x-xsrf-token")
        .expect("token")
        .to_owned();
    let jar = client.cookies();
    assert!(jar.contains_key("__Host-XSRF-TOKEN") && jar.contains_key("__Host-xsrf-state"));
    let ok = client
        .send(post_from("https://shop.example", &token).set_payload("ok"))
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    // Under the bare names they are not ours.
    let bare = jar
        .iter()
        .map(|(k, v)| (k.trim_start_matches("__Host-").to_owned(), v.clone()))
        .collect();
    client.set_cookies(bare);
    let r = client
        .send(post_from("https://shop.example", &token).set_payload("bare"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(log.entries(), ["comment:ok"]);
}
