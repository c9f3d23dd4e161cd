//! Row L7: a person types into a plain HTML form for longer than the token
//! lifetime, then submits it from the site. The post is refused (`403
//! expired`, the handler does not run: row T7 holds), and the refusal is a
//! page holding the person's fields and a fresh token, whose one button
//! sends them again: the text is stored once, with one extra click. Here
//! the page is read as a browser reads it (its form's inputs, entities
//! decoded) and posted back; `tests/tests/browser/forms.rs` clicks it in
//! Chromium.
//!
//! The same expired token from anywhere the browser did not prove to be
//! the site itself (cross-site, same-site, a trusted origin, no origin at
//! all), from a script (a token header, `Accept` without HTML), in a
//! frame, over the scan limit, forged, or with a custom error handler gets
//! the ordinary refusal, and the fields never appear in it.

use actix_web::http::{StatusCode, header};
use actix_web::test::TestRequest;
use actix_web::{HttpResponse, cookie, web};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt as _;
use time::Duration;
use xsrf_actix::{
    ManualClock, Rollout, Source, Storage, TokenCookie, Transport, Xsrf, XsrfBuilder,
};
use xsrf_examples::forms::{self, Comments};
use xsrf_tests::fixture::{
    AppService, Client, Log, Resp, SITE, builder, client_of, clock, routes, start_with,
};

/// What Chromium sends for a page's navigation (a form submitted in the
/// window).
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8";

/// A comment a person typed, with everything an attacker would try if
/// it were echoed unescaped.
const TYPED: &str =
    "Long thoughts\r\nover lunch: \"><script>alert(1)</script> & <b>bold</b> 'quoted' café";

/// A POST as Chromium sends it for a form submitted from a page of the
/// site at `SITE`.
fn from_the_site(path: &str) -> TestRequest {
    TestRequest::post()
        .uri(path)
        .insert_header((header::ORIGIN, SITE))
        .insert_header((header::REFERER, format!("{SITE}/form")))
        .insert_header(("sec-fetch-site", "same-origin"))
        .insert_header(("sec-fetch-mode", "navigate"))
        .insert_header(("sec-fetch-dest", "document"))
        .insert_header((header::ACCEPT, BROWSER_ACCEPT))
}

fn urlencoded(req: TestRequest, fields: &[(&str, &str)]) -> TestRequest {
    req.set_form(fields)
}

/// One part of a multipart body: a text field, or a file.
enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

const BOUNDARY: &str = "----WebKitFormBoundaryl7AbCdEf";

fn multipart(req: TestRequest, parts: &[Part<'_>]) -> TestRequest {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}")
                        .as_bytes(),
                );
            }
            Part::File(name, file, data) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(data);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    req.insert_header((
        header::CONTENT_TYPE,
        format!("multipart/form-data; boundary={BOUNDARY}"),
    ))
    .set_payload(body)
}

/// An input of the page's form, as the browser's DOM has it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Input {
    kind: String,
    name: String,
    value: String,
}

/// The page's form: its `enctype`, whether it names an `action`, its
/// inputs in order.
#[derive(Debug)]
struct PageForm {
    enctype: String,
    has_action: bool,
    inputs: Vec<Input>,
}

/// The value of attribute `name` in one tag, entities decoded. Our
/// escaping leaves no `"` or `>` inside a value, so the first `"` ends it.
fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(html_escape::decode_html_entities(&tag[start..start + len]).into_owned())
}

/// Reads the one form of a re-post page.
fn page_form(page: &str) -> PageForm {
    assert_eq!(page.matches("<form").count(), 1, "one form: {page}");
    let form_at = page.find("<form").expect("a form");
    let form_tag = &page[form_at..form_at + page[form_at..].find('>').expect("tag end")];
    let form_end = page.find("</form>").expect("form end");
    let mut inputs = Vec::new();
    let mut rest = &page[form_at..form_end];
    while let Some(at) = rest.find("<input") {
        let tag = &rest[at..at + rest[at..].find('>').expect("input end")];
        inputs.push(Input {
            kind: attr(tag, "type").expect("type"),
            name: attr(tag, "name").expect("name"),
            value: attr(tag, "value").unwrap_or_default(),
        });
        rest = &rest[at + tag.len()..];
    }
    PageForm {
        enctype: attr(form_tag, "enctype").expect("enctype"),
        has_action: attr(form_tag, "action").is_some(),
        inputs,
    }
}

