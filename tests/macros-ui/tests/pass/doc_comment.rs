//! Doc comments stay on the handler: `missing_docs` is denied, and every
//! public handler below is documented only by its comment. No warning comes
//! out of the expansion either.
#![deny(missing_docs, warnings)]

use actix_web::{App, HttpResponse, Responder, get, web};
use xsrf_actix::{handle_token, send_token};

/// A page that sends a token.
#[send_token]
pub async fn page() -> impl Responder {
    "page"
}

/// A protected action.
#[handle_token(action = "save")]
pub async fn save() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

/// Documented, under a route macro, which keeps the docs on its service.
#[get("/form")]
#[send_token(action = "save")]
pub async fn form() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// Builds an app of the handlers above.
pub fn main() {
    let _ = App::new()
        .route("/", web::get().to(page))
        .route("/save", web::post().to(save))
        .service(form);
}
