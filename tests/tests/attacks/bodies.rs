//! Threat model rows T17, T18, T20 and T21 (`xsrf-actix/docs/threat-model.md`):
//! body scanning through a real actix-web app. Duplicate tokens get one
//! answer for every body shape and transport, tokens are read from
//! top-level JSON fields (unless a token header decides, whichever of the
//! accepted headers it is), bodies sent one byte per chunk are answered as
//! in one piece, and a body to no route is not read. Every refusal also
//! checks that the handler's side effect did not happen. (Slow bodies over
//! real sockets: `tests/tests/sockets/slow_bodies.rs`.)

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::test::TestRequest;
use actix_web::{HttpResponse, web};
use bytes::Bytes;
use xsrf_actix::{Transport, ValidXsrf};
use xsrf_tests::fixture::*;

const CONFLICT: &str = "XSRF tokens in the request disagree";

/// The three body shapes that can carry a token field.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Urlencoded,
    Multipart,
    Json,
}

const SHAPES: [Shape; 3] = [Shape::Urlencoded, Shape::Multipart, Shape::Json];

impl Shape {
    /// A request (without body) to the route that takes this shape.
    fn request(self) -> TestRequest {
        match self {
            Shape::Urlencoded => post("/comments")
                .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded")),
            Shape::Multipart => post("/upload")
                .insert_header((header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ")),
            Shape::Json => {
                post("/api/comments").insert_header((header::CONTENT_TYPE, "application/json"))
            }
        }
    }

    /// A body with the given token fields, in order, around a `body` field.
    fn body(self, tokens: &[&str]) -> Vec<u8> {
        match self {
            Shape::Urlencoded => {
                let mut fields: Vec<String> =
                    tokens.iter().map(|t| format!("xsrf_token={t}")).collect();
                fields.insert(1.min(fields.len()), "body=between".to_owned());
                fields.join("&").into_bytes()
            }
            Shape::Multipart => {
                let mut fields: Vec<(&str, &[u8])> = tokens
                    .iter()
                    .map(|t| ("xsrf_token", t.as_bytes()))
                    .collect();
                fields.insert(1.min(fields.len()), ("body", b"between"));
                multipart_body("XyZ", &fields)
            }
            Shape::Json => {
                let mut fields: Vec<String> = tokens
                    .iter()
                    .map(|t| format!(r#""xsrf_token":"{t}""#))
                    .collect();
                fields.insert(1.min(fields.len()), r#""body":"between""#.to_owned());
                format!("{{{}}}", fields.join(",")).into_bytes()
            }
        }
    }

    /// The status the route answers when the request is let through.
    fn accepted(self) -> StatusCode {
        match self {
            Shape::Urlencoded => StatusCode::SEE_OTHER,
            Shape::Multipart => StatusCode::OK,
            Shape::Json => StatusCode::CREATED,
        }
    }
}

fn one_byte_chunks(body: &[u8]) -> Vec<Bytes> {
    body.chunks(1).map(Bytes::copy_from_slice).collect()
}

fn split_at(body: &[u8], at: usize) -> Vec<Bytes> {
    let (a, b) = body.split_at(at);
    vec![Bytes::copy_from_slice(a), Bytes::copy_from_slice(b)]
}

#[actix_web::test]
async fn t17_duplicate_token_fields_conflict_in_every_shape_and_transport() {
    let (c, log) = start(builder(&clock())).await;
    let t1 = c.token().await;
    let t2 = c.token().await;
    // Same token twice, two valid tokens, junk first or second.
    let pairs: [[&str; 2]; 4] = [[&t1, &t1], [&t1, &t2], [&t1, "junk"], ["junk", &t1]];
    let mut accepted = 0;
    for shape in SHAPES {
        // Control: one token is accepted by each route, whatever the transport.
        let single = shape.body(&[&t1]);
        let r = c.send(shape.request().set_payload(single.clone())).await;
        assert_eq!(r.status, shape.accepted(), "{shape:?}: {}", r.body);
        let r = c
            .send_chunked(shape.request(), one_byte_chunks(&single))
            .await;
        assert_eq!(r.status, shape.accepted(), "{shape:?} chunked: {}", r.body);
        accepted += 2;

        for pair in pairs {
            let body = shape.body(&pair);
            // Content-Length.
            let r = c.send(shape.request().set_payload(body.clone())).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{shape:?} {pair:?}");
            assert_eq!(r.body.trim(), CONFLICT, "{shape:?} {pair:?}");
            // Chunked, one byte per chunk.
            let r = c
                .send_chunked(shape.request(), one_byte_chunks(&body))
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{shape:?} {pair:?} 1-byte");
            assert_eq!(r.body.trim(), CONFLICT, "{shape:?} {pair:?} 1-byte");
        }
        // Chunked, split in two at every position.
        let body = shape.body(&[&t1, &t2]);
        for at in 0..=body.len() {
            let r = c.send_chunked(shape.request(), split_at(&body, at)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{shape:?} split at {at}");
            assert_eq!(r.body.trim(), CONFLICT, "{shape:?} split at {at}");
        }
        // Only the controls reached a handler.
        assert_eq!(
            log.entries().len(),
            accepted,
            "{shape:?}: {:?}",
            log.entries()
        );
    }
}

#[actix_web::test]
async fn t17_a_second_token_counts_within_the_scan_limit_only() {
    let (c, log) = start(builder(&clock())).await;
    let t = c.token().await;
    let upload = |file_len: usize| {
        multipart_body(
            "XyZ",
            &[
                ("xsrf_token", t.as_bytes()),
                ("file", &vec![b'z'; file_len]),
                ("xsrf_token", t.as_bytes()),
            ],
        )
    };
    // Within the 64 KiB limit: a conflict, in one piece or chunked.
    let body = upload(10 * 1024);
    let r = c
        .send(Shape::Multipart.request().set_payload(body.clone()))
        .await;
    assert_eq!((r.status, r.body.trim()), (StatusCode::FORBIDDEN, CONFLICT));
    let chunks: Vec<Bytes> = body.chunks(1000).map(Bytes::copy_from_slice).collect();
    let r = c.send_chunked(Shape::Multipart.request(), chunks).await;
    assert_eq!((r.status, r.body.trim()), (StatusCode::FORBIDDEN, CONFLICT));
    assert!(log.is_empty(), "{:?}", log.entries());
    // Past the limit the scan stops: the token first is the token, and the
    // handler still reads the whole upload.
    let body = upload(200 * 1024);
    let r = c
        .send(Shape::Multipart.request().set_payload(body.clone()))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let expected = format!(
        "xsrf_token={0},file={1},xsrf_token={0}",
        t.len(),
        200 * 1024
    );
    assert_eq!(r.body, expected);
    let chunks: Vec<Bytes> = body.chunks(4096).map(Bytes::copy_from_slice).collect();
    let r = c.send_chunked(Shape::Multipart.request(), chunks).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::OK, expected.as_str())
    );
    assert_eq!(log.entries().len(), 2);
}

#[actix_web::test]
async fn t17_more_than_one_token_header_is_a_conflict_even_when_equal() {
    let (c, log) = start(builder(&clock())).await;
    let t1 = c.token().await;
    let t2 = c.token().await;
    for (a, b) in [(&t1, &t1), (&t1, &t2)] {
        let r = c
            .send(
                post("/api/comments")
                    .append_header(("x-xsrf-token", a.as_str()))
                    .append_header(("X-XSRF-Token", b.as_str()))
                    .set_json(serde_json::json!({"body": "x"})),
            )
            .await;
        assert_eq!((r.status, r.body.trim()), (StatusCode::FORBIDDEN, CONFLICT));
    }
    // Header and body token together must agree, as before (T11); equal
    // ones are one token in two places, not two body fields.
    let r = c
        .send(
            form_post("/comments", &format!("xsrf_token={t1}&body=ok"))
                .insert_header(("x-xsrf-token", t1.as_str())),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(log.entries(), ["comment:ok"]);
}

/// `s` with every character written as a `\uXXXX` escape.
fn json_escaped(s: &str) -> String {
    s.chars()
        .map(|ch| format!("\\u{:04x}", ch as u32))
        .collect()
}

#[actix_web::test]
async fn t18_top_level_json_token_field_is_accepted_and_the_handler_sees_the_whole_body() {
    let (c, log) = start(builder(&clock())).await;
    let t = c.token().await;
    let json =
        |ct: &str| post("/api/comments").insert_header((header::CONTENT_TYPE, ct.to_owned()));
    let bodies = [
        // Token first, then nested values.
        format!(r#"{{"xsrf_token":"{t}","body":"first","n":{{"a":[1,2.5e3,null,true]}}}}"#),
        // Token last, after a nested copy that does not count.
        format!(r#"{{"n":{{"xsrf_token":"x"}},"body":"last","xsrf_token":"{t}"}}"#),
        // Escapes in the key and in the value.
        format!(
            r#"{{"xsrf\u005ftoken":"{}","body":"esc\u00e9"}}"#,
            json_escaped(&t)
        ),
        // Whitespace everywhere JSON allows it.
        format!(" \n{{ \"body\" : \"ws\" ,\t\"xsrf_token\"\r\n:\"{t}\" }} \n"),
    ];
    for body in &bodies {
        for ct in [
            "application/json",
            "application/vnd.api+json",
            "application/json; charset=utf-8",
        ] {
            let r = c.send(json(ct).set_payload(body.clone())).await;
            assert_eq!(r.status, StatusCode::CREATED, "{ct} {body}: {}", r.body);
            // The handler's web::Json parsed the body we sent, whole.
            let sent: serde_json::Value = serde_json::from_str(body).expect("test body is JSON");
            let echoed: serde_json::Value = serde_json::from_str(&r.body).expect("echo");
            assert_eq!(echoed, sent);
            // And byte by byte.
            let r = c
                .send_chunked(json(ct), one_byte_chunks(body.as_bytes()))
                .await;
            assert_eq!(
                r.status,
                StatusCode::CREATED,
                "{ct} {body} chunked: {}",
                r.body
            );
        }
    }
    assert_eq!(log.entries().len(), bodies.len() * 6);
    assert!(
        log.entries().contains(&"api:escé".to_owned()),
        "{:?}",
        log.entries()
    );
}

#[actix_web::test]
async fn t18_json_variants_without_a_top_level_token_are_refused_consistently() {
    let (c, log) = start(builder(&clock())).await;
    let t = c.token().await;
    let refused = [
        // Only nested copies.
        (
            format!(r#"{{"body":"x","n":{{"xsrf_token":"{t}"}}}}"#),
            "XSRF token missing",
        ),
        (format!(r#"[{{"xsrf_token":"{t}"}}]"#), "XSRF token missing"),
        (
            format!(r#"{{"body":"xsrf_token","a":["{t}"]}}"#),
            "XSRF token missing",
        ),
        // Invalid JSON before the token.
        (
            format!(r#"{{"body":tru,"xsrf_token":"{t}"}}"#),
            "request body unreadable: invalid JSON",
        ),
        (
            format!(r#"{{"body":"x",,"xsrf_token":"{t}"}}"#),
            "request body unreadable: invalid JSON",
        ),
        (
            format!("xsrf_token={t}"),
            "request body unreadable: invalid JSON",
        ),
        // Cut short after the token.
        (
            format!(r#"{{"xsrf_token":"{t}","body":"#),
            "request body unreadable: invalid JSON",
        ),
        // A token field that is not a string.
        (
            r#"{"xsrf_token":{"t":"x"},"body":"x"}"#.to_owned(),
            "request body unreadable: JSON token field is not a string",
        ),
        // Two top-level token fields (T17).
        (
            format!(r#"{{"xsrf_token":"{t}","body":"x","xsrf_token":"{t}"}}"#),
            CONFLICT,
        ),
    ];
    for (body, reason) in &refused {
        let req =
            || post("/api/comments").insert_header((header::CONTENT_TYPE, "application/json"));
        let r = c.send(req().set_payload(body.clone())).await;
        assert_eq!(
            (r.status, r.body.trim()),
            (StatusCode::FORBIDDEN, *reason),
            "{body}"
        );
        let r = c
            .send_chunked(req(), one_byte_chunks(body.as_bytes()))
            .await;
        assert_eq!(
            (r.status, r.body.trim()),
            (StatusCode::FORBIDDEN, *reason),
            "{body} chunked"
        );
    }
    assert!(log.is_empty(), "{:?}", log.entries());
    // With the token header the body is not scanned: the header decides,
    // and the handler's own extractor judges the body (400 for junk).
    let r = c
        .send(
            post("/api/comments")
                .insert_header((header::CONTENT_TYPE, "application/json"))
                .insert_header(("x-xsrf-token", t.as_str()))
                .set_payload(format!(r#"{{"body":tru,"xsrf_token":"{t}"}}"#)),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(log.is_empty(), "{:?}", log.entries());
}

#[actix_web::test]
async fn t20_one_byte_chunks_are_answered_as_one_piece_through_the_app() {
    let (c, log) = start(builder(&clock())).await;
    let t = c.token().await;
    // The attack from the issue: one part header growing to 64 KB, one
    // byte per chunk. Refused once the header block passes 8 KiB.
    let mut attack = b"--XyZ\r\nX-Pad: ".to_vec();
    attack.extend_from_slice(&[b'a'; 64_000]);
    for chunks in [vec![Bytes::from(attack.clone())], one_byte_chunks(&attack)] {
        let r = c.send_chunked(Shape::Multipart.request(), chunks).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert_eq!(
            r.body.trim(),
            "request body unreadable: multipart part headers too large"
        );
    }
    assert!(log.is_empty(), "{:?}", log.entries());
    // Legitimate bodies with the token last, one byte per chunk.
    let file = vec![b'f'; 60_000];
    let mp = multipart_body("XyZ", &[("file", &file), ("xsrf_token", t.as_bytes())]);
    let r = c
        .send_chunked(Shape::Multipart.request(), one_byte_chunks(&mp))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, format!("file=60000,xsrf_token={}", t.len()));
    // (web::Form's own limit is 16 KiB.)
    let form = format!("body={}&xsrf_token={t}", "b".repeat(16_000));
    let r = c
        .send_chunked(
            Shape::Urlencoded.request(),
            one_byte_chunks(form.as_bytes()),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let json = format!(r#"{{"body":"{}","xsrf_token":"{t}"}}"#, "j".repeat(60_000));
    let r = c
        .send_chunked(Shape::Json.request(), one_byte_chunks(json.as_bytes()))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let entries = log.entries();
    assert_eq!(entries.len(), 3, "{entries:?}");
    assert_eq!(entries[1], format!("comment:{}", "b".repeat(16_000)));
}

#[actix_web::test]
async fn t18_a_json_token_in_an_also_accepted_header_decides_as_the_main_header_does() {
    let (c, log) =
        start(builder(&clock()).transport(Transport::new().also_accept_header("X-CSRFToken")))
            .await;
    let sent = c.token().await;
    // Another token of the same session in the body: a stale copy the
    // client's JSON still carries.
    let stale = c.token().await;
    assert_ne!(sent, stale);
    let json = |header: &str, body: String| {
        post("/api/comments")
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .insert_header((header.to_owned(), sent.clone()))
            .set_payload(body)
    };
    for h in ["X-XSRF-Token", "X-CSRFToken"] {
        // The header decides; the body is not read for a token, so its
        // other token is no conflict.
        let body = format!(r#"{{"xsrf_token":"{stale}","body":"via {h}"}}"#);
        let r = c.send(json(h, body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{h}: {}", r.body);
        // Nor is junk: the handler's own extractor judges the body.
        let r = c
            .send(json(h, format!(r#"{{"xsrf_token":"{stale}",tru"#)))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{h}: {}", r.body);
    }
    assert_eq!(
        log.entries(),
        ["api:via X-XSRF-Token", "api:via X-CSRFToken"]
    );
    // A form body is read with either header, as before: its other token
    // is a conflict (row T17).
    for h in ["X-XSRF-Token", "X-CSRFToken"] {
        let r = c
            .send(
                form_post("/comments", &format!("xsrf_token={stale}&body=x"))
                    .insert_header((h, sent.as_str())),
            )
            .await;
        assert_eq!(
            (r.status, r.body.trim()),
            (StatusCode::FORBIDDEN, CONFLICT),
            "{h}"
        );
    }
    // The static key header alone also leaves a JSON body unread: with no
    // token header that is a missing token, not a misconfiguration.
    let r = c
        .send(
            post("/api/comments")
                .insert_header((header::CONTENT_TYPE, "application/json"))
                .insert_header(("Sec-Xsrf-Static-Key", "not-a-key"))
                .set_payload(format!(r#"{{"xsrf_token":"{sent}","body":"x"}}"#)),
        )
        .await;
    assert_eq!(
        (r.status, r.header("x-xsrf-rejection")),
        (StatusCode::FORBIDDEN, Some("missing")),
        "{}",
        r.body
    );
    assert_eq!(log.entries().len(), 2, "{:?}", log.entries());
}

async fn fallback(_: ValidXsrf, log: web::Data<Log>) -> HttpResponse {
    log.push("fallback");
    HttpResponse::Ok().finish()
}

fn with_fallback(cfg: &mut web::ServiceConfig) {
    routes(cfg);
    cfg.default_service(web::to(fallback));
}

#[actix_web::test]
async fn t21_a_body_to_no_route_is_not_read_and_a_default_service_checking_it_is_told_why() {
    let log = Log::default();
    let xsrf = builder(&clock()).build().expect("settings");
    let c = start_with(xsrf, &log, with_fallback).await;
    let t = c.token().await;
    // A form token in the body of a request no resource matches: the
    // middleware did not read it, and the default service's check says so
    // (naming the fix) instead of calling the token missing.
    let r = c
        .send(form_post("/nowhere", &format!("xsrf_token={t}&body=x")))
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
    assert!(r.body.contains("matches no resource"), "{}", r.body);
    assert!(log.is_empty(), "{:?}", log.entries());
    // The token in the header works there, the body unread.
    let r = c
        .send(form_post("/nowhere", "body=x").insert_header(("X-XSRF-Token", t.as_str())))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // And a route's handler reads its body as always.
    let r = c
        .send(form_post(
            "/comments",
            &format!("xsrf_token={t}&body=routed"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(log.entries(), ["fallback", "comment:routed"]);
}
