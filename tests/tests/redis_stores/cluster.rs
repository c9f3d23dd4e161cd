//! The Redis one-time store on a real Redis Cluster the tests start
//! themselves (3 primaries, and 3 replicas for the failover): the shared
//! store suite (K1, K3, K4, K5, K8 and a 200-way take race), K2 over two
//! app instances on real sockets, a primary killed mid-run (its slots fail
//! closed with 503, the others keep serving, and it recovers when the node
//! is back, no app restart: K6), and a failover to a replica that loses no
//! key and accepts none twice.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration as StdDuration, Instant};

use time::{Duration, OffsetDateTime};
use xsrf_actix::Xsrf;
use xsrf_actix::store::RedisStore;
use xsrf_core::store::acceptance::{self, Expiry};
use xsrf_core::store::{KeyDigest, KeyStore, SessionDigest, StoreError, StoredKey, Taken};
use xsrf_tests::fixture::{Log, clock, key_a};
use xsrf_tests::redis_server::RedisCluster;
use xsrf_tests::server::{RawClient, TestServer, send_raw};

/// Liveness bound on recovering from a fault: no hang, not a speed claim.
const LIVENESS: StdDuration = StdDuration::from_secs(20);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime")
}

fn store(cluster: &RedisCluster) -> RedisStore {
    let store = RedisStore::from_config(&cluster.config()).expect("store");
    assert!(store.is_cluster());
    store
}

fn xsrf(store: RedisStore) -> Xsrf {
    // No site origin (ports are chosen at bind): Origin is compared with Host.
    Xsrf::builder()
        .secret(key_a())
        .clock(clock())
        .one_time_store(store)
        .build()
        .expect("xsrf")
}

/// The hash a session's keys live in (what decides its slot).
fn session_hash(session: &str) -> String {
    format!("xsrf:otk:{{{}}}:k", SessionDigest::of(session).to_hex())
}

fn stored(session: &str) -> StoredKey {
    StoredKey {
        data: b"1".to_vec(),
        session: Some(session.to_owned()),
        quota_owner: None,
        expires_at: OffsetDateTime::now_utc() + Duration::minutes(10),
    }
}

#[test]
fn cluster_store_passes_the_acceptance_suite() {
    let cluster = RedisCluster::start(3, 0).expect("redis cluster");
    let config = cluster.config();
    let n = AtomicUsize::new(0);
    runtime().block_on(acceptance::run_all(Expiry::ByOwnClock, || {
        // A prefix per store: the flood checks fill the unbound keys.
        let prefix = format!("suite{}:", n.fetch_add(1, Ordering::Relaxed));
        let config = config.clone();
        async move {
            RedisStore::from_config(&config)
                .expect("store")
                .with_prefix(prefix)
                .with_session_quota(8)
                .with_unbound_capacity(16)
        }
    }));
    // The suite's sessions landed on every primary: the layout spreads.
    let mut primaries = std::collections::BTreeSet::new();
    for i in 0..30 {
        primaries.insert(
            cluster
                .primary_port_of(&session_hash(&format!("spread-{i}")))
                .expect("slot owner"),
        );
    }
    assert_eq!(primaries.len(), 3, "{primaries:?}");
}

#[actix_web::test]
async fn k2_cluster_one_key_raced_by_200_requests_across_two_instances_has_one_winner() {
    let cluster = RedisCluster::start(3, 0).expect("redis cluster");
    let log = Log::default();
    // Two instances, each with its own store (as two processes would have).
    let a = TestServer::start(xsrf(store(&cluster)), log.clone())
        .await
        .expect("instance A");
    let b = TestServer::start(xsrf(store(&cluster)), log.clone())
        .await
        .expect("instance B");
    for round in 0..3 {
        let mut c = RawClient::default();
        let token = c.token(a.addr).await.expect("token");
        let origin_a = format!("http://{}", a.addr);
        let r = c
            .send(
                a.addr,
                "POST",
                "/one-time",
                &[("Origin", &origin_a), ("X-XSRF-Token", &token)],
                b"",
            )
            .await
            .expect("create");
        assert_eq!(r.status, 200, "{}", r.text());
        let key = r.text();
        let requests: Vec<_> = [a.addr, b.addr]
            .iter()
            .map(|addr| {
                let origin = format!("http://{addr}");
                (
                    *addr,
                    Arc::new(c.request(
                        "POST",
                        "/one-time/use",
                        *addr,
                        &[("Origin", &origin), ("X-XSRF-Token", &key)],
                        b"",
                    )),
                )
            })
            .collect();
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let (addr, request) = requests[i % 2].clone();
                actix_web::rt::spawn(async move { send_raw(addr, &request).await })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.expect("join").expect("response").status);
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "round {round}: {statuses:?}"
        );
        assert_eq!(statuses.iter().filter(|s| **s == 403).count(), 199);
        assert_eq!(log.entries().len(), round + 1);
    }
    a.stop().await;
    b.stop().await;
}

