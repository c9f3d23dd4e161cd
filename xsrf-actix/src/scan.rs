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
//! chunked. Every search keeps its state across chunks ([`Seeker`]: a
//! `memchr::memmem::Finder` built once per request, plus how much of the
//! needle the bytes seen so far end with), so no byte is searched twice
//! because it arrived early; every buffer is capped (a field name at three
//! times the field's length, a part's header block at
//! [`MAX_PART_HEADERS`], a token value and everything else at the scan
//! limit). Each scanner counts the bytes it examines
//! ([`Scanner::examined`]); per body byte that is 1 for urlencoded and
//! JSON bodies and at most 3 for multipart whatever the chunking (1 in the
//! usual case of large chunks), which the tests check against a one-chunk
//! run (attack row T20).

use std::borrow::Cow;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::mime;
use actson::feeder::PushJsonFeeder;
use actson::{JsonEvent, JsonParser};
use memchr::memmem;
use percent_encoding::percent_decode;
use xsrf_core::BodyProblem;

/// Outcome of looking for the token in a request body.
///
/// Stored in the request extensions by the middleware; the validating layer
/// decides what each outcome means (e.g. `TooLarge` → reject unless a header
/// token was sent).
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
    /// The body was not looked at (safe method, or a content type that does
    /// not carry form fields).
    NotScanned,
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
            BodyToken::NotScanned => f.write_str("NotScanned"),
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
fn window(chunk: &[u8], consumed: usize, limit: usize) -> &[u8] {
    let allowed = limit.saturating_sub(consumed);
    &chunk[..chunk.len().min(allowed)]
}

/// The token fields seen so far: none, one (its value), or more.
#[derive(Debug, Default)]
struct Seen {
    found: Option<Rc<str>>,
    conflict: bool,
}

impl Seen {
    /// One rule for every body shape: a second token field is a conflict,
    /// whether or not its value equals the first (so no token value is
    /// ever compared here).
    fn record(&mut self, value: impl FnOnce() -> Rc<str>) {
        if self.found.is_some() {
            self.conflict = true;
        } else {
            self.found = Some(value());
        }
    }

    /// The answer once the body ended or the limit was reached.
    fn verdict(&self, limit_reached: bool) -> BodyToken {
        match &self.found {
            _ if self.conflict => BodyToken::Conflict,
            Some(v) => BodyToken::Found(v.clone()),
            None if limit_reached => BodyToken::TooLarge,
            None => BodyToken::NotFound,
        }
    }
}

/// After a chunk: a conflict is final at once; so is the limit.
fn after_chunk(seen: &Seen, limit_reached: bool) -> Scan {
    if seen.conflict || limit_reached {
        Scan::Done(seen.verdict(limit_reached))
    } else {
        Scan::NeedMore
    }
}

/// `application/x-www-form-urlencoded` decoding of one name or value, the
/// same way `form_urlencoded` (and thus `web::Form`) does it: `+` is a space,
/// then percent-decoding, then lossy UTF-8.
fn form_decode(raw: &[u8]) -> Cow<'_, str> {
    // Nothing escaped (every token, nearly every field name): the bytes
    // are the text, once checked to be UTF-8.
    if memchr::memchr2(b'%', b'+', raw).is_none()
        && let Ok(text) = std::str::from_utf8(raw)
    {
        return Cow::Borrowed(text);
    }
    if raw.contains(&b'+') {
        let plus_fixed: Vec<u8> = raw
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        return Cow::Owned(percent_decode(&plus_fixed).decode_utf8_lossy().into_owned());
    }
    // Borrowed when nothing is escaped: comparing field names costs no copy.
    percent_decode(raw).decode_utf8_lossy()
}

// ---------------------------------------------------------------------------
// Searching a needle across chunks
// ---------------------------------------------------------------------------

/// Finds a short needle (a multipart delimiter, the end of a header block)
/// in a stream of chunks, examining each byte a bounded number of times
/// whatever the chunking.
///
/// Inside a chunk the search is `memmem` (fast, vectorised). What crosses a
/// chunk border is carried as `matched`: how long a prefix of the needle
/// the bytes seen so far end with (the state of a Knuth–Morris–Pratt
/// automaton). A chunk that starts inside a partial match is stepped byte
/// by byte until the match completes or falls back to nothing; then
/// `memmem` takes over. After a miss, only the chunk's last
/// `needle.len() - 1` bytes are stepped to find the new `matched`.
#[derive(Debug, Clone)]
struct Seeker {
    finder: memmem::Finder<'static>,
    /// KMP failure function: `fail[k]` is the length of the longest proper
    /// prefix of `needle[..=k]` that is also its suffix.
    fail: Box<[usize]>,
    matched: usize,
}

impl Seeker {
    fn new(needle: &[u8]) -> Self {
        let mut fail = vec![0; needle.len()];
        let mut k = 0;
        for i in 1..needle.len() {
            while k > 0 && needle[i] != needle[k] {
                k = fail[k - 1];
            }
            if needle[i] == needle[k] {
                k += 1;
            }
            fail[i] = k;
        }
        Self {
            finder: memmem::Finder::new(needle).into_owned(),
            fail: fail.into_boxed_slice(),
            matched: 0,
        }
    }

    fn needle(&self) -> &[u8] {
        self.finder.needle()
    }

    /// Forget any partial match; start as if `prefix` bytes of the needle
    /// had just been seen (a virtual CRLF before the first boundary).
    fn reset(&mut self, prefix: usize) {
        self.matched = prefix.min(self.needle().len().saturating_sub(1));
    }

    /// One automaton step; counts the comparisons made.
    fn step(&mut self, b: u8, examined: &mut usize) {
        let needle = self.finder.needle();
        *examined += 1;
        while self.matched > 0 && needle[self.matched] != b {
            self.matched = self.fail[self.matched - 1];
            *examined += 1;
        }
        if needle[self.matched] == b {
            self.matched += 1;
        }
    }

