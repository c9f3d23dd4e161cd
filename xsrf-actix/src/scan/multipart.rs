//! `multipart/form-data` (RFC 7578 / 2046): the token part among the parts.

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use xsrf_core::BodyProblem;

use super::seeker::Seeker;
use super::{BodyToken, Scan, Seen, after_chunk, window};

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
    pub(super) examined: usize,
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
pub(super) fn disposition_name(value: &[u8]) -> Option<Cow<'_, [u8]>> {
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
