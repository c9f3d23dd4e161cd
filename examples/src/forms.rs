//! The demo the README runs: HTML forms, a JSON API and a one-time
//! password-reset link, protected by xsrf-actix with embedded defaults
//! (cookie sessions, in-process one-time keys).
//!
//! Routes (a contract other checks rely on):
//!
//! | route | protection | answer |
//! |---|---|---|
//! | `GET /` | sends a token | page with comments and a form (`xsrf_token`, `body`) |
//! | `POST /comments` | token (form field or header) | `303` to `/`, else `403` |
//! | `POST /api/comments` | token in `X-XSRF-Token` | `201` JSON, else `403` |
//! | `GET /api/comments` | — | JSON array of bodies, oldest first |
//! | `POST /reset-link` | token | page with a one-time link `/reset/{key}`; `429` with `Retry-After` past `RESET_LINKS_PER_MINUTE` from one client address |
//! | `GET /reset/{key}` | — | a form posting to the link |
//! | `POST /reset/{key}` | the one-time key | `200` once, then `403` |
//! | `POST /webhooks/{name}` | token, unless `XSRF_EXEMPT` exempts it | `200`, the body stored as a comment |
//! | `GET /metrics` | — | the counters of checks and one-time keys, Prometheus text format |
//!
//! Settings from the environment (read by the `forms` binary through
//! [`configure`] and [`reset_link_limit`]): `BIND`, `XSRF_SECRET`,
//! `XSRF_SITE_ORIGIN` (see `support`), and
//!
//! | variable | meaning |
//! |---|---|
//! | `XSRF_TRUSTED_ORIGINS` | comma-separated trusted origins, wildcards allowed (`https://*.example.com`) |
//! | `XSRF_EXEMPT` | comma-separated exemption rules, each `PATH` or `METHOD PATH` (`POST /webhooks/`) |
//! | `XSRF_SEND_COOKIE` | `1`: also send the `XSRF-TOKEN` cookie (`0` or unset: not) |
//! | `XSRF_STORAGE` | `session` (the default: actix-session cookie sessions) or `cookie` (signed state cookie) |
//! | `XSRF_REPORT_ONLY` | `1`: report-only mode everywhere (refusals logged, counted and let through, `X-XSRF-Report-Only` on the answer); `0` or unset: enforce |
//! | `SESSION_KEY` | base64 of 64 random bytes: the session cookie's key, so a form loaded before a restart still posts after it; unset: generated at start, with a warning |
//! | `XSRF_TIMEOUT_SECS` | token lifetime in seconds (a positive whole number); unset: the crate's default |
//! | `RESET_LINKS_PER_MINUTE` | `POST /reset-link` requests allowed per client (peer) address and minute, as a burst then one every `60/n` s (default 30; `0`: no limit); past it `429` with `Retry-After` |

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use actix_multipart::Multipart;
use actix_session::SessionMiddleware;
use actix_session::storage::{CookieSessionStore, SessionStore};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::{
    App, Error, HttpRequest, HttpResponse, ResponseError as _, cookie, guard, middleware, web,
};
use futures_util::StreamExt as _;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::Deserialize;
use xsrf_actix::{
    Check, CreateOptions, Expiry, Rollout, Storage, TokenCookie, Xsrf, XsrfBuilder, XsrfError,
    XsrfToken, handle_token, send_token,
};

use crate::rate_limit::PerAddress;
use crate::support::escape;

/// `POST /reset-link` requests allowed per client address and minute
/// unless `RESET_LINKS_PER_MINUTE` says otherwise.
pub const DEFAULT_RESET_LINKS_PER_MINUTE: u32 = 30;

/// Most comments kept (oldest dropped first).
pub const MAX_COMMENTS: usize = 1000;
/// Longest comment accepted, in bytes.
pub const MAX_BODY: usize = 2000;

/// The stored comments, shared by all workers.
#[derive(Debug, Default)]
pub struct Comments(Mutex<VecDeque<String>>);

