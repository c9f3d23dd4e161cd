//! Attack matrix row K9 on `RedisStore`, through the demo on a real
//! listening socket and a real `redis-server`: one session asking for more
//! reset links than the store holds never fills it (its own oldest go),
//! and a flood from one address is answered `429` past its limit while a
//! visitor from another address keeps getting working links.

use actix_session::storage::CookieSessionStore;
use redis::AsyncCommands as _;
use xsrf_actix::store::RedisStore;
use xsrf_examples::forms;
use xsrf_examples::rate_limit::PerAddress;
use xsrf_tests::redis_server::RedisServer;
use xsrf_tests::reset_links::{OTHER_ADDRESS, ask, ask_and_use, flood_the_demo, link_of, visit};
use xsrf_tests::server::{RawClient, start_example_with};

const UNBOUND: &str = "xsrf:otk:{unbound}:k";

async fn raw(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .expect("client")
        .get_multiplexed_async_connection()
        .await
        .expect("raw connection")
}

/// The sizes of the per-session counts of unbound keys, smallest first.
async fn counted(conn: &mut redis::aio::MultiplexedConnection) -> Vec<usize> {
    let names: Vec<String> = conn.keys("xsrf:otk:{unbound}:c:*").await.expect("keys");
    let mut sizes = Vec::new();
    for name in names {
        sizes.push(conn.zcard(&name).await.expect("zcard"));
    }
    sizes.sort_unstable();
    sizes
}

#[actix_web::test]
async fn k9_redis_one_session_asking_for_more_reset_links_than_the_store_holds_never_fills_it() {
    let redis = RedisServer::start().expect("redis-server");
    let store = RedisStore::new(&redis.url())
        .expect("store")
        .with_session_quota(8)
        .with_unbound_capacity(50);
    // The demo without its limit per address: this is the store's rule.
    let demo = start_example_with(
        |x, c, s| forms::app_with(x, c, s, PerAddress::per_minute(0)),
        move |b| b.one_time_store(store),
    );
    let addr = demo.addr;
    let mut conn = raw(&redis).await;

    let mut alice = RawClient::default();
    let token = visit(&mut alice, addr).await.expect("alice");
    let r = ask(&mut alice, addr, &token).await.expect("alice's link");
    assert_eq!(r.status, 200, "{}", r.text());
    let alices_link = link_of(&r.text()).expect("link");

    // One session, more than twice what the whole store holds.
    let mut mallory = RawClient::default();
    let token = visit(&mut mallory, addr).await.expect("mallory");
    let mut links = Vec::new();
    for _ in 0..120 {
        let r = ask(&mut mallory, addr, &token).await.expect("ask");
        assert_eq!(r.status, 200, "a session recycles its own: {}", r.text());
        links.push(link_of(&r.text()).expect("link"));
    }
    let held: usize = conn.hlen(UNBOUND).await.expect("hlen");
    assert_eq!(held, 1 + 8, "Alice's link and Mallory's 8 newest");
    assert_eq!(counted(&mut conn).await, [1, 8]);

    // Newcomers get the rest of the room, one link each ...
    for i in 0..41 {
        let mut c = RawClient::default();
        let token = visit(&mut c, addr).await.expect("visit");
        let r = ask(&mut c, addr, &token).await.expect("ask");
        assert_eq!(r.status, 200, "newcomer {i}: {}", r.text());
    }
    // ... then the store is full for a session holding none ...
    let mut late = RawClient::default();
    let token = visit(&mut late, addr).await.expect("visit");
    let r = ask(&mut late, addr, &token).await.expect("ask");
    assert_eq!(r.status, 503, "{}", r.text());
    // ... while Mallory only ever recycles her own.
    let token = visit(&mut mallory, addr).await.expect("mallory");
    let r = ask(&mut mallory, addr, &token).await.expect("ask");
    assert_eq!(r.status, 200, "{}", r.text());
    links.push(link_of(&r.text()).expect("link"));
    let held: usize = conn.hlen(UNBOUND).await.expect("hlen");
    assert_eq!(held, 50);

    // Evicted links are gone; her newest and Alice's work from anywhere.
    let mut reader = RawClient {
        from: Some(OTHER_ADDRESS),
        ..RawClient::default()
    };
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    for link in &links[..links.len() - 8] {
        let r = reader
            .send(addr, "POST", link, &form, b"password=new")
            .await
            .expect("use");
        assert_eq!(r.status, 403, "an evicted link: {}", r.text());
    }
    for link in links[links.len() - 8..].iter().chain([&alices_link]) {
        let r = reader
            .send(addr, "POST", link, &form, b"password=new")
            .await
            .expect("use");
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // Used links no longer hold room, from whichever session used them.
    let held: usize = conn.hlen(UNBOUND).await.expect("hlen");
    assert_eq!(held, 41);
    assert_eq!(
        ask_and_use(OTHER_ADDRESS, addr).await.expect("visit"),
        [200, 200, 200, 403]
    );
    demo.handle.stop(false).await;
}

#[actix_web::test]
async fn k9_redis_reset_link_flood_from_one_address_gets_429_while_another_address_gets_working_links()
 {
    let redis = RedisServer::start().expect("redis-server");
    let store = RedisStore::new(&redis.url()).expect("store");
    let demo = start_example_with(forms::app::<CookieSessionStore>, move |b| {
        b.one_time_store(store)
    });
    let links = flood_the_demo(demo.addr, "redis").await;
    // The handler ran only for the links let through; the visitor's two
    // were used since.
    let held: usize = raw(&redis).await.hlen(UNBOUND).await.expect("hlen");
    assert_eq!(held, links);
    demo.handle.stop(false).await;
}
