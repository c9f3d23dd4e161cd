//! The template engine examples (`xsrf_examples::templates`), one app per
//! engine through `actix_web::test`: each page carries the hidden field
//! unescaped and the same raw token in its `<meta>` tag, a post with that
//! field is stored, and a post without it is refused and not stored; the
//! "clear" form's action-scoped token, written the same way, clears, and
//! the page's plain token does not.

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use actix_web::{cookie, web};
use xsrf_actix::Xsrf;
use xsrf_examples::forms::Comments;
use xsrf_examples::templates::{self, Engine};
use xsrf_tests::fixture::{AppService, Client, SITE, client_of, form_post, key_a};

fn xsrf() -> Xsrf {
    Xsrf::builder()
        .secret(key_a())
        .site_origin(SITE)
        .build()
        .expect("xsrf settings")
}

/// A client of a fresh app of `engine`, and the app's comments.
async fn engine_app(engine: Engine) -> (Client<impl AppService>, web::Data<Comments>) {
    let xsrf = xsrf();
    let comments = web::Data::new(Comments::default());
    let sessions = xsrf_examples::support::cookie_sessions(
        &xsrf,
        cookie::Key::from(&[0x23; 64]),
        engine.session_cookie(),
    );
    let client = client_of(templates::app(
        engine,
        xsrf.clone(),
        comments.clone(),
        sessions,
    ))
    .await;
    (client, comments)
}

/// The text between `start` and the next `"` after it, once `start` is
/// found exactly once in `html`.
fn value_after(html: &str, start: &str) -> String {
    assert_eq!(
        html.matches(start).count(),
        1,
        "expected exactly one {start:?} in:\n{html}"
    );
    let at = html.find(start).map(|i| i + start.len()).unwrap_or(0);
    let rest = &html[at..];
    rest[..rest.find('"').unwrap_or(rest.len())].to_owned()
}

const FIELD: &str = r#"<input type="hidden" name="xsrf_token" value=""#;

/// The values of every hidden `xsrf_token` field, in page order.
fn hidden_values(html: &str) -> Vec<String> {
    html.match_indices(FIELD)
        .map(|(i, _)| {
            let rest = &html[i + FIELD.len()..];
            rest[..rest.find('"').unwrap_or(rest.len())].to_owned()
        })
        .collect()
}

fn form_value(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[actix_web::test]
async fn every_engine_writes_the_hidden_field_and_the_raw_token() {
    for engine in Engine::ALL {
        let (client, _) = engine_app(engine).await;
        let page = client.send(TestRequest::get().uri("/")).await;
        assert_eq!(page.status, StatusCode::OK, "{engine:?}: {}", page.body);
        // The field is markup, not text: an engine that escaped it would
        // show `&lt;input` and the form would post no token.
        let fields = hidden_values(&page.body);
        assert_eq!(fields.len(), 2, "{engine:?}: two forms:\n{}", page.body);
        let field = fields[0].clone();
        assert_ne!(fields[1], field, "{engine:?}: the clear form's own token");
        let meta = value_after(&page.body, r#"<meta name="xsrf-token" content=""#);
        assert!(!field.is_empty(), "{engine:?}: empty token");
        assert_eq!(field, meta, "{engine:?}: field and meta differ");
        assert!(
            !page.body.contains("&lt;input"),
            "{engine:?}: escaped field"
        );
        assert!(
            page.body.contains(&format!("xsrf with {}", engine.name())),
            "{engine:?}: not its own page"
        );
        assert!(
            page.set_cookies()
                .iter()
                .any(|c| c.starts_with(&format!("{}=", engine.session_cookie()))),
            "{engine:?}: no session cookie of its own: {:?}",
            page.set_cookies()
        );
    }
}

#[actix_web::test]
async fn every_engine_form_posts_and_its_comment_is_stored_and_escaped() {
    for engine in Engine::ALL {
        let (client, comments) = engine_app(engine).await;
        let page = client.send(TestRequest::get().uri("/")).await;
        let token = hidden_values(&page.body)[0].clone();
        let body = format!("<b>hello from {}</b>", engine.name());
        let r = client
            .send(form_post(
                "/comments",
                &format!(
                    "xsrf_token={}&body={}",
                    form_value(&token),
                    form_value(&body)
                ),
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{engine:?}: {}", r.body);
        assert_eq!(comments.all(), std::slice::from_ref(&body), "{engine:?}");

        // User content stays text in every engine (each escapes `<` its
        // own way: `&lt;` or `&#60;`).
        let page = client.send(TestRequest::get().uri("/")).await;
        assert!(
            page.body.contains(&format!("hello from {}", engine.name())),
            "{engine:?}: comment not shown:\n{}",
            page.body
        );
        assert!(!page.body.contains(&body), "{engine:?}: raw markup");
    }
}

#[actix_web::test]
async fn every_engine_refuses_a_post_without_the_field() {
    for engine in Engine::ALL {
        let (client, comments) = engine_app(engine).await;
        let _ = client.send(TestRequest::get().uri("/")).await;
        let r = client.send(form_post("/comments", "body=forged")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{engine:?}: {}", r.body);
        assert!(comments.all().is_empty(), "{engine:?}: stored a forgery");
    }
}

#[actix_web::test]
async fn every_engine_clear_form_carries_a_token_for_its_action_only() {
    for engine in Engine::ALL {
        let (client, comments) = engine_app(engine).await;
        let page = client.send(TestRequest::get().uri("/")).await;
        let fields = hidden_values(&page.body);
        let (plain, clear) = (fields[0].clone(), fields[1].clone());
        let r = client
            .send(form_post(
                "/comments",
                &format!("xsrf_token={}&body=keep", form_value(&plain)),
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{engine:?}");

        // The page's plain token is not good for the action.
        let r = client
            .send(form_post(
                "/clear",
                &format!("xsrf_token={}", form_value(&plain)),
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{engine:?}: {}", r.body);
        assert_eq!(
            comments.all(),
            ["keep"],
            "{engine:?}: cleared without the action token"
        );

        let r = client
            .send(form_post(
                "/clear",
                &format!("xsrf_token={}", form_value(&clear)),
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{engine:?}: {}", r.body);
        assert!(comments.all().is_empty(), "{engine:?}: not cleared");
    }
}
