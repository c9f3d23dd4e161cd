//! Handlers keep their extractors, patterns, `mut`, generics and `?`.
#![deny(warnings)]
// Documentation is not this case's subject (`doc_comment` is).
#![allow(missing_docs)]

use actix_multipart::Multipart;
use actix_web::{App, HttpRequest, HttpResponse, Responder, web};
use futures_util::StreamExt as _;
use serde::de::DeserializeOwned;
use xsrf_actix::{XsrfToken, handle_token, send_token};

#[derive(serde::Deserialize)]
struct Comment {
    body: String,
}

// A pattern argument, `?` on the handler's own error type.
#[handle_token(source = "form")]
async fn comment(
    web::Form(Comment { body }): web::Form<Comment>,
) -> Result<HttpResponse, actix_web::Error> {
    let n: usize = body
        .len()
        .to_string()
        .parse()
        .map_err(actix_web::error::ErrorBadRequest)?;
    Ok(HttpResponse::Ok().body(n.to_string()))
}

// `mut` arguments, a loop over a multipart body, a one-time key.
#[handle_token(one_time, action = "upload")]
async fn upload(mut parts: Multipart, req: HttpRequest) -> impl Responder {
    let mut fields = 0;
    while let Some(Ok(_field)) = parts.next().await {
        fields += 1;
    }
    let _ = req.path();
    HttpResponse::Ok().body(fields.to_string())
}

// Generics with bounds and a where clause.
#[handle_token(source = "cookie")]
async fn generic<T>(form: web::Form<T>) -> Result<impl Responder, actix_web::Error>
where
    T: DeserializeOwned + 'static,
{
    let _ = form.into_inner();
    Ok("generic")
}

// No return type, by its full path.
#[xsrf_actix::handle_token]
async fn unit(_token: XsrfToken) {}

// Both macros, send outermost: the refusal carries no token.
#[send_token]
#[handle_token(source = "header")]
async fn both(data: web::Data<u32>) -> String {
    data.to_string()
}

pub fn main() {
    let _ = App::new()
        .app_data(web::Data::new(1_u32))
        .service(web::resource("/comment").route(web::post().to(comment)))
        .service(web::resource("/upload").route(web::post().to(upload)))
        .service(web::resource("/generic").route(web::post().to(generic::<Comment>)))
        .route("/unit", web::post().to(unit))
        .route("/both", web::post().to(both));
}
