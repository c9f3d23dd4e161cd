//! `#[send_token]` / `#[handle_token]` above or below a route macro, with
//! and without options. Documentation is not this case's subject.
#![allow(missing_docs)]

use actix_multipart::Multipart;
use actix_web::{App, HttpResponse, Responder, get, post, web};
use xsrf_actix::{handle_token, send_token};

#[derive(serde::Deserialize)]
struct Comment {
    body: String,
}

/// A documented page.
#[get("/")]
#[send_token]
async fn index() -> impl Responder {
    "index"
}

#[send_token(action = "delete")]
#[get("/delete")]
pub async fn delete_page() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[post("/comments")]
#[handle_token]
async fn comment(web::Form(form): web::Form<Comment>) -> Result<HttpResponse, actix_web::Error> {
    let _ = form.body;
    Ok(HttpResponse::Ok().finish())
}

#[handle_token(action = "delete", source = "header")]
#[post("/delete")]
async fn delete() -> impl Responder {
    HttpResponse::NoContent().finish()
}

#[handle_token(one_time)]
async fn upload(mut parts: Multipart) -> HttpResponse {
    let _ = &mut parts;
    HttpResponse::Ok().finish()
}

#[handle_token(source = "cookie")]
#[send_token]
async fn both() -> &'static str {
    "both"
}

pub fn main() {
    let _ = App::new()
        .service(index)
        .service(delete_page)
        .service(comment)
        .service(delete)
        .service(web::resource("/upload").route(web::post().to(upload)))
        .route("/both", web::post().to(both));
}
