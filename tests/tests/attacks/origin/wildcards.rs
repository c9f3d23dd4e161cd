//! Row O15: wildcard trusted origins, the cookie domain, extra token
//! headers, through real apps.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::test::TestRequest;
use actix_web::{HttpRequest, HttpResponse, web};
use xsrf_actix::{BuildError, TokenCookie, Transport, ValidXsrf, WithToken};
use xsrf_tests::fixture::{Log, builder_for, start_with};

const API: &str = "https://api.example.com";

async fn comments(_: ValidXsrf, body: String, log: web::Data<Log>) -> HttpResponse {
    log.push(format!("comment:{body}"));
    HttpResponse::Created().finish()
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/token",
        web::get().to(|req: HttpRequest| async move {
            WithToken::new(&req, HttpResponse::Ok().finish())
        }),
    )
    .route("/comments", web::post().to(comments));
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
    let xsrf = builder_for(API)
        .trusted_origin("https://*.example.com")
        .build()
        .expect("settings");
    let client = start_with(xsrf, &log, routes).await;
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
        let err = builder_for(API).trusted_origin(bad).build().err();
        assert!(matches!(err, Some(BuildError::Config(_))), "{bad}: {err:?}");
    }
    for bad in ["", "https://example.com", "example.com/x", "exa mple.com"] {
        let err = builder_for(API)
            .token_cookie(TokenCookie::new().domain(bad))
            .build()
            .err();
        assert!(
            matches!(err, Some(BuildError::BadCookieDomain(_))),
            "{bad:?}: {err:?}"
        );
    }
}

#[actix_web::test]
async fn o15_also_accepted_header_is_read_but_never_sent() {
    let log = Log::default();
    let xsrf = builder_for(API)
        .transport(Transport::new().also_accept_header("X-CSRFToken"))
        .build()
        .expect("settings");
    let client = start_with(xsrf, &log, routes).await;
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
