//! Row T19 over real sockets: bodies that never finish properly are
//! answered (or the connection closed) promptly, the handler's side effect
//! does not happen, and the server holds no connection in CLOSE_WAIT
//! afterwards.
//!
//! The multipart cases are the ones actix-multipart 0.7 hung on: its
//! `Field` returned `Pending` at end of input without arranging a wake-up,
//! so the request was never answered and the socket stayed in CLOSE_WAIT
//! after the client left. 0.8 answers `MultipartError::Incomplete`.

use std::net::SocketAddr;
use std::time::Duration;

use actix_multipart::Multipart;
use actix_web::{HttpResponse, web};
use futures_util::TryStreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use xsrf_actix::ValidXsrf;
use xsrf_tests::fixture::{Log, clock, key_a};
use xsrf_tests::server::{RawClient, TestServer, sockets_on, tcp_state};

use crate::site::visit;

/// How long a refusal may take before the request counts as hung. Not a
/// speed measure: a hung request never ends, a served one ends in
/// milliseconds.
const ANSWER_WITHIN: Duration = Duration::from_secs(1);

/// An upload handler written the way a real one is: it stops at the first
/// error of the multipart stream and records only a complete upload.
async fn upload(
    _: ValidXsrf,
    mut parts: Multipart,
    log: web::Data<Log>,
) -> actix_web::Result<HttpResponse> {
    let mut seen = Vec::new();
    while let Some(mut field) = parts.try_next().await? {
        let name = field.name().unwrap_or("").to_owned();
        let mut len = 0;
        while let Some(chunk) = field.try_next().await? {
            len += chunk.len();
        }
        seen.push(format!("{name}={len}"));
    }
    log.push(format!("upload:{}", seen.join(",")));
    Ok(HttpResponse::Ok().finish())
}

async fn form(
    _: ValidXsrf,
    body: web::Form<Vec<(String, String)>>,
    log: web::Data<Log>,
) -> HttpResponse {
    log.push(format!("form:{}", body.len()));
    HttpResponse::Ok().finish()
}

fn routes(cfg: &mut web::ServiceConfig) {
    xsrf_tests::fixture::routes(cfg);
    cfg.route("/t19/upload", web::post().to(upload))
        .route("/t19/form", web::post().to(form));
}

async fn start() -> (TestServer, Log) {
    let log = Log::default();
    let xsrf = xsrf_actix::Xsrf::builder()
        .secret(key_a())
        .clock(clock())
        .build()
        .expect("xsrf");
    let srv = TestServer::start_with_routes(xsrf, log.clone(), routes)
        .await
        .expect("server");
    (srv, log)
}

/// The server's sockets on `port` that are in CLOSE_WAIT: the peer has
/// closed, we have not.
fn close_wait_on(port: u16) -> usize {
    sockets_on(port, &[tcp_state::CLOSE_WAIT])
}

