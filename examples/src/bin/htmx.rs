//! The htmx example: `cargo run -p xsrf-examples --bin htmx` (port 8086 by
//! default; `BIND` and `XSRF_SECRET` as for the demo).

use actix_web::{HttpServer, cookie, web};
use xsrf_actix::Xsrf;
use xsrf_examples::{forms, htmx, support};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    support::init_logging();
    let addr = support::bind_addr("127.0.0.1:8086").map_err(std::io::Error::other)?;
    let mut builder = Xsrf::builder().secret(support::secret().map_err(std::io::Error::other)?);
    for origin in support::site_origins(addr) {
        builder = builder.site_origin(origin);
    }
    let xsrf = builder.build().map_err(std::io::Error::other)?;
    let comments = web::Data::new(forms::Comments::default());
    let session_key = cookie::Key::generate();
    let server = HttpServer::new(move || {
        let sessions = support::cookie_sessions(&xsrf, session_key.clone(), htmx::SESSION_COOKIE);
        htmx::app(xsrf.clone(), comments.clone(), sessions)
    })
    .bind(addr)?;
    tracing::info!("xsrf with htmx listening on http://{addr}/");
    server.run().await
}
