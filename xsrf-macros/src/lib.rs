//! `#[send_token]` and `#[handle_token]`: flask-xsrf's decorators for
//! actix-web handlers. Use them through `xsrf_actix`, which re-exports them.
//!
//! Both expand to plain code over the public API of `xsrf_actix`; a user
//! could write the expansion by hand.
//!
//! # `#[handle_token]`
//!
//! ```text
//! #[handle_token(action = "delete-account", source = "header")]
//! async fn delete(form: web::Form<F>) -> HttpResponse { BODY }
//! ```
//! becomes
//! ```text
//! async fn delete(
//!     __xsrf_handle_request: ::xsrf_actix::__private::HttpRequest,
//!     form: web::Form<F>,
//! ) -> ::std::result::Result<HttpResponse, ::xsrf_actix::XsrfError> {
//!     ::xsrf_actix::Check::new()
//!         .action("delete-account")
//!         .source(::xsrf_actix::Source::Header)
//!         .run(&__xsrf_handle_request)
//!         .await?;
//!     ::std::result::Result::Ok(async move { BODY }.await)
//! }
//! ```
//! Options: `action = "..."` (the token must have been issued for this
//! action), `source = "header" | "form" | "cookie"` (where to read it;
//! `cookie` means double submit), `one_time` (the value is a one-time key,
//! burnt on use).
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
//!     let __xsrf_response = async move { BODY }.await;
//!     ::xsrf_actix::WithToken::new(&__xsrf_send_request, __xsrf_response).action("delete-account")
//! }
//! ```
//!
//! Both keep the handler's attributes (route macros in either order, doc
//! comments), visibility, generics and arguments. Misuse is a compile error
//! pointing at the offending tokens; the handler is still emitted so no
//! cascade of follow-on errors hides it.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use proc_macro::TokenStream;

mod ast;
mod attr;
mod expand;
mod valid;

/// Sends a fresh token with the handler's response (header `X-XSRF-Token`,
/// and the `XSRF-TOKEN` cookie when configured). See the crate docs for the
/// expansion. Option: `action = "..."`.
#[proc_macro_attribute]
pub fn send_token(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::run(attr::Macro::SendToken, args.into(), item.into()).into()
}

/// Runs the handler only when the request carries a valid token; otherwise
/// answers the configured refusal (403). See the crate docs for the
/// expansion. Options: `action = "..."`, `source = "header" | "form" |
/// "cookie"`, `one_time`.
#[proc_macro_attribute]
pub fn handle_token(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::run(attr::Macro::HandleToken, args.into(), item.into()).into()
}
