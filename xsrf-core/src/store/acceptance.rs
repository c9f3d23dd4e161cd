#![allow(clippy::expect_used)] // a test suite: a failed store call is a failed check
//! The checks every [`KeyStore`] must pass, run by each backend's tests.
//!
//! Public (hidden) so backends in other crates run the very same suite.
//! Keys are random per run, so a shared server needs no cleanup.

use std::future::Future;

use time::{Duration, OffsetDateTime};

use super::{KeyDigest, KeyStore, Quota, StoreError, StoredKey, Taken};
use crate::{Entropy, SystemEntropy};

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn fresh(label: &str) -> (KeyDigest, String) {
    let mut b = [0u8; 16];
    SystemEntropy.fill(&mut b);
    let suffix: String = b.iter().map(|x| format!("{x:02x}")).collect();
    (
        KeyDigest::of(&format!("{label}-{suffix}")),
        format!("session-{suffix}"),
    )
}

fn entry(data: &[u8], session: Option<&str>, ttl: Duration) -> StoredKey {
    StoredKey {
        data: data.to_vec(),
        session: session.map(str::to_owned),
        quota_owner: None,
        expires_at: now() + ttl,
    }
}

/// An unbound key that counts against `owner`'s quota.
fn link(data: &[u8], owner: &str, ttl: Duration) -> StoredKey {
    StoredKey {
        quota_owner: Some(owner.to_owned()),
        ..entry(data, None, ttl)
    }
}

/// How a backend expires keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Expires by the `now` passed in (in-process stores): `purge_expired`
    /// deletes what is due at that instant.
    ByCallerClock,
    /// Expires by its own clock (Redis TTL): `purge_expired` has nothing to
    /// do and keys vanish when their TTL runs out.
    ByOwnClock,
}

/// Runs every check against stores made by `make`.
pub async fn run_all<S, F, Fut>(expiry: Expiry, make: F)
where
    S: KeyStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    take_returns_data_once(&make().await).await;
    unknown_key_is_missing(&make().await).await;
    expired_key_is_refused_and_removed(&make().await).await;
    other_session_does_not_burn_the_key(&make().await).await;
    unbound_key_accepts_any_session(&make().await).await;
    clear_session_removes_only_that_session(&make().await).await;
    purge_removes_only_expired(&make().await, expiry).await;
    concurrent_takes_have_one_winner(&make().await).await;
    let quota = make()
        .await
        .quota()
        .expect("every store enforces a flood quota (row K8)");
    assert!(
        quota.per_session <= 1_000 && quota.unbound <= 10_000,
        "give the suite a store with small limits: {quota:?}"
    );
    assert!(
        quota.per_session < quota.unbound,
        "give the suite a store whose sessions each hold less than the unbound capacity: {quota:?}"
    );
    k8_session_over_its_quota_keeps_only_its_newest(&make().await, quota).await;
    k8_quota_never_evicts_another_session(&make().await, quota).await;
    k8_unbound_keys_are_counted_apart_and_expired_ones_go_first(&make().await, quota).await;
    k9_one_session_never_fills_the_unbound_keys(&make().await, quota).await;
    k9_a_sessions_unbound_keys_are_anyones_and_outlive_its_clearing(&make().await).await;
}

async fn take_returns_data_once<S: KeyStore>(s: &S) {
    let (d, _) = fresh("once");
    s.put(d, entry(b"{\"a\":1}", None, Duration::minutes(5)), now())
        .await
        .expect("put");
    assert_eq!(
        s.take(d, None, now()).await.expect("take"),
        Taken::Valid(b"{\"a\":1}".to_vec())
    );
    assert_eq!(s.take(d, None, now()).await.expect("take"), Taken::Missing);
}

async fn unknown_key_is_missing<S: KeyStore>(s: &S) {
    let (d, session) = fresh("unknown");
    assert_eq!(
        s.take(d, Some(&session), now()).await.expect("take"),
        Taken::Missing
    );
}

