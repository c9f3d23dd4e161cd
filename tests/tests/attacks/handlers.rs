//! The day-one API (issue 15, "API rough edges"), each through a real app:
//! tokens for dynamic actions, `Xsrf` as an extractor, an error handler
//! that sees the request, and one-time keys of another session (cleared
//! by an admin, redeemed on the session's behalf) on the memory store and
//! on a real Redis.

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpRequest, HttpResponse, ResponseError as _, web};
use serde::Deserialize;
use xsrf_actix::store::RedisStore;
use xsrf_actix::{
    Check, CreateOptions, Deferred, OneTimeSession, Xsrf, XsrfBuilder, XsrfError, XsrfToken,
};
use xsrf_tests::fixture::{AppService, Client, Log, builder, clock, form_post, post, start_with};
use xsrf_tests::redis_server::RedisServer;

#[derive(Deserialize)]
struct Reason {
    why: String,
}

async fn token(req: HttpRequest, xsrf: Xsrf) -> Result<String, XsrfError> {
    Ok(xsrf.issue(&req, None)?.into_string())
}

/// A page per record, whose form carries a token for that record only.
async fn item(req: HttpRequest, id: web::Path<u64>) -> Result<HttpResponse, XsrfError> {
    let token = XsrfToken::for_action(&req, &format!("delete-item-{id}"))?;
    Ok(HttpResponse::Ok().body(token.hidden_input()))
}

/// The check needs the path; the form is extracted only after it.
async fn delete_item(
    req: HttpRequest,
    id: web::Path<u64>,
    rest: Deferred<(web::Form<Reason>, web::Data<Log>)>,
) -> actix_web::Result<HttpResponse> {
    Check::new()
        .action(format!("delete-item-{id}"))
        .run(&req)
        .await?;
    let (form, log) = rest.extract().await?;
    log.push(format!("deleted:{id}:{}", form.why));
    Ok(HttpResponse::NoContent().finish())
}

async fn comment(_: xsrf_actix::ValidXsrf, log: web::Data<Log>) -> HttpResponse {
    log.push("comment");
    HttpResponse::Ok().finish()
}

async fn new_key(req: HttpRequest, xsrf: Xsrf) -> Result<HttpResponse, XsrfError> {
    let key = xsrf
        .create_one_time(&req, CreateOptions::new(), "confirm")
        .await?;
    Ok(HttpResponse::Ok().body(key.into_string()))
}

async fn handle(req: HttpRequest, xsrf: Xsrf) -> Result<String, XsrfError> {
    Ok(xsrf.one_time_session(&req)?.as_str().to_owned())
}

#[derive(Deserialize)]
struct Other {
    session: String,
    key: Option<String>,
}

/// An admin ends another user's pending one-time keys.
async fn admin_clear(
    _: xsrf_actix::ValidXsrf,
    xsrf: Xsrf,
    form: web::Form<Other>,
) -> Result<String, XsrfError> {
    let n = xsrf
        .clear_one_time_keys(&OneTimeSession::from_stored(form.into_inner().session))
        .await?;
    Ok(n.to_string())
}

/// A key of the session the app knows from its own records, used from
/// another browser.
async fn redeem_for(
    _: xsrf_actix::ValidXsrf,
    xsrf: Xsrf,
    form: web::Form<Other>,
    log: web::Data<Log>,
) -> Result<HttpResponse, XsrfError> {
    let Other { session, key } = form.into_inner();
    let data: String = xsrf
        .redeem_for(
            &OneTimeSession::from_stored(session),
            &key.unwrap_or_default(),
        )
        .await?;
    log.push(format!("redeemed:{data}"));
    Ok(HttpResponse::Ok().finish())
}

/// Redeems with the request's own session.
async fn redeem_own(
    req: HttpRequest,
    xsrf: Xsrf,
    form: web::Form<Other>,
    log: web::Data<Log>,
) -> Result<HttpResponse, XsrfError> {
    let data: String = xsrf
        .redeem(&req, &form.into_inner().key.unwrap_or_default())
        .await?;
    log.push(format!("own:{data}"));
    Ok(HttpResponse::Ok().finish())
}

