//! The demo: `cargo run -p xsrf-examples --bin forms`, then open the URL it
//! logs. `BIND=host:port` changes the address, `XSRF_SECRET` (base64) sets
//! the secret, `XSRF_SITE_ORIGIN` the site origins; `XSRF_TRUSTED_ORIGINS`,
//! `XSRF_EXEMPT`, `XSRF_SEND_COOKIE`, `XSRF_STORAGE`, `XSRF_REPORT_ONLY` and
//! `RESET_LINKS_PER_MINUTE` are described in `xsrf_examples::forms`.

use actix_web::{HttpServer, cookie, web};
use xsrf_examples::{forms, support};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let (addr, builder) = support::start("127.0.0.1:8080")?;
    let builder =
        forms::configure(builder, |k| std::env::var(k).ok()).map_err(std::io::Error::other)?;
    let xsrf = builder.build().map_err(std::io::Error::other)?;
    // One limit for all workers: each counting alone would allow as many
    // reset links per address as there are workers times the limit.
    let reset_links =
        forms::reset_link_limit(|k| std::env::var(k).ok()).map_err(std::io::Error::other)?;
    xsrf.start_purge_task(xsrf_actix::time::Duration::minutes(1));
    let comments = web::Data::new(forms::Comments::default());
    let metrics = forms::install_metrics().map_err(std::io::Error::other)?;
    let session_key = cookie::Key::generate();
    let server = HttpServer::new(move || {
        forms::app_with(
            xsrf.clone(),
            comments.clone(),
            forms::cookie_sessions(&xsrf, session_key.clone()),
            reset_links.clone(),
        )
        .app_data(metrics.clone())
    })
    .bind(addr)?;
    tracing::info!("xsrf demo listening on http://{addr}/");
    server.run().await
}
