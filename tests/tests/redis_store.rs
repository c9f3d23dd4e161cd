//! The Redis one-time store against a real `redis-server`: the shared store
//! suite, a true race (K2), failure and recovery (K6), TTLs, layout and
//! corrupt data.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use redis::AsyncCommands as _;
use time::{Duration, OffsetDateTime};
use xsrf_actix::RedisStore;
use xsrf_core::store::acceptance::{self, Expiry};
use xsrf_core::store::{KeyDigest, KeyStore, SessionDigest, StoreError, StoredKey, Taken};
use xsrf_core::{CreateOptions, OneTimeKeys, Rejection};
use xsrf_tests::redis_server::RedisServer;

/// Liveness bound on anything that talks to a dead Redis: no hang.
const LIVENESS: StdDuration = StdDuration::from_secs(10);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime")
}

async fn raw(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .expect("client")
        .get_multiplexed_async_connection()
        .await
        .expect("raw connection")
}

fn stored(data: &[u8], session: Option<&str>, ttl: Duration) -> StoredKey {
    StoredKey {
        data: data.to_vec(),
        session: session.map(str::to_owned),
        expires_at: OffsetDateTime::now_utc() + ttl,
    }
}

/// Retries `f` until it succeeds (the manager reconnecting), within 10 s.
async fn eventually<T, F, Fut>(mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + LIVENESS;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "did not recover within {LIVENESS:?}"
        );
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
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
    let store = Arc::new(RedisStore::new(&server.url()).expect("store"));
    let digest = KeyDigest::of("k2-prize");
    let owner = "k2-owner";
    rt.block_on(store.put(
        digest,
        stored(b"\"prize\"", Some(owner), Duration::minutes(5)),
        OffsetDateTime::now_utc(),
    ))
    .expect("put");
    let barrier = Arc::new(tokio::sync::Barrier::new(200));
    let results = rt.block_on(async {
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
                tokio::spawn(async move {
                    barrier.wait().await;
                    store
                        .take(digest, Some(owner), OffsetDateTime::now_utc())
                        .await
                })
            })
            .collect();
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.expect("join"));
        }
        results
    });
    let winners = results
        .iter()
        .filter(|r| matches!(r, Ok(Taken::Valid(d)) if d == b"\"prize\""))
        .count();
    assert_eq!(winners, 1, "{results:?}");
    let losers = results.iter().filter(|r| **r == Ok(Taken::Missing)).count();
    assert_eq!(losers, 199, "{results:?}");
}

#[test]
fn k6_redis_down_fails_closed_and_recovers() {
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
        tokio::time::timeout(LIVENESS, keys.validate::<u8>(key.as_str(), None, now)).await
    });
    assert_eq!(outcome, Ok(Err(Rejection::StoreUnavailable)));
    let create = rt.block_on(async {
        tokio::time::timeout(LIVENESS, keys.create(&CreateOptions::new(), &1u8, now)).await
    });
    assert!(matches!(create, Ok(Err(_))), "{create:?}");

    server.restart().expect("restart");
    // Same store object: the connection manager reconnects by itself.
    let again = rt.block_on(eventually(|| async {
        let k = keys.create(&CreateOptions::new(), &2u8, now).await.ok()?;
        Some(keys.validate::<u8>(k.as_str(), None, now).await)
    }));
    assert_eq!(again, Ok(2));
}

