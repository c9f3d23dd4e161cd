//! Reading a request body up to the token and giving it back: the
//! scanner for the content type, the chunks kept, the time allowed for
//! them to arrive, and the payload the app then sees (the chunks read,
//! then the untouched rest).

use std::future::Future as _;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::HttpMessage as _;
use actix_web::dev::{Payload, ServiceRequest};
use actix_web::error::PayloadError;
use actix_web::rt::time::{Instant, Sleep, sleep_until};
use bytes::Bytes;
use futures_util::Stream;
use futures_util::stream::{self, StreamExt};
use xsrf_core::BodyProblem;

use crate::body_plan::ReadAs;
use crate::config::{Wait, Xsrf};
use crate::repost::Candidate;
use crate::scan::{BodyToken, JsonScanner, MultipartScanner, Scan, Scanner, UrlencodedScanner};
use crate::state::PerRequest;

/// Same shape as actix-http's `BoxedPayloadStream` (not re-exported).
type BoxedPayloadStream = Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>;

/// The scanner for a body to read (see [`plan`](crate::body_plan::plan)),
/// or why it cannot be read.
pub(super) fn scanner_for(read: ReadAs, x: &Xsrf) -> Result<Scanner, BodyProblem> {
    let t = &x.inner.transport;
    match read {
        ReadAs::Form => Ok(form_scanner(x)),
        ReadAs::Json => Ok(json_scanner(x)),
        ReadAs::Multipart(mime) => {
            let boundary = mime.get_param("boundary").ok_or(BodyProblem::ContentType)?;
            MultipartScanner::new(boundary.as_str(), Arc::clone(&t.field), t.scan_limit)
                .map(|s| Scanner::Multipart(Box::new(s)))
                .map_err(|_| BodyProblem::ContentType)
        }
        ReadAs::Unreadable(problem) => Err(problem),
    }
}

fn json_scanner(x: &Xsrf) -> Scanner {
    Scanner::Json(Box::new(JsonScanner::new(
        Arc::clone(&x.inner.transport.field),
        x.inner.transport.scan_limit,
    )))
}

/// The whole body is read up to the limit whatever its declared length, so
/// a second token field is a conflict however the body travels.
fn form_scanner(x: &Xsrf) -> Scanner {
    Scanner::Form(UrlencodedScanner::new(
        Arc::clone(&x.inner.transport.field),
        x.inner.transport.scan_limit,
    ))
}

/// A request whose body is being read up to the token: the chunks read
/// are kept (by reference) and handed back before the app runs, unless
/// the body arrives too slowly (see [`Wait`]).
pub(super) struct BodyScan<S> {
    service: Rc<S>,
    req: ServiceRequest,
    scanner: Option<Scanner>,
    // take_payload leaves Payload::None behind: `finish` must always
    // set_payload, or the handler sees an empty body.
    payload: Payload,
    read: Kept,
    failure: Option<PayloadError>,
    exhausted: bool,
    outcome: Option<BodyToken>,
    wait: Wait,
    clock: Clock,
    /// A form whose refusal could become the page that sends it again
    /// (see `repost`): the chunks are kept for it if the request turns
    /// out to qualify.
    repost: Option<Candidate>,
}

/// The scan's clock: started at the first wait, so that a body already
/// there when the scan starts (most forms) costs no timer and no clock
/// read.
enum Clock {
    /// No wait yet.
    Unstarted,
    Running {
        start: Instant,
        /// When the last chunk was seen.
        last: Instant,
        /// Boxed: only a scan that waits pays for it.
        timer: Pin<Box<Sleep>>,
    },
    /// The body did not arrive in time.
    Expired,
}

/// How a scan ended.
pub(super) enum Scanned<S> {
    /// The body was read up to the token (or to its end, or it failed):
    /// the request is to be served.
    Serve(Rc<S>, ServiceRequest),
    /// The body arrived too slowly. The payload is handed out so that the
    /// refusal can keep it unread until it is written, which makes actix
    /// close the connection (see `drain::close_after`).
    TooSlow {
        req: ServiceRequest,
        payload: Payload,
        received: usize,
    },
}

impl<S> BodyScan<S> {
    pub(super) fn new(
        service: Rc<S>,
        mut req: ServiceRequest,
        scanner: Scanner,
        wait: Wait,
        repost: Option<Candidate>,
    ) -> Self {
        let payload = req.take_payload();
        Self {
            service,
            req,
            scanner: Some(scanner),
            payload,
            read: Kept::default(),
            failure: None,
            exhausted: false,
            outcome: None,
            wait,
            clock: Clock::Unstarted,
            repost,
        }
    }

