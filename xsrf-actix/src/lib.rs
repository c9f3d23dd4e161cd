//! Cross-site request forgery (XSRF/CSRF) protection for actix-web.
//!
//! Three layers, each enough to stop a forged request on its own:
//!
//! 1. **Fetch metadata and origin checks** on every unsafe request
//!    (`Sec-Fetch-Site`, `Origin`, `Referer`, exact scheme+host+port), done
//!    by the [`Xsrf`] middleware before any handler runs; WebSocket
//!    handshakes get the same check ([`OriginChecks::websocket`]). Routes that
//!    must accept foreign posts (webhooks) are exempted by canonical raw
//!    path or route name ([`XsrfBuilder::exempt`],
//!    [`XsrfBuilder::exempt_route`]).
//! 2. **Signed tokens** bound to the user (or an anonymous id), the session
//!    and optionally an action, with expiry and key rotation, checked by
//!    [`ValidXsrf`] / `#[handle_token]` and sent by [`XsrfToken`] /
//!    `#[send_token]`. They travel in the `X-XSRF-Token` header or the
//!    `xsrf_token` form field (urlencoded and multipart, or a top-level JSON
//!    field; read without eating the body), optionally also in the `XSRF-TOKEN` cookie for Angular and
//!    axios. Never in URLs.
//! 3. **One-time keys** for requests that must not be replayed and for
//!    one-call links ([`Redeemed`], [`Xsrf::create_one_time`]), on an
//!    in-process store or Redis (feature `redis`).
//!
//! # Example
//!
//! ```no_run
//! use actix_session::{SessionMiddleware, storage::CookieSessionStore};
//! use actix_web::{App, HttpResponse, HttpServer, cookie, get, post, web};
//! use xsrf_actix::{SigningKey, ValidXsrf, Xsrf, XsrfToken};
//!
//! #[get("/")]
//! async fn show_form(token: XsrfToken) -> HttpResponse {
//!     HttpResponse::Ok().content_type("text/html").body(format!(
//!         r#"<form method="post" action="/comments">{}
//!              <input name="body"><button>Post</button></form>"#,
//!         token.hidden_input()
//!     ))
//! }
//!
//! #[derive(serde::Deserialize)]
//! struct Comment { body: String }
//!
//! #[post("/comments")]
//! async fn post(_: ValidXsrf, form: web::Form<Comment>) -> HttpResponse {
//!     println!("new comment: {}", form.body);
//!     HttpResponse::SeeOther().insert_header(("Location", "/")).finish()
//! }
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     let xsrf = Xsrf::builder()
//!         .secret(SigningKey::from_env("XSRF_SECRET").expect("XSRF_SECRET: 32+ bytes, base64"))
//!         .site_origin("http://127.0.0.1:8080")
//!         .build()
//!         .expect("XSRF settings");
//!     let session_key = cookie::Key::generate();
//!     HttpServer::new(move || {
//!         App::new()
//!             .wrap(xsrf.clone())
//!             // `cookie_secure(false)` for this plain-http example only: a
//!             // `Secure` session cookie is dropped by curl and Python
//!             // clients over http, and every post would get 403
//!             // `no-session`. Keep the default (`Secure`) on https.
//!             .wrap(
//!                 SessionMiddleware::builder(CookieSessionStore::default(), session_key.clone())
//!                     .cookie_secure(false)
//!                     .build(),
//!             )
//!             .service(show_form)
//!             .service(post)
//!     })
//!     .bind(("127.0.0.1", 8080))?
//!     .run()
//!     .await
//! }
//! ```
//!
//! The session key is generated at start here, so each restart refuses
//! the forms open in browsers with `no-session`; a live app reads it and
//! `XSRF_SECRET` from its configuration ([`docs::deploying`]).
//!
//! `SessionMiddleware` must be on the App; it may be registered on either
//! side of `Xsrf` (the session is only used while handlers run). Without
//! it, the first request that issues or checks a token answers 500 naming
//! the fix; or use [`Storage::signed_cookie()`] and need no session.
//!
//! # Logins
//!
//! [`XsrfBuilder::user_fn`] binds tokens to the signed-in user (with
//! actix-identity, it reads the `Identity`); [`Xsrf::rotate`] at login and
//! logout kills every token from before. `rotate` and
//! `Identity::logout` (which purges the session) may come in either order
//! once the request's token was checked. The `login` example of the
//! repository runs sign-in, a profile form and sign-out. Middleware
//! order: all six orders of `IdentityMiddleware`, `Xsrf` and
//! `SessionMiddleware` work (a test runs each); register
//! `IdentityMiddleware` first, as actix-identity's docs ask, which also
//! keeps a forgotten `SessionMiddleware` detectable.
//!
//! # Token lifetime, refresh and key rotation
//!
//! A request whose token is past half its lifetime, or was signed by a
//! fallback key of the ring, gets a fresh token in the answer (the token
//! header, and the token cookie when sent), so a client in use never holds
//! an expired token and moves to the new key during a rotation. A token
//! idle for longer than the timeout is refused with
//! `X-XSRF-Rejection: expired` ([`REJECTION_HEADER`],
//! [`Rejection::code`]); fetch a fresh one and retry once.
//! [`Expiry`] weighs dropping the lifetime. With
//! [`Storage::signed_cookie()`], a state cookie signed with a fallback key is
//! opened and signed again with the current key as it passes.
//!
//! # Seeing it work
//!
//! The same kind of app in `actix_web::test`: the form's token is
//! accepted, a forged post (no token, or another site's `Origin`) is
//! refused before the handler runs.
//!
//! ```
//! use actix_session::{SessionMiddleware, storage::CookieSessionStore};
//! use actix_web::{App, HttpResponse, cookie, http::StatusCode, test, web};
//! use xsrf_actix::{SigningKey, ValidXsrf, Xsrf, XsrfToken};
//!
//! # #[actix_web::main]
//! # async fn main() {
//! let xsrf = Xsrf::builder()
//!     .secret(SigningKey::generate().expect("system randomness"))
//!     .site_origin("http://localhost:8080")
//!     .build()
//!     .expect("XSRF settings");
//! let app = test::init_service(
//!     App::new()
//!         .wrap(xsrf)
//!         .wrap(SessionMiddleware::new(CookieSessionStore::default(), cookie::Key::generate()))
//!         .route("/", web::get().to(|t: XsrfToken| async move { t.as_str().to_owned() }))
//!         .route("/comments", web::post().to(|_: ValidXsrf| async { HttpResponse::Created() })),
//! )
//! .await;
//!
//! // The page: a token, and the session cookie it is bound to.
//! let page = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
//! let session = page.response().cookies().next().expect("session cookie").into_owned();
//! let token = String::from_utf8(test::read_body(page).await.to_vec()).expect("text");
//!
//! let post = |form: &[(&str, &str)], origin: &str| {
//!     test::TestRequest::post()
//!         .uri("/comments")
//!         .insert_header(("Origin", origin))
//!         .cookie(session.clone())
//!         .set_form(form)
//!         .to_request()
//! };
//! let ok = test::call_service(&app, post(&[("xsrf_token", &token)], "http://localhost:8080")).await;
//! assert_eq!(ok.status(), StatusCode::CREATED);
//!
//! let forged = test::call_service(&app, post(&[("body", "hi")], "http://localhost:8080")).await;
//! assert_eq!(forged.status(), StatusCode::FORBIDDEN);
//! let cross = test::call_service(&app, post(&[("xsrf_token", &token)], "https://evil.example")).await;
//! assert_eq!(cross.status(), StatusCode::FORBIDDEN);
//! # }
//! ```
//!
//! # Guides
//!
//! Coming from Django, flask-xsrf or actix-csrf-middleware? Start with its
//! page in [`docs`]; [`docs::htmx_and_spa`] shows htmx and axios, and
//! [`templates`] the hidden field in askama, maud, minijinja and tera
//! (features of the same names). [`docs::rollout`] and
//! [`docs::deploying`] take an app to production;
//! [`docs::tokens_and_sessions`], [`docs::origins_and_cors`] and
//! [`docs::one_time_keys`] go through each layer's settings.
//!
//! # In handlers
//!
//! One way to guard a handler, one way to send a token:
//!
//! * **Guard**: a [`ValidXsrf`] argument, or `#[handle_token]` on the
//!   handler for the same check with options (`action = ".."`,
//!   `one_time`, `source = ".."`); the attribute checks before any of the
//!   handler's extractors runs, so a forged body is never parsed.
//! * **Send**: an [`XsrfToken`] argument, for the page's form
//!   ([`XsrfToken::hidden_input`], or its `field()` in a template), or
//!   `#[send_token]` on the handler, for scripts: the answer carries the
//!   token in the `X-XSRF-Token` header. One of the two per handler:
//!   each issues a token.
//!
//! What the attributes expand to is public, for what they do not cover:
//! [`Check`] (the check of `#[handle_token]`; [`Check::action`] takes an
//! action computed per request) with [`Deferred`] (the handler's
//! arguments, extracted after the check), [`WithToken`] (the answer of
//! `#[send_token]`), and [`XsrfToken::for_action`] and [`Xsrf::issue`]
//! for tokens issued by hand. Beyond them:
//!
//! * [`Xsrf`] itself is an extractor, for handlers that rotate, issue or
//!   redeem; [`Xsrf::for_request`] serves code that holds only a request.
//! * [`Redeemed<T>`] is the data of a one-time key ([`OneTimeKey`] is a
//!   created one); [`OneTimeSession`] names a session's keys for code
//!   outside it (clearing them, redeeming on its behalf).
//! * [`XsrfBuilder::error_handler`] gets the error and the request.
//! * Durations are [`time::Duration`], re-exported as [`time`].
//!
//! # How did we choose defaults?
//!
//! * Tokens live one hour (flask-xsrf's example), are refreshed once past
//!   half of it, are checked against the session salt so logout/login
//!   ([`Xsrf::rotate`]) kills them, and carry a random nonce so no two
//!   responses repeat a secret (BREACH).
//! * Header and form field are the default sources: they cover HTML forms,
//!   `fetch` and axios. The cookie is opt-in ([`TokenCookie`]);
//!   as a *source* it only ever adds a double-submit requirement.
//! * Bodies are scanned up to 64 KiB: enough for any form that puts the
//!   token first, small enough that a flood of large bodies costs little.
//! * On HTTPS, a request with neither `Origin` nor `Referer` is refused
//!   (Django's rule); on plain HTTP it goes on to the token check, as API
//!   clients send neither.
//! * On https sites our cookies are `__Host-` prefixed (`__Host-xsrf-state`,
//!   `__Host-XSRF-TOKEN`; `__Secure-XSRF-TOKEN` with a cookie domain), so a
//!   sibling subdomain cannot plant or overwrite them; names you give are
//!   used as given ([`TokenCookie::name`]).
//! * Trusted origins are exact unless written as a wildcard over
//!   subdomains (`https://*.example.com`, [`XsrfBuilder::trusted_origin`]).
//! * Refusals are `403` saying why (a short HTML page for a browser, JSON
//!   for `application/json`, a line of text otherwise; the reason code in
//!   `X-XSRF-Rejection`), `413` for an over-limit body, `503` when the key
//!   store is down (fail closed).
//!
//! # Body scanning
//!
//! The middleware reads a form or JSON body only as far as it must, and
//! hands every byte on to the handler's own `web::Form`, `Multipart`,
//! `web::Json` or `Bytes`:
//!
//! * `application/x-www-form-urlencoded` and `multipart/form-data`: the
//!   `xsrf_token` field ([`Transport::field`]).
//! * `application/json` and `application/*+json`, when the request carries no token
//!   header: a top-level string field of the same name, escapes decoded
//!   (`{"xsrf\u005ftoken": "…"}` counts, a copy inside a nested object
//!   does not). Invalid JSON within the scanned part is refused with a
//!   reason. With the header, the header decides and the body is not
//!   read, as in actix-csrf-middleware.
//! * One rule for duplicates: the scan reads on to the end of the body or
//!   to the scan limit (64 KiB) and a second token field anywhere in it is
//!   a conflict (`403`), whether its value is the same or not, whatever the
//!   shape, transport (Content-Length or chunked) or chunking. More than one
//!   token header is a conflict too. A large upload whose token comes first
//!   is read up to the limit, then passed on.
//! * Linear work: every search keeps its position across chunks (a
//!   `memchr` `Finder` built once per request plus a small automaton for
//!   what crosses a chunk border), so a body sent one byte per chunk costs
//!   what it costs in one piece: one look per byte for urlencoded, at
//!   most two for JSON and three for multipart. Every buffer is capped; a
//!   multipart part's header block (a few hundred bytes from browsers) at
//!   8 KiB, beyond which the body is refused with `400 Bad Request`.
//!
//! # Dependencies
//!
//! Each is listed, with what it is for, in this crate's `Cargo.toml`
//! (in the published package, `Cargo.toml.orig`): the optional ones
//! under the feature that enables them (`redis`, `metrics`, the template
//! engines, `testing`). The repository's workspace `Cargo.toml` gives the
//! versions and why a few are not the newest.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod body_plan;
mod check;
mod config;
mod counters;
pub mod docs;
mod error;
mod extract;
mod issue;
mod labels;
mod lifecycle;
mod messages;
mod middleware;
mod one_time;
mod repost;
mod scan;
mod state;
pub mod store;
pub mod templates;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
mod with_token;

