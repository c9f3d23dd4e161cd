//! Threat model rows T1–T16 (`xsrf-actix/docs/threat-model.md`), through
//! a real actix-web app. Every refusal also checks that the handler's side
//! effect did not happen.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::test::TestRequest;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::Duration;
use xsrf_actix::{Expiry, KeyRing, Source, TokenCookie, Transport};
use xsrf_tests::fixture::*;

#[actix_web::test]
async fn t1_unsafe_methods_without_token_are_refused() {
    let (c, log) = start(builder(&clock())).await;
    c.token().await; // a session exists; only the token is missing
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let req = same_origin(
            TestRequest::default()
                .method(method.parse().expect("method"))
                .uri("/comments"),
        )
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload("body=forged");
        let r = c.send(req).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{method}");
        assert_eq!(r.body.trim(), "XSRF token missing");
    }
    assert!(log.is_empty(), "{:?}", log.entries());
}

#[actix_web::test]
async fn t2_empty_and_whitespace_tokens_are_refused() {
    let (c, log) = start(builder(&clock())).await;
    c.token().await;
    for bad in ["", " ", "   \t"] {
        let r = c.send(api_post(bad, "x")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{bad:?}");
        let r = c
            .send(form_post("/comments", &format!("xsrf_token={bad}&body=x")))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "form {bad:?}");
    }
    assert!(log.is_empty());
}

