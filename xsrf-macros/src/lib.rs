//! `#[send_token]` and `#[handle_token]`: flask-xsrf's decorators
//! `@xsrf_handler.send_token()` and `@xsrf_handler.handle_token()` for
//! actix-web handlers. Use them through `xsrf_actix`, which re-exports
//! them: `use xsrf_actix::{handle_token, send_token};`.
//!
//! Both expand to plain code over the public API of `xsrf_actix`
//! (`Check`, `Deferred`, `WithToken`); a handler could be written by hand
//! the same way. The macro runs in four stages, one module each: `attr`
//! parses the options, `ast` takes the handler apart, `valid` checks both,
//! `expand` writes the new handler.
//!
//! Coming from flask-xsrf's decorators or Django's `@csrf_protect`? The
//! mappings are in `xsrf-actix`'s
//! [`docs` module](https://docs.rs/xsrf-actix/latest/xsrf_actix/docs/).
//!
//! # `#[handle_token]`
//!
//! ```text
//! #[handle_token(action = "delete-account", source = "header")]
//! async fn delete(form: web::Form<F>, data: web::Data<D>) -> HttpResponse { BODY }
//! ```
//! becomes
//! ```text
//! async fn delete(
//!     __xsrf_handle_request: ::xsrf_actix::__private::HttpRequest,
//!     __xsrf_handle_args: ::xsrf_actix::Deferred<(web::Form<F>, web::Data<D>,)>,
//! ) -> ::std::result::Result<HttpResponse, ::xsrf_actix::__private::Error> {
//!     ::xsrf_actix::Check::new()
//!         .action("delete-account")
//!         .source(::xsrf_actix::Source::Header)
//!         .run(&__xsrf_handle_request)
//!         .await?;
//!     let (form, data,) = __xsrf_handle_args.extract().await?;
//!     ::std::result::Result::Ok(async move {
//!         let __xsrf_value: HttpResponse = { BODY };
//!         __xsrf_value
//!     }.await)
//! }
//! ```
//! The check runs before every other extractor: the handler's
//! own arguments are taken as one `xsrf_actix::Deferred` (the request and its
//! untouched payload, nothing else) and extracted only once the check has
//! passed. A forged request is refused with the XSRF error (403) even when
//! its body is malformed or over the handler's limits, and no extractor of
//! the handler runs for it, not even the synchronous part of its
//! `from_request`. A guard placed as the first argument would not give
//! that: actix-web calls every argument's `from_request` up front and, while
//! one argument is pending (a one-time key on Redis), polls the next.
//! Extraction errors of a valid request are the extractors' own (`400` for
//! bad JSON, ...), as without the macro; hence the error type
//! `actix_web::Error`. A handler without arguments has no `Deferred`.
//!
//! Without `->`, the output is `()`. With a return type containing
//! `impl Trait` (`-> impl Responder`), which cannot be written in a `let`,
//! the body is used as is: `Ok(async move { BODY }.await)`.
//!
//! Options, all optional:
//!
//! | option | builder call | meaning |
//! |---|---|---|
//! | `action = "..."` | `.action("...")` | the token must have been issued for this action |
//! | `source = "header"` | `.source(Source::Header)` | read the token from the header only |
//! | `source = "form"` | `.source(Source::Form)` | read the token from the form body only |
//! | `source = "cookie"` | `.source(Source::Cookie)` | double submit: the cookie must match the header or form token |
//! | `one_time` | `.one_time()` | the value is a one-time key, burnt on use; a `Redeemed<T>` argument gets its data; the static session key is not accepted in its place |
//!
//! # `#[send_token]`
//!
//! ```text
//! #[send_token(action = "delete-account")]
//! async fn page() -> HttpResponse { BODY }
//! ```
//! becomes
//! ```text
//! async fn page(
//!     __xsrf_send_request: ::xsrf_actix::__private::HttpRequest,
//! ) -> ::xsrf_actix::WithToken<HttpResponse> {
//!     let __xsrf_response = async move {
//!         let __xsrf_value: HttpResponse = { BODY };
//!         __xsrf_value
//!     }.await;
//!     ::xsrf_actix::WithToken::new(&__xsrf_send_request, __xsrf_response)
//!         .action("delete-account")
//! }
//! ```
//! The only option is `action = "..."` (`.action("...")`: the token is
//! issued for that action); without it, `.action(..)` is not called.
//!
//! # What is kept
//!
//! Both macros keep the handler's attributes (doc comments, and route
//! macros such as `#[post("/x")]` above or below them), visibility,
//! generics and arguments, patterns and `mut` included (`#[handle_token]`
//! moves the arguments into one tuple pattern; attributes on single
//! arguments are dropped). The request is added as the first argument; its name has mixed-site hygiene, so the
//! body can neither see nor shadow it, and each macro uses its own name,
//! so both can stand on one handler. The `__xsrf_*` names above are the
//! ones in the expanded code.
//!
//! # Misuse
//!
//! Each is a compile error at the offending tokens; the original item is
//! still emitted, so no follow-on errors hide the real one:
//!
//! - the attribute on something other than a fn, or on a fn that is not
//!   `async`, or on a method taking `self`;
//! - an unknown option (with a "did you mean" for near misses), an option
//!   of the other macro (`#[send_token(one_time)]`), a duplicate option;
//! - a value of the wrong type (`action = 5`, `one_time = true`), or a
//!   `source` other than `"header"`, `"form"` or `"cookie"`;
//! - `#[handle_token]` on a handler that already takes `ValidXsrf`, or
//!   the same macro twice on one handler.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use proc_macro::TokenStream;

