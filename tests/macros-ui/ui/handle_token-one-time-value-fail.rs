use actix_web::HttpResponse;
use xsrf_actix::handle_token;

#[handle_token(one_time = true)]
async fn handler() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
