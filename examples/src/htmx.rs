//! htmx: a page whose button posts with `hx-post`; the token rides in
//! every htmx request's `X-XSRF-Token` header, set once on `<body>`. The
//! attribute is spelled differently in each major version:
//!
//! ```html
//! <body hx-headers:inherited='{"X-XSRF-Token": "TOKEN"}'>   <!-- htmx 4 -->
//! <body hx-headers='{"X-XSRF-Token": "TOKEN"}'>             <!-- htmx 2 -->
//! ```
//!
//! htmx 4 no longer inherits attributes unless they are marked
//! `:inherited`: the htmx 2 line on an htmx 4 page sends no token, and the
//! htmx 4 line on an htmx 2 page is not an attribute htmx 2 knows, so it
//! sends none either; both posts get `403`. Both versions are vendored in
//! `examples/static/htmx/` (versions and license in its README): `GET /`
//! is the page on htmx 4, `GET /htmx2` the same page on htmx 2.
//!
//! # A page left open past the token lifetime
//!
//! A request whose token is past half its lifetime is answered with a
//! fresh token in the `X-XSRF-Token` response header, which htmx ignores:
//! `hx-headers` keeps sending the page's first token, and once that is
//! older than the lifetime (an hour by default) every button gets `403`
//! with `X-XSRF-Rejection: expired`. Both pages load a small script of
//! ours, [`XSRF_HTMX_JS`] (`examples/static/htmx/xsrf-htmx.js`, no
//! dependencies, for htmx 2 and 4), next to htmx:
//!
//! ```html
//! <script src="/static/xsrf-htmx.js" data-token-url="/xsrf-token"></script>
//! ```
//!
//! It sends the freshest token the server gave back in place of the one
//! written in the page, and when a request is refused only as `expired`
//! (the page sat idle past the lifetime) it fetches a fresh token from
//! `data-token-url` and sends the request once more. Copy the file; the
//! token route is a `#[send_token]` handler (see `token` below).
//!
//! | route | protection | answer |
//! |---|---|---|
//! | `GET /` | sends a token | the page, on htmx 4 |
//! | `GET /htmx2` | sends a token | the page, on htmx 2 |
//! | `POST /comments` | token in the header | `200` with the new `<li>`, else `403` |
//! | `GET /xsrf-token` | sends a token | `204`, the token in `X-XSRF-Token` |
//! | `GET /api/comments` | — | JSON array of bodies, oldest first |
//! | `GET /static/htmx.min.js` | — | the vendored htmx 4 |
//! | `GET /static/htmx2.min.js` | — | the vendored htmx 2 |
//! | `GET /static/xsrf-htmx.js` | — | the token-refresh script |

use actix_session::SessionMiddleware;
use actix_session::storage::SessionStore;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::{App, Error, HttpResponse, web};
use serde::Deserialize;
use xsrf_actix::{Xsrf, XsrfToken, handle_token, send_token};

use crate::forms::{self, Comments, MAX_BODY};
use crate::support::escape;

/// The vendored htmx 4 (version and license in `examples/static/htmx/`).
pub const HTMX_JS: &str = include_str!("../static/htmx/htmx.min.js");

/// The vendored htmx 2 (version and license in `examples/static/htmx/`).
pub const HTMX2_JS: &str = include_str!("../static/htmx/htmx2.min.js");

/// The script that keeps the token htmx sends fresh, for htmx 2 and 4
/// (see the module docs).
pub const XSRF_HTMX_JS: &str = include_str!("../static/htmx/xsrf-htmx.js");

/// Where the page loads [`XSRF_HTMX_JS`] from.
pub const XSRF_HTMX_PATH: &str = "/static/xsrf-htmx.js";

/// The example's session cookie (the demo keeps actix-session's `id`; see
/// [`support::cookie_sessions`](crate::support::cookie_sessions)).
pub const SESSION_COOKIE: &str = "htmx-session";

/// The htmx app, ready for `HttpServer::new` or `actix_web::test`.
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
    App::new()
        .app_data(comments)
        .wrap(xsrf)
        .wrap(sessions)
        .route("/", web::get().to(page_htmx4))
        .route("/htmx2", web::get().to(page_htmx2))
        .route("/comments", web::post().to(add))
        .route("/xsrf-token", web::get().to(token))
        .route("/api/comments", web::get().to(list))
        .route("/static/htmx.min.js", web::get().to(|| script(HTMX_JS)))
        .route("/static/htmx2.min.js", web::get().to(|| script(HTMX2_JS)))
        .route(XSRF_HTMX_PATH, web::get().to(|| script(XSRF_HTMX_JS)))
}

/// What differs between the two pages.
#[derive(Clone, Copy)]
enum Htmx {
    Two,
    Four,
}

impl Htmx {
    fn script(self) -> &'static str {
        match self {
            Htmx::Two => "/static/htmx2.min.js",
            Htmx::Four => "/static/htmx.min.js",
        }
    }

    /// The attribute that hands `hx-headers` down to every element below.
    fn headers_attribute(self) -> &'static str {
        match self {
            Htmx::Two => "hx-headers",
            Htmx::Four => "hx-headers:inherited",
        }
    }
}

#[send_token]
async fn page_htmx4(xsrf: XsrfToken, comments: web::Data<Comments>) -> HttpResponse {
    page(Htmx::Four, &xsrf, &comments)
}

#[send_token]
async fn page_htmx2(xsrf: XsrfToken, comments: web::Data<Comments>) -> HttpResponse {
    page(Htmx::Two, &xsrf, &comments)
}

fn page(htmx: Htmx, xsrf: &XsrfToken, comments: &Comments) -> HttpResponse {
    let items: String = comments.all().iter().map(|c| item(c)).collect();
    // The token is URL-safe base64; escaping it anyway keeps the
    // single-quoted attribute safe whatever it holds.
    let token = escape(xsrf.as_str());
    let (htmx_js, headers) = (htmx.script(), htmx.headers_attribute());
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>xsrf with htmx</title>
<script src="{htmx_js}"></script>
<script src="{XSRF_HTMX_PATH}" data-token-url="/xsrf-token"></script></head>
<body {headers}='{{"X-XSRF-Token": "{token}"}}'>
<h1>Comments (htmx)</h1>
<ul id="comments">
{items}</ul>
<input id="body" type="text" name="body" maxlength="{MAX_BODY}">
<button id="send" hx-post="/comments" hx-include="#body" hx-target="#comments" hx-swap="beforeend">Post</button>
</body></html>
"##
        ))
}

/// A fresh token in the `X-XSRF-Token` header, for the script's one
/// retry after `expired`.
#[send_token]
async fn token() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

fn item(body: &str) -> String {
    format!("<li class=\"comment\">{}</li>\n", escape(body))
}

#[derive(Deserialize)]
struct NewComment {
    body: String,
}

/// htmx sends the form-encoded `body` and the header from `<body>`.
#[handle_token(source = "header")]
async fn add(form: web::Form<NewComment>, comments: web::Data<Comments>) -> HttpResponse {
    let body = form.into_inner().body;
    let li = HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(item(&body));
    forms::store(&comments, body, li)
}

async fn list(comments: web::Data<Comments>) -> HttpResponse {
    HttpResponse::Ok().json(comments.all())
}

async fn script(js: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(js)
}
