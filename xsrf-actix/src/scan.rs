//! Pure, incremental body scanners that look for a CSRF token field.
//!
//! Nothing in this module knows about actix: the scanners are fed byte chunks
//! in arrival order and answer either "need more" or a final [`BodyToken`].
//! They never own the body — the caller keeps the chunks so that it can hand
//! them on untouched — and they keep only the little state they need (the
//! current field name, the token value, or a delimiter-sized tail).
//!
//! Both scanners enforce `limit`: once more than `limit` body bytes have been
//! examined without a decision, they answer [`BodyToken::TooLarge`]. A chunk is
//! only examined up to the limit, so a token that sits early inside one huge
//! chunk is still found, and one past the limit is never looked at.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

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
    /// The field was present; this is its decoded value (may be empty).
    Found(String),
    /// The body was read to its end (or to the closing multipart boundary)
    /// and the field was not there.
    NotFound,
    /// The field appeared more than once with different values.
    Conflict,
    /// More than `limit` bytes were examined without finding the field.
    TooLarge,
    /// The body could not be scanned: truncated or malformed multipart, a
    /// payload error, a compressed body, ...
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

/// `application/x-www-form-urlencoded` decoding of one name or value, the
/// same way `form_urlencoded` (and thus `web::Form`) does it: `+` is a space,
/// then percent-decoding, then lossy UTF-8.
fn form_decode(raw: &[u8]) -> Cow<'_, str> {
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
#[derive(Debug)]
pub(crate) struct UrlencodedScanner {
    field: Arc<str>,
    limit: usize,
    stop_at_first: bool,
    consumed: usize,
    state: FormState,
    /// Raw (still encoded) bytes of the current name, kept only while it can
    /// still match `field`.
    name: Vec<u8>,
    /// The current name grew past the longest encoding of `field`.
    name_too_long: bool,
    /// Raw bytes of the value being captured.
    value: Vec<u8>,
    found: Option<String>,
    conflict: bool,
}

