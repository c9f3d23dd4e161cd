//! Attack matrix row K10: the static session key sent where a one-time key
//! is required, through a real actix-web app. The rule (in the docs of
//! `Xsrf::reveal_static_key`): it stands in for a token and, when right,
//! for the origin check; never for a one-time key, bound to the session or
//! not, with data or without. Each refusal burns nothing: the store is not
//! even asked, and the real key still works once afterwards.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::test::TestRequest;
use actix_web::{HttpRequest, HttpResponse, web};
use time::Duration;
use xsrf_actix::{CreateOptions, Redeemed, ValidXsrf, Xsrf, XsrfError, handle_token};
use xsrf_tests::fixture::*;

/// A key bound to the session, without data: ViUR's session-bound
/// security key.
async fn bound_key(req: HttpRequest, _: ValidXsrf) -> Result<HttpResponse, XsrfError> {
    let x = Xsrf::for_request(&req)?;
    let opts = CreateOptions::new().duration(Duration::minutes(10));
    let key = x.create_one_time(&req, opts, &()).await?;
    Ok(HttpResponse::Ok().body(key.into_string()))
}

/// A key for an e-mailed link: usable from any session, without data.
async fn unbound_key(req: HttpRequest, _: ValidXsrf) -> Result<HttpResponse, XsrfError> {
    let x = Xsrf::for_request(&req)?;
    let opts = CreateOptions::new().duration(Duration::minutes(10));
    let key = x.create_one_time_unbound(&req, opts, &()).await?;
    Ok(HttpResponse::Ok().body(key.into_string()))
}

/// Meant to run once per key handed out (a confirmation link).
#[handle_token(one_time)]
async fn confirm(log: web::Data<Log>) -> HttpResponse {
    log.push("confirmed");
    HttpResponse::Ok().finish()
}

/// The macro and the key's data.
#[handle_token(one_time)]
async fn pay(invoice: Redeemed<String>, log: web::Data<Log>) -> HttpResponse {
    log.push(format!("paid:{}", *invoice));
    HttpResponse::Ok().finish()
}

