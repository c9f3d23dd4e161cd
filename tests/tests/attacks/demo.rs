//! The forms demo's contract (`cargo run -p xsrf-examples --bin forms`),
//! which checks outside this repository rely on, with clients that are not
//! browsers: they send no `Origin`, `Referer` or `Sec-Fetch-Site`, only the
//! session cookie and the token.
//!
//! Most cases run through `actix_web::test`; the last ones run against a
//! real listening server with a raw HTTP client, as curl or Python
//! `requests` would.

use actix_session::SessionMiddleware;
use actix_session::storage::CookieSessionStore;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use actix_web::{cookie, web};
use xsrf_actix::{SigningKey, Xsrf};
use xsrf_examples::forms::{self, Comments, MAX_BODY, MAX_COMMENTS};
use xsrf_tests::fixture::{AppService, Client, client_of, multipart_body};
use xsrf_tests::server::{ExampleServer, RawClient, start_example};

mod restarts;
mod settings;

const SITE: &str = "http://127.0.0.1:8080";

fn xsrf() -> Xsrf {
    Xsrf::builder()
        .secret(SigningKey::from_bytes(&[0x42; 32]).expect("key"))
        .site_origin(SITE)
        .site_origin("http://localhost:8080")
        .build()
        .expect("xsrf settings")
}

fn sessions(xsrf: &Xsrf) -> SessionMiddleware<CookieSessionStore> {
    forms::cookie_sessions(xsrf, cookie::Key::from(&[0x17; 64]))
}

/// A client of a fresh demo, and the demo's comments.
async fn demo() -> (Client<impl AppService>, web::Data<Comments>) {
    let xsrf = xsrf();
    let comments = web::Data::new(Comments::default());
    let client = client_of(forms::app(xsrf.clone(), comments.clone(), sessions(&xsrf))).await;
    (client, comments)
}

