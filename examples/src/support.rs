//! What every example binary does at start: logging, the address to bind,
//! the secret, the site origins.

use std::net::SocketAddr;

use actix_session::SessionMiddleware;
use actix_session::storage::CookieSessionStore;
use actix_web::cookie;
use xsrf_actix::{SigningKey, Xsrf, XsrfBuilder};

/// What every binary does first: logging, the address from `BIND` (else
/// `default_bind`), and a builder with the secret from `XSRF_SECRET` and
/// the site origins for that address.
pub fn start(default_bind: &str) -> std::io::Result<(SocketAddr, XsrfBuilder)> {
    init_logging();
    let addr = bind_addr(default_bind).map_err(std::io::Error::other)?;
    let mut builder = Xsrf::builder().secret(secret().map_err(std::io::Error::other)?);
    for origin in site_origins(addr) {
        builder = builder.site_origin(origin);
    }
    Ok((addr, builder))
}

/// Sets up logging (`RUST_LOG` overrides the `info` default).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// The address from `BIND` (`host:port`), else `default`.
pub fn bind_addr(default: &str) -> Result<SocketAddr, String> {
    let text = std::env::var("BIND").unwrap_or_else(|_| default.to_owned());
    text.parse()
        .map_err(|_| format!("BIND={text:?} is not host:port (e.g. 127.0.0.1:8080)"))
}

/// The secret from `XSRF_SECRET` (base64 of at least 32 bytes), else a
/// generated one with a warning: tokens then die with the process.
pub fn secret() -> Result<SigningKey, String> {
    match std::env::var("XSRF_SECRET") {
        Ok(text) => SigningKey::from_base64(&text).map_err(|e| format!("XSRF_SECRET: {e}")),
        Err(_) => {
            tracing::warn!(
                "XSRF_SECRET is not set: using a generated secret; tokens will not survive a restart \
                 (set XSRF_SECRET to the base64 of 32 random bytes, e.g. `openssl rand -base64 32`)"
            );
            SigningKey::generate().map_err(|e| e.to_string())
        }
    }
}

/// The site origins: `XSRF_SITE_ORIGIN` (comma-separated), else derived
/// from the bound address (both `127.0.0.1` and `localhost` for loopback;
/// none for a wildcard address, where the `Host` header is compared).
pub fn site_origins(addr: SocketAddr) -> Vec<String> {
    if let Ok(list) = std::env::var("XSRF_SITE_ORIGIN") {
        return list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
    }
    let port = addr.port();
    match addr.ip() {
        ip if ip.is_unspecified() => Vec::new(),
        ip if ip.is_loopback() => vec![
            format!("http://127.0.0.1:{port}"),
            format!("http://localhost:{port}"),
        ],
        ip if ip.is_ipv6() => vec![format!("http://[{ip}]:{port}")],
        ip => vec![format!("http://{ip}:{port}")],
    }
}

/// Cookie sessions under the cookie `name`, `Secure` when the site is
/// HTTPS. Every example but the demo names its own cookie: cookies ignore
/// ports, so two examples on 127.0.0.1 sharing actix-session's default
/// `id` would overwrite each other's session in one browser, and each
/// would refuse the other's posts.
pub fn cookie_sessions(
    xsrf: &Xsrf,
    key: cookie::Key,
    name: &str,
) -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), key)
        .cookie_name(name.to_owned())
        .cookie_secure(xsrf.origin_policy().is_https())
        .build()
}

/// HTML escaping for user content, in text or in a quoted attribute.
pub fn escape(s: &str) -> String {
    html_escape::encode_safe(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#x27;"
        );
    }

    #[test]
    fn loopback_gets_both_names() {
        let o = site_origins("127.0.0.1:8080".parse().expect("addr"));
        assert_eq!(o, ["http://127.0.0.1:8080", "http://localhost:8080"]);
    }
}
