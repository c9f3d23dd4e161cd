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
//! And row L7, in a test of its own (the demo with a 2-second token
//! lifetime): a comment typed, the lifetime waited out, submitted; the
//! refusal is the page that sends it again, and one click stores it once,
//! urlencoded and multipart; a screenshot of that page goes to
//! `tests/artifacts/expired-form.png`. The page a forged form post lands
//! on (the default refusal for a browser) goes to
//! `tests/artifacts/refusal.png`.
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
use xsrf_tests::server::{ExampleServer, Hits, send_raw, start_example, start_example_with};

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

fn artifact(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("artifacts")
        .join(name)
}

/// Writes a screenshot of the current page to `tests/artifacts/{name}`
/// and checks that it is a PNG.
async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    let path = artifact(name);
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
    screenshot(c, "demo.png").await;
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
    // The page the person lands on: the default refusal for a browser, in
    // words, with the reason code and nothing of the session or the form.
    assert_eq!(text_of(c, "h1").await, "Request refused");
    let page = c.source().await.expect("the refusal page");
    assert!(page.contains("<code>origin</code>"), "{page}");
    assert!(page.contains("try again from its own page"), "{page}");
    assert!(
        !page.contains("xsrf_token"),
        "a token field on the refusal page: {page}"
    );
    screenshot(c, "refusal.png").await;

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

// ---------------------------------------------------------------------------
// L7: a form left open past the token lifetime
// ---------------------------------------------------------------------------

/// The token lifetime the demo runs with here (`XSRF_TIMEOUT_SECS`).
const LIFETIME_SECS: u64 = 2;

/// What a person types, with what an unescaped echo would run or render.
const LONG_COMMENT: &str = "Written over lunch: \"><script>alert(1)</script> & <b>café</b>";

/// How many times `path` was answered `status` to a POST.
fn answered(hits: &Hits, path: &str, status: u16) -> usize {
    hits.posts()
        .iter()
        .filter(|(p, s)| p == path && *s == status)
        .count()
}

/// Types a comment into the demo's form (sent as `enctype`; with a file
/// input given `file`, if any), waits past the token lifetime, submits:
/// the refusal is the page that sends it again, the comment not stored;
/// one click on "Send again" (the file chosen again first) stores it
/// exactly once. The page is kept as the screenshot `screenshot_as`.
async fn expired_comment_is_stored_once(
    c: &Client,
    demo: &ExampleServer,
    enctype: &str,
    comment: &str,
    file: Option<&Path>,
    screenshot_as: &str,
) {
    let before = demo.comments.all();
    let refused_before = answered(&demo.hits, "/comments", 403);
    c.goto(&demo.url("127.0.0.1", "/"))
        .await
        .expect("open the demo");
    // The demo's POST /comments reads multipart too: the same form, sent
    // the other way, as a form with a file input would be.
    c.execute(
        "document.querySelector('form[action=\"/comments\"]').enctype = arguments[0];",
        vec![serde_json::json!(enctype)],
    )
    .await
    .expect("set the form's enctype");
    if let Some(file) = file {
        c.execute(
            "const f = document.createElement('input'); f.type = 'file'; f.name = 'photo'; \
             f.id = 'photo'; document.querySelector('form[action=\"/comments\"]').appendChild(f);",
            vec![],
        )
        .await
        .expect("add a file input");
        element(c, "#photo")
            .await
            .send_keys(&file.display().to_string())
            .await
            .expect("choose the file");
    }
    element(c, "#body")
        .await
        .send_keys(comment)
        .await
        .expect("type");
    // Past the lifetime (whole seconds in the token), as a person at lunch.
    actix_web::rt::time::sleep(Duration::from_millis(LIFETIME_SECS * 1000 + 600)).await;
    element(c, "#submit").await.click().await.expect("submit");

    let again = element(c, "#xsrf-send-again").await;
    assert_eq!(again.text().await.expect("button text"), "Send again");
    assert_eq!(
        answered(&demo.hits, "/comments", 403),
        refused_before + 1,
        "{enctype}: {:?}",
        demo.hits.all()
    );
    assert_eq!(
        demo.comments.all(),
        before,
        "{enctype}: stored while expired"
    );
    let form = element(c, "form").await;
    assert_eq!(
        form.attr("enctype").await.expect("enctype").as_deref(),
        Some(enctype)
    );
    // What the person typed is on the page as a value, not as markup: no
    // script element, no bold text, and the title is ours.
    let body = c
        .find(Locator::Css("input[name=body]"))
        .await
        .expect("field");
    assert_eq!(
        body.prop("value").await.expect("value").as_deref(),
        Some(comment)
    );
    let markup = c
        .execute(
            "return document.scripts.length + [...document.querySelectorAll('b')]\
             .filter(b => b.textContent.includes('café')).length;",
            vec![],
        )
        .await
        .expect("look for markup");
    assert_eq!(
        markup,
        serde_json::json!(0),
        "markup from the comment on the page"
    );
    assert_eq!(text_of(c, "h1").await, "Your form was not sent yet");
    if let Some(file) = file {
        // A page cannot send a file: it asks for it again, by the name of
        // the file chosen before.
        let page = c.source().await.expect("page source");
        assert!(page.contains("choose each file again"), "{page}");
        let chosen = file.file_name().and_then(|n| n.to_str()).expect("a name");
        assert!(page.contains(chosen), "{page}");
        c.find(Locator::Css("input[type=file][name=photo]"))
            .await
            .expect("the file input, again")
            .send_keys(&file.display().to_string())
            .await
            .expect("choose the file again");
    }
    screenshot(c, screenshot_as).await;

    again.click().await.expect("click Send again");
    eventually("the comment to be stored", || {
        demo.comments.all().len() > before.len()
    })
    .await;
    // Back on the demo's page (after its 303), the comment listed once.
    element(c, "#comments").await;
    let mut stored = before;
    stored.push(comment.to_owned());
    assert_eq!(demo.comments.all(), stored, "{enctype}");
    assert_eq!(api_comments(demo.addr).await, stored, "{enctype}");
}