async fn expired_key_is_refused_and_removed<S: KeyStore>(s: &S) {
    let (d, _) = fresh("expired");
    s.put(d, entry(b"1", None, Duration::minutes(1)), now())
        .await
        .expect("put");
    let later = now() + Duration::minutes(2);
    let got = s.take(d, None, later).await.expect("take");
    // A store that expires by its own clock (Redis TTL) may already have
    // dropped it; either way it must not be valid.
    assert!(matches!(got, Taken::Expired | Taken::Missing), "{got:?}");
    assert_eq!(s.take(d, None, now()).await.expect("take"), Taken::Missing);
}

async fn other_session_does_not_burn_the_key<S: KeyStore>(s: &S) {
    let (d, owner) = fresh("bound");
    s.put(d, entry(b"2", Some(&owner), Duration::minutes(5)), now())
        .await
        .expect("put");
    // A store that files keys under their session (Redis, one slot per
    // session on a cluster) does not find it from elsewhere: `Missing`.
    // Either way it is neither used nor burnt.
    for intruder in [Some("intruder"), None] {
        let got = s.take(d, intruder, now()).await.expect("take");
        assert!(
            matches!(got, Taken::OtherSession | Taken::Missing),
            "{got:?}"
        );
    }
    assert_eq!(
        s.take(d, Some(&owner), now()).await.expect("take"),
        Taken::Valid(b"2".to_vec())
    );
}

async fn unbound_key_accepts_any_session<S: KeyStore>(s: &S) {
    let (d, _) = fresh("unbound");
    s.put(d, entry(b"3", None, Duration::minutes(5)), now())
        .await
        .expect("put");
    assert_eq!(
        s.take(d, Some("anyone"), now()).await.expect("take"),
        Taken::Valid(b"3".to_vec())
    );
}

async fn clear_session_removes_only_that_session<S: KeyStore>(s: &S) {
    let (a1, sa) = fresh("clear-a1");
    let (a2, _) = fresh("clear-a2");
    let (b1, sb) = fresh("clear-b1");
    for (d, sess) in [(a1, &sa), (a2, &sa), (b1, &sb)] {
        s.put(d, entry(b"4", Some(sess), Duration::minutes(5)), now())
            .await
            .expect("put");
    }
    assert_eq!(s.clear_session(&sa).await.expect("clear"), 2);
    assert_eq!(
        s.take(a1, Some(&sa), now()).await.expect("take"),
        Taken::Missing
    );
    assert_eq!(
        s.take(a2, Some(&sa), now()).await.expect("take"),
        Taken::Missing
    );
    assert_eq!(
        s.take(b1, Some(&sb), now()).await.expect("take"),
        Taken::Valid(b"4".to_vec())
    );
    assert_eq!(s.clear_session(&sa).await.expect("clear again"), 0);
}

async fn purge_removes_only_expired<S: KeyStore>(s: &S, expiry: Expiry) {
    let (short, _) = fresh("purge-short");
    let (long, _) = fresh("purge-long");
    s.put(short, entry(b"5", None, Duration::seconds(30)), now())
        .await
        .expect("put");
    s.put(long, entry(b"6", None, Duration::hours(1)), now())
        .await
        .expect("put");
    let later = now() + Duration::minutes(1);
    s.purge_expired(later).await.expect("purge");
    let got = s.take(short, None, now()).await.expect("take");
    match expiry {
        Expiry::ByCallerClock => assert_eq!(got, Taken::Missing),
        // Still within its TTL on the store's own clock.
        Expiry::ByOwnClock => assert_eq!(got, Taken::Valid(b"5".to_vec())),
    }
    assert_eq!(
        s.take(long, None, now()).await.expect("take"),
        Taken::Valid(b"6".to_vec())
    );
}

async fn concurrent_takes_have_one_winner<S: KeyStore>(s: &S) {
    let (d, owner) = fresh("race");
    s.put(d, entry(b"7", Some(&owner), Duration::minutes(5)), now())
        .await
        .expect("put");
    let n = now();
    let takes = (0..200).map(|_| s.take(d, Some(&owner), n));
    let results = futures_util::future::join_all(takes).await;
    let winners = results
        .iter()
        .filter(|r| matches!(r, Ok(Taken::Valid(_))))
        .count();
    assert_eq!(winners, 1, "{results:?}");
    assert!(results.iter().all(|r| r.is_ok()));
}