impl Comments {
    /// Stores a comment, dropping the oldest beyond [`MAX_COMMENTS`].
    pub fn add(&self, body: String) {
        let mut list = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if list.len() == MAX_COMMENTS {
            list.pop_front();
        }
        list.push_back(body);
    }

    /// Forgets every comment.
    pub fn clear(&self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// All comments, oldest first.
    pub fn all(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}

/// Applies the demo's settings from the environment (`var` looks one up;
/// the binary passes `std::env::var`): `XSRF_TRUSTED_ORIGINS`,
/// `XSRF_EXEMPT`, `XSRF_SEND_COOKIE`, `XSRF_STORAGE`, `XSRF_REPORT_ONLY`,
/// `XSRF_TIMEOUT_SECS` (`SESSION_KEY` is the session middleware's:
/// [`support::session_key`](crate::support::session_key)).
/// An unknown value is
/// an error naming the variable; malformed origins and rules are refused
/// by [`XsrfBuilder::build`].
pub fn configure(
    mut builder: XsrfBuilder,
    var: impl Fn(&str) -> Option<String>,
) -> Result<XsrfBuilder, String> {
    let list = |name: &str| -> Vec<String> {
        var(name)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    for origin in list("XSRF_TRUSTED_ORIGINS") {
        builder = builder.trusted_origin(origin);
    }
    for rule in list("XSRF_EXEMPT") {
        builder = builder.exempt(rule);
    }
    match var("XSRF_SEND_COOKIE").as_deref().map(str::trim) {
        None | Some("" | "0") => {}
        Some("1") => builder = builder.token_cookie(TokenCookie::new()),
        Some(other) => return Err(format!("XSRF_SEND_COOKIE={other:?}: expected 1 or 0")),
    }
    match var("XSRF_REPORT_ONLY").as_deref().map(str::trim) {
        None | Some("" | "0") => {}
        Some("1") => builder = builder.rollout(Rollout::report_only()),
        Some(other) => return Err(format!("XSRF_REPORT_ONLY={other:?}: expected 1 or 0")),
    }
    if let Some(text) = var("XSRF_TIMEOUT_SECS").filter(|t| !t.trim().is_empty()) {
        builder = builder.expiry(Expiry::after(timeout_secs(&text)?));
    }
    match var("XSRF_STORAGE").as_deref().map(str::trim) {
        None | Some("" | "session") => {}
        Some("cookie") => builder = builder.storage(Storage::signed_cookie()),
        Some(other) => {
            return Err(format!(
                "XSRF_STORAGE={other:?}: expected session or cookie"
            ));
        }
    }
    Ok(builder)
}

/// `XSRF_TIMEOUT_SECS`: a whole number of seconds, at least 1.
fn timeout_secs(text: &str) -> Result<time::Duration, String> {
    match text.trim().parse::<i64>() {
        Ok(secs) if secs > 0 => Ok(time::Duration::seconds(secs)),
        _ => Err(format!(
            "XSRF_TIMEOUT_SECS={text:?}: expected the token lifetime in seconds, a whole number of at least 1 (e.g. 3600)"
        )),
    }
}

/// The limit on `POST /reset-link` from `RESET_LINKS_PER_MINUTE` (`var`
/// looks it up): unset or empty is [`DEFAULT_RESET_LINKS_PER_MINUTE`],
/// `0` no limit; anything but a whole number is an error naming the
/// variable. Build it once and give it to every worker ([`app_with`]).
pub fn reset_link_limit(var: impl Fn(&str) -> Option<String>) -> Result<PerAddress, String> {
    let n = match var("RESET_LINKS_PER_MINUTE").as_deref().map(str::trim) {
        None | Some("") => DEFAULT_RESET_LINKS_PER_MINUTE,
        Some(text) => text.parse().map_err(|_| {
            format!("RESET_LINKS_PER_MINUTE={text:?}: expected a whole number (0: no limit)")
        })?,
    };
    Ok(PerAddress::per_minute(n))
}

/// Cookie sessions (the embedded default), `Secure` when the site is HTTPS.
pub fn cookie_sessions(xsrf: &Xsrf, key: cookie::Key) -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), key)
        .cookie_secure(xsrf.origin_policy().is_https())
        .build()
}

