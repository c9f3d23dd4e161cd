//! Pure, incremental body scanners that look for a CSRF token field.
//!
//! Nothing in this module knows about actix: the scanners are fed byte chunks
//! in arrival order and answer either "need more" or a final [`BodyToken`].
//! They never own the body — the caller keeps the chunks so that it can hand
//! them on untouched — and they keep only the little state they need (the
//! current field name, the token value, a part's header block).
//!
//! Every scanner enforces `limit`: once more than `limit` body bytes have
//! been examined, it stops. A chunk is only examined up to the limit, so a
//! token that sits early inside one huge chunk is still found, and one past
//! the limit is never looked at.
//!
//! # One rule for duplicates
//!
//! A scanner does not stop at the first token field: it reads on to the end
//! of the body or to the limit, whichever comes first, and a second token
//! field anywhere in that stretch is a [`BodyToken::Conflict`], whatever
//! the body shape, the transport (Content-Length or chunked) or how the
//! bytes were split into chunks. A large upload whose token comes first is
//! read up to the limit, not further; the caller hands the whole body on.
//!
//! # Linear work
//!
//! What a scanner does with a byte does not depend on how the bytes were
//! chunked. Every search keeps its state across chunks
//! ([`Seeker`](seeker::Seeker): a `memchr::memmem::Finder` built once per
//! request, plus how much of the needle the bytes seen so far end with),
//! so no byte is searched twice because it arrived early; every buffer is
//! capped (a field name at three times the field's length, a part's header
//! block at [`MAX_PART_HEADERS`](multipart::MAX_PART_HEADERS), a token
//! value and everything else at the scan limit). Each scanner counts its
//! looks at body bytes ([`Scanner::examined`]), vectorised ones included;
//! per body byte that is at most 1 for urlencoded bodies, 2 for JSON (a
//! block of a string looked at whole, then stepped through by hand when it
//! holds the string's end or an escape) and 3 for multipart, whatever the
//! chunking (about 1 in the usual case). The tests check these bounds for
//! every scanner state, one chunk and one byte per chunk, and that a
//! chunked run examines at most 3x what the one-chunk run does.

mod json;
mod multipart;
mod seeker;
#[cfg(test)]
mod tests;
mod urlencoded;

use std::fmt;
use std::rc::Rc;

use xsrf_core::BodyProblem;

pub(crate) use self::json::JsonScanner;
pub(crate) use self::multipart::MultipartScanner;
pub(crate) use self::urlencoded::UrlencodedScanner;

/// Outcome of looking for the token in a request body.
///
/// Stored in the request extensions by the middleware; the validating layer
/// decides what each outcome means (e.g. `TooLarge` → reject unless a header
/// token was sent). A body the middleware did not read has no outcome; it
/// notes why instead (`state::NotScanned`).
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum BodyToken {
    /// The field was present once; this is its decoded value (may be empty).
    /// Shared: every check of the request reads it without a copy.
    Found(Rc<str>),
    /// The body was read to its end (or to the closing multipart boundary)
    /// and the field was not there.
    NotFound,
    /// The field appeared more than once within the scan limit.
    Conflict,
    /// More than `limit` bytes were examined without finding the field.
    TooLarge,
    /// The body could not be scanned: truncated or malformed multipart,
    /// invalid JSON, a payload error, a compressed body, ...
    Unreadable(BodyProblem),
}

// Hand-written so a token never ends up in logs via `{:?}`.
impl fmt::Debug for BodyToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyToken::Found(v) => write!(f, "Found(<redacted, {} bytes>)", v.len()),
            BodyToken::NotFound => f.write_str("NotFound"),
            BodyToken::Conflict => f.write_str("Conflict"),
            BodyToken::TooLarge => f.write_str("TooLarge"),
            BodyToken::Unreadable(r) => f.debug_tuple("Unreadable").field(r).finish(),
        }
    }
}

/// Answer of a scanner after one chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scan {
    /// No decision yet: feed the next chunk (or call `finish` at end of body).
    NeedMore,
    /// Final answer; stop reading.
    Done(BodyToken),
}

/// How many bytes of `chunk` may still be examined given `consumed` so far.
pub(super) fn window(chunk: &[u8], consumed: usize, limit: usize) -> &[u8] {
    let allowed = limit.saturating_sub(consumed);
    &chunk[..chunk.len().min(allowed)]
}

/// The token fields seen so far: none, one (its value), or more.
#[derive(Debug, Default)]
pub(super) struct Seen {
    found: Option<Rc<str>>,
    pub(super) conflict: bool,
}