async fn k8_session_over_its_quota_keeps_only_its_newest<S: KeyStore>(s: &S, quota: Quota) {
    let (_, session) = fresh("quota");
    let n = now();
    let mut digests = Vec::new();
    for i in 0..3 * quota.per_session {
        let (d, _) = fresh(&format!("quota-{i}"));
        s.put(d, entry(b"8", Some(&session), Duration::minutes(5)), n)
            .await
            .expect("over its quota, a session still gets keys");
        digests.push(d);
    }
    let (old, newest) = digests.split_at(2 * quota.per_session);
    for d in newest {
        assert_eq!(
            s.take(*d, Some(&session), n).await.expect("take"),
            Taken::Valid(b"8".to_vec()),
            "one of the newest {} keys",
            quota.per_session
        );
    }
    for d in old {
        assert_eq!(
            s.take(*d, Some(&session), n).await.expect("take"),
            Taken::Missing,
            "an evicted key"
        );
    }
}

async fn k8_quota_never_evicts_another_session<S: KeyStore>(s: &S, quota: Quota) {
    let (victim_key, victim) = fresh("victim");
    let n = now();
    s.put(
        victim_key,
        entry(b"9", Some(&victim), Duration::minutes(5)),
        n,
    )
    .await
    .expect("put");
    // One session far over its quota, and a crowd of fresh ones each
    // filling theirs.
    let (_, flooder) = fresh("flooder");
    for i in 0..2 * quota.per_session {
        let (d, _) = fresh(&format!("flood-{i}"));
        s.put(d, entry(b"0", Some(&flooder), Duration::minutes(5)), n)
            .await
            .expect("put");
    }
    for c in 0..20 {
        let (_, crowd) = fresh(&format!("crowd-{c}"));
        for i in 0..=quota.per_session {
            let (d, _) = fresh(&format!("crowd-{c}-{i}"));
            s.put(d, entry(b"0", Some(&crowd), Duration::minutes(5)), n)
                .await
                .expect("put");
        }
    }
    assert_eq!(
        s.take(victim_key, Some(&victim), n).await.expect("take"),
        Taken::Valid(b"9".to_vec())
    );
}

async fn k8_unbound_keys_are_counted_apart_and_expired_ones_go_first<S: KeyStore>(
    s: &S,
    quota: Quota,
) {
    let n = now();
    let (first, session) = fresh("unbound-first");
    s.put(first, entry(b"1", None, Duration::minutes(5)), n)
        .await
        .expect("put");
    for i in 1..quota.unbound.saturating_sub(1) {
        let (d, _) = fresh(&format!("unbound-{i}"));
        s.put(d, entry(b"1", None, Duration::minutes(5)), n)
            .await
            .expect("room for unbound keys up to the limit");
    }
    let (short, _) = fresh("unbound-short");
    s.put(short, entry(b"1", None, Duration::seconds(30)), n)
        .await
        .expect("the last one that fits");
    let (extra, _) = fresh("unbound-extra");
    assert_eq!(
        s.put(extra, entry(b"1", None, Duration::minutes(5)), n)
            .await,
        Err(StoreError::Full),
        "unbound keys beyond the limit"
    );
    // Session-bound keys are counted apart: the flood took none of their room.
    let (bound, _) = fresh("unbound-bound");
    s.put(bound, entry(b"2", Some(&session), Duration::minutes(5)), n)
        .await
        .expect("a session-bound key while unbound ones are full");
    // A minute later the 30-second key has expired and makes room.
    let later = n + Duration::minutes(1);
    let stored = |ttl| StoredKey {
        data: b"3".to_vec(),
        session: None,
        quota_owner: None,
        expires_at: later + ttl,
    };
    s.put(extra, stored(Duration::minutes(5)), later)
        .await
        .expect("an expired unbound key goes first");
    let (more, _) = fresh("unbound-more");
    assert_eq!(
        s.put(more, stored(Duration::minutes(5)), later).await,
        Err(StoreError::Full)
    );
    assert_eq!(
        s.take(first, None, n).await.expect("take"),
        Taken::Valid(b"1".to_vec()),
        "refusing new keys left the old ones alone"
    );
    assert_eq!(
        s.take(bound, Some(&session), n).await.expect("take"),
        Taken::Valid(b"2".to_vec())
    );
}

