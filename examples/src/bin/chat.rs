//! The WebSocket echo chat: `cargo run -p xsrf-examples --bin chat`, then
//! open the URL it logs. `BIND`, `XSRF_SECRET` and `XSRF_SITE_ORIGIN` as
//! for the `forms` demo. A page on another origin cannot open the socket.

use actix_web::{HttpServer, cookie, web};
use xsrf_actix::Xsrf;
use xsrf_examples::{chat, forms, support};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    support::init_logging();
    let addr = support::bind_addr("127.0.0.1:8080").map_err(std::io::Error::other)?;
    let mut builder = Xsrf::builder().secret(support::secret().map_err(std::io::Error::other)?);
    for origin in support::site_origins(addr) {
        builder = builder.site_origin(origin);
    }
    let xsrf = builder.build().map_err(std::io::Error::other)?;
    let accepted = web::Data::new(chat::Accepted::default());
    let session_key = cookie::Key::generate();
    let server = HttpServer::new(move || {
        chat::app(
            xsrf.clone(),
            accepted.clone(),
            forms::cookie_sessions(&xsrf, session_key.clone()),
        )
    })
    .bind(addr)?;
    tracing::info!("xsrf chat listening on http://{addr}/");
    server.run().await
}
