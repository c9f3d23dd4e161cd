//! Two instances of the demo on two ports, sharing a key ring, Redis
//! sessions and the Redis one-time store:
//!
//! ```sh
//! redis-server --port 6379 &
//! cargo run -p xsrf-examples --bin multi_instance
//! ```
//!
//! `REDIS_URL` (default `redis://127.0.0.1:6379/`), `BIND_A` / `BIND_B`
//! (default `127.0.0.1:8091` / `127.0.0.1:8092`), `XSRF_SECRET` as for the
//! demo. Load a page from one port and post from the other: it works,
//! because nothing lives in either process alone. (Comments are kept per
//! process here; a real app keeps them in its database.)

use actix_web::{HttpServer, cookie, web};
use xsrf_actix::KeyRing;
use xsrf_examples::{forms, multi, support};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    support::init_logging();
    let err = std::io::Error::other;
    let redis_url =
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned());
    let a = bind("BIND_A", "127.0.0.1:8091").map_err(err)?;
    let b = bind("BIND_B", "127.0.0.1:8092").map_err(err)?;
    // One site served by both: each instance accepts the other's origin.
    let origins: Vec<String> = [a, b]
        .iter()
        .flat_map(|x| support::site_origins(*x))
        .collect();
    let ring = KeyRing::new(support::secret().map_err(err)?);
    let session_key = cookie::Key::generate();
    let comments = web::Data::new(forms::Comments::default());
    let mut servers = Vec::new();
    for addr in [a, b] {
        let xsrf = multi::xsrf(ring.clone(), &origins, &redis_url).map_err(err)?;
        let store = multi::session_store(&redis_url).await.map_err(err)?;
        let key = session_key.clone();
        let comments = comments.clone();
        // Each instance counts reset links per address on its own (one
        // limit shared by its workers); a fleet limits at its proxy.
        let reset_links = forms::reset_link_limit(|k| std::env::var(k).ok()).map_err(err)?;
        let server = HttpServer::new(move || {
            let sessions = multi::sessions(&xsrf, store.clone(), key.clone());
            forms::app_with(
                xsrf.clone(),
                comments.clone(),
                sessions,
                reset_links.clone(),
            )
        })
        .bind(addr)?
        .run();
        tracing::info!("instance listening on http://{addr}/ (Redis at {redis_url})");
        servers.push(server);
    }
    futures_util::future::try_join_all(servers)
        .await
        .map(|_| ())
}

fn bind(var: &str, default: &str) -> Result<std::net::SocketAddr, String> {
    let text = std::env::var(var).unwrap_or_else(|_| default.to_owned());
    text.parse()
        .map_err(|_| format!("{var}={text:?} is not host:port"))
}
