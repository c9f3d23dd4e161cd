//! The Redis one-time store against a real `redis-server`: the shared store
//! suite, a true race (K2), failure and recovery (K6), and TTLs.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use redis::AsyncCommands as _;
use time::{Duration, OffsetDateTime};
use xsrf_actix::RedisStore;
use xsrf_core::store::acceptance::{self, Expiry};
use xsrf_core::{CreateOptions, OneTimeKeys, Rejection};
use xsrf_tests::redis_server::RedisServer;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn redis_store_passes_the_acceptance_suite() {
    let server = RedisServer::start().expect("redis-server");
    let url = server.url();
    runtime().block_on(acceptance::run_all(Expiry::ByOwnClock, || {
        let url = url.clone();
        async move { RedisStore::new(&url).expect("store") }
    }));
}

#[test]
fn k2_redis_two_hundred_concurrent_takes_one_winner() {
    let server = RedisServer::start().expect("redis-server");
    let rt = runtime();
    let keys = Arc::new(OneTimeKeys::new(
        RedisStore::new(&server.url()).expect("store"),
    ));
    let now = OffsetDateTime::now_utc();
    let key = rt
        .block_on(keys.create(&CreateOptions::new(), &"prize", now))
        .expect("create");
    let barrier = Arc::new(tokio::sync::Barrier::new(200));
    let wins = rt.block_on(async {
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let (keys, key, barrier) = (Arc::clone(&keys), key.clone(), Arc::clone(&barrier));
                tokio::spawn(async move {
                    barrier.wait().await;
                    keys.validate::<String>(key.as_str(), None, now).await
                })
            })
            .collect();
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.expect("join"));
        }
        results
    });
    assert_eq!(wins.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(
        wins.iter()
            .all(|r| r.is_ok() || *r == Err(Rejection::AlreadyUsed))
    );
}

#[test]
fn k6_redis_down_fails_closed_quickly_and_recovers_without_restart() {
    let mut server = RedisServer::start().expect("redis-server");
    let rt = runtime();
    let store = RedisStore::new(&server.url())
        .expect("store")
        .with_timeout(StdDuration::from_millis(500));
    let keys = OneTimeKeys::new(store);
    let now = OffsetDateTime::now_utc();
    let key = rt
        .block_on(keys.create(&CreateOptions::new(), &1u8, now))
        .expect("create");
    server.stop();
    // A liveness bound (no hang), not a speed claim.
    let outcome = rt.block_on(async {
        tokio::time::timeout(
            StdDuration::from_secs(10),
            keys.validate::<u8>(key.as_str(), None, now),
        )
        .await
    });
    assert_eq!(outcome, Ok(Err(Rejection::StoreUnavailable)));
    server.restart().expect("restart");
    // Same store object: the connection manager reconnects by itself.
    let again = rt.block_on(async {
        let mut last = Err(Rejection::StoreUnavailable);
        for _ in 0..50 {
            if let Ok(k) = keys.create(&CreateOptions::new(), &2u8, now).await {
                last = keys.validate::<u8>(k.as_str(), None, now).await;
                break;
            }
            tokio::time::sleep(StdDuration::from_millis(100)).await;
        }
        last
    });
    assert_eq!(again, Ok(2));
}

#[test]
fn keys_carry_a_redis_ttl_and_no_plain_key() {
    let server = RedisServer::start().expect("redis-server");
    let rt = runtime();
    let keys = OneTimeKeys::new(RedisStore::new(&server.url()).expect("store"));
    let now = OffsetDateTime::now_utc();
    let opts = CreateOptions::new()
        .duration(Duration::seconds(30))
        .bound_to("s-1");
    let key = rt.block_on(keys.create(&opts, &(), now)).expect("create");
    rt.block_on(async {
        let client = redis::Client::open(server.url()).expect("client");
        let mut conn = client
            .get_multiplexed_async_connection()
            .await
            .expect("conn");
        let names: Vec<String> = conn.keys("xsrf:otk:*").await.expect("keys");
        assert_eq!(names.len(), 2, "{names:?}"); // the key and its session set
        assert!(
            names.iter().all(|n| !n.contains(key.as_str())),
            "keys are stored hashed"
        );
        for n in &names {
            let ttl: i64 = conn.pttl(n).await.expect("pttl");
            assert!(ttl > 0 && ttl <= 30_000, "{n}: {ttl}");
        }
    });
}