    /// Looks for the end of the needle in `hay`, continuing any partial
    /// match from earlier chunks. Returns the index just past the match.
    fn find(&mut self, hay: &[u8], examined: &mut usize) -> Option<usize> {
        let m = self.needle().len();
        let mut i = 0;
        // Continue (or, for a piece too short to hold the needle, do) the
        // match byte by byte: each byte costs one step.
        while i < hay.len() && (self.matched > 0 || hay.len() - i < m) {
            self.step(hay[i], examined);
            i += 1;
            if self.matched == m {
                self.matched = 0;
                return Some(i);
            }
        }
        if i == hay.len() {
            return None;
        }
        // No partial match pending: memmem over the rest.
        let rest = &hay[i..];
        if let Some(j) = self.finder.find(rest) {
            *examined += j + m;
            return Some(i + j + m);
        }
        *examined += rest.len();
        // Which needle prefix does the chunk end with? It lies in the last
        // m - 1 bytes (a full match would have been found).
        let tail = rest.len().saturating_sub(m - 1);
        for &b in &rest[tail..] {
            self.step(b, examined);
        }
        None
    }
}

// ---------------------------------------------------------------------------
// The scanners behind one face
// ---------------------------------------------------------------------------

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

    pub(crate) fn of(mime: &mime::Mime) -> Option<Self> {
        let essence = mime.essence_str();
        if essence.eq_ignore_ascii_case(Self::FORM) {
            Some(Self::Form)
        } else if essence.eq_ignore_ascii_case("multipart/form-data") {
            Some(Self::Multipart)
        } else if mime.type_() == mime::APPLICATION
            && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON))
        {
            Some(Self::Json)
        } else {
            None
        }
    }
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

// ---------------------------------------------------------------------------
// application/x-www-form-urlencoded
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormState {
    /// Inside a field name (before `=`).
    Name,
    /// Inside a field value; `capture` is true when the name matched.
    Value { capture: bool },
}

/// Incremental scanner for urlencoded bodies.
///
/// Cost: every byte is passed once to `memchr` (looking for `=`/`&`); a
/// field name is kept (and decoded once at its `=`) only while it is
/// short enough to be the token field's name.
#[derive(Debug)]
pub(crate) struct UrlencodedScanner {
    field: Arc<str>,
    limit: usize,
    consumed: usize,
    examined: usize,
    state: FormState,
    /// Raw (still encoded) bytes of the current name, kept only while it can
    /// still match `field`.
    name: Vec<u8>,
    /// The current name grew past the longest encoding of `field`.
    name_too_long: bool,
    /// Raw bytes of the value being captured (at most `limit`).
    value: Vec<u8>,
    seen: Seen,
}

impl UrlencodedScanner {
    pub(crate) fn new(field: Arc<str>, limit: usize) -> Self {
        Self {
            field,
            limit,
            consumed: 0,
            examined: 0,
            state: FormState::Name,
            name: Vec::new(),
            name_too_long: false,
            value: Vec::new(),
            seen: Seen::default(),
        }
    }

    fn push_name(&mut self, bytes: &[u8]) {
        if self.name_too_long {
            return;
        }
        // Each character is at most 3 bytes encoded (`%XX`); a longer name
        // can never decode to `field`, so stop storing it.
        if self.name.len() + bytes.len() > self.field.len() * 3 {
            self.name_too_long = true;
            self.name.clear();
        } else {
            self.name.extend_from_slice(bytes);
        }
    }

    fn name_matches(&self) -> bool {
        !self.name_too_long && self.is_field(&self.name)
    }

    /// Whether a whole raw (still encoded) name decodes to `field`.
    fn is_field(&self, raw: &[u8]) -> bool {
        let field = self.field.as_bytes();
        // The name as sent (the usual case), or escaped: decoding needs
        // a `%` or `+` to change anything, and a longer name cannot
        // decode to `field` (see `push_name`).
        raw == field
            || (raw.len() <= field.len() * 3
                && memchr::memchr2(b'%', b'+', raw).is_some()
                && form_decode(raw) == *self.field)
    }

    fn reset_name(&mut self) {
        self.name.clear();
        self.name_too_long = false;
    }

    fn record(&mut self, raw: &[u8]) {
        self.seen.record(|| Rc::from(form_decode(raw).as_ref()));
    }

    /// Feed the next chunk of the body.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Scan {
        let win = window(chunk, self.consumed, self.limit);
        let mut i = 0;
        while i < win.len() && !self.seen.conflict {
            let rest = &win[i..];
            match self.state {
                FormState::Name => match memchr::memchr2(b'=', b'&', rest) {
                    None => {
                        self.examined += rest.len();
                        self.push_name(rest);
                        i = win.len();
                    }
                    Some(j) => {
                        self.examined += j + 1;
                        // A name inside this chunk is compared where it
                        // lies; only one split across chunks is kept.
                        let matched = if self.name.is_empty() && !self.name_too_long {
                            self.is_field(&rest[..j])
                        } else {
                            self.push_name(&rest[..j]);
                            self.name_matches()
                        };
                        if rest[j] == b'=' {
                            self.state = FormState::Value { capture: matched };
                        } else if matched {
                            // `...&xsrf_token&...`: a name without `=` is an
                            // empty value for form_urlencoded as well.
                            self.record(b"");
                        }
                        self.reset_name();
                        i += j + 1;
                    }
                },
                FormState::Value { capture } => match memchr::memchr(b'&', rest) {
                    None => {
                        self.examined += rest.len();
                        if capture {
                            self.value.extend_from_slice(rest);
                        }
                        i = win.len();
                    }
                    Some(j) => {
                        self.examined += j + 1;
                        if capture && self.value.is_empty() {
                            // The whole value is in this chunk.
                            self.record(&rest[..j]);
                        } else if capture {
                            self.value.extend_from_slice(&rest[..j]);
                            let raw = std::mem::take(&mut self.value);
                            self.record(&raw);
                        }
                        self.state = FormState::Name;
                        i += j + 1;
                    }
                },
            }
        }
        self.consumed += win.len();
        after_chunk(&self.seen, win.len() < chunk.len())
    }

    /// End of body: a pending value is terminated by end-of-body.
    pub(crate) fn finish(mut self) -> BodyToken {
        match self.state {
            FormState::Name => {
                if !self.name.is_empty() && self.name_matches() {
                    self.record(b"");
                }
            }
            FormState::Value { capture: true } => {
                let raw = std::mem::take(&mut self.value);
                self.record(&raw);
            }
            FormState::Value { capture: false } => {}
        }
        self.seen.verdict(false)
    }
}

