//! Logins in a real browser (headless Chromium, as in `forms.rs`): the
//! `login` example with actix-identity.
//!
//! 1. Login CSRF: an attacker page on another origin (another port of
//!    `127.0.0.1`, same site, so the session cookie goes along; and as
//!    `localhost`, cross site) auto-submits the sign-in form with the
//!    attacker's credentials. Refused (`403`); the victim is not signed in
//!    as the attacker.
//! 2. The victim signs in through the form; the profile form posted with
//!    the token from the sign-in page (from before the login) is refused;
//!    with the page's own token it works; sign-out works.
//!
//! Chromium and chromedriver must be installed; without them the test
//! fails, it never skips (see `xsrf_tests::browser`).

use std::net::SocketAddr;
use std::path::Path;

use actix_web::dev::ServerHandle;
use actix_web::{HttpResponse, web};
use fantoccini::Client;
use futures_util::FutureExt as _;
use xsrf_examples::login::{self, Profiles};
use xsrf_tests::browser::{Driver, browser_binaries, connect, element, eventually, text_of};
use xsrf_tests::server::{ExampleServer, start_example_with};

/// The attacker's page: a hidden sign-in form with the attacker's own
/// credentials, submitted on load, against the app at `{host}`.
fn start_attacker(victim_port: u16) -> (SocketAddr, ServerHandle) {
    xsrf_tests::browser::start_attacker(victim_port, |cfg| {
        cfg.route("/login/{host}", web::get().to(attack_login));
    })
}

async fn attack_login(host: web::Path<String>, port: web::Data<u16>) -> HttpResponse {
    if !matches!(host.as_str(), "127.0.0.1" | "localhost") {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            r#"<!doctype html><html><body><h1>Free prize</h1>
<form id="f" method="post" action="http://{host}:{port}/login" style="display:none">
<input name="username" value="mallory"><input name="password" value="evil">
</form>
<script>document.getElementById("f").submit();</script>
</body></html>"#,
            port = **port
        ))
}

fn login_posts(app: &ExampleServer, status: u16) -> usize {
    app.hits
        .posts()
        .iter()
        .filter(|(p, s)| p == "/login" && *s == status)
        .count()
}

async fn login_csrf_is_refused(c: &Client, app: &ExampleServer, attacker: SocketAddr, host: &str) {
    // The victim has a session with the app, not signed in.
    c.goto(&app.url(host, "/")).await.expect("visit the app");
    element(c, "#login").await;
    let refused = login_posts(app, 403);
    c.goto(&format!("http://{attacker}/login/{host}"))
        .await
        .expect("open the attacker's page");
    eventually("the forged sign-in to be refused", || {
        login_posts(app, 403) == refused + 1
    })
    .await;
    assert_eq!(login_posts(app, 303), 0, "a forged sign-in got through");
    c.goto(&app.url(host, "/")).await.expect("back to the app");
    element(c, "#login").await;
    let page = c.source().await.expect("page source");
    assert!(
        !page.contains("Signed in"),
        "signed in by the attacker: {page}"
    );
}

async fn sign_in_and_stale_tokens(c: &Client, app: &ExampleServer, profiles: &Profiles) {
    c.goto(&app.url("127.0.0.1", "/"))
        .await
        .expect("open the app");
    let before = element(c, "#login input[name=xsrf_token]")
        .await
        .attr("value")
        .await
        .expect("value")
        .expect("a token before the login");
    element(c, "#username")
        .await
        .send_keys("alice")
        .await
        .expect("type");
    element(c, "#password")
        .await
        .send_keys("wonderland")
        .await
        .expect("type");
    element(c, "#login-submit")
        .await
        .click()
        .await
        .expect("sign in");
    assert_eq!(text_of(c, "#user").await, "alice");

    // The profile form, its token swapped for the one from before the login.
    c.execute(
        "document.querySelector('#profile input[name=xsrf_token]').value = arguments[0];",
        vec![serde_json::Value::String(before)],
    )
    .await
    .expect("plant the old token");
    element(c, "#display_name")
        .await
        .send_keys("planted")
        .await
        .expect("type");
    element(c, "#profile-submit")
        .await
        .click()
        .await
        .expect("submit");
    eventually("the stale profile post to be refused", || {
        app.hits.posts().contains(&("/profile".to_owned(), 403))
    })
    .await;
    assert!(profiles.changes().is_empty(), "{:?}", profiles.changes());

    // With the page's own token.
    c.goto(&app.url("127.0.0.1", "/")).await.expect("reload");
    element(c, "#display_name")
        .await
        .send_keys("Alice L.")
        .await
        .expect("type");
    element(c, "#profile-submit")
        .await
        .click()
        .await
        .expect("submit");
    eventually("the profile to change", || !profiles.changes().is_empty()).await;
    assert_eq!(text_of(c, "#display-name").await, "Alice L.");
    assert_eq!(profiles.changes(), ["alice=Alice L."]);

    element(c, "#logout-submit")
        .await
        .click()
        .await
        .expect("sign out");
    element(c, "#login").await;
    assert!(app.hits.posts().contains(&("/logout".to_owned(), 303)));
}

#[actix_web::test]
async fn browser_login_csrf_and_pre_login_tokens_are_refused() {
    let _one = crate::ONE_BROWSER.lock().await;
    let (chromium, driver_bin) = browser_binaries();
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("browser-login-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);

    let profiles = web::Data::new(Profiles::default());
    let p = profiles.clone();
    let app = start_example_with(
        move |xsrf, _comments, sessions| login::app(xsrf, p.clone(), sessions),
        login::configure,
    );
    let (attacker, attacker_handle) = start_attacker(app.addr.port());
    let driver = Driver::start(&driver_bin, &scratch);
    let client = connect(&driver, &chromium).await;

    let outcome = std::panic::AssertUnwindSafe(async {
        for host in ["127.0.0.1", "localhost"] {
            login_csrf_is_refused(&client, &app, attacker, host).await;
        }
        sign_in_and_stale_tokens(&client, &app, &profiles).await;
    })
    .catch_unwind()
    .await;

    let closed = client.close().await;
    drop(driver);
    app.handle.stop(false).await;
    attacker_handle.stop(false).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    closed.expect("close the browser session");
}
