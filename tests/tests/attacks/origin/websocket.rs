//! Row O14: WebSocket handshakes (`GET` + `Upgrade: websocket`) get the
//! origin policy of an unsafe method, through the chat example app. The
//! headless-Chromium side of the row is in the `browser` test binary (`websocket.rs`).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use actix_web::{cookie, web};
use xsrf_actix::{OriginChecks, SigningKey, Xsrf, XsrfBuilder};
use xsrf_examples::chat::{self, Accepted};
use xsrf_examples::forms;
use xsrf_tests::fixture::AppService;

fn builder(site: &str) -> XsrfBuilder {
    Xsrf::builder()
        .secret(SigningKey::from_bytes(&[0x33; 32]).expect("key"))
        .site_origin(site)
}

/// The chat example protected by `xsrf`, as a test service, and its count
/// of accepted sockets. (Raw service calls, not a `Client`: the body of a
/// 101 never ends.)
async fn chat(xsrf: Xsrf) -> (impl AppService, web::Data<Accepted>) {
    let accepted = web::Data::new(Accepted::default());
    let sessions = forms::cookie_sessions(&xsrf, cookie::Key::from(&[0x17; 64]));
    let svc = test::init_service(chat::app(xsrf, accepted.clone(), sessions)).await;
    (svc, accepted)
}

/// A handshake as a browser sends it, plus `extra` headers.
fn handshake(extra: &[(&str, &str)]) -> TestRequest {
    let mut req = TestRequest::get()
        .uri("/ws")
        .insert_header((header::UPGRADE, "websocket"))
        .insert_header((header::CONNECTION, "Upgrade"))
        .insert_header((header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ=="))
        .insert_header((header::SEC_WEBSOCKET_VERSION, "13"))
        .insert_header((header::COOKIE, "id=victim-session"));
    for (k, v) in extra {
        req = req.insert_header((*k, *v));
    }
    req
}

#[actix_web::test]
async fn o14_foreign_websocket_handshakes_are_refused_before_the_upgrade() {
    let (app, accepted) = chat(builder("http://127.0.0.1:8080").build().expect("settings")).await;
    let refused: &[&[(&str, &str)]] = &[
        &[("origin", "http://127.0.0.1:9999")],
        &[("origin", "http://localhost:8080")],
        &[("origin", "https://evil.example")],
        &[("origin", "null")],
        &[
            ("sec-fetch-site", "cross-site"),
            ("origin", "http://127.0.0.1:8080"),
        ],
        &[
            ("sec-fetch-site", "same-site"),
            ("origin", "http://127.0.0.1:9999"),
        ],
        &[("referer", "http://evil.example/page")],
        // Case and list forms of the Upgrade header are still a handshake.
        &[("origin", "https://evil.example"), ("upgrade", "WebSocket")],
        // A static-key header proves nothing a WebSocket client could set.
        &[
            ("origin", "https://evil.example"),
            ("sec-xsrf-static-key", "x"),
        ],
    ];
    for extra in refused {
        let res = test::call_service(&app, handshake(extra).to_request()).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{extra:?}");
    }
    assert_eq!(
        accepted.count(),
        0,
        "a refused handshake reached the socket"
    );

    // Same origin, and a non-browser client on a plain-http site: upgraded.
    for extra in [
        &[("origin", "http://127.0.0.1:8080")][..],
        &[
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://127.0.0.1:8080"),
        ],
        &[],
    ] {
        let res = test::call_service(&app, handshake(extra).to_request()).await;
        assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS, "{extra:?}");
    }
    assert_eq!(accepted.count(), 3);
}

#[actix_web::test]
async fn o14_https_site_needs_an_origin_on_handshakes_as_on_posts() {
    let (app, accepted) = chat(
        builder("https://chat.example")
            .trusted_origin("https://*.chat.example")
            .build()
            .expect("settings"),
    )
    .await;
    let res = test::call_service(&app, handshake(&[]).to_request()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(accepted.count(), 0);
    for origin in ["https://chat.example", "https://eu.chat.example"] {
        let res = test::call_service(&app, handshake(&[("origin", origin)]).to_request()).await;
        assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS, "{origin}");
    }
    assert_eq!(accepted.count(), 2);
}

#[actix_web::test]
async fn o14_plain_gets_and_the_switch_off() {
    // A plain GET of another origin is never blocked (row O12), only
    // handshakes are.
    let (app, accepted) = chat(builder("http://127.0.0.1:8080").build().expect("settings")).await;
    let page = TestRequest::get()
        .uri("/stats")
        .insert_header(("origin", "https://evil.example"))
        .insert_header(("sec-fetch-site", "cross-site"))
        .to_request();
    assert_eq!(
        test::call_service(&app, page).await.status(),
        StatusCode::OK
    );
    assert_eq!(accepted.count(), 0);

    // Turned off, a foreign handshake is upgraded: the check above is what
    // refused it.
    let (app, accepted) = chat(
        builder("http://127.0.0.1:8080")
            .origin_checks(OriginChecks::new().websocket(false))
            .build()
            .expect("settings"),
    )
    .await;
    let evil = handshake(&[("origin", "https://evil.example")]).to_request();
    let res = test::call_service(&app, evil).await;
    assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(accepted.count(), 1);

    // An exemption covers a socket route like any other.
    let (app, accepted) = chat(
        builder("http://127.0.0.1:8080")
            .exempt("GET /ws")
            .build()
            .expect("settings"),
    )
    .await;
    let evil = handshake(&[("origin", "https://evil.example")]).to_request();
    let res = test::call_service(&app, evil).await;
    assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(accepted.count(), 1);
}