async fn k9_one_session_never_fills_the_unbound_keys<S: KeyStore>(s: &S, quota: Quota) {
    let n = now();
    let ttl = Duration::minutes(5);
    let (_, flooder) = fresh("k9-flooder");
    // The flooder's own bound keys, up to its quota.
    let mut bound = Vec::new();
    for i in 0..quota.per_session {
        let (d, _) = fresh(&format!("k9-bound-{i}"));
        s.put(d, entry(b"b", Some(&flooder), ttl), n)
            .await
            .expect("put");
        bound.push(d);
    }
    // More unbound keys than the whole store holds, all asked for by one
    // session: each fits, as its own oldest make room.
    let mut links = Vec::new();
    for i in 0..quota.unbound + 2 * quota.per_session {
        let (d, _) = fresh(&format!("k9-link-{i}"));
        s.put(d, link(b"u", &flooder, ttl), n)
            .await
            .expect("a session over its quota recycles its own unbound keys");
        links.push(d);
    }
    // Another session still gets every unbound key that is left.
    let (_, other) = fresh("k9-other");
    let mut others = Vec::new();
    for i in 0..quota.unbound - quota.per_session {
        let (d, _) = fresh(&format!("k9-other-{i}"));
        s.put(d, link(b"o", &other, ttl), n)
            .await
            .expect("room the flooder could not take");
        others.push(d);
    }
    // Now the store is full, and a third session is refused ...
    let (late, latecomer) = fresh("k9-late");
    assert_eq!(
        s.put(late, link(b"l", &latecomer, ttl), n).await,
        Err(StoreError::Full),
        "unbound keys beyond the capacity"
    );
    // ... while the flooder, holding its quota, still recycles its own.
    let (last, _) = fresh("k9-last");
    s.put(last, link(b"u", &flooder, ttl), n)
        .await
        .expect("recycles its own");
    links.push(last);
    let (old, newest) = links.split_at(links.len() - quota.per_session);
    for d in old {
        assert_eq!(
            s.take(*d, None, n).await.expect("take"),
            Taken::Missing,
            "one of the flooder's evicted unbound keys"
        );
    }
    for (i, d) in newest.iter().enumerate() {
        // Unbound: redeemable from any session, the flooder's own included.
        let by = [None, Some(other.as_str()), Some(flooder.as_str())][i % 3];
        assert_eq!(
            s.take(*d, by, n).await.expect("take"),
            Taken::Valid(b"u".to_vec()),
            "one of the flooder's newest {} unbound keys",
            quota.per_session
        );
    }
    for d in &others {
        assert_eq!(
            s.take(*d, Some(&other), n).await.expect("take"),
            Taken::Valid(b"o".to_vec()),
            "the other session's keys were never touched"
        );
    }
    // The unbound keys were counted apart from the flooder's bound ones.
    for d in &bound {
        assert_eq!(
            s.take(*d, Some(&flooder), n).await.expect("take"),
            Taken::Valid(b"b".to_vec())
        );
    }
}

async fn k9_a_sessions_unbound_keys_are_anyones_and_outlive_its_clearing<S: KeyStore>(s: &S) {
    let n = now();
    let (d_link, owner) = fresh("k9-clear-link");
    let (d_bound, _) = fresh("k9-clear-bound");
    s.put(d_link, link(b"1", &owner, Duration::minutes(5)), n)
        .await
        .expect("put");
    s.put(d_bound, entry(b"2", Some(&owner), Duration::minutes(5)), n)
        .await
        .expect("put");
    // Logging the session out deletes what is bound to it, not the link it
    // had e-mailed to someone.
    assert_eq!(s.clear_session(&owner).await.expect("clear"), 1);
    assert_eq!(
        s.take(d_bound, Some(&owner), n).await.expect("take"),
        Taken::Missing
    );
    assert_eq!(
        s.take(d_link, Some("someone-else"), n).await.expect("take"),
        Taken::Valid(b"1".to_vec())
    );
    assert_eq!(s.take(d_link, None, n).await.expect("take"), Taken::Missing);
}