/// A browser session on `addr` with a one-time key of its own.
struct Visitor {
    client: RawClient,
    token: String,
    key: String,
}

async fn visitor(addr: std::net::SocketAddr) -> Visitor {
    let mut client = RawClient::default();
    let token = client.token(addr).await.expect("token");
    let key = create(&mut client, addr, &token).await;
    Visitor { client, token, key }
}

async fn create(c: &mut RawClient, addr: std::net::SocketAddr, token: &str) -> String {
    let origin = format!("http://{addr}");
    let r = c
        .send(
            addr,
            "POST",
            "/one-time",
            &[("Origin", &origin), ("X-XSRF-Token", token)],
            b"",
        )
        .await
        .expect("create");
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
}

async fn redeem(c: &mut RawClient, addr: std::net::SocketAddr, key: &str) -> (u16, String) {
    let origin = format!("http://{addr}");
    let r = c
        .send(
            addr,
            "POST",
            "/one-time/use",
            &[("Origin", &origin), ("X-XSRF-Token", key)],
            b"",
        )
        .await
        .expect("use");
    (r.status, r.text().trim().to_owned())
}

#[actix_web::test]
async fn k6_cluster_primary_down_fails_closed_for_its_slots_only_and_recovers() {
    let mut cluster = RedisCluster::start(3, 0).expect("redis cluster");
    let log = Log::default();
    let srv = TestServer::start(xsrf(store(&cluster)), log.clone())
        .await
        .expect("server");
    let mut visitors = Vec::new();
    for _ in 0..30 {
        visitors.push(visitor(srv.addr).await);
    }
    cluster.node(0).stop();

    // Everyone at once (each refusal waits out the 2 s deadline).
    let tasks: Vec<_> = visitors
        .iter()
        .map(|v| {
            let (mut client, key, addr) = (v.client.clone(), v.key.clone(), srv.addr);
            actix_web::rt::spawn(async move { redeem(&mut client, addr, &key).await })
        })
        .collect();
    let mut down = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.expect("join") {
            (200, _) => {}
            (503, body) => {
                assert_eq!(body, "XSRF key store unavailable");
                down.push(i);
            }
            other => panic!("visitor {i}: {other:?}"),
        }
    }
    // About a third of the sessions live on the dead primary.
    assert!(!down.is_empty() && down.len() < visitors.len(), "{down:?}");
    assert_eq!(
        log.entries().len(),
        visitors.len() - down.len(),
        "fail closed: no handler ran for a key that could not be checked"
    );
    // The other slots keep working during the outage: new keys, used once.
    for (i, v) in visitors.iter_mut().enumerate() {
        if down.contains(&i) {
            continue;
        }
        let key = create(&mut v.client, srv.addr, &v.token).await;
        assert_eq!(redeem(&mut v.client, srv.addr, &key).await.0, 200);
    }
    let served = log.entries().len();

    // The node comes back (empty: it persists nothing), no app restart.
    cluster.node(0).restart().expect("restart");
    cluster.wait_until_ok(LIVENESS).expect("cluster ok again");
    let deadline = Instant::now() + LIVENESS;
    for &i in &down {
        let v = &mut visitors[i];
        // Its old key went with the node: refused, never accepted.
        loop {
            let (status, body) = redeem(&mut v.client, srv.addr, &v.key).await;
            if status == 403 {
                assert_eq!(body, "one-time key unknown or already used");
                break;
            }
            assert_eq!(status, 503, "{body}");
            assert!(
                Instant::now() < deadline,
                "did not recover within {LIVENESS:?}"
            );
            actix_web::rt::time::sleep(StdDuration::from_millis(100)).await;
        }
        let key = create(&mut v.client, srv.addr, &v.token).await;
        assert_eq!(redeem(&mut v.client, srv.addr, &key).await.0, 200);
    }
    assert_eq!(log.entries().len(), served + down.len());
    srv.stop().await;
}