impl UrlencodedScanner {
    /// `stop_at_first`: answer `Found` at the end of the chunk in which the
    /// token value was terminated. With `false` the whole body (up to
    /// `limit`) is scanned so a second, different occurrence is reported as
    /// `Conflict`; the middleware uses that when Content-Length <= limit,
    /// i.e. when reading to the end costs at most `limit` bytes anyway.
    pub(crate) fn new(field: Arc<str>, limit: usize, stop_at_first: bool) -> Self {
        Self {
            field,
            limit,
            stop_at_first,
            consumed: 0,
            state: FormState::Name,
            name: Vec::new(),
            name_too_long: false,
            value: Vec::new(),
            found: None,
            conflict: false,
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
        !self.name_too_long && form_decode(&self.name) == *self.field
    }

    fn reset_name(&mut self) {
        self.name.clear();
        self.name_too_long = false;
    }

    fn record(&mut self, raw: &[u8]) {
        let decoded = form_decode(raw);
        match &self.found {
            None => self.found = Some(decoded.into_owned()),
            Some(prev) if !xsrf_core::secret_eq(prev, decoded.as_bytes()) => self.conflict = true,
            Some(_) => {}
        }
    }

    /// Feed the next chunk of the body.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Scan {
        let win = window(chunk, self.consumed, self.limit);
        let mut i = 0;
        while i < win.len() {
            let rest = &win[i..];
            match self.state {
                FormState::Name => match memchr::memchr2(b'=', b'&', rest) {
                    None => {
                        self.push_name(rest);
                        i = win.len();
                    }
                    Some(j) => {
                        self.push_name(&rest[..j]);
                        let matched = self.name_matches();
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
                        if capture {
                            self.value.extend_from_slice(rest);
                        }
                        i = win.len();
                    }
                    Some(j) => {
                        if capture {
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

        if self.conflict {
            return Scan::Done(BodyToken::Conflict);
        }
        let truncated = win.len() < chunk.len();
        match &self.found {
            Some(v) if self.stop_at_first || truncated => Scan::Done(BodyToken::Found(v.clone())),
            None if truncated => Scan::Done(BodyToken::TooLarge),
            _ => Scan::NeedMore,
        }
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
        if self.conflict {
            BodyToken::Conflict
        } else {
            self.found.map_or(BodyToken::NotFound, BodyToken::Found)
        }
    }
}

// ---------------------------------------------------------------------------
// multipart/form-data
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MpState {
    /// Before the first boundary.
    Preamble,
    /// Just after a `--boundary`: either `--` (end) or padding + CRLF.
    AfterDelimiter,
    /// Reading a part's header block.
    Headers,
    /// Inside a part we don't care about.
    SkipBody,
    /// Inside the token part; `search_from` avoids rescanning the value.
    CaptureBody { search_from: usize },
}

/// Longest boundary line padding / header block we tolerate before calling the
/// body malformed (the scan limit bounds everything anyway).
const MAX_BOUNDARY_LINE: usize = 256;

/// Incremental scanner for `multipart/form-data` bodies (RFC 7578 / 2046).
#[derive(Debug)]
pub(crate) struct MultipartScanner {
    /// `\r\n--boundary`.
    delimiter: Vec<u8>,
    field: String,
    limit: usize,
    consumed: usize,
    state: MpState,
    /// Unprocessed bytes. Starts with a virtual CRLF so the first boundary
    /// (which has no preceding CRLF) is found by the same search.
    buf: Vec<u8>,
}

/// Why a boundary is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidBoundary;

impl MultipartScanner {
    /// `boundary` is the Content-Type `boundary` parameter (already unquoted).
    pub(crate) fn new(boundary: &str, field: &str, limit: usize) -> Result<Self, InvalidBoundary> {
        // RFC 2046: 1..=70 characters. An empty boundary would make every
        // CRLF-- a delimiter.
        if boundary.is_empty() || boundary.len() > 70 {
            return Err(InvalidBoundary);
        }
        let mut delimiter = Vec::with_capacity(boundary.len() + 4);
        delimiter.extend_from_slice(b"\r\n--");
        delimiter.extend_from_slice(boundary.as_bytes());
        Ok(Self {
            delimiter,
            field: field.to_owned(),
            limit,
            consumed: 0,
            state: MpState::Preamble,
            buf: b"\r\n".to_vec(),
        })
    }

    /// Feed the next chunk of the body.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Scan {
        let win = window(chunk, self.consumed, self.limit);
        self.consumed += win.len();
        self.buf.extend_from_slice(win);
        if let Some(done) = self.advance() {
            return Scan::Done(done);
        }
        if win.len() < chunk.len() {
            // Parts before the token (e.g. a file) count towards the limit.
            return Scan::Done(BodyToken::TooLarge);
        }
        Scan::NeedMore
    }

    /// End of body without a decision: the closing boundary never came.
    pub(crate) fn finish(self) -> BodyToken {
        // Either no boundary ever came (preamble) or the closing one did not.
        BodyToken::Unreadable(BodyProblem::Multipart)
    }

    /// Keep only the bytes that may still be the start of a delimiter.
    fn keep_delimiter_tail(&mut self) {
        let keep = self.delimiter.len() - 1;
        if self.buf.len() > keep {
            self.buf.drain(..self.buf.len() - keep);
        }
    }

    /// Run the state machine over `buf` as far as it goes.
    fn advance(&mut self) -> Option<BodyToken> {
        loop {
            match self.state {
                MpState::Preamble | MpState::SkipBody => {
                    match memmem::find(&self.buf, &self.delimiter) {
                        Some(i) => {
                            self.buf.drain(..i + self.delimiter.len());
                            self.state = MpState::AfterDelimiter;
                        }
                        None => {
                            self.keep_delimiter_tail();
                            return None;
                        }
                    }
                }
                MpState::CaptureBody { search_from } => {
                    match memmem::find(&self.buf[search_from..], &self.delimiter) {
                        Some(i) => {
                            let value = &self.buf[..search_from + i];
                            // RFC 7578 text fields are UTF-8; be lossy like
                            // the urlencoded path, a wrong token just fails
                            // validation.
                            let v = String::from_utf8_lossy(value).into_owned();
                            return Some(BodyToken::Found(v));
                        }
                        None => {
                            let from = self.buf.len().saturating_sub(self.delimiter.len() - 1);
                            self.state = MpState::CaptureBody { search_from: from };
                            return None;
                        }
                    }
                }
                MpState::AfterDelimiter => {
                    if self.buf.len() < 2 {
                        return None;
                    }
                    if self.buf.starts_with(b"--") {
                        // Closing delimiter: every part has been seen.
                        return Some(BodyToken::NotFound);
                    }
                    match memmem::find(&self.buf, b"\r\n") {
                        Some(i) => {
                            // Only transport padding may follow the boundary.
                            if !self.buf[..i].iter().all(|&b| b == b' ' || b == b'\t') {
                                return Some(malformed("garbage after multipart boundary"));
                            }
                            self.buf.drain(..i + 2);
                            self.state = MpState::Headers;
                        }
                        None if self.buf.len() > MAX_BOUNDARY_LINE => {
                            return Some(malformed("multipart boundary line too long"));
                        }
                        None => return None,
                    }
                }
                MpState::Headers => {
                    if self.buf.len() < 2 {
                        return None;
                    }
                    // Header block ends at the first empty line; it may be
                    // empty itself (part without headers).
                    let (block_end, skip) = if self.buf.starts_with(b"\r\n") {
                        (0, 2)
                    } else {
                        match memmem::find(&self.buf, b"\r\n\r\n") {
                            Some(i) => (i, 4),
                            None => return None,
                        }
                    };
                    let wanted = part_name_is(&self.buf[..block_end], self.field.as_bytes());
                    self.buf.drain(..block_end + skip);
                    self.state = if wanted {
                        MpState::CaptureBody { search_from: 0 }
                    } else {
                        MpState::SkipBody
                    };
                }
            }
        }
    }
}

// The reason is for the reader of the call site; the outcome is the same.
fn malformed(_why: &str) -> BodyToken {
    BodyToken::Unreadable(BodyProblem::Multipart)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn run_form(chunks: &[&[u8]], limit: usize, stop_at_first: bool) -> BodyToken {
        let mut s =
            UrlencodedScanner::new(crate::config::DEFAULT_FIELD.into(), limit, stop_at_first);
        for c in chunks {
            if let Scan::Done(t) = s.feed(c) {
                return t;
            }
        }
        s.finish()
    }

    /// Feed `body` split at every possible position (two chunks), and also
    /// byte by byte; all must agree with `expected`.
    fn all_splits_form(body: &[u8], expected: &BodyToken, stop_at_first: bool) {
        for i in 0..=body.len() {
            let (a, b) = body.split_at(i);
            assert_eq!(
                &run_form(&[a, b], 1 << 20, stop_at_first),
                expected,
                "split at {i}"
            );
        }
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(
            &run_form(&bytes, 1 << 20, stop_at_first),
            expected,
            "byte by byte"
        );
    }

    fn found(s: &str) -> BodyToken {
        BodyToken::Found(s.to_owned())
    }

    #[test]
    fn form_basic_and_decoding() {
        all_splits_form(b"a=1&xsrf_token=ab%2Bc+d&b=2", &found("ab+c d"), true);
        all_splits_form(b"xsrf_token=abc", &found("abc"), true);
        all_splits_form(b"a=1&xsrf%5Ftoken=abc", &found("abc"), true);
        all_splits_form(b"a=1&b=xsrf_token%3Dx", &BodyToken::NotFound, true);
        all_splits_form(b"xsrf_tokenx=1&axsrf_token=2", &BodyToken::NotFound, true);
        all_splits_form(b"", &BodyToken::NotFound, true);
        all_splits_form(b"a=1&xsrf_token", &found(""), true);
        all_splits_form(b"&&xsrf_token=&a", &found(""), true);
    }

    #[test]
    fn form_conflict() {
        all_splits_form(
            b"xsrf_token=a&b=1&xsrf_token=b",
            &BodyToken::Conflict,
            false,
        );
        all_splits_form(b"xsrf_token=a&b=1&xsrf_token=a", &found("a"), false);
        // With stop_at_first, a duplicate terminated within the same chunk is
        // still noticed (that chunk is scanned to its end anyway) ...
        assert_eq!(
            run_form(&[b"xsrf_token=a&xsrf_token=b&"], 1 << 20, true),
            BodyToken::Conflict
        );
        // ... but one still unterminated at the end of the chunk is not.
        assert_eq!(
            run_form(&[b"xsrf_token=a&xsrf_token=b"], 1 << 20, true),
            found("a")
        );
    }

    #[test]
    fn form_stops_early() {
        let mut s = UrlencodedScanner::new(crate::config::DEFAULT_FIELD.into(), 16, true);
        assert_eq!(s.feed(b"xsrf_token=abc&"), Scan::Done(found("abc")));
        // Value not terminated yet: no decision before `&` or end-of-body.
        let mut s = UrlencodedScanner::new(crate::config::DEFAULT_FIELD.into(), 64, true);
        assert_eq!(s.feed(b"xsrf_token=abc"), Scan::NeedMore);
        assert_eq!(s.feed(b"def&rest"), Scan::Done(found("abcdef")));
    }

    #[test]
    fn form_limit() {
        let body = [b"a=".as_slice(), &[b'x'; 100], b"&xsrf_token=t"].concat();
        assert_eq!(run_form(&[&body], 50, true), BodyToken::TooLarge);
        assert_eq!(
            run_form(&body.chunks(7).collect::<Vec<_>>(), 50, true),
            BodyToken::TooLarge
        );
        // Exactly at the limit, terminated by end-of-body: fine.
        assert_eq!(run_form(&[&body], body.len(), true), found("t"));
        // Token early inside one huge chunk: found despite the chunk size.
        let big = [b"xsrf_token=t&a=".as_slice(), &[b'x'; 1000]].concat();
        assert_eq!(run_form(&[&big], 50, true), found("t"));
    }

    fn run_mp(chunks: &[&[u8]], limit: usize) -> BodyToken {
        let mut s =
            MultipartScanner::new("XyZ", crate::config::DEFAULT_FIELD, limit).expect("boundary");
        for c in chunks {
            if let Scan::Done(t) = s.feed(c) {
                return t;
            }
        }
        s.finish()
    }

    fn all_splits_mp(body: &[u8], expected: &BodyToken) {
        for i in 0..=body.len() {
            let (a, b) = body.split_at(i);
            assert_eq!(&run_mp(&[a, b], 1 << 20), expected, "split at {i}");
        }
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(&run_mp(&bytes, 1 << 20), expected, "byte by byte");
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
    fn multipart_garbage_after_boundary_is_unreadable() {
        // RFC 2046 forbids the delimiter inside content; `\r\n--XyZZ` is a
        // delimiter followed by garbage, not part data.
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--XyZZ\r\n";
        all_splits_mp(body, &BodyToken::Unreadable(BodyProblem::Multipart));
    }

    #[test]
    fn multipart_not_found_and_truncated() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ--";
        all_splits_mp(body, &BodyToken::NotFound);
        let trunc = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--Xy";
        all_splits_mp(trunc, &BodyToken::Unreadable(BodyProblem::Multipart));
        let trunc_tok = b"--XyZ\r\nContent-Disposition: form-data; name=xsrf_token\r\n\r\nabc";
        all_splits_mp(trunc_tok, &BodyToken::Unreadable(BodyProblem::Multipart));
        all_splits_mp(
            b"no boundary here",
            &BodyToken::Unreadable(BodyProblem::Multipart),
        );
    }

    #[test]
    fn multipart_empty_headers_and_bare_name() {
        let body = b"--XyZ\r\n\r\nnoheaders\r\n--XyZ\r\nContent-Disposition: form-data; name=xsrf_token\r\n\r\nv\r\n--XyZ--";
        all_splits_mp(body, &found("v"));
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
    }

    #[test]
    fn multipart_bad_boundary() {
        assert!(MultipartScanner::new("", "x", 10).is_err());
        assert!(MultipartScanner::new(&"a".repeat(71), "x", 10).is_err());
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
}
