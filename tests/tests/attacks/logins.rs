//! Logins with actix-identity over actix-session, through real apps: the
//! login example refuses login CSRF and pre-login tokens; rotation deletes
//! the old session's one-time keys whichever side of `Identity::logout`
//! it is called on, on the memory store and on Redis; and a rotation that
//! cannot know which keys to delete is an error, never a silent `Ok`.

use std::sync::Arc;

use actix_identity::{Identity, IdentityMiddleware};
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpMessage as _, HttpRequest, HttpResponse, web};
use xsrf_actix::store::{KeyStore, MemoryStore, RedisStore};
use xsrf_actix::{CreateOptions, Redeemed, ValidXsrf, Xsrf, XsrfError, XsrfToken};
use xsrf_examples::login::{self, Profiles};
use xsrf_tests::fixture::{
    AppService, Client, Log, SITE, client_of, clock, form_post, key_a, post, session_middleware,
};
use xsrf_tests::redis_server::RedisServer;

fn example_xsrf() -> Xsrf {
    login::configure(Xsrf::builder().secret(key_a()).site_origin(SITE))
        .build()
        .expect("settings")
}

/// The hidden token of the first form on a page.
fn form_token(page: &str) -> String {
    const FIELD: &str = r#"name="xsrf_token" value=""#;
    let start = page.find(FIELD).expect("a token field") + FIELD.len();
    page[start..start + xsrf_core::ENCODED_LEN].to_owned()
}

