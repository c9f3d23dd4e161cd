//! Front-end stacks in a real browser (headless Chromium through
//! chromedriver, the helpers of `xsrf_tests::browser`). One test, one
//! browser, in order:
//!
//! 1. each template engine's example (askama, maud, minijinja, tera): type
//!    a comment into the form the engine rendered, submit, and see it
//!    stored and listed; then clear the list with the second form, whose
//!    token is scoped to its action;
//! 2. the htmx example: click the `hx-post` button; htmx 4 sends the token
//!    from `hx-headers:inherited` on `<body>`; the comment is stored and
//!    swapped into the list;
//! 3. an attacker page on another port of `127.0.0.1` (same site, other
//!    origin: the htmx session cookie goes along) auto-submits a form and
//!    `fetch`es with credentials against the htmx example: both are
//!    refused and nothing is stored.
//!
//! All apps run at once, each with its own session cookie name, in the
//! one browser. Chromium and chromedriver must be installed; without them
//! the test fails, it never skips.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

use actix_session::SessionMiddleware;
use actix_session::storage::CookieSessionStore;
use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, cookie, web};
use fantoccini::Client;
use futures_util::FutureExt as _;
use xsrf_actix::Xsrf;
use xsrf_examples::forms::Comments;
use xsrf_examples::templates::{self, Engine};
use xsrf_examples::{htmx, support};
use xsrf_tests::browser::{Driver, browser_binaries, connect, element, eventually, text_of};
use xsrf_tests::server::{ExampleServer, Hits, start_example};

/// An example's app under its own session cookie `name` (the test
/// harness would give every app actix-session's default `id`).
fn own_cookie<T>(
    name: &'static str,
    app: impl Fn(Xsrf, web::Data<Comments>, SessionMiddleware<CookieSessionStore>) -> App<T>
    + Clone
    + Send
    + 'static,
) -> impl Fn(Xsrf, web::Data<Comments>, SessionMiddleware<CookieSessionStore>) -> App<T>
+ Clone
+ Send
+ 'static {
    let key = cookie::Key::generate();
    move |xsrf, comments, _| {
        let sessions = support::cookie_sessions(&xsrf, key.clone(), name);
        app(xsrf, comments, sessions)
    }
}

/// 1. A form rendered by `engine` posts and its comment is stored.
async fn engine_form_posts(c: &Client, engine: Engine, app: &ExampleServer) {
    let comment = format!("rendered by {}", engine.name());
    c.goto(&app.url("127.0.0.1", "/"))
        .await
        .expect("open the page");
    element(c, "#body")
        .await
        .send_keys(&comment)
        .await
        .expect("type");
    element(c, "#submit").await.click().await.expect("submit");
    eventually(
        &format!("the {} comment to be stored", engine.name()),
        || !app.comments.all().is_empty(),
    )
    .await;
    assert_eq!(
        app.comments.all(),
        std::slice::from_ref(&comment),
        "{engine:?}"
    );
    // The page after the 303 lists it.
    assert_eq!(text_of(c, "li.comment").await, comment, "{engine:?}");
    assert!(
        app.hits.posts().contains(&("/comments".to_owned(), 303)),
        "{engine:?}: {:?}",
        app.hits.all()
    );
    // The "clear" form's action-scoped token, written by the same engine.
    element(c, "#clear").await.click().await.expect("clear");
    eventually(
        &format!("the {} comments to be cleared", engine.name()),
        || app.comments.all().is_empty(),
    )
    .await;
    assert!(
        app.hits.posts().contains(&("/clear".to_owned(), 303)),
        "{engine:?}: {:?}",
        app.hits.all()
    );
}

/// 2. The `hx-post` button posts with the token htmx took from `<body>`.
async fn htmx_button_posts(c: &Client, app: &ExampleServer) {
    c.goto(&app.url("127.0.0.1", "/"))
        .await
        .expect("open the htmx page");
    element(c, "#body")
        .await
        .send_keys("posted by htmx")
        .await
        .expect("type");
    element(c, "#send").await.click().await.expect("click");
    eventually("the htmx post to be answered", || {
        !app.hits.posts().is_empty()
    })
    .await;
    assert_eq!(
        app.hits.posts(),
        [("/comments".to_owned(), 200)],
        "htmx sent no valid token"
    );
    // htmx swapped the answer into the list, without a page load.
    assert_eq!(text_of(c, "li.comment").await, "posted by htmx");
    assert_eq!(app.comments.all(), ["posted by htmx"]);
}

