//! One app instance of the soak run: a session-backed site with forms, an
//! upload, a JSON API, one-time keys and logins, protected by `Xsrf` with
//! its one-time keys on Redis. It runs as its own process (see
//! [`serve`]) so that its memory and open files can be read per instance.
//!
//! Every state-changing handler records an [`Effect`] naming the request
//! (the driver's `X-Soak-Id` header), so the driver counts what handlers
//! *did*, not only what they answered. `GET /stats` hands the effects over
//! and forgets them, which keeps the instance's memory flat.
//!
//! Sessions are actix-session's `CookieSessionStore`, signed with a key
//! both instances share, so either instance reads any visitor's session.
//! Redis sessions would put every request, not only the one-time key
//! routes, behind the Redis restart; the soak would then measure
//! actix-session's failure mode (a `500` on a session it cannot load)
//! instead of ours (one-time keys refused with `503` while tokens keep
//! working without Redis).

use std::io::{self, Write as _};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use actix_multipart::Multipart;
use actix_session::SessionMiddleware;
use actix_session::storage::CookieSessionStore;
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, cookie, web};
use base64::Engine as _;
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use xsrf_actix::store::RedisStore;
use xsrf_actix::{
    CreateOptions, Redeemed, SigningKey, ValidXsrf, WithToken, Xsrf, XsrfError, XsrfToken,
};

/// The origin both instances serve (as behind one load balancer).
pub const SITE_ORIGIN: &str = "http://soak.test";
/// The header carrying the driver's request id.
pub(crate) const REQUEST_ID: &str = "x-soak-id";
/// The route a broken instance leaves unverified (see [`Settings::broken`]).
pub const BROKEN_ROUTE: &str = "/api/notes";

/// The environment variables [`serve`] reads (secrets travel in the
/// environment, not on the command line where `ps` shows them).
mod env {
    /// The one-time store: a `redis://` URL or a comma-separated cluster list.
    pub(super) const REDIS: &str = "SOAK_REDIS";
    /// Base64 of the 32-byte token signing key both instances share.
    pub(super) const SECRET: &str = "SOAK_SECRET";
    /// Base64 of the 64-byte session cookie key both instances share.
    pub(super) const SESSION_KEY: &str = "SOAK_SESSION_KEY";
    /// `1`: leave `BROKEN_ROUTE` unverified.
    pub(super) const BROKEN: &str = "SOAK_BROKEN";
}

/// What a handler did, for the driver's tally.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Effect {
    /// The `X-Soak-Id` of the request that caused it (0 when absent).
    pub request: u64,
    /// For a redeemed one-time key: the data it carried (the id of the
    /// request that created it), so a key used twice shows up twice.
    pub redeemed: Option<u64>,
}

/// Effects not yet handed to the driver.
#[derive(Debug, Default)]
struct Effects(Mutex<Vec<Effect>>);

impl Effects {
    fn record(&self, req: &HttpRequest, redeemed: Option<u64>) {
        let request = req
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Effect { request, redeemed });
    }

    fn take(&self) -> Vec<Effect> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// How an instance is set up.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The one-time store's configuration (`redis://…` or a cluster list).
    pub redis: String,
    /// The token signing key (shared by the instances).
    pub secret: Vec<u8>,
    /// The session cookie key (shared by the instances, 64 bytes).
    pub session_key: Vec<u8>,
    /// Leave [`BROKEN_ROUTE`] without verification: the soak's own check
    /// that its forged-success counter can fail.
    pub broken: bool,
}

impl Settings {
    /// Reads `SOAK_REDIS`, `SOAK_SECRET` and `SOAK_SESSION_KEY` (base64)
    /// and `SOAK_BROKEN` (`1` or not).
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        let b64 = |name: &str| {
            var(name).and_then(|v| {
                base64::engine::general_purpose::STANDARD
                    .decode(v)
                    .map_err(|e| format!("{name}: {e}"))
            })
        };
        Ok(Self {
            redis: var(env::REDIS)?,
            secret: b64(env::SECRET)?,
            session_key: b64(env::SESSION_KEY)?,
            broken: std::env::var(env::BROKEN).is_ok_and(|v| v == "1"),
        })
    }

    /// The variables that make [`Settings::from_env`] return these settings.
    pub fn to_env(&self) -> Vec<(&'static str, String)> {
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        vec![
            (env::REDIS, self.redis.clone()),
            (env::SECRET, b64(&self.secret)),
            (env::SESSION_KEY, b64(&self.session_key)),
            (env::BROKEN, if self.broken { "1" } else { "0" }.to_owned()),
        ]
    }
}

/// Runs one instance on a free loopback port until killed: prints
/// `listening on PORT` on stdout once it accepts connections. The entry
/// point of the `soak_server` binary and of `xsrf-bench soak-server`.
pub fn serve() -> io::Result<()> {
    let settings = Settings::from_env().map_err(io::Error::other)?;
    actix_web::rt::System::new().block_on(run(settings))
}