#[test]
fn app_starts_while_redis_is_down_and_connects_when_it_comes_up() {
    let mut server = RedisServer::start().expect("redis-server");
    server.stop();
    let rt = runtime();
    // `connect` checks Redis now; `new` does not.
    let eager = rt.block_on(async {
        tokio::time::timeout(LIVENESS, RedisStore::connect(&server.url())).await
    });
    assert!(
        matches!(eager, Ok(Err(StoreError::Unavailable(_)))),
        "{eager:?}"
    );
    let store = RedisStore::new(&server.url())
        .expect("new does not connect")
        .with_timeout(StdDuration::from_millis(500));
    let digest = KeyDigest::of("down-at-start");
    let down = rt.block_on(async {
        tokio::time::timeout(
            LIVENESS,
            store.put(
                digest,
                stored(b"1", Some("s"), Duration::minutes(1)),
                OffsetDateTime::now_utc(),
            ),
        )
        .await
    });
    let Ok(Err(StoreError::Unavailable(reason))) = down else {
        panic!("{down:?}");
    };
    // Reasons name the failure, never key material.
    assert!(!reason.contains(&digest.to_hex()), "{reason}");
    assert!(reason.starts_with("Redis: "), "{reason}");

    server.restart().expect("start");
    rt.block_on(eventually(|| async {
        store
            .put(
                digest,
                stored(b"1", Some("s"), Duration::minutes(1)),
                OffsetDateTime::now_utc(),
            )
            .await
            .ok()
    }));
    assert_eq!(
        rt.block_on(store.take(digest, Some("s"), OffsetDateTime::now_utc())),
        Ok(Taken::Valid(b"1".to_vec()))
    );
    let eager = rt.block_on(RedisStore::connect(&server.url()));
    assert!(eager.is_ok(), "{eager:?}");
}

#[test]
fn recovers_after_a_reconnection_refused_by_the_server() {
    // The manager alone would repeat a failed AUTH forever; the store
    // drops it and starts afresh.
    let mut server = RedisServer::start_with(&["--requirepass", "right"]).expect("redis-server");
    let url = format!("redis://:right@127.0.0.1:{}/", server.port());
    let rt = runtime();
    let store = RedisStore::new(&url)
        .expect("store")
        .with_timeout(StdDuration::from_millis(500));
    let digest = KeyDigest::of("auth");
    let put = |d| {
        store.put(
            d,
            stored(b"1", None, Duration::minutes(1)),
            OffsetDateTime::now_utc(),
        )
    };
    rt.block_on(put(digest)).expect("put");

    server
        .restart_with(&["--requirepass", "changed"])
        .expect("restart");
    let refused = rt.block_on(async {
        let mut last = Ok(());
        for _ in 0..5 {
            last = tokio::time::timeout(LIVENESS, put(digest))
                .await
                .expect("liveness");
            tokio::time::sleep(StdDuration::from_millis(100)).await;
        }
        last
    });
    assert!(
        matches!(&refused, Err(StoreError::Unavailable(r)) if r.starts_with("Redis: ")),
        "{refused:?}"
    );

    server
        .restart_with(&["--requirepass", "right"])
        .expect("restart");
    rt.block_on(eventually(|| async { put(digest).await.ok() }));
    assert_eq!(
        rt.block_on(store.take(digest, None, OffsetDateTime::now_utc())),
        Ok(Taken::Valid(b"1".to_vec()))
    );
}

