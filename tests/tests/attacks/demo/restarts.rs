//! The demo across restarts and across instances, on real listening
//! sockets: each instance is started as the `forms` binary starts one,
//! from an environment (the secret and session key read by `support`, the
//! settings by `forms::configure`), and a restart is a stop followed by a
//! start from an environment on the same port. Which refusal each deploy
//! mistake produces (the deploy guide's table) is asserted here, by its
//! `X-XSRF-Rejection` reason.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};

use actix_web::dev::ServerHandle;
use actix_web::{HttpServer, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use xsrf_actix::time::Duration;
use xsrf_actix::{ManualClock, Xsrf};
use xsrf_examples::forms::{self, Comments};
use xsrf_examples::support;
use xsrf_tests::fixture::clock;
use xsrf_tests::server::{RawClient, RawResponse};

use super::{form_value, hidden_token};

/// An environment, as the binary reads it.
type Env = HashMap<&'static str, String>;

fn env(vars: &[(&'static str, &str)]) -> Env {
    vars.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

/// A stable secret and session key, as a deploy sets them.
fn stable() -> Env {
    env(&[
        ("XSRF_SECRET", &STANDARD.encode([0x5a; 32])),
        ("SESSION_KEY", &STANDARD.encode([0xc3; 64])),
    ])
}

/// One running instance of the demo.
struct Demo {
    addr: SocketAddr,
    handle: ServerHandle,
    comments: web::Data<Comments>,
}

impl Demo {
    /// Starts the demo from `env` on `port` (`0`: a free one) of loopback,
    /// with the site origins the binary derives for that address; `clock`,
    /// when given, is the crate's clock (the binary's is the system's).
    fn start(env: &Env, port: u16, clock: Option<&ManualClock>) -> Self {
        let var = |name: &str| env.get(name).cloned();
        // The standard library sets `SO_REUSEADDR`: the port of a stopped
        // instance can be bound again at once.
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut builder = Xsrf::builder()
            .secret(support::secret_from(var).expect("XSRF_SECRET"))
            .site_origin(format!("http://127.0.0.1:{}", addr.port()))
            .site_origin(format!("http://localhost:{}", addr.port()));
        if let Some(clock) = clock {
            builder = builder.clock(clock.clone());
        }
        let xsrf = forms::configure(builder, var)
            .expect("settings")
            .build()
            .expect("xsrf");
        let key = support::session_key_from(var).expect("SESSION_KEY");
        let comments = web::Data::new(Comments::default());
        let c = comments.clone();
        let server = HttpServer::new(move || {
            forms::app(
                xsrf.clone(),
                c.clone(),
                forms::cookie_sessions(&xsrf, key.clone()),
            )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self {
            addr,
            handle,
            comments,
        }
    }

    /// Stops it, as a deploy stops the old process, and starts it again
    /// from `env` on the same port (so the page's origin is still the
    /// site's).
    async fn restart(self, env: &Env) -> Self {
        self.handle.stop(true).await;
        Self::start(env, self.addr.port(), None)
    }

    async fn stop(self) {
        self.handle.stop(true).await;
    }

    fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// A visitor's browser: its cookies, and the token of the page it loaded.
struct Visitor {
    client: RawClient,
    token: String,
}

impl Visitor {
    /// Loads the page with the comment form from `demo`.
    async fn load_form(demo: &Demo) -> Self {
        let mut client = RawClient::default();
        let page = client
            .send(demo.addr, "GET", "/", &[], b"")
            .await
            .expect("GET /");
        assert_eq!(page.status, 200);
        // The session cookie (`id`), or in cookie storage the state cookie.
        assert!(
            ["id", "xsrf-state"]
                .iter()
                .any(|c| client.cookies.contains_key(*c)),
            "{:?}",
            page.headers
        );
        let token = hidden_token(&page.text());
        Self { client, token }
    }

    /// Submits the comment form to `demo` as the browser sends it from the
    /// site's own page.
    async fn post(&mut self, demo: &Demo, path: &str, body: &str) -> RawResponse {
        let origin = demo.origin();
        let headers = [
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", origin.as_str()),
            ("Sec-Fetch-Site", "same-origin"),
        ];
        self.client
            .send(demo.addr, "POST", path, &headers, body.as_bytes())
            .await
            .expect("POST")
    }

    async fn comment(&mut self, demo: &Demo, text: &str) -> RawResponse {
        let body = format!(
            "xsrf_token={}&body={}",
            form_value(&self.token),
            form_value(text)
        );
        self.post(demo, "/comments", &body).await
    }
}

/// Loads the form from a demo started from `before`, restarts the demo
/// from `after`, submits the form: the answer, and what the restarted
/// demo stored.
async fn post_across_a_restart(before: &Env, after: &Env) -> (RawResponse, Vec<String>) {
    let demo = Demo::start(before, 0, None);
    let mut visitor = Visitor::load_form(&demo).await;
    let demo = demo.restart(after).await;
    let r = visitor.comment(&demo, "typed before the deploy").await;
    let stored = demo.comments.all();
    demo.stop().await;
    (r, stored)
}

fn with(mut env: Env, vars: &[(&'static str, &str)]) -> Env {
    env.extend(vars.iter().map(|(k, v)| (*k, (*v).to_owned())));
    env
}

fn without(mut env: Env, name: &str) -> Env {
    env.remove(name);
    env
}

#[actix_web::test]
async fn l2_a_form_loaded_before_a_restart_posts_after_it_with_a_stable_secret_and_session_key() {
    for storage in ["session", "cookie"] {
        let env = with(stable(), &[("XSRF_STORAGE", storage)]);
        let (r, stored) = post_across_a_restart(&env, &env).await;
        assert_eq!(r.status, 303, "{storage}: {}", r.text());
        assert_eq!(r.header("location"), Some("/"), "{storage}");
        assert_eq!(stored, ["typed before the deploy"], "{storage}");
    }
}

#[actix_web::test]
async fn a_session_key_generated_at_each_start_refuses_open_forms_with_no_session() {
    // Unset, the demo generates one at each start, with a warning.
    let env = without(stable(), "SESSION_KEY");
    let (r, stored) = post_across_a_restart(&env, &env).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.header("x-xsrf-rejection"), Some("no-session"));
    assert!(stored.is_empty(), "{stored:?}");
}

/// A secret generated at each start, and a secret replaced without the old
/// one kept as a fallback, are the same mistake: the open form's token is
/// signed with a key the new process does not have.
#[actix_web::test]
async fn t8_a_secret_generated_at_each_start_or_rotated_without_fallback_refuses_open_forms() {
    let generated = without(stable(), "XSRF_SECRET");
    let rotated = with(stable(), &[("XSRF_SECRET", &STANDARD.encode([0x77; 32]))]);
    for (before, after) in [(&generated, &generated), (&stable(), &rotated)] {
        for (storage, reason) in [
            ("session", "unknown-key"),
            // The state cookie is signed with the secret too, and is
            // checked first: the session itself is gone.
            ("cookie", "no-session"),
        ] {
            let storage = [("XSRF_STORAGE", storage)];
            let (r, stored) = post_across_a_restart(
                &with(before.clone(), &storage),
                &with(after.clone(), &storage),
            )
            .await;
            assert_eq!(r.status, 403, "{storage:?}: {}", r.text());
            assert_eq!(r.header("x-xsrf-rejection"), Some(reason), "{storage:?}");
            assert!(stored.is_empty(), "{stored:?}");
        }
    }
}

#[actix_web::test]
async fn a_reset_link_from_the_in_memory_store_dies_with_a_restart() {
    // Stable secret and session key: tokens survive, one-time keys in
    // process memory do not (the Redis store keeps them).
    let env = stable();
    let demo = Demo::start(&env, 0, None);
    let mut visitor = Visitor::load_form(&demo).await;
    let body = format!("xsrf_token={}", form_value(&visitor.token));
    let r = visitor.post(&demo, "/reset-link", &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let page = r.text();
    let start = page.find("href=\"/reset/").expect("a /reset/{key} link") + 6;
    let link = page[start..start + page[start..].find('"').expect("quote")].to_owned();

    let demo = demo.restart(&env).await;
    let r = visitor.post(&demo, &link, "password=new").await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.header("x-xsrf-rejection"), Some("already-used"));
    // The form token still works: only the store's keys were lost.
    let r = visitor.comment(&demo, "token kept").await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(demo.comments.all(), ["token kept"]);
    demo.stop().await;
}

/// Many instances behind one site: the same secret and session key make
/// any instance accept any instance's form; a different secret on one of
/// them refuses it with `unknown-key`, a different session key with
/// `no-session`; a one-time key of the in-memory store exists only on the
/// instance that made it (`already-used` elsewhere: without sticky
/// sessions, use the Redis store).
#[actix_web::test]
async fn l2_instances_sharing_the_secret_and_session_key_accept_each_others_forms() {
    let env = stable();
    let a = Demo::start(&env, 0, None);
    let b = Demo::start(&env, 0, None);
    let other_secret = with(stable(), &[("XSRF_SECRET", &STANDARD.encode([0x77; 32]))]);
    let c = Demo::start(&other_secret, 0, None);
    let other_session_key = with(stable(), &[("SESSION_KEY", &STANDARD.encode([0x11; 64]))]);
    let d = Demo::start(&other_session_key, 0, None);

    let mut visitor = Visitor::load_form(&a).await;
    let r = visitor.comment(&b, "on b").await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(b.comments.all(), ["on b"]);

    let r = visitor.comment(&c, "on c").await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.header("x-xsrf-rejection"), Some("unknown-key"));
    let r = visitor.comment(&d, "on d").await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.header("x-xsrf-rejection"), Some("no-session"));
    assert!(c.comments.all().is_empty() && d.comments.all().is_empty());

    // A reset link made on A, followed to B.
    let mut visitor = Visitor::load_form(&a).await;
    let body = format!("xsrf_token={}", form_value(&visitor.token));
    let r = visitor.post(&a, "/reset-link", &body).await;
    let page = r.text();
    let start = page.find("href=\"/reset/").expect("a /reset/{key} link") + 6;
    let link = page[start..start + page[start..].find('"').expect("quote")].to_owned();
    let r = visitor.post(&b, &link, "password=new").await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.header("x-xsrf-rejection"), Some("already-used"));
    let r = visitor.post(&a, &link, "password=new").await;
    assert_eq!(r.status, 200, "{}", r.text());

    for demo in [a, b, c, d] {
        demo.stop().await;
    }
}

#[actix_web::test]
async fn t7_xsrf_timeout_secs_sets_the_token_lifetime() {
    let one_second = clock();
    let env = with(stable(), &[("XSRF_TIMEOUT_SECS", "1")]);
    let demo = Demo::start(&env, 0, Some(&one_second));
    let mut visitor = Visitor::load_form(&demo).await;
    one_second.advance(Duration::milliseconds(500));
    let r = visitor.comment(&demo, "in time").await;
    assert_eq!(r.status, 303, "{}", r.text());
    one_second.advance(Duration::milliseconds(1600));
    let r = visitor.comment(&demo, "too late").await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.header("x-xsrf-rejection"), Some("expired"));
    assert_eq!(demo.comments.all(), ["in time"]);
    demo.stop().await;

    // Unset: the crate's default lifetime, far longer than two seconds.
    let clock = clock();
    let demo = Demo::start(&stable(), 0, Some(&clock));
    let mut visitor = Visitor::load_form(&demo).await;
    clock.advance(Duration::seconds(2));
    let r = visitor.comment(&demo, "default").await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(demo.comments.all(), ["default"]);
    demo.stop().await;
}

/// Instances whose clocks disagree: a token dated more than the allowed
/// skew (one minute) ahead of the checking instance's clock is refused as
/// `from-future`; a checking instance ahead by more than the lifetime sees
/// every other instance's token as `expired` (ahead by less, it only
/// shortens their lifetime by its lead).
#[actix_web::test]
async fn t7_instances_whose_clocks_disagree_refuse_each_others_forms() {
    let env = with(stable(), &[("XSRF_TIMEOUT_SECS", "600")]);
    let (ahead, on_time, far_ahead) = (clock(), clock(), clock());
    ahead.advance(Duration::minutes(2));
    far_ahead.advance(Duration::minutes(15));
    let a = Demo::start(&env, 0, Some(&ahead));
    let b = Demo::start(&env, 0, Some(&on_time));
    let c = Demo::start(&env, 0, Some(&far_ahead));

    let mut from_a = Visitor::load_form(&a).await;
    let r = from_a.comment(&b, "two minutes early").await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.header("x-xsrf-rejection"), Some("from-future"));
    // Within the skew: accepted.
    on_time.advance(Duration::seconds(90));
    let r = from_a.comment(&b, "thirty seconds early").await;
    assert_eq!(r.status, 303, "{}", r.text());

    let mut from_b = Visitor::load_form(&b).await;
    let r = from_b.comment(&c, "over ten minutes late").await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.header("x-xsrf-rejection"), Some("expired"));
    assert_eq!(b.comments.all(), ["thirty seconds early"]);
    assert!(c.comments.all().is_empty());
    for demo in [a, b, c] {
        demo.stop().await;
    }
}
