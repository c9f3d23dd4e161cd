use actix_web::HttpResponse;
use xsrf_actix::send_token;

#[send_token]
fn page() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