mod ast;
mod attr;
mod expand;
mod valid;

/// Sends a fresh token with the handler's response: the handler returns
/// `xsrf_actix::WithToken<R>` for its original `R`. Option:
/// `action = "..."`.
///
/// ```
/// use actix_web::{App, HttpResponse, get, test};
/// use xsrf_actix::{SigningKey, Xsrf, XsrfToken, send_token};
///
/// #[get("/account/delete")]
/// #[send_token(action = "delete-account")]
/// async fn confirm(token: XsrfToken) -> HttpResponse {
///     HttpResponse::Ok().body(format!("<form method=post>{}<button>Delete</button></form>", token.hidden_input()))
/// }
///
/// # #[actix_web::main]
/// # async fn main() {
/// let xsrf = Xsrf::builder().secret(SigningKey::generate().unwrap()).build().unwrap();
/// let session = actix_session::SessionMiddleware::new(
///     actix_session::storage::CookieSessionStore::default(),
///     actix_web::cookie::Key::generate(),
/// );
/// let app = test::init_service(App::new().wrap(xsrf).wrap(session).service(confirm)).await;
/// let res = test::call_service(&app, test::TestRequest::get().uri("/account/delete").to_request()).await;
/// // The token is in the page and in the `X-XSRF-Token` header.
/// assert!(res.headers().contains_key("x-xsrf-token"));
/// # }
/// ```
///
/// See the crate docs for the expansion.
#[proc_macro_attribute]
pub fn send_token(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::run(attr::Macro::SendToken, args.into(), item.into()).into()
}

/// Runs the handler only when the request carries a valid token; otherwise
/// answers with the configured refusal (`xsrf_actix::XsrfError`, 403 by
/// default) before any of the handler's extractors runs. The handler
/// returns `Result<R, actix_web::Error>` for its original `R`. Options: `action = "..."`, `source = "header" | "form" | "cookie"`,
/// `one_time`.
///
/// ```
/// use actix_web::{App, HttpResponse, http::StatusCode, post, test};
/// use xsrf_actix::{SigningKey, Xsrf, handle_token};
///
/// #[post("/account/delete")]
/// #[handle_token(action = "delete-account", source = "header")]
/// async fn delete() -> HttpResponse {
///     HttpResponse::NoContent().finish()
/// }
///
/// # #[actix_web::main]
/// # async fn main() {
/// let xsrf = Xsrf::builder().secret(SigningKey::generate().unwrap()).build().unwrap();
/// let session = actix_session::SessionMiddleware::new(
///     actix_session::storage::CookieSessionStore::default(),
///     actix_web::cookie::Key::generate(),
/// );
/// let app = test::init_service(App::new().wrap(xsrf).wrap(session).service(delete)).await;
/// // A post without a token never reaches the handler.
/// let forged = test::TestRequest::post().uri("/account/delete").to_request();
/// let res = test::call_service(&app, forged).await;
/// assert_eq!(res.status(), StatusCode::FORBIDDEN);
/// # }
/// ```
///
/// See the crate docs for the expansion.
#[proc_macro_attribute]
pub fn handle_token(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::run(attr::Macro::HandleToken, args.into(), item.into()).into()
}
