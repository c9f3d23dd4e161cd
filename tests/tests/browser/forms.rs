//! End-to-end in a real browser: headless Chromium from Debian's packages,
//! driven through chromedriver with fantoccini.
//!
//! One test, one browser, in order:
//!
//! 1. the forms demo: type a comment, submit, see it on the page and in
//!    `GET /api/comments`; a screenshot goes to `tests/artifacts/demo.png`;
//! 2. the one-time reset link works once, then is refused;
//! 3. an attacker page on another origin (another port of `127.0.0.1`)
//!    auto-submits a form and runs `fetch(.., {credentials: 'include'})`
//!    against the demo, visited both as `127.0.0.1` (same site, other
//!    origin: the session cookie goes along) and as `localhost` (cross
//!    site): every forged request gets `403` and nothing is stored;
//! 4. the SPA posts through its script (the `XSRF-TOKEN` cookie copied
//!    into `X-XSRF-TOKEN`) and gets `201`.
//!
//! Chromium and chromedriver must be installed (`apt-get install chromium
//! chromium-driver`; `scripts/test.sh` does it). Without them the test
//! fails, it never skips. `CHROMIUM` and `CHROMEDRIVER` override the
//! binaries found on `PATH`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use actix_session::storage::CookieSessionStore;
use actix_web::dev::ServerHandle;
use actix_web::{HttpResponse, web};
use fantoccini::{Client, Locator};
use futures_util::FutureExt as _;
use xsrf_examples::forms;
use xsrf_examples::spa;
use xsrf_tests::browser::{Driver, WAIT, browser_binaries, connect, element, eventually, text_of};
use xsrf_tests::server::{ExampleServer, Hits, send_raw, start_example};

// ---------------------------------------------------------------------------
// The apps, in-process on free ports
// ---------------------------------------------------------------------------

/// The attacker: pages on another origin (another port) that attack the
/// demo at `http://{host}:{victim port}`.
fn start_attacker(victim_port: u16) -> (SocketAddr, ServerHandle) {
    xsrf_tests::browser::start_attacker(victim_port, |cfg| {
        cfg.route("/form/{host}", web::get().to(attack_form))
            .route("/fetch/{host}", web::get().to(attack_fetch));
    })
}

fn victim(host: &str, port: u16) -> Option<String> {
    matches!(host, "127.0.0.1" | "localhost").then(|| format!("http://{host}:{port}"))
}

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// A hidden form that submits itself on load.
async fn attack_form(host: web::Path<String>, port: web::Data<u16>) -> HttpResponse {
    let Some(victim) = victim(&host, **port) else {
        return HttpResponse::NotFound().finish();
    };
    html(format!(
        r#"<!doctype html><html><body><h1>You won a prize!</h1>
<form id="f" method="post" action="{victim}/comments" style="display:none">
<input type="hidden" name="body" value="pwned">
</form>
<script>document.getElementById("f").submit();</script>
</body></html>"#
    ))
}

