use actix_web::HttpResponse;
use xsrf_actix::handle_token;

#[handle_token(action = 5)]
async fn handler() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
