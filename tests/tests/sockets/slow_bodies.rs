//! Row T21 over real sockets: a body the middleware reads for the token
//! that arrives slower than the scan allows (a few bytes then silence, or
//! a trickle under the minimum rate) is answered `408` with
//! `X-XSRF-Rejection: body-timeout`, the handler does not run, and the
//! server closes the connection; nothing is left open or in CLOSE_WAIT.
//! A request to a path no route matches is not read at all (its `404`
//! comes while its body is still unsent). Hundreds of stalled connections
//! do not keep a legitimate request waiting. And a refusal whose chunked
//! body stalls closes its connection (the drain's bound) instead of
//! leaving actix to read the rest for ever.
//!
//! The apps here wait 1 s (3 s for the crowd) where the default is 20 s,
//! so the tests take seconds; the rule is the same.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use xsrf_actix::{BodyWait, Rollout, Transport};
use xsrf_tests::fixture::{Log, clock, key_a, multipart_body, routes};
use xsrf_tests::server::{TestServer, sockets_on, tcp_state};

use crate::site::{Site, visit};

/// The idle limit of the app under test.
const IDLE: Duration = Duration::from_secs(1);

/// Its minimum rate, bytes per second.
const MIN_RATE: u32 = 100;

/// How long a test waits for an answer before calling the request hung.
/// Not a speed measure: the answer comes after the idle limit (plus the
/// server's linger of 1 s before it closes), a hung request never.
const HANG: Duration = Duration::from_secs(8);

/// What a test allows past a limit the app sets before calling the limit
/// not kept: a margin for a loaded machine, not a speed measure (a limit
/// not kept is missed by far more: the default is 20 s, no limit never).
const MARGIN: Duration = Duration::from_secs(2);

async fn start(idle: Duration) -> (TestServer, Log) {
    start_reporting(idle, false).await
}

async fn start_reporting(idle: Duration, report_only: bool) -> (TestServer, Log) {
    let log = Log::default();
    let idle = xsrf_actix::time::Duration::try_from(idle).expect("idle");
    // No site origin: the port is only known once bound, so Origin is
    // compared with the Host header.
    let rollout = if report_only {
        Rollout::report_only()
    } else {
        Rollout::enforce()
    };
    let xsrf = xsrf_actix::Xsrf::builder()
        .secret(key_a())
        .clock(clock())
        .transport(Transport::new().body_wait(BodyWait::new(idle, MIN_RATE)))
        .rollout(rollout)
        .build()
        .expect("xsrf");
    let srv = TestServer::start_with_routes(xsrf, log.clone(), routes)
        .await
        .expect("server");
    (srv, log)
}

/// How a body is framed on the wire.
#[derive(Debug, Clone, Copy)]
enum Framing {
    /// `Content-Length` of this many bytes (more than will be sent).
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

impl Site {
    /// A keep-alive request head (no `Connection: close`: if the
    /// connection closes, the server chose to) from this visitor.
    fn head(&self, path: &str, origin: &str, content_type: &str, framing: Framing) -> Vec<u8> {
        let cookies: Vec<String> = self
            .client
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let framing = match framing {
            Framing::Length(n) => format!("Content-Length: {n}"),
            Framing::Chunked => "Transfer-Encoding: chunked".to_owned(),
        };
        format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nOrigin: {origin}\r\nContent-Type: {content_type}\r\nCookie: {}\r\n{framing}\r\n\r\n",
            self.addr,
            cookies.join("; ")
        )
        .into_bytes()
    }

    /// Opens a connection and sends a request head with the first bytes
    /// of its body; the rest never comes. Returns it and when it stopped.
    async fn stall(&self, path: &str, content_type: &str, first: &[u8]) -> (TcpStream, Instant) {
        let mut bytes = self.head(path, &self.origin, content_type, Framing::Length(100_000));
        bytes.extend_from_slice(first);
        let mut s = TcpStream::connect(self.addr).await.expect("connect");
        s.write_all(&bytes).await.expect("write");
        (s, Instant::now())
    }
}

