//! Two instances of the demo on two ports sharing a key ring, Redis
//! sessions and the Redis one-time store (the `multi_instance` example),
//! and the one-time store failing while the app keeps serving (K6).

use std::net::TcpListener;

use actix_web::{HttpServer, cookie, web};
use xsrf_actix::store::RedisStore;
use xsrf_actix::{KeyRing, SigningKey};
use xsrf_examples::{forms, multi};
use xsrf_tests::fixture::{Log, clock, key_a};
use xsrf_tests::redis_server::RedisServer;
use xsrf_tests::server::{RawClient, TestServer};

fn token_of(page: &str) -> String {
    let marker = r#"name="xsrf_token" value=""#;
    let start = page
        .find(marker)
        .map(|i| i + marker.len())
        .expect("hidden field");
    page[start..].split('"').next().expect("value").to_owned()
}

fn link_of(page: &str) -> String {
    let start = page
        .find("href=\"/reset/")
        .map(|i| i + 6)
        .expect("reset link");
    page[start..].split('"').next().expect("link").to_owned()
}

#[actix_web::test]
async fn token_from_instance_a_works_on_b_and_a_key_used_on_a_is_gone_on_b() {
    let redis = RedisServer::start().expect("redis-server");
    let listeners: Vec<TcpListener> = (0..2)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect();
    let addrs: Vec<_> = listeners
        .iter()
        .map(|l| l.local_addr().expect("addr"))
        .collect();
    let origins: Vec<String> = addrs.iter().map(|a| format!("http://{a}")).collect();
    let ring = KeyRing::new(SigningKey::from_bytes(&[0x42; 32]).expect("key"));
    let session_key = cookie::Key::from(&[0x17; 64]);
    let mut handles = Vec::new();
    for listener in listeners {
        let xsrf = multi::xsrf(ring.clone(), &origins, &redis.url()).expect("xsrf");
        let store = multi::session_store(&redis.url()).await.expect("sessions");
        let key = session_key.clone();
        // Each instance keeps its own comments, as separate processes would.
        let comments = web::Data::new(forms::Comments::default());
        let server = HttpServer::new(move || {
            forms::app(
                xsrf.clone(),
                comments.clone(),
                multi::sessions(&xsrf, store.clone(), key.clone()),
            )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
        handles.push(server.handle());
        actix_web::rt::spawn(server);
    }
    let (a, b) = (addrs[0], addrs[1]);
    let mut c = RawClient::default();

    // The page (and the session) from A ...
    let page = c.send(a, "GET", "/", &[], b"").await.expect("GET A");
    assert_eq!(page.status, 200);
    let token = token_of(&page.text());
    // ... the post to B, as a browser would send it from A's page.
    let form = [
        ("Origin", origins[0].as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let body = format!("xsrf_token={token}&body=from+A+to+B");
    let r = c
        .send(b, "POST", "/comments", &form, body.as_bytes())
        .await
        .expect("POST B");
    assert_eq!(r.status, 303, "{}", r.text());
    let list = c
        .send(b, "GET", "/api/comments", &[], b"")
        .await
        .expect("list B");
    assert_eq!(list.text(), r#"["from A to B"]"#);

    // A one-time key made on A, used on A, is refused on B.
    let r = c
        .send(
            a,
            "POST",
            "/reset-link",
            &form,
            format!("xsrf_token={token}").as_bytes(),
        )
        .await
        .expect("reset link");
    assert_eq!(r.status, 200, "{}", r.text());
    let link = link_of(&r.text());
    let r = c.send(a, "POST", &link, &[], b"").await.expect("use on A");
    assert_eq!(r.status, 200, "{}", r.text());
    let r = c.send(b, "POST", &link, &[], b"").await.expect("use on B");
    assert_eq!(r.status, 403, "{}", r.text());

    // And the other way round: made on A, first used on B, then refused on A.
    let r = c
        .send(
            a,
            "POST",
            "/reset-link",
            &form,
            format!("xsrf_token={token}").as_bytes(),
        )
        .await
        .expect("reset link");
    let link = link_of(&r.text());
    assert_eq!(
        c.send(b, "POST", &link, &[], b"").await.expect("B").status,
        200
    );
    assert_eq!(
        c.send(a, "POST", &link, &[], b"").await.expect("A").status,
        403
    );
    for h in handles {
        h.stop(false).await;
    }
}

#[actix_web::test]
async fn k6_redis_unreachable_refuses_with_503_serves_other_routes_and_recovers() {
    let mut redis = RedisServer::start().expect("redis-server");
    let store = RedisStore::new(&redis.url())
        .expect("store")
        .with_timeout(time::Duration::milliseconds(500));
    let log = Log::default();
    // No site origin (the port is chosen at bind): Origin is compared with Host.
    let xsrf = xsrf_actix::Xsrf::builder()
        .secret(key_a())
        .clock(clock())
        .one_time_store(store)
        .build()
        .expect("xsrf");
    let srv = TestServer::start(xsrf, log.clone()).await.expect("server");
    let origin = format!("http://{}", srv.addr);
    let mut c = RawClient::default();
    let token = c.token(srv.addr).await.expect("token");
    let hdrs = [
        ("Origin", origin.as_str()),
        ("X-XSRF-Token", token.as_str()),
    ];
    let r = c
        .send(srv.addr, "POST", "/one-time", &hdrs, b"")
        .await
        .expect("create");
    assert_eq!(r.status, 200, "{}", r.text());
    let key = r.text();

    redis.stop();
    let use_key = [("Origin", origin.as_str()), ("X-XSRF-Token", key.as_str())];
    let r = c
        .send(srv.addr, "POST", "/one-time/use", &use_key, b"")
        .await
        .expect("use");
    assert_eq!(r.status, 503);
    assert_eq!(r.text().trim(), "XSRF key store unavailable");
    assert!(log.is_empty(), "fail closed: the handler did not run");
    // Other routes keep serving, tokens included.
    let r = c
        .send(srv.addr, "GET", "/form", &[], b"")
        .await
        .expect("form");
    assert_eq!(r.status, 200);
    let r = c
        .send(
            srv.addr,
            "POST",
            "/header-only",
            &[
                ("Origin", origin.as_str()),
                ("X-XSRF-Token", token.as_str()),
            ],
            b"",
        )
        .await
        .expect("header-only");
    assert_eq!(r.status, 200);

    // Redis back (empty: it persists nothing): new keys work, no restart.
    redis.restart().expect("restart");
    let mut ok = false;
    for _ in 0..50 {
        let r = c
            .send(srv.addr, "POST", "/one-time", &hdrs, b"")
            .await
            .expect("create");
        if r.status == 200 {
            let fresh = r.text();
            let hdr = [
                ("Origin", origin.as_str()),
                ("X-XSRF-Token", fresh.as_str()),
            ];
            let r = c
                .send(srv.addr, "POST", "/one-time/use", &hdr, b"")
                .await
                .expect("use");
            ok = r.status == 200;
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ok, "one-time keys work again after Redis is back");
    assert_eq!(log.entries(), ["header-only", "one-time:payload"]);
    srv.stop().await;
}

#[actix_web::test]
async fn k2_redis_store_one_key_raced_by_200_http_requests_has_one_winner() {
    let redis = RedisServer::start().expect("redis-server");
    let log = Log::default();
    let xsrf = xsrf_actix::Xsrf::builder()
        .secret(key_a())
        .clock(clock())
        .one_time_store(RedisStore::new(&redis.url()).expect("store"))
        .build()
        .expect("xsrf");
    let srv = TestServer::start(xsrf, log.clone()).await.expect("server");
    let statuses = xsrf_tests::server::race_one_time_key(srv.addr, 200)
        .await
        .expect("race");
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 403).count(), 199);
    assert_eq!(log.entries(), ["one-time:payload"]);
    srv.stop().await;
}
