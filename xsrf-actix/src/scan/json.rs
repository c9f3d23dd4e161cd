//! `application/json` and `*/*+json`: the token as a top-level string
//! field.

use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use actson::feeder::PushJsonFeeder;
use actson::{JsonEvent, JsonParser};
use xsrf_core::BodyProblem;

use super::{BodyToken, Scan, Seen, after_chunk, window};

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
    pub(super) examined: usize,
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