#[actix_web::test]
async fn t3_malformed_tokens_are_refused_without_panic() {
    let (c, log) = start(builder(&clock())).await;
    let good = c.token().await;
    let mut unknown_version = URL_SAFE_NO_PAD.decode(&good).expect("b64");
    unknown_version[0] = 9;
    let cases = vec![
        "!!!!not-base64!!!!".repeat(5),
        "A".repeat(81),
        format!("{good}A"),
        URL_SAFE_NO_PAD.encode(&unknown_version),
    ];
    for bad in &cases {
        let r = c.send(api_post(bad.as_str(), "x")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{bad:.20}");
        assert!(r.body.contains("malformed"), "{}", r.body);
    }
    // 1 MB of junk in the form field: bounded by the scan limit.
    let junk = format!("xsrf_token={}&body=x", "J".repeat(1 << 20));
    let r = c.send(form_post("/comments", &junk)).await;
    assert!(
        matches!(
            r.status,
            StatusCode::FORBIDDEN | StatusCode::PAYLOAD_TOO_LARGE
        ),
        "{}",
        r.status
    );
    assert!(log.is_empty());
}

#[actix_web::test]
async fn t4_one_flipped_bit_in_mac_nonce_or_time_is_refused() {
    let (c, log) = start(builder(&clock())).await;
    let good = c.token().await;
    let raw = URL_SAFE_NO_PAD.decode(&good).expect("b64");
    // time: bytes 5..13, nonce: 13..29, mac: 29..61
    for byte in [6, 12, 13, 28, 29, 45, 60] {
        let mut t = raw.clone();
        t[byte] ^= 0x01;
        let r = c.send(api_post(&URL_SAFE_NO_PAD.encode(&t), "x")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "byte {byte}");
    }
    assert!(log.is_empty());
    // The untouched token still works: the refusals were about the bit.
    let r = c.send(api_post(&good, "ok")).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(log.entries(), ["api:ok"]);
}

#[actix_web::test]
async fn t5_token_of_other_session_or_user_is_refused() {
    let log = Log::default();
    let xsrf = builder(&clock()).build().expect("xsrf");
    let svc = service(xsrf, log.clone()).await;
    let alice = Client::new(svc);
    let alice_token = alice.token().await;
    let alice_jar = alice.cookies();
    // Mallory has her own anonymous session and uses Alice's token.
    alice.set_cookies(Default::default());
    let _ = alice.token().await;
    let r = alice
        .send(form_post(
            "/comments",
            &format!("xsrf_token={alice_token}&body=x"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Same session, but now logged in as another user.
    alice.set_cookies(alice_jar);
    let r = alice
        .send(
            form_post("/comments", &format!("xsrf_token={alice_token}&body=x"))
                .insert_header(("x-test-user", "bob")),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(log.is_empty());
    let r = alice
        .send(form_post(
            "/comments",
            &format!("xsrf_token={alice_token}&body=mine"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(log.entries(), ["comment:mine"]);
}

#[actix_web::test]
async fn t6_token_for_another_action_is_refused() {
    let (c, log) = start(builder(&clock())).await;
    let other = c.token_for("post-comment").await;
    let plain = c.token().await;
    for t in [&other, &plain] {
        let r = c
            .send(post("/account/delete").insert_header(("x-xsrf-token", t.as_str())))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    // A scoped token is not valid where no action is expected, either.
    let r = c
        .send(form_post(
            "/comments",
            &format!("xsrf_token={other}&body=x"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(log.is_empty());
    let right = c.token_for("delete-account").await;
    let r = c
        .send(post("/account/delete").insert_header(("x-xsrf-token", right)))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(log.entries(), ["deleted"]);
}

#[actix_web::test]
async fn t7_expired_and_future_tokens_are_refused() {
    let log = Log::default();
    let clock = clock();
    let xsrf = builder(&clock)
        .expiry(Expiry::after(Duration::minutes(30)))
        .build()
        .expect("xsrf");
    let c = Client::new(service(xsrf, log.clone()).await);
    let token = c.token().await;
    clock.advance(Duration::minutes(31));
    let r = c.send(api_post(token.as_str(), "x")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body.trim(), "XSRF token expired");
    // Issued "in the future" (a clock set back by more than the skew).
    let future = c.token().await;
    clock.advance(Duration::minutes(-5));
    let r = c.send(api_post(&future, "x")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body.trim(), "XSRF token issued in the future");
    assert!(log.is_empty());
}

#[actix_web::test]
async fn t8_t9_retired_keys_are_refused_and_fallback_keys_accepted() {
    let clock = clock();
    let log = Log::default();
    // Tokens issued under key A.
    let old_app = Client::new(service(builder(&clock).build().expect("xsrf"), log.clone()).await);
    let token = old_app.token().await;
    let jar = old_app.cookies();

    // T9: B current, A still a fallback: accepted.
    let rotated = builder_with_ring(&clock, KeyRing::new(key_b()).with_fallback(key_a()));
    let c = Client::new(service(rotated.build().expect("xsrf"), log.clone()).await);
    c.set_cookies(jar.clone());
    let r = c.send(api_post(token.as_str(), "t9")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // T8: A retired: refused.
    let retired = builder_with_ring(&clock, KeyRing::new(key_b()));
    let c = Client::new(service(retired.build().expect("xsrf"), log.clone()).await);
    c.set_cookies(jar);
    let r = c.send(api_post(token.as_str(), "t8")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body.trim(),
        "XSRF token signed with a key that is no longer accepted"
    );
    assert_eq!(log.entries(), ["api:t9"]);
}

#[actix_web::test]
async fn t10_token_in_header_form_or_multipart_is_accepted_and_body_is_intact() {
    let (c, log) = start(builder(&clock())).await;
    let t = c.token().await;
    // Header, JSON body.
    let r = c
        .send(
            post("/api/comments")
                .insert_header(("X-XSRF-TOKEN", t.as_str()))
                .set_json(serde_json::json!({"body": "json"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    // Urlencoded field, with fields on both sides of the token.
    let r = c
        .send(form_post(
            "/comments",
            &format!("a=1&xsrf_token={t}&body=hello+world%21"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // web::Bytes sees exactly what was sent.
    let body = format!("xsrf_token={t}&body=raw");
    let r = c.send(form_post("/bytes", &body)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, body);
    // Multipart: token first, then a 300 KiB file the handler reads whole.
    let file = vec![b'z'; 300 * 1024];
    let mp = multipart_body(
        "BOUNDARY42",
        &[("xsrf_token", t.as_bytes()), ("file", &file)],
    );
    let r = c.send(multipart_post("/upload", "BOUNDARY42", mp)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body,
        format!("xsrf_token={},file={}", t.len(), 300 * 1024)
    );
    assert_eq!(
        log.entries(),
        [
            "api:json".to_owned(),
            "comment:hello world!".to_owned(),
            format!("bytes:{}", body.len()),
            format!("upload:xsrf_token={},file={}", t.len(), 300 * 1024),
        ]
    );
}

#[actix_web::test]
async fn t11_header_and_form_disagreeing_is_refused() {
    let (c, log) = start(builder(&clock())).await;
    let good = c.token().await;
    let other = c.token().await; // valid too, but different
    let r = c
        .send(
            form_post("/comments", &format!("xsrf_token={good}&body=x"))
                .insert_header(("x-xsrf-token", "wrong")),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c
        .send(
            form_post("/comments", "xsrf_token=wrong&body=x")
                .insert_header(("x-xsrf-token", good.as_str())),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c
        .send(
            form_post("/comments", &format!("xsrf_token={other}&body=x"))
                .insert_header(("x-xsrf-token", good.as_str())),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body.trim(), "XSRF tokens in the request disagree");
    let r = c
        .send(form_post(
            "/comments",
            &format!("xsrf_token={good}&body=x&xsrf_token={other}"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(log.is_empty());
}

#[actix_web::test]
async fn t12_token_only_in_query_string_is_refused() {
    let (c, log) = start(builder(&clock())).await;
    let t = c.token().await;
    let r = c
        .send(form_post(&format!("/comments?xsrf_token={t}"), "body=x"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body.trim(), "XSRF token must not be sent in the URL");
    assert!(log.is_empty());
}

#[actix_web::test]
async fn t13_session_cookie_removed_or_tampered_is_refused() {
    let (c, log) = start(builder(&clock())).await;
    let t = c.token().await;
    let jar = c.cookies();
    c.set_cookies(Default::default());
    let r = c
        .send(form_post("/comments", &format!("xsrf_token={t}&body=x")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body.trim(),
        "no XSRF session (session cookie missing or invalid)"
    );
    let mut tampered = jar.clone();
    for v in tampered.values_mut() {
        let mut bytes = v.clone().into_bytes();
        let i = bytes.len() / 2;
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        *v = String::from_utf8(bytes).expect("ascii");
    }
    c.set_cookies(tampered);
    let r = c
        .send(form_post("/comments", &format!("xsrf_token={t}&body=x")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(log.is_empty());
}

#[actix_web::test]
async fn t14_double_submit_cookie_and_field_from_two_sessions_are_refused() {
    let log = Log::default();
    let xsrf = builder(&clock())
        .token_cookie(TokenCookie::new())
        .transport(Transport::new().sources([Source::Header, Source::Form, Source::Cookie]))
        .build()
        .expect("xsrf");
    let svc = service(xsrf, log.clone()).await;
    let c = Client::new(svc);
    let mine = c.token().await;
    let my_jar = c.cookies();
    assert_eq!(my_jar.get("XSRF-TOKEN"), Some(&mine));
    c.set_cookies(Default::default());
    let theirs = c.token().await;
    let their_jar = c.cookies();
    // My session cookie with their token cookie, my token in the field.
    let mut mixed = my_jar.clone();
    mixed.insert("XSRF-TOKEN".into(), theirs.clone());
    c.set_cookies(mixed);
    let r = c
        .send(form_post("/comments", &format!("xsrf_token={mine}&body=x")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Their cookies, my field.
    c.set_cookies(their_jar);
    let r = c
        .send(form_post("/comments", &format!("xsrf_token={mine}&body=x")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // No token cookie at all.
    let mut no_cookie = my_jar.clone();
    no_cookie.remove("XSRF-TOKEN");
    c.set_cookies(no_cookie);
    let r = c
        .send(form_post("/comments", &format!("xsrf_token={mine}&body=x")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(log.is_empty());
    c.set_cookies(my_jar);
    let r = c
        .send(form_post(
            "/comments",
            &format!("xsrf_token={mine}&body=ok"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(log.entries(), ["comment:ok"]);
}

#[actix_web::test]
async fn t15_oversized_truncated_or_odd_bodies_are_refused_with_a_reason() {
    let (c, log) = start(builder(&clock())).await;
    let t = c.token().await;
    // Token after 100 KiB of padding: past the 64 KiB scan limit.
    let big = format!("pad={}&xsrf_token={t}&body=x", "p".repeat(100 * 1024));
    let r = c.send(form_post("/comments", &big)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        r.body.trim(),
        "no XSRF token within the body's scan limit: put the token field before files and large fields, or send the token in the header"
    );
    // Truncated multipart (no closing boundary, token part never ends).
    let mut mp = multipart_body("B0UND", &[("file", b"data")]);
    mp.truncate(mp.len() - 12);
    let r = c.send(multipart_post("/upload", "B0UND", mp)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body.trim(),
        "request body unreadable: malformed multipart"
    );
    // A charset we do not decode.
    let r = c
        .send(
            post("/comments")
                .insert_header((
                    header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded; charset=utf-16",
                ))
                .set_payload(format!("xsrf_token={t}&body=x")),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body.trim(),
        "request body unreadable: unsupported charset"
    );
    // Multipart without a boundary.
    let r = c
        .send(
            post("/upload")
                .insert_header((header::CONTENT_TYPE, "multipart/form-data"))
                .set_payload("x"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(log.is_empty(), "{:?}", log.entries());
}

#[actix_web::test]
async fn t16_token_from_before_login_rotation_is_refused() {
    let (c, log) = start(builder(&clock())).await;
    let before = c.token().await;
    let r = c
        .send(post("/login").insert_header(("x-xsrf-token", before.as_str())))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(log.entries(), ["login"]);
    let r = c
        .send(form_post(
            "/comments",
            &format!("xsrf_token={before}&body=x"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(log.entries(), ["login"]);
    let after = c.token().await;
    let r = c
        .send(form_post(
            "/comments",
            &format!("xsrf_token={after}&body=y"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(log.entries(), ["login", "comment:y"]);
}

#[actix_web::test]
async fn header_only_check_ignores_the_form_field() {
    let (c, log) = start(builder(&clock())).await;
    let t = c.token().await;
    let r = c
        .send(form_post("/header-only", &format!("xsrf_token={t}")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c
        .send(post("/header-only").insert_header(("x-xsrf-token", t)))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(log.entries(), ["header-only"]);
}