/// The value of the hidden `xsrf_token` field of a page.
fn hidden_token(html: &str) -> String {
    let start = html
        .find(r#"<input type="hidden" name="xsrf_token" value=""#)
        .unwrap_or_else(|| panic!("no hidden xsrf_token field in:\n{html}"));
    let rest = &html[start..];
    let value = &rest[rest.find("value=\"").expect("value") + 7..];
    value[..value.find('"').expect("end quote")].to_owned()
}

fn urlencoded(path: &str, body: &str) -> TestRequest {
    TestRequest::post()
        .uri(path)
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(body.to_owned())
}

fn multipart(path: &str, fields: &[(&str, &[u8])]) -> TestRequest {
    let boundary = "----contract-boundary-7MA4YWxk";
    TestRequest::post()
        .uri(path)
        .insert_header((
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        ))
        .set_payload(multipart_body(boundary, fields))
}

fn json_post(body: &str, token_header: Option<(&str, &str)>) -> TestRequest {
    let mut req = TestRequest::post()
        .uri("/api/comments")
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .set_payload(serde_json::json!({ "body": body }).to_string());
    if let Some(h) = token_header {
        req = req.insert_header(h);
    }
    req
}

/// A value encoded for an `application/x-www-form-urlencoded` body.
fn form_value(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[actix_web::test]
async fn index_sends_the_header_the_hidden_field_and_the_session_cookie() {
    let (client, _) = demo().await;
    let r = client.send(TestRequest::get().uri("/")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("text/html")),
        "{:?}",
        r.header("content-type")
    );
    let header_token = r.header("x-xsrf-token").expect("X-XSRF-Token header");
    assert!(!header_token.is_empty());
    assert!(
        r.body
            .contains(r#"<form method="post" action="/comments">"#)
    );
    assert!(!hidden_token(&r.body).is_empty());
    assert!(r.body.contains(r#"name="body""#));
    assert!(
        r.set_cookies().iter().any(|c| c.starts_with("id=")),
        "no session cookie: {:?}",
        r.set_cookies()
    );
}

#[actix_web::test]
async fn urlencoded_post_with_the_token_is_stored_and_redirected() {
    let (client, comments) = demo().await;
    let page = client.send(TestRequest::get().uri("/")).await;
    let token = hidden_token(&page.body);
    let r = client
        .send(urlencoded(
            "/comments",
            &format!(
                "xsrf_token={}&body={}",
                form_value(&token),
                form_value("hi <there> & you")
            ),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("location"), Some("/"));
    assert_eq!(comments.all(), ["hi <there> & you"]);

    // Shown escaped on the page.
    let page = client.send(TestRequest::get().uri("/")).await;
    assert!(page.body.contains("hi &lt;there&gt; &amp; you"));
    assert!(!page.body.contains("<there>"));
}

#[actix_web::test]
async fn the_header_token_works_for_forms_too() {
    let (client, comments) = demo().await;
    let page = client.send(TestRequest::get().uri("/")).await;
    let token = page.header("x-xsrf-token").expect("header").to_owned();
    let r = client
        .send(urlencoded("/comments", "body=via+header").insert_header(("X-XSRF-Token", token)))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(comments.all(), ["via header"]);
}

#[actix_web::test]
async fn multipart_post_with_the_token_is_stored_and_redirected() {
    let (client, comments) = demo().await;
    let page = client.send(TestRequest::get().uri("/")).await;
    let token = hidden_token(&page.body);
    let r = client
        .send(multipart(
            "/comments",
            &[
                ("xsrf_token", token.as_bytes()),
                ("body", "multi part".as_bytes()),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("location"), Some("/"));
    assert_eq!(comments.all(), ["multi part"]);
}

#[actix_web::test]
async fn posts_without_a_valid_token_are_refused_and_store_nothing() {
    let (client, comments) = demo().await;
    let page = client.send(TestRequest::get().uri("/")).await;
    let token = hidden_token(&page.body);
    let mut tampered = token.clone().into_bytes();
    let last = tampered.last_mut().expect("non-empty token");
    *last = if *last == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");

    let cases = [
        ("no token", urlencoded("/comments", "body=x")),
        (
            "garbage token",
            urlencoded("/comments", "xsrf_token=garbage&body=x"),
        ),
        (
            "tampered token",
            urlencoded(
                "/comments",
                &format!("xsrf_token={}&body=x", form_value(&tampered)),
            ),
        ),
        (
            "token only in the URL",
            urlencoded(
                &format!("/comments?xsrf_token={}", form_value(&token)),
                "body=x",
            ),
        ),
        (
            "multipart without token",
            multipart("/comments", &[("body", b"x")]),
        ),
        (
            "multipart with a bad token",
            multipart("/comments", &[("xsrf_token", b"garbage"), ("body", b"x")]),
        ),
        (
            "a valid token from a cross-site page",
            urlencoded(
                "/comments",
                &format!("xsrf_token={}&body=x", form_value(&token)),
            )
            .insert_header((header::ORIGIN, "http://evil.example"))
            .insert_header(("sec-fetch-site", "cross-site")),
        ),
    ];
    for (what, req) in cases {
        let r = client.send(req).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}: {}", r.body);
        assert!(
            !r.body.trim().is_empty() && r.body.len() < 300,
            "{what}: not a short reason: {:?}",
            r.body
        );
        assert!(
            !r.body.contains(&token),
            "{what}: the refusal echoes the token"
        );
    }

    // Another visitor's token (another session) is no good either.
    let (other, _) = demo().await;
    let theirs = hidden_token(&other.send(TestRequest::get().uri("/")).await.body);
    let r = client
        .send(urlencoded(
            "/comments",
            &format!("xsrf_token={}&body=x", form_value(&theirs)),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // No session at all: refused.
    client.set_cookies(Default::default());
    let r = client
        .send(urlencoded(
            "/comments",
            &format!("xsrf_token={}&body=x", form_value(&token)),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    assert!(comments.all().is_empty(), "stored: {:?}", comments.all());
}

#[actix_web::test]
async fn json_api_needs_the_token_header() {
    let (client, comments) = demo().await;
    let page = client.send(TestRequest::get().uri("/")).await;
    let token = page.header("x-xsrf-token").expect("header").to_owned();

    // As axios sends it, and with the demo's own spelling.
    for (name, body) in [("X-XSRF-TOKEN", "axios"), ("X-XSRF-Token", "fetch")] {
        let r = client
            .send(json_post(body, Some((name, token.as_str()))))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{name}: {}", r.body);
        assert!(
            r.header("content-type")
                .is_some_and(|t| t.starts_with("application/json"))
        );
        let v: serde_json::Value = serde_json::from_str(&r.body).expect("JSON");
        assert_eq!(v["body"], body);
    }

    for (what, req) in [
        ("no header", json_post("x", None)),
        (
            "bad header",
            json_post("x", Some(("X-XSRF-TOKEN", "garbage"))),
        ),
    ] {
        let r = client.send(req).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}: {}", r.body);
    }
    assert_eq!(comments.all(), ["axios", "fetch"]);
}

#[actix_web::test]
async fn api_lists_comments_oldest_first() {
    let (client, comments) = demo().await;
    let page = client.send(TestRequest::get().uri("/")).await;
    let token = page.header("x-xsrf-token").expect("header").to_owned();
    let empty = client.send(TestRequest::get().uri("/api/comments")).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.body, "[]");

    for body in ["a", "b"] {
        let r = client
            .send(urlencoded(
                "/comments",
                &format!("xsrf_token={}&body={body}", form_value(&token)),
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let r = client
        .send(json_post("c", Some(("X-XSRF-TOKEN", token.as_str()))))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);

    let r = client.send(TestRequest::get().uri("/api/comments")).await;
    assert_eq!(r.status, StatusCode::OK);
    let list: Vec<String> = serde_json::from_str(&r.body).expect("a JSON array");
    assert_eq!(list, ["a", "b", "c"]);
    assert_eq!(comments.all(), list);
}

#[actix_web::test]
async fn reset_link_works_once() {
    let (client, _) = demo().await;
    let page = client.send(TestRequest::get().uri("/")).await;
    let token = hidden_token(&page.body);

    // Creating a link needs a token.
    let r = client.send(urlencoded("/reset-link", "")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    let r = client
        .send(urlencoded(
            "/reset-link",
            &format!("xsrf_token={}", form_value(&token)),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let start = r.body.find("href=\"/reset/").expect("a /reset/{key} link") + 6;
    let link = &r.body[start..start + r.body[start..].find('"').expect("end quote")];
    assert!(link.len() > "/reset/".len());

    let form = client.send(TestRequest::get().uri(link)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body
            .contains(&format!(r#"<form method="post" action="{link}">"#)),
        "{}",
        form.body
    );

    let first = client.send(urlencoded(link, "password=new")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(first.body.contains("Password reset"), "{}", first.body);
    let second = client.send(urlencoded(link, "password=new")).await;
    assert_eq!(second.status, StatusCode::FORBIDDEN, "{}", second.body);
}

#[actix_web::test]
async fn reset_link_is_not_bound_to_the_session() {
    let xsrf = xsrf();
    let comments = web::Data::new(Comments::default());
    let svc = test::init_service(forms::app(xsrf.clone(), comments, sessions(&xsrf))).await;
    let requester = Client::new(&svc);
    let page = requester.send(TestRequest::get().uri("/")).await;
    let token = hidden_token(&page.body);
    let r = requester
        .send(urlencoded(
            "/reset-link",
            &format!("xsrf_token={}", form_value(&token)),
        ))
        .await;
    let start = r.body.find("href=\"/reset/").expect("link") + 6;
    let link = r.body[start..start + r.body[start..].find('"').expect("quote")].to_owned();

    // Opened from the mail in another browser: no session cookie.
    let mail_reader = Client::new(&svc);
    let first = mail_reader.send(urlencoded(&link, "password=new")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let again = requester.send(urlencoded(&link, "password=new")).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN, "{}", again.body);
}

#[actix_web::test]
async fn memory_is_bounded() {
    let (client, comments) = demo().await;
    let page = client.send(TestRequest::get().uri("/")).await;
    let token = hidden_token(&page.body);
    let long = "x".repeat(MAX_BODY + 1);
    let r = client
        .send(urlencoded(
            "/comments",
            &format!("xsrf_token={}&body={long}", form_value(&token)),
        ))
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let r = client
        .send(multipart(
            "/comments",
            &[("xsrf_token", token.as_bytes()), ("body", long.as_bytes())],
        ))
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert!(comments.all().is_empty());

    let store = Comments::default();
    for i in 0..MAX_COMMENTS + 5 {
        store.add(i.to_string());
    }
    let all = store.all();
    assert_eq!(all.len(), MAX_COMMENTS);
    assert_eq!(all[0], "5");
    assert_eq!(all[MAX_COMMENTS - 1], (MAX_COMMENTS + 4).to_string());
}

// ---------------------------------------------------------------------------
// Over a real socket, as curl or Python `requests`
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn raw_http_client_round_trip() {
    // As the binary runs it: a generated secret, both loopback names.
    let ExampleServer {
        addr,
        handle,
        comments,
        ..
    } = start_example(forms::app::<CookieSessionStore>, false);
    let mut client = RawClient::default();

    let page = client
        .send(addr, "GET", "/", &[], b"")
        .await
        .expect("GET /");
    assert_eq!(page.status, 200);
    assert!(page.header("x-xsrf-token").is_some());
    assert!(client.cookies.contains_key("id"), "{:?}", page.headers);
    let token = hidden_token(&page.text());

    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let body = format!("xsrf_token={}&body=over+the+wire", form_value(&token));
    let r = client
        .send(addr, "POST", "/comments", &form, body.as_bytes())
        .await
        .expect("POST /comments");
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(r.header("location"), Some("/"));

    // Without the token: 403, nothing stored.
    let r = client
        .send(addr, "POST", "/comments", &form, b"body=forged")
        .await
        .expect("POST /comments");
    assert_eq!(r.status, 403, "{}", r.text());

    let json = [
        ("Content-Type", "application/json"),
        ("X-XSRF-TOKEN", token.as_str()),
    ];
    let r = client
        .send(addr, "POST", "/api/comments", &json, br#"{"body":"json"}"#)
        .await
        .expect("POST /api/comments");
    assert_eq!(r.status, 201, "{}", r.text());
    let r = client
        .send(
            addr,
            "POST",
            "/api/comments",
            &json[..1],
            br#"{"body":"forged"}"#,
        )
        .await
        .expect("POST /api/comments");
    assert_eq!(r.status, 403, "{}", r.text());

    let r = client
        .send(addr, "GET", "/api/comments", &[], b"")
        .await
        .expect("GET /api/comments");
    assert_eq!(r.status, 200);
    let list: Vec<String> = serde_json::from_slice(&r.body).expect("JSON array");
    assert_eq!(list, ["over the wire", "json"]);
    assert_eq!(comments.all(), list);
    handle.stop(false).await;
}

/// The test client of `xsrf_actix::testing` posts to the demo as its own
/// page does, in one call, and a forged post through it is still refused:
/// it switches nothing off.
#[actix_web::test]
async fn the_test_client_posts_as_the_page_does_and_forged_posts_are_still_refused() {
    use xsrf_actix::testing::TestClient;
    let xsrf = xsrf();
    let comments = web::Data::new(Comments::default());
    let app = test::init_service(forms::app(xsrf.clone(), comments.clone(), sessions(&xsrf))).await;
    let browser = TestClient::new(app, &xsrf);

    // Before any page: no token to send, refused.
    let early = browser
        .post_form("/comments", &[("body", "too early")])
        .await;
    assert_eq!(early.status(), StatusCode::FORBIDDEN);
    assert_eq!(early.header("x-xsrf-rejection"), Some("missing"));

    // The page's hidden field gives the token; the post is the page's.
    let page = browser.get("/").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(
        browser.token().as_deref(),
        Some(hidden_token(&page.text()).as_str())
    );
    let posted = browser.post_form("/comments", &[("body", "hello")]).await;
    assert_eq!(posted.status(), StatusCode::SEE_OTHER, "{}", posted.text());
    let api = browser
        .post_json(
            "/api/comments",
            &serde_json::json!({ "body": "from a script" }),
        )
        .await;
    assert_eq!(api.status(), StatusCode::CREATED, "{}", api.text());

    // What a forging page makes the browser send: the cookies, no token.
    let forged = TestRequest::post()
        .uri("/comments")
        .set_form([("body", "forged")]);
    let refused = browser.send_cross_site(forged).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(refused.header("x-xsrf-rejection"), Some("origin"));
    assert_eq!(comments.all(), ["hello", "from a script"]);
}
