//! Draining the small unread body of a request refused before its body
//! was read, so the connection can carry the next request.
//!
//! actix-http closes a keep-alive connection when a response goes out
//! while the request's body is still unread: the bytes left on the wire
//! would otherwise be read as the next request. A refusal decided from the
//! headers alone (a foreign `Origin`) would then cost every refused
//! request its connection, and with TLS in front a new handshake. Mature
//! servers read such a body and throw it away, within bounds (Go's
//! net/http discards up to 256 KB). So do we: up to [`MAX_BYTES`] within
//! [`MAX_WAIT`]; past either bound the answer goes out at once and the
//! connection closes, as before. The drained bytes go nowhere: the app's
//! service is never called for a refused request.

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpMessage as _;
use actix_web::dev::{Payload, ServiceRequest};
use actix_web::http::header;
use actix_web::rt::time::{Sleep, sleep};
use futures_util::Stream;

/// The most body bytes read to keep a connection.
pub(super) const MAX_BYTES: u64 = 64 * 1024;

/// The longest a refusal waits for a body to arrive.
pub(super) const MAX_WAIT: Duration = Duration::from_secs(1);

/// A refused request's body being read and dropped.
pub(super) struct Drain {
    payload: Payload,
    read: u64,
    deadline: Pin<Box<Sleep>>,
}

impl Drain {
    /// The drain of `req`'s body, if it has one worth draining: a declared
    /// length of at most [`MAX_BYTES`], or a chunked body (read up to the
    /// bound). `None` for no body, or one declared too large (the
    /// connection then closes).
    pub(super) fn of(req: &mut ServiceRequest) -> Option<Self> {
        let headers = req.headers();
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let chunked = headers.contains_key(header::TRANSFER_ENCODING);
        match declared {
            Some(0) => return None,
            Some(n) if n > MAX_BYTES => return None,
            Some(_) => {}
            None if !chunked => return None,
            None => {}
        }
        Some(Self {
            payload: req.take_payload(),
            read: 0,
            deadline: Box::pin(sleep(MAX_WAIT)),
        })
    }

    /// Reads until the body ends, fails, passes the bound or the deadline;
    /// then the refusal may go out.
    pub(super) fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match Pin::new(&mut self.payload).poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    self.read += chunk.len() as u64;
                    if self.read > MAX_BYTES {
                        return Poll::Ready(());
                    }
                }
                Poll::Ready(Some(Err(_)) | None) => return Poll::Ready(()),
                Poll::Pending => {
                    return match self.deadline.as_mut().poll(cx) {
                        Poll::Ready(()) => Poll::Ready(()),
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
    }
}
