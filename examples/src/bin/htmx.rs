//! The htmx example: `cargo run -p xsrf-examples --bin htmx` (port 8086 by
//! default; `BIND` and `XSRF_SECRET` as for the demo). The page on htmx 4
//! is at `/`, on htmx 2 at `/htmx2`.

use actix_web::{HttpServer, cookie, web};
use xsrf_examples::{forms, htmx, support};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let (addr, builder) = support::start("127.0.0.1:8086")?;
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