/// The demo app, ready for `HttpServer::new` or `actix_web::test`, with
/// the default limit on `POST /reset-link` counted by this app alone: right
/// for one worker or a test. A server with several workers gives them one
/// shared limit through [`app_with`] instead (as the `forms` binary does),
/// or each worker would count on its own.
pub fn app<S: SessionStore + 'static>(
    xsrf: Xsrf,
    comments: web::Data<Comments>,
    sessions: SessionMiddleware<S>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let limit = PerAddress::per_minute(DEFAULT_RESET_LINKS_PER_MINUTE);
    app_with(xsrf, comments, sessions, limit)
}

/// The demo app with `reset_links` limiting `POST /reset-link` per client
/// address (see [`reset_link_limit`]).
pub fn app_with<S: SessionStore + 'static>(
    xsrf: Xsrf,
    comments: web::Data<Comments>,
    sessions: SessionMiddleware<S>,
    reset_links: PerAddress,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(comments)
        // Inside the session middleware (actix runs the last `wrap` first).
        .wrap(xsrf)
        .wrap(sessions)
        .route("/", web::get().to(index))
        .service(
            web::resource("/comments")
                .route(
                    web::post()
                        .guard(guard::fn_guard(is_multipart))
                        .to(post_comment_multipart),
                )
                .route(web::post().to(post_comment)),
        )
        .route("/api/comments", web::get().to(list_comments))
        .route("/api/comments", web::post().to(api_post_comment))
        .service(
            web::resource("/reset-link")
                // Per client address: a session's quota cannot stop a client
                // that takes a fresh session for every request.
                .wrap(middleware::from_fn(move |req, next| {
                    reset_links.clone().check(req, next)
                }))
                .route(web::post().to(reset_link)),
        )
        .route("/reset/{key}", web::get().to(reset_form))
        .route("/reset/{key}", web::post().to(reset))
        .route("/webhooks/{name}", web::post().to(webhook))
        .route("/metrics", web::get().to(metrics))
}

/// The metrics recorder the demo serves at `GET /metrics`: installed as
/// the process's global recorder by the binary ([`install_metrics`]), or
/// a test's own, registered as app data.
pub type Metrics = web::Data<PrometheusHandle>;

/// Installs a Prometheus recorder as the global `metrics` recorder and
/// returns its handle, for `GET /metrics` (add it with `.app_data`).
pub fn install_metrics() -> Result<Metrics, String> {
    PrometheusBuilder::new()
        .install_recorder()
        .map(web::Data::new)
        .map_err(|e| format!("metrics recorder: {e}"))
}

/// `GET /metrics`: the crate's counters (`xsrf_checks_total`,
/// `xsrf_one_time_keys_total`) in the Prometheus text format.
async fn metrics(handle: Option<Metrics>) -> HttpResponse {
    match handle {
        Some(h) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4")
            .body(h.render()),
        None => HttpResponse::ServiceUnavailable().body("no metrics recorder installed"),
    }
}

fn is_multipart(ctx: &guard::GuardContext<'_>) -> bool {
    ctx.head()
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/")
        })
}

#[send_token]
async fn index(token: XsrfToken, comments: web::Data<Comments>) -> HttpResponse {
    let items: String = comments
        .all()
        .iter()
        .map(|c| format!("<li class=\"comment\">{}</li>\n", escape(c)))
        .collect();
    let input = token.hidden_input();
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>xsrf demo</title></head>
<body>
<h1>Comments</h1>
<ul id="comments">
{items}</ul>
<form method="post" action="/comments">
{input}
<input id="body" type="text" name="body" maxlength="{MAX_BODY}" required>
<button id="submit" type="submit">Post</button>
</form>
<h2>Forgot your password?</h2>
<form method="post" action="/reset-link">
{input}
<button id="reset" type="submit">Send me a reset link</button>
</form>
</body></html>
"#
        ))
}

#[derive(Deserialize)]
struct NewComment {
    body: String,
}