/// What came back on a connection.
#[derive(Debug)]
struct Answer {
    status: u16,
    /// Header lines, names lower-cased.
    headers: Vec<(String, String)>,
    /// How long after the body stopped the answer came.
    after: Duration,
    /// The server closed the connection after its answer (a read returned
    /// 0) within [`HANG`].
    closed: bool,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads the answer on `s` to a request whose body stopped at `since`,
/// then on until the server closes (within [`HANG`] in all); `None` when
/// no answer came at all.
async fn answer(s: &mut TcpStream, since: Instant) -> Option<Answer> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut head_at = None;
    let closed = tokio::time::timeout(HANG, async {
        loop {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            if head_at.is_none() && buf.windows(4).any(|w| w == b"\r\n\r\n") {
                head_at = Some(Instant::now());
            }
        }
    })
    .await
    .is_ok();
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(Answer {
        status,
        headers,
        after: head_at?.duration_since(since),
        closed,
    })
}

/// The status of the response on a kept-alive connection (its head only;
/// the connection stays open).
async fn status(s: &mut TcpStream) -> Option<u16> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    tokio::time::timeout(HANG, async {
        while !buf.ends_with(b"\r\n\r\n") {
            match s.read(&mut byte).await {
                Ok(0) | Err(_) => return,
                Ok(_) => buf.push(byte[0]),
            }
        }
    })
    .await
    .ok()?;
    std::str::from_utf8(&buf)
        .ok()?
        .split(' ')
        .nth(1)?
        .parse()
        .ok()
}

/// The server's open connections on `port`: established, or left in
/// CLOSE_WAIT by a client that went away.
fn open_on(port: u16) -> usize {
    sockets_on(port, &[tcp_state::ESTABLISHED, tcp_state::CLOSE_WAIT])
}

