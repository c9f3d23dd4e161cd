//! Attack matrix rows K8 and K9: a client creating one-time keys as fast
//! as it can, from one session and from many fresh ones, through a real
//! actix-web app with the in-process store. The store's own counts and byte
//! estimate show memory stays within its configured bound, unbound keys
//! count against the session that asked for them, and the store's own
//! count of entries examined shows the work per created key does not grow
//! with the keys held. (The same quota checks run against every store,
//! Redis and Redis Cluster included, in the shared acceptance suite; the
//! demo's limit per client address is in `address_limit`.)

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use time::Duration;
use xsrf_actix::store::{KeyDigest, KeyStore as _, MemoryStore, StoredKey};
use xsrf_actix::{Clock as _, CreateOptions, ManualClock, ValidXsrf, Xsrf, XsrfError};
use xsrf_tests::fixture::*;

use super::use_key;

/// An e-mailed link for anyone who asks: an unbound key.
async fn reset_link(req: HttpRequest, _: ValidXsrf) -> Result<HttpResponse, XsrfError> {
    let x = Xsrf::for_request(&req)?;
    let opts = CreateOptions::new().duration(Duration::minutes(30));
    let key = x.create_one_time_unbound(&req, opts, "payload").await?;
    Ok(HttpResponse::Ok().body(key.into_string()))
}

/// The fixture app with `store` for its one-time keys, and a route for
/// reset links.
async fn app(clock: &ManualClock, store: &Arc<MemoryStore>) -> (Client<impl AppService>, Log) {
    let log = Log::default();
    let xsrf = builder(clock)
        .one_time_store(Arc::clone(store))
        .build()
        .expect("xsrf");
    let client = start_with(xsrf, &log, |cfg| {
        routes(cfg);
        cfg.route("/reset-link", web::post().to(reset_link));
    })
    .await;
    (client, log)
}

/// POSTs `path` with a fresh token of the client's session.
async fn create(c: &Client<impl AppService>, path: &str) -> Resp {
    let t = c.token().await;
    c.send(post(path).insert_header(("x-xsrf-token", t))).await
}

#[actix_web::test]
async fn k8_one_session_creating_ten_times_its_quota_keeps_only_its_newest() {
    let clock = clock();
    let store = Arc::new(MemoryStore::with_capacity(10_000).with_session_quota(8));
    let (c, log) = app(&clock, &store).await;
    // A legitimate user with a key of her own.
    let r = create(&c, "/one-time").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (alice, alices_key) = (c.cookies(), r.body);

    c.set_cookies(Default::default());
    let mut keys = Vec::new();
    for _ in 0..80 {
        let r = create(&c, "/one-time").await;
        // Over its quota a session still gets keys: it recycles its own.
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        keys.push(r.body);
    }
    assert_eq!(store.len(), 8 + 1, "the flooder's 8 newest and Alice's");
    assert_eq!(store.sessions(), 2);
    for key in &keys[..72] {
        let r = c.send(use_key(key)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.body.trim(), "one-time key unknown or already used");
    }
    assert!(log.is_empty(), "no evicted key was accepted");
    for key in &keys[72..] {
        assert_eq!(c.send(use_key(key)).await.status, StatusCode::OK);
    }
    assert_eq!(log.entries().len(), 8);

    // Alice's key was never touched, and she still gets new ones.
    c.set_cookies(alice);
    assert_eq!(c.send(use_key(&alices_key)).await.status, StatusCode::OK);
    let r = create(&c, "/one-time").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(c.send(use_key(&r.body)).await.status, StatusCode::OK);
    assert_eq!(log.entries().len(), 10);
}

#[actix_web::test]
async fn k8_ten_thousand_fresh_sessions_do_not_evict_a_legitimate_users_key() {
    const CAPACITY: usize = 4_000;
    let clock = clock();
    let store = Arc::new(MemoryStore::with_capacity(CAPACITY).with_session_quota(4));
    let (c, log) = app(&clock, &store).await;
    let r = create(&c, "/one-time").await;
    assert_eq!(r.status, StatusCode::OK);
    let (alice, alices_key) = (c.cookies(), r.body);

    let (mut created, mut full) = (0usize, 0usize);
    for _ in 0..10_000 {
        c.set_cookies(Default::default());
        let r = create(&c, "/one-time").await;
        match r.status {
            StatusCode::OK => created += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(r.body.trim(), "one-time key store full, try again later");
                full += 1;
            }
            other => panic!("unexpected {other}: {}", r.body),
        }
        assert!(store.len() <= CAPACITY);
    }
    // The store filled up to its bound, then refused newcomers (503 with a
    // reason) instead of evicting anyone.
    assert_eq!(created, CAPACITY - 1);
    assert_eq!(full, 10_000 - (CAPACITY - 1));
    assert_eq!(store.len(), CAPACITY);
    // "payload" serializes to 9 bytes of JSON.
    let bound = CAPACITY * (MemoryStore::overhead_per_key() + 9);
    assert!(
        store.estimated_bytes() <= bound,
        "{} > {bound}",
        store.estimated_bytes()
    );

    c.set_cookies(alice);
    let r = c.send(use_key(&alices_key)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(log.entries(), ["one-time:payload"]);
    // Using her key made room: she gets a new one at once.
    assert_eq!(create(&c, "/one-time").await.status, StatusCode::OK);

    // Once the flood's keys expire (10 minutes), everyone gets keys again.
    clock.advance(Duration::minutes(11));
    c.set_cookies(Default::default());
    assert_eq!(create(&c, "/one-time").await.status, StatusCode::OK);
    assert!(store.len() <= 2, "{}", store.len());
}

