//! The logins example: `cargo run -p xsrf-examples --bin login` (port 8082
//! by default; `BIND` and `XSRF_SECRET` as for the demo). Users:
//! `alice` / `wonderland` and `mallory` / `evil`.

use actix_web::{HttpServer, cookie, web};
use xsrf_examples::{login, support};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let (addr, builder) = support::start("127.0.0.1:8082")?;
    let xsrf = login::configure(builder)
        .build()
        .map_err(std::io::Error::other)?;
    let profiles = web::Data::new(login::Profiles::default());
    let session_key = cookie::Key::generate();
    let server = HttpServer::new(move || {
        login::app(
            xsrf.clone(),
            profiles.clone(),
            support::cookie_sessions(&xsrf, session_key.clone(), login::SESSION_COOKIE),
        )
    })
    .bind(addr)?;
    tracing::info!("xsrf logins example listening on http://{addr}/");
    server.run().await
}