impl Seen {
    /// One rule for every body shape: a second token field is a conflict,
    /// whether or not its value equals the first (so no token value is
    /// ever compared here).
    pub(super) fn record(&mut self, value: impl FnOnce() -> Rc<str>) {
        if self.found.is_some() {
            self.conflict = true;
        } else {
            self.found = Some(value());
        }
    }

    /// Whether a token field was already recorded (a next one is a
    /// conflict).
    pub(super) fn has_one(&self) -> bool {
        self.found.is_some()
    }

    /// The answer once the body ended or the limit was reached.
    pub(super) fn verdict(&self, limit_reached: bool) -> BodyToken {
        match &self.found {
            _ if self.conflict => BodyToken::Conflict,
            Some(v) => BodyToken::Found(v.clone()),
            None if limit_reached => BodyToken::TooLarge,
            None => BodyToken::NotFound,
        }
    }
}

/// After a chunk: a conflict is final at once; so is the limit.
pub(super) fn after_chunk(seen: &Seen, limit_reached: bool) -> Scan {
    if seen.conflict || limit_reached {
        Scan::Done(seen.verdict(limit_reached))
    } else {
        Scan::NeedMore
    }
}

/// The body shapes that can carry the token field, by media type. The
/// middleware picks its scanner by it; `ValidXsrf` without the middleware
/// uses it to tell a body it cannot read from one without a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `multipart/form-data`.
    Multipart,
    /// `application/json`, `application/*+json`.
    Json,
}

impl BodyKind {
    pub(crate) const FORM: &'static str = "application/x-www-form-urlencoded";

    /// A `Content-Type` value that is exactly a form or JSON media type,
    /// without parameters, in any letter case (what browsers send for a
    /// form and most clients for JSON): known without parsing a MIME type.
    /// Anything else is `None`, to be parsed and passed to [`Self::of`].
    pub(crate) fn bare(value: &[u8]) -> Option<Self> {
        let value = value.trim_ascii();
        if value.eq_ignore_ascii_case(Self::FORM.as_bytes()) {
            Some(Self::Form)
        } else if value.eq_ignore_ascii_case(b"application/json") {
            Some(Self::Json)
        } else {
            None
        }
    }

    /// By the media type's essence (`type/subtype`, parameters left out),
    /// in any letter case: the middleware and `ValidXsrf` hand in what
    /// actix parsed, so this module needs no actix type.
    pub(crate) fn of(essence: &str) -> Option<Self> {
        let (type_, subtype) = essence.split_once('/')?;
        if essence.eq_ignore_ascii_case(Self::FORM) {
            Some(Self::Form)
        } else if essence.eq_ignore_ascii_case("multipart/form-data") {
            Some(Self::Multipart)
        } else if type_.eq_ignore_ascii_case("application") && is_json_subtype(subtype) {
            Some(Self::Json)
        } else {
            None
        }
    }
}

/// `json` itself or a structured-syntax suffix `…+json` (RFC 6839).
fn is_json_subtype(subtype: &str) -> bool {
    subtype.eq_ignore_ascii_case("json")
        || subtype
            .rsplit_once('+')
            .is_some_and(|(_, suffix)| suffix.eq_ignore_ascii_case("json"))
}

/// One of the body scanners, chosen from the request's content type.
#[derive(Debug)]
pub(crate) enum Scanner {
    /// `application/x-www-form-urlencoded`.
    Form(UrlencodedScanner),
    /// `multipart/form-data`.
    Multipart(Box<MultipartScanner>),
    /// `application/json`, `*/*+json`.
    Json(Box<JsonScanner>),
}

impl Scanner {
    /// Feed the next chunk of the body.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Scan {
        match self {
            Scanner::Form(s) => s.feed(chunk),
            Scanner::Multipart(s) => s.feed(chunk),
            Scanner::Json(s) => s.feed(chunk),
        }
    }

    /// End of body.
    pub(crate) fn finish(self) -> BodyToken {
        match self {
            Scanner::Form(s) => s.finish(),
            Scanner::Multipart(s) => s.finish(),
            Scanner::Json(s) => s.finish(),
        }
    }

    /// Bytes examined so far (see the module docs: "Linear work").
    #[cfg(any(test, feature = "__fuzz"))]
    pub(crate) fn examined(&self) -> usize {
        match self {
            Scanner::Form(s) => s.examined,
            Scanner::Multipart(s) => s.examined,
            Scanner::Json(s) => s.examined,
        }
    }
}