fn refusal(err: &XsrfError, req: &HttpRequest) -> HttpResponse {
    let wants_json = req
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    let reason = err.rejection().map_or("error", |r| r.code());
    if wants_json {
        HttpResponse::build(err.status_code())
            .json(serde_json::json!({ "error": "xsrf", "reason": reason }))
    } else {
        HttpResponse::build(err.status_code())
            .content_type("text/html")
            .body(format!("<h1>Refused</h1><p>{reason}</p>"))
    }
}

async fn app(b: XsrfBuilder, log: Log) -> Client<impl AppService> {
    let xsrf = b.build().expect("xsrf");
    start_with(xsrf, &log, |cfg| {
        cfg.route("/token", web::get().to(token))
            .route("/items/{id}", web::get().to(item))
            .route("/items/{id}/delete", web::post().to(delete_item))
            .route("/comments", web::post().to(comment))
            .route("/key", web::get().to(new_key))
            .route("/handle", web::get().to(handle))
            .route("/admin/clear", web::post().to(admin_clear))
            .route("/redeem-for", web::post().to(redeem_for))
            .route("/redeem", web::post().to(redeem_own));
    })
    .await
}

/// The token in a hidden input's value.
fn input_value(html: &str) -> String {
    let start = html.find("value=\"").expect("value") + 7;
    let end = html[start..].find('"').expect("end quote") + start;
    html[start..end].to_owned()
}

