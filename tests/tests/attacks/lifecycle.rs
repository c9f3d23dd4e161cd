//! Token lifecycle (threat model rows L1–L3) through real apps: tokens
//! refreshed on the way so a client in use never holds an expired one,
//! secret rotation that keeps every client working in both storages, and
//! a missing `SessionMiddleware` answered with a 500 naming the fix. Row
//! L4 (`#[handle_token]` checks first) in `handle_token`, L5 (report-only
//! mode) in `report_only`, L7 (an expired form from the site comes back
//! in a page that sends it again) in `expired_forms`.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use actix_web::{App, web};
use time::Duration;
use xsrf_actix::{Expiry, KeyRing, Storage, TokenCookie, XsrfBuilder};
use xsrf_tests::fixture::{
    AppService, Client, Log, Resp, builder, builder_with_ring, clock, form_post, key_a, key_b,
    post, routes, service, session_middleware,
};

mod expired_forms;
mod handle_token;
mod report_only;

fn storages(b: XsrfBuilder, cookie_storage: bool) -> XsrfBuilder {
    if cookie_storage {
        b.storage(Storage::signed_cookie())
    } else {
        b
    }
}

fn mode(cookie_storage: bool) -> &'static str {
    if cookie_storage {
        "cookie storage"
    } else {
        "session storage"
    }
}

/// A header-token POST of a comment.
async fn post_with_header(c: &Client<impl AppService>, token: &str, body: &str) -> Resp {
    c.send(
        post("/comments")
            .insert_header(("X-XSRF-Token", token))
            .set_form([("body", body)]),
    )
    .await
}

// ---------------------------------------------------------------------------
// L1: refresh
// ---------------------------------------------------------------------------

/// Three clients use the app every 25 minutes for 200 minutes (over three
/// one-hour token lifetimes): one takes the fresh token from the response
/// header, one reads the `XSRF-TOKEN` cookie as axios does, one posts a
/// form with the last token it was given. None ever gets a 403; a fourth,
/// which ignores the fresh tokens, is refused as `expired` once its token
/// is an hour old, with a reason a script can read.
#[actix_web::test]
async fn l1_a_client_in_use_across_three_token_lifetimes_never_sees_a_403() {
    for cookie_storage in [false, true] {
        let mode = mode(cookie_storage);
        let clock = clock();
        let log = Log::default();
        let xsrf = storages(
            builder(&clock).token_cookie(TokenCookie::new()),
            cookie_storage,
        )
        .build()
        .expect("settings");
        let app = Client::new(service(xsrf, log.clone()).await);

        let mut header_token = app.token().await;
        let header_jar = app.cookies();
        app.set_cookies(BTreeMap::new());
        app.token().await;
        let cookie_jar = app.cookies();
        app.set_cookies(BTreeMap::new());
        let mut form_token = app.token().await;
        let form_jar = app.cookies();
        app.set_cookies(BTreeMap::new());
        let stale_token = app.token().await;
        let stale_jar = app.cookies();

        let (mut jars, mut refreshed) = ([header_jar, cookie_jar, form_jar], 0);
        for step in 1..=8 {
            clock.advance(Duration::minutes(25));
            // Header client.
            app.set_cookies(jars[0].clone());
            let r = post_with_header(&app, &header_token, "h").await;
            assert_eq!(
                r.status,
                StatusCode::SEE_OTHER,
                "{mode} step {step}: {}",
                r.body
            );
            if let Some(t) = r.header("x-xsrf-token") {
                header_token = t.to_owned();
                refreshed += 1;
            }
            jars[0] = app.cookies();
            // Cookie client: whatever XSRF-TOKEN holds now.
            app.set_cookies(jars[1].clone());
            let from_cookie = app.cookies()["XSRF-TOKEN"].clone();
            let r = post_with_header(&app, &from_cookie, "c").await;
            assert_eq!(
                r.status,
                StatusCode::SEE_OTHER,
                "{mode} step {step}: {}",
                r.body
            );
            jars[1] = app.cookies();
            // Form client: the token of its last answer.
            app.set_cookies(jars[2].clone());
            let r = app
                .send(form_post(
                    "/comments",
                    &format!("body=f&xsrf_token={form_token}"),
                ))
                .await;
            assert_eq!(
                r.status,
                StatusCode::SEE_OTHER,
                "{mode} step {step}: {}",
                r.body
            );
            if let Some(t) = r.header("x-xsrf-token") {
                form_token = t.to_owned();
            }
            jars[2] = app.cookies();
        }
        // Refreshed once per half lifetime or so, not on every request.
        assert!(
            (3..=5).contains(&refreshed),
            "{mode}: {refreshed} refreshes"
        );
        assert_ne!(
            jars[1]["XSRF-TOKEN"], stale_token,
            "{mode}: cookie never refreshed"
        );
        assert_eq!(log.entries().len(), 24, "{mode}");

        // The client that never took a fresh token: expired, and told so.
        app.set_cookies(stale_jar);
        let r = post_with_header(&app, &stale_token, "stale").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{mode}");
        assert_eq!(r.header("x-xsrf-rejection"), Some("expired"), "{mode}");
        assert_eq!(r.body.trim(), "XSRF token expired", "{mode}");
        assert_eq!(log.entries().len(), 24, "{mode}: the stale post ran");
    }
}

