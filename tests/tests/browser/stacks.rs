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
//!
//! Row L6 has its own test (and browser): an htmx page left open past the
//! token lifetime, on htmx 4 and htmx 2, with the example's token-refresh
//! script and without it.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration as StdDuration, Instant};

use actix_session::SessionMiddleware;
use actix_session::storage::CookieSessionStore;
use actix_web::body::MessageBody;
use actix_web::dev::{ServerHandle, Service as _, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error, HttpResponse, cookie, web};
use fantoccini::Client;
use futures_util::future::{Either, ready};
use futures_util::{FutureExt as _, TryFutureExt as _};
use time::Duration;
use xsrf_actix::{ManualClock, Xsrf};
use xsrf_examples::forms::Comments;
use xsrf_examples::templates::{self, Engine};
use xsrf_examples::{htmx, support};
use xsrf_tests::browser::{Driver, browser_binaries, connect, element, eventually, text_of};
use xsrf_tests::server::{ExampleServer, Hits, start_example, start_example_with};

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

/// The htmx example as a page that did not include `xsrf-htmx.js`: the
/// script's URL answers `404`, everything else is the example's.
fn htmx_without_script(
    xsrf: Xsrf,
    comments: web::Data<Comments>,
    sessions: SessionMiddleware<CookieSessionStore>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    htmx::app(xsrf, comments, sessions).wrap_fn(|req, srv| {
        if req.path() == htmx::XSRF_HTMX_PATH {
            let gone = req.into_response(HttpResponse::NotFound().finish());
            Either::Left(ready(Ok(gone.map_into_right_body())))
        } else {
            Either::Right(srv.call(req).map_ok(ServiceResponse::map_into_left_body))
        }
    })
}

/// The requests of an L6 step: the posts and the script's token fetches.
fn l6_hits(app: &ExampleServer, from: usize) -> Vec<(String, String, u16)> {
    app.hits.all()[from..]
        .iter()
        .filter(|(m, p, _)| (m == "POST" && p == "/comments") || p == "/xsrf-token")
        .cloned()
        .collect()
}

fn post(status: u16) -> (String, String, u16) {
    ("POST".to_owned(), "/comments".to_owned(), status)
}

fn token_fetch() -> (String, String, u16) {
    ("GET".to_owned(), "/xsrf-token".to_owned(), 204)
}

/// Types `text` and clicks the `hx-post` button; returns once the app
/// answered as many of the step's requests as `expect` lists, and checks
/// they are those.
async fn click_post(
    c: &Client,
    app: &ExampleServer,
    text: &str,
    expect: &[(String, String, u16)],
    what: &str,
) {
    let from = app.hits.all().len();
    let input = element(c, "#body").await;
    input.clear().await.expect("clear the input");
    input.send_keys(text).await.expect("type");
    element(c, "#send").await.click().await.expect("click");
    eventually(what, || l6_hits(app, from).len() >= expect.len()).await;
    // Nothing more follows (a second retry, a late post).
    actix_web::rt::time::sleep(StdDuration::from_millis(300)).await;
    assert_eq!(l6_hits(app, from), expect, "{what}");
}

/// The list on the page is the stored comments: the accepted post was
/// swapped in, and no error body was.
async fn page_lists_what_is_stored(c: &Client, app: &ExampleServer, what: &str) {
    let shown = element(c, "#comments")
        .await
        .text()
        .await
        .expect("the list's text");
    assert_eq!(shown, app.comments.all().join("\n"), "{what}");
}

/// One htmx version's page (`path`) on the app with the script and on the
/// one without, through two ways of leaving a page open: idle past the
/// lifetime (recovered by the one retry), and used now and then (kept
/// fresh by the refreshed tokens, no retry needed).
async fn l6_one_version(
    c: &Client,
    clock: &ManualClock,
    with: &ExampleServer,
    without: &ExampleServer,
    version: &str,
    path: &str,
) {
    // 1. Idle for longer than the lifetime (one hour), then a click.
    c.goto(&with.url("127.0.0.1", path)).await.expect("open");
    clock.advance(Duration::minutes(61));
    let text = format!("{version}: clicked after an idle hour");
    click_post(
        c,
        with,
        &text,
        &[post(403), token_fetch(), post(200)],
        &format!("{version}, idle page: expired, one fresh token, the retry accepted"),
    )
    .await;
    assert_eq!(with.comments.all().last(), Some(&text), "{version}");
    page_lists_what_is_stored(c, with, version).await;

    c.goto(&without.url("127.0.0.1", path)).await.expect("open");
    let before = without.comments.all();
    clock.advance(Duration::minutes(61));
    click_post(
        c,
        without,
        &format!("{version}: refused without the script"),
        &[post(403)],
        &format!("{version}, idle page without the script: refused"),
    )
    .await;
    assert_eq!(without.comments.all(), before, "{version}: stored anyway");

    // 2. In use: a click past half the lifetime is answered with a fresh
    // token, and a click past the page token's lifetime sends that one.
    for (app, script) in [(with, true), (without, false)] {
        c.goto(&app.url("127.0.0.1", path)).await.expect("open");
        let before = app.comments.all();
        clock.advance(Duration::minutes(40));
        let first = format!("{version}: 40 minutes in");
        click_post(c, app, &first, &[post(200)], "a token past half its life").await;
        clock.advance(Duration::minutes(40));
        let second = format!("{version}: 80 minutes in");
        let expect = if script { post(200) } else { post(403) };
        click_post(
            c,
            app,
            &second,
            &[expect],
            &format!("{version}, page in use past the page token's lifetime, script: {script}"),
        )
        .await;
        let mut stored = before;
        stored.push(first);
        if script {
            stored.push(second);
            page_lists_what_is_stored(c, app, version).await;
        }
        assert_eq!(app.comments.all(), stored, "{version}, script: {script}");
    }
}

/// Row L6: an htmx page left open longer than the token lifetime, then a
/// button clicked, works on htmx 4 and htmx 2 with the example's
/// `xsrf-htmx.js`; the same clicks on the same page without it are
/// refused (`403 expired`) and nothing is stored. Time is the manual
/// clock's: the tokens age, the browser does not wait.
#[actix_web::test]
async fn l6_htmx_page_left_open_past_the_token_lifetime_keeps_working() {
    let (chromium, driver_bin) = browser_binaries();
    let scratch =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("browser-l6-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let clock = xsrf_tests::fixture::clock();
    let with_clock = |b: xsrf_actix::XsrfBuilder| b.clock(clock.clone());
    let with = start_example_with(
        own_cookie("htmx-l6", htmx::app::<CookieSessionStore>),
        with_clock,
    );
    let without = start_example_with(own_cookie("htmx-l6-bare", htmx_without_script), with_clock);
    let driver = Driver::start(&driver_bin, &scratch);
    let client = connect(&driver, &chromium).await;

    let outcome = std::panic::AssertUnwindSafe(async {
        l6_one_version(&client, &clock, &with, &without, "htmx 4", "/").await;
        l6_one_version(&client, &clock, &with, &without, "htmx 2", "/htmx2").await;
    })
    .catch_unwind()
    .await;

    let closed = client.close().await;
    drop(driver);
    with.handle.stop(false).await;
    without.handle.stop(false).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    closed.expect("close the browser session");
}
