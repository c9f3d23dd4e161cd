//! The WebSocket echo chat: `cargo run -p xsrf-examples --bin chat`, then
//! open the URL it logs. `BIND`, `XSRF_SECRET` and `XSRF_SITE_ORIGIN` as
//! for the `forms` demo. A page on another origin cannot open the socket.

use actix_web::{HttpServer, cookie, web};
use xsrf_examples::{chat, support};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let (addr, builder) = support::start("127.0.0.1:8080")?;
    let xsrf = builder.build().map_err(std::io::Error::other)?;
    let accepted = web::Data::new(chat::Accepted::default());
    let session_key = cookie::Key::generate();
    let server = HttpServer::new(move || {
        chat::app(
            xsrf.clone(),
            accepted.clone(),
            support::cookie_sessions(&xsrf, session_key.clone(), chat::SESSION_COOKIE),
        )
    })
    .bind(addr)?;
    tracing::info!("xsrf chat listening on http://{addr}/");
    server.run().await
}