// ---------------------------------------------------------------------------
// multipart/form-data
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MpState {
    /// Before the first boundary, or inside a part we don't care about:
    /// looking for the next delimiter.
    Skip,
    /// Just after a `--boundary`: either `--` (end) or padding + CRLF.
    /// `first` is the first byte seen (`None` before it), `cr` whether the
    /// last byte was CR, `padding` how many padding bytes came so far.
    AfterDelimiter {
        first: Option<u8>,
        cr: bool,
        padding: usize,
    },
    /// Reading a part's header block (kept in `headers`).
    Headers,
    /// Inside the token part (its value kept in `value`).
    Capture,
}

/// Longest transport padding after a boundary we tolerate before calling
/// the body malformed.
const MAX_BOUNDARY_PADDING: usize = 256;

/// Largest header block of one part, terminating empty line included.
///
/// Browsers send two short headers per part (`Content-Disposition` with the
/// name and maybe a file name, `Content-Type` for files): a few hundred
/// bytes even with a long file name, which they percent-encode or truncate.
/// A block larger than this is refused as a bad request.
pub(crate) const MAX_PART_HEADERS: usize = 8 * 1024;

/// Incremental scanner for `multipart/form-data` bodies (RFC 7578 / 2046).
///
/// Cost: the delimiter and the end of each header block are searched with a
/// [`Seeker`] (every byte examined at most 3 times whatever the chunking,
/// once with large chunks); a boundary line is stepped byte by byte; a
/// part's header block is kept (at most [`MAX_PART_HEADERS`]) and parsed
/// once when complete; only the token part's value is kept.
#[derive(Debug)]
pub(crate) struct MultipartScanner {
    /// Finds `\r\n--boundary`.
    delimiter: Seeker,
    /// Finds `\r\n\r\n`, the end of a header block.
    blank_line: Seeker,
    field: Arc<str>,
    limit: usize,
    consumed: usize,
    examined: usize,
    state: MpState,
    /// The current part's header block, while it is being read.
    headers: Vec<u8>,
    /// The token part's value, while it is being read (at most `limit`).
    value: Vec<u8>,
    seen: Seen,
    /// Set once the answer is final (closing delimiter, malformed body).
    done: Option<BodyToken>,
}

/// Why a boundary is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidBoundary;

impl MultipartScanner {
    /// `boundary` is the Content-Type `boundary` parameter (already unquoted).
    pub(crate) fn new(
        boundary: &str,
        field: Arc<str>,
        limit: usize,
    ) -> Result<Self, InvalidBoundary> {
        // RFC 2046: 1..=70 characters. An empty boundary would make every
        // CRLF-- a delimiter.
        if boundary.is_empty() || boundary.len() > 70 {
            return Err(InvalidBoundary);
        }
        let mut needle = Vec::with_capacity(boundary.len() + 4);
        needle.extend_from_slice(b"\r\n--");
        needle.extend_from_slice(boundary.as_bytes());
        let mut delimiter = Seeker::new(&needle);
        // The first boundary has no CRLF before it: start as if one had
        // been seen, so the same search finds it.
        delimiter.reset(2);
        Ok(Self {
            delimiter,
            blank_line: Seeker::new(b"\r\n\r\n"),
            field,
            limit,
            consumed: 0,
            examined: 0,
            state: MpState::Skip,
            headers: Vec::new(),
            value: Vec::new(),
            seen: Seen::default(),
            done: None,
        })
    }

    /// Feed the next chunk of the body.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Scan {
        let win = window(chunk, self.consumed, self.limit);
        self.consumed += win.len();
        let mut i = 0;
        while i < win.len() && self.done.is_none() && !self.seen.conflict {
            i += self.advance(&win[i..]);
        }
        if let Some(done) = &self.done {
            return Scan::Done(done.clone());
        }
        // Parts before the token (e.g. a file) count towards the limit.
        after_chunk(&self.seen, win.len() < chunk.len())
    }

    /// End of body without a decision: the closing boundary never came.
    pub(crate) fn finish(self) -> BodyToken {
        // Either no boundary ever came (preamble) or the closing one did not.
        self.done
            .unwrap_or(BodyToken::Unreadable(BodyProblem::Multipart))
    }

    fn fail(&mut self, problem: BodyProblem) {
        self.done = Some(BodyToken::Unreadable(problem));
    }

    /// Runs the state machine over a prefix of `piece`; returns how many
    /// bytes it used (at least one).
    fn advance(&mut self, piece: &[u8]) -> usize {
        match self.state {
            MpState::Skip => match self.delimiter.find(piece, &mut self.examined) {
                Some(end) => {
                    self.state = MpState::AfterDelimiter {
                        first: None,
                        cr: false,
                        padding: 0,
                    };
                    end
                }
                None => piece.len(),
            },
            MpState::Capture => {
                let found = self.delimiter.find(piece, &mut self.examined);
                let used = found.unwrap_or(piece.len());
                self.value.extend_from_slice(&piece[..used]);
                if found.is_some() {
                    // The delimiter (CRLF included) is not part of the value.
                    let len = self
                        .value
                        .len()
                        .saturating_sub(self.delimiter.needle().len());
                    let value = std::mem::take(&mut self.value);
                    // RFC 7578 text fields are UTF-8; be lossy like the
                    // urlencoded path, a wrong token just fails validation.
                    self.seen
                        .record(|| Rc::from(String::from_utf8_lossy(&value[..len]).as_ref()));
                    self.state = MpState::AfterDelimiter {
                        first: None,
                        cr: false,
                        padding: 0,
                    };
                }
                used
            }
            MpState::AfterDelimiter { first, cr, padding } => {
                self.examined += 1;
                self.boundary_line(piece[0], first, cr, padding);
                1
            }
            MpState::Headers => {
                // Never search further than one byte past the cap.
                let room = MAX_PART_HEADERS + 1 - self.headers.len();
                let piece = &piece[..piece.len().min(room)];
                let found = self.blank_line.find(piece, &mut self.examined);
                let used = found.unwrap_or(piece.len());
                if self.headers.len() + used > MAX_PART_HEADERS {
                    self.fail(BodyProblem::PartHeadersTooLarge);
                    return used;
                }
                self.headers.extend_from_slice(&piece[..used]);
                if found.is_some() {
                    // The block without its terminating empty line (which,
                    // for a part without headers, is the only CRLF).
                    let block = &self.headers[..self.headers.len().saturating_sub(4)];
                    self.examined += block.len();
                    let wanted = part_name_is(block, self.field.as_bytes());
                    self.headers.clear();
                    self.delimiter.reset(0);
                    self.state = if wanted {
                        MpState::Capture
                    } else {
                        MpState::Skip
                    };
                }
                used
            }
        }
    }

    /// One byte of the line after a delimiter: `--` closes the body; else
    /// only transport padding may come before the CRLF.
    fn boundary_line(&mut self, b: u8, first: Option<u8>, cr: bool, padding: usize) {
        let next = |first, cr, padding| MpState::AfterDelimiter { first, cr, padding };
        match (first, b) {
            (None, b'-') => self.state = next(Some(b'-'), false, 0),
            // Closing delimiter: every part has been seen.
            (Some(b'-'), b'-') => self.done = Some(self.seen.verdict(false)),
            (Some(b'-'), _) => self.fail(BodyProblem::Multipart),
            _ if cr && b == b'\n' => {
                self.blank_line.reset(2);
                self.state = MpState::Headers;
            }
            _ if cr => self.fail(BodyProblem::Multipart),
            (_, b'\r') => self.state = next(Some(b), true, padding),
            (_, b' ' | b'\t') if padding < MAX_BOUNDARY_PADDING => {
                self.state = next(Some(b), false, padding + 1);
            }
            // Garbage after the boundary, or padding without end.
            _ => self.fail(BodyProblem::Multipart),
        }
    }
}