/// `fetch` with the victim's cookies: a simple form-encoded POST (sent
/// without a preflight) and a JSON POST with a made-up token header.
async fn attack_fetch(host: web::Path<String>, port: web::Data<u16>) -> HttpResponse {
    let Some(victim) = victim(&host, **port) else {
        return HttpResponse::NotFound().finish();
    };
    html(format!(
        r#"<!doctype html><html><body><h1>Loading…</h1>
<script>
(async () => {{
  const out = [];
  try {{
    const r = await fetch("{victim}/comments", {{
      method: "POST", credentials: "include",
      headers: {{ "Content-Type": "application/x-www-form-urlencoded" }},
      body: "body=pwned",
    }});
    out.push("form:" + r.status);
  }} catch (e) {{ out.push("form:blocked"); }}
  try {{
    const r = await fetch("{victim}/api/comments", {{
      method: "POST", credentials: "include",
      headers: {{ "Content-Type": "application/json", "X-XSRF-TOKEN": "forged" }},
      body: JSON.stringify({{ body: "pwned" }}),
    }});
    out.push("json:" + r.status);
  }} catch (e) {{ out.push("json:blocked"); }}
  const p = document.createElement("p");
  p.id = "done";
  p.textContent = out.join(" ");
  document.body.appendChild(p);
}})();
</script>
</body></html>"#
    ))
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// `GET /api/comments` over a real socket, as a non-browser client.
async fn api_comments(addr: SocketAddr) -> Vec<String> {
    let req = format!("GET /api/comments HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let res = send_raw(addr, req.as_bytes())
        .await
        .expect("GET /api/comments");
    assert_eq!(res.status, 200, "GET /api/comments: {}", res.text());
    serde_json::from_slice(&res.body).expect("a JSON array of strings")
}

fn artifact_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts/demo.png")
}

// ---------------------------------------------------------------------------
// The scenarios
// ---------------------------------------------------------------------------

const COMMENT: &str = "Hello from <b>Chromium</b> & friends";

/// 1. A real user posts a comment through the form.
async fn user_posts_a_comment(c: &Client, demo: &ExampleServer) {
    c.goto(&demo.url("127.0.0.1", "/"))
        .await
        .expect("open the demo");
    let input = element(c, "#body").await;
    input.send_keys(COMMENT).await.expect("type");
    c.find(Locator::Id("submit"))
        .await
        .expect("submit button")
        .click()
        .await
        .expect("click");
    eventually("the comment to be stored", || {
        !demo.comments.all().is_empty()
    })
    .await;
    // The page after the 303 lists it, escaped (shown as text, not markup).
    assert_eq!(text_of(c, "li.comment").await, COMMENT);
    assert_eq!(demo.comments.all(), [COMMENT]);
    assert_eq!(api_comments(demo.addr).await, [COMMENT]);
    assert!(
        demo.hits.posts().contains(&("/comments".to_owned(), 303)),
        "{:?}",
        demo.hits.all()
    );

    // 4. The screenshot artifact, of the page with the comment on it.
    let png = c.screenshot().await.expect("screenshot");
    let path = artifact_path();
    std::fs::create_dir_all(path.parent().expect("artifacts dir")).expect("mkdir artifacts");
    std::fs::write(&path, &png).expect("write the screenshot");
    let written = std::fs::read(&path).expect("read the screenshot back");
    assert!(
        written.len() > 1000 && written.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG screenshot ({} bytes)",
        path.display(),
        written.len()
    );
}

/// Fills in the reset form on the current page and submits it.
async fn submit_new_password(c: &Client, password: &str) {
    element(c, "input[name=password]")
        .await
        .send_keys(password)
        .await
        .expect("type");
    element(c, "#reset-submit")
        .await
        .click()
        .await
        .expect("submit");
}

/// The e-mailed reset link works once.
async fn reset_link_works_once(c: &Client, demo: &ExampleServer) {
    c.goto(&demo.url("127.0.0.1", "/"))
        .await
        .expect("open the demo");
    element(c, "#reset")
        .await
        .click()
        .await
        .expect("click reset");
    let link = element(c, "#reset-link").await;
    let href = link.attr("href").await.expect("href").expect("a link");
    assert!(href.starts_with("/reset/"), "{href}");
    link.click().await.expect("follow the link");
    let reset_page = c.current_url().await.expect("url").to_string();
    submit_new_password(c, "correct horse battery staple").await;
    assert!(text_of(c, "#done").await.contains("Password reset"));

    // Same link again: refused.
    c.goto(&reset_page).await.expect("reopen the link");
    submit_new_password(c, "again").await;
    let burnt = |hits: &Hits| {
        hits.posts()
            .iter()
            .filter(|(p, _)| p.starts_with("/reset/") && p != "/reset-link")
            .map(|(_, s)| *s)
            .collect::<Vec<_>>()
    };
    eventually("the second use to be answered", || {
        burnt(&demo.hits).len() == 2
    })
    .await;
    assert_eq!(burnt(&demo.hits), [200, 403]);
}

/// 2. Forged posts from another origin, the demo visited as `host`.
async fn attacks_are_refused(c: &Client, demo: &ExampleServer, attacker: SocketAddr, host: &str) {
    let before = demo.comments.all();
    // The victim has a session with the demo (under this host name).
    c.goto(&demo.url(host, "/")).await.expect("visit the demo");
    element(c, r#"form[action="/comments"]"#).await;

    let refused = |hits: &Hits| {
        hits.posts()
            .iter()
            .filter(|(p, s)| p == "/comments" && *s == 403)
            .count()
    };
    let start = refused(&demo.hits);
    // An auto-submitting form: the browser lands on the demo's 403.
    c.goto(&format!("http://{attacker}/form/{host}"))
        .await
        .expect("open the attacker's form page");
    eventually("the forged form post to be refused", || {
        refused(&demo.hits) == start + 1
    })
    .await;

    // fetch with credentials: the simple POST reaches the server and is
    // refused; the JSON one never passes the CORS preflight.
    c.goto(&format!("http://{attacker}/fetch/{host}"))
        .await
        .expect("open the attacker's fetch page");
    let outcome = text_of(c, "#done").await;
    assert!(
        !outcome.contains(":2"),
        "a forged fetch succeeded: {outcome}"
    );
    eventually("the forged fetch to be refused", || {
        refused(&demo.hits) == start + 2
    })
    .await;

    let posts = demo.hits.posts();
    assert!(
        !posts.iter().any(|(p, s)| p == "/api/comments" && *s != 403),
        "a forged API post got through: {posts:?}"
    );
    assert_eq!(
        demo.comments.all(),
        before,
        "a forged post stored a comment"
    );
    assert_eq!(api_comments(demo.addr).await, before);
}

/// 3. The SPA's script posts with the token from the `XSRF-TOKEN` cookie.
async fn spa_posts_through_its_script(c: &Client, spa: &ExampleServer) {
    c.goto(&spa.url("127.0.0.1", "/"))
        .await
        .expect("open the SPA");
    let cookie = c
        .get_named_cookie("XSRF-TOKEN")
        .await
        .expect("the XSRF-TOKEN cookie");
    assert!(!cookie.value().is_empty());
    element(c, "#body")
        .await
        .send_keys("posted by the SPA")
        .await
        .expect("type");
    element(c, "#send").await.click().await.expect("click send");
    let deadline = Instant::now() + WAIT;
    loop {
        let status = text_of(c, "#status").await;
        if status == "status 201" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the SPA's post did not succeed: {status:?}, hits {:?}",
            spa.hits.all()
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(text_of(c, "li.comment").await, "posted by the SPA");
    assert_eq!(spa.comments.all(), ["posted by the SPA"]);
}

#[actix_web::test]
async fn browser_end_to_end() {
    let _one = crate::ONE_BROWSER.lock().await;
    let started = Instant::now();
    let (chromium, driver_bin) = browser_binaries();
    let scratch =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);

    let demo = start_example(forms::app::<CookieSessionStore>, false);
    let spa = start_example(spa::app::<CookieSessionStore>, true);
    let (attacker, attacker_handle) = start_attacker(demo.addr.port());

    let driver = Driver::start(&driver_bin, &scratch);
    let client = connect(&driver, &chromium).await;
    let ready = started.elapsed();

    let outcome = std::panic::AssertUnwindSafe(async {
        user_posts_a_comment(&client, &demo).await;
        reset_link_works_once(&client, &demo).await;
        for host in ["127.0.0.1", "localhost"] {
            attacks_are_refused(&client, &demo, attacker, host).await;
        }
        spa_posts_through_its_script(&client, &spa).await;
    })
    .catch_unwind()
    .await;

    // Close the browser whatever happened; the driver guard then kills and
    // reaps chromedriver.
    let closed = client.close().await;
    drop(driver);
    demo.handle.stop(false).await;
    spa.handle.stop(false).await;
    attacker_handle.stop(false).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    closed.expect("close the browser session");
    eprintln!(
        "browser test: browser ready after {ready:?}, done after {:?}",
        started.elapsed()
    );
}
