//! The htmx example (`xsrf_examples::htmx`) through `actix_web::test`: the
//! page at `/` puts the token in `hx-headers:inherited` on `<body>` (htmx
//! 4's spelling) and loads the vendored htmx 4, the page at `/htmx2` puts
//! it in `hx-headers` (htmx 2's) and loads htmx 2; both load the
//! token-refresh script. A post with that header, as htmx sends it, is
//! stored; one without is refused and not stored. The server side of a
//! page left open (row L6; the browser test is in `browser_stacks`): a
//! token past half its life is answered with a fresh one, an expired one
//! is refused as `expired`, and `/xsrf-token` hands out one that works.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use actix_web::{cookie, web};
use time::Duration;
use xsrf_actix::Xsrf;
use xsrf_examples::forms::Comments;
use xsrf_examples::{htmx, support};
use xsrf_tests::fixture::{AppService, Client, SITE, client_of, clock, form_post, key_a};

/// A client of a fresh htmx example, and its comments.
async fn htmx_app() -> (Client<impl AppService>, web::Data<Comments>) {
    htmx_app_with(Xsrf::builder().secret(key_a())).await
}

/// The same with the settings of `builder` (a manual clock, say).
async fn htmx_app_with(
    builder: xsrf_actix::XsrfBuilder,
) -> (Client<impl AppService>, web::Data<Comments>) {
    let xsrf = builder.site_origin(SITE).build().expect("xsrf settings");
    let comments = web::Data::new(Comments::default());
    let sessions =
        support::cookie_sessions(&xsrf, cookie::Key::from(&[0x29; 64]), htmx::SESSION_COOKIE);
    let client = client_of(htmx::app(xsrf, comments.clone(), sessions)).await;
    (client, comments)
}