/// Waits (bounded) for the server to close what the clients left, then
/// returns how many sockets are still in CLOSE_WAIT.
pub(crate) async fn close_wait_after_settling(port: u16) -> usize {
    for _ in 0..30 {
        if close_wait_on(port) == 0 {
            return 0;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    close_wait_on(port)
}

/// What came back on a connection within [`ANSWER_WITHIN`].
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// A status line was read (the rest of the response may follow).
    Answered(u16),
    /// The server closed the connection without an answer.
    Closed,
    /// Nothing within the deadline: the request hangs.
    Hung,
}

async fn outcome(stream: &mut TcpStream) -> Outcome {
    let mut buf = Vec::new();
    let read = tokio::time::timeout(ANSWER_WITHIN, async {
        let mut chunk = [0u8; 1024];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    if buf.windows(2).any(|w| w == b"\r\n") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    if read.is_err() {
        return Outcome::Hung;
    }
    let status = std::str::from_utf8(&buf)
        .ok()
        .and_then(|s| s.split(' ').nth(1))
        .and_then(|s| s.parse().ok());
    status.map_or(Outcome::Closed, Outcome::Answered)
}

/// Request bytes with the given headers and body, and a Content-Length
/// that says `declared` bytes.
fn request(
    client: &RawClient,
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    declared: usize,
) -> Vec<u8> {
    let bytes = client.request("POST", path, addr, headers, b"");
    let head = String::from_utf8(bytes).expect("ascii").replace(
        "Content-Length: 0\r\n",
        &format!("Content-Length: {declared}\r\n"),
    );
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

const UNTERMINATED_WITH_CRLF: &[u8] =
    b"--XyZ\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nx\r\n";
const UNTERMINATED_NO_CRLF: &[u8] =
    b"--XyZ\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nx";

#[actix_web::test]
async fn t19_unterminated_multipart_is_answered_and_leaves_no_close_wait() {
    let (srv, log) = start().await;
    let site = visit(srv.addr).await;
    for (content_type, body) in [
        ("multipart/form-data; boundary=XyZ", UNTERMINATED_WITH_CRLF),
        ("multipart/form-data; boundary=XyZ", UNTERMINATED_NO_CRLF),
        // Not a type the middleware scans: only the handler's parser reads it.
        ("multipart/mixed; boundary=XyZ", UNTERMINATED_WITH_CRLF),
    ] {
        for token_in_header in [true, false] {
            let mut headers = vec![
                ("Origin", site.origin.as_str()),
                ("Content-Type", content_type),
            ];
            if token_in_header {
                headers.push(("X-XSRF-Token", site.token.as_str()));
            }
            let req = request(
                &site.client,
                srv.addr,
                "/t19/upload",
                &headers,
                body,
                body.len(),
            );
            let mut s = TcpStream::connect(srv.addr).await.expect("connect");
            s.write_all(&req).await.expect("write");
            let got = outcome(&mut s).await;
            assert!(
                matches!(got, Outcome::Answered(400 | 403) | Outcome::Closed),
                "{content_type}, header token {token_in_header}, {:?}: {got:?}",
                String::from_utf8_lossy(body)
            );
            // The client leaves without reading the rest.
            drop(s);
        }
    }
    assert_eq!(close_wait_after_settling(srv.addr.port()).await, 0);
    assert!(log.is_empty(), "handler ran: {:?}", log.entries());
    srv.stop().await;
}

#[actix_web::test]
async fn t19_truncated_urlencoded_is_answered_and_leaves_no_close_wait() {
    let (srv, log) = start().await;
    let site = visit(srv.addr).await;
    let body = format!("a=1&xsrf_token={}&b=", site.token);
    for token_in_header in [true, false] {
        let mut headers = vec![
            ("Origin", site.origin.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        if token_in_header {
            headers.push(("X-XSRF-Token", site.token.as_str()));
        }
        // Content-Length promises more than arrives; the client then
        // half-closes: end of input mid-body.
        let req = request(
            &site.client,
            srv.addr,
            "/t19/form",
            &headers,
            body.as_bytes(),
            body.len() + 500,
        );
        let mut s = TcpStream::connect(srv.addr).await.expect("connect");
        s.write_all(&req).await.expect("write");
        s.shutdown().await.expect("half-close");
        let got = outcome(&mut s).await;
        assert!(
            matches!(got, Outcome::Answered(400 | 403) | Outcome::Closed),
            "header token {token_in_header}: {got:?}"
        );
    }
    assert_eq!(close_wait_after_settling(srv.addr.port()).await, 0);
    assert!(log.is_empty(), "handler ran: {:?}", log.entries());
    srv.stop().await;
}

#[actix_web::test]
async fn t19_client_gone_mid_body_leaves_no_close_wait() {
    let (srv, log) = start().await;
    let site = visit(srv.addr).await;
    let cases: [(&str, &str, Vec<u8>); 2] = [
        (
            "/t19/form",
            "application/x-www-form-urlencoded",
            format!("xsrf_token={}&body=", site.token).into_bytes(),
        ),
        (
            "/t19/upload",
            "multipart/form-data; boundary=XyZ",
            format!(
                "--XyZ\r\nContent-Disposition: form-data; name=\"xsrf_token\"\r\n\r\n{}\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f\"\r\n\r\npartial",
                site.token
            )
            .into_bytes(),
        ),
    ];
    for (path, content_type, body) in &cases {
        let headers = [
            ("Origin", site.origin.as_str()),
            ("Content-Type", *content_type),
        ];
        let req = request(
            &site.client,
            srv.addr,
            path,
            &headers,
            body,
            body.len() + 10_000,
        );
        let mut s = TcpStream::connect(srv.addr).await.expect("connect");
        s.write_all(&req).await.expect("write");
        s.flush().await.expect("flush");
        // Let the server start on the body, then vanish.
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(s);
    }
    assert_eq!(close_wait_after_settling(srv.addr.port()).await, 0);
    assert!(log.is_empty(), "handler ran: {:?}", log.entries());
    // And it still serves.
    let mut c = RawClient::default();
    let r = c
        .send(srv.addr, "GET", "/form", &[], b"")
        .await
        .expect("get");
    assert_eq!(r.status, 200);
    srv.stop().await;
}
