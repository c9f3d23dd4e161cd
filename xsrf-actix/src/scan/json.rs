//! `application/json` and `*/*+json`: the token as a top-level string
//! field.
//!
//! A push-fed recogniser of the JSON grammar (RFC 8259) that builds
//! nothing: no event stream, no string buffer. Outside strings it steps a
//! small state machine one byte at a time (structure, numbers, the three
//! literals); inside a string it skips plain bytes [`BLOCK`] at a time,
//! looking only for what can end the run: a quote, a backslash or a
//! control character. Only two kinds of string are decoded, escapes and
//! surrogate pairs included: a key of the top-level object, compared with
//! the field name as it is decoded (no copy), and the token field's value,
//! which is borrowed from the chunk when it lies in one chunk without
//! escapes and copied otherwise. Every other string is checked for its
//! form only (escapes well formed, no raw control character), as
//! serde_json checks a field it ignores.
//!
//! Longer than the crate's other files (about 670 lines) for one concern:
//! the states of the grammar and the steps between them are one machine,
//! read and checked together (the fuzz target `scan_json` holds every
//! chunking of an input to the one-chunk answer); split in two, each half
//! would only make sense beside the other.

use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use xsrf_core::BodyProblem;

use super::{BodyToken, Scan, Seen, after_chunk, window};

/// Bytes of a string looked at together for the end of a plain run.
const BLOCK: usize = 32;
/// Bytes at the start of a string stepped by hand before blocks are tried.
const SHORT: usize = 16;
/// Deepest nesting accepted; deeper is invalid here (serde_json itself
/// stops at 128). The open containers are one bit each, kept inline.
const MAX_DEPTH: usize = 64 * NESTING_WORDS;
const NESTING_WORDS: usize = 32;

/// Where the scanner is in the grammar. Fieldless, so that dispatching
/// on it is one load; the details of a number, an escape or a literal are
/// fields of the scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// Before the top-level value.
    Start,
    /// A value must come: after `:`, or after `,` in an array.
    Value,
    /// Just after `[`: a value or `]`.
    ArrayStart,
    /// Just after `{`: a key or `}`.
    ObjectStart,
    /// After `,` in an object: a key.
    Key,
    /// After a key: `:`.
    Colon,
    /// After a value: `,` or the end of its container; at the top level,
    /// only whitespace.
    AfterValue,
    /// Inside a string, between escapes.
    Str,
    /// After a backslash in a string.
    Escape,
    /// After `\u` and some of its four hex digits.
    Hex,
    /// Inside a number.
    Num,
    /// Inside `true`, `false` or `null`.
    Word,
}

/// The states of the JSON number grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Num {
    /// `-`
    Minus,
    /// `0` (no digit may follow)
    Zero,
    /// `1`–`9` and digits
    Int,
    /// `.`
    Point,
    /// digits after `.`
    Frac,
    /// `e` or `E`
    Exp,
    /// the exponent's sign
    ExpSign,
    /// digits of the exponent
    ExpDigits,
}

impl Num {
    /// The next state on `b`, or `None` when `b` is not part of the number.
    fn next(self, b: u8) -> Option<Num> {
        let digit = b.is_ascii_digit();
        match self {
            Num::Minus if b == b'0' => Some(Num::Zero),
            Num::Minus | Num::Int if digit => Some(Num::Int),
            Num::Zero | Num::Int if b == b'.' => Some(Num::Point),
            Num::Point | Num::Frac if digit => Some(Num::Frac),
            Num::Zero | Num::Int | Num::Frac if b == b'e' || b == b'E' => Some(Num::Exp),
            Num::Exp if b == b'+' || b == b'-' => Some(Num::ExpSign),
            Num::Exp | Num::ExpSign | Num::ExpDigits if digit => Some(Num::ExpDigits),
            _ => None,
        }
    }

    /// Whether the number may end here.
    fn complete(self) -> bool {
        matches!(self, Num::Zero | Num::Int | Num::Frac | Num::ExpDigits)
    }
}