/// A fresh token is not handed out while the one in use is young: a
/// response to a request with a token under half its lifetime has no
/// token header.
#[actix_web::test]
async fn l1_young_tokens_are_not_refreshed() {
    let clock = clock();
    let xsrf = builder(&clock).build().expect("settings");
    let app = Client::new(service(xsrf, Log::default()).await);
    let token = app.token().await;
    clock.advance(Duration::minutes(30));
    let r = post_with_header(&app, &token, "x").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("x-xsrf-token"), None);
    clock.advance(Duration::seconds(1));
    let r = post_with_header(&app, &token, "y").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let fresh = r
        .header("x-xsrf-token")
        .expect("refreshed past half its life");
    assert_ne!(fresh, token);
    assert!(r.header("vary").is_some_and(|v| v.contains("Cookie")));
}

/// Without expiry, a token from ten days ago still works; rotation (login,
/// logout) still ends it.
#[actix_web::test]
async fn l1_no_expiry_tokens_live_until_rotation() {
    for cookie_storage in [false, true] {
        let mode = mode(cookie_storage);
        let clock = clock();
        let log = Log::default();
        let xsrf = storages(builder(&clock).expiry(Expiry::never()), cookie_storage)
            .build()
            .expect("settings");
        let app = Client::new(service(xsrf, log.clone()).await);
        let token = app.token().await;
        clock.advance(Duration::days(10));
        let r = post_with_header(&app, &token, "old").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{mode}: {}", r.body);
        assert_eq!(r.header("x-xsrf-token"), None, "{mode}: nothing to refresh");
        let r = app
            .send(post("/login").insert_header(("X-XSRF-Token", token.as_str())))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{mode}: {}", r.body);
        let r = post_with_header(&app, &token, "after login").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{mode}");
        assert_eq!(log.entries(), ["comment:old", "login"], "{mode}");
    }
}

// ---------------------------------------------------------------------------
// L2: secret rotation
// ---------------------------------------------------------------------------

