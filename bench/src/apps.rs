//! The apps under test: one per protection, each with the same three
//! routes so that every row differs only in the protection.
//!
//! | route | answer |
//! |---|---|
//! | `GET /form` | the token as the body (a dummy of the same length when unprotected) |
//! | `POST /submit` | `200 ok` once the protection let it through |
//! | `GET /healthz` | `200 ok`, no token work (the peer's skipped path) |
//!
//! Sessions are added by the caller (`.wrap(sessions(..))`) so the same
//! app can be measured with and without them.

use actix_session::storage::CookieSessionStore;
use actix_session::{Session, SessionMiddleware};
use actix_web::body::MessageBody;
use actix_web::cookie::{self, SameSite};
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::{App, Error, HttpResponse, Route, web};
use serde::Deserialize;
use xsrf_actix::{SigningKey, Storage, ValidXsrf, Xsrf, XsrfToken};

/// Secret of the peers' HMAC tokens (their benches use one of this shape).
pub(crate) const PEER_SECRET: &[u8] = b"bench-secret-bench-secret-bench-1234567890";
/// The path the peers skip and ours passes through untouched.
pub(crate) const SKIP_PATH: &str = "/healthz";
/// What the unprotected app serves in place of a token, so that its
/// requests are as long as the protected ones.
pub(crate) const DUMMY_TOKEN: &str =
    "dummy-token-dummy-token-dummy-token-dummy-token-dummy-token-dum";

/// What `POST /submit` does with the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Handler {
    /// Takes no body extractor (token in a header; or, in the in-process
    /// rows, a body nobody but the protection reads).
    Bare,
    /// Parses the urlencoded body with `web::Form`, so a protection that
    /// reads the body must give it back intact.
    Form,
}

/// The form the `Form` handlers parse. Unknown fields (the token) are
/// ignored by serde.
#[derive(Debug, Deserialize)]
struct Comment {
    body: String,
}

/// actix-csrf reads its token from the form through `CsrfGuarded`.
#[derive(Debug, Deserialize)]
struct GuardedComment {
    csrf_token: actix_csrf::extractor::CsrfToken,
    body: String,
}

impl actix_csrf::extractor::CsrfGuarded for GuardedComment {
    fn csrf_token(&self) -> &actix_csrf::extractor::CsrfToken {
        &self.csrf_token
    }
}

/// The cookie sessions every load app runs behind (actix-session's
/// defaults but not `Secure`: the bench speaks plain HTTP on loopback).
pub(crate) fn sessions(key: &cookie::Key) -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
        .cookie_secure(false)
        .build()
}

/// Where our per-session state lives in a bench app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StateIn {
    /// The actix-session `Session` (the default).
    Session,
    /// Our own signed cookie (`Storage::signed_cookie()`), no session needed.
    Cookie,
}

/// Our configuration: defaults, with the site origin the clients send.
pub(crate) fn xsrf(site_origin: &str, state: StateIn) -> Xsrf {
    let builder = Xsrf::builder()
        .secret(SigningKey::generate().expect("system randomness for the bench key"))
        .site_origin(site_origin);
    match state {
        StateIn::Session => builder,
        StateIn::Cookie => builder.storage(Storage::signed_cookie()),
    }
    .build()
    .expect("valid bench XSRF settings")
}

/// The type every app below has: an `App` whose factory yields some
/// response body (a type alias cannot hold `impl Trait` on stable Rust).
macro_rules! app_type {
    () => {
        App<
            impl ServiceFactory<
                ServiceRequest,
                Config = (),
                Response = ServiceResponse<impl MessageBody + 'static>,
                Error = Error,
                InitError = (),
            > + 'static,
        >
    };
}

async fn ok() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

async fn take_form(f: web::Form<Comment>) -> HttpResponse {
    // Use the field, as a real handler would.
    std::hint::black_box(f.body.len());
    ok().await
}

async fn ours_form(_: ValidXsrf, f: web::Form<Comment>) -> HttpResponse {
    take_form(f).await
}

/// `POST /submit` without an extractor of its own: the baselines, and the
/// peer middleware, which checks before routing.
fn plain_submit(handler: Handler) -> Route {
    match handler {
        Handler::Bare => web::post().to(ok),
        Handler::Form => web::post().to(take_form),
    }
}

/// No protection at all: the baseline.
pub(crate) fn plain(handler: Handler) -> app_type!() {
    App::new()
        .route(
            "/form",
            web::get().to(|| async { HttpResponse::Ok().body(DUMMY_TOKEN) }),
        )
        .route("/submit", plain_submit(handler))
        .route(SKIP_PATH, web::get().to(ok))
}