    /// Reads chunks until the scanner decides, the body ends, or the body
    /// is too slow.
    pub(super) fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut progressed = false;
        while self.outcome.is_none() {
            let Some(scanner) = self.scanner.as_mut() else {
                self.outcome = Some(BodyToken::Unreadable(BodyProblem::Interrupted));
                break;
            };
            match Pin::new(&mut self.payload).poll_next(cx) {
                Poll::Pending => return self.poll_wait(progressed, cx),
                Poll::Ready(Some(Ok(chunk))) => {
                    if chunk.is_empty() {
                        continue;
                    }
                    progressed = true;
                    let scan = scanner.feed(&chunk);
                    self.read.push(chunk);
                    if let Scan::Done(outcome) = scan {
                        self.outcome = Some(outcome);
                    }
                }
                Poll::Ready(Some(Err(err))) => {
                    // Hand the error on too, so the handler's extractor
                    // fails as it would have without us.
                    self.failure = Some(err);
                    self.outcome = Some(BodyToken::Unreadable(BodyProblem::Interrupted));
                }
                Poll::Ready(None) => {
                    self.exhausted = true;
                    self.outcome = self.scanner.take().map(Scanner::finish);
                }
            }
        }
        Poll::Ready(())
    }

    /// The body has nothing more for now: `Pending` until it does, or
    /// `Ready` once the scan's deadline passed (the idle limit since the
    /// last chunk, or the minimum rate's). The deadline moves only when a
    /// chunk came since the last wait.
    fn poll_wait(&mut self, progressed: bool, cx: &mut Context<'_>) -> Poll<()> {
        let received = self.read.len;
        match &mut self.clock {
            Clock::Unstarted => {
                let now = Instant::now();
                self.clock = Clock::Running {
                    start: now,
                    last: now,
                    timer: Box::pin(sleep_until(self.wait.deadline(now, now, received))),
                };
            }
            Clock::Running { start, last, timer } if progressed => {
                *last = Instant::now();
                let at = self.wait.deadline(*start, *last, received);
                timer.as_mut().reset(at);
            }
            Clock::Running { .. } | Clock::Expired => {}
        }
        let Clock::Running { timer, .. } = &mut self.clock else {
            return Poll::Ready(());
        };
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.clock = Clock::Expired;
        Poll::Ready(())
    }

    /// Puts the body back and notes the outcome for the extractors, giving
    /// the request back to be served; or, for a body that came too slowly,
    /// what the refusal needs.
    pub(super) fn finish(self) -> Scanned<S> {
        let Self {
            service,
            mut req,
            payload,
            read,
            failure,
            exhausted,
            outcome,
            clock,
            repost,
            ..
        } = self;
        if let Clock::Expired = clock {
            return Scanned::TooSlow {
                req,
                payload,
                received: read.len,
            };
        }
        let outcome = outcome.unwrap_or(BodyToken::Unreadable(BodyProblem::Interrupted));
        if let Some(candidate) = repost {
            candidate.keep(req.request(), &outcome, read.len, read.chunks());
        }
        req.set_payload(restore(payload, read, failure, exhausted));
        PerRequest::write(req.request(), |p| p.body = Some(outcome));
        Scanned::Serve(service, req)
    }
}

/// The chunks read so far, in order. The first is held inline: most bodies
/// arrive in one chunk, which then costs no allocation.
#[derive(Default)]
struct Kept {
    first: Option<Bytes>,
    more: Vec<Bytes>,
    /// Bytes in all, for the minimum rate.
    len: usize,
}

impl Kept {
    fn push(&mut self, chunk: Bytes) {
        self.len = self.len.saturating_add(chunk.len());
        if self.first.is_none() {
            self.first = Some(chunk);
        } else {
            self.more.push(chunk);
        }
    }

    fn chunks(&self) -> impl Iterator<Item = &Bytes> {
        self.first.iter().chain(&self.more)
    }

    fn into_iter(self) -> impl DoubleEndedIterator<Item = Bytes> {
        self.first.into_iter().chain(self.more)
    }
}

/// The body as the app must see it: the chunks read, then the rest.
///
/// An HTTP/1 payload takes the chunks back at its front (its own queue, no
/// new stream). Any other payload, or one that failed, is replaced by a
/// stream of the chunks, then the error, then what was not read. Never
/// poll a stream again after it ended or failed.
fn restore(
    payload: Payload,
    read: Kept,
    failure: Option<PayloadError>,
    exhausted: bool,
) -> Payload {
    match payload {
        Payload::H1 { mut payload } if failure.is_none() => {
            for chunk in read.into_iter().rev() {
                payload.unread_data(chunk);
            }
            Payload::H1 { payload }
        }
        payload => {
            let rest = if exhausted || failure.is_some() {
                Payload::None
            } else {
                payload
            };
            let replay: BoxedPayloadStream = Box::pin(
                stream::iter(read.into_iter().map(Ok))
                    .chain(stream::iter(failure.map(Err)))
                    .chain(rest),
            );
            Payload::from(replay)
        }
    }
}
