//! `application/x-www-form-urlencoded`: the token field among `name=value`
//! pairs.

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use percent_encoding::percent_decode;

use super::{BodyToken, Scan, Seen, after_chunk, window};

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
    pub(super) examined: usize,
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
