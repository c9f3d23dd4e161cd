//! Unit tests of the memory store: its quotas, the expiry index and the
//! work a put does.

use super::*;
use crate::store::acceptance;

const NOW: OffsetDateTime = time::macros::datetime!(2026-11-23 12:00 UTC);

fn entry(session: Option<&str>, secs: i64) -> StoredKey {
    StoredKey {
        data: vec![],
        session: session.map(str::to_owned),
        quota_owner: None,
        expires_at: NOW + time::Duration::seconds(secs),
    }
}

#[test]
fn memory_store_passes_the_acceptance_suite() {
    futures_executor::block_on(acceptance::run_all(
        acceptance::Expiry::ByCallerClock,
        || async {
            MemoryStore::default()
                .with_session_quota(8)
                .with_unbound_capacity(16)
        },
    ));
}

#[test]
fn capacity_bounds_memory() {
    let store = MemoryStore::with_capacity(2);
    store
        .put_now(KeyDigest::of("a"), entry(None, -1), NOW)
        .expect("a");
    store
        .put_now(KeyDigest::of("b"), entry(None, 60), NOW)
        .expect("b");
    // Full, but "a" has expired and makes room.
    store
        .put_now(KeyDigest::of("c"), entry(None, 60), NOW)
        .expect("c");
    assert_eq!(
        store.put_now(KeyDigest::of("d"), entry(None, 60), NOW),
        Err(StoreError::Full)
    );
    assert_eq!(store.len(), 2);
}

#[test]
fn k8_full_bound_pool_recycles_own_keys_and_refuses_newcomers() {
    let store = MemoryStore::with_capacity(3);
    for (i, s) in ["alice", "alice", "bob"].iter().enumerate() {
        store
            .put_now(KeyDigest::of(&format!("k{i}")), entry(Some(s), 60), NOW)
            .expect("fits");
    }
    // A newcomer cannot push anyone out.
    assert_eq!(
        store.put_now(KeyDigest::of("m"), entry(Some("mallory"), 60), NOW),
        Err(StoreError::Full)
    );
    // Alice, who holds keys, recycles her oldest; Bob's stays.
    store
        .put_now(KeyDigest::of("k3"), entry(Some("alice"), 60), NOW)
        .expect("alice recycles");
    assert_eq!(
        store.take_now(KeyDigest::of("k0"), Some("alice"), NOW),
        Taken::Missing
    );
    assert_eq!(
        store.take_now(KeyDigest::of("k2"), Some("bob"), NOW),
        Taken::Valid(vec![])
    );
    assert_eq!(store.len(), 2);
}

#[test]
fn k8_counts_stay_right_through_replace_take_and_clear() {
    let store = MemoryStore::with_capacity(10).with_unbound_capacity(2);
    let d = KeyDigest::of("same");
    store.put_now(d, entry(None, 60), NOW).expect("put");
    store.put_now(d, entry(None, 60), NOW).expect("replace");
    store
        .put_now(KeyDigest::of("u2"), entry(None, 60), NOW)
        .expect("second");
    assert_eq!(
        store.put_now(KeyDigest::of("u3"), entry(None, 60), NOW),
        Err(StoreError::Full)
    );
    assert_eq!(store.take_now(d, None, NOW), Taken::Valid(vec![]));
    store
        .put_now(KeyDigest::of("u3"), entry(None, 60), NOW)
        .expect("room again");
    store
        .put_now(KeyDigest::of("s1"), entry(Some("s"), 60), NOW)
        .expect("s1");
    assert_eq!(store.clear_now("s"), 1);
    let inner = store.lock();
    assert_eq!(
        (inner.bound, inner.unbound, inner.sessions.len()),
        (0, 2, 0)
    );
}

#[test]
fn a_full_store_without_expired_keys_looks_at_one_entry() {
    let store = MemoryStore::with_capacity(2);
    store
        .put_now(KeyDigest::of("a"), entry(None, 60), NOW)
        .expect("a");
    store
        .put_now(KeyDigest::of("b"), entry(None, 120), NOW)
        .expect("b");
    let before = store.entries_examined();
    assert_eq!(
        store.put_now(KeyDigest::of("c"), entry(None, 60), NOW),
        Err(StoreError::Full)
    );
    // The soonest expiry is in a minute: nothing further to look at.
    assert_eq!(store.entries_examined() - before, 1);
    assert_eq!(store.lock().purge(NOW + time::Duration::seconds(60)), 1);
    assert_eq!(store.lock().purge(NOW + time::Duration::seconds(60)), 0);
    assert_eq!(store.lock().purge(NOW + time::Duration::seconds(120)), 1);
    let inner = store.lock();
    assert!(inner.by_expiry.is_empty() && inner.keys.is_empty());
}

#[test]
fn k9_unbound_keys_count_against_their_creator_apart_from_its_bound_ones() {
    let store = MemoryStore::with_capacity(100)
        .with_unbound_capacity(100)
        .with_session_quota(2);
    let link = |owner: &str| StoredKey {
        quota_owner: Some(owner.to_owned()),
        ..entry(None, 60)
    };
    store
        .put_now(KeyDigest::of("b0"), entry(Some("s"), 60), NOW)
        .expect("bound");
    for i in 0..5 {
        store
            .put_now(KeyDigest::of(&format!("u{i}")), link("s"), NOW)
            .expect("over its quota, a session recycles its own");
    }
    store
        .put_now(KeyDigest::of("t0"), link("t"), NOW)
        .expect("another session's");
    // s: its bound key and its 2 newest links; t: its link.
    assert_eq!(store.len(), 4);
    for gone in ["u0", "u1", "u2"] {
        assert_eq!(
            store.take_now(KeyDigest::of(gone), None, NOW),
            Taken::Missing
        );
    }
    // Clearing s deletes its bound key only; its links are anyone's.
    assert_eq!(store.clear_now("s"), 1);
    assert_eq!(
        store.take_now(KeyDigest::of("u4"), Some("t"), NOW),
        Taken::Valid(vec![])
    );
    let inner = store.lock();
    assert_eq!((inner.bound, inner.unbound), (0, 2));
    assert_eq!(inner.created.values().map(VecDeque::len).sum::<usize>(), 2);
    assert_eq!(inner.by_expiry.len(), 2);
}
