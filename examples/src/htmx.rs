//! htmx: a page whose button posts with `hx-post`; the token rides in
//! every htmx request's `X-XSRF-Token` header, set once on `<body>`:
//!
//! ```html
//! <body hx-headers:inherited='{"X-XSRF-Token": "TOKEN"}'>   <!-- htmx 4 -->
//! <body hx-headers:inherited='{"X-XSRF-Token": "TOKEN"}'>             <!-- htmx 2 -->
//! ```
//!
//! htmx 4 (vendored in `examples/static/htmx/`, served at
//! `/static/htmx.min.js`) no longer inherits attributes unless they are
//! marked `:inherited`; the htmx 2 spelling would send no token and the
//! post would get `403`.
//!
//! | route | protection | answer |
//! |---|---|---|
//! | `GET /` | sends a token | the page |
//! | `POST /comments` | token in the header | `200` with the new `<li>`, else `403` |
//! | `GET /api/comments` | — | JSON array of bodies, oldest first |
//! | `GET /static/htmx.min.js` | — | the vendored htmx |

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

/// The vendored htmx (version and license in `examples/static/htmx/`).
pub const HTMX_JS: &str = include_str!("../static/htmx/htmx.min.js");

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
        .route("/", web::get().to(page))
        .route("/comments", web::post().to(add))
        .route("/api/comments", web::get().to(list))
        .route("/static/htmx.min.js", web::get().to(htmx_js))
}

#[send_token]
async fn page(xsrf: XsrfToken, comments: web::Data<Comments>) -> HttpResponse {
    let items: String = comments.all().iter().map(|c| item(c)).collect();
    // The token is URL-safe base64; escaping it anyway keeps the
    // single-quoted attribute safe whatever it holds.
    let token = escape(xsrf.as_str());
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>xsrf with htmx</title>
<script src="/static/htmx.min.js"></script></head>
<body hx-headers:inherited='{{"X-XSRF-Token": "{token}"}}'>
<h1>Comments (htmx)</h1>
<ul id="comments">
{items}</ul>
<input id="body" type="text" name="body" maxlength="{MAX_BODY}">
<button id="send" hx-post="/comments" hx-include="#body" hx-target="#comments" hx-swap="beforeend">Post</button>
</body></html>
"##
        ))
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

async fn htmx_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(HTMX_JS)
}
