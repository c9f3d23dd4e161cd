//! Reading a request body up to the token and giving it back: the
//! scanner for the content type, the chunks kept, and the payload the app
//! then sees (the chunks read, then the untouched rest).

use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::HttpMessage as _;
use actix_web::dev::{Payload, ServiceRequest};
use actix_web::error::PayloadError;
use actix_web::http::header;
use bytes::Bytes;
use futures_util::Stream;
use futures_util::stream::{self, StreamExt};
use xsrf_core::BodyProblem;

use crate::config::Xsrf;
use crate::scan::{
    BodyKind, BodyToken, JsonScanner, MultipartScanner, Scan, Scanner, UrlencodedScanner,
};
use crate::state::PerRequest;

/// Same shape as actix-http's `BoxedPayloadStream` (not re-exported).
type BoxedPayloadStream = Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>;

/// Picks a scanner from the headers, or the final outcome when the body is
/// not one that carries form fields.
pub(super) fn pick_scanner(req: &ServiceRequest, x: &Xsrf) -> Result<Scanner, BodyToken> {
    let limit = x.inner.transport.scan_limit;
    let field = &x.inner.transport.field;
    // What browsers send for a form, and most clients for JSON: decided
    // without parsing a MIME type.
    let bare = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| BodyKind::bare(v.as_bytes()));
    if bare.is_some() && req.headers().get(header::CONTENT_ENCODING).is_none() {
        return match bare {
            Some(BodyKind::Json) if sends_token_header(req, x) => Err(BodyToken::NotScanned),
            Some(BodyKind::Json) => Ok(json_scanner(x)),
            _ => Ok(form_scanner(x)),
        };
    }
    let mime = match req.mime_type() {
        Ok(Some(m)) => m,
        Ok(None) => return Err(BodyToken::NotScanned),
        Err(_) => return Err(BodyToken::Unreadable(BodyProblem::ContentType)),
    };
    let kind = BodyKind::of(mime.essence_str());
    let form = kind == Some(BodyKind::Form);
    let json = kind == Some(BodyKind::Json) && !sends_token_header(req, x);
    if !form && !json && kind != Some(BodyKind::Multipart) {
        return Err(BodyToken::NotScanned);
    }
    // actix's extractors decompress inside themselves; what we would see
    // here is compressed bytes.
    if let Some(enc) = req.headers().get(header::CONTENT_ENCODING) {
        let identity = enc
            .to_str()
            .is_ok_and(|e| e.trim().eq_ignore_ascii_case("identity"));
        if !identity {
            return Err(BodyToken::Unreadable(BodyProblem::Compressed));
        }
    }
    // Tokens are ASCII; a form in another charset could encode the field
    // name differently. Refuse rather than guess.
    if let Some(charset) = mime.get_param("charset") {
        let cs = charset.as_str();
        if !cs.eq_ignore_ascii_case("utf-8") && !cs.eq_ignore_ascii_case("us-ascii") {
            return Err(BodyToken::Unreadable(BodyProblem::Charset));
        }
    }
    if form {
        Ok(form_scanner(x))
    } else if json {
        Ok(json_scanner(x))
    } else {
        let boundary = mime
            .get_param("boundary")
            .ok_or(BodyToken::Unreadable(BodyProblem::ContentType))?;
        MultipartScanner::new(boundary.as_str(), Arc::clone(field), limit)
            .map(|s| Scanner::Multipart(Box::new(s)))
            .map_err(|_| BodyToken::Unreadable(BodyProblem::ContentType))
    }
}

/// A JSON client sending the token header is not scanned (the header
/// decides, as with actix-csrf-middleware): the field in the body is for
/// clients that cannot set headers, or that migrate from a peer.
fn sends_token_header(req: &ServiceRequest, x: &Xsrf) -> bool {
    req.headers().contains_key(&x.inner.transport.header)
        || req.headers().contains_key(&x.inner.transport.static_header)
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
/// are kept (by reference) and handed back before the app runs.
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
}

impl<S> BodyScan<S> {
    pub(super) fn new(service: Rc<S>, mut req: ServiceRequest, scanner: Scanner) -> Self {
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
        }
    }

    /// Reads chunks until the scanner decides or the body ends.
    pub(super) fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        while self.outcome.is_none() {
            let Some(scanner) = self.scanner.as_mut() else {
                self.outcome = Some(BodyToken::Unreadable(BodyProblem::Interrupted));
                break;
            };
            match Pin::new(&mut self.payload).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => {
                    if chunk.is_empty() {
                        continue;
                    }
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

    /// Puts the body back, notes the outcome for the extractors, and gives
    /// the request back to be served.
    pub(super) fn finish(self) -> (Rc<S>, ServiceRequest) {
        let Self {
            service,
            mut req,
            payload,
            read,
            failure,
            exhausted,
            outcome,
            ..
        } = self;
        let outcome = outcome.unwrap_or(BodyToken::Unreadable(BodyProblem::Interrupted));
        req.set_payload(restore(payload, read, failure, exhausted));
        PerRequest::write(req.request(), |p| p.body = Some(outcome));
        (service, req)
    }
}

/// The chunks read so far, in order. The first is held inline: most bodies
/// arrive in one chunk, which then costs no allocation.
#[derive(Default)]
struct Kept {
    first: Option<Bytes>,
    more: Vec<Bytes>,
}

impl Kept {
    fn push(&mut self, chunk: Bytes) {
        if self.first.is_none() {
            self.first = Some(chunk);
        } else {
            self.more.push(chunk);
        }
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