/// A form handler that, once done, sends the browser to the same app
/// under its other loopback name: another origin.
async fn done_elsewhere(_: xsrf_actix::ValidXsrf, req: actix_web::HttpRequest) -> HttpResponse {
    let port = req.app_config().local_addr().port();
    HttpResponse::SeeOther()
        .insert_header(("location", format!("http://localhost:{port}/landed")))
        .finish()
}

async fn landed() -> HttpResponse {
    html("<!doctype html><p id=\"landed\">landed</p>".to_owned())
}

/// After "Send again", the handler's `303` to another origin is followed:
/// the page's CSP has no `form-action`, which Chromium applies to the
/// redirects of a submission and which would leave the person on the page
/// with the form already handled.
async fn redirect_elsewhere_after_send_again_is_followed(c: &Client, demo: &ExampleServer) {
    c.goto(&demo.url("127.0.0.1", "/"))
        .await
        .expect("open the demo");
    c.execute(
        "document.querySelector('form[action=\"/comments\"]').action = '/elsewhere';",
        vec![],
    )
    .await
    .expect("point the form elsewhere");
    element(c, "#body")
        .await
        .send_keys("checkout")
        .await
        .expect("type");
    actix_web::rt::time::sleep(Duration::from_millis(LIFETIME_SECS * 1000 + 600)).await;
    element(c, "#submit").await.click().await.expect("submit");
    element(c, "#xsrf-send-again")
        .await
        .click()
        .await
        .expect("click Send again");
    assert_eq!(text_of(c, "#landed").await, "landed");
    let url = c.current_url().await.expect("url");
    assert_eq!(url.host_str(), Some("localhost"), "{url}");
    assert_eq!(answered(&demo.hits, "/elsewhere", 403), 1);
    assert_eq!(answered(&demo.hits, "/elsewhere", 303), 1);
}

/// Row L7 in Chromium: the demo with `XSRF_TIMEOUT_SECS=2` (read by its own
/// `configure`, as the binary reads it), a comment typed, the lifetime
/// waited out, submitted: one click on the page that comes back stores it
/// once, urlencoded and multipart, the last with a file chosen again on
/// the page; a handler's redirect to another origin after the click is
/// followed. Screenshots of the page go to `tests/artifacts/`
/// (`expired-form.png`, `expired-form-multipart.png`,
/// `expired-form-file.png`).
#[actix_web::test]
async fn l7_a_comment_typed_past_the_token_lifetime_is_stored_once_with_one_click() {
    let _one = crate::ONE_BROWSER.lock().await;
    let (chromium, driver_bin) = browser_binaries();
    let scratch =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("browser-l7-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let lifetime = LIFETIME_SECS.to_string();
    // The demo, plus a form handler that sends the browser to another
    // origin when it is done (as a checkout sends it to a payment page).
    let demo = start_example_with(
        |xsrf, comments, sessions| {
            forms::app::<CookieSessionStore>(xsrf, comments, sessions)
                .route("/elsewhere", web::post().to(done_elsewhere))
                .route("/landed", web::get().to(landed))
        },
        move |b| {
            let env = |name: &str| (name == "XSRF_TIMEOUT_SECS").then(|| lifetime.clone());
            forms::configure(b, env).expect("the demo's settings")
        },
    );
    let driver = Driver::start(&driver_bin, &scratch);
    let client = connect(&driver, &chromium).await;
    let photo = scratch.join("soup.png");
    std::fs::write(&photo, b"\x89PNG a small picture").expect("write the file to upload");

    let outcome = std::panic::AssertUnwindSafe(async {
        expired_comment_is_stored_once(
            &client,
            &demo,
            "application/x-www-form-urlencoded",
            LONG_COMMENT,
            None,
            "expired-form.png",
        )
        .await;
        expired_comment_is_stored_once(
            &client,
            &demo,
            "multipart/form-data",
            "and once more, as multipart",
            None,
            "expired-form-multipart.png",
        )
        .await;
        expired_comment_is_stored_once(
            &client,
            &demo,
            "multipart/form-data",
            "with a photo of the soup",
            Some(&photo),
            "expired-form-file.png",
        )
        .await;
        redirect_elsewhere_after_send_again_is_followed(&client, &demo).await;
    })
    .catch_unwind()
    .await;

    let closed = client.close().await;
    drop(driver);
    demo.handle.stop(false).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    closed.expect("close the browser session");
}
