//! The scanners against every chunking of the same bodies (row T20
//! included), one grammar after the other.

use super::json::JsonScanner;
use super::multipart::{MAX_PART_HEADERS, MultipartScanner, disposition_name};
use super::seeker::Seeker;
use super::urlencoded::UrlencodedScanner;
use super::*;

fn field() -> std::sync::Arc<str> {
    crate::Transport::DEFAULT_FIELD.into()
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
    let body = b"--XyZ\r\nContent-Disposition: form-data; name=xsrf_token\r\n\r\nA\r\n--XyZ\r\n\
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
    let open = b"--XyZ\r\nContent-Disposition: form-data; name=xsrf_token\r\n\r\nabc\r\n--XyZ\r\n";
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
    let body = b"--XyZ\r\nContent-Disposition: form-data; name=xsrf_token\r\n\r\n\r\n\r\n--XyZ--";
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
    body.extend_from_slice(
        b"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"xsrf_token\"\r\n\r\nt\r\n--XyZ--\r\n",
    );
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
    for not_string in [
        &br#"{"xsrf_token":null}"#[..],
        br#"{"xsrf_token" : [1]}"#,
        br#"{"a":"b","xsrf_token":true}"#,
        br#"{"xsrf_token":"a","xsrf_token":-1}"#,
    ] {
        all_splits_json(
            not_string,
            &BodyToken::Unreadable(BodyProblem::JsonTokenNotString),
        );
    }
    all_splits_json(br#"{"xsrf_token":}"#, &bad);
    // A key that only starts or ends like the field is another field.
    all_splits_json(
        br#"{"xsrf_tokenx":"a","xsrf_toke":"b","xsrf_token":"c"}"#,
        &found("c"),
    );
}

#[test]
fn json_grammar_is_checked_up_to_the_token_and_beyond() {
    let bad = BodyToken::Unreadable(BodyProblem::Json);
    let t = found("t");
    // Every value form, then the token.
    all_splits_json(
        br#"{"a":[-0.5e+10,0,1E3,true,false,null,{},[],"x"],"xsrf_token":"t"}"#,
        &t,
    );
    for junk in [
        &br#"{"a":1.,"xsrf_token":"t"}"#[..],
        br#"{"a":.5,"xsrf_token":"t"}"#,
        br#"{"a":-,"xsrf_token":"t"}"#,
        br#"{"a":1e,"xsrf_token":"t"}"#,
        br#"{"a":+1,"xsrf_token":"t"}"#,
        br#"{"a":nul,"xsrf_token":"t"}"#,
        br#"{"a":[1,],"xsrf_token":"t"}"#,
        br#"{"a":1,,"xsrf_token":"t"}"#,
        br#"{"a":[},"xsrf_token":"t"}"#,
        br#"{"a":"\x","xsrf_token":"t"}"#,
        br#"{"a":"\u12G4","xsrf_token":"t"}"#,
        b"{\"a\":\"tab\tin a string\",\"xsrf_token\":\"t\"}",
        b"{\"a\":1} \xc3\xa9",
        br#"{"xsrf_token":"t",}"#,
        br#"{"xsrf_token":"t"]"#,
        // Cut short at the end of the body.
        b"nul",
        b"tru",
        b"[1",
        b"-",
    ] {
        all_splits_json(junk, &bad);
    }
    // Top-level values that are not objects hold no field.
    for other in [&b"1"[..], b" -0.5 ", b"true", br#""x""#, b"[]"] {
        all_splits_json(other, &BodyToken::NotFound);
    }
    // Nesting: 2048 levels are fine, one more is refused.
    let deep = |n: usize| ["[".repeat(n), "]".repeat(n)].concat();
    assert_eq!(
        run_json(&[deep(2048).as_bytes()], 1 << 20),
        BodyToken::NotFound
    );
    assert_eq!(run_json(&[deep(2049).as_bytes()], 1 << 20), bad);
    // Bytes that are not UTF-8 inside an ignored string are left to the
    // handler's parser, as serde_json leaves them in a field it ignores.
    all_splits_json(b"{\"a\":\"\xff\",\"xsrf_token\":\"t\"}", &t);
}

#[test]
fn json_surrogates_decoded_in_the_token_and_keys_only() {
    all_splits_json(br#"{"xsrf_token":"\ud83d\ude00\u00e9A"}"#, &found("😀éA"));
    all_splits_json(br#"{"xsrf_token":"\uD83D\uDE00"}"#, &found("😀"));
    // A lone surrogate in an ignored string is valid JSON text (serde_json
    // accepts it in a field it ignores).
    all_splits_json(br#"{"a":"\udc00\ud800","xsrf_token":"t"}"#, &found("t"));
    // In the token value it decodes to no text.
    let enc = BodyToken::Unreadable(BodyProblem::Encoding);
    for lone in [
        &br#"{"xsrf_token":"\ud83d"}"#[..],
        br#"{"xsrf_token":"\ud83dx"}"#,
        br#"{"xsrf_token":"\ud83d\n"}"#,
        br#"{"xsrf_token":"\ud83d\ud83d\ude00"}"#,
        br#"{"xsrf_token":"\ude00"}"#,
        b"{\"xsrf_token\":\"\xff\"}",
    ] {
        all_splits_json(lone, &enc);
    }
    // In a key it cannot name the field.
    all_splits_json(br#"{"xsrf_token\ud800":"t"}"#, &BodyToken::NotFound);
    all_splits_json(br#"{"\ud800xsrf_token":"t"}"#, &BodyToken::NotFound);
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
/// state. Each run examines at most `k` bytes per body byte (the
/// scanner's bound, see the module docs: the counts are looks, so a
/// scanner that re-reads what it has seen fails here even when it does so
/// alike in both chunkings), and the 1-byte run at most 3x the one-chunk
/// run.
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
    // JSON that stays valid: spaces (plain bytes in a string, whitespace
    // between tokens) after the prefix so that the fill fits exactly.
    let jpad = |prefix: &[u8], fill: &[u8], suffix: &[u8]| -> Vec<u8> {
        let spaces = (N - prefix.len() - suffix.len()) % fill.len();
        let head = [prefix, &vec![b' '; spaces]].concat();
        pad(&head, fill, suffix)
    };
    let part = b"--XyZ\r\nContent-Disposition: form-data; name=";
    type Make = fn(usize) -> Scanner;
    // (name, scanner, looks per byte at most, body)
    let cases: Vec<(&str, Make, usize, Vec<u8>)> = vec![
        ("form: field name", form, 1, pad(b"", b"n", b"=1")),
        ("form: other value", form, 1, pad(b"a=", b"v", b"")),
        ("form: token value", form, 1, pad(b"xsrf_token=", b"v", b"")),
        ("form: many fields", form, 1, pad(b"", b"a=1&", b"")),
        ("multipart: preamble", mp, 3, pad(b"", b"a", b"\r\n--XyZ--")),
        (
            "multipart: near-miss delimiters",
            mp,
            3,
            pad(b"", b"\r\n--Xy\r\r\n-", b"\r\n--XyZ--"),
        ),
        (
            "multipart: boundary lines",
            mp,
            3,
            pad(b"--XyZ", b"  \t \r\n\r\n\r\n--XyZ", b"--"),
        ),
        (
            "multipart: part headers",
            mp,
            3,
            pad(b"--XyZ\r\nX-Pad: ", b"a", b""),
        ),
        (
            "multipart: header lines",
            mp,
            3,
            pad(b"--XyZ\r\n", b"X: \r\n\r", b""),
        ),
        (
            "multipart: skipped value",
            mp,
            3,
            pad(
                &[part.as_slice(), b"a\r\n\r\n"].concat(),
                b"v\r\n-",
                b"\r\n--XyZ--",
            ),
        ),
        (
            "multipart: token value",
            mp,
            3,
            pad(
                &[part.as_slice(), b"xsrf_token\r\n\r\n"].concat(),
                b"v\r",
                b"\r\n--XyZ--",
            ),
        ),
        ("json: string", json, 2, jpad(br#"{"a":""#, b"x", br#""}"#)),
        (
            "json: escapes",
            json,
            2,
            jpad(br#"{"a":""#, br"x\u00e9\n", br#""}"#),
        ),
        (
            "json: token",
            json,
            2,
            jpad(br#"{"xsrf_token":""#, b"\\n", br#""}"#),
        ),
        (
            "json: top-level keys",
            json,
            2,
            jpad(b"{", br#""xsrf_toke":1,"#, br#""z":2}"#),
        ),
        (
            "json: short strings",
            json,
            2,
            jpad(b"[", br#""ab","#, br#""z"]"#),
        ),
        ("json: numbers", json, 2, jpad(b"[", b"-1.5e+3,", b"0]")),
        ("json: nesting", json, 2, pad(b"", b"[", b"")),
        (
            "json: keys",
            json,
            2,
            jpad(b"{", br#""k":1,"#, br#""z":2}"#),
        ),
    ];
    for (name, make, k, body) in cases {
        assert_eq!(body.len(), N, "{name}");
        let (one, one_cost) = run(make(N), &[&body]);
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        let (tiny, tiny_cost) = run(make(N), &bytes);
        assert_eq!(one, tiny, "{name}: same verdict");
        assert!(one_cost > 0, "{name}: something examined");
        if name.starts_with("json") && name != "json: nesting" {
            assert!(!matches!(one, BodyToken::Unreadable(_)), "{name}: {one:?}");
        }
        eprintln!(
            "T20 {name}: {one:?} {one_cost} bytes examined in one chunk, {tiny_cost} in 1-byte chunks"
        );
        assert!(
            one_cost <= k * N && tiny_cost <= k * N,
            "{name}: {one_cost} (one chunk) and {tiny_cost} (1-byte chunks) looks for {N} bytes, bound {k} per byte"
        );
        assert!(
            tiny_cost <= 3 * one_cost,
            "{name}: {tiny_cost} bytes examined in 1-byte chunks vs {one_cost} in one"
        );
    }
}

/// The JSON scanner counts looks, not bytes fed: a string whose blocks
/// each hold an escape is looked at by block and then by hand (more looks
/// than bytes), and in 1-byte chunks, where no block fits, once per byte.
#[test]
fn json_examined_counts_looks_not_bytes() {
    let body = [br#"{"a":""#.as_slice(), &br"\n".repeat(500), br#""}"#].concat();
    let (verdict, one) = run(json(1 << 20), &[&body]);
    assert_eq!(verdict, BodyToken::NotFound);
    assert!(
        one > body.len() && one <= 2 * body.len(),
        "{one} looks for {} bytes",
        body.len()
    );
    let (_, tiny) = run(json(1 << 20), &body.chunks(1).collect::<Vec<_>>());
    assert_eq!(tiny, body.len());
    // A plain string: its blocks are looked at once.
    let body = [br#"{"a":""#.as_slice(), &[b'x'; 1000], br#""}"#].concat();
    let (_, one) = run(json(1 << 20), &[&body]);
    assert!(
        one <= body.len() + 64,
        "{one} looks for {} bytes",
        body.len()
    );
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

#[test]
fn body_kind_by_essence_in_any_case() {
    assert_eq!(
        BodyKind::of("application/x-www-form-urlencoded"),
        Some(BodyKind::Form)
    );
    assert_eq!(
        BodyKind::of("Multipart/Form-Data"),
        Some(BodyKind::Multipart)
    );
    assert_eq!(BodyKind::of("application/json"), Some(BodyKind::Json));
    assert_eq!(
        BodyKind::of("application/vnd.api+JSON"),
        Some(BodyKind::Json)
    );
    assert_eq!(BodyKind::of("text/json"), None);
    assert_eq!(BodyKind::of("application/jsonx"), None);
    assert_eq!(BodyKind::of("text/plain"), None);
    assert_eq!(BodyKind::of("json"), None);
}

#[test]
fn body_kind_of_a_bare_content_type_agrees_with_the_parsed_essence() {
    for value in [
        "application/json",
        " Application/JSON ",
        "application/x-www-form-urlencoded",
        "APPLICATION/X-WWW-FORM-URLENCODED",
    ] {
        let bare = BodyKind::bare(value.as_bytes());
        assert!(bare.is_some(), "{value}");
        assert_eq!(bare, BodyKind::of(value.trim()), "{value}");
    }
    // With parameters, or another type: left to the parser.
    for value in [
        "application/json; charset=utf-8",
        "application/vnd.api+json",
        "multipart/form-data; boundary=x",
        "text/plain",
        "",
    ] {
        assert_eq!(BodyKind::bare(value.as_bytes()), None, "{value}");
    }
}
