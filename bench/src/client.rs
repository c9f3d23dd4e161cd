//! A minimal HTTP/1.1 keep-alive client over a raw socket: enough to
//! drive the load test without a client library's own costs in the way.
//!
//! It writes a prepared request, reads the head up to the blank line,
//! takes `Content-Length` and skips that many body bytes. No chunked
//! responses (actix answers these small bodies with a length), no
//! pipelining: one request in flight per connection, like a browser tab.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// One keep-alive connection.
#[derive(Debug)]
pub(crate) struct Conn {
    stream: TcpStream,
    /// Bytes read but not yet consumed (the start of the next response).
    buf: Vec<u8>,
}

/// A parsed response (setup requests only; the load loop needs the status).
#[derive(Debug)]
pub(crate) struct Response {
    /// Status code.
    pub(crate) status: u16,
    /// Header lines, names lower-cased.
    pub(crate) headers: Vec<(String, String)>,
    /// Body bytes.
    pub(crate) body: Vec<u8>,
}

impl Response {
    /// The body as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

impl Conn {
    /// Connects, with Nagle off (small requests must leave at once).
    pub(crate) async fn connect(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    /// Sends `request` and returns the status, skipping the body: the
    /// load loop's round trip.
    pub(crate) async fn status(&mut self, request: &[u8]) -> io::Result<u16> {
        self.stream.write_all(request).await?;
        let (head_end, status, len) = self.read_head().await?;
        self.fill(head_end + len).await?;
        self.buf.drain(..head_end + len);
        Ok(status)
    }

    /// Sends `request` and parses the whole response (headers and body).
    pub(crate) async fn send(&mut self, request: &[u8]) -> io::Result<Response> {
        self.stream.write_all(request).await?;
        let (head_end, status, len) = self.read_head().await?;
        self.fill(head_end + len).await?;
        let head = std::str::from_utf8(&self.buf[..head_end]).map_err(|_| bad("head not UTF-8"))?;
        let headers = head
            .split("\r\n")
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let body = self.buf[head_end..head_end + len].to_vec();
        self.buf.drain(..head_end + len);
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// Reads until the head is complete; returns where the body starts,
    /// the status and the body length.
    async fn read_head(&mut self) -> io::Result<(usize, u16, usize)> {
        let mut from = 0;
        let head_end = loop {
            if let Some(pos) = find(&self.buf[from..], b"\r\n\r\n") {
                break from + pos + 4;
            }
            from = self.buf.len().saturating_sub(3);
            self.read_more().await?;
        };
        let head = &self.buf[..head_end];
        // "HTTP/1.1 200 OK"
        let status = head
            .get(9..12)
            .and_then(|s| std::str::from_utf8(s).ok())
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("bad status line"))?;
        let len = content_length(head).ok_or_else(|| bad("response without content-length"))?;
        Ok((head_end, status, len))
    }

    async fn fill(&mut self, want: usize) -> io::Result<()> {
        while self.buf.len() < want {
            self.read_more().await?;
        }
        Ok(())
    }

    async fn read_more(&mut self) -> io::Result<()> {
        if self.buf.capacity() - self.buf.len() < 4096 {
            self.buf.reserve(16 * 1024);
        }
        let n = self.stream.read_buf(&mut self.buf).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "server closed the connection",
            ));
        }
        Ok(())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The `Content-Length` of a response head, matched case-insensitively.
fn content_length(head: &[u8]) -> Option<usize> {
    const NAME: &[u8] = b"content-length:";
    head.split(|&b| b == b'\n').find_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > NAME.len() && line[..NAME.len()].eq_ignore_ascii_case(NAME) {
            std::str::from_utf8(&line[NAME.len()..])
                .ok()?
                .trim()
                .parse()
                .ok()
        } else {
            None
        }
    })
}

/// Cookies kept by a client, by name.
#[derive(Debug, Default, Clone)]
pub(crate) struct Jar(BTreeMap<String, String>);

impl Jar {
    /// Stores the cookies a response sets (name and value only: the bench
    /// client ignores attributes, as the server cannot see them anyway).
    pub(crate) fn keep(&mut self, res: &Response) {
        for (k, v) in &res.headers {
            if k != "set-cookie" {
                continue;
            }
            let pair = v.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let (name, value) = (name.trim(), value.trim());
                if value.is_empty() {
                    self.0.remove(name);
                } else {
                    self.0.insert(name.to_owned(), value.to_owned());
                }
            }
        }
    }

    /// The `Cookie` header value, or `None` when empty.
    pub(crate) fn header(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| {
            self.0
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

/// Request bytes: `Host`, the given headers, `Content-Length` and body.
pub(crate) fn request(
    method: &str,
    path: &str,
    host: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    for (k, v) in headers {
        out.push_str(k);
        out.push_str(": ");
        out.push_str(v);
        out.push_str("\r\n");
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}