/// `Xsrf::redeem` by hand.
async fn redeem(req: HttpRequest, log: web::Data<Log>) -> Result<HttpResponse, XsrfError> {
    let x = Xsrf::for_request(&req)?;
    let key = req
        .headers()
        .get("x-xsrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let data: String = x.redeem(&req, key).await?;
    log.push(format!("redeemed:{data}"));
    Ok(HttpResponse::Ok().finish())
}

fn k10_routes(cfg: &mut web::ServiceConfig) {
    routes(cfg);
    cfg.route("/bound-key", web::post().to(bound_key))
        .route("/unbound-key", web::post().to(unbound_key))
        .route("/confirm", web::post().to(confirm))
        .route("/pay", web::post().to(pay))
        .route("/redeem", web::post().to(redeem));
}

async fn app(b: xsrf_actix::XsrfBuilder) -> (Client<impl AppService>, Log, CountingStore) {
    let store = CountingStore::default();
    let log = Log::default();
    let xsrf = b.one_time_store(store.clone()).build().expect("xsrf");
    (start_with(xsrf, &log, k10_routes).await, log, store)
}

/// POSTs `path` with a fresh token (same origin, as `origin` names it) and
/// returns the answer's body.
async fn created(c: &Client<impl AppService>, origin: &str, path: &str) -> String {
    let t = c.token().await;
    let r = c
        .send(from(origin, path).insert_header(("x-xsrf-token", t)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "POST {path}: {}", r.body);
    r.body
}

/// A same-origin POST for the site at `origin`.
fn from(origin: &str, path: &str) -> TestRequest {
    TestRequest::post()
        .uri(path)
        .insert_header((header::ORIGIN, origin.to_owned()))
        .insert_header(("sec-fetch-site", "same-origin"))
}

/// Logs the client in programmatically: its session's static key.
async fn static_key(c: &Client<impl AppService>, origin: &str) -> String {
    let t = c.token().await;
    let r = c
        .send(from(origin, "/static-login").insert_header(("x-xsrf-token", t)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.header("sec-xsrf-static-key")
        .expect("static key revealed")
        .to_owned()
}

/// What a programmatic client sends: no `Origin`, no fetch metadata, the
/// marker and `key` in the static key header.
fn from_tool(path: &str, key: &str) -> TestRequest {
    TestRequest::post()
        .uri(path)
        .insert_header(("x-xsrf-token", "STATIC_SESSION_KEY"))
        .insert_header(("sec-xsrf-static-key", key.to_owned()))
}

fn with_key(path: &str, key: &str) -> TestRequest {
    post(path).insert_header(("x-xsrf-token", key.to_owned()))
}

/// `key` with its first character changed.
fn wrong(key: &str) -> String {
    let mut w = key.to_owned();
    w.replace_range(0..1, if key.starts_with('A') { "B" } else { "A" });
    w
}

/// Every one-time route refuses the marker with `already-used`, and none
/// runs.
async fn refused_everywhere(c: &Client<impl AppService>, key: &str, log: &Log) {
    for path in [
        "/confirm",
        "/one-time/burn",
        "/one-time/use",
        "/pay",
        "/redeem",
    ] {
        for _ in 0..3 {
            let r = c.send(from_tool(path, key)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "POST {path}: {}", r.body);
            assert_eq!(
                r.header("x-xsrf-rejection"),
                Some("already-used"),
                "POST {path}"
            );
        }
    }
    assert!(log.is_empty(), "a handler ran: {:?}", log.entries());
}

#[actix_web::test]
async fn k10_static_key_does_not_stand_in_for_a_session_bound_key() {
    let (c, log, store) = app(builder(&clock())).await;
    let key = static_key(&c, SITE).await;
    let bound = created(&c, SITE, "/bound-key").await;
    // The same client, its right static key, where a one-time key is
    // expected: refused every time, whatever the handler takes.
    refused_everywhere(&c, &key, &log).await;
    assert_eq!(store.calls(), ["put"], "the marker reached the store");
    // The key it was handed works, once.
    let r = c.send(with_key("/confirm", &bound)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = c.send(with_key("/confirm", &bound)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(log.entries(), ["confirmed"]);
    // The static key still stands in for a token: the rule, not a broken key.
    let r = c
        .send(from_tool("/api/comments", &key).set_json(serde_json::json!({"body": "tool"})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(log.entries(), ["confirmed", "api:tool"]);
}

#[actix_web::test]
async fn k10_static_key_does_not_stand_in_for_an_unbound_key_which_is_not_burnt() {
    let (c, log, store) = app(builder(&clock())).await;
    let key = static_key(&c, SITE).await;
    let link = created(&c, SITE, "/unbound-key").await;
    let owner = c.cookies();
    refused_everywhere(&c, &key, &log).await;
    // From a fresh session (the link opened elsewhere), a static key of
    // its own: refused too.
    c.set_cookies(Default::default());
    let other = static_key(&c, SITE).await;
    let r = c.send(from_tool("/confirm", &other)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(store.calls(), ["put"], "the marker reached the store");
    // The link still works for its owner, once.
    c.set_cookies(owner);
    let r = c.send(with_key("/confirm", &link)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = c.send(with_key("/confirm", &link)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(log.entries(), ["confirmed"]);
}

#[actix_web::test]
async fn k10_static_key_does_not_stand_in_for_a_key_with_data() {
    let (c, log, _) = app(builder(&clock())).await;
    let key = static_key(&c, SITE).await;
    // `/one-time` hands out a session-bound key carrying "payload".
    let with_data = created(&c, SITE, "/one-time").await;
    for path in ["/one-time/use", "/pay", "/redeem"] {
        let r = c.send(from_tool(path, &key)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "POST {path}: {}", r.body);
        assert_eq!(r.body.trim(), "one-time key unknown or already used");
    }
    assert!(log.is_empty(), "a handler ran: {:?}", log.entries());
    let r = c.send(with_key("/pay", &with_data)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(log.entries(), ["paid:payload"]);
}

#[actix_web::test]
async fn k10_wrong_static_key_is_refused_and_burns_nothing() {
    let (c, log, store) = app(builder(&clock())).await;
    let key = static_key(&c, SITE).await;
    let bound = created(&c, SITE, "/one-time").await;
    let bad = wrong(&key);
    // In place of a one-time key: refused like the right one.
    refused_everywhere(&c, &bad, &log).await;
    // In place of a token: the key is checked, and refused.
    let r = c
        .send(from_tool("/api/comments", &bad).set_json(serde_json::json!({"body": "x"})))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body.trim(), "static session key invalid");
    // Forged from another site with the wrong key: a wrong key proves
    // nothing, so the origin check runs and refuses first.
    let forged = |path: &str| {
        from_tool(path, &bad)
            .insert_header((header::ORIGIN, "https://evil.example"))
            .insert_header(("sec-fetch-site", "cross-site"))
    };
    for path in ["/api/comments", "/confirm", "/one-time/use"] {
        let r = c.send(forged(path)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "POST {path}");
        assert_eq!(r.header("x-xsrf-rejection"), Some("origin"), "POST {path}");
    }
    // And with a real key in the token header: still refused by origin,
    // and the key is not burnt.
    let r = c
        .send(
            TestRequest::post()
                .uri("/one-time/use")
                .insert_header(("x-xsrf-token", bound.clone()))
                .insert_header(("sec-xsrf-static-key", bad.clone()))
                .insert_header((header::ORIGIN, "https://evil.example"))
                .insert_header(("sec-fetch-site", "cross-site")),
        )
        .await;
    assert_eq!(r.header("x-xsrf-rejection"), Some("origin"), "{}", r.body);
    assert!(log.is_empty(), "a handler ran: {:?}", log.entries());
    assert_eq!(store.calls(), ["put"], "a refusal reached the store");
    let r = c.send(with_key("/one-time/use", &bound)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(log.entries(), ["one-time:payload"]);
}

#[actix_web::test]
async fn k10_right_static_key_replaces_the_origin_check_a_wrong_one_does_not() {
    // On an https site a request with neither `Origin` nor `Referer` is
    // refused: what a programmatic client sends.
    let (c, log, _) = app(builder_for(HTTPS_SITE)).await;
    let key = static_key(&c, HTTPS_SITE).await;
    let api = |k: &str| from_tool("/api/comments", k).set_json(serde_json::json!({"body": "t"}));
    let r = c.send(api(&key)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = c.send(api(&wrong(&key))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.header("x-xsrf-rejection"), Some("origin"), "{}", r.body);
    // A one-time key the tool was handed: its origin is the static key's
    // too; the key itself is still required, and used once.
    let bound = created(&c, HTTPS_SITE, "/one-time").await;
    let tool_key = |k: &str| {
        TestRequest::post()
            .uri("/one-time/use")
            .insert_header(("x-xsrf-token", bound.clone()))
            .insert_header(("sec-xsrf-static-key", k.to_owned()))
    };
    let r = c.send(tool_key(&wrong(&key))).await;
    assert_eq!(r.header("x-xsrf-rejection"), Some("origin"), "{}", r.body);
    let r = c.send(tool_key(&key)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = c.send(tool_key(&key)).await;
    assert_eq!(r.header("x-xsrf-rejection"), Some("already-used"));
    assert_eq!(log.entries(), ["api:t", "one-time:payload"]);
}