/// Which string the scanner is in, and what it does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Checked for its form only; `key`: a key (a `:` follows).
    Skip { key: bool },
    /// A key of the top-level object, decoded and compared with the field
    /// name: how many bytes of the name it matched so far, `None` once it
    /// cannot be the name.
    TopKey(Option<usize>),
    /// The token field's value, decoded.
    Token,
    /// The value of a second token field: a conflict once it ends.
    Again,
}

/// The open containers, innermost last: one bit each, set for an object.
#[derive(Clone)]
struct Nesting {
    bits: [u64; NESTING_WORDS],
    depth: usize,
}

impl Nesting {
    fn push(&mut self, object: bool) -> bool {
        if self.depth >= MAX_DEPTH {
            return false;
        }
        let (word, bit) = (self.depth / 64, self.depth % 64);
        self.bits[word] = (self.bits[word] & !(1 << bit)) | (u64::from(object) << bit);
        self.depth += 1;
        true
    }

    /// Whether the innermost container is an object (`None` at the top).
    fn top(&self) -> Option<bool> {
        let d = self.depth.checked_sub(1)?;
        Some((self.bits[d / 64] >> (d % 64)) & 1 == 1)
    }

    /// Closes the innermost container if it is of this kind.
    fn pop(&mut self, object: bool) -> bool {
        if self.top() != Some(object) {
            return false;
        }
        self.depth -= 1;
        true
    }
}

/// Incremental scanner for JSON bodies: the token is the string value of a
/// top-level field named like the form field.
///
/// Cost: every byte is looked at once, or twice when it lies in a block
/// of a string that turned out to hold the string's end or an escape
/// (then the block is stepped through by hand): at most two looks per
/// byte whatever the chunking, one when the chunks are smaller than a
/// block. [`JsonScanner::examined`] counts these looks, block by block and
/// byte by byte. Memory: the nesting bits inline, and the token value
/// (capped by the scan limit) when it does not lie in one chunk. A token
/// field inside a nested value does not count; invalid JSON within the
/// scan limit makes the body unreadable.
pub(crate) struct JsonScanner {
    field: Arc<str>,
    limit: usize,
    /// Body bytes taken in so far (at most `limit`).
    consumed: usize,
    /// Looks at body bytes so far (see the type's docs).
    pub(super) examined: usize,
    /// Body offset before which string bytes are stepped by hand: the end
    /// of the last block that held a special byte (so that no byte is in
    /// two blocks), or the first bytes of a string.
    by_hand_until: usize,
    at: At,
    /// Where in a number (`At::Num`).
    num: Num,
    /// The hex digits of a `\u` escape so far and their value (`At::Hex`).
    hex_digits: u8,
    hex_unit: u16,
    /// What must follow in `true`, `false` or `null` (`At::Word`).
    tail: &'static [u8],
    nesting: Nesting,
    /// The string being read (`At::Str`, `At::Escape`, `At::Hex`).
    kind: Kind,
    /// The top-level key just read names the field: the next value is the
    /// token field's.
    token_next: bool,
    /// A high surrogate escape waiting for its low half (decoded strings).
    high: Option<u16>,
    /// The token value decoded to something that is not text (a lone
    /// surrogate).
    token_bad: bool,
    /// The token value so far, when it could not be borrowed from a chunk.
    value: Vec<u8>,
    /// Where in the current chunk the token value started, while it is
    /// still one plain run of that chunk.
    value_from: Option<usize>,
    seen: Seen,
    done: Option<BodyToken>,
    /// `done` is set or `seen` holds a conflict: nothing more to read.
    stop: bool,
}

impl fmt::Debug for JsonScanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonScanner")
            .field("consumed", &self.consumed)
            .field("depth", &self.nesting.depth)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

/// Ends a plain run inside a string.
fn special(b: u8) -> bool {
    SPECIAL[usize::from(b)]
}

/// [`special`] as a table: one load per byte stepped by hand.
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = b < 0x20 || b == b'"' as usize || b == b'\\' as usize;
        b += 1;
    }
    t
};

/// Whether `block` holds a byte that ends a plain run; written without an
/// early exit so that it compiles to a few vector instructions.
fn has_special(block: &[u8; BLOCK]) -> bool {
    block.iter().fold(false, |any, &b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    })
}

