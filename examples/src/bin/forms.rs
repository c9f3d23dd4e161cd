//! The demo: `cargo run -p xsrf-examples --bin forms`, then open the URL it
//! logs. `BIND=host:port` changes the address, `XSRF_SECRET` (base64) sets
//! the secret, `SESSION_KEY` (base64 of 64 bytes) the session key,
//! `XSRF_SITE_ORIGIN` the site origins; `XSRF_TRUSTED_ORIGINS`,
//! `XSRF_EXEMPT`, `XSRF_SEND_COOKIE`, `XSRF_STORAGE`, `XSRF_REPORT_ONLY`,
//! `XSRF_TIMEOUT_SECS` and `RESET_LINKS_PER_MINUTE` are described in
//! `xsrf_examples::forms`.

use std::process::ExitCode;

use actix_web::{HttpServer, web};
use xsrf_examples::{forms, support};

fn main() -> ExitCode {
    // A bad setting is one line naming the variable and what it expects,
    // not `main`'s `Debug` of an `io::Error`.
    match actix_web::rt::System::new().block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("forms: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> std::io::Result<()> {
    let (addr, builder) = support::start("127.0.0.1:8080")?;
    let builder =
        forms::configure(builder, |k| std::env::var(k).ok()).map_err(std::io::Error::other)?;
    let session_key = support::session_key().map_err(std::io::Error::other)?;
    let xsrf = builder.build().map_err(std::io::Error::other)?;
    // One limit for all workers: each counting alone would allow as many
    // reset links per address as there are workers times the limit.
    let reset_links =
        forms::reset_link_limit(|k| std::env::var(k).ok()).map_err(std::io::Error::other)?;
    xsrf.start_purge_task(xsrf_actix::time::Duration::minutes(1));
    let comments = web::Data::new(forms::Comments::default());
    let metrics = forms::install_metrics().map_err(std::io::Error::other)?;
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
