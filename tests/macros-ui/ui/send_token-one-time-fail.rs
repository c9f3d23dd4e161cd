use actix_web::HttpResponse;
use xsrf_actix::send_token;

#[send_token(one_time)]
async fn page() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {}