fn hex(b: u8) -> Option<u16> {
    let d = match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => return None,
    };
    Some(u16::from(d))
}

impl JsonScanner {
    pub(crate) fn new(field: Arc<str>, limit: usize) -> Self {
        Self {
            field,
            limit,
            consumed: 0,
            examined: 0,
            by_hand_until: 0,
            at: At::Start,
            num: Num::Int,
            hex_digits: 0,
            hex_unit: 0,
            tail: b"",
            nesting: Nesting {
                bits: [0; NESTING_WORDS],
                depth: 0,
            },
            kind: Kind::Skip { key: false },
            token_next: false,
            high: None,
            token_bad: false,
            value: Vec::new(),
            value_from: None,
            seen: Seen::default(),
            done: None,
            stop: false,
        }
    }

    /// Feed the next chunk of the body.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Scan {
        let win = window(chunk, self.consumed, self.limit);
        let limit_reached = win.len() < chunk.len();
        if !self.stop {
            self.scan(win);
        }
        self.consumed += win.len();
        if let Some(done) = &self.done {
            return Scan::Done(done.clone());
        }
        after_chunk(&self.seen, limit_reached)
    }

    /// End of body: the JSON text must be complete.
    pub(crate) fn finish(self) -> BodyToken {
        if let Some(done) = self.done {
            return done;
        }
        let complete = self.nesting.depth == 0
            && match self.at {
                At::AfterValue => true,
                At::Num => self.num.complete(),
                _ => false,
            };
        if complete {
            self.seen.verdict(false)
        } else {
            BodyToken::Unreadable(BodyProblem::Json)
        }
    }

    fn scan(&mut self, win: &[u8]) {
        let mut i = 0;
        let mut stepped = 0;
        while i < win.len() {
            if self.at == At::Str {
                let run = self.plain_run(&win[i..], self.consumed + i);
                if run > 0 {
                    self.plain(&win[i..i + run]);
                    i += run;
                    if i == win.len() {
                        break;
                    }
                }
            }
            stepped += 1;
            self.step(win, i);
            if self.stop {
                break;
            }
            i += 1;
        }
        self.examined += stepped;
        // A token value that goes on in the next chunk: keep what it has.
        if let Some(from) = self.value_from.take() {
            self.value.extend_from_slice(&win[from..]);
        }
    }

    fn end(&mut self, answer: BodyToken) {
        self.done = Some(answer);
        self.stop = true;
    }

    fn fail(&mut self) {
        self.end(BodyToken::Unreadable(BodyProblem::Json));
    }

    /// The length of the plain run at the start of `hay` (a string's
    /// bytes up to a quote, backslash or control character), which starts
    /// at body offset `at`.
    fn plain_run(&mut self, hay: &[u8], at: usize) -> usize {
        let mut i = 0;
        let mut looks = 0;
        let end = loop {
            // By hand up to `by_hand_until`, or to the end when too little
            // would be left for a block.
            let mut to = self.by_hand_until.saturating_sub(at).clamp(i, hay.len());
            if hay.len() - to < BLOCK {
                to = hay.len();
            }
            let from = i;
            while i < to && !special(hay[i]) {
                i += 1;
            }
            looks += i - from;
            if i < to {
                break i;
            }
            // Then block by block while they hold nothing special.
            while let Some(block) = hay[i..].first_chunk::<BLOCK>() {
                looks += BLOCK;
                if has_special(block) {
                    self.by_hand_until = at + i + BLOCK;
                    break;
                }
                i += BLOCK;
            }
            if i == hay.len() {
                break i;
            }
        };
        self.examined += looks;
        end
    }

    /// One byte outside a plain run: structure, numbers, literals, the
    /// end of a string or an escape.
    fn step(&mut self, win: &[u8], i: usize) {
        let b = win[i];
        match self.at {
            At::Str => self.string_special(win, i),
            At::Escape => self.escape(b),
            At::Hex => self.hex_digit(b),
            At::Num => match self.num.next(b) {
                Some(next) => self.num = next,
                // The byte after the number belongs to what follows.
                None if self.num.complete() => {
                    self.at = At::AfterValue;
                    self.structure(i, b);
                }
                None => self.fail(),
            },
            At::Word => match self.tail.split_first() {
                Some((&c, rest)) if c == b => {
                    self.tail = rest;
                    if rest.is_empty() {
                        self.at = At::AfterValue;
                    }
                }
                _ => self.fail(),
            },
            _ => self.structure(i, b),
        }
    }

    /// A byte between tokens: whitespace or punctuation, or the first byte
    /// of a value or key.
    fn structure(&mut self, i: usize, b: u8) {
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            return;
        }
        match self.at {
            At::AfterValue => match (b, self.nesting.top()) {
                (b',', Some(true)) => self.at = At::Key,
                (b',', Some(false)) => self.at = At::Value,
                (b'}', _) => self.close(true),
                (b']', _) => self.close(false),
                _ => self.fail(),
            },
            At::Colon if b == b':' => self.at = At::Value,
            At::ObjectStart | At::Key if b == b'"' => {
                // A key of the top-level object is decoded; any other is
                // only checked.
                let kind = if self.nesting.depth == 1 {
                    Kind::TopKey(Some(0))
                } else {
                    Kind::Skip { key: true }
                };
                self.open_string(i, kind);
            }
            At::ObjectStart if b == b'}' => self.close(true),
            At::ArrayStart if b == b']' => self.close(false),
            At::Start | At::Value | At::ArrayStart => self.value_start(i, b),
            _ => self.fail(),
        }
    }

    /// The first byte of a value.
    fn value_start(&mut self, i: usize, b: u8) {
        let token = std::mem::take(&mut self.token_next);
        let (next, object) = match b {
            b'"' => {
                let kind = match token {
                    false => Kind::Skip { key: false },
                    true if self.seen.has_one() => Kind::Again,
                    true => Kind::Token,
                };
                return self.open_string(i, kind);
            }
            b'{' => (At::ObjectStart, Some(true)),
            b'[' => (At::ArrayStart, Some(false)),
            b'-' | b'0'..=b'9' => {
                self.num = match b {
                    b'-' => Num::Minus,
                    b'0' => Num::Zero,
                    _ => Num::Int,
                };
                (At::Num, None)
            }
            b't' | b'f' | b'n' => {
                self.tail = match b {
                    b't' => b"rue",
                    b'f' => b"alse",
                    _ => b"ull",
                };
                (At::Word, None)
            }
            _ => return self.fail(),
        };
        if token {
            // `"xsrf_token": 1`, `{...}`, `null`: a token field that
            // cannot hold a token.
            return self.end(BodyToken::Unreadable(BodyProblem::JsonTokenNotString));
        }
        if let Some(object) = object
            && !self.nesting.push(object)
        {
            return self.fail();
        }
        self.at = next;
    }

    /// `}` (`object`) or `]`: the innermost container must be of that kind.
    fn close(&mut self, object: bool) {
        if self.nesting.pop(object) {
            self.at = At::AfterValue;
        } else {
            self.fail();
        }
    }

    /// The opening quote of a string at `win[i]`.
    fn open_string(&mut self, i: usize, kind: Kind) {
        self.kind = kind;
        self.at = At::Str;
        if kind == Kind::Token {
            self.token_bad = false;
            self.value.clear();
            self.value_from = Some(i + 1);
        }
        // Most strings are short (keys, small values): their first bytes
        // are stepped by hand rather than looked at in a block that would
        // hold their end.
        let start = self.consumed + i + 1;
        self.by_hand_until = self.by_hand_until.max(start + SHORT);
    }

    /// The byte that ended a plain run: the closing quote, a backslash, or
    /// a raw control character (not allowed in a string).
    fn string_special(&mut self, win: &[u8], i: usize) {
        match win[i] {
            b'"' => self.close_string(win, i),
            b'\\' => {
                if let Some(from) = self.value_from.take() {
                    self.value.extend_from_slice(&win[from..i]);
                }
                self.at = At::Escape;
            }
            _ => self.fail(),
        }
    }

    /// The byte after a backslash.
    fn escape(&mut self, b: u8) {
        let c = match b {
            b'u' => {
                self.at = At::Hex;
                self.hex_digits = 0;
                self.hex_unit = 0;
                return;
            }
            b'"' | b'\\' | b'/' => b,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            _ => return self.fail(),
        };
        self.at = At::Str;
        self.decoded(&[c]);
    }

    /// A hex digit of a `\uXXXX` escape.
    fn hex_digit(&mut self, b: u8) {
        let Some(d) = hex(b) else {
            return self.fail();
        };
        self.hex_unit = self.hex_unit << 4 | d;
        self.hex_digits += 1;
        if self.hex_digits == 4 {
            self.at = At::Str;
            self.unit(self.hex_unit);
        }
    }

    /// A UTF-16 code unit from a `\uXXXX` escape.
    fn unit(&mut self, unit: u16) {
        if !matches!(self.kind, Kind::TopKey(Some(_)) | Kind::Token) {
            return;
        }
        let c = match (self.high.take(), unit) {
            (None, 0xd800..=0xdbff) => {
                self.high = Some(unit);
                return;
            }
            (Some(high), 0xdc00..=0xdfff) => char::from_u32(
                0x10000 + ((u32::from(high) - 0xd800) << 10) + (u32::from(unit) - 0xdc00),
            ),
            (Some(_), _) | (None, 0xdc00..=0xdfff) => None,
            (None, _) => char::from_u32(u32::from(unit)),
        };
        match c {
            Some(c) => self.decoded(c.encode_utf8(&mut [0; 4]).as_bytes()),
            None => {
                self.lone_surrogate();
                // A high surrogate after a lone one waits for its own pair.
                if (0xd800..=0xdbff).contains(&unit) {
                    self.high = Some(unit);
                }
            }
        }
    }

    /// A surrogate escape without its other half: not text.
    fn lone_surrogate(&mut self) {
        match self.kind {
            Kind::TopKey(_) => self.kind = Kind::TopKey(None),
            Kind::Token => self.token_bad = true,
            _ => {}
        }
    }

    /// Plain bytes of the current string.
    fn plain(&mut self, bytes: &[u8]) {
        match self.kind {
            Kind::Skip { .. } | Kind::Again | Kind::TopKey(None) => {}
            // Still one plain run of this chunk: nothing to copy.
            Kind::Token if self.value_from.is_some() => {}
            _ => self.decoded(bytes),
        }
    }

    /// Decoded bytes of a top-level key or of the token value.
    fn decoded(&mut self, bytes: &[u8]) {
        if self.high.take().is_some() {
            self.lone_surrogate();
        }
        match self.kind {
            Kind::TopKey(Some(n)) => {
                let name = self.field.as_bytes();
                let matched = name
                    .get(n..n + bytes.len())
                    .is_some_and(|part| part == bytes);
                self.kind = Kind::TopKey(matched.then_some(n + bytes.len()));
            }
            Kind::Token => self.value.extend_from_slice(bytes),
            _ => {}
        }
    }

    /// The closing quote of a string at `win[i]`.
    fn close_string(&mut self, win: &[u8], i: usize) {
        if self.high.take().is_some() {
            self.lone_surrogate();
        }
        self.at = At::AfterValue;
        match self.kind {
            Kind::Skip { key: true } => self.at = At::Colon,
            Kind::Skip { key: false } => {}
            Kind::TopKey(matched) => {
                self.token_next = matched == Some(self.field.len());
                self.at = At::Colon;
            }
            Kind::Again => {
                self.seen.record(|| Rc::from(""));
                self.stop = self.seen.conflict;
            }
            Kind::Token => {
                let value = match self.value_from.take() {
                    Some(from) => &win[from..i],
                    None => &self.value[..],
                };
                match std::str::from_utf8(value) {
                    Ok(v) if !self.token_bad => self.seen.record(|| Rc::from(v)),
                    _ => self.end(BodyToken::Unreadable(BodyProblem::Encoding)),
                }
                self.value = Vec::new();
            }
        }
    }
}