/// The hidden inputs of a page's form, as the pairs the browser submits.
fn hidden(form: &PageForm) -> Vec<(String, String)> {
    form.inputs
        .iter()
        .filter(|i| i.kind == "hidden")
        .map(|i| (i.name.clone(), i.value.clone()))
        .collect()
}

/// A re-post page: `403 expired`, the page's own headers, the typed text
/// only escaped, the expired token nowhere.
fn assert_repost_page(r: &Resp, expired_token: &str) {
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.header("x-xsrf-rejection"), Some("expired"));
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    let csp = r.header("content-security-policy").expect("a CSP");
    for directive in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    // It would block the handler's redirect elsewhere after the re-post
    // (the browser test shows the redirect followed).
    assert!(!csp.contains("form-action"), "{csp}");
    assert!(r.body.contains("Send again"), "{}", r.body);
    assert!(!r.body.contains("<script"), "{}", r.body);
    assert!(!r.body.contains("<b>bold"), "{}", r.body);
    assert!(
        !r.body.contains(expired_token),
        "the expired token is echoed"
    );
}

/// The fields never reach an ordinary refusal.
fn assert_no_fields(r: &Resp, what: &str) {
    assert!(
        !r.body.contains("Long thoughts") && !r.body.contains("script"),
        "{what}: fields echoed: {}",
        r.body
    );
    assert!(!r.body.contains("Send again"), "{what}: {}", r.body);
    assert_eq!(r.header("content-security-policy"), None, "{what}");
}

/// The fixture app with the default lifetime (one hour) on the manual
/// clock, plus a multipart route that logs its text fields and the size
/// of its files.
async fn app(b: XsrfBuilder, log: &Log) -> Client<impl AppService> {
    let xsrf = b.build().expect("xsrf settings");
    start_with(xsrf, log, |cfg| {
        routes(cfg);
        cfg.route("/notes", web::post().to(notes));
    })
    .await
}

async fn notes(
    _: xsrf_actix::ValidXsrf,
    mut parts: actix_multipart::Multipart,
    log: web::Data<Log>,
) -> HttpResponse {
    let mut seen = Vec::new();
    while let Some(Ok(mut part)) = parts.next().await {
        let name = part.name().unwrap_or("").to_owned();
        let file = part
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_owned);
        let mut value = Vec::new();
        while let Some(Ok(chunk)) = part.next().await {
            value.extend_from_slice(&chunk);
        }
        if name == "xsrf_token" {
            continue;
        }
        seen.push(match file {
            Some(f) => format!("{name}:file {f} ({} bytes)", value.len()),
            None => format!("{name}={}", String::from_utf8_lossy(&value)),
        });
    }
    log.push(format!("notes:{}", seen.join("|")));
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .finish()
}

