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

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_session::storage::CookieSessionStore;
use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt as _;
use hyper_util::client::legacy::connect::HttpConnector;
use xsrf_examples::forms;
use xsrf_examples::spa;
use xsrf_tests::server::{ExampleServer, Hits, free_port, send_raw, start_example};

/// How long any one wait for the browser may take.
const WAIT: Duration = Duration::from_secs(15);

// ---------------------------------------------------------------------------
// Finding the browser
// ---------------------------------------------------------------------------

/// `env` if set, else the first of `names` on `PATH`.
fn find_binary(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Chromium and chromedriver, or a failure saying how to get them.
fn browser_binaries() -> (PathBuf, PathBuf) {
    let chromium = find_binary("CHROMIUM", &["chromium", "chromium-browser"]);
    let driver = find_binary("CHROMEDRIVER", &["chromedriver"]);
    match (chromium, driver) {
        (Some(c), Some(d)) => (c, d),
        (c, d) => {
            let missing: Vec<&str> = [(c.is_none(), "chromium"), (d.is_none(), "chromedriver")]
                .into_iter()
                .filter_map(|(gone, name)| gone.then_some(name))
                .collect();
            let missing = missing.join(" and ");
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "CI=true: the browser test needs {missing}, not found on PATH. \
                     A missing browser is a failure in CI, never a skip: install \
                     `chromium chromium-driver` (scripts/test.sh does) or set CHROMIUM / CHROMEDRIVER."
                );
            }
            panic!(
                "the browser test needs {missing}, not found on PATH: \
                 run `apt-get install chromium chromium-driver` (or scripts/test.sh), \
                 or set CHROMIUM / CHROMEDRIVER to the binaries"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// chromedriver, killed and reaped on drop (also when a test panics)
// ---------------------------------------------------------------------------

struct Driver {
    child: Child,
    url: String,
    scratch: PathBuf,
}

impl Driver {
    fn start(binary: &Path, scratch: &Path) -> Driver {
        let tmp = scratch.join("tmp");
        std::fs::create_dir_all(&tmp).expect("scratch TMPDIR");
        let port = free_port().expect("a free loopback port");
        let log = scratch.join("chromedriver.log");
        let mut cmd = Command::new(binary);
        cmd.arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .env("TMPDIR", &tmp)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group, so the browsers it starts can be killed
        // with it if the session is not closed cleanly.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            scratch: scratch.to_owned(),
        };
        let deadline = Instant::now() + WAIT;
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return driver;
            }
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!(
                    "chromedriver exited at start ({status}); its log:\n{}",
                    driver.log_tail()
                );
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port} within {WAIT:?}; its log:\n{}",
                driver.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_tail(&self) -> String {
        let text =
            std::fs::read_to_string(self.scratch.join("chromedriver.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let pid = self.child.id();
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Any browser left behind (normally none: the session was closed).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

async fn connect(driver: &Driver, chromium: &Path) -> Client {
    let profile = driver.scratch.join("profile");
    let caps = serde_json::json!({
        "browserName": "chrome",
        "pageLoadStrategy": "normal",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
                "--window-size=1024,768",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!("an object literal")
    };
    // chromedriver listens on loopback over plain HTTP: no TLS connector.
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot open a Chromium session: {e}; chromedriver's log:\n{}",
                driver.log_tail()
            )
        })
}

// ---------------------------------------------------------------------------
// The apps, in-process on free ports
// ---------------------------------------------------------------------------

/// The attacker: pages on another origin (another port) that attack the
/// demo at `http://{host}:{victim port}`.
fn start_attacker(victim_port: u16) -> (SocketAddr, ServerHandle) {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(victim_port))
            .route("/form/{host}", web::get().to(attack_form))
            .route("/fetch/{host}", web::get().to(attack_fetch))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .expect("bind");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (addr, handle)
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

/// Polls `cond` until it holds, or fails saying what was awaited.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits for an element: after a click that navigates, poll the result
/// page rather than trusting the navigation wait.
async fn element(c: &Client, css: &str) -> fantoccini::elements::Element {
    match c.wait().at_most(WAIT).for_element(Locator::Css(css)).await {
        Ok(e) => e,
        Err(e) => {
            let url = c
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            let src = c.source().await.unwrap_or_default();
            panic!("no `{css}` on {url} after {WAIT:?}: {e}\npage:\n{src}")
        }
    }
}

async fn text_of(c: &Client, css: &str) -> String {
    element(c, css).await.text().await.expect("element text")
}

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