#[actix_web::test]
async fn a_token_for_one_record_is_refused_on_another() {
    let log = Log::default();
    let c = app(builder(&clock()), log.clone()).await;
    let page = c.send(TestRequest::get().uri("/items/1")).await;
    assert!(
        page.body
            .starts_with(r#"<input type="hidden" name="xsrf_token" value=""#),
        "{}",
        page.body
    );
    let t1 = input_value(&page.body);
    // Item 2 with item 1's token: refused, nothing deleted.
    let r = c
        .send(form_post(
            "/items/2/delete",
            &format!("xsrf_token={t1}&why=spam"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // A token with no action is not one for item 1 either.
    let plain = c.send(TestRequest::get().uri("/token")).await.body;
    let r = c
        .send(form_post(
            "/items/1/delete",
            &format!("xsrf_token={plain}&why=spam"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(log.is_empty(), "{:?}", log.entries());
    let r = c
        .send(form_post(
            "/items/1/delete",
            &format!("xsrf_token={t1}&why=spam"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(log.entries(), ["deleted:1:spam"]);
}

#[actix_web::test]
async fn xsrf_is_an_extractor_and_its_absence_is_a_500_naming_the_fix() {
    // Registered: handlers taking `Xsrf` work (the token route above).
    let c = app(builder(&clock()), Log::default()).await;
    let r = c.send(TestRequest::get().uri("/token")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.len(), 82, "{}", r.body);
    // Not registered: a 500 that says what to add.
    let bare = test::init_service(App::new().route("/token", web::get().to(token))).await;
    let res = test::call_service(&bare, TestRequest::get().uri("/token").to_request()).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = String::from_utf8(test::read_body(res).await.to_vec()).expect("utf-8");
    assert!(
        body.contains("no Xsrf registered") && body.contains(".wrap(xsrf.clone())"),
        "{body}"
    );
}

#[actix_web::test]
async fn error_handler_answers_json_or_html_by_the_request() {
    let log = Log::default();
    let c = app(builder(&clock()).error_handler(refusal), log.clone()).await;
    c.send(TestRequest::get().uri("/token")).await;
    // A token refusal from a handler's guard.
    let r = c
        .send(form_post("/comments", "body=x").insert_header(("accept", "application/json")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!(
        v,
        serde_json::json!({ "error": "xsrf", "reason": "missing" })
    );
    let r = c
        .send(form_post("/comments", "body=x").insert_header(("accept", "text/html,*/*;q=0.8")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(r.body, "<h1>Refused</h1><p>missing</p>");
    // The middleware's origin refusal sees the request too.
    let r = c
        .send(
            post("/comments")
                .insert_header(("sec-fetch-site", "cross-site"))
                .insert_header(("accept", "application/json")),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!(v["reason"], "origin");
    let r = c
        .send(post("/comments").insert_header(("sec-fetch-site", "cross-site")))
        .await;
    assert_eq!(r.body, "<h1>Refused</h1><p>origin</p>");
    assert!(log.is_empty(), "{:?}", log.entries());
}

/// One client, two browsers: swaps cookie jars.
async fn as_browser<S, F, R>(
    c: &Client<S>,
    jar: &mut std::collections::BTreeMap<String, String>,
    f: F,
) -> R
where
    S: AppService,
    F: AsyncFnOnce(&Client<S>) -> R,
{
    let mine = c.cookies();
    c.set_cookies(std::mem::take(jar));
    let out = f(c).await;
    *jar = c.cookies();
    c.set_cookies(mine);
    out
}

#[actix_web::test]
async fn an_admin_clears_another_sessions_one_time_keys() {
    admin_clears(builder(&clock())).await;
}

#[actix_web::test]
async fn an_admin_clears_another_sessions_one_time_keys_on_redis() {
    let server = RedisServer::start().expect("redis-server");
    let store = RedisStore::new(&server.url()).expect("redis store");
    admin_clears(builder(&clock()).one_time_store(store)).await;
}

#[actix_web::test]
async fn a_session_bound_key_is_redeemed_on_its_sessions_behalf_once() {
    redeemed_on_behalf(builder(&clock())).await;
}

#[actix_web::test]
async fn a_session_bound_key_is_redeemed_on_its_sessions_behalf_once_on_redis() {
    let server = RedisServer::start().expect("redis-server");
    let store = RedisStore::new(&server.url()).expect("redis store");
    redeemed_on_behalf(builder(&clock()).one_time_store(store)).await;
}

async fn admin_clears(b: XsrfBuilder) {
    let log = Log::default();
    let c = app(b, log.clone()).await;
    // The user: two pending keys, and the handle the app keeps.
    let k1 = c.send(TestRequest::get().uri("/key")).await.body;
    let k2 = c.send(TestRequest::get().uri("/key")).await.body;
    let session = c.send(TestRequest::get().uri("/handle")).await.body;
    let mut user = c.cookies();
    // The admin, in another browser, another session.
    let mut admin = std::collections::BTreeMap::new();
    let admin_key = as_browser(&c, &mut admin, async |c| {
        let own = c.send(TestRequest::get().uri("/key")).await.body;
        let t = c.send(TestRequest::get().uri("/token")).await.body;
        let r = c
            .send(form_post(
                "/admin/clear",
                &format!("xsrf_token={t}&session={session}"),
            ))
            .await;
        assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "2"));
        own
    })
    .await;
    // The user's keys are gone; the admin's own key is not.
    as_browser(&c, &mut user, async |c| {
        for k in [&k1, &k2] {
            let r = c
                .send(form_post("/redeem", &format!("session=-&key={k}")))
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
            assert_eq!(r.header("x-xsrf-rejection"), Some("already-used"));
        }
    })
    .await;
    assert!(log.is_empty(), "{:?}", log.entries());
    as_browser(&c, &mut admin, async |c| {
        let r = c
            .send(form_post("/redeem", &format!("session=-&key={admin_key}")))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    })
    .await;
    assert_eq!(log.entries(), ["own:confirm"]);
}

async fn redeemed_on_behalf(b: XsrfBuilder) {
    let log = Log::default();
    let c = app(b, log.clone()).await;
    let key = c.send(TestRequest::get().uri("/key")).await.body;
    let session = c.send(TestRequest::get().uri("/handle")).await.body;
    // The link opened in another browser.
    let mut other = std::collections::BTreeMap::new();
    as_browser(&c, &mut other, async |c| {
        let t = c.send(TestRequest::get().uri("/token")).await.body;
        // With its own session the key is refused (and not burnt; Redis
        // looks only in the caller's session, so it says "unknown") ...
        let r = c
            .send(form_post("/redeem", &format!("session=-&key={key}")))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(
            matches!(
                r.header("x-xsrf-rejection"),
                Some("other-session" | "already-used")
            ),
            "{}",
            r.body
        );
        // ... another session's handle does not fit it ...
        let mine = c.send(TestRequest::get().uri("/handle")).await.body;
        let r = c
            .send(form_post(
                "/redeem-for",
                &format!("xsrf_token={t}&session={mine}&key={key}"),
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(log.is_empty(), "{:?}", log.entries());
        // ... and on behalf of the session it is bound to, it works once.
        let on_behalf = || {
            form_post(
                "/redeem-for",
                &format!("xsrf_token={t}&session={session}&key={key}"),
            )
        };
        let r = c.send(on_behalf()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = c.send(on_behalf()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    })
    .await;
    assert_eq!(log.entries(), ["redeemed:confirm"]);
}
