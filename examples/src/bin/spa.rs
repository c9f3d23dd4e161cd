//! The SPA example: `cargo run -p xsrf-examples --bin spa` (port 8081 by
//! default; `BIND` and `XSRF_SECRET` as for the demo).

use actix_web::{HttpServer, cookie, web};
use xsrf_actix::TokenCookie;
use xsrf_examples::{forms, spa, support};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let (addr, builder) = support::start("127.0.0.1:8081")?;
    let xsrf = builder
        .token_cookie(TokenCookie::new())
        .build()
        .map_err(std::io::Error::other)?;
    let comments = web::Data::new(forms::Comments::default());
    let session_key = cookie::Key::generate();
    let server = HttpServer::new(move || {
        spa::app(
            xsrf.clone(),
            comments.clone(),
            support::cookie_sessions(&xsrf, session_key.clone(), spa::SESSION_COOKIE),
        )
    })
    .bind(addr)?;
    tracing::info!("xsrf SPA listening on http://{addr}/");
    server.run().await
}
