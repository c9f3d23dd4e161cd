//! The Redis one-time store against a real `redis-server`: the shared store
//! suite, a true race (K2), failure and recovery (K6), TTLs, layout and
//! corrupt data.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use redis::AsyncCommands as _;
use time::{Duration, OffsetDateTime};
use xsrf_actix::store::RedisStore;
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
        quota_owner: None,
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
    let n = std::sync::atomic::AtomicUsize::new(0);
    runtime().block_on(acceptance::run_all(Expiry::ByOwnClock, || {
        // A prefix per store: the flood checks fill the unbound keys.
        let prefix = format!(
            "suite{}:",
            n.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let url = url.clone();
        async move {
            RedisStore::new(&url)
                .expect("store")
                .with_prefix(prefix)
                .with_session_quota(8)
                .with_unbound_capacity(16)
        }
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
        .with_timeout(time::Duration::milliseconds(500));
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
        .with_timeout(time::Duration::milliseconds(500));
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
        .with_timeout(time::Duration::milliseconds(500));
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

/// The names a session's keys live under (one hash tag).
fn session_names(prefix: &str, session: &str) -> [String; 2] {
    let tag = SessionDigest::of(session).to_hex();
    [
        format!("{prefix}{{{tag}}}:k"),
        format!("{prefix}{{{tag}}}:o"),
    ]
}

#[test]
fn a_one_second_key_has_a_redis_ttl_and_vanishes_by_itself() {
    let server = RedisServer::start().expect("redis-server");
    let rt = runtime();
    let store = RedisStore::new(&server.url()).expect("store");
    let digest = KeyDigest::of("one-second");
    let names = session_names("xsrf:otk:", "ttl-session");
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
        for n in &names {
            assert!(conn.exists::<_, bool>(n).await.expect("exists"), "{n}");
            let ttl: i64 = conn.pttl(n).await.expect("pttl");
            assert!(ttl > 0 && ttl <= 1_000, "{n}: {ttl} ms");
        }
        // Redis expires it on its own clock: no purge call.
        let deadline = tokio::time::Instant::now() + StdDuration::from_secs(3);
        while conn.exists::<_, bool>(&names[0]).await.expect("exists") {
            assert!(tokio::time::Instant::now() < deadline, "still there");
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
        assert!(!conn.exists::<_, bool>(&names[1]).await.expect("exists"));
        assert_eq!(
            store
                .take(digest, Some("ttl-session"), OffsetDateTime::now_utc())
                .await,
            Ok(Taken::Missing)
        );
    });
}

#[test]
fn keys_are_stored_hashed_under_their_sessions_digest() {
    let server = RedisServer::start().expect("redis-server");
    let rt = runtime();
    let keys = OneTimeKeys::new(RedisStore::new(&server.url()).expect("store"));
    let now = OffsetDateTime::now_utc();
    let opts = CreateOptions::new()
        .duration(Duration::seconds(30))
        .bound_to("salt-of-s-1");
    let key = rt.block_on(keys.create(&opts, &(), now)).expect("create");
    let link = rt
        .block_on(keys.create(&CreateOptions::new(), &(), now))
        .expect("create unbound");
    rt.block_on(async {
        let mut conn = raw(&server).await;
        // KEYS is fine here, on the test's own server; the store never uses it.
        let mut names: Vec<String> = conn.keys("*").await.expect("keys");
        names.sort();
        let mut expected = session_names("xsrf:otk:", "salt-of-s-1").to_vec();
        expected.extend([
            "xsrf:otk:{unbound}:e".to_owned(),
            "xsrf:otk:{unbound}:k".to_owned(),
        ]);
        expected.sort();
        assert_eq!(names, expected);
        let digest = KeyDigest::of(key.as_str()).to_hex();
        let bound = &session_names("xsrf:otk:", "salt-of-s-1");
        let fields: Vec<(String, String)> = conn.hgetall(&bound[0]).await.expect("hgetall");
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].0, digest);
        let order: Vec<String> = conn.zrange(&bound[1], 0, -1).await.expect("zrange");
        assert_eq!(order, std::slice::from_ref(&digest));
        // A dump holds neither a usable key nor the session salt.
        let mut dump = String::new();
        for n in &names {
            let t: String = redis::cmd("TYPE")
                .arg(n)
                .query_async(&mut conn)
                .await
                .expect("type");
            let part: Vec<String> = match t.as_str() {
                "hash" => conn.hgetall(n).await.expect("hgetall"),
                _ => conn.zrange(n, 0, -1).await.expect("zrange"),
            };
            dump.push_str(&part.join(" "));
            dump.push_str(n);
        }
        for secret in [key.as_str(), link.as_str(), "salt-of-s-1"] {
            assert!(!dump.contains(secret), "{secret} in {dump}");
        }
        for n in bound {
            let ttl: i64 = conn.pttl(n).await.expect("pttl");
            assert!(ttl > 0 && ttl <= 30_000, "{n}: {ttl}");
        }
        // Using the key removes it from its session's order too.
        assert_eq!(
            keys.validate::<()>(key.as_str(), Some("salt-of-s-1"), now)
                .await,
            Ok(())
        );
        assert_eq!(keys.validate::<()>(link.as_str(), None, now).await, Ok(()));
        let left: Vec<String> = conn.keys("*").await.expect("keys");
        assert!(left.is_empty(), "{left:?}");
    });
}

#[test]
fn the_session_reaches_redis_only_as_a_digest() {
    // Lua's `==` is not constant-time; the store never asks Redis to
    // compare a session: the session's digest names where its keys live,
    // so the only lookup is by digest. A hash named after the raw salt is
    // never consulted.
    let server = RedisServer::start().expect("redis-server");
    let rt = runtime();
    let store = RedisStore::new(&server.url()).expect("store");
    let now = OffsetDateTime::now_utc();
    rt.block_on(async {
        let d = KeyDigest::of("planted");
        let far = now.unix_timestamp() * 1000 + 600_000;
        let mut conn = raw(&server).await;
        let _: () = conn
            .hset(
                "xsrf:otk:{the-salt}:k",
                d.to_hex(),
                format!(r#"{{"d":"MQ==","e":{far}}}"#),
            )
            .await
            .expect("hset");
        assert_eq!(
            store.take(d, Some("the-salt"), now).await,
            Ok(Taken::Missing)
        );
        let _: () = conn
            .hset(
                &session_names("xsrf:otk:", "the-salt")[0],
                d.to_hex(),
                format!(r#"{{"d":"MQ==","e":{far}}}"#),
            )
            .await
            .expect("hset");
        assert_eq!(
            store.take(d, Some("the-salt"), now).await,
            Ok(Taken::Valid(b"1".to_vec()))
        );
    });
}

#[test]
fn clear_session_deletes_that_session_only() {
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
        for n in session_names("xsrf:otk:", "alice") {
            assert!(!conn.exists::<_, bool>(&n).await.expect("exists"), "{n}");
        }
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
            conn.exists::<_, bool>(&session_names("shop:", "s")[0])
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
    let hash = "xsrf:otk:{unbound}:k";
    rt.block_on(async {
        let mut conn = raw(&server).await;
        // Shaped like a key, so validation reaches the store.
        let not_json = KeyDigest::of("NotJsonNotJsonNotJson0");
        let wrong_shape = KeyDigest::of("wrong-shape");
        let bad_base64 = KeyDigest::of("bad-base64");
        for (d, v) in [
            (not_json, "hello"),
            (wrong_shape, r#"{"d":1,"e":"soon"}"#),
            (bad_base64, r#"{"d":"!!","e":99999999999999}"#),
        ] {
            let _: () = conn.hset(hash, d.to_hex(), v).await.expect("hset");
        }
        for d in [not_json, wrong_shape, bad_base64] {
            assert_eq!(store.take(d, None, now).await, Err(StoreError::Corrupt));
        }
        for d in [not_json, wrong_shape] {
            assert!(
                conn.hexists::<_, _, bool>(hash, d.to_hex())
                    .await
                    .expect("hexists"),
                "left for an operator to look at"
            );
        }
        // A session's hash of the wrong type is corrupt too.
        let names = session_names("xsrf:otk:", "typed");
        let _: () = conn.set(&names[0], "a string").await.expect("set");
        assert_eq!(
            store.take(KeyDigest::of("any"), Some("typed"), now).await,
            Err(StoreError::Corrupt)
        );
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
fn k8_redis_session_quota_and_unbound_capacity_through_one_time_keys() {
    let server = RedisServer::start().expect("redis-server");
    let rt = runtime();
    let store = RedisStore::new(&server.url())
        .expect("store")
        .with_session_quota(5)
        .with_unbound_capacity(20);
    let keys = OneTimeKeys::new(store);
    let now = OffsetDateTime::now_utc();
    rt.block_on(async {
        let alice = keys
            .create(&CreateOptions::new().bound_to("alice"), &0u8, now)
            .await
            .expect("alice");
        let mut flood = Vec::new();
        for i in 0..50u8 {
            flood.push(
                keys.create(&CreateOptions::new().bound_to("mallory"), &i, now)
                    .await
                    .expect("over its quota a session recycles its own keys"),
            );
        }
        let mut conn = raw(&server).await;
        let names = session_names("xsrf:otk:", "mallory");
        let held: usize = conn.hlen(&names[0]).await.expect("hlen");
        let ordered: usize = conn.zcard(&names[1]).await.expect("zcard");
        assert_eq!((held, ordered), (5, 5));
        for (i, k) in flood.iter().enumerate() {
            let got = keys.validate::<u8>(k.as_str(), Some("mallory"), now).await;
            if i < 45 {
                assert_eq!(got, Err(Rejection::AlreadyUsed));
            } else {
                assert_eq!(got, Ok(u8::try_from(i).expect("small")));
            }
        }
        assert_eq!(
            keys.validate::<u8>(alice.as_str(), Some("alice"), now)
                .await,
            Ok(0)
        );
        let mut refused = 0;
        for _ in 0..25 {
            match keys.create(&CreateOptions::new(), &(), now).await {
                Ok(_) => {}
                Err(xsrf_core::CreateError::Store(StoreError::Full)) => refused += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(refused, 5);
        let unbound: usize = conn.hlen("xsrf:otk:{unbound}:k").await.expect("hlen");
        assert_eq!(unbound, 20);
    });
}