/// A value as long as our state cookie's (`<anonymous id>.<salt>.<signature>`,
/// 22 + 1 + 22 + 1 + 43 characters), set by [`plain_with_cookie`].
pub(crate) const DUMMY_STATE_COOKIE: &str =
    "AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB.CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";

/// No protection, but `GET /form` sets a cookie named and sized as our
/// state cookie, which every later request carries: separates what those
/// bytes cost (actix-http parsing a longer `Cookie` header, actix-session
/// parsing and percent-decoding every cookie to find its own) from what
/// `Storage::signed_cookie()` adds in our code.
pub(crate) fn plain_with_cookie(handler: Handler) -> app_type!() {
    App::new()
        .route("/form", plain_with_cookie_form())
        .route("/submit", plain_submit(handler))
        .route(SKIP_PATH, web::get().to(ok))
}

/// `GET /form` of [`plain_with_cookie`].
fn plain_with_cookie_form() -> Route {
    web::get().to(|| async {
        let c = cookie::Cookie::build("xsrf-state", DUMMY_STATE_COOKIE)
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .finish();
        HttpResponse::Ok().cookie(c).body(DUMMY_TOKEN)
    })
}

/// What xsrf-actix keeps in the session (an anonymous id and a salt of 22
/// characters each), stored by [`plain_with_session`] so a baseline can
/// carry a session cookie of the same size.
#[derive(Debug, serde::Serialize)]
struct LikeXsrfState {
    anon: &'static str,
    salt: &'static str,
}

/// No protection, but `GET /form` stores state the size of ours in the
/// session: separates the session middleware's cost (decrypting the cookie
/// on every request) from the protection's.
pub(crate) fn plain_with_session(handler: Handler) -> app_type!() {
    App::new()
        .route("/form", plain_with_session_form())
        .route("/submit", plain_submit(handler))
        .route(SKIP_PATH, web::get().to(ok))
}

/// `GET /form` of [`plain_with_session`].
fn plain_with_session_form() -> Route {
    web::get().to(|session: Session| async move {
        let state = LikeXsrfState {
            anon: "AAAAAAAAAAAAAAAAAAAAAA",
            salt: "BBBBBBBBBBBBBBBBBBBBBB",
        };
        match session.insert("xsrf", state) {
            Ok(()) => HttpResponse::Ok().body(DUMMY_TOKEN),
            Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
        }
    })
}

/// The HMAC-SHA256 work of one token check and nothing else: verifying a
/// tag over inputs the size of ours (a token's 90 bytes; with cookie
/// storage, the state cookie's 45 bytes too). Set on a baseline app, it
/// is the floor of any HMAC-bound token on this machine: what the
/// protection cannot get below without fewer or shorter MACs.
#[derive(Clone)]
pub(crate) struct Macs {
    key: std::sync::Arc<ring::hmac::Key>,
    /// (input, its tag) per MAC a request checks.
    checks: std::sync::Arc<[(Vec<u8>, ring::hmac::Tag)]>,
}

impl Macs {
    /// The MACs of a token check: the token's, and with cookie storage
    /// the state cookie's.
    pub(crate) fn of(state: StateIn) -> Self {
        let rng = ring::rand::SystemRandom::new();
        let key = ring::hmac::Key::generate(ring::hmac::HMAC_SHA256, &rng)
            .expect("system randomness for the bench key");
        let sizes: &[usize] = match state {
            StateIn::Session => &[90],
            StateIn::Cookie => &[90, 45],
        };
        let checks = sizes
            .iter()
            .map(|&n| {
                let input = vec![b'A'; n];
                let tag = ring::hmac::sign(&key, &input);
                (input, tag)
            })
            .collect();
        Self {
            key: std::sync::Arc::new(key),
            checks,
        }
    }

    fn verify(&self) -> bool {
        self.checks.iter().all(|(input, tag)| {
            ring::hmac::verify(&self.key, std::hint::black_box(input), tag.as_ref()).is_ok()
        })
    }
}

/// A baseline app whose `POST /submit` verifies [`Macs`] before
/// answering: the floor rows. `state` picks the baseline (session data or
/// the state-sized cookie) and the MACs.
pub(crate) fn floor(state: StateIn, handler: Handler) -> app_type!() {
    let macs = Macs::of(state);
    let submit = match handler {
        Handler::Bare => web::post().to(move || {
            let ok_macs = macs.verify();
            async move { floor_answer(ok_macs) }
        }),
        Handler::Form => web::post().to(move |f: web::Form<Comment>| {
            let ok_macs = macs.verify();
            async move {
                std::hint::black_box(f.body.len());
                floor_answer(ok_macs)
            }
        }),
    };
    let base = match state {
        StateIn::Session => plain_with_session_form(),
        StateIn::Cookie => plain_with_cookie_form(),
    };
    App::new()
        .route("/form", base)
        .route("/submit", submit)
        .route(SKIP_PATH, web::get().to(ok))
}

