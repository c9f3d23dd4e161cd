use actix_web::HttpResponse;
use xsrf_actix::{ValidXsrf, handle_token};

#[handle_token]
async fn handler(_: ValidXsrf) -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