/// Stores the comment and answers `ok`, or refuses an over-long one.
pub(crate) fn store(comments: &Comments, body: String, ok: HttpResponse) -> HttpResponse {
    if body.len() > MAX_BODY {
        return HttpResponse::PayloadTooLarge().body("comment too long\n");
    }
    comments.add(body);
    ok
}

fn see_home() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .finish()
}

#[handle_token]
async fn post_comment(form: web::Form<NewComment>, comments: web::Data<Comments>) -> HttpResponse {
    store(&comments, form.into_inner().body, see_home())
}

#[handle_token]
async fn post_comment_multipart(
    mut parts: Multipart,
    comments: web::Data<Comments>,
) -> HttpResponse {
    let mut body = None;
    while let Some(item) = parts.next().await {
        let Ok(mut field) = item else {
            return HttpResponse::BadRequest().body("malformed multipart\n");
        };
        let is_body = field.name() == Some("body");
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            let Ok(chunk) = chunk else {
                return HttpResponse::BadRequest().body("malformed multipart\n");
            };
            // Read no more than a comment may hold (plus one byte to tell).
            if value.len() + chunk.len() > MAX_BODY + 1 {
                return HttpResponse::PayloadTooLarge().body("comment too long\n");
            }
            value.extend_from_slice(&chunk);
        }
        if is_body {
            body = Some(value);
        }
    }
    let Some(Ok(body)) = body.map(String::from_utf8) else {
        return HttpResponse::BadRequest().body("field `body` missing or not UTF-8\n");
    };
    store(&comments, body, see_home())
}

/// A webhook: its body becomes a comment. Exempt from the checks only when
/// `XSRF_EXEMPT` says so; otherwise it needs a token like any other post.
async fn webhook(
    req: HttpRequest,
    body: web::Bytes,
    comments: web::Data<Comments>,
) -> Result<HttpResponse, XsrfError> {
    let xsrf = Xsrf::for_request(&req)?;
    if !xsrf.is_exempt(&req) {
        Check::new().run(&req).await?;
    }
    let Ok(body) = String::from_utf8(body.to_vec()) else {
        return Ok(HttpResponse::BadRequest().body("body is not UTF-8\n"));
    };
    Ok(store(&comments, body, HttpResponse::Ok().body("stored\n")))
}

async fn list_comments(comments: web::Data<Comments>) -> HttpResponse {
    HttpResponse::Ok().json(comments.all())
}

#[handle_token(source = "header")]
async fn api_post_comment(
    json: web::Json<NewComment>,
    comments: web::Data<Comments>,
) -> HttpResponse {
    let body = json.into_inner().body;
    let created = HttpResponse::Created().json(serde_json::json!({ "body": &body }));
    store(&comments, body, created)
}

#[handle_token]
async fn reset_link(req: HttpRequest) -> HttpResponse {
    let Ok(xsrf) = Xsrf::for_request(&req) else {
        return HttpResponse::InternalServerError().finish();
    };
    // Not bound to the session: a reset link travels by e-mail.
    let opts = CreateOptions::new().duration(time::Duration::minutes(30));
    match xsrf.create_one_time_unbound(&req, opts, "demo-user").await {
        Ok(key) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(format!(
                r#"<!doctype html><html><body><p>In real life this link goes out by e-mail:</p>
<p><a id="reset-link" href="/reset/{key}">/reset/{key}</a></p></body></html>
"#
            )),
        Err(e) => e.error_response(),
    }
}

async fn reset_form(key: web::Path<String>) -> HttpResponse {
    let key = escape(&key);
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            r#"<!doctype html><html><body>
<form method="post" action="/reset/{key}">
<input type="password" name="password" required>
<button id="reset-submit" type="submit">Set new password</button>
</form></body></html>
"#
        ))
}

async fn reset(req: HttpRequest, key: web::Path<String>) -> Result<HttpResponse, XsrfError> {
    let xsrf = Xsrf::for_request(&req)?;
    let user: String = xsrf.redeem(&req, &key).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><html><body><p id=\"done\">Password reset for {}.</p></body></html>\n",
            escape(&user)
        )))
}