fn floor_answer(ok_macs: bool) -> HttpResponse {
    if ok_macs {
        HttpResponse::Ok().body("ok")
    } else {
        HttpResponse::Forbidden().finish()
    }
}

/// xsrf-actix: the middleware (origin check, body scan) and the
/// `ValidXsrf` guard on the handler; `XsrfToken` issues on `GET /form`.
pub(crate) fn ours(xsrf: Xsrf, handler: Handler) -> app_type!() {
    let submit = match handler {
        Handler::Bare => web::post().to(|_: ValidXsrf| ok()),
        Handler::Form => web::post().to(ours_form),
    };
    App::new()
        .wrap(xsrf)
        .route(
            "/form",
            web::get()
                .to(|t: XsrfToken| async move { HttpResponse::Ok().body(t.as_str().to_owned()) }),
        )
        .route("/submit", submit)
        .route(SKIP_PATH, web::get().to(ok))
}

/// actix-csrf-middleware 0.9 as its own benches configure it: double
/// submit cookie (HMAC bound to the session or pre-session id), token
/// cookie readable by scripts, not `Secure` (plain HTTP), `/healthz`
/// skipped. The middleware checks every POST; handlers need nothing.
pub(crate) fn peer_middleware(handler: Handler) -> app_type!() {
    use actix_csrf_middleware::{CsrfDoubleSubmitCookie, CsrfMiddlewareConfig};
    let config = CsrfMiddlewareConfig::double_submit_cookie(PEER_SECRET).with_token_cookie_config(
        CsrfDoubleSubmitCookie {
            http_only: false,
            same_site: SameSite::Lax,
        },
    );
    peer_middleware_with(config, handler)
}

/// actix-csrf-middleware 0.9 in its synchronizer-token mode: the token
/// lives in the actix-session `Session` (the caller wraps sessions around
/// the app, as its docs do), compared with the header or form field. The
/// like-for-like peer of ours with session storage.
pub(crate) fn peer_middleware_sessions(handler: Handler) -> app_type!() {
    let config = actix_csrf_middleware::CsrfMiddlewareConfig::synchronizer_token(PEER_SECRET);
    peer_middleware_with(config, handler)
}

/// The peer middleware app for either mode: not `Secure` (plain HTTP),
/// `/healthz` skipped, `GET /form` answering its token.
fn peer_middleware_with(
    config: actix_csrf_middleware::CsrfMiddlewareConfig,
    handler: Handler,
) -> app_type!() {
    use actix_csrf_middleware::{CsrfMiddleware, CsrfToken};
    let config = config
        .with_secure(false)
        .with_skip_for(vec![SKIP_PATH.to_owned()]);
    App::new()
        .wrap(CsrfMiddleware::new(config))
        .route(
            "/form",
            web::get().to(|t: CsrfToken| async move { HttpResponse::Ok().body(t.0) }),
        )
        .route("/submit", plain_submit(handler))
        .route(SKIP_PATH, web::get().to(ok))
}

/// actix-csrf 0.8 as its docs show it: the middleware sets a random token
/// cookie on `GET /form`; `Csrf<CsrfHeader>` or `Csrf<Form<..>>` compares
/// the cookie with the header or the form field (double submit).
/// Defaults otherwise (`__Host-` cookie name, `Secure`, `HttpOnly`): the
/// bench client does not enforce cookie attributes.
pub(crate) fn peer_cookie(handler: Handler) -> app_type!() {
    use actix_csrf::CsrfMiddleware;
    use actix_csrf::extractor::{Csrf, CsrfHeader, CsrfToken};
    let submit = match handler {
        Handler::Bare => web::post().to(|_: Csrf<CsrfHeader>| ok()),
        Handler::Form => web::post().to(|f: Csrf<web::Form<GuardedComment>>| async move {
            std::hint::black_box(f.into_inner().into_inner().body.len());
            HttpResponse::Ok().body("ok")
        }),
    };
    App::new()
        .wrap(CsrfMiddleware::<rand08::rngs::StdRng>::new().set_cookie(Method::GET, "/form"))
        .route(
            "/form",
            web::get().to(|t: CsrfToken| async move { HttpResponse::Ok().body(t.into_inner()) }),
        )
        .route("/submit", submit)
        .route(SKIP_PATH, web::get().to(ok))
}
