//! Row O14 in a real browser: headless Chromium opens the chat example's
//! WebSocket from the chat's own page and exchanges a message; attacker
//! pages on another port, visited as `127.0.0.1` (same site, other origin)
//! and as `localhost` (cross site), try to open the same socket with the
//! victim's cookies and fail: the page sees `error` and `close` (1006), the
//! server answered the handshake `403` and its counter of accepted sockets
//! does not move.
//!
//! Needs Chromium and chromedriver like `forms.rs` (a missing one is a
//! failure, never a skip).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::dev::{ServerHandle, Service as _};
use actix_web::{App, HttpResponse, HttpServer, cookie, web};
use fantoccini::Client;
use futures_util::FutureExt as _;
use xsrf_actix::{SigningKey, Xsrf};
use xsrf_examples::chat::{self, Accepted};
use xsrf_examples::support;
use xsrf_tests::browser::{Driver, browser_binaries, connect, element, eventually, text_of};

/// Statuses the chat answered to handshakes (`GET /ws`), in order.
#[derive(Clone, Default)]
struct Handshakes(Arc<Mutex<Vec<u16>>>);

impl Handshakes {
    fn all(&self) -> Vec<u16> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

struct Chat {
    addr: SocketAddr,
    handle: ServerHandle,
    accepted: web::Data<Accepted>,
    handshakes: Handshakes,
}

/// The chat example as its binary runs it (both loopback names as site
/// origins), on a free port.
fn start_chat() -> Chat {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let port = addr.port();
    let xsrf = Xsrf::builder()
        .secret(SigningKey::generate().expect("key"))
        .site_origin(format!("http://127.0.0.1:{port}"))
        .site_origin(format!("http://localhost:{port}"))
        .build()
        .expect("xsrf settings");
    let accepted = web::Data::new(Accepted::default());
    let handshakes = Handshakes::default();
    let session_key = cookie::Key::generate();
    let (a, h) = (accepted.clone(), handshakes.clone());
    let server = HttpServer::new(move || {
        let h = h.clone();
        let sessions = support::cookie_sessions(&xsrf, session_key.clone(), chat::SESSION_COOKIE);
        chat::app(xsrf.clone(), a.clone(), sessions).wrap_fn(move |req, srv| {
            let ws = req.path() == "/ws";
            let h = h.clone();
            let fut = srv.call(req);
            async move {
                let res = fut.await?;
                if ws {
                    h.0.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(res.status().as_u16());
                }
                Ok(res)
            }
        })
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Chat {
        addr,
        handle,
        accepted,
        handshakes,
    }
}

/// The attacker: a page on another port that opens the chat's socket at
/// `ws://127.0.0.1:{chat port}/ws` and reports what happened.
fn start_attacker(chat_port: u16) -> (SocketAddr, ServerHandle) {
    let server = HttpServer::new(move || {
        App::new().route(
            "/hijack",
            web::get().to(move || async move {
                HttpResponse::Ok()
                    .content_type("text/html; charset=utf-8")
                    .body(format!(
                        r#"<!doctype html><html><body><h1>Free stuff</h1>
<script>
const events = [];
const report = () => {{
  const p = document.createElement("p");
  p.id = "done";
  p.textContent = events.join(" ");
  document.body.appendChild(p);
}};
const ws = new WebSocket("ws://127.0.0.1:{chat_port}/ws");
ws.onopen = () => {{ events.push("open"); ws.send("whoami"); }};
ws.onmessage = (e) => {{ events.push("message:" + e.data); }};
ws.onerror = () => {{ events.push("error"); }};
ws.onclose = (e) => {{ events.push("close:" + e.code); report(); }};
</script></body></html>"#
                    ))
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .expect("bind");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (addr, handle)
}

/// The chat's own page opens the socket and gets its echo.
async fn own_page_talks(c: &Client, chat: &Chat) {
    c.goto(&format!("http://127.0.0.1:{}/", chat.addr.port()))
        .await
        .expect("open the chat");
    assert_eq!(text_of(c, "li.message").await, "echo: hello");
    assert_eq!(text_of(c, "#status").await, "open");
    assert_eq!(chat.accepted.count(), 1);
    assert_eq!(chat.handshakes.all(), [101]);
}

/// An attacker page visited as `host` fails to open the socket.
async fn hijack_fails(c: &Client, chat: &Chat, attacker: SocketAddr, host: &str) {
    let before = chat.handshakes.all().len();
    c.goto(&format!("http://{host}:{}/hijack", attacker.port()))
        .await
        .expect("open the attacker's page");
    let seen = text_of(c, "#done").await;
    assert!(
        seen.contains("error") && seen.contains("close:1006"),
        "{host}: the page saw {seen:?}"
    );
    assert!(
        !seen.contains("open") && !seen.contains("message"),
        "{host}: {seen:?}"
    );
    eventually("the handshake to be answered", || {
        chat.handshakes.all().len() > before
    })
    .await;
    assert_eq!(chat.handshakes.all()[before..], [403], "{host}");
    assert_eq!(
        chat.accepted.count(),
        1,
        "{host}: the server accepted a socket"
    );
}

#[actix_web::test]
async fn o14_browser_websocket_from_own_page_works_and_from_others_fails() {
    let _one = crate::ONE_BROWSER.lock().await;
    let (chromium, driver_bin) = browser_binaries();
    let scratch =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("browser-ws-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);

    let chat = start_chat();
    let (attacker, attacker_handle) = start_attacker(chat.addr.port());
    let driver = Driver::start(&driver_bin, &scratch);
    let client = connect(&driver, &chromium).await;

    let outcome = std::panic::AssertUnwindSafe(async {
        own_page_talks(&client, &chat).await;
        for host in ["127.0.0.1", "localhost"] {
            hijack_fails(&client, &chat, attacker, host).await;
        }
        // The victim's page still works afterwards.
        client
            .goto(&format!("http://127.0.0.1:{}/", chat.addr.port()))
            .await
            .expect("open the chat again");
        element(&client, "li.message").await;
        assert_eq!(chat.accepted.count(), 2);
    })
    .catch_unwind()
    .await;

    let closed = client.close().await;
    drop(driver);
    chat.handle.stop(false).await;
    attacker_handle.stop(false).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    closed.expect("close the browser session");
}