/// What the app logs with `tracing` while the guard lives (this thread).
fn capture_logs() -> (Arc<std::sync::Mutex<Vec<u8>>>, impl Drop) {
    use tracing_subscriber::util::SubscriberInitExt as _;
    struct Sink(Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = Arc::clone(&buf);
    let guard = tracing_subscriber::fmt()
        .with_writer(move || Sink(Arc::clone(&sink)))
        .with_ansi(false)
        .finish()
        .set_default();
    (buf, guard)
}

#[actix_web::test]
async fn k8_unbound_keys_are_limited_apart_from_bound_ones_and_expired_go_first() {
    let (logs, _guard) = capture_logs();
    let clock = clock();
    let store = Arc::new(
        MemoryStore::with_capacity(1_000)
            .with_session_quota(4)
            .with_unbound_capacity(50),
    );
    let (c, log) = app(&clock, &store).await;
    let mut links = Vec::new();
    let mut refused = 0;
    for _ in 0..60 {
        c.set_cookies(Default::default());
        let r = create(&c, "/reset-link").await;
        match r.status {
            StatusCode::OK => links.push(r.body),
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(r.body.trim(), "one-time key store full, try again later");
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", r.body),
        }
    }
    assert_eq!((links.len(), refused), (50, 10));
    // Each refusal also warns the operator.
    let text = String::from_utf8_lossy(&logs.lock().expect("logs")).into_owned();
    let warnings = text
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("one-time key store full"))
        .count();
    assert_eq!(warnings, 10, "{text}");
    assert!(text.contains("keys=\"unbound\""), "{text}");
    assert_eq!(store.len(), 50);
    // Session-bound keys have their own room.
    let r = create(&c, "/one-time").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(store.len(), 51);
    // The links already sent still work: refusing new ones evicted none.
    let r = c.send(use_key(&links[0])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(log.entries(), ["one-time:payload"]);
    // After their 30 minutes, expired links make room first.
    clock.advance(Duration::minutes(31));
    for _ in 0..2 {
        let r = create(&c, "/reset-link").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    assert_eq!(store.len(), 2, "every expired key purged, two new links");
}

#[actix_web::test]
async fn k9_one_session_asking_for_more_reset_links_than_the_store_holds_never_fills_it() {
    let clock = clock();
    let store = Arc::new(
        MemoryStore::with_capacity(1_000)
            .with_session_quota(8)
            .with_unbound_capacity(50),
    );
    let (c, log) = app(&clock, &store).await;
    // Alice asked for a link before the flood.
    let r = create(&c, "/reset-link").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let alices_link = r.body;

    // Mallory: one session, four times the whole store's unbound keys.
    c.set_cookies(Default::default());
    let mut links = Vec::new();
    for _ in 0..200 {
        let r = create(&c, "/reset-link").await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "over its quota a session recycles its own links: {}",
            r.body
        );
        links.push(r.body);
    }
    assert_eq!(store.len(), 1 + 8, "Alice's link and Mallory's 8 newest");
    let mallory = c.cookies();

    // Newcomers still get links, each its own: the pool is far from full.
    for _ in 0..41 {
        c.set_cookies(Default::default());
        let r = create(&c, "/reset-link").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    assert_eq!(store.len(), 50);
    // Only now is it full, for a session that holds no link ...
    c.set_cookies(Default::default());
    let r = create(&c, "/reset-link").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    // ... while Mallory, holding her quota, only ever recycles her own.
    c.set_cookies(mallory);
    let r = create(&c, "/reset-link").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    links.push(r.body);
    assert_eq!(store.len(), 50);

    // Her evicted links are gone; her newest work from any session.
    c.set_cookies(Default::default());
    for link in &links[..links.len() - 8] {
        let r = c.send(use_key(link)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.body.trim(), "one-time key unknown or already used");
    }
    assert!(log.is_empty(), "no evicted link was accepted");
    for link in &links[links.len() - 8..] {
        assert_eq!(c.send(use_key(link)).await.status, StatusCode::OK);
    }
    let r = c.send(use_key(&alices_link)).await;
    assert_eq!(r.status, StatusCode::OK, "Alice's link was never touched");
    assert_eq!(log.entries().len(), 9);
}

/// Entries the store examined per link created through the app, with the
/// store full of `held` unbound keys of which one more expires before each
/// new link: the case where making room costs the most.
async fn examined_per_link(held: usize) -> f64 {
    const LINKS: usize = 50;
    let clock = clock();
    let store = Arc::new(MemoryStore::with_capacity(held).with_unbound_capacity(held));
    let (c, _log) = app(&clock, &store).await;
    let t0 = clock.now();
    for i in 0..held {
        let entry = StoredKey {
            data: b"0".to_vec(),
            session: None,
            quota_owner: None,
            // One expiring each second, from a minute on.
            expires_at: t0 + Duration::seconds(60 + i as i64),
        };
        store
            .put(KeyDigest::of(&format!("held-{i}")), entry, t0)
            .await
            .expect("filling the store");
    }
    clock.advance(Duration::seconds(59));
    let before = store.entries_examined();
    for _ in 0..LINKS {
        clock.advance(Duration::seconds(1));
        let r = create(&c, "/reset-link").await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "an expired key makes room: {}",
            r.body
        );
        assert_eq!(store.len(), held, "full again");
    }
    (store.entries_examined() - before) as f64 / LINKS as f64
}

#[actix_web::test]
async fn k9_work_per_created_key_does_not_grow_with_the_keys_held() {
    let small = examined_per_link(1_000).await;
    let large = examined_per_link(100_000).await;
    // Each link: the one key that just expired is popped from the expiry
    // index, and the next one, not yet due, stops the purge. (Scanning
    // every key, as a store without the index does, is 2,000 and 200,000.)
    assert_eq!(
        (small, large),
        (2.0, 2.0),
        "entries examined per link with 1,000 and with 100,000 keys held"
    );
}
