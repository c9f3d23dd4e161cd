//! Issue 13 §4: every comparison of secret material goes through
//! `xsrf_core::secret_eq` (constant time). These tests read the sources of
//! each site and fail if a plain `==` / `!=` (or `.eq(` / `.ne(`) touches
//! one of the secret values there, or if the site stops calling the helper.
//! Redis is never asked to compare a session: keys live under the
//! session's digest, checked against a real server in the `redis_stores` test binary
//! (`the_session_reaches_redis_only_as_a_digest`).

const GATHER: &str = include_str!("../../../xsrf-actix/src/check/gather.rs");
const SCAN: &str = include_str!("../../../xsrf-actix/src/scan/mod.rs");
const MEMORY: &str = include_str!("../../../xsrf-core/src/store/memory/mod.rs");
const STATIC_KEY: &str = include_str!("../../../xsrf-core/src/static_key.rs");

/// The body of the first `fn name` in `source` (brace-matched).
fn body<'s>(source: &'s str, name: &str) -> &'s str {
    let start = source
        .find(&format!("fn {name}"))
        .unwrap_or_else(|| panic!("no fn {name}"));
    let open = start + source[start..].find('{').expect("fn body");
    let mut depth = 0usize;
    for (i, c) in source[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &source[open..=open + i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced fn {name}")
}

/// The pieces of code between `;`, `,`, braces and match arms, with
/// comments dropped and whitespace collapsed (rustfmt may split a compare
/// over lines).
fn statements(code: &str) -> Vec<String> {
    let code: String = code
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ");
    code.split(['{', '}', ';', ','])
        .flat_map(|s| s.split("=>"))
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .collect()
}

fn has_word(s: &str, word: &str) -> bool {
    s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| w == word)
}

/// Fails if a comparison operator shares a statement with any of
/// `secrets`, or if the body calls `secret_eq` fewer than `calls` times.
fn assert_constant_time(site: &str, code: &str, secrets: &[&str], calls: usize) {
    for s in statements(code) {
        let compares = ["==", "!=", ".eq(", ".ne("].iter().any(|op| s.contains(op));
        if compares {
            for secret in secrets {
                assert!(
                    !has_word(&s, secret),
                    "{site}: `{s}` compares `{secret}` without secret_eq"
                );
            }
        }
    }
    let n = code.matches("secret_eq(").count();
    assert!(
        n >= calls,
        "{site}: expected {calls} secret_eq calls, found {n}"
    );
}

#[test]
fn the_checker_catches_a_plain_compare() {
    // The detector itself must be able to fail.
    let bad = "fn f() { match &found { Some(t) if *t != cookie => {} _ => {} } }";
    let caught = std::panic::catch_unwind(|| {
        assert_constant_time("sample", body(bad, "f"), &["cookie"], 0);
    });
    assert!(caught.is_err());
    let split = "fn g() { let same = a\n        == b; }";
    let caught = std::panic::catch_unwind(|| {
        assert_constant_time("sample", body(split, "g"), &["b"], 0);
    });
    assert!(caught.is_err());
    let good = "fn h() { if !secret_eq(t.as_bytes(), cookie.as_bytes()) {} }";
    assert_constant_time("sample", body(good, "h"), &["t", "cookie"], 1);
}

#[test]
fn double_submit_cookie_and_header_vs_body_compare_in_constant_time() {
    // `found`'s earlier value (`prev`) vs a new candidate (header vs body),
    // and the token vs the double-submit cookie (`t` vs `cookie`).
    assert_constant_time(
        "check/gather.rs find_token",
        body(GATHER, "find_token"),
        &["prev", "candidate", "t", "cookie", "found"],
        2,
    );
}

#[test]
fn duplicate_body_fields_compare_no_token_values() {
    // Any second token field in a body is a conflict (row T17), equal or
    // not: the scanners never compare token values, so there is nothing to
    // time. The first `fn record` in scan/mod.rs is the one rule every scanner
    // goes through.
    let record = body(SCAN, "record");
    assert_constant_time(
        "scan/mod.rs Seen::record",
        record,
        &["found", "value", "prev", "decoded", "raw"],
        0,
    );
    assert!(
        !["==", "!=", ".eq(", ".ne("]
            .iter()
            .any(|op| record.contains(op)),
        "scan/mod.rs record compares something: {record}"
    );
    assert!(record.contains("self.conflict = true"), "{record}");
}

#[test]
fn memory_store_compares_sessions_in_constant_time() {
    assert_constant_time(
        "memory.rs take_now",
        body(MEMORY, "take_now"),
        &["session", "owner", "s", "presented"],
        1,
    );
}

#[test]
fn static_key_compares_in_constant_time() {
    assert_constant_time(
        "static_key.rs matches",
        body(STATIC_KEY, "matches"),
        &["presented"],
        1,
    );
}

const RECORD: &str = include_str!("../../../xsrf-actix/src/state/record.rs");

/// The attributes and the head of the item `head` (e.g. `pub(crate) struct
/// Id`) in `source`: what it derives.
fn derives_of<'s>(source: &'s str, head: &str) -> &'s str {
    let at = source.find(head).unwrap_or_else(|| panic!("no {head}"));
    // The derive sits in the lines just above the item.
    let from = source[..at].rfind("\n\n").map_or(0, |i| i + 2);
    &source[from..at]
}

#[test]
fn secrets_held_by_xsrf_actix_cannot_be_compared_with_eq() {
    // The salt and anonymous id (`Id`), the token as found in a request
    // (`Found`): no `PartialEq`, so `==` on them does not compile; `Found`
    // has no `Deref` to `str` either (read through `expose`).
    for (source, head) in [
        (RECORD, "pub(crate) struct Id("),
        (GATHER, "pub(crate) enum Found<'r>"),
    ] {
        let attrs = derives_of(source, head);
        let derive = attrs
            .lines()
            .filter(|l| l.trim_start().starts_with("#[derive("))
            .collect::<String>();
        assert!(
            !derive.contains("PartialEq") && !derive.contains("Eq"),
            "{head} derives a compare: {derive}"
        );
    }
    assert!(!GATHER.contains("impl Deref for Found"));
    assert!(!GATHER.contains("impl PartialEq"));
    // The static key is held in the one secret newtype.
    assert!(
        RECORD.contains("pub(crate) static_key: Option<Secret<String>>"),
        "State::static_key is not a Secret"
    );
}