/// The token in `<body hx-headers:inherited='{"X-XSRF-Token": "…"}'>`.
fn body_token(html: &str) -> String {
    token_in(html, r#"<body hx-headers:inherited='{"X-XSRF-Token": ""#)
}

/// The token in `<body hx-headers='{"X-XSRF-Token": "…"}'>`.
fn body_token_htmx2(html: &str) -> String {
    token_in(html, r#"<body hx-headers='{"X-XSRF-Token": ""#)
}

fn token_in(html: &str, start: &str) -> String {
    assert_eq!(html.matches(start).count(), 1, "no `{start}`:\n{html}");
    let rest = &html[html.find(start).map_or(0, |i| i + start.len())..];
    rest[..rest.find('"').unwrap_or(0)].to_owned()
}

/// The script tag both pages load after htmx.
const REFRESH_SCRIPT: &str =
    r#"<script src="/static/xsrf-htmx.js" data-token-url="/xsrf-token"></script>"#;

#[actix_web::test]
async fn the_page_carries_the_token_for_htmx_4_and_serves_htmx() {
    let (client, _) = htmx_app().await;
    let page = client.send(TestRequest::get().uri("/")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!body_token(&page.body).is_empty());
    assert!(
        page.body
            .contains(r#"<script src="/static/htmx.min.js"></script>"#)
    );
    assert!(page.body.contains(r#"hx-post="/comments""#));
    assert!(page.body.contains(REFRESH_SCRIPT), "{}", page.body);
    assert!(!page.body.contains("htmx2.min.js"));

    for (path, js) in [
        ("/static/htmx.min.js", htmx::HTMX_JS),
        ("/static/htmx2.min.js", htmx::HTMX2_JS),
        (htmx::XSRF_HTMX_PATH, htmx::XSRF_HTMX_JS),
    ] {
        let r = client.send(TestRequest::get().uri(path)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(
            r.header("content-type")
                .is_some_and(|t| t.starts_with("text/javascript")),
            "{path}: {:?}",
            r.header("content-type")
        );
        assert_eq!(r.body, js, "{path}");
    }
    // The two vendored versions are what their README says.
    assert!(htmx::HTMX_JS.contains(r#"this.version="4.0.1""#));
    assert!(htmx::HTMX2_JS.contains(r#"version:"2.0.11""#));
}

#[actix_web::test]
async fn the_htmx_2_page_carries_the_token_in_htmx_2_spelling() {
    let (client, comments) = htmx_app().await;
    let page = client.send(TestRequest::get().uri("/htmx2")).await;
    assert_eq!(page.status, StatusCode::OK);
    let token = body_token_htmx2(&page.body);
    assert!(!page.body.contains("hx-headers:inherited"), "{}", page.body);
    assert!(
        page.body
            .contains(r#"<script src="/static/htmx2.min.js"></script>"#)
    );
    assert!(page.body.contains(REFRESH_SCRIPT), "{}", page.body);
    let r = client
        .send(
            form_post("/comments", "body=two")
                .insert_header(("X-XSRF-Token", token))
                .insert_header(("HX-Request", "true")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(comments.all(), ["two"]);
}

/// What `xsrf-htmx.js` relies on, without a browser: past half the
/// lifetime the answer carries a fresh token; past the lifetime the page's
/// token is refused as `expired` and nothing is stored; `/xsrf-token`
/// hands out a token that is accepted.
#[actix_web::test]
async fn l6_the_server_side_of_a_page_left_open() {
    let clock = clock();
    let (client, comments) =
        htmx_app_with(Xsrf::builder().secret(key_a()).clock(clock.clone())).await;
    let post = |token: &str, body: &str| {
        form_post("/comments", &format!("body={body}"))
            .insert_header(("X-XSRF-Token", token.to_owned()))
            .insert_header(("HX-Request", "true"))
    };
    let page = client.send(TestRequest::get().uri("/")).await;
    let first = body_token(&page.body);

    clock.advance(Duration::minutes(40));
    let r = client.send(post(&first, "refreshed")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let fresh = r
        .header("x-xsrf-token")
        .expect("a token past half its life is answered with a fresh one")
        .to_owned();
    assert_ne!(fresh, first);

    clock.advance(Duration::minutes(40));
    let r = client.send(post(&first, "stale")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.header("x-xsrf-rejection"), Some("expired"));
    let r = client.send(post(&fresh, "fresh")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    clock.advance(Duration::hours(2));
    let r = client.send(post(&fresh, "idle")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.header("x-xsrf-rejection"), Some("expired"));
    let t = client.send(TestRequest::get().uri("/xsrf-token")).await;
    assert_eq!(t.status, StatusCode::NO_CONTENT);
    assert!(
        t.header("cache-control")
            .is_some_and(|c| c.contains("no-store")),
        "{:?}",
        t.header("cache-control")
    );
    let retry = t.header("x-xsrf-token").expect("a token").to_owned();
    let r = client.send(post(&retry, "retried")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(comments.all(), ["refreshed", "fresh", "retried"]);
}

#[actix_web::test]
async fn an_htmx_post_with_the_header_is_stored_and_answered_with_its_item() {
    let (client, comments) = htmx_app().await;
    let page = client.send(TestRequest::get().uri("/")).await;
    let token = body_token(&page.body);
    let r = client
        .send(
            form_post("/comments", "body=%3Cb%3Ehi%3C%2Fb%3E")
                .insert_header(("X-XSRF-Token", token))
                .insert_header(("HX-Request", "true")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body,
        "<li class=\"comment\">&lt;b&gt;hi&lt;&#x2F;b&gt;</li>\n"
    );
    assert_eq!(comments.all(), ["<b>hi</b>"]);
}

#[actix_web::test]
async fn an_htmx_post_without_the_header_is_refused_and_not_stored() {
    let (client, comments) = htmx_app().await;
    let page = client.send(TestRequest::get().uri("/")).await;
    let token = body_token(&page.body);
    // What the htmx 2 spelling on htmx 4 sends: no header at all.
    let r = client
        .send(form_post("/comments", "body=x").insert_header(("HX-Request", "true")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The token in the form body does not count: this route reads the header.
    let r = client
        .send(form_post(
            "/comments",
            &format!("body=x&xsrf_token={token}"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(comments.all().is_empty());
}