/// Does this part's header block carry
/// `Content-Disposition: form-data; name="<field>"`?
fn part_name_is(block: &[u8], field: &[u8]) -> bool {
    block.split(|&b| b == b'\n').any(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = memchr::memchr(b':', line) else {
            return false;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        name.trim_ascii()
            .eq_ignore_ascii_case(b"content-disposition")
            && disposition_name(value).is_some_and(|n| n == field)
    })
}

/// Extract the `name` parameter of a `form-data` Content-Disposition value.
/// Handles quoted strings (with `\` escapes, and `;` inside quotes) and bare
/// tokens.
fn disposition_name(value: &[u8]) -> Option<Cow<'_, [u8]>> {
    let value = value.trim_ascii();
    let (kind, mut rest) = match memchr::memchr(b';', value) {
        Some(i) => (&value[..i], &value[i + 1..]),
        None => (value, &b""[..]),
    };
    if !kind.trim_ascii().eq_ignore_ascii_case(b"form-data") {
        return None;
    }
    loop {
        rest = rest.trim_ascii_start();
        if rest.is_empty() {
            return None;
        }
        let eq = memchr::memchr(b'=', rest)?;
        let key = rest[..eq].trim_ascii();
        let after = rest[eq + 1..].trim_ascii_start();
        let (val, remaining): (Cow<'_, [u8]>, &[u8]) = if let Some(q) = after.strip_prefix(b"\"") {
            let (v, used) = unquote(q)?;
            let tail = &q[used..];
            // Skip to the next `;` after the closing quote.
            let next = memchr::memchr(b';', tail).map_or(&b""[..], |i| &tail[i + 1..]);
            (v, next)
        } else {
            match memchr::memchr(b';', after) {
                Some(i) => (Cow::Borrowed(after[..i].trim_ascii()), &after[i + 1..]),
                None => (Cow::Borrowed(after.trim_ascii()), &b""[..]),
            }
        };
        if key.eq_ignore_ascii_case(b"name") {
            return Some(val);
        }
        rest = remaining;
    }
}

