use actix_web::HttpResponse;
use xsrf_actix::handle_token;

struct Handlers;

impl Handlers {
    #[handle_token]
    async fn handler(&self) -> HttpResponse {
        HttpResponse::Ok().finish()
    }
}

fn main() {}
