//! A real listening server on loopback and a minimal raw HTTP/1.1 client,
//! for what `actix_web::test` cannot show: real sockets, concurrency, slow
//! and aborted bodies; and the example apps on a free port, as their
//! binaries run them.

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::storage::CookieSessionStore;
use actix_web::body::MessageBody;
use actix_web::dev::{ServerHandle, Service as _, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpServer, cookie, web};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};
use xsrf_actix::{SigningKey, TokenCookie, Xsrf, XsrfBuilder};
use xsrf_examples::forms::{self, Comments};

use crate::fixture::{Log, routes, session_middleware};

/// A loopback port that was free a moment ago (another process could
/// take it before it is bound again).
pub fn free_port() -> io::Result<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
}

/// TCP socket states as `/proc/net/tcp` writes them (hex).
pub mod tcp_state {
    /// An open connection.
    pub const ESTABLISHED: &str = "01";
    /// The peer has closed, this side has not: a socket leaked by a
    /// server that never closes what its clients left.
    pub const CLOSE_WAIT: &str = "08";
}

/// How many of this network namespace's IPv4 TCP sockets whose local port
/// is `port` are in one of `states` ([`tcp_state`]): for a server on
/// `port` in this process, its side of each connection.
pub fn sockets_on(port: u16, states: &[&str]) -> usize {
    let table = std::fs::read_to_string("/proc/self/net/tcp").expect("/proc/self/net/tcp");
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let local_port = cols
                .get(1)
                .and_then(|a| a.rsplit_once(':'))
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
            local_port == Some(port) && cols.get(3).is_some_and(|s| states.contains(s))
        })
        .count()
}

/// A running server; stopped on [`TestServer::stop`].
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    handle: ServerHandle,
}

impl TestServer {
    /// Starts the fixture app on a free loopback port.
    pub async fn start(xsrf: Xsrf, log: Log) -> io::Result<Self> {
        Self::start_with_routes(xsrf, log, routes).await
    }

    /// Starts an app with other routes (and the fixture's middleware and
    /// log) on a free loopback port.
    pub async fn start_with_routes(
        xsrf: Xsrf,
        log: Log,
        routes: fn(&mut web::ServiceConfig),
    ) -> io::Result<Self> {
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(log.clone()))
                .wrap(xsrf.clone())
                .wrap(session_middleware())
                .configure(routes)
        })
        .workers(2)
        .client_request_timeout(Duration::from_secs(2))
        .disable_signals()
        .bind(("127.0.0.1", 0))?;
        let addr = server
            .addrs()
            .first()
            .copied()
            .ok_or_else(|| io::Error::other("no address"))?;
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Ok(Self { addr, handle })
    }

    /// Stops the server gracefully.
    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

/// A response read off the wire.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// Status code.
    pub status: u16,
    /// Header lines, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl RawResponse {
    /// First header named `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// Body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends raw request bytes (`Connection: close` expected) and reads the
/// whole response.
pub async fn send_raw(addr: SocketAddr, request: &[u8]) -> io::Result<RawResponse> {
    send_raw_from(None, addr, request).await
}

/// [`send_raw`] from the local address `from` (any port), if given: on
/// Linux every address of 127.0.0.0/8 is the loopback's, so a test can be
/// two clients of different addresses (`127.0.0.1`, `127.0.0.2`).
pub async fn send_raw_from(
    from: Option<IpAddr>,
    addr: SocketAddr,
    request: &[u8],
) -> io::Result<RawResponse> {
    let mut stream = match from {
        None => TcpStream::connect(addr).await?,
        Some(ip) => {
            let socket = match ip {
                IpAddr::V4(_) => TcpSocket::new_v4()?,
                IpAddr::V6(_) => TcpSocket::new_v6()?,
            };
            socket.bind(SocketAddr::new(ip, 0))?;
            socket.connect(addr).await?
        }
    };
    stream.write_all(request).await?;
    read_response(&mut stream).await
}

/// Reads one response to EOF and parses it.
pub async fn read_response(stream: &mut TcpStream) -> io::Result<RawResponse> {
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut buf))
        .await
        .map_err(|_| io::Error::other("response timed out"))??;
    parse_response(&buf)
}

fn parse_response(buf: &[u8]) -> io::Result<RawResponse> {
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_owned());
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no header end"))?;
    let head = std::str::from_utf8(&buf[..end]).map_err(|_| bad("head not utf-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or_else(|| bad("no status line"))?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("bad status line"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(RawResponse {
        status,
        headers,
        body: buf[end + 4..].to_vec(),
    })
}

/// A cookie-keeping client over raw sockets.
#[derive(Debug, Clone, Default)]
pub struct RawClient {
    /// Cookies, by name.
    pub cookies: BTreeMap<String, String>,
    /// The local address it connects from (`None`: the system's choice).
    pub from: Option<IpAddr>,
}

