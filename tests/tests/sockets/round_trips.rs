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
