//! A single-page app: the page's script talks to a JSON API with `fetch`,
//! reading the token from the `XSRF-TOKEN` cookie and sending it back in
//! `X-XSRF-TOKEN` — what axios and Angular's `HttpClient` do on their own.
//!
//! Tokens in use are refreshed on the way (the cookie is renewed on any
//! answer to a request whose token is past half its lifetime). A tab left
//! idle longer than the lifetime gets `403` with `X-XSRF-Rejection:
//! expired`; the script then fetches a fresh token (`GET /api/token`, which
//! renews the cookie) and retries once — the standard recovery.
//!
//! With axios (1.x) the script needs no code for it: its defaults are
//! `xsrfCookieName: 'XSRF-TOKEN'` and `xsrfHeaderName: 'X-XSRF-TOKEN'`,
//! applied to same-origin URLs (same scheme, host and port).
//!
//! What the cookie does not protect against: cookies ignore ports, so a
//! page served by another program on the same host at another port can
//! read `XSRF-TOKEN` and send it. On shared hosts the origin check (on by
//! default) is what refuses such a request: keep it on.

use actix_session::SessionMiddleware;
use actix_session::storage::SessionStore;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error, HttpResponse, web};
use serde::Deserialize;
use xsrf_actix::{Xsrf, handle_token, send_token};

use crate::forms::Comments;

/// The SPA's session cookie (the demo keeps actix-session's `id`; see
/// [`support::cookie_sessions`](crate::support::cookie_sessions)).
pub const SESSION_COOKIE: &str = "spa-session";

/// The SPA. `xsrf` should be built with `.token_cookie(TokenCookie::new())`.
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
        .route("/api/comments", web::get().to(list))
        .route("/api/comments", web::post().to(add))
        .route("/api/token", web::get().to(token))
}

const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>xsrf SPA</title></head>
<body>
<h1>SPA comments</h1>
<ul id="comments"></ul>
<input id="body" type="text"><button id="send" type="button">Send</button>
<p id="status"></p>
<script>
// The axios / Angular convention, by hand: copy the XSRF-TOKEN cookie
// into the X-XSRF-TOKEN header of every unsafe request.
function xsrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)XSRF-TOKEN=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : "";
}
async function refresh() {
  const list = await (await fetch("/api/comments")).json();
  const ul = document.getElementById("comments");
  ul.replaceChildren(...list.map(text => {
    const li = document.createElement("li");
    li.className = "comment";
    li.textContent = text;
    return li;
  }));
}
// An unsafe request with the token; if it was refused only because the
// token expired (the tab sat idle past its lifetime), fetch a fresh token
// and try once more. Any other refusal is final.
async function send(url, init) {
  const attempt = () => fetch(url, {
    ...init,
    headers: { ...init.headers, "X-XSRF-TOKEN": xsrfToken() },
  });
  const res = await attempt();
  if (res.status === 403 && res.headers.get("X-XSRF-Rejection") === "expired") {
    await fetch("/api/token");
    return attempt();
  }
  return res;
}
document.getElementById("send").addEventListener("click", async () => {
  const res = await send("/api/comments", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ body: document.getElementById("body").value }),
  });
  document.getElementById("status").textContent = "status " + res.status;
  await refresh();
});
refresh();
</script>
</body></html>
"#;

#[send_token]
async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(PAGE)
}

/// A fresh token (in the `XSRF-TOKEN` cookie and the header), for the
/// script's recovery from an expired one.
#[send_token]
async fn token() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

async fn list(comments: web::Data<Comments>) -> HttpResponse {
    HttpResponse::Ok().json(comments.all())
}

#[derive(Deserialize)]
struct NewComment {
    body: String,
}

#[handle_token(source = "header")]
async fn add(json: web::Json<NewComment>, comments: web::Data<Comments>) -> HttpResponse {
    let body = json.into_inner().body;
    let created = HttpResponse::Created().json(serde_json::json!({ "body": &body }));
    crate::forms::store(&comments, body, created)
}