impl RawClient {
    /// Builds request bytes with this client's cookies.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        addr: SocketAddr,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Vec<u8> {
        let mut out = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        for (k, v) in headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            out.push_str(&format!("Cookie: {}\r\n", jar.join("; ")));
        }
        out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        bytes
    }

    /// Sends a request and keeps the cookies the response sets.
    pub async fn send(
        &mut self,
        addr: SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<RawResponse> {
        let request = self.request(method, path, addr, headers, body);
        let res = send_raw_from(self.from, addr, &request).await?;
        self.keep_cookies(&res);
        Ok(res)
    }

    /// GETs `/form` and returns the token from its `X-XSRF-Token` header.
    pub async fn token(&mut self, addr: SocketAddr) -> io::Result<String> {
        let r = self.send(addr, "GET", "/form", &[], b"").await?;
        r.header("x-xsrf-token")
            .map(str::to_owned)
            .ok_or_else(|| io::Error::other(format!("no token header (status {})", r.status)))
    }

    /// Stores the cookies `res` sets.
    pub fn keep_cookies(&mut self, res: &RawResponse) {
        for (k, v) in &res.headers {
            if k == "set-cookie"
                && let Some((pair, _)) = v.split_once(';').or(Some((v.as_str(), "")))
                && let Some((name, value)) = pair.split_once('=')
            {
                self.cookies
                    .insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }
}

/// Creates a one-time key on the fixture app at `addr` (a fresh session),
/// then sends `n` requests using it all at once; returns their statuses.
pub async fn race_one_time_key(addr: SocketAddr, n: usize) -> io::Result<Vec<u16>> {
    let mut c = RawClient::default();
    let token = c.token(addr).await?;
    let origin = format!("http://{addr}");
    let created = c
        .send(
            addr,
            "POST",
            "/one-time",
            &[("Origin", &origin), ("X-XSRF-Token", &token)],
            b"",
        )
        .await?;
    if created.status != 200 {
        return Err(io::Error::other(format!(
            "create: {} {}",
            created.status,
            created.text()
        )));
    }
    let key = created.text();
    let request = std::sync::Arc::new(c.request(
        "POST",
        "/one-time/use",
        addr,
        &[("Origin", &origin), ("X-XSRF-Token", &key)],
        b"",
    ));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let request = std::sync::Arc::clone(&request);
            actix_web::rt::spawn(async move { send_raw(addr, &request).await })
        })
        .collect();
    let mut statuses = Vec::with_capacity(n);
    for t in tasks {
        statuses.push(t.await.map_err(io::Error::other)??.status);
    }
    Ok(statuses)
}

/// Every request an app answered: method, path, status.
#[derive(Clone, Default)]
pub struct Hits(Arc<Mutex<Vec<(String, String, u16)>>>);

impl Hits {
    /// All of them, in order.
    pub fn all(&self) -> Vec<(String, String, u16)> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
    /// The POSTs: path and status.
    pub fn posts(&self) -> Vec<(String, u16)> {
        self.all()
            .into_iter()
            .filter(|(m, _, _)| m == "POST")
            .map(|(_, p, s)| (p, s))
            .collect()
    }
}

/// An example app running on a free loopback port.
pub struct ExampleServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Stops it.
    pub handle: ServerHandle,
    /// What it stored.
    pub comments: web::Data<Comments>,
    /// What it answered.
    pub hits: Hits,
}

impl ExampleServer {
    /// `http://{host}:{port}{path}`.
    pub fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.addr.port())
    }
}

/// An example's app constructor, such as `xsrf_examples::forms::app`.
pub type Builder<T> =
    fn(Xsrf, web::Data<Comments>, SessionMiddleware<CookieSessionStore>) -> App<T>;

/// Starts an example app (a [`Builder`], or a closure of the same shape)
/// as its binary does (a generated secret, both
/// loopback names as site origins) on a free port, recording every answer.
pub fn start_example<F, T, B>(app: F, send_cookie: bool) -> ExampleServer
where
    F: Fn(Xsrf, web::Data<Comments>, SessionMiddleware<CookieSessionStore>) -> App<T>
        + Clone
        + Send
        + 'static,
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    start_example_with(app, move |b| {
        if send_cookie {
            b.token_cookie(TokenCookie::new())
        } else {
            b
        }
    })
}

/// [`start_example`] with settings of the example's own (its `user_fn`,
/// say) applied to the builder.
pub fn start_example_with<F, T, B>(
    app: F,
    configure: impl FnOnce(XsrfBuilder) -> XsrfBuilder,
) -> ExampleServer
where
    F: Fn(Xsrf, web::Data<Comments>, SessionMiddleware<CookieSessionStore>) -> App<T>
        + Clone
        + Send
        + 'static,
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let port = addr.port();
    let xsrf = configure(
        Xsrf::builder()
            .secret(SigningKey::generate().expect("key"))
            .site_origin(format!("http://127.0.0.1:{port}"))
            .site_origin(format!("http://localhost:{port}")),
    )
    .build()
    .expect("xsrf settings");
    let comments = web::Data::new(Comments::default());
    let session_key = cookie::Key::generate();
    let hits = Hits::default();
    let (c, h) = (comments.clone(), hits.clone());
    let server = HttpServer::new(move || {
        let hits = h.clone();
        let sessions = forms::cookie_sessions(&xsrf, session_key.clone());
        app(xsrf.clone(), c.clone(), sessions).wrap_fn(move |req, srv| {
            let method = req.method().to_string();
            let path = req.path().to_owned();
            let hits = hits.clone();
            let fut = srv.call(req);
            async move {
                let res = fut.await?;
                hits.0.lock().unwrap_or_else(PoisonError::into_inner).push((
                    method,
                    path,
                    res.status().as_u16(),
                ));
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
    ExampleServer {
        addr,
        handle,
        comments,
        hits,
    }
}
