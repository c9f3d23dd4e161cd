//! An echo chat over WebSocket (actix-ws), protected against cross-site
//! WebSocket hijacking: the `Xsrf` middleware applies its origin policy to
//! the handshake (`GET /ws` with `Upgrade: websocket`) as to a `POST`, so a
//! page of another origin cannot open a socket with the visitor's cookies.
//!
//! | route | answer |
//! |---|---|
//! | `GET /` | a page whose script opens `/ws`, sends `hello` and shows the echo |
//! | `GET /ws` | the WebSocket: every text message comes back as `echo: {text}`; `403` for a foreign origin |
//! | `GET /stats` | `{"accepted": n}`: handshakes the server accepted |

use std::sync::atomic::{AtomicUsize, Ordering};

use actix_session::SessionMiddleware;
use actix_session::storage::SessionStore;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error, HttpRequest, HttpResponse, web};
use actix_ws::Message;
use xsrf_actix::Xsrf;

/// Handshakes the server accepted (upgraded), for the tests to see that a
/// refused one never reached the socket handler.
#[derive(Debug, Default)]
pub struct Accepted(AtomicUsize);

impl Accepted {
    /// How many so far.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// The example's session cookie (the demo keeps actix-session's `id`; see
/// [`support::cookie_sessions`](crate::support::cookie_sessions)).
pub const SESSION_COOKIE: &str = "chat-session";

/// The chat app, ready for `HttpServer::new` or `actix_web::test`.
pub fn app<S: SessionStore + 'static>(
    xsrf: Xsrf,
    accepted: web::Data<Accepted>,
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
        .app_data(accepted)
        // The socket carries the session cookie: that is what a foreign
        // page would hijack. The Xsrf middleware sits inside the session.
        .wrap(xsrf)
        .wrap(sessions)
        .route("/", web::get().to(page))
        .route("/ws", web::get().to(socket))
        .route("/stats", web::get().to(stats))
}

async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(PAGE)
}

const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>xsrf chat</title></head>
<body>
<h1>Echo chat</h1>
<p id="status">connecting</p>
<ul id="log"></ul>
<form id="f"><input id="msg" autocomplete="off"><button id="send">Send</button></form>
<script>
const scheme = location.protocol === "https:" ? "wss://" : "ws://";
const ws = new WebSocket(scheme + location.host + "/ws");
const status = document.getElementById("status");
const log = document.getElementById("log");
ws.onopen = () => { status.textContent = "open"; ws.send("hello"); };
ws.onmessage = (e) => {
  const li = document.createElement("li");
  li.className = "message";
  li.textContent = e.data;
  log.appendChild(li);
};
ws.onerror = () => { status.textContent = "error"; };
ws.onclose = (e) => { status.textContent = "closed:" + e.code; };
document.getElementById("f").onsubmit = (e) => {
  e.preventDefault();
  const input = document.getElementById("msg");
  ws.send(input.value);
  input.value = "";
};
</script>
</body></html>
"#;

async fn socket(
    req: HttpRequest,
    body: web::Payload,
    accepted: web::Data<Accepted>,
) -> Result<HttpResponse, Error> {
    let (response, mut session, mut messages) = actix_ws::handle(&req, body)?;
    accepted.0.fetch_add(1, Ordering::SeqCst);
    actix_web::rt::spawn(async move {
        while let Some(Ok(msg)) = messages.recv().await {
            let sent = match msg {
                Message::Text(text) => session.text(format!("echo: {text}")).await,
                Message::Ping(bytes) => session.pong(&bytes).await,
                Message::Close(reason) => {
                    let _ = session.close(reason).await;
                    return;
                }
                _ => Ok(()),
            };
            if sent.is_err() {
                return;
            }
        }
        let _ = session.close(None).await;
    });
    Ok(response)
}

async fn stats(accepted: web::Data<Accepted>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "accepted": accepted.count() }))
}