/// Key A signs; then B becomes current with A as fallback; then A is
/// dropped. A client that came by during the middle period keeps working
/// on B alone: its token (and, in cookie storage, its state cookie) was
/// signed again with B on the way. A client that did not come by is
/// refused once A is gone (which is what the re-signing is for).
#[actix_web::test]
async fn l2_clients_survive_a_secret_rotation_in_both_storages() {
    for cookie_storage in [false, true] {
        let mode = mode(cookie_storage);
        let clock = clock();
        let log = Log::default();
        let ring_a = KeyRing::new(key_a());
        let ring_ba = KeyRing::new(key_b()).with_fallback(key_a());
        let ring_b = KeyRing::new(key_b());
        let build = |ring: KeyRing| {
            storages(
                builder_with_ring(&clock, ring).token_cookie(TokenCookie::new()),
                cookie_storage,
            )
            .build()
            .expect("settings")
        };

        // Before: two clients, each with a token and (maybe) a state cookie.
        let before = Client::new(service(build(ring_a), log.clone()).await);
        let token = before.token().await;
        let jar = before.cookies();
        before.set_cookies(BTreeMap::new());
        let idle_token = before.token().await;
        let idle_jar = before.cookies();

        // During: the pending form (token signed with A) is accepted, and
        // the answer moves the client to B.
        let during = Client::new(service(build(ring_ba), log.clone()).await);
        during.set_cookies(jar);
        let r = during
            .send(form_post(
                "/comments",
                &format!("body=pending&xsrf_token={token}"),
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{mode}: {}", r.body);
        let fresh = r
            .header("x-xsrf-token")
            .expect("a token signed with B")
            .to_owned();
        let cookies = r.set_cookies();
        assert!(
            cookies.iter().any(|c| c.starts_with("XSRF-TOKEN=")),
            "{mode}: {cookies:?}"
        );
        if cookie_storage {
            assert!(
                cookies.iter().any(|c| c.starts_with("xsrf-state=")),
                "{mode}: state cookie not signed again: {cookies:?}"
            );
        }
        // The state is the same one (same session, same tokens' binding).
        let r = post_with_header(&during, &token, "old token still").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{mode}: {}", r.body);
        let moved = during.cookies();

        // After: A is gone. The client that came by works with what it got.
        let after = Client::new(service(build(ring_b), log.clone()).await);
        after.set_cookies(moved);
        let r = post_with_header(&after, &fresh, "after").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{mode}: {}", r.body);
        let from_cookie = after.cookies()["XSRF-TOKEN"].clone();
        let r = post_with_header(&after, &from_cookie, "cookie").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{mode}: {}", r.body);
        // The old token is signed with a key no longer accepted.
        let r = post_with_header(&after, &token, "retired").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{mode}");
        assert_eq!(r.header("x-xsrf-rejection"), Some("unknown-key"), "{mode}");

        // The idle client never came by while both keys were accepted.
        after.set_cookies(idle_jar);
        let r = post_with_header(&after, &idle_token, "idle").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{mode}");
        assert_eq!(
            log.entries(),
            [
                "comment:pending",
                "comment:old token still",
                "comment:after",
                "comment:cookie"
            ],
            "{mode}"
        );
    }
}

// ---------------------------------------------------------------------------
// L3: the session middleware missing, or on the other side of Xsrf
// ---------------------------------------------------------------------------

/// Session storage with no `SessionMiddleware` at all: the first page that
/// issues a token, and the first post with a token, answer 500 naming the
/// fix, not a 403 for everyone.
#[actix_web::test]
async fn l3_missing_session_middleware_is_a_500_naming_the_fix() {
    let clock = clock();
    let log = Log::default();
    let xsrf = builder(&clock).build().expect("settings");
    let app = Client::new(
        test::init_service(
            App::new()
                .app_data(web::Data::new(log.clone()))
                .wrap(xsrf.clone())
                .configure(routes),
        )
        .await,
    );
    let r = app.send(TestRequest::get().uri("/form")).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
    assert!(r.body.contains("SessionMiddleware"), "{}", r.body);
    assert!(r.body.contains("Storage::signed_cookie()"), "{}", r.body);
    assert_eq!(r.header("x-xsrf-token"), None, "a token bound to nothing");

    // A token from elsewhere (a valid one for some session) changes nothing.
    let token = {
        let ok = Client::new(service(xsrf, Log::default()).await);
        ok.token().await
    };
    let r = post_with_header(&app, &token, "x").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
    assert!(r.body.contains("SessionMiddleware"), "{}", r.body);
    let r = app
        .send(form_post(
            "/comments",
            &format!("body=x&xsrf_token={token}"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
    assert!(log.is_empty(), "{:?}", log.entries());
}

/// The real rule: `SessionMiddleware` may sit on either side of `Xsrf`.
/// Registered first (so it runs inside `Xsrf`), header and form tokens,
/// refresh and rotation all work, a new visitor is an ordinary 403
/// `no-session` (not mistaken for a missing middleware), and the
/// middleware's origin refusals come before any session work.
#[actix_web::test]
async fn l3_session_middleware_inside_xsrf_works_as_well() {
    let clock = clock();
    let log = Log::default();
    let xsrf = builder(&clock)
        .token_cookie(TokenCookie::new())
        .build()
        .expect("settings");
    let app = Client::new(
        test::init_service(
            App::new()
                .app_data(web::Data::new(log.clone()))
                .wrap(session_middleware())
                .wrap(xsrf.clone())
                .configure(routes),
        )
        .await,
    );
    let token = app.token().await;
    let r = post_with_header(&app, &token, "header").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .send(form_post(
            "/comments",
            &format!("body=form&xsrf_token={token}"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    clock.advance(Duration::minutes(45));
    let r = post_with_header(&app, &token, "refresh").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let fresh = r.header("x-xsrf-token").expect("refreshed").to_owned();
    let r = app
        .send(post("/login").insert_header(("X-XSRF-Token", fresh.as_str())))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = post_with_header(&app, &fresh, "after rotation").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let new = app.token().await;
    let r = post_with_header(&app, &new, "new").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // A visitor with no session and someone else's token: 403, not 500.
    let stranger = Client::new(
        test::init_service(
            App::new()
                .app_data(web::Data::new(log.clone()))
                .wrap(session_middleware())
                .wrap(xsrf)
                .configure(routes),
        )
        .await,
    );
    let r = post_with_header(&stranger, &new, "stranger").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.header("x-xsrf-rejection"), Some("no-session"));
    assert_eq!(
        log.entries(),
        [
            "comment:header",
            "comment:form",
            "comment:refresh",
            "login",
            "comment:new"
        ]
    );
}

/// The registered order (`Xsrf` first, inside the session): a new visitor
/// posting a token is an ordinary 403 `no-session`.
#[actix_web::test]
async fn l3_a_new_visitor_is_a_403_not_a_misconfiguration() {
    let clock = clock();
    let log = Log::default();
    let xsrf = builder(&clock).build().expect("settings");
    let token = Client::new(service(xsrf.clone(), Log::default()).await)
        .token()
        .await;
    let app = Client::new(service(xsrf, log.clone()).await);
    let r = post_with_header(&app, &token, "x").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.header("x-xsrf-rejection"), Some("no-session"));
    assert!(log.is_empty());
    // ... and the same client, once it has a page, gets through.
    let mine = app.token().await;
    let r = post_with_header(&app, &mine, "y").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

/// The SPA example's recovery, as its script does it: a post from a tab
/// idle past the token lifetime is refused as `expired`; `GET /api/token`
/// renews the `XSRF-TOKEN` cookie, and the one retry goes through.
#[actix_web::test]
async fn l1_the_spa_recovers_from_an_expired_token_with_one_retry() {
    use xsrf_examples::{forms, spa};
    let clock = clock();
    let xsrf = builder(&clock)
        .token_cookie(TokenCookie::new())
        .build()
        .expect("settings");
    let comments = web::Data::new(forms::Comments::default());
    let sessions = forms::cookie_sessions(&xsrf, actix_web::cookie::Key::from(&[7; 64]));
    let app = Client::new(test::init_service(spa::app(xsrf, comments.clone(), sessions)).await);
    let page = app.send(TestRequest::get().uri("/")).await;
    assert_eq!(page.status, StatusCode::OK);
    let send = |token: String| {
        post("/api/comments")
            .insert_header(("X-XSRF-TOKEN", token))
            .set_json(serde_json::json!({ "body": "after lunch" }))
    };
    clock.advance(Duration::hours(2));
    let stale = app.cookies()["XSRF-TOKEN"].clone();
    let r = app.send(send(stale.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.header("x-xsrf-rejection"), Some("expired"));
    assert!(comments.all().is_empty());
    let r = app.send(TestRequest::get().uri("/api/token")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let fresh = app.cookies()["XSRF-TOKEN"].clone();
    assert_ne!(fresh, stale);
    let r = app.send(send(fresh)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(comments.all(), ["after lunch"]);
}