/// The attacker: pages on another port, attacking `http://127.0.0.1:{victim}`.
fn start_attacker(victim_port: u16) -> (SocketAddr, ServerHandle) {
    xsrf_tests::browser::start_attacker(victim_port, |cfg| {
        cfg.route("/form", web::get().to(attack_form))
            .route("/fetch", web::get().to(attack_fetch));
    })
}

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// A hidden form that submits itself, as the htmx request would look.
async fn attack_form(port: web::Data<u16>) -> HttpResponse {
    html(format!(
        r#"<!doctype html><html><body><h1>You won a prize!</h1>
<form id="f" method="post" action="http://127.0.0.1:{port}/comments" style="display:none">
<input type="hidden" name="body" value="pwned">
</form>
<script>document.getElementById("f").submit();</script>
</body></html>"#,
        port = **port
    ))
}

/// `fetch` with the victim's cookies: a simple form-encoded POST, which
/// the browser sends without a preflight (a forged `X-XSRF-Token` header
/// would need one, which the app never grants).
async fn attack_fetch(port: web::Data<u16>) -> HttpResponse {
    html(format!(
        r#"<!doctype html><html><body><h1>Loading…</h1>
<script>
(async () => {{
  let out;
  try {{
    const r = await fetch("http://127.0.0.1:{port}/comments", {{
      method: "POST", credentials: "include", mode: "no-cors",
      headers: {{ "Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true" }},
      body: "body=pwned",
    }});
    out = "sent:" + r.type;
  }} catch (e) {{ out = "blocked"; }}
  const p = document.createElement("p");
  p.id = "done";
  p.textContent = out;
  document.body.appendChild(p);
}})();
</script>
</body></html>"#,
        port = **port
    ))
}

/// 3. The attacker's form and fetch reach the htmx app and are refused.
async fn htmx_attacks_are_refused(c: &Client, app: &ExampleServer, attacker: SocketAddr) {
    let before = app.comments.all();
    // The victim has a session with the htmx app.
    c.goto(&app.url("127.0.0.1", "/"))
        .await
        .expect("visit the htmx app");
    element(c, "#send").await;
    let refused = |hits: &Hits| {
        hits.posts()
            .iter()
            .filter(|(p, s)| p == "/comments" && *s == 403)
            .count()
    };
    let start = refused(&app.hits);
    let accepted_before = app.hits.posts().len() - start;
    c.goto(&format!("http://{attacker}/form"))
        .await
        .expect("open the attacker's form page");
    eventually("the forged form post to be refused", || {
        refused(&app.hits) == start + 1
    })
    .await;
    c.goto(&format!("http://{attacker}/fetch"))
        .await
        .expect("open the attacker's fetch page");
    text_of(c, "#done").await;
    eventually("the forged fetch to be refused", || {
        refused(&app.hits) == start + 2
    })
    .await;
    let accepted = |hits: &Hits| {
        hits.posts()
            .iter()
            .filter(|(p, s)| p == "/comments" && *s != 403)
            .count()
    };
    assert_eq!(
        accepted(&app.hits),
        accepted_before,
        "a forged post got through: {:?}",
        app.hits.posts()
    );
    assert_eq!(app.comments.all(), before, "a forged post stored a comment");
}

#[actix_web::test]
async fn browser_template_engines_and_htmx() {
    let _one = crate::ONE_BROWSER.lock().await;
    let started = Instant::now();
    let (chromium, driver_bin) = browser_binaries();
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("browser-stacks-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);

    let engines: Vec<(Engine, ExampleServer)> = Engine::ALL
        .into_iter()
        .map(|e| {
            let app =
                move |x: Xsrf, c: web::Data<Comments>, s: SessionMiddleware<CookieSessionStore>| {
                    templates::app(e, x, c, s)
                };
            (e, start_example(own_cookie(e.session_cookie(), app), false))
        })
        .collect();
    let htmx_app = start_example(
        own_cookie(htmx::SESSION_COOKIE, htmx::app::<CookieSessionStore>),
        false,
    );
    let (attacker, attacker_handle) = start_attacker(htmx_app.addr.port());

    let driver = Driver::start(&driver_bin, &scratch);
    let client = connect(&driver, &chromium).await;

    let outcome = std::panic::AssertUnwindSafe(async {
        for (engine, app) in &engines {
            engine_form_posts(&client, *engine, app).await;
        }
        htmx_button_posts(&client, &htmx_app).await;
        htmx_attacks_are_refused(&client, &htmx_app, attacker).await;
    })
    .catch_unwind()
    .await;

    let closed = client.close().await;
    drop(driver);
    for (_, app) in engines {
        app.handle.stop(false).await;
    }
    htmx_app.handle.stop(false).await;
    attacker_handle.stop(false).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    closed.expect("close the browser session");
    eprintln!("browser stacks test: done after {:?}", started.elapsed());
}