/// Waits until every replica has every write of its primary.
fn wait_replicated(cluster: &RedisCluster) {
    let deadline = Instant::now() + LIVENESS;
    loop {
        let mut behind = false;
        for url in cluster.urls() {
            let port: u16 = url
                .trim_end_matches('/')
                .rsplit(':')
                .next()
                .and_then(|p| p.parse().ok())
                .expect("port");
            let info: String = cluster
                .query(port, redis::cmd("INFO").arg("replication"))
                .expect("info");
            if !info.contains("role:master") {
                continue;
            }
            let offset = info
                .lines()
                .find_map(|l| l.strip_prefix("master_repl_offset:"))
                .map(|v| v.trim().to_owned())
                .expect("offset");
            for line in info.lines().filter(|l| l.starts_with("slave")) {
                if !line.contains(&format!("offset={offset},")) {
                    behind = true;
                }
            }
        }
        if !behind {
            return;
        }
        assert!(Instant::now() < deadline, "replicas did not catch up");
        std::thread::sleep(StdDuration::from_millis(20));
    }
}

#[test]
fn k6_cluster_failover_to_a_replica_loses_no_key_and_accepts_none_twice() {
    let mut cluster = RedisCluster::start(3, 1).expect("redis cluster");
    let rt = runtime();
    let store = Arc::new(store(&cluster));
    let now = OffsetDateTime::now_utc();
    // 60 sessions with 3 keys each, spread over the three primaries.
    let mut keys: Vec<(String, KeyDigest)> = Vec::new();
    rt.block_on(async {
        for s in 0..60 {
            let session = format!("failover-session-{s}");
            for k in 0..3 {
                let d = KeyDigest::of(&format!("failover-key-{s}-{k}"));
                store.put(d, stored(&session), now).await.expect("put");
                keys.push((session.clone(), d));
            }
        }
    });
    wait_replicated(&cluster);
    let victim_port = cluster
        .primary_port_of(&session_hash(&keys[0].0))
        .expect("primary of the first session");
    let (dead, alive): (Vec<_>, Vec<_>) = keys.iter().cloned().partition(|(s, _)| {
        cluster.primary_port_of(&session_hash(s)).expect("owner") == victim_port
    });
    assert!(!dead.is_empty() && !alive.is_empty());
    let victim = cluster.index_of(victim_port).expect("victim node");
    cluster.node(victim).stop();
    let killed = Instant::now();

    // Two racers per key in the failed slots, retrying until the store
    // answers; and a prober that keeps using the live slots meanwhile.
    let wins: HashMap<KeyDigest, usize> = rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..2 {
            let (store, dead) = (Arc::clone(&store), dead.clone());
            tasks.push(tokio::spawn(async move {
                let mut won = Vec::new();
                let mut first_answer = None;
                for (session, d) in dead {
                    let deadline = Instant::now() + LIVENESS;
                    loop {
                        match store
                            .take(d, Some(&session), OffsetDateTime::now_utc())
                            .await
                        {
                            Ok(t) => {
                                first_answer.get_or_insert_with(|| killed.elapsed());
                                if matches!(t, Taken::Valid(_)) {
                                    won.push(d);
                                }
                                break;
                            }
                            Err(StoreError::Unavailable(_)) => {
                                assert!(
                                    Instant::now() < deadline,
                                    "no failover within {LIVENESS:?}"
                                );
                                tokio::time::sleep(StdDuration::from_millis(20)).await;
                            }
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
                (won, first_answer)
            }));
        }
        let mut wins: HashMap<KeyDigest, usize> = HashMap::new();
        let mut unavailable_for = Vec::new();
        for t in tasks {
            let (won, first) = t.await.expect("join");
            for d in won {
                *wins.entry(d).or_default() += 1;
            }
            unavailable_for.extend(first);
        }
        eprintln!(
            "failover: keys in the failed slots unavailable for {:?} after the primary was killed",
            unavailable_for.iter().min()
        );
        wins
    });
    // Replicated before the kill: every key is still there, used exactly once.
    assert!(wins.values().all(|n| *n == 1), "a key was accepted twice");
    assert_eq!(wins.len(), dead.len(), "a key was lost in the failover");
    rt.block_on(async {
        for (session, d) in &alive {
            assert_eq!(
                store
                    .take(*d, Some(session), OffsetDateTime::now_utc())
                    .await,
                Ok(Taken::Valid(b"1".to_vec()))
            );
        }
    });
    // The old primary comes back as a replica; everything is served.
    cluster.node(victim).restart().expect("restart");
    cluster.wait_until_ok(LIVENESS).expect("cluster ok");
    rt.block_on(async {
        let d = KeyDigest::of("after-failover");
        store
            .put(d, stored(&keys[0].0), OffsetDateTime::now_utc())
            .await
            .expect("put after failover");
        assert_eq!(
            store
                .take(d, Some(&keys[0].0), OffsetDateTime::now_utc())
                .await,
            Ok(Taken::Valid(b"1".to_vec()))
        );
    });
}