#[test]
fn a_one_second_key_has_a_redis_ttl_and_vanishes_by_itself() {
    let server = RedisServer::start().expect("redis-server");
    let rt = runtime();
    let store = RedisStore::new(&server.url()).expect("store");
    let digest = KeyDigest::of("one-second");
    let name = format!("xsrf:otk:{}", digest.to_hex());
    let set = format!(
        "xsrf:otk:session:{}",
        SessionDigest::of("ttl-session").to_hex()
    );
    let set = set.as_str();
    rt.block_on(async {
        store
            .put(
                digest,
                stored(b"1", Some("ttl-session"), Duration::seconds(1)),
                OffsetDateTime::now_utc(),
            )
            .await
            .expect("put");
        let mut conn = raw(&server).await;
        assert!(conn.exists::<_, bool>(&name).await.expect("exists"));
        for n in [name.as_str(), set] {
            let ttl: i64 = conn.pttl(n).await.expect("pttl");
            assert!(ttl > 0 && ttl <= 1_000, "{n}: {ttl} ms");
        }
        // Redis expires it on its own clock: no purge call.
        let deadline = tokio::time::Instant::now() + StdDuration::from_secs(3);
        while conn.exists::<_, bool>(&name).await.expect("exists") {
            assert!(tokio::time::Instant::now() < deadline, "still there");
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
        assert!(!conn.exists::<_, bool>(set).await.expect("exists"));
        assert_eq!(
            store
                .take(digest, Some("ttl-session"), OffsetDateTime::now_utc())
                .await,
            Ok(Taken::Missing)
        );
    });
}

#[test]
fn keys_are_stored_hashed_with_a_session_set() {
    let server = RedisServer::start().expect("redis-server");
    let rt = runtime();
    let keys = OneTimeKeys::new(RedisStore::new(&server.url()).expect("store"));
    let now = OffsetDateTime::now_utc();
    let opts = CreateOptions::new()
        .duration(Duration::seconds(30))
        .bound_to("salt-of-s-1");
    let key = rt.block_on(keys.create(&opts, &(), now)).expect("create");
    rt.block_on(async {
        let mut conn = raw(&server).await;
        // KEYS is fine here, on the test's own server; the store never uses it.
        let mut names: Vec<String> = conn.keys("*").await.expect("keys");
        names.sort();
        let digest = KeyDigest::of(key.as_str()).to_hex();
        assert_eq!(
            names,
            [
                format!("xsrf:otk:{digest}"),
                format!(
                    "xsrf:otk:session:{}",
                    SessionDigest::of("salt-of-s-1").to_hex()
                )
            ]
        );
        let dump: String = conn.get(&names[0]).await.expect("get");
        assert!(!dump.contains(key.as_str()), "keys are stored hashed");
        // The session is kept (and compared by the script) as a digest.
        assert!(!dump.contains("salt-of-s-1"), "{dump}");
        assert!(
            dump.contains(&SessionDigest::of("salt-of-s-1").to_hex()),
            "{dump}"
        );
        let members: Vec<String> = conn.smembers(&names[1]).await.expect("smembers");
        assert_eq!(members, [digest]);
        for n in &names {
            let ttl: i64 = conn.pttl(n).await.expect("pttl");
            assert!(ttl > 0 && ttl <= 30_000, "{n}: {ttl}");
        }
        // Using the key removes it from its session set too.
        assert_eq!(
            keys.validate::<()>(key.as_str(), Some("salt-of-s-1"), now)
                .await,
            Ok(())
        );
        let left: Vec<String> = conn.keys("*").await.expect("keys");
        assert!(left.is_empty(), "{left:?}");
    });
}

#[test]
fn clear_session_deletes_that_session_only_and_its_set() {
    let server = RedisServer::start().expect("redis-server");
    let rt = runtime();
    let keys = OneTimeKeys::new(RedisStore::new(&server.url()).expect("store"));
    let now = OffsetDateTime::now_utc();
    rt.block_on(async {
        let mut mine = Vec::new();
        for _ in 0..3 {
            mine.push(
                keys.create(&CreateOptions::new().bound_to("alice"), &1u8, now)
                    .await
                    .expect("create"),
            );
        }
        let bobs = keys
            .create(&CreateOptions::new().bound_to("bob"), &2u8, now)
            .await
            .expect("create");
        // One is used already: only the two left are counted.
        assert_eq!(
            keys.validate::<u8>(mine[0].as_str(), Some("alice"), now)
                .await,
            Ok(1)
        );
        assert_eq!(keys.clear_session("alice").await, Ok(2));
        assert_eq!(keys.clear_session("alice").await, Ok(0));
        for k in &mine[1..] {
            assert!(
                keys.validate::<u8>(k.as_str(), Some("alice"), now)
                    .await
                    .is_err()
            );
        }
        let mut conn = raw(&server).await;
        assert!(
            !conn
                .exists::<_, bool>(format!(
                    "xsrf:otk:session:{}",
                    SessionDigest::of("alice").to_hex()
                ))
                .await
                .expect("exists")
        );
        assert_eq!(
            keys.validate::<u8>(bobs.as_str(), Some("bob"), now).await,
            Ok(2)
        );
    });
}

#[test]
fn prefixes_keep_applications_apart() {
    let server = RedisServer::start().expect("redis-server");
    let rt = runtime();
    let shop = RedisStore::new(&server.url())
        .expect("store")
        .with_prefix("shop:");
    let blog = RedisStore::new(&server.url())
        .expect("store")
        .with_prefix("blog:");
    assert_eq!(shop.prefix(), "shop:");
    let digest = KeyDigest::of("shared");
    let now = OffsetDateTime::now_utc();
    rt.block_on(async {
        shop.put(digest, stored(b"1", Some("s"), Duration::minutes(1)), now)
            .await
            .expect("put");
        assert_eq!(blog.take(digest, Some("s"), now).await, Ok(Taken::Missing));
        assert_eq!(blog.clear_session("s").await, Ok(0));
        let mut conn = raw(&server).await;
        assert!(
            conn.exists::<_, bool>(format!("shop:{}", digest.to_hex()))
                .await
                .expect("exists")
        );
        assert_eq!(
            shop.take(digest, Some("s"), now).await,
            Ok(Taken::Valid(b"1".to_vec()))
        );
    });
}

#[test]
fn foreign_values_are_corrupt_and_left_in_place() {
    let server = RedisServer::start().expect("redis-server");
    let rt = runtime();
    let store = RedisStore::new(&server.url()).expect("store");
    let now = OffsetDateTime::now_utc();
    rt.block_on(async {
        let mut conn = raw(&server).await;
        // Shaped like a key, so validation reaches the store.
        let not_json = KeyDigest::of("NotJsonNotJsonNotJson0");
        let _: () = conn
            .set(format!("xsrf:otk:{}", not_json.to_hex()), "hello")
            .await
            .expect("set");
        let wrong_shape = KeyDigest::of("wrong-shape");
        let _: () = conn
            .set(
                format!("xsrf:otk:{}", wrong_shape.to_hex()),
                r#"{"d":1,"s":null,"e":"soon"}"#,
            )
            .await
            .expect("set");
        let bad_base64 = KeyDigest::of("bad-base64");
        let _: () = conn
            .set(
                format!("xsrf:otk:{}", bad_base64.to_hex()),
                r#"{"d":"!!","s":null,"e":99999999999999}"#,
            )
            .await
            .expect("set");
        let a_hash = KeyDigest::of("a-hash");
        let _: () = conn
            .hset(format!("xsrf:otk:{}", a_hash.to_hex()), "d", "x")
            .await
            .expect("hset");
        for d in [not_json, wrong_shape, bad_base64, a_hash] {
            assert_eq!(store.take(d, None, now).await, Err(StoreError::Corrupt));
        }
        for d in [not_json, wrong_shape, a_hash] {
            assert!(
                conn.exists::<_, bool>(format!("xsrf:otk:{}", d.to_hex()))
                    .await
                    .expect("exists"),
                "left for an operator to look at"
            );
        }
        // Validation fails closed on it.
        let keys = OneTimeKeys::new(store.clone());
        assert_eq!(
            keys.validate::<u8>("NotJsonNotJsonNotJson0", None, now)
                .await,
            Err(Rejection::StoreUnavailable)
        );
    });
}

#[test]
fn the_script_compares_session_digests_never_raw_sessions() {
    // Lua's `==` is not constant-time, so the take script must only ever
    // see digests. A value written with the raw session (as an older
    // layout or a careless writer would) must not match that session.
    let server = RedisServer::start().expect("redis-server");
    let rt = runtime();
    let store = RedisStore::new(&server.url()).expect("store");
    let now = OffsetDateTime::now_utc();
    rt.block_on(async {
        let raw_session = KeyDigest::of("raw-session-value");
        let far = now.unix_timestamp() * 1000 + 600_000;
        let mut conn = raw(&server).await;
        let _: () = conn
            .set(
                format!("xsrf:otk:{}", raw_session.to_hex()),
                format!(r#"{{"d":"MQ==","s":"the-salt","e":{far}}}"#),
            )
            .await
            .expect("set");
        assert_eq!(
            store.take(raw_session, Some("the-salt"), now).await,
            Ok(Taken::OtherSession)
        );
        // The digest of the salt is what matches.
        let hashed = KeyDigest::of("hashed-session-value");
        let _: () = conn
            .set(
                format!("xsrf:otk:{}", hashed.to_hex()),
                format!(
                    r#"{{"d":"MQ==","s":"{}","e":{far}}}"#,
                    SessionDigest::of("the-salt").to_hex()
                ),
            )
            .await
            .expect("set");
        assert_eq!(
            store.take(hashed, Some("the-salt"), now).await,
            Ok(Taken::Valid(b"1".to_vec()))
        );
    });
}
