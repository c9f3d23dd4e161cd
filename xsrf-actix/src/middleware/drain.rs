//! Draining the small unread body of a request refused before its body
//! was read, so the connection can carry the next request; and closing
//! the connection after a refusal whose body stays unread.
//!
//! actix-http decides what happens to a keep-alive connection when the
//! response goes out: a body read to its end keeps it; a body still unread
//! whose payload is alive closes it (`Connection: close`, after a short
//! linger that reads and drops what is in flight, `client_disconnect_timeout`);
//! but once the payload is gone (dropped with the request), it keeps a
//! chunked body's connection open to read and discard the rest of the
//! body, for as long as the client takes, and only closes one with a
//! declared length.
//!
//! A refusal decided from the headers alone (a foreign `Origin`) would
//! cost every refused request its connection, and with TLS in front a new
//! handshake. Mature servers read such a body and throw it away, within
//! bounds (Go's net/http discards up to 256 KB). So do we: up to
//! [`MAX_BYTES`] within [`MAX_WAIT`], and the connection is kept. Past
//! either bound, or for a body declared larger, the refusal goes out at
//! once and the connection closes, chunked or not: the body's payload is
//! kept alive by the response body until actix has written it
//! ([`close_after`]), so that actix closes rather than drains. The same
//! holds for the `408` of a body scan that timed out. The drained bytes
//! go nowhere: the app's service is never called for a refused request.

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpMessage as _;
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::http::header;
use actix_web::rt::time::{Sleep, sleep};
use bytes::Bytes;
use futures_util::Stream;

/// The most body bytes read to keep a connection.
pub(super) const MAX_BYTES: u64 = 64 * 1024;

/// The longest a refusal waits for a body to arrive.
pub(super) const MAX_WAIT: Duration = Duration::from_secs(1);

/// A refused request's body being read and dropped.
pub(super) struct Drain {
    payload: Payload,
    read: u64,
    /// `None` for a body not to be drained at all (declared too large).
    deadline: Option<Pin<Box<Sleep>>>,
    /// The body was read to its end (or failed): nothing is left unread.
    ended: bool,
}

impl Drain {
    /// The drain of `req`'s body, if it has one: a declared length of at
    /// most [`MAX_BYTES`], or a chunked body, is read up to the bounds; one
    /// declared larger is not read at all. `None` for no body.
    pub(super) fn of(req: &mut ServiceRequest) -> Option<Self> {
        let headers = req.headers();
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let chunked = headers.contains_key(header::TRANSFER_ENCODING);
        let drain = match declared {
            Some(0) => return None,
            Some(n) => n <= MAX_BYTES,
            None if !chunked => return None,
            None => true,
        };
        Some(Self {
            payload: req.take_payload(),
            read: 0,
            deadline: drain.then(|| Box::pin(sleep(MAX_WAIT))),
            ended: false,
        })
    }

    /// Reads until the body ends, fails, passes the bound or the deadline;
    /// then the refusal may go out.
    pub(super) fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(deadline) = self.deadline.as_mut() else {
            return Poll::Ready(());
        };
        loop {
            match Pin::new(&mut self.payload).poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    self.read += chunk.len() as u64;
                    if self.read > MAX_BYTES {
                        return Poll::Ready(());
                    }
                }
                Poll::Ready(Some(Err(_)) | None) => {
                    self.ended = true;
                    return Poll::Ready(());
                }
                Poll::Pending => return deadline.as_mut().poll(cx),
            }
        }
    }

    /// Readies the refusal to go out: as it is when the body was read to
    /// its end, made to close the connection when some of it is unread.
    pub(super) fn settle(self, res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
        if self.ended {
            res
        } else {
            close_after(res, self.payload)
        }
    }
}

/// Makes the response to a request whose body is left unread close the
/// connection: `Connection: close`, and the body's payload kept alive by
/// the response body until actix has written all of it. actix then sees
/// a body unread by a live consumer and closes the connection (after its
/// linger), where a dropped payload of a chunked body would have it read
/// and discard the rest of the body for as long as the client trickles
/// it. (The response head would not do: actix decides when the response
/// body ends, and drops the head long before.)
pub(super) fn close_after(
    res: ServiceResponse<BoxBody>,
    payload: Payload,
) -> ServiceResponse<BoxBody> {
    res.map_body(|head, body| {
        head.set_connection_type(ConnectionType::Close);
        BoxBody::new(Unread {
            body,
            _payload: payload,
        })
    })
}

/// A response body that holds the payload of its request's unread body:
/// never read, only kept alive until the response is written (and then
/// dropped with it).
struct Unread {
    body: BoxBody,
    _payload: Payload,
}

impl MessageBody for Unread {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        match self.body.size() {
            // `BoxBody::new` drops a body of no size at once, payload and
            // all: send an empty one instead.
            BodySize::None => BodySize::Sized(0),
            size => size,
        }
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}
