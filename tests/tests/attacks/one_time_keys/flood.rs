//! Attack matrix row K8: a client creating one-time keys as fast as it can,
//! from one session and from many fresh ones, through a real actix-web app
//! with the in-process store. The store's own counts and byte estimate show
//! memory stays within its configured bound. (The same quota checks run
//! against every store, Redis and Redis Cluster included, in the shared
//! acceptance suite.)

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use time::Duration;
use xsrf_actix::store::MemoryStore;
use xsrf_actix::{CreateOptions, ManualClock, ValidXsrf, Xsrf, XsrfError};
use xsrf_tests::fixture::*;

use super::use_key;

/// An e-mailed link for anyone who asks: an unbound key.
async fn reset_link(req: HttpRequest, _: ValidXsrf) -> Result<HttpResponse, XsrfError> {
    let x = Xsrf::for_request(&req)?;
    let opts = CreateOptions::new().duration(Duration::minutes(30));
    let key = x.create_one_time_unbound(opts, "payload").await?;
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