/// A signed-in person's comment form, left open past the lifetime, then
/// sent: refused with the page; the page's form, posted as the browser
/// would, stores the text once. Its fresh token is bound to the same
/// session and user (another user, or another session, is refused with
/// it). In session and cookie storage.
#[actix_web::test]
async fn l7_expired_urlencoded_form_from_the_site_comes_back_and_one_click_stores_it_once() {
    for cookie_storage in [false, true] {
        let clock = clock();
        let log = Log::default();
        let b = builder(&clock);
        let b = if cookie_storage {
            b.storage(Storage::signed_cookie())
        } else {
            b
        };
        let c = app(b, &log).await;
        let alice = |r: TestRequest| r.insert_header(("x-test-user", "alice"));
        let r = c.send(alice(TestRequest::get().uri("/form"))).await;
        let old = r.header("x-xsrf-token").expect("a token").to_owned();
        clock.advance(Duration::minutes(61));

        let sent = urlencoded(
            alice(from_the_site("/comments")),
            &[("xsrf_token", &old), ("body", TYPED), ("extra", "")],
        );
        let r = c.send(sent).await;
        assert_repost_page(&r, &old);
        assert!(log.is_empty(), "the handler ran: {:?}", log.entries());
        let form = page_form(&r.body);
        assert_eq!(form.enctype, "application/x-www-form-urlencoded");
        assert!(!form.has_action, "posts back to where it came from");
        let fields = hidden(&form);
        assert_eq!(fields.len(), 3, "{fields:?}");
        assert_eq!(fields[0].0, "xsrf_token", "the token comes first");
        let fresh = fields[0].1.clone();
        assert_ne!(fresh, old);
        assert_eq!(
            fields[1..],
            [
                ("body".to_owned(), TYPED.to_owned()),
                ("extra".to_owned(), String::new())
            ]
        );

        // The fresh token is Alice's, in this session: not Bob's, and not
        // another session's.
        let jar = c.cookies();
        let r = c
            .send(urlencoded(
                from_the_site("/comments").insert_header(("x-test-user", "bob")),
                &[("xsrf_token", &fresh), ("body", "as bob")],
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert_eq!(r.header("x-xsrf-rejection"), Some("bad-signature"));
        c.set_cookies(Default::default());
        let _ = c.send(alice(TestRequest::get().uri("/form"))).await;
        let r = c
            .send(urlencoded(
                alice(from_the_site("/comments")),
                &[("xsrf_token", &fresh), ("body", "other session")],
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        c.set_cookies(jar);
        assert!(log.is_empty(), "{:?}", log.entries());

        // One click: the page's form as the browser posts it.
        let r = c
            .send(alice(from_the_site("/comments")).set_form(&fields))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(log.entries(), [format!("comment:{TYPED}")]);
    }
}

/// A token scoped to an action: the page's fresh token carries the same
/// action. It is refused on another form, and accepted on its own.
#[actix_web::test]
async fn l7_the_fresh_token_is_bound_to_the_same_action() {
    let clock = clock();
    let log = Log::default();
    let c = app(builder(&clock), &log).await;
    let old = c.token_for("delete-account").await;
    clock.advance(Duration::hours(2));
    let r = c
        .send(urlencoded(
            from_the_site("/account/delete"),
            &[("confirm", "yes"), ("xsrf_token", &old)],
        ))
        .await;
    assert_repost_page(&r, &old);
    let fields = hidden(&page_form(&r.body));
    assert_eq!(fields[1..], [("confirm".to_owned(), "yes".to_owned())]);
    let r = c
        .send(urlencoded(
            from_the_site("/comments"),
            &[("xsrf_token", &fields[0].1), ("body", "elsewhere")],
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.header("x-xsrf-rejection"), Some("bad-signature"));
    assert!(log.is_empty(), "{:?}", log.entries());
    let r = c
        .send(from_the_site("/account/delete").set_form(&fields))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(log.entries(), ["deleted"]);
}

/// A multipart form: its text fields come back, its file parts are listed
/// to be chosen again (a page cannot send a file); the page posts
/// multipart, and with the file chosen again stores everything once.
#[actix_web::test]
async fn l7_expired_multipart_form_keeps_its_text_and_asks_for_its_files_again() {
    let clock = clock();
    let log = Log::default();
    let c = app(builder(&clock), &log).await;
    let old = c.token().await;
    clock.advance(Duration::minutes(90));
    let r = c
        .send(multipart(
            from_the_site("/notes"),
            &[
                Part::Text("title", "Lunch"),
                Part::Text("xsrf_token", &old),
                Part::File("photo", "soup.png", b"\x89PNG not really"),
                Part::Text("body", TYPED),
            ],
        ))
        .await;
    assert_repost_page(&r, &old);
    assert!(log.is_empty(), "the handler ran: {:?}", log.entries());
    assert!(r.body.contains("choose each file again"), "{}", r.body);
    assert!(r.body.contains("soup.png"), "{}", r.body);
    let form = page_form(&r.body);
    assert_eq!(form.enctype, "multipart/form-data");
    let kinds: Vec<(&str, &str)> = form
        .inputs
        .iter()
        .map(|i| (i.kind.as_str(), i.name.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("hidden", "xsrf_token"),
            ("hidden", "title"),
            ("file", "photo"),
            ("hidden", "body")
        ]
    );
    let fresh = &form.inputs[0].value;
    assert_eq!(form.inputs[3].value, TYPED);

    // The browser sends the form as it stands, the file chosen again.
    let r = c
        .send(multipart(
            from_the_site("/notes"),
            &[
                Part::Text("xsrf_token", fresh),
                Part::Text("title", "Lunch"),
                Part::File("photo", "soup.png", b"\x89PNG not really"),
                Part::Text("body", TYPED),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        log.entries(),
        [format!(
            "notes:title=Lunch|photo:file soup.png (15 bytes)|body={TYPED}"
        )]
    );
}

/// The demo (its `#[handle_token]` handlers, urlencoded and multipart on
/// one route): the page's form stores the comment once, listed by `GET
/// /api/comments`.
#[actix_web::test]
async fn l7_the_demo_stores_an_expired_comment_once_through_the_page() {
    for multipart_form in [false, true] {
        let clock = ManualClock::new(time::OffsetDateTime::now_utc());
        let xsrf = Xsrf::builder()
            .secret(xsrf_actix::SigningKey::from_bytes(&[0x42; 32]).expect("key"))
            .site_origin(SITE)
            .clock(clock.clone())
            .build()
            .expect("xsrf");
        let comments = web::Data::new(Comments::default());
        let sessions = forms::cookie_sessions(&xsrf, cookie::Key::from(&[0x17; 64]));
        let c = client_of(forms::app(xsrf, comments.clone(), sessions)).await;
        let page = c.send(TestRequest::get().uri("/")).await;
        let old = attr(
            &page.body[page.body.find("name=\"xsrf_token\"").expect("token field") - 20..],
            "value",
        )
        .expect("the form's token");
        clock.advance(Duration::minutes(61));
        let send = |token: &str| {
            let req = from_the_site("/comments");
            if multipart_form {
                multipart(
                    req,
                    &[Part::Text("xsrf_token", token), Part::Text("body", TYPED)],
                )
            } else {
                urlencoded(req, &[("xsrf_token", token), ("body", TYPED)])
            }
        };
        let r = c.send(send(&old)).await;
        assert_repost_page(&r, &old);
        assert!(comments.all().is_empty(), "stored while expired");
        let form = page_form(&r.body);
        let fields = hidden(&form);
        assert_eq!(fields[1], ("body".to_owned(), TYPED.to_owned()));
        let r = c.send(send(&fields[0].1)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let listed = c.send(TestRequest::get().uri("/api/comments")).await;
        let listed: Vec<String> = serde_json::from_str(&listed.body).expect("JSON");
        assert_eq!(listed, [TYPED], "multipart: {multipart_form}");
    }
}

/// Forged requests carrying a person's expired token and fields, and
/// requests that are not a person's form: each answered as without the
/// page, the fields in no answer, the handler not run.
#[actix_web::test]
async fn l7_the_same_expired_form_from_anywhere_else_never_sees_its_fields() {
    let clock = clock();
    let log = Log::default();
    let b = builder(&clock)
        .trusted_origin("https://pay.example")
        .transport(Transport::new().scan_limit(2048));
    let c = app(b, &log).await;
    let old = c.token().await;
    // Another key's token, signed long ago: its time says expired, its tag
    // is not ours. And one of ours with its time changed.
    let foreign = {
        let x = builder(&clock)
            .secret(xsrf_tests::fixture::key_b())
            .build()
            .expect("xsrf");
        let day_before = xsrf_actix::Clock::now(&clock) - Duration::days(1);
        x.tokens()
            .issue(&xsrf_core::Binding::new("anon").session("s"), day_before)
            .into_string()
    };
    let backdated = {
        let mut raw = URL_SAFE_NO_PAD.decode(&old).expect("b64");
        let mut secs = [0u8; 8];
        secs.copy_from_slice(&raw[5..13]);
        let day_before = u64::from_be_bytes(secs) - 86_400;
        raw[5..13].copy_from_slice(&day_before.to_be_bytes());
        URL_SAFE_NO_PAD.encode(&raw)
    };
    clock.advance(Duration::minutes(61));
    let page = |token: &str| {
        urlencoded(
            from_the_site("/comments"),
            &[("xsrf_token", token), ("body", TYPED)],
        )
    };
    let header = |req: TestRequest, name: &str, value: &str| -> TestRequest {
        req.insert_header((name.to_owned(), value.to_owned()))
    };
    let cases: Vec<(&str, TestRequest, &str)> = vec![
        (
            "cross-site, Origin evil",
            header(
                header(page(&old), "sec-fetch-site", "cross-site"),
                "origin",
                "https://evil.example",
            ),
            "origin",
        ),
        (
            "no fetch metadata, Origin evil",
            urlencoded(
                TestRequest::post()
                    .uri("/comments")
                    .insert_header((header::ORIGIN, "https://evil.example"))
                    .insert_header((header::ACCEPT, BROWSER_ACCEPT)),
                &[("xsrf_token", &old), ("body", TYPED)],
            ),
            "origin",
        ),
        (
            "a trusted origin, cross-site",
            header(
                header(page(&old), "sec-fetch-site", "cross-site"),
                "origin",
                "https://pay.example",
            ),
            "expired",
        ),
        (
            "a trusted origin, no fetch metadata",
            urlencoded(
                TestRequest::post()
                    .uri("/comments")
                    .insert_header((header::ORIGIN, "https://pay.example"))
                    .insert_header((header::ACCEPT, BROWSER_ACCEPT)),
                &[("xsrf_token", &old), ("body", TYPED)],
            ),
            "expired",
        ),
        (
            "no Origin, Referer or fetch metadata (plain HTTP)",
            urlencoded(
                TestRequest::post()
                    .uri("/comments")
                    .insert_header((header::ACCEPT, BROWSER_ACCEPT)),
                &[("xsrf_token", &old), ("body", TYPED)],
            ),
            "expired",
        ),
        (
            "same-origin but Origin of another port",
            header(page(&old), "origin", "http://localhost:9999"),
            "expired",
        ),
        (
            "Accept: application/json",
            header(page(&old), "accept", "application/json"),
            "expired",
        ),
        (
            "Accept: */*",
            header(page(&old), "accept", "*/*"),
            "expired",
        ),
        (
            "a script's fetch (Sec-Fetch-Mode: cors)",
            header(page(&old), "sec-fetch-mode", "cors"),
            "expired",
        ),
        (
            "inside a frame",
            header(page(&old), "sec-fetch-dest", "iframe"),
            "expired",
        ),
        (
            "the token in a header too",
            header(page(&old), "x-xsrf-token", &old),
            "expired",
        ),
        (
            "a body over the scan limit",
            urlencoded(
                from_the_site("/comments"),
                &[("xsrf_token", &old), ("body", &"x".repeat(4096))],
            ),
            "expired",
        ),
        ("another key's old token", page(&foreign), "unknown-key"),
        ("our token, backdated", page(&backdated), "bad-signature"),
    ];
    for (what, req, code) in cases {
        let r = c.send(req).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}: {}", r.body);
        assert_eq!(r.header("x-xsrf-rejection"), Some(code), "{what}");
        assert_no_fields(&r, what);
        if what.starts_with("Accept: application/json") {
            let json: serde_json::Value = serde_json::from_str(&r.body).expect("JSON");
            assert_eq!(json["error"], "expired", "{what}");
        }
    }
    assert!(log.is_empty(), "a handler ran: {:?}", log.entries());
}

/// A custom error handler answers with its own page (the re-post page is
/// the default refusal's); report-only mode lets the expired post through
/// (no page needed); double submit (the token cookie) works through the
/// page, whose answer carries the fresh token in the cookie too.
#[actix_web::test]
async fn l7_custom_handler_report_only_and_double_submit() {
    let clock = clock();
    let log = Log::default();
    let c = app(
        builder(&clock).error_handler(|e, _| {
            HttpResponse::build(actix_web::ResponseError::status_code(e)).body("our own page")
        }),
        &log,
    )
    .await;
    let old = c.token().await;
    clock.advance(Duration::minutes(61));
    let form = [("xsrf_token", old.as_str()), ("body", TYPED)];
    let r = c.send(urlencoded(from_the_site("/comments"), &form)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body, "our own page");
    assert_eq!(r.header("x-xsrf-rejection"), Some("expired"));
    assert!(log.is_empty());

    let clock = xsrf_tests::fixture::clock();
    let c = app(builder(&clock).rollout(Rollout::report_only()), &log).await;
    let old = c.token().await;
    clock.advance(Duration::minutes(61));
    let form = [("xsrf_token", old.as_str()), ("body", "reported")];
    let r = c.send(urlencoded(from_the_site("/comments"), &form)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("x-xsrf-report-only"), Some("expired"));
    assert_eq!(log.entries(), ["comment:reported"]);

    let clock = xsrf_tests::fixture::clock();
    let log = Log::default();
    let c = app(
        builder(&clock)
            .token_cookie(TokenCookie::new())
            .transport(Transport::new().sources([Source::Form, Source::Cookie])),
        &log,
    )
    .await;
    let old = c.token().await;
    assert_eq!(c.cookies()["XSRF-TOKEN"], old);
    clock.advance(Duration::minutes(61));
    let form = [("xsrf_token", old.as_str()), ("body", "double")];
    let r = c.send(urlencoded(from_the_site("/comments"), &form)).await;
    assert_repost_page(&r, &old);
    let fields = hidden(&page_form(&r.body));
    assert_eq!(c.cookies()["XSRF-TOKEN"], fields[0].1, "the cookie follows");
    let r = c.send(from_the_site("/comments").set_form(&fields)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(log.entries(), ["comment:double"]);
}