async fn run(settings: Settings) -> io::Result<()> {
    let store = RedisStore::from_config(&settings.redis).map_err(io::Error::other)?;
    let xsrf = Xsrf::builder()
        .secret(SigningKey::from_bytes(&settings.secret).map_err(io::Error::other)?)
        .site_origin(SITE_ORIGIN)
        .one_time_store(store)
        .build()
        .map_err(io::Error::other)?;
    let session_key = cookie::Key::try_from(settings.session_key.as_slice())
        .map_err(|e| io::Error::other(format!("session key: {e}")))?;
    let effects = web::Data::new(Effects::default());
    let broken = settings.broken;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(effects.clone())
            .wrap(xsrf.clone())
            .wrap(
                SessionMiddleware::builder(CookieSessionStore::default(), session_key.clone())
                    .cookie_secure(false)
                    .build(),
            )
            .configure(|cfg| routes(cfg, broken))
    })
    // One worker each: two instances, Redis and the driver share the cores.
    .workers(1)
    // Both longer than the driver keeps an idle connection (600 s), so the
    // driver, not the server, ends every idle connection. actix answers a
    // connection whose first request has not come within
    // `client_request_timeout` with an empty `408` and closes it, as it
    // closes one idle past `keep_alive`; hyper's pool can hold such a
    // connection (it keeps the loser of a race between a new connect and
    // a connection coming back). With actix's 5 s defaults a legitimate
    // `GET /form` got that empty `408`, or failed to send, 4.5 s into the
    // Redis outage in about one full-suite run in four: the harness's
    // failure, not the crate's.
    .keep_alive(Duration::from_secs(900))
    .client_request_timeout(Duration::from_secs(900))
    .disable_signals()
    .bind(("127.0.0.1", 0))?;
    let port = server
        .addrs()
        .first()
        .map(|a| a.port())
        .ok_or_else(|| io::Error::other("bound to no address"))?;
    let server = server.run();
    let mut out = io::stdout().lock();
    writeln!(out, "listening on {port}")?;
    out.flush()?;
    drop(out);
    server.await
}

fn routes(cfg: &mut web::ServiceConfig, broken: bool) {
    let api_post = if broken {
        web::post().to(api_post_unverified)
    } else {
        web::post().to(api_post)
    };
    cfg.route("/form", web::get().to(form))
        .route("/notes", web::post().to(notes))
        .route("/upload", web::post().to(upload))
        .route("/api/notes", web::get().to(api_get))
        .route(BROKEN_ROUTE, api_post)
        .route("/one-time", web::post().to(one_time_create))
        .route("/one-time/use", web::post().to(one_time_use))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/stats", web::get().to(stats));
}

/// The form page: a token in the hidden field (for the forms) and one in
/// `X-XSRF-Token` (what an SPA reads).
async fn form(req: HttpRequest, token: XsrfToken) -> WithToken<HttpResponse> {
    let page = format!(
        r#"<form method="post" action="/notes">{}<input name="body"><button>Save</button></form>"#,
        token.hidden_input()
    );
    WithToken::new(
        &req,
        HttpResponse::Ok().content_type("text/html").body(page),
    )
}

#[derive(Deserialize)]
struct Note {
    body: String,
}

async fn notes(
    _: ValidXsrf,
    req: HttpRequest,
    form: web::Form<Note>,
    effects: web::Data<Effects>,
) -> HttpResponse {
    std::hint::black_box(form.body.len());
    effects.record(&req, None);
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/form"))
        .finish()
}

async fn upload(
    _: ValidXsrf,
    req: HttpRequest,
    mut parts: Multipart,
    effects: web::Data<Effects>,
) -> HttpResponse {
    let mut bytes = 0usize;
    while let Some(field) = parts.next().await {
        let Ok(mut field) = field else {
            return HttpResponse::BadRequest().body("bad multipart");
        };
        while let Some(chunk) = field.next().await {
            match chunk {
                Ok(c) => bytes += c.len(),
                Err(_) => return HttpResponse::BadRequest().body("bad multipart"),
            }
        }
    }
    effects.record(&req, None);
    HttpResponse::Ok().body(bytes.to_string())
}

async fn api_get() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "notes": [] }))
}

async fn api_post(
    _: ValidXsrf,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
    effects: web::Data<Effects>,
) -> HttpResponse {
    api_post_unverified(req, body, effects).await
}

/// The deliberate bug of a broken instance: the same handler without the
/// token check (the middleware still checks the origin).
async fn api_post_unverified(
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
    effects: web::Data<Effects>,
) -> HttpResponse {
    effects.record(&req, None);
    HttpResponse::Created().json(&*body)
}

async fn one_time_create(
    _: ValidXsrf,
    req: HttpRequest,
    effects: web::Data<Effects>,
) -> Result<HttpResponse, XsrfError> {
    let id: u64 = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let opts = CreateOptions::new().duration(time::Duration::minutes(10));
    let key = Xsrf::for_request(&req)?
        .create_one_time(&req, opts, &id)
        .await?;
    effects.record(&req, None);
    Ok(HttpResponse::Ok().body(key.into_string()))
}

async fn one_time_use(
    key: Redeemed<u64>,
    req: HttpRequest,
    effects: web::Data<Effects>,
) -> HttpResponse {
    let data = key.into_inner();
    effects.record(&req, Some(data));
    HttpResponse::Ok().body(data.to_string())
}

/// Signs in (the user name from the form) and rotates: tokens and keys of
/// the anonymous session stop working.
async fn login(
    _: ValidXsrf,
    req: HttpRequest,
    session: actix_session::Session,
    form: web::Form<Note>,
    effects: web::Data<Effects>,
) -> Result<HttpResponse, XsrfError> {
    Xsrf::for_request(&req)?.rotate(&req).await?;
    if session.insert("user", &form.body).is_err() {
        return Ok(HttpResponse::InternalServerError().body("session"));
    }
    effects.record(&req, None);
    Ok(HttpResponse::Ok().body("signed in"))
}

async fn logout(
    _: ValidXsrf,
    req: HttpRequest,
    session: actix_session::Session,
    effects: web::Data<Effects>,
) -> Result<HttpResponse, XsrfError> {
    Xsrf::for_request(&req)?.rotate(&req).await?;
    session.remove("user");
    effects.record(&req, None);
    Ok(HttpResponse::Ok().body("signed out"))
}

/// Hands over the effects recorded since the last call.
async fn stats(effects: web::Data<Effects>) -> HttpResponse {
    HttpResponse::Ok().json(effects.take())
}
