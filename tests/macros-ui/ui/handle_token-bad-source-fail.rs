use actix_web::HttpResponse;
use xsrf_actix::handle_token;

#[handle_token(source = "query")]
async fn handler() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
