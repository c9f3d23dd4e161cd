//! The template engine examples (`xsrf_examples::templates`), one app per
//! engine through `actix_web::test`: each page carries the hidden field
//! unescaped and the same raw token in its `<meta>` tag, a post with that
//! field is stored, and a post without it is refused and not stored.

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use actix_web::{cookie, web};
use xsrf_actix::Xsrf;
use xsrf_examples::forms::Comments;
use xsrf_examples::templates::{self, Engine};
use xsrf_tests::fixture::{Client, SITE, form_post, key_a};

fn xsrf() -> Xsrf {
    Xsrf::builder()
        .secret(key_a())
        .site_origin(SITE)
        .build()
        .expect("xsrf settings")
}

/// A client of a fresh app of `engine`, and the app's comments.
macro_rules! engine_app {
    ($engine:expr) => {{
        let xsrf = xsrf();
        let comments = web::Data::new(Comments::default());
        let sessions = xsrf_examples::support::cookie_sessions(
            &xsrf,
            cookie::Key::from(&[0x23; 64]),
            $engine.session_cookie(),
        );
        let svc = test::init_service(templates::app(
            $engine,
            xsrf.clone(),
            comments.clone(),
            sessions,
        ))
        .await;
        (Client::new(svc), comments)
    }};
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
        let (client, _) = engine_app!(engine);
        let page = client.send(TestRequest::get().uri("/")).await;
        assert_eq!(page.status, StatusCode::OK, "{engine:?}: {}", page.body);
        // The field is markup, not text: an engine that escaped it would
        // show `&lt;input` and the form would post no token.
        let field = value_after(
            &page.body,
            r#"<input type="hidden" name="xsrf_token" value=""#,
        );
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
        let (client, comments) = engine_app!(engine);
        let page = client.send(TestRequest::get().uri("/")).await;
        let token = value_after(
            &page.body,
            r#"<input type="hidden" name="xsrf_token" value=""#,
        );
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
        let (client, comments) = engine_app!(engine);
        let _ = client.send(TestRequest::get().uri("/")).await;
        let r = client.send(form_post("/comments", "body=forged")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{engine:?}: {}", r.body);
        assert!(comments.all().is_empty(), "{engine:?}: stored a forgery");
    }
}
