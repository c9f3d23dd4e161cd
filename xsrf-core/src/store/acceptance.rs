#![allow(clippy::expect_used)] // a test suite: a failed store call is a failed check
//! The checks every [`KeyStore`] must pass, run by each backend's tests.
//!
//! Public (hidden) so backends in other crates run the very same suite.
//! Keys are random per run, so a shared server needs no cleanup.

use std::future::Future;

use time::{Duration, OffsetDateTime};

use super::{KeyDigest, KeyStore, StoredKey, Taken};
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
        expires_at: now() + ttl,
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
    assert_eq!(
        s.take(d, Some("intruder"), now()).await.expect("take"),
        Taken::OtherSession
    );
    assert_eq!(
        s.take(d, None, now()).await.expect("take"),
        Taken::OtherSession
    );
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
