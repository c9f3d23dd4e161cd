//! What every example binary does at start: logging, the address to bind,
//! the secret, the session key, the site origins.

use std::net::SocketAddr;

use actix_session::SessionMiddleware;
use actix_session::storage::CookieSessionStore;
use actix_web::cookie;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
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
    secret_from(|name| std::env::var(name).ok())
}

/// [`secret`] with `var` as the environment (the binaries pass
/// `std::env::var`; tests their own).
pub fn secret_from(var: impl Fn(&str) -> Option<String>) -> Result<SigningKey, String> {
    match var("XSRF_SECRET") {
        Some(text) => SigningKey::from_base64(&text).map_err(|e| {
            format!("XSRF_SECRET: {e} (expected the base64 of 32 or more random bytes, e.g. `openssl rand -base64 32`)")
        }),
        None => {
            tracing::warn!(
                "XSRF_SECRET is not set: using a generated secret; tokens will not survive a restart \
                 (set XSRF_SECRET to the base64 of 32 random bytes, e.g. `openssl rand -base64 32`)"
            );
            SigningKey::generate().map_err(|e| e.to_string())
        }
    }
}

/// Bytes of a session key: actix-web's `cookie::Key::from` takes 64 (32
/// to sign, 32 to encrypt).
pub const SESSION_KEY_LEN: usize = 64;

/// The session cookie's key from `SESSION_KEY` (base64 of 64 bytes), else a
/// generated one with a warning: sessions, and so every form loaded before
/// a restart, then die with the process (`403 no-session`).
pub fn session_key() -> Result<cookie::Key, String> {
    session_key_from(|name| std::env::var(name).ok())
}

/// [`session_key`] with `var` as the environment.
///
/// The text may be in the standard or URL-safe base64 alphabet, padded or
/// not, and may hold whitespace: `openssl rand -base64 64` breaks its
/// output into lines.
pub fn session_key_from(var: impl Fn(&str) -> Option<String>) -> Result<cookie::Key, String> {
    const EXPECTED: &str = "expected the base64 of 64 random bytes, e.g. `openssl rand -base64 64`";
    let Some(text) = var("SESSION_KEY") else {
        tracing::warn!(
            "SESSION_KEY is not set: using a generated session key; sessions, and every form \
             loaded before a restart, will not survive it (set SESSION_KEY to the base64 of 64 \
             random bytes, e.g. `openssl rand -base64 64`)"
        );
        return cookie::Key::try_generate()
            .ok_or_else(|| "SESSION_KEY: no randomness to generate one".to_owned());
    };
    let text: String = text.split_ascii_whitespace().collect();
    let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(&text).ok())
        .ok_or_else(|| format!("SESSION_KEY is not base64: {EXPECTED}"))?;
    if bytes.len() != SESSION_KEY_LEN {
        return Err(format!(
            "SESSION_KEY holds {} bytes: {EXPECTED}",
            bytes.len()
        ));
    }
    cookie::Key::try_from(bytes.as_slice()).map_err(|e| format!("SESSION_KEY: {e}: {EXPECTED}"))
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
    fn session_key_is_64_bytes_of_base64_line_breaks_allowed() {
        use base64::Engine as _;
        let bytes: Vec<u8> = (0..64).collect();
        let text = STANDARD.encode(&bytes);
        // As `openssl rand -base64 64` prints it: 64 characters a line.
        let wrapped = format!("{}\n{}\n", &text[..64], &text[64..]);
        let key = session_key_from(|_| Some(wrapped.clone())).expect("valid");
        assert_eq!(key.master(), cookie::Key::from(&bytes).master());
        let url_safe = URL_SAFE_NO_PAD.encode(&bytes);
        let key = session_key_from(|_| Some(url_safe.clone())).expect("url-safe");
        assert_eq!(key.master(), bytes.as_slice());

        for (text, needle) in [
            ("not base64!", "is not base64"),
            ("", "holds 0 bytes"),
            (&*STANDARD.encode([7u8; 32]), "holds 32 bytes"),
            (&*STANDARD.encode([7u8; 65]), "holds 65 bytes"),
        ] {
            let Err(err) = session_key_from(|_| Some(text.to_owned())) else {
                panic!("{text:?} accepted");
            };
            assert!(err.starts_with("SESSION_KEY"), "{err}");
            assert!(err.contains(needle), "{text:?}: {err}");
            assert!(err.contains("openssl rand -base64 64"), "{err}");
        }
        // Unset: a generated key, a different one each start.
        let a = session_key_from(|_| None).expect("generated");
        let b = session_key_from(|_| None).expect("generated");
        assert_ne!(a.master(), b.master());
    }

    #[test]
    fn a_bad_secret_names_the_variable_and_the_form() {
        let err = secret_from(|_| Some("c2hvcnQ=".to_owned())).expect_err("too short");
        assert!(err.starts_with("XSRF_SECRET"), "{err}");
        assert!(err.contains("openssl rand -base64 32"), "{err}");
    }

    #[test]
    fn loopback_gets_both_names() {
        let o = site_origins("127.0.0.1:8080".parse().expect("addr"));
        assert_eq!(o, ["http://127.0.0.1:8080", "http://localhost:8080"]);
    }
}