/// Parse a quoted string body (after the opening quote). Returns the
/// unescaped content and how many bytes were used including the closing
/// quote; `None` if the quote is never closed.
fn unquote(q: &[u8]) -> Option<(Cow<'_, [u8]>, usize)> {
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < q.len() {
        match q[i] {
            b'"' => {
                let v = out.map_or(Cow::Borrowed(&q[..i]), Cow::Owned);
                return Some((v, i + 1));
            }
            b'\\' if i + 1 < q.len() => {
                let o = out.get_or_insert_with(|| q[..i].to_vec());
                o.push(q[i + 1]);
                i += 2;
            }
            b => {
                if let Some(o) = out.as_mut() {
                    o.push(b);
                }
                i += 1;
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------
// application/json
// ---------------------------------------------------------------------------

/// Where the JSON scanner is relative to the top-level object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonAt {
    /// Anywhere but right after a top-level key naming the token field.
    Elsewhere,
    /// The next value is the token field's value.
    TokenValue,
}

/// Incremental scanner for JSON bodies: the token is the string value of a
/// top-level field named like the form field.
///
/// The bytes go through actson's push parser, a table-driven automaton
/// (after JSON_checker) that handles each byte once, decodes escapes
/// (`\uXXXX`, surrogate pairs included) in keys and strings, and keeps the
/// current string and the nesting stack (both capped by the scan limit).
/// Cost: one automaton step per byte, whatever the chunking. A token field
/// inside a nested value does not count; invalid JSON within the scan limit
/// makes the body unreadable.
pub(crate) struct JsonScanner {
    parser: JsonParser<PushJsonFeeder>,
    field: Arc<str>,
    limit: usize,
    consumed: usize,
    examined: usize,
    /// Nesting depth: 1 inside the top-level object.
    depth: usize,
    /// The top-level value is an object (else no field can be top-level).
    top_is_object: bool,
    at: JsonAt,
    seen: Seen,
    done: Option<BodyToken>,
}

impl fmt::Debug for JsonScanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonScanner")
            .field("consumed", &self.consumed)
            .field("depth", &self.depth)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

impl JsonScanner {
    pub(crate) fn new(field: Arc<str>, limit: usize) -> Self {
        Self {
            parser: JsonParser::new(PushJsonFeeder::new()),
            field,
            limit,
            consumed: 0,
            examined: 0,
            depth: 0,
            top_is_object: false,
            at: JsonAt::Elsewhere,
            seen: Seen::default(),
            done: None,
        }
    }

    /// Feed the next chunk of the body.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Scan {
        let mut win = window(chunk, self.consumed, self.limit);
        let limit_reached = win.len() < chunk.len();
        self.consumed += win.len();
        while !win.is_empty() && self.done.is_none() && !self.seen.conflict {
            // The feeder takes what fits in its ring buffer; the parser
            // then drains it, one automaton step per byte.
            let n = self.parser.feeder.push_bytes(win);
            win = &win[n..];
            self.drain();
        }
        self.examined = self.parser.parsed_bytes();
        if let Some(done) = &self.done {
            return Scan::Done(done.clone());
        }
        after_chunk(&self.seen, limit_reached)
    }

    /// End of body: the JSON text must be complete.
    pub(crate) fn finish(mut self) -> BodyToken {
        if let Some(done) = self.done {
            return done;
        }
        self.parser.feeder.done();
        self.drain();
        if let Some(done) = self.done {
            return done;
        }
        self.seen.verdict(false)
    }

    /// Handles every event the parser can produce from its input.
    fn drain(&mut self) {
        loop {
            let event = match self.parser.next_event() {
                Ok(Some(JsonEvent::NeedMoreInput)) => return,
                // The end of a complete JSON text.
                Ok(None) => {
                    self.done = Some(self.seen.verdict(false));
                    return;
                }
                Ok(Some(event)) => event,
                Err(_) => {
                    self.done = Some(BodyToken::Unreadable(BodyProblem::Json));
                    return;
                }
            };
            let at = std::mem::replace(&mut self.at, JsonAt::Elsewhere);
            if at == JsonAt::TokenValue && event != JsonEvent::ValueString {
                // `"xsrf_token": 1`, `{...}`, `null`: a token field that
                // cannot hold a token.
                self.done = Some(BodyToken::Unreadable(BodyProblem::JsonTokenNotString));
                return;
            }
            match event {
                JsonEvent::StartObject | JsonEvent::StartArray => {
                    if self.depth == 0 && event == JsonEvent::StartObject {
                        self.top_is_object = true;
                    }
                    self.depth += 1;
                }
                JsonEvent::EndObject | JsonEvent::EndArray => {
                    self.depth = self.depth.saturating_sub(1);
                }
                // A key that is not UTF-8 cannot be the field's name.
                JsonEvent::FieldName
                    if self.depth == 1
                        && self.top_is_object
                        && self.parser.current_str().is_ok_and(|k| k == &*self.field) =>
                {
                    self.at = JsonAt::TokenValue;
                }
                JsonEvent::ValueString if at == JsonAt::TokenValue => {
                    match self.parser.current_str() {
                        Ok(v) => self.seen.record(|| Rc::from(v)),
                        Err(_) => {
                            self.done = Some(BodyToken::Unreadable(BodyProblem::Encoding));
                            return;
                        }
                    }
                }
                _ => {}
            }
            if self.seen.conflict {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field() -> Arc<str> {
        crate::config::DEFAULT_FIELD.into()
    }

    fn run(mut s: Scanner, chunks: &[&[u8]]) -> (BodyToken, usize) {
        for c in chunks {
            if let Scan::Done(t) = s.feed(c) {
                return (t, s.examined());
            }
        }
        let examined = s.examined();
        (s.finish(), examined)
    }

    fn form(limit: usize) -> Scanner {
        Scanner::Form(UrlencodedScanner::new(field(), limit))
    }

    fn mp(limit: usize) -> Scanner {
        Scanner::Multipart(Box::new(
            MultipartScanner::new("XyZ", field(), limit).expect("boundary"),
        ))
    }

    fn json(limit: usize) -> Scanner {
        Scanner::Json(Box::new(JsonScanner::new(field(), limit)))
    }

    fn run_form(chunks: &[&[u8]], limit: usize) -> BodyToken {
        run(form(limit), chunks).0
    }

    fn run_mp(chunks: &[&[u8]], limit: usize) -> BodyToken {
        run(mp(limit), chunks).0
    }

    fn run_json(chunks: &[&[u8]], limit: usize) -> BodyToken {
        run(json(limit), chunks).0
    }

    /// Feed `body` split at every possible position (two chunks), and also
    /// byte by byte; all must agree with `expected`.
    fn all_splits(make: fn(usize) -> Scanner, body: &[u8], expected: &BodyToken) {
        for i in 0..=body.len() {
            let (a, b) = body.split_at(i);
            assert_eq!(&run(make(1 << 20), &[a, b]).0, expected, "split at {i}");
        }
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(&run(make(1 << 20), &bytes).0, expected, "byte by byte");
    }

    fn all_splits_form(body: &[u8], expected: &BodyToken) {
        all_splits(form, body, expected);
    }

    fn all_splits_mp(body: &[u8], expected: &BodyToken) {
        all_splits(mp, body, expected);
    }

    fn all_splits_json(body: &[u8], expected: &BodyToken) {
        all_splits(json, body, expected);
    }

    fn found(s: &str) -> BodyToken {
        BodyToken::Found(Rc::from(s))
    }

    #[test]
    fn seeker_finds_across_every_split() {
        let needle = b"\r\n--XyZ";
        let hay = b"a\r\n--Xy\r\n-\r\n--XyZ tail \r\n--XyZ";
        for i in 0..=hay.len() {
            let mut s = Seeker::new(needle);
            let mut n = 0;
            let (a, b) = hay.split_at(i);
            let first = s.find(a, &mut n);
            let got = first.or_else(|| s.find(b, &mut n).map(|e| e + a.len()));
            assert_eq!(got, Some(17), "split at {i}");
        }
        // Overlapping prefixes (the KMP failure links matter here).
        let mut s = Seeker::new(b"aab");
        let mut n = 0;
        let hits: Vec<_> = b"aaab".chunks(1).map(|c| s.find(c, &mut n)).collect();
        assert_eq!(hits, [None, None, None, Some(1)]);
    }

    #[test]
    fn form_basic_and_decoding() {
        all_splits_form(b"a=1&xsrf_token=ab%2Bc+d&b=2", &found("ab+c d"));
        all_splits_form(b"xsrf_token=abc", &found("abc"));
        all_splits_form(b"a=1&xsrf%5Ftoken=abc", &found("abc"));
        all_splits_form(b"a=1&b=xsrf_token%3Dx", &BodyToken::NotFound);
        all_splits_form(b"xsrf_tokenx=1&axsrf_token=2", &BodyToken::NotFound);
        all_splits_form(b"", &BodyToken::NotFound);
        all_splits_form(b"a=1&xsrf_token", &found(""));
        all_splits_form(b"&&xsrf_token=&a", &found(""));
    }

    #[test]
    fn form_second_token_field_is_a_conflict_even_with_the_same_value() {
        all_splits_form(b"xsrf_token=a&b=1&xsrf_token=b", &BodyToken::Conflict);
        all_splits_form(b"xsrf_token=a&b=1&xsrf_token=a", &BodyToken::Conflict);
        all_splits_form(b"xsrf_token=a&xsrf%5ftoken", &BodyToken::Conflict);
        // The conflict is final as soon as the second name is seen.
        let mut s = UrlencodedScanner::new(field(), 1 << 20);
        assert_eq!(s.feed(b"xsrf_token=a&"), Scan::NeedMore);
        assert_eq!(s.feed(b"xsrf_token=b&"), Scan::Done(BodyToken::Conflict));
    }

    #[test]
    fn form_reads_on_to_the_end_or_the_limit() {
        let mut s = UrlencodedScanner::new(field(), 64);
        assert_eq!(s.feed(b"xsrf_token=abc&"), Scan::NeedMore);
        assert_eq!(s.finish(), found("abc"));
        let mut s = UrlencodedScanner::new(field(), 64);
        assert_eq!(s.feed(b"xsrf_token=abc"), Scan::NeedMore);
        assert_eq!(s.feed(b"def&rest"), Scan::NeedMore);
        assert_eq!(s.finish(), found("abcdef"));
    }

    #[test]
    fn form_limit() {
        let body = [b"a=".as_slice(), &[b'x'; 100], b"&xsrf_token=t"].concat();
        assert_eq!(run_form(&[&body], 50), BodyToken::TooLarge);
        assert_eq!(
            run_form(&body.chunks(7).collect::<Vec<_>>(), 50),
            BodyToken::TooLarge
        );
        // Exactly at the limit, terminated by end-of-body: fine.
        assert_eq!(run_form(&[&body], body.len()), found("t"));
        // Token early inside one huge chunk: found despite the chunk size,
        // and a second one past the limit is never looked at.
        let big = [
            b"xsrf_token=t&a=".as_slice(),
            &[b'x'; 1000],
            b"&xsrf_token=u",
        ]
        .concat();
        assert_eq!(run_form(&[&big], 50), found("t"));
        assert_eq!(run_form(&big.chunks(1).collect::<Vec<_>>(), 50), found("t"));
        // Within the limit it is a conflict.
        assert_eq!(run_form(&[&big], big.len()), BodyToken::Conflict);
    }

    const MP: &[u8] = b"preamble\r\n--XyZ\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"a;name=xsrf_token.txt\"\r\n\
Content-Type: application/octet-stream\r\n\r\n\
data with --XyZ inside (not after CRLF)\r\n--XyZ  \r\n\
content-disposition: form-data; name=\"xsrf_token\"\r\n\r\n\
tok\"en\r\n--XyZ\r\n\
Content-Disposition: form-data; name=\"after\"\r\n\r\nlater\r\n--XyZ--\r\n";

    #[test]
    fn multipart_found_after_file() {
        all_splits_mp(MP, &found("tok\"en"));
    }

    #[test]
    fn multipart_second_token_part_is_a_conflict() {
        let body =
            b"--XyZ\r\nContent-Disposition: form-data; name=xsrf_token\r\n\r\nA\r\n--XyZ\r\n\
Content-Disposition: form-data; name=\"xsrf_token\"\r\n\r\nA\r\n--XyZ--\r\n";
        all_splits_mp(body, &BodyToken::Conflict);
    }

    #[test]
    fn multipart_garbage_after_boundary_is_unreadable() {
        // RFC 2046 forbids the delimiter inside content; `\r\n--XyZZ` is a
        // delimiter followed by garbage, not part data.
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--XyZZ\r\n";
        all_splits_mp(body, &BodyToken::Unreadable(BodyProblem::Multipart));
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--XyZ-x";
        all_splits_mp(body, &BodyToken::Unreadable(BodyProblem::Multipart));
        let body = b"--XyZ \r\r\n\r\nx\r\n--XyZ--";
        all_splits_mp(body, &BodyToken::Unreadable(BodyProblem::Multipart));
        let long_pad = [b"--XyZ".as_slice(), &[b' '; 300], b"\r\n\r\nx\r\n--XyZ--"].concat();
        all_splits_mp(&long_pad, &BodyToken::Unreadable(BodyProblem::Multipart));
    }

    #[test]
    fn multipart_not_found_and_truncated() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ--";
        all_splits_mp(body, &BodyToken::NotFound);
        let trunc = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--Xy";
        all_splits_mp(trunc, &BodyToken::Unreadable(BodyProblem::Multipart));
        let trunc_tok = b"--XyZ\r\nContent-Disposition: form-data; name=xsrf_token\r\n\r\nabc";
        all_splits_mp(trunc_tok, &BodyToken::Unreadable(BodyProblem::Multipart));
        // Token complete but the closing delimiter never comes.
        let open =
            b"--XyZ\r\nContent-Disposition: form-data; name=xsrf_token\r\n\r\nabc\r\n--XyZ\r\n";
        all_splits_mp(open, &BodyToken::Unreadable(BodyProblem::Multipart));
        all_splits_mp(
            b"no boundary here",
            &BodyToken::Unreadable(BodyProblem::Multipart),
        );
    }

    #[test]
    fn multipart_empty_headers_and_bare_name() {
        let body = b"--XyZ\r\n\r\nnoheaders\r\n--XyZ\r\nContent-Disposition: form-data; name=xsrf_token\r\n\r\nv\r\n--XyZ--";
        all_splits_mp(body, &found("v"));
        // An empty value, and a value that is itself only a CRLF.
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=xsrf_token\r\n\r\n\r\n--XyZ--";
        all_splits_mp(body, &found(""));
        let body =
            b"--XyZ\r\nContent-Disposition: form-data; name=xsrf_token\r\n\r\n\r\n\r\n--XyZ--";
        all_splits_mp(body, &found("\r\n"));
    }

    #[test]
    fn multipart_part_headers_are_capped() {
        let mut body = b"--XyZ\r\nContent-Disposition: form-data; name=a\r\nX-Pad: ".to_vec();
        body.extend_from_slice(&[b'a'; MAX_PART_HEADERS]);
        body.extend_from_slice(b"\r\n\r\nv\r\n--XyZ--");
        let expected = BodyToken::Unreadable(BodyProblem::PartHeadersTooLarge);
        assert_eq!(run_mp(&[&body], 1 << 20), expected);
        assert_eq!(
            run_mp(&body.chunks(1).collect::<Vec<_>>(), 1 << 20),
            expected
        );
        // Just under the cap is fine.
        let head = b"Content-Disposition: form-data; name=xsrf_token\r\nX-Pad: ";
        let pad = MAX_PART_HEADERS - head.len() - 4;
        let body = [
            b"--XyZ\r\n".as_slice(),
            head,
            &vec![b'a'; pad],
            b"\r\n\r\nv\r\n--XyZ--",
        ]
        .concat();
        assert_eq!(
            run_mp(&body.chunks(1).collect::<Vec<_>>(), 1 << 20),
            found("v")
        );
        assert_eq!(run_mp(&[&body], 1 << 20), found("v"));
    }

    #[test]
    fn multipart_limit() {
        let mut body =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f\"\r\n\r\n".to_vec();
        body.extend_from_slice(&[b'x'; 5000]);
        body.extend_from_slice(b"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"xsrf_token\"\r\n\r\nt\r\n--XyZ--\r\n");
        assert_eq!(run_mp(&[&body], 1000), BodyToken::TooLarge);
        assert_eq!(
            run_mp(&body.chunks(100).collect::<Vec<_>>(), 1000),
            BodyToken::TooLarge
        );
        assert_eq!(run_mp(&[&body], body.len()), found("t"));
        // Token first, then a large file: found once the limit is reached.
        let mut first =
            b"--XyZ\r\nContent-Disposition: form-data; name=xsrf_token\r\n\r\nt\r\n--XyZ\r\n\
Content-Disposition: form-data; name=\"f\"; filename=\"f\"\r\n\r\n"
                .to_vec();
        first.extend_from_slice(&[b'x'; 5000]);
        assert_eq!(run_mp(&[&first], 1000), found("t"));
        assert_eq!(
            run_mp(&first.chunks(1).collect::<Vec<_>>(), 1000),
            found("t")
        );
    }

    #[test]
    fn multipart_bad_boundary() {
        assert!(MultipartScanner::new("", field(), 10).is_err());
        assert!(MultipartScanner::new(&"a".repeat(71), field(), 10).is_err());
    }

    #[test]
    fn disposition_parsing() {
        let n = |v: &[u8]| disposition_name(v).map(|c| c.into_owned());
        assert_eq!(n(b"form-data; name=\"a\\\"b\""), Some(b"a\"b".to_vec()));
        assert_eq!(
            n(b"form-data; filename=\"x;name=y\"; name=z"),
            Some(b"z".to_vec())
        );
        assert_eq!(n(b"Form-Data;NAME=\"q\""), Some(b"q".to_vec()));
        assert_eq!(n(b"attachment; name=\"q\""), None);
        assert_eq!(n(b"form-data; name=\"unterminated"), None);
        assert_eq!(n(b"form-data"), None);
    }

    #[test]
    fn json_top_level_field() {
        all_splits_json(br#"{"a":1,"xsrf_token":"tok","b":[1,2]}"#, &found("tok"));
        all_splits_json(
            br#" {"xsrf_token" : "t\"\u00e9\ud83d\ude00"} "#,
            &found("t\"é😀"),
        );
        // Escapes in the key are decoded like serde does.
        all_splits_json(br#"{"xsrf\u005ftoken":"k"}"#, &found("k"));
        all_splits_json(br#"{"a":{"xsrf_token":"nested"}}"#, &BodyToken::NotFound);
        all_splits_json(br#"[{"xsrf_token":"in array"}]"#, &BodyToken::NotFound);
        all_splits_json(
            br#"{"a":"xsrf_token","b":["xsrf_token"]}"#,
            &BodyToken::NotFound,
        );
        all_splits_json(
            br#"{"a":{"xsrf_token":"n"},"xsrf_token":"top"}"#,
            &found("top"),
        );
        all_splits_json(br#""xsrf_token""#, &BodyToken::NotFound);
    }

    #[test]
    fn json_conflicts_and_junk() {
        all_splits_json(
            br#"{"xsrf_token":"a","xsrf_token":"a"}"#,
            &BodyToken::Conflict,
        );
        all_splits_json(
            br#"{"xsrf_token":"a","x":1,"xsrf\u005ftoken":"b"}"#,
            &BodyToken::Conflict,
        );
        let bad = BodyToken::Unreadable(BodyProblem::Json);
        all_splits_json(br#"{"a":01,"xsrf_token":"t"}"#, &bad);
        all_splits_json(br#"{"a" 1,"xsrf_token":"t"}"#, &bad);
        all_splits_json(br#"xsrf_token=t"#, &bad);
        all_splits_json(br#"{"xsrf_token":"t""#, &bad);
        all_splits_json(br#"{"xsrf_token":"t"} {}"#, &bad);
        all_splits_json(b"", &bad);
        all_splits_json(
            br#"{"xsrf_token":1}"#,
            &BodyToken::Unreadable(BodyProblem::JsonTokenNotString),
        );
        all_splits_json(
            br#"{"xsrf_token":{"v":"t"}}"#,
            &BodyToken::Unreadable(BodyProblem::JsonTokenNotString),
        );
    }

    #[test]
    fn json_limit() {
        let body = [
            br#"{"a":""#.as_slice(),
            &[b'x'; 1000],
            br#"","xsrf_token":"t"}"#,
        ]
        .concat();
        assert_eq!(run_json(&[&body], 100), BodyToken::TooLarge);
        assert_eq!(
            run_json(&body.chunks(1).collect::<Vec<_>>(), 100),
            BodyToken::TooLarge
        );
        assert_eq!(run_json(&[&body], body.len()), found("t"));
        let first = [
            br#"{"xsrf_token":"t","a":""#.as_slice(),
            &[b'x'; 1000],
            br#""}"#,
        ]
        .concat();
        assert_eq!(run_json(&[&first], 100), found("t"));
        assert_eq!(
            run_json(&first.chunks(3).collect::<Vec<_>>(), 100),
            found("t")
        );
    }

    /// T20: 64 KiB in one chunk and in 1-byte chunks, for each scanner
    /// state; the 1-byte run may examine at most 3x the bytes.
    #[test]
    fn t20_every_scanner_state_is_linear_in_bytes_whatever_the_chunking() {
        const N: usize = 64 * 1024;
        let pad = |prefix: &[u8], fill: &[u8], suffix: &[u8]| -> Vec<u8> {
            let mut b = prefix.to_vec();
            while b.len() + suffix.len() < N {
                b.extend_from_slice(fill);
            }
            b.truncate(N - suffix.len());
            b.extend_from_slice(suffix);
            b
        };
        let part = b"--XyZ\r\nContent-Disposition: form-data; name=";
        type Make = fn(usize) -> Scanner;
        let cases: Vec<(&str, Make, Vec<u8>)> = vec![
            ("form: field name", form, pad(b"", b"n", b"=1")),
            ("form: other value", form, pad(b"a=", b"v", b"")),
            ("form: token value", form, pad(b"xsrf_token=", b"v", b"")),
            ("form: many fields", form, pad(b"", b"a=1&", b"")),
            ("multipart: preamble", mp, pad(b"", b"a", b"\r\n--XyZ--")),
            (
                "multipart: near-miss delimiters",
                mp,
                pad(b"", b"\r\n--Xy\r\r\n-", b"\r\n--XyZ--"),
            ),
            (
                "multipart: boundary lines",
                mp,
                pad(b"--XyZ", b"  \t \r\n\r\n\r\n--XyZ", b"--"),
            ),
            (
                "multipart: part headers",
                mp,
                pad(b"--XyZ\r\nX-Pad: ", b"a", b""),
            ),
            (
                "multipart: header lines",
                mp,
                pad(b"--XyZ\r\n", b"X: \r\n\r", b""),
            ),
            (
                "multipart: skipped value",
                mp,
                pad(
                    &[part.as_slice(), b"a\r\n\r\n"].concat(),
                    b"v\r\n-",
                    b"\r\n--XyZ--",
                ),
            ),
            (
                "multipart: token value",
                mp,
                pad(
                    &[part.as_slice(), b"xsrf_token\r\n\r\n"].concat(),
                    b"v\r",
                    b"\r\n--XyZ--",
                ),
            ),
            ("json: string", json, pad(br#"{"a":""#, b"x", br#""}"#)),
            (
                "json: token",
                json,
                pad(br#"{"xsrf_token":""#, b"\\n", br#""}"#),
            ),
            ("json: nesting", json, pad(b"", b"[", b"")),
            ("json: keys", json, pad(b"{", br#""k":1,"#, br#""z":2}"#)),
        ];
        for (name, make, body) in cases {
            assert_eq!(body.len(), N, "{name}");
            let (one, one_cost) = run(make(N), &[&body]);
            let bytes: Vec<&[u8]> = body.chunks(1).collect();
            let (tiny, tiny_cost) = run(make(N), &bytes);
            assert_eq!(one, tiny, "{name}: same verdict");
            assert!(one_cost > 0, "{name}: something examined");
            eprintln!(
                "T20 {name}: {one:?} {one_cost} bytes examined in one chunk, {tiny_cost} in 1-byte chunks"
            );
            assert!(
                tiny_cost <= 3 * one_cost,
                "{name}: {tiny_cost} bytes examined in 1-byte chunks vs {one_cost} in one"
            );
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        /// Splits `body` at the given points (1-byte chunks when `tiny`).
        fn chunks<'a>(body: &'a [u8], cuts: &[usize], tiny: bool) -> Vec<&'a [u8]> {
            if tiny {
                return body.chunks(1).collect();
            }
            let mut points: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
            points.sort_unstable();
            let mut out = Vec::new();
            let mut from = 0;
            for p in points {
                out.push(&body[from..p]);
                from = p;
            }
            out.push(&body[from..]);
            out
        }

        fn same_answer(
            make: fn(usize) -> Scanner,
            body: &[u8],
            cuts: &[usize],
            tiny: bool,
            limit: usize,
        ) -> Result<(), TestCaseError> {
            let (whole, cost) = run(make(limit), &[body]);
            let (split, split_cost) = run(make(limit), &chunks(body, cuts, tiny));
            prop_assert_eq!(whole, split);
            prop_assert!(split_cost <= 3 * cost.max(1) + 64);
            Ok(())
        }

        fn form_body() -> impl Strategy<Value = Vec<u8>> {
            proptest::collection::vec(
                prop_oneof![
                    Just(b"xsrf_token=".to_vec()),
                    Just(b"xsrf%5Ftoken".to_vec()),
                    Just(b"&".to_vec()),
                    Just(b"=".to_vec()),
                    Just(b"+%2".to_vec()),
                    proptest::collection::vec(any::<u8>(), 0..8),
                ],
                0..12,
            )
            .prop_map(|parts| parts.concat())
        }

        fn mp_body() -> impl Strategy<Value = Vec<u8>> {
            proptest::collection::vec(
                prop_oneof![
                    Just(b"\r\n--XyZ".to_vec()),
                    Just(b"--XyZ".to_vec()),
                    Just(b"\r\n".to_vec()),
                    Just(b"--".to_vec()),
                    Just(b"Content-Disposition: form-data; name=xsrf_token".to_vec()),
                    Just(b"Content-Disposition: form-data; name=\"a\"".to_vec()),
                    Just(b"\r\n\r\n".to_vec()),
                    proptest::collection::vec(any::<u8>(), 0..8),
                ],
                0..16,
            )
            .prop_map(|parts| parts.concat())
        }

        fn json_body() -> impl Strategy<Value = Vec<u8>> {
            proptest::collection::vec(
                prop_oneof![
                    Just(br#"{"#.to_vec()),
                    Just(br#"}"#.to_vec()),
                    Just(br#"["#.to_vec()),
                    Just(br#"]"#.to_vec()),
                    Just(br#""xsrf_token":"#.to_vec()),
                    Just(br#""t\u0041\ud83d\ude00""#.to_vec()),
                    Just(br#","#.to_vec()),
                    Just(br#"1.5e3"#.to_vec()),
                    proptest::collection::vec(any::<u8>(), 0..4),
                ],
                0..16,
            )
            .prop_map(|parts| parts.concat())
        }

        proptest! {
            #[test]
            fn form_any_split_gives_the_one_chunk_answer(
                body in form_body(), cuts in proptest::collection::vec(any::<usize>(), 0..6),
                tiny in any::<bool>(), limit in 1usize..200,
            ) {
                same_answer(form, &body, &cuts, tiny, limit)?;
            }

            #[test]
            fn multipart_any_split_gives_the_one_chunk_answer(
                body in mp_body(), cuts in proptest::collection::vec(any::<usize>(), 0..6),
                tiny in any::<bool>(), limit in 1usize..400,
            ) {
                same_answer(mp, &body, &cuts, tiny, limit)?;
            }

            #[test]
            fn json_any_split_gives_the_one_chunk_answer(
                body in json_body(), cuts in proptest::collection::vec(any::<usize>(), 0..6),
                tiny in any::<bool>(), limit in 1usize..200,
            ) {
                same_answer(json, &body, &cuts, tiny, limit)?;
            }
        }
    }
}