/// An attacker's page auto-submitting the sign-in form with the
/// attacker's own credentials: the victim's browser sends the victim's
/// cookies, a cross-site `Origin`, and no token. Refused, and the victim
/// is not signed in as the attacker; the same post without the origin
/// trick (no token) is refused too.
#[actix_web::test]
async fn login_csrf_with_the_attackers_credentials_is_refused() {
    let profiles = web::Data::new(Profiles::default());
    let victim = Client::new(
        test::init_service(login::app(
            example_xsrf(),
            profiles.clone(),
            session_middleware(),
        ))
        .await,
    );
    let page = victim.send(TestRequest::get().uri("/")).await;
    assert!(page.body.contains("Sign in"), "{}", page.body);

    let forged = TestRequest::post()
        .uri("/login")
        .insert_header(("Origin", "http://127.0.0.1:9999"))
        .insert_header(("Sec-Fetch-Site", "cross-site"))
        .set_form([("username", "mallory"), ("password", "evil")]);
    let r = victim.send(forged).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = victim
        .send(form_post("/login", "username=mallory&password=evil"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.header("x-xsrf-rejection"), Some("missing"));

    let page = victim.send(TestRequest::get().uri("/")).await;
    assert!(!page.body.contains("Signed in"), "{}", page.body);
}

/// T16 with a real login: a token from the sign-in page (what an attacker
/// could have planted or read before the login) is refused after it; the
/// page's token after the login works; sign-out rotates again.
#[actix_web::test]
async fn t16_a_token_from_before_the_login_is_refused_after_it() {
    let profiles = web::Data::new(Profiles::default());
    let c = Client::new(
        test::init_service(login::app(
            example_xsrf(),
            profiles.clone(),
            session_middleware(),
        ))
        .await,
    );
    let before = form_token(&c.send(TestRequest::get().uri("/")).await.body);
    let r = c
        .send(form_post(
            "/login",
            &format!("username=alice&password=wonderland&xsrf_token={before}"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = c.send(TestRequest::get().uri("/")).await.body;
    assert!(page.contains(r#"<span id="user">alice</span>"#), "{page}");

    let r = c
        .send(form_post(
            "/profile",
            &format!("display_name=planted&xsrf_token={before}"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(profiles.changes().is_empty());

    let after = form_token(&page);
    let r = c
        .send(form_post(
            "/profile",
            &format!("display_name=Alice&xsrf_token={after}"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(profiles.changes(), ["alice=Alice"]);

    let r = c
        .send(form_post("/logout", &format!("xsrf_token={after}")))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c
        .send(form_post(
            "/profile",
            &format!("display_name=again&xsrf_token={after}"),
        ))
        .await;
    assert_ne!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(profiles.changes(), ["alice=Alice"]);
}

// ---------------------------------------------------------------------------
// Rotation and Identity::logout, in either order, on both stores
// ---------------------------------------------------------------------------

async fn token(t: XsrfToken) -> HttpResponse {
    HttpResponse::Ok().body(t.as_str().to_owned())
}

async fn sign_in(req: HttpRequest, _: ValidXsrf) -> Result<HttpResponse, actix_web::Error> {
    Identity::login(&req.extensions(), "alice".to_owned())?;
    Xsrf::for_request(&req)?.rotate(&req).await?;
    Ok(HttpResponse::Ok().finish())
}

async fn create_key(req: HttpRequest, _: ValidXsrf) -> Result<HttpResponse, XsrfError> {
    let x = Xsrf::for_request(&req)?;
    let key = x
        .create_one_time(&req, CreateOptions::new(), "delete my account")
        .await?;
    Ok(HttpResponse::Ok().body(key.into_string()))
}

async fn use_key(key: Redeemed<String>, log: web::Data<Log>) -> HttpResponse {
    log.push(key.into_inner());
    HttpResponse::Ok().finish()
}

/// `Identity::logout` (a purge) first, then `rotate`.
async fn logout_then_rotate(
    req: HttpRequest,
    _: ValidXsrf,
    id: Identity,
) -> Result<HttpResponse, XsrfError> {
    id.logout();
    Xsrf::for_request(&req)?.rotate(&req).await?;
    Ok(HttpResponse::Ok().finish())
}

/// `rotate` first, then `Identity::logout`.
async fn rotate_then_logout(
    req: HttpRequest,
    _: ValidXsrf,
    id: Identity,
) -> Result<HttpResponse, XsrfError> {
    Xsrf::for_request(&req)?.rotate(&req).await?;
    id.logout();
    Ok(HttpResponse::Ok().finish())
}

/// A logout that checks no token: nothing read the state before the purge.
async fn unchecked_logout(req: HttpRequest, id: Identity) -> Result<HttpResponse, XsrfError> {
    id.logout();
    Xsrf::for_request(&req)?.rotate(&req).await?;
    Ok(HttpResponse::Ok().finish())
}

async fn identity_app(store: Arc<dyn KeyStore>, log: Log) -> Client<impl AppService> {
    let xsrf = login::configure(xsrf_tests::fixture::builder(&clock()).one_time_store(store))
        .build()
        .expect("settings");
    client_of(
        App::new()
            .app_data(web::Data::new(log))
            .wrap(IdentityMiddleware::default())
            .wrap(xsrf)
            .wrap(session_middleware())
            .route("/token", web::get().to(token))
            .route("/login", web::post().to(sign_in))
            .route("/key", web::post().to(create_key))
            .route("/use", web::post().to(use_key))
            .route("/logout-then-rotate", web::post().to(logout_then_rotate))
            .route("/rotate-then-logout", web::post().to(rotate_then_logout))
            .route("/unchecked-logout", web::post().to(unchecked_logout)),
    )
    .await
}

/// Signs in, creates a session-bound key; returns it and the cookies of
/// the signed-in session (a stolen cookie, or the browser's old copy).
async fn signed_in_with_a_key(
    c: &Client<impl AppService>,
) -> (String, std::collections::BTreeMap<String, String>) {
    let t = c.send(TestRequest::get().uri("/token")).await.body;
    let r = c
        .send(post("/login").insert_header(("X-XSRF-Token", t)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let t = c.send(TestRequest::get().uri("/token")).await.body;
    let r = c
        .send(post("/key").insert_header(("X-XSRF-Token", t.as_str())))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (r.body, c.cookies())
}

/// The issue's todo app: a "delete my account" key on the store, then
/// sign-out with `rotate` on either side of `Identity::logout`. The key is
/// deleted (the store is empty: no key, no session set), so replaying the
/// old session cookie with it is refused; the handler never runs.
async fn logout_deletes_the_keys_in_either_order(
    store: Arc<dyn KeyStore>,
    count: impl AsyncFn() -> usize,
) {
    for route in ["/logout-then-rotate", "/rotate-then-logout"] {
        let log = Log::default();
        let c = identity_app(Arc::clone(&store), log.clone()).await;
        let (key, old_cookies) = signed_in_with_a_key(&c).await;
        assert!(count().await > 0, "{route}: the key is stored");
        let t = c.send(TestRequest::get().uri("/token")).await.body;
        let r = c
            .send(post(route).insert_header(("X-XSRF-Token", t.as_str())))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{route}: {}", r.body);
        assert_eq!(count().await, 0, "{route}: keys left in the store");

        c.set_cookies(old_cookies);
        let r = c
            .send(post("/use").insert_header(("X-XSRF-Token", key.as_str())))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{route}: {}", r.body);
        assert_eq!(
            r.header("x-xsrf-rejection"),
            Some("already-used"),
            "{route}"
        );
        assert!(log.is_empty(), "{route}: {:?}", log.entries());
    }
}

#[actix_web::test]
async fn rotate_deletes_one_time_keys_before_or_after_identity_logout_on_the_memory_store() {
    let memory = Arc::new(MemoryStore::default());
    let m = Arc::clone(&memory);
    logout_deletes_the_keys_in_either_order(memory, async move || m.len()).await;
}

#[actix_web::test]
async fn rotate_deletes_one_time_keys_before_or_after_identity_logout_on_redis() {
    let server = RedisServer::start().expect("redis-server");
    let store = RedisStore::new(&server.url()).expect("store");
    let url = server.url();
    let count = async move || -> usize {
        let mut con = redis::Client::open(url.as_str())
            .expect("client")
            .get_multiplexed_async_connection()
            .await
            .expect("connection");
        redis::cmd("DBSIZE")
            .query_async(&mut con)
            .await
            .expect("DBSIZE")
    };
    logout_deletes_the_keys_in_either_order(Arc::new(store), count).await;
}

/// A logout that purges the session before anything read the XSRF state:
/// `rotate` cannot find the keys, and says so (500 naming the fix) rather
/// than answer `Ok` and leave them.
#[actix_web::test]
async fn rotate_after_a_purge_with_nothing_read_is_an_error_not_a_silent_ok() {
    let memory = Arc::new(MemoryStore::default());
    let c = identity_app(memory.clone(), Log::default()).await;
    let (_key, _) = signed_in_with_a_key(&c).await;
    let r = c.send(post("/unchecked-logout")).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
    assert!(r.body.contains("rotate"), "{}", r.body);
    assert!(r.body.contains("before the logout"), "{}", r.body);

    // A session that bound no key, its token checked: logout first is Ok
    // (nothing to delete, and rotate knows it), in the same app.
    c.set_cookies(Default::default());
    let t = c.send(TestRequest::get().uri("/token")).await.body;
    let r = c
        .send(post("/login").insert_header(("X-XSRF-Token", t)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let t = c.send(TestRequest::get().uri("/token")).await.body;
    let r = c
        .send(post("/logout-then-rotate").insert_header(("X-XSRF-Token", t)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

// ---------------------------------------------------------------------------
// The middleware order
// ---------------------------------------------------------------------------

async fn whoami(req: HttpRequest, _: ValidXsrf) -> HttpResponse {
    HttpResponse::Ok().body(login::user_fn(&req).unwrap_or_default())
}

/// Signs in, checks the token is bound to the user, binds a key, signs out
/// (purge first), and replays the old cookie with the key; `Err` says
/// which step failed.
async fn full_login_cycle(c: &Client<impl AppService>, memory: &MemoryStore) -> Result<(), String> {
    let step = |what: &str, r: &xsrf_tests::fixture::Resp, want: StatusCode| {
        if r.status == want {
            Ok(())
        } else {
            Err(format!("{what}: {} {}", r.status, r.body.trim()))
        }
    };
    let t = c.send(TestRequest::get().uri("/token")).await;
    step("first page", &t, StatusCode::OK)?;
    let r = c
        .send(post("/login").insert_header(("X-XSRF-Token", t.body)))
        .await;
    step("sign-in", &r, StatusCode::OK)?;
    let t = c.send(TestRequest::get().uri("/token")).await.body;
    let r = c
        .send(post("/whoami").insert_header(("X-XSRF-Token", t.as_str())))
        .await;
    step("token of the signed-in user", &r, StatusCode::OK)?;
    if r.body != "alice" {
        return Err(format!("user_fn saw {:?}", r.body));
    }
    let r = c
        .send(post("/key").insert_header(("X-XSRF-Token", t.as_str())))
        .await;
    step("bind a key", &r, StatusCode::OK)?;
    let (key, old) = (r.body, c.cookies());
    let r = c
        .send(post("/logout-then-rotate").insert_header(("X-XSRF-Token", t.as_str())))
        .await;
    step("sign-out", &r, StatusCode::OK)?;
    if !memory.is_empty() {
        return Err("keys left in the store".to_owned());
    }
    c.set_cookies(old);
    let r = c
        .send(post("/use").insert_header(("X-XSRF-Token", key.as_str())))
        .await;
    step("replayed key", &r, StatusCode::FORBIDDEN)
}

/// Every order of `IdentityMiddleware`, `Xsrf` and `SessionMiddleware`.
/// What this pins: all six work, sign-in, the token bound to the user,
/// one-time keys deleted at sign-out. The session is only used while
/// handlers run, and a middleware that asks for it before the session
/// middleware loaded it gets the very session that is then filled (actix
/// keeps one per request), so no order breaks it. actix-identity still
/// documents registering `IdentityMiddleware` before `SessionMiddleware`,
/// which the login example does.
#[actix_web::test]
async fn every_order_of_identity_xsrf_and_session_middleware_works() {
    macro_rules! mw {
        (identity, $xsrf:expr) => {
            IdentityMiddleware::default()
        };
        (session, $xsrf:expr) => {
            session_middleware()
        };
        (xsrf, $xsrf:expr) => {
            $xsrf.clone()
        };
    }
    macro_rules! cycle {
        ($name:expr, $($mw:ident),+) => {{
            let memory = Arc::new(MemoryStore::default());
            let xsrf = login::configure(
                xsrf_tests::fixture::builder(&clock()).one_time_store(Arc::clone(&memory)),
            )
            .build()
            .expect("settings");
            let c = Client::new(
                test::init_service(
                    App::new()
                        .app_data(web::Data::new(Log::default()))
                        $(.wrap(mw!($mw, xsrf)))+
                        .route("/token", web::get().to(token))
                        .route("/login", web::post().to(sign_in))
                        .route("/whoami", web::post().to(whoami))
                        .route("/key", web::post().to(create_key))
                        .route("/use", web::post().to(use_key))
                        .route("/logout-then-rotate", web::post().to(logout_then_rotate)),
                )
                .await,
            );
            ($name, full_login_cycle(&c, &memory).await)
        }};
    }
    let outcomes = [
        cycle!("identity, xsrf, session", identity, xsrf, session),
        cycle!("xsrf, identity, session", xsrf, identity, session),
        cycle!("identity, session, xsrf", identity, session, xsrf),
        cycle!("xsrf, session, identity", xsrf, session, identity),
        cycle!("session, identity, xsrf", session, identity, xsrf),
        cycle!("session, xsrf, identity", session, xsrf, identity),
    ];
    let failed: Vec<_> = outcomes.iter().filter(|(_, o)| o.is_err()).collect();
    assert!(
        failed.is_empty(),
        "registered in these orders, logins broke: {failed:?}"
    );
}
