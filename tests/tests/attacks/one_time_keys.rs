//! Attack matrix, one-time key rows K1, K3, K4, K5 and K7, through a real
//! actix-web app with the in-process store. (K2 races over real sockets in
//! the `sockets` binary; K6 needs Redis, in `redis_stores`. K8 and K9 in
//! `flood`, K9's limit per client address in `address_limit`, K10 in
//! `static_key`.)

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use time::Duration;
use xsrf_tests::fixture::*;

mod address_limit;
mod flood;
mod static_key;

async fn create_key(c: &Client<impl AppService>) -> String {
    let t = c.token().await;
    let r = c
        .send(post("/one-time").insert_header(("x-xsrf-token", t)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

fn use_key(key: &str) -> TestRequest {
    post("/one-time/use").insert_header(("x-xsrf-token", key))
}

#[actix_web::test]
async fn k1_key_used_twice_is_accepted_then_refused() {
    let clock = clock();
    let (c, log) = start(builder(&clock)).await;
    let key = create_key(&c).await;
    let r = c.send(use_key(&key)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = c.send(use_key(&key)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body.trim(), "one-time key unknown or already used");
    assert_eq!(log.entries(), ["one-time:payload"]);
}

#[actix_web::test]
async fn k1_handle_token_one_time_burns_the_key() {
    let clock = clock();
    let (c, log) = start(builder(&clock)).await;
    let key = create_key(&c).await;
    let burn = || post("/one-time/burn").insert_header(("x-xsrf-token", key.as_str()));
    assert_eq!(c.send(burn()).await.status, StatusCode::OK);
    assert_eq!(c.send(burn()).await.status, StatusCode::FORBIDDEN);
    // A signed token is not a one-time key.
    let t = c.token().await;
    let r = c
        .send(post("/one-time/burn").insert_header(("x-xsrf-token", t)))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(log.entries(), ["burnt"]);
}

#[actix_web::test]
async fn k3_key_from_another_session_is_refused_and_not_burnt() {
    let clock = clock();
    let (c, log) = start(builder(&clock)).await;
    let key = create_key(&c).await;
    let owner = c.cookies();
    c.set_cookies(Default::default());
    c.token().await; // the thief's own session
    let r = c.send(use_key(&key)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body.trim(), "one-time key belongs to another session");
    assert!(log.is_empty());
    c.set_cookies(owner);
    let r = c.send(use_key(&key)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(log.entries(), ["one-time:payload"]);
}

#[actix_web::test]
async fn k4_expired_key_is_refused() {
    let clock = clock();
    let (c, log) = start(builder(&clock)).await;
    let key = create_key(&c).await;
    clock.advance(Duration::minutes(11));
    let r = c.send(use_key(&key)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body.trim(), "one-time key expired");
    assert!(log.is_empty());
}

#[actix_web::test]
async fn k5_key_after_logout_is_refused() {
    let clock = clock();
    let store = CountingStore::default();
    let (c, log) = start(builder(&clock).one_time_store(store.clone())).await;
    let key = create_key(&c).await;
    assert_eq!(store.inner.len(), 1, "the key is stored");
    let t = c.token().await;
    let r = c
        .send(post("/logout").insert_header(("x-xsrf-token", t)))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Logging out deleted the session's keys from the store itself.
    assert!(
        store.calls().contains(&"clear_session"),
        "{:?}",
        store.calls()
    );
    assert_eq!(store.inner.len(), 0, "the key is gone from the store");
    let r = c.send(use_key(&key)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A deleted key and a used one give the same answer: the store keeps
    // no trace of either.
    assert_eq!(r.header("x-xsrf-rejection"), Some("already-used"));
    assert_eq!(r.body.trim(), "one-time key unknown or already used");
    assert!(log.is_empty(), "the handler ran: {:?}", log.entries());
}

#[actix_web::test]
async fn junk_keys_are_refused_before_the_store() {
    let clock = clock();
    let store = CountingStore::default();
    let (c, log) = start(builder(&clock).one_time_store(store.clone())).await;
    c.token().await; // a session, so only the key is wrong
    let long = "A".repeat(1 << 20);
    for junk in [
        "",
        "   ",
        "short",
        long.as_str(),
        "ABCDEFGHIJK/+=",
        "ÄÄÄÄÄÄÄÄÄÄÄÄ",
    ] {
        let r = c.send(use_key(junk)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{junk:.20}: {}", r.body);
        let r = c
            .send(form_post(
                "/one-time/use",
                &format!("xsrf_token={}", junk.replace(' ', "+")),
            ))
            .await;
        // 1 MB of junk in the body is over the scan limit: 413.
        assert!(
            matches!(
                r.status,
                StatusCode::FORBIDDEN | StatusCode::PAYLOAD_TOO_LARGE
            ),
            "{junk:.20}: {} {}",
            r.status,
            r.body
        );
    }
    assert!(log.is_empty(), "the handler ran: {:?}", log.entries());
    assert_eq!(store.calls(), Vec::<&str>::new(), "junk reached the store");
    // The count is live: a well-formed key is looked up, once.
    let key = create_key(&c).await;
    assert_eq!(c.send(use_key(&key)).await.status, StatusCode::OK);
    assert_eq!(store.calls(), ["put", "take"]);
}

#[actix_web::test]
async fn k7_static_session_key_only_for_the_client_that_got_it() {
    let clock = clock();
    let (c, log) = start(builder(&clock)).await;
    let t = c.token().await;
    let r = c
        .send(post("/static-login").insert_header(("x-xsrf-token", t)))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let key = r
        .header("sec-xsrf-static-key")
        .expect("static key revealed")
        .to_owned();
    assert_eq!(key.len(), 43);
    // A programmatic client: no Origin, no fetch metadata, marker + key.
    let api = |k: &str| {
        TestRequest::post()
            .uri("/api/comments")
            .insert_header(("x-xsrf-token", "STATIC_SESSION_KEY"))
            .insert_header(("sec-xsrf-static-key", k.to_owned()))
            .set_json(serde_json::json!({"body": "from a tool"}))
    };
    let r = c.send(api(&key)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Wrong key, missing key header, and the right key from another session.
    let mut wrong = key.clone();
    wrong.replace_range(0..1, if key.starts_with('A') { "B" } else { "A" });
    let r = c.send(api(&wrong)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body.trim(), "static session key invalid");
    let r = c
        .send(
            TestRequest::post()
                .uri("/api/comments")
                .insert_header(("x-xsrf-token", "STATIC_SESSION_KEY"))
                .set_json(serde_json::json!({"body": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    c.set_cookies(Default::default());
    c.token().await;
    let r = c.send(api(&key)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(log.entries(), ["api:from a tool"]);
}

#[actix_web::test]
async fn purge_task_deletes_expired_keys() {
    let clock = clock();
    let store = std::sync::Arc::new(xsrf_actix::store::MemoryStore::default());
    let xsrf = builder(&clock)
        .one_time_store(std::sync::Arc::clone(&store))
        .build()
        .expect("xsrf");
    // Created by a job, outside any request.
    let created = xsrf_actix::Clock::now(&clock);
    let short = xsrf_actix::CreateOptions::new().duration(Duration::seconds(5));
    xsrf.one_time_keys()
        .create(&short, &(), created)
        .await
        .expect("short key");
    let long = xsrf
        .one_time_keys()
        .create(&xsrf_actix::CreateOptions::new(), &(), created)
        .await
        .expect("long key");
    assert_eq!(store.len(), 2);
    clock.advance(Duration::seconds(6));
    let task = xsrf.start_purge_task(time::Duration::milliseconds(5));
    // Bounded wait for the task's first rounds; no assertion on timing.
    for _ in 0..400 {
        if store.len() == 1 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    task.abort();
    assert_eq!(
        store.len(),
        1,
        "the expired key is purged, the live one kept"
    );
    let now = xsrf_actix::Clock::now(&clock);
    assert_eq!(
        xsrf.one_time_keys()
            .validate::<()>(long.as_str(), None, now)
            .await,
        Ok(())
    );
}