/// Waits (bounded) until the server holds at least `n` connections on
/// `port` (the kernel has them as soon as the handshake is done), then
/// returns how many it holds.
async fn open_at_least(port: u16, n: usize) -> usize {
    for _ in 0..100 {
        if open_on(port) >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    open_on(port)
}

/// Waits (bounded) for the server's connections on `port` to be gone,
/// then returns how many are still open.
async fn open_after_settling(port: u16) -> usize {
    for _ in 0..50 {
        if open_on(port) == 0 {
            return 0;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    open_on(port)
}

/// The three bodies the middleware reads for a token, each cut after its
/// first bytes: path, content type, the bytes sent.
fn cut_bodies(token: &str) -> [(&'static str, &'static str, Vec<u8>); 3] {
    let form = format!("body=stalled&xsrf_token={token}");
    let json = format!(r#"{{"body":"stalled","xsrf_token":"{token}""#);
    let mut multipart = multipart_body("XyZ", &[("body", b"stalled")]);
    // Up to the end of the first part: the closing boundary never comes.
    multipart.truncate(multipart.len() - "--XyZ--\r\n".len());
    [
        (
            "/comments",
            "application/x-www-form-urlencoded",
            form.as_bytes()[..12].to_vec(),
        ),
        ("/api/comments", "application/json", json.into_bytes()),
        ("/upload", "multipart/form-data; boundary=XyZ", multipart),
    ]
}

#[actix_web::test]
async fn t21_a_stalled_body_gets_408_and_its_connection_closed_without_the_handler() {
    let (srv, log) = start(IDLE).await;
    let port = srv.addr.port();
    let site = visit(srv.addr).await;
    assert_eq!(open_after_settling(port).await, 0, "open before");
    let mut stalled = Vec::new();
    for (path, content_type, first) in cut_bodies(&site.token) {
        stalled.push((path, site.stall(path, content_type, &first).await));
    }
    // While they wait, each holds a connection.
    assert_eq!(open_at_least(port, stalled.len()).await, stalled.len());
    for (path, (s, since)) in &mut stalled {
        let a = answer(s, *since)
            .await
            .unwrap_or_else(|| panic!("{path}: no answer"));
        assert_eq!(a.status, 408, "{path}: {a:?}");
        // Within the idle limit the app documents (and not before it).
        assert!(a.after >= IDLE, "{path}: cut early, {a:?}");
        assert!(a.after < IDLE + MARGIN, "{path}: limit not kept, {a:?}");
        assert_eq!(a.header("x-xsrf-rejection"), Some("body-timeout"), "{path}");
        assert_eq!(a.header("connection"), Some("close"), "{path}");
        assert!(a.closed, "{path}: the server kept the connection open");
    }
    assert!(log.is_empty(), "a handler ran: {:?}", log.entries());
    drop(stalled);
    assert_eq!(open_after_settling(port).await, 0, "open after");
    srv.stop().await;
}

#[actix_web::test]
async fn t21_report_only_mode_still_answers_a_stalled_body_408() {
    // Report-only lets through what enforce mode would refuse for a token
    // or origin reason; a body that never arrived whole is neither, and a
    // handler let through would wait on the rest without bound.
    let (srv, log) = start_reporting(IDLE, true).await;
    let site = visit(srv.addr).await;
    let [(path, content_type, first), ..] = cut_bodies(&site.token);
    let (mut s, since) = site.stall(path, content_type, &first).await;
    let a = answer(&mut s, since).await.expect("an answer");
    assert_eq!(a.status, 408, "{a:?}");
    assert!(a.after < IDLE + MARGIN, "limit not kept, {a:?}");
    assert_eq!(a.header("x-xsrf-rejection"), Some("body-timeout"));
    assert_eq!(a.header("x-xsrf-report-only"), None);
    assert!(a.closed, "the server kept the connection open");
    assert!(log.is_empty(), "a handler ran: {:?}", log.entries());
    srv.stop().await;
}

#[actix_web::test]
async fn t21_a_stalled_body_to_no_route_is_not_read_and_gets_its_404_at_once() {
    let (srv, log) = start(IDLE).await;
    let port = srv.addr.port();
    let site = visit(srv.addr).await;
    for (path, content_type, first) in cut_bodies(&site.token) {
        let nope = format!("/t21/nope{path}");
        let (mut s, since) = site.stall(&nope, content_type, &first).await;
        let a = answer(&mut s, since)
            .await
            .unwrap_or_else(|| panic!("{nope}: no answer"));
        // A scan would have waited for the body and ended in 408: the 404
        // shows the body was never waited for.
        assert_eq!(a.status, 404, "{nope}: {a:?}");
        assert!(a.closed, "{nope}: the server kept the connection open");
    }
    assert!(log.is_empty(), "a handler ran: {:?}", log.entries());
    assert_eq!(open_after_settling(port).await, 0, "open after");
    srv.stop().await;
}

/// Sends `body` in pieces of `piece` bytes, `gap` apart (every gap far
/// under the idle limit), until it is all sent or answered; returns the
/// connection and when its head was sent.
async fn trickle(
    site: &Site,
    body: &[u8],
    declared: usize,
    piece: usize,
    gap: Duration,
) -> (TcpStream, Instant) {
    let head = site.head(
        "/comments",
        &site.origin,
        "application/x-www-form-urlencoded",
        Framing::Length(declared),
    );
    let mut s = TcpStream::connect(site.addr).await.expect("connect");
    s.write_all(&head).await.expect("write head");
    let start = Instant::now();
    for bytes in body.chunks(piece) {
        // A peek, not a read: an answer, once there, stays for `answer`.
        let mut one = [0u8; 1];
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(1), s.peek(&mut one)).await {
            break;
        }
        if s.write_all(bytes).await.is_err() {
            break;
        }
        tokio::time::sleep(gap).await;
    }
    (s, start)
}

#[actix_web::test]
async fn t21_a_trickle_below_the_minimum_rate_gets_408_one_above_it_is_served() {
    let (srv, log) = start(IDLE).await;
    let port = srv.addr.port();
    let site = visit(srv.addr).await;
    assert!(Duration::from_millis(400) < IDLE / 2);
    // 10 bytes every 400 ms: 25 bytes a second, a quarter of the minimum
    // rate; no pause comes near the idle limit, so only the rate can end
    // it (at about 1.3 s: 1 s + 25 t / 100 < t).
    let slow = format!("body={}", "a".repeat(4000));
    let (mut s, since) = trickle(
        &site,
        slow.as_bytes(),
        100_000,
        10,
        Duration::from_millis(400),
    )
    .await;
    let a = answer(&mut s, since)
        .await
        .expect("the trickle is answered");
    assert_eq!(a.status, 408, "{a:?}");
    // The rate's deadline: at time t, 1 s + 25 t / 100 s, passed at
    // t = 4/3 s.
    assert!(a.after < IDLE * 4 / 3 + MARGIN, "limit not kept, {a:?}");
    assert_eq!(a.header("x-xsrf-rejection"), Some("body-timeout"));
    assert!(a.closed, "the server kept the connection open");
    assert!(log.is_empty(), "a handler ran: {:?}", log.entries());
    // 40 bytes every 100 ms, four times the minimum rate, pausing under
    // the idle limit: read to its end and served.
    let steady = format!("xsrf_token={}&body=steady{}", site.token, "b".repeat(300));
    let (mut s, _) = trickle(
        &site,
        steady.as_bytes(),
        steady.len(),
        40,
        Duration::from_millis(100),
    )
    .await;
    assert_eq!(status(&mut s).await, Some(303), "the steady body");
    assert_eq!(log.entries().len(), 1, "{:?}", log.entries());
    drop(s);
    assert_eq!(open_after_settling(port).await, 0, "open after");
    srv.stop().await;
}

/// The crowd of stalled connections.
const CROWD: usize = 300;

#[actix_web::test]
async fn t21_hundreds_of_stalled_connections_do_not_keep_a_legitimate_post_waiting() {
    // Longer than the others: the crowd must still be waiting when the
    // legitimate request is answered, however slowly it is set up.
    let (srv, log) = start(3 * IDLE).await;
    let port = srv.addr.port();
    let site = visit(srv.addr).await;
    assert_eq!(open_after_settling(port).await, 0, "open before");
    let first = vec![b'a'; 4096];
    let mut crowd = Vec::with_capacity(CROWD);
    for _ in 0..CROWD {
        crowd.push(
            site.stall("/comments", "application/x-www-form-urlencoded", &first)
                .await,
        );
    }
    // The server holds every one of them. At least: `/proc/net/tcp` is
    // the whole namespace's, and a client socket of another test process
    // running beside this one can have the server's port as its own local
    // port (seen once: 302 under the full suite).
    let held = open_at_least(port, CROWD).await;
    assert!(held >= CROWD, "the server's side of the crowd: {held}");
    let mut c = site.client.clone();
    let body = format!("xsrf_token={}&body=legitimate", site.token);
    let origin = site.origin.clone();
    let r = c
        .send(
            srv.addr,
            "POST",
            "/comments",
            &[
                ("Origin", origin.as_str()),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body.as_bytes(),
        )
        .await
        .expect("the legitimate post");
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(log.entries(), ["comment:legitimate"]);
    // Answered while every stalled request was still waiting: none of
    // them has been answered yet.
    let mut one = [0u8; 1];
    let answered = crowd
        .iter()
        .map(|(s, _)| s)
        .filter(|s| !matches!(s.try_read(&mut one), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock))
        .count();
    assert_eq!(
        answered, 0,
        "stalled requests answered before the legitimate one"
    );
    // Then each gets its 408 and its connection closed.
    let answers =
        futures_util::future::join_all(crowd.iter_mut().map(|(s, since)| answer(s, *since))).await;
    for (i, a) in answers.iter().enumerate() {
        let a = a
            .as_ref()
            .unwrap_or_else(|| panic!("stalled {i}: no answer"));
        assert_eq!(a.status, 408, "stalled {i}: {a:?}");
        assert!(a.closed, "stalled {i}: the server kept the connection open");
    }
    assert_eq!(log.entries(), ["comment:legitimate"]);
    drop(crowd);
    assert_eq!(open_after_settling(port).await, 0, "open after");
    srv.stop().await;
}

/// One chunk of a chunked body.
fn chunk(bytes: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", bytes.len()).into_bytes();
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
    out
}

#[actix_web::test]
async fn t21_a_stalled_chunked_body_closes_its_connection_after_a_refusal_or_a_408() {
    let (srv, log) = start(IDLE).await;
    let port = srv.addr.port();
    let site = visit(srv.addr).await;
    // Refused from the headers (a foreign Origin): the drain waits its
    // second for the rest, then answers and closes; actix alone would
    // keep reading the chunked body for as long as it trickles.
    let mut forged = site.head(
        "/comments",
        "https://evil.example",
        "application/x-www-form-urlencoded",
        Framing::Chunked,
    );
    forged.extend_from_slice(&chunk(b"body=forged"));
    // Read for the token, and too slow: 408, closed.
    let mut slow = site.head(
        "/comments",
        &site.origin,
        "application/x-www-form-urlencoded",
        Framing::Chunked,
    );
    slow.extend_from_slice(&chunk(b"body=slow"));
    for (what, bytes, status) in [("forged", forged, 403), ("slow", slow, 408)] {
        let mut s = TcpStream::connect(srv.addr).await.expect("connect");
        s.write_all(&bytes).await.expect("write");
        let a = answer(&mut s, Instant::now())
            .await
            .unwrap_or_else(|| panic!("{what}: no answer"));
        assert_eq!(a.status, status, "{what}: {a:?}");
        assert_eq!(a.header("connection"), Some("close"), "{what}");
        assert!(a.closed, "{what}: the server kept the connection open");
    }
    assert!(log.is_empty(), "a handler ran: {:?}", log.entries());
    assert_eq!(open_after_settling(port).await, 0, "open after");
    srv.stop().await;
}