pub use self::{
    check::Check,
    config::{
        BodyWait, BuildError, Expiry, OriginChecks, Rollout, Source, Storage, TokenCookie,
        Transport, Xsrf, XsrfBuilder,
    },
    error::{ErrorHandler, REJECTION_HEADER, REPORT_ONLY_HEADER, XsrfError},
    extract::{Deferred, Redeemed, ValidXsrf, XsrfToken},
    one_time::OneTimeSession,
    with_token::WithToken,
};

// From the framework-free core, one path each: what an app builds (keys,
// options, clocks) and what it gets back and matches on (rejections,
// one-time keys, the token of `Xsrf::issue`, the error inside
// `BuildError::Config`). The stores are in `store`. The types the
// introspection accessors return (`Xsrf::tokens`, `origin_policy`,
// `one_time_keys`) are used through their methods; naming one takes
// `xsrf-core`, as a second path to every core item would cost more.
pub use xsrf_core::{
    BodyProblem, Clock, ConfigError, CreateOptions, KeyRing, ManualClock, OneTimeKey,
    OriginRejection, Rejection, SigningKey, SystemClock, Token,
};

pub use xsrf_macros::{handle_token, send_token};

/// The `time` crate, whose [`Duration`](time::Duration) every duration of
/// this crate is ([`Expiry::after`], [`CreateOptions::duration`],
/// [`Xsrf::start_purge_task`]) and whose `OffsetDateTime` a [`Clock`]
/// returns. Re-exported so no dependency of your own is needed; it is the
/// same crate actix-web's cookies and actix-session use
/// (`actix_web::cookie::time`, `PersistentSession::session_ttl`).
pub use time;

/// Plumbing, as in actix-web's own `dev` module: the service [`Xsrf`]
/// wraps around an app and its future, for code that spells out the type
/// of a wrapped service. An app registers [`Xsrf`] and never names them.
///
/// ```
/// use actix_web::Error;
/// use actix_web::body::BoxBody;
/// use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
/// use xsrf_actix::dev::{XsrfFuture, XsrfMiddleware};
///
/// /// Hands a request to the protected service, its types spelled out.
/// fn forward<S>(protected: &XsrfMiddleware<S>, req: ServiceRequest) -> XsrfFuture<S, BoxBody>
/// where
///     S: Service<ServiceRequest, Response = ServiceResponse, Error = Error> + 'static,
/// {
///     protected.call(req)
/// }
/// ```
pub mod dev {
    pub use crate::middleware::{XsrfFuture, XsrfMiddleware};
}

/// For the fuzz targets in `fuzz/` only (feature `__fuzz`); not API.
#[cfg(feature = "__fuzz")]
#[doc(hidden)]
#[path = "fuzz.rs"]
pub mod __fuzz;

#[doc(hidden)]
pub mod __private {
    pub use actix_web::{Error, HttpRequest};
}
