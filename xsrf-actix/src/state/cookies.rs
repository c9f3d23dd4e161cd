//! Our cookies on the way out (`Set-Cookie` values with the site's
//! flags) and on the way in (a value read in place from `Cookie`).

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;

use crate::config::Xsrf;

/// A `Set-Cookie` value for the whole site: `SameSite=Lax`, `Secure` on
/// https sites, `HttpOnly` unless scripts must read it.
pub(crate) fn set_cookie(x: &Xsrf, name: &str, value: &str, http_only: bool) -> String {
    cookie(x, name, value, http_only).finish().to_string()
}

/// The token cookie: readable by scripts, with the configured `Domain`.
pub(crate) fn token_cookie(x: &Xsrf, value: &str) -> String {
    let c = cookie(x, &x.inner.token_cookie.name, value, false);
    match &x.inner.token_cookie.domain {
        Some(d) => c.domain(d.as_str()).finish().to_string(),
        None => c.finish().to_string(),
    }
}

fn cookie<'c>(
    x: &Xsrf,
    name: &'c str,
    value: &'c str,
    http_only: bool,
) -> actix_web::cookie::CookieBuilder<'c> {
    Cookie::build(name, value)
        .path("/")
        .http_only(http_only)
        .secure(x.inner.origin.policy.is_https())
        .same_site(SameSite::Lax)
}

/// The value of the first cookie called `name`, read in place from the
/// `Cookie` headers (actix's cookie jar would copy every cookie of the
/// request to find one). Values are used as sent: ours are base64url and
/// never percent-encoded or quoted. Only the value found must be UTF-8.
pub(crate) fn cookie_value<'r>(req: &'r HttpRequest, name: &str) -> Option<&'r str> {
    let name = name.as_bytes();
    req.headers().get_all(header::COOKIE).find_map(|line| {
        let mut rest = line.as_bytes();
        // Pairs found with memchr: a `Cookie` line is mostly values, and
        // only the pair with our name is looked at closely.
        loop {
            let end = memchr::memchr(b';', rest).unwrap_or(rest.len());
            let pair = &rest[..end];
            if let Some(eq) = memchr::memchr(b'=', pair)
                && pair[..eq].trim_ascii() == name
                && let Ok(value) = std::str::from_utf8(pair[eq + 1..].trim_ascii())
            {
                return Some(value);
            }
            rest = rest.get(end + 1..)?;
        }
    })
}
