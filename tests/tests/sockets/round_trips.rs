//! Over real sockets: a form round trip, slow and aborted bodies (T15), and
//! one one-time key raced by 200 concurrent HTTP requests (K2, memory store).

use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;
use xsrf_tests::fixture::{Log, clock, key_a};
use xsrf_tests::server::{RawClient, TestServer, race_one_time_key, read_response};

fn site_headers(addr: std::net::SocketAddr) -> Vec<(&'static str, String)> {
    vec![
        ("Origin", format!("http://{addr}")),
        ("Sec-Fetch-Site", "same-origin".to_owned()),
    ]
}

async fn start() -> (TestServer, Log) {
    let log = Log::default();
    // No site origin: the port is only known once bound, so Origin is
    // compared with the Host header.
    let xsrf = xsrf_actix::Xsrf::builder()
        .secret(key_a())
        .clock(clock())
        .build()
        .expect("xsrf");
    (
        TestServer::start(xsrf, log.clone()).await.expect("server"),
        log,
    )
}

#[actix_web::test]
async fn t10_form_round_trip_over_a_real_socket() {
    let (srv, log) = start().await;
    let mut c = RawClient::default();
    let token = c.token(srv.addr).await.expect("token");
    let origin = format!("http://{}", srv.addr);
    let body = format!("xsrf_token={token}&body=over+tcp");
    let r = c
        .send(
            srv.addr,
            "POST",
            "/comments",
            &[
                ("Origin", &origin),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body.as_bytes(),
        )
        .await
        .expect("post");
    assert_eq!(r.status, 303, "{}", r.text());
    // Cross-site over the wire: refused.
    let r = c
        .send(
            srv.addr,
            "POST",
            "/comments",
            &[
                ("Origin", "http://evil.example"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body.as_bytes(),
        )
        .await
        .expect("post");
    assert_eq!(r.status, 403);
    assert_eq!(log.entries(), ["comment:over tcp"]);
    srv.stop().await;
}

#[actix_web::test]
async fn t15_slow_and_aborted_bodies_do_not_crash_or_run_the_handler() {
    let (srv, log) = start().await;
    let mut c = RawClient::default();
    let token = c.token(srv.addr).await.expect("token");
    let headers: Vec<(&str, String)> = site_headers(srv.addr);
    let hdrs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain([("Content-Type", "application/x-www-form-urlencoded")])
        .collect();

    // Aborted: Content-Length promises 1000 bytes, 40 arrive, then EOF.
    let body = format!("body=aborted&xsrf_token={}", &token[..10]);
    let mut req = c.request("POST", "/comments", srv.addr, &hdrs, b"");
    let cut = req.len() - 4; // replace the Content-Length: 0 ending
    req.truncate(cut);
    let mut req = String::from_utf8(req)
        .expect("ascii")
        .replace("Content-Length: 0", "Content-Length: 1000")
        .into_bytes();
    req.extend_from_slice(b"\r\n\r\n");
    req.extend_from_slice(body.as_bytes());
    let mut s = TcpStream::connect(srv.addr).await.expect("connect");
    s.write_all(&req).await.expect("write");
    s.shutdown().await.expect("half-close");
    // The server answers (a refusal) or just closes; either way no handler.
    let _ = read_response(&mut s).await;

    // Slow: the token arrives in three pieces 300 ms apart: accepted.
    let body = format!("xsrf_token={token}&body=slow");
    let full = c.request("POST", "/comments", srv.addr, &hdrs, body.as_bytes());
    let mut s = TcpStream::connect(srv.addr).await.expect("connect");
    for piece in full.chunks(full.len() / 3 + 1) {
        s.write_all(piece).await.expect("write");
        s.flush().await.expect("flush");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let r = read_response(&mut s).await.expect("slow response");
    assert_eq!(r.status, 303, "{}", r.text());

    // The server still serves.
    let r = c
        .send(srv.addr, "GET", "/form", &[], b"")
        .await
        .expect("get");
    assert_eq!(r.status, 200);
    assert_eq!(log.entries(), ["comment:slow"]);
    srv.stop().await;
}

#[actix_web::test]
async fn k2_memory_store_one_key_raced_by_200_http_requests_has_one_winner() {
    let (srv, log) = start().await;
    let statuses = race_one_time_key(srv.addr, 200).await.expect("race");
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 403).count(), 199);
    assert_eq!(log.entries(), ["one-time:payload"]);
    srv.stop().await;
}

/// Reads one response off a kept-alive connection: the head, then as many
/// body bytes as its `Content-Length` says. `None` when the server closed
/// the connection before a response.
async fn read_one(stream: &mut TcpStream) -> Option<(u16, String)> {
    use tokio::io::AsyncReadExt as _;
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut byte))
            .await
            .expect("response in time")
            .expect("read");
        if n == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).await.expect("body");
    Some((status, head))
}

/// Issue 23 §4: a request refused from its headers alone (a foreign
/// `Origin`) keeps its keep-alive connection when its body is small (the
/// middleware reads and drops it); a body past the 64 KiB bound still
/// closes it. The handler never runs.
#[actix_web::test]
async fn refused_requests_with_small_bodies_keep_their_connection() {
    let (server, log) = start().await;
    let addr = server.addr;
    let forged = |body: &[u8], chunked: bool| {
        let mut head = format!(
            "POST /comments HTTP/1.1\r\nHost: {addr}\r\nOrigin: https://evil.example\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        );
        let mut bytes = Vec::new();
        if chunked {
            head.push_str("Transfer-Encoding: chunked\r\n\r\n");
            bytes.extend_from_slice(head.as_bytes());
            bytes.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
            bytes.extend_from_slice(body);
            bytes.extend_from_slice(b"\r\n0\r\n\r\n");
        } else {
            head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            bytes.extend_from_slice(head.as_bytes());
            bytes.extend_from_slice(body);
        }
        bytes
    };
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    // Three refusals on one connection: two with a length, one chunked.
    for (i, chunked) in [false, true, false].into_iter().enumerate() {
        stream
            .write_all(&forged(b"body=forged&xsrf_token=x", chunked))
            .await
            .expect("write");
        let (status, head) = read_one(&mut stream)
            .await
            .unwrap_or_else(|| panic!("request {i}: connection closed instead of answered"));
        assert_eq!(status, 403, "request {i}: {head}");
        assert!(!head.contains("connection: close"), "request {i}: {head}");
    }
    // Past the bound: answered, then the connection closes.
    let big = vec![b'a'; 100 * 1024];
    stream.write_all(&forged(&big, false)).await.expect("write");
    let (status, _) = read_one(&mut stream)
        .await
        .expect("the big one is answered");
    assert_eq!(status, 403);
    stream.write_all(&forged(b"body=after", false)).await.ok();
    assert!(
        read_one(&mut stream).await.is_none(),
        "the connection stayed open after a body past the bound"
    );
    assert!(log.is_empty(), "a handler ran: {:?}", log.entries());
    server.stop().await;
}
