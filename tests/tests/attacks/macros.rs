//! `#[send_token]` and `#[handle_token]` through a real actix-web app:
//! both orders with route macros, options, and the handler's own extractors.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use actix_web::{HttpResponse, Responder, get, post, web};
use futures_util::StreamExt as _;
use xsrf_actix::{handle_token, send_token};
use xsrf_tests::fixture::*;

#[derive(serde::Deserialize)]
struct Comment {
    body: String,
}

/// A page that sends a token (route macro first).
#[get("/page")]
#[send_token]
async fn page() -> HttpResponse {
    HttpResponse::Ok().body("page")
}

/// Our macro first, route macro second; an `impl Responder` return.
#[send_token(action = "delete")]
#[get("/delete-page")]
async fn delete_page() -> impl Responder {
    "confirm deletion"
}

/// A form post whose handler also takes the form.
#[post("/comment")]
#[handle_token]
async fn comment(form: web::Form<Comment>, log: web::Data<Log>) -> HttpResponse {
    log.push(format!("comment:{}", form.body));
    HttpResponse::SeeOther()
        .insert_header(("Location", "/"))
        .finish()
}

/// An action-scoped post, our macro first.
#[handle_token(action = "delete")]
#[post("/delete")]
async fn delete(log: web::Data<Log>) -> Result<HttpResponse, actix_web::Error> {
    log.push("deleted");
    Ok(HttpResponse::NoContent().finish())
}

#[handle_token(source = "header")]
async fn header_only(log: web::Data<Log>) -> HttpResponse {
    log.push("header");
    HttpResponse::Ok().finish()
}

#[handle_token]
async fn upload(mut parts: Multipart, log: web::Data<Log>) -> HttpResponse {
    let mut sizes = Vec::new();
    while let Some(Ok(mut field)) = parts.next().await {
        let mut n = 0;
        while let Some(Ok(chunk)) = field.next().await {
            n += chunk.len();
        }
        sizes.push(n);
    }
    log.push(format!("upload:{sizes:?}"));
    HttpResponse::Ok().finish()
}

/// `?` inside the body still works.
#[handle_token]
async fn parse_number(
    form: web::Form<Comment>,
    log: web::Data<Log>,
) -> Result<String, actix_web::Error> {
    let n: u32 = form
        .body
        .parse()
        .map_err(actix_web::error::ErrorBadRequest)?;
    log.push(format!("number:{n}"));
    Ok(n.to_string())
}

/// The macro-annotated handlers behind the middleware, and the log.
async fn app() -> (Client<impl AppService>, Log) {
    let log = Log::default();
    let xsrf = builder(&clock()).build().expect("xsrf");
    let client = start_with(xsrf, &log, |cfg| {
        cfg.service(page)
            .service(delete_page)
            .service(comment)
            .service(delete)
            .service(web::resource("/header-only").route(web::post().to(header_only)))
            .route("/upload", web::post().to(upload))
            .route("/number", web::post().to(parse_number));
    })
    .await;
    (client, log)
}

#[actix_web::test]
async fn send_token_puts_a_token_in_the_header() {
    let (c, _) = app().await;
    let r = c.send(TestRequest::get().uri("/page")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "page");
    assert_eq!(r.header("x-xsrf-token").map(str::len), Some(82));
    let r = c.send(TestRequest::get().uri("/delete-page")).await;
    assert_eq!(r.body, "confirm deletion");
    assert!(r.header("x-xsrf-token").is_some());
}

#[actix_web::test]
async fn handle_token_accepts_valid_and_refuses_missing_or_wrong_tokens() {
    let (c, log) = app().await;
    let t = c
        .send(TestRequest::get().uri("/page"))
        .await
        .header("x-xsrf-token")
        .expect("token")
        .to_owned();
    let r = c.send(form_post("/comment", "body=no-token")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c
        .send(form_post("/comment", "xsrf_token=wrong&body=bad"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(log.is_empty());
    let r = c
        .send(form_post("/comment", &format!("xsrf_token={t}&body=ok")))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(log.entries(), ["comment:ok"]);
}

#[actix_web::test]
async fn handle_token_action_needs_a_token_for_that_action() {
    let (c, log) = app().await;
    let plain = c
        .send(TestRequest::get().uri("/page"))
        .await
        .header("x-xsrf-token")
        .expect("token")
        .to_owned();
    let scoped = c
        .send(TestRequest::get().uri("/delete-page"))
        .await
        .header("x-xsrf-token")
        .expect("token")
        .to_owned();
    let r = c
        .send(post("/delete").insert_header(("x-xsrf-token", plain)))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(log.is_empty());
    let r = c
        .send(post("/delete").insert_header(("x-xsrf-token", scoped)))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(log.entries(), ["deleted"]);
}

#[actix_web::test]
async fn handle_token_source_and_resource_registration() {
    let (c, log) = app().await;
    let t = c.token_via("/page").await;
    let r = c
        .send(form_post("/header-only", &format!("xsrf_token={t}")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c
        .send(post("/header-only").insert_header(("x-xsrf-token", t)))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(log.entries(), ["header"]);
}

#[actix_web::test]
async fn handle_token_keeps_multipart_and_question_mark_working() {
    let (c, log) = app().await;
    let t = c.token_via("/page").await;
    let file = vec![7u8; 200 * 1024];
    let body = multipart_body("XX", &[("xsrf_token", t.as_bytes()), ("file", &file)]);
    let r = c.send(multipart_post("/upload", "XX", body)).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = c
        .send(form_post("/number", &format!("xsrf_token={t}&body=42")))
        .await;
    assert_eq!(r.body, "42");
    let r = c
        .send(form_post("/number", &format!("xsrf_token={t}&body=NaN")))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        log.entries(),
        [
            format!("upload:[82, {}]", 200 * 1024),
            "number:42".to_owned()
        ]
    );
}
