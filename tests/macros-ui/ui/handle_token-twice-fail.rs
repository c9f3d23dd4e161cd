use actix_web::HttpResponse;
use xsrf_actix::handle_token;

#[handle_token]
#[handle_token(action = "delete")]
async fn handler() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
