//! Row O13: exemptions for routes that must accept foreign posts
//! (webhooks), and path tricks that must never carry a protected route's
//! request under an exemption.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::test::TestRequest;
use actix_web::{HttpRequest, HttpResponse, web};
use xsrf_actix::{ValidXsrf, Xsrf};
use xsrf_tests::fixture::{Log, builder, clock, post, start_with};

async fn webhook(name: web::Path<String>, body: String, log: web::Data<Log>) -> HttpResponse {
    log.push(format!("webhook:{name}:{body}"));
    HttpResponse::Ok().finish()
}

async fn oauth(req: HttpRequest, log: web::Data<Log>) -> HttpResponse {
    log.push(format!("oauth:{}", req.method()));
    HttpResponse::Ok().finish()
}

async fn only(id: web::Path<String>, log: web::Data<Log>) -> HttpResponse {
    log.push(format!("only:{id}"));
    HttpResponse::Ok().finish()
}

/// Exempt by rule, and still asking for a token: a misconfiguration.
async fn guarded(_: ValidXsrf, log: web::Data<Log>) -> HttpResponse {
    log.push("guarded");
    HttpResponse::Ok().finish()
}

/// Every other path: a protected route.
async fn protected(req: HttpRequest, _: ValidXsrf, log: web::Data<Log>) -> HttpResponse {
    log.push(format!("protected:{}", req.path()));
    HttpResponse::Ok().finish()
}

async fn token(req: HttpRequest) -> HttpResponse {
    match Xsrf::for_request(&req).and_then(|x| x.issue(&req, None)) {
        Ok(t) => HttpResponse::Ok().body(t.into_string()),
        Err(e) => actix_web::ResponseError::error_response(&e),
    }
}

fn xsrf() -> Xsrf {
    builder(&clock())
        .exempt("/webhooks/")
        .exempt("POST /oauth/callback")
        .exempt("/guarded/")
        .exempt_route("POST only")
        .build()
        .expect("settings")
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/token", web::get().to(token))
        .route("/webhooks/{name}", web::post().to(webhook))
        .route("/oauth/callback", web::post().to(oauth))
        .route("/oauth/callback", web::put().to(oauth))
        .service(
            web::resource("/only/{foo}")
                .name("only")
                .route(web::post().to(only)),
        )
        .route("/guarded/{x}", web::post().to(guarded))
        .default_service(web::to(protected));
}

/// What an attacker's page sends: a cross-site post with the victim's
/// cookies, no token.
fn forged(method: &str, path: &str) -> TestRequest {
    let method = actix_web::http::Method::from_bytes(method.as_bytes()).expect("method");
    TestRequest::default()
        .method(method)
        .uri(path)
        .insert_header((header::ORIGIN, "https://evil.example"))
        .insert_header(("sec-fetch-site", "cross-site"))
        .set_payload("forged")
}

#[actix_web::test]
async fn o13_real_exempt_prefix_accepts_foreign_posts() {
    let log = Log::default();
    let client = start_with(xsrf(), &log, routes).await;
    // A webhook: another origin, no token, no cookie.
    let r = client.send(forged("POST", "/webhooks/stripe")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A provider that sends no browser headers at all.
    let bare = TestRequest::post()
        .uri("/webhooks/github")
        .set_payload("ping");
    assert_eq!(client.send(bare).await.status, StatusCode::OK);
    let r = client.send(forged("POST", "/oauth/callback")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Per route, by name (Go's `/only/{foo}` case).
    let r = client.send(forged("POST", "/only/123")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        log.entries(),
        [
            "webhook:stripe:forged",
            "webhook:github:ping",
            "oauth:POST",
            "only:123"
        ]
    );
}

#[actix_web::test]
async fn o13_path_tricks_land_on_protected_routes_and_are_refused() {
    let log = Log::default();
    let client = start_with(xsrf(), &log, routes).await;
    let tricks = [
        "/webhooks/../admin",
        "/webhooks/./x",
        "//webhooks/x",
        "/webhooks//x",
        "/webhooks%2F..",
        "/webhooks%2f../admin",
        "/%77ebhooks/x",
        "/webhooks/%2e%2e/admin",
        "/webhooks/%73tripe",
        "/WEBHOOKS/x",
        "/Webhooks/x",
        "/webhooks;x",
        "/webhooks;/x",
        "/webhooks.",
        "/webhooks./x",
        "/x/../webhooks/",
        "/x/../webhooks/x",
        "/webhooks",
        "/oauth/callback/",
        "/oauth//callback",
        "/oauth/callback;x",
        "/%6fauth/callback",
        "/only/123/foo",
        "/only/%31",
        "/only/../only/1",
    ];
    for path in tricks {
        let r = client.send(forged("POST", path)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "POST {path}: {}", r.body);
        assert!(
            r.body.contains("cross-origin"),
            "POST {path} refused for another reason: {}",
            r.body
        );
    }
    // Method-specific: PUT is not covered by `POST /oauth/callback`.
    let r = client.send(forged("PUT", "/oauth/callback")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(log.is_empty(), "a handler ran: {:?}", log.entries());
}

#[actix_web::test]
async fn o13_protected_routes_still_work_with_a_token() {
    // The refusals above are the policy, not a broken app: the same
    // protected route accepts a same-origin post with a token.
    let log = Log::default();
    let client = start_with(xsrf(), &log, routes).await;
    let t = client.send(TestRequest::get().uri("/token")).await.body;
    let r = client
        .send(post("/admin").insert_header(("x-xsrf-token", t)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(log.entries(), ["protected:/admin"]);
}

#[actix_web::test]
async fn o13_exempt_route_whose_handler_requires_a_token_is_a_500() {
    let log = Log::default();
    let client = start_with(xsrf(), &log, routes).await;
    let t = client.send(TestRequest::get().uri("/token")).await.body;
    // Even a same-origin post with a valid token: the configuration says
    // two things at once, and the handler must not run.
    let r = client
        .send(post("/guarded/x").insert_header(("x-xsrf-token", t)))
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
    assert!(r.body.contains("exempt"), "{}", r.body);
    assert!(log.is_empty(), "{:?}", log.entries());
}

#[test]
fn o13_malformed_rules_are_build_errors() {
    for bad in ["webhooks/", "/a/../b", "post /x", "/x%2F", "/"] {
        let err = builder(&clock()).exempt(bad).build().err();
        assert!(
            matches!(
                err,
                Some(xsrf_actix::BuildError::Config(
                    xsrf_actix::ConfigError::BadExemption { .. }
                ))
            ),
            "{bad}: {err:?}"
        );
    }
}
