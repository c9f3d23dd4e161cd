//! Row L4: `#[handle_token]` checks before anything else. A forged request
//! never reaches the handler's extractors: none of them runs (not even
//! the synchronous part of `from_request`), a malformed body is not
//! parsed, and the answer is the XSRF refusal (403), not the body
//! extractor's 400, 413 or 415. Both orders with the route macros, and a
//! one-time key on a store that makes the check wait.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use actix_web::{FromRequest, HttpRequest, HttpResponse, Responder, post, web};
use serde::Deserialize;
use xsrf_actix::{CreateOptions, Redeemed, Xsrf, XsrfError, handle_token};
use xsrf_tests::fixture::{
    AppService, Client, CountingStore, Log, builder, clock, form_post, post, start_with,
};

/// An extractor with a side effect in `from_request` itself: it records
/// that it ran before anything is polled.
struct Recorded;

impl FromRequest for Recorded {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(log) = req.app_data::<web::Data<Log>>() {
            log.push(format!("extracted:{}", req.path()));
        }
        ready(Ok(Recorded))
    }
}

#[derive(Deserialize)]
struct Comment {
    body: String,
}

/// Route macro outermost.
#[post("/json")]
#[handle_token]
async fn json(_: Recorded, body: web::Json<Comment>, log: web::Data<Log>) -> HttpResponse {
    log.push(format!("json:{}", body.body));
    HttpResponse::Ok().finish()
}

/// `#[handle_token]` outermost, `?` on the handler's own error, a pattern.
#[handle_token(source = "form")]
#[post("/form")]
async fn form(
    web::Form(Comment { body }): web::Form<Comment>,
    _: Recorded,
    log: web::Data<Log>,
) -> Result<HttpResponse, actix_web::Error> {
    let len: usize = body
        .len()
        .to_string()
        .parse()
        .map_err(actix_web::error::ErrorBadRequest)?;
    log.push(format!("form:{len}"));
    Ok(HttpResponse::Ok().finish())
}

/// A one-time key carrying data, an opaque return type.
#[post("/pay")]
#[handle_token(one_time)]
async fn pay(
    _: Recorded,
    invoice: Redeemed<u64>,
    body: web::Json<Comment>,
    log: web::Data<Log>,
) -> impl Responder {
    log.push(format!("paid:{}:{}", *invoice, body.body));
    HttpResponse::Ok().finish()
}

async fn new_key(req: HttpRequest, xsrf: Xsrf) -> Result<HttpResponse, XsrfError> {
    let key = xsrf
        .create_one_time(&req, CreateOptions::new(), &7_u64)
        .await?;
    Ok(HttpResponse::Ok().body(key.into_string()))
}

async fn client(store: Option<CountingStore>) -> (Client<impl AppService>, Log) {
    let log = Log::default();
    let mut b = builder(&clock());
    if let Some(store) = store {
        b = b.one_time_store(store);
    }
    let xsrf = b.build().expect("xsrf");
    let client = start_with(xsrf, &log, |cfg| {
        // The handler's own limits: a body over them would be 413.
        cfg.app_data(web::FormConfig::default().limit(1024))
            .app_data(web::JsonConfig::default().limit(1024))
            .service(json)
            .service(form)
            .service(pay)
            .route("/key", web::get().to(new_key))
            .route(
                "/token",
                web::get().to(|req: HttpRequest, xsrf: Xsrf| async move {
                    xsrf.issue(&req, None).map(|t| t.into_string())
                }),
            );
    })
    .await;
    (client, log)
}

fn json_post(path: &str, body: &str) -> TestRequest {
    post(path)
        .insert_header(("content-type", "application/json"))
        .set_payload(body.to_owned())
}

#[actix_web::test]
async fn l4_forged_json_is_refused_before_any_extractor_runs() {
    let (c, log) = client(None).await;
    c.send(TestRequest::get().uri("/token")).await;
    // Well-formed, malformed, oversized and mistyped bodies: all 403.
    let oversized = format!(r#"{{"body":"{}"}}"#, "x".repeat(4096));
    for (ct, body) in [
        ("application/json", r#"{"body":"hi"}"#),
        ("application/json", r#"{"body": nope"#),
        ("application/json", oversized.as_str()),
        ("text/plain", r#"{"body":"hi"}"#),
    ] {
        let r = c
            .send(
                post("/json")
                    .insert_header(("content-type", ct))
                    .set_payload(body.to_owned()),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{ct} {body:.40}: {}",
            r.body
        );
        // The XSRF refusal (no token; or a body the token scan could not
        // read), not the JSON extractor's.
        assert!(r.header("x-xsrf-rejection").is_some(), "{}", r.body);
    }
    assert!(log.is_empty(), "{:?}", log.entries());
}

#[actix_web::test]
async fn l4_forged_form_is_refused_before_any_extractor_runs() {
    let (c, log) = client(None).await;
    c.send(TestRequest::get().uri("/token")).await;
    let oversized = format!("body={}", "x".repeat(8 * 1024));
    for body in [
        "body=hi",
        "body=%zz&&==",
        oversized.as_str(),
        "xsrf_token=forged&body=hi",
    ] {
        let r = c.send(form_post("/form", body)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{body:.40}: {}", r.body);
    }
    assert!(log.is_empty(), "{:?}", log.entries());
}

#[actix_web::test]
async fn l4_valid_requests_still_reach_every_extractor() {
    let (c, log) = client(None).await;
    let token = c.send(TestRequest::get().uri("/token")).await.body;
    let r = c
        .send(
            json_post("/json", r#"{"body":"hi"}"#).insert_header(("x-xsrf-token", token.as_str())),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = c
        .send(form_post(
            "/form",
            &format!("xsrf_token={token}&body=hello"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The handler's own extractors still judge a valid request's body.
    let r = c
        .send(
            json_post("/json", r#"{"body": nope"#).insert_header(("x-xsrf-token", token.as_str())),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(
        log.entries(),
        [
            "extracted:/json",
            "json:hi",
            "extracted:/form",
            "form:5",
            "extracted:/json"
        ]
    );
}

#[actix_web::test]
async fn l4_one_time_check_that_waits_still_runs_first() {
    for store in [None, Some(CountingStore::pending_at_first_take())] {
        let slow = store.is_some();
        let (c, log) = client(store).await;
        let key = c.send(TestRequest::get().uri("/key")).await.body;
        // Forged: a made-up key, with a malformed and with a valid body.
        for body in [r#"{"body": nope"#, r#"{"body":"hi"}"#] {
            let r = c
                .send(json_post("/pay", body).insert_header(("x-xsrf-token", "A".repeat(22))))
                .await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "slow={slow} {body}: {}",
                r.body
            );
        }
        assert!(log.is_empty(), "slow={slow}: {:?}", log.entries());
        // The real key: the handler gets its data; a replay is refused
        // before the extractors again.
        let payment =
            || json_post("/pay", r#"{"body":"hi"}"#).insert_header(("x-xsrf-token", key.as_str()));
        let r = c.send(payment()).await;
        assert_eq!(r.status, StatusCode::OK, "slow={slow}: {}", r.body);
        let r = c.send(payment()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "slow={slow}: {}", r.body);
        assert_eq!(
            log.entries(),
            ["extracted:/pay", "paid:7:hi"],
            "slow={slow}"
        );
    }
}
