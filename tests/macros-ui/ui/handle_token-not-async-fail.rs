use actix_web::HttpResponse;
use xsrf_actix::handle_token;

#[handle_token]
fn handler() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
