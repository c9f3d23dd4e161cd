//! The htmx example (`xsrf_examples::htmx`) through `actix_web::test`: the
//! page puts the token in `hx-headers:inherited` on `<body>` (htmx 4's
//! spelling) and loads the vendored htmx; a post with that header, as htmx
//! sends it, is stored; one without is refused and not stored.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use actix_web::{cookie, web};
use xsrf_actix::Xsrf;
use xsrf_examples::forms::Comments;
use xsrf_examples::{htmx, support};
use xsrf_tests::fixture::{AppService, Client, SITE, client_of, form_post, key_a};

/// A client of a fresh htmx example, and its comments.
async fn htmx_app() -> (Client<impl AppService>, web::Data<Comments>) {
    let xsrf = Xsrf::builder()
        .secret(key_a())
        .site_origin(SITE)
        .build()
        .expect("xsrf settings");
    let comments = web::Data::new(Comments::default());
    let sessions =
        support::cookie_sessions(&xsrf, cookie::Key::from(&[0x29; 64]), htmx::SESSION_COOKIE);
    let client = client_of(htmx::app(xsrf, comments.clone(), sessions)).await;
    (client, comments)
}

/// The token in `<body hx-headers:inherited='{"X-XSRF-Token": "…"}'>`.
fn body_token(html: &str) -> String {
    let start = r#"<body hx-headers:inherited='{"X-XSRF-Token": ""#;
    assert_eq!(
        html.matches(start).count(),
        1,
        "no htmx 4 hx-headers:\n{html}"
    );
    let rest = &html[html.find(start).map_or(0, |i| i + start.len())..];
    rest[..rest.find('"').unwrap_or(0)].to_owned()
}

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

    let js = client
        .send(TestRequest::get().uri("/static/htmx.min.js"))
        .await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(
        js.header("content-type")
            .is_some_and(|t| t.starts_with("text/javascript")),
        "{:?}",
        js.header("content-type")
    );
    assert_eq!(js.body, htmx::HTMX_JS);
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
