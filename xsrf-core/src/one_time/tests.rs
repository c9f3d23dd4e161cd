//! Creating, redeeming and racing one-time keys against the memory store.

use super::*;
use crate::MemoryStore;
use futures_executor::block_on;
use std::sync::Barrier;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

fn keys() -> OneTimeKeys<Arc<MemoryStore>> {
    OneTimeKeys::new(Arc::new(MemoryStore::default()))
}

#[test]
fn k1_second_use_is_refused() {
    let k = keys();
    let key = block_on(k.create(&CreateOptions::new(), &42u32, NOW)).expect("create");
    assert_eq!(block_on(k.validate::<u32>(key.as_str(), None, NOW)), Ok(42));
    assert_eq!(
        block_on(k.validate::<u32>(key.as_str(), None, NOW)),
        Err(Rejection::AlreadyUsed)
    );
}

#[test]
fn k2_two_hundred_threads_race_one_key_and_one_wins() {
    let k = keys();
    let key = block_on(k.create(&CreateOptions::new(), &(), NOW)).expect("create");
    let barrier = Arc::new(Barrier::new(200));
    let handles: Vec<_> = (0..200)
        .map(|_| {
            let (k, key, barrier) = (k.clone(), key.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                block_on(k.validate::<()>(key.as_str(), None, NOW)).is_ok()
            })
        })
        .collect();
    let wins = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .filter(|won| *won)
        .count();
    assert_eq!(wins, 1);
}

#[test]
fn k3_other_session_neither_uses_nor_burns() {
    let k = keys();
    let opts = CreateOptions::new().bound_to("owner");
    let key = block_on(k.create(&opts, &"x", NOW)).expect("create");
    assert_eq!(
        block_on(k.validate::<String>(key.as_str(), Some("thief"), NOW)),
        Err(Rejection::OtherSession)
    );
    assert_eq!(
        block_on(k.validate::<String>(key.as_str(), None, NOW)),
        Err(Rejection::OtherSession)
    );
    assert_eq!(
        block_on(k.validate::<String>(key.as_str(), Some("owner"), NOW)),
        Ok("x".into())
    );
}

#[test]
fn k4_expired_key_is_refused() {
    let k = keys();
    let opts = CreateOptions::new().duration(Duration::minutes(10));
    let key = block_on(k.create(&opts, &(), NOW)).expect("create");
    let late = NOW + Duration::minutes(10);
    assert_eq!(
        block_on(k.validate::<()>(key.as_str(), None, late)),
        Err(Rejection::KeyExpired)
    );
    assert_eq!(
        block_on(k.validate::<()>(key.as_str(), None, NOW)),
        Err(Rejection::AlreadyUsed)
    );
}

#[test]
fn k5_cleared_session_keys_are_refused() {
    let k = keys();
    let opts = CreateOptions::new().bound_to("s");
    let a = block_on(k.create(&opts, &(), NOW)).expect("a");
    let b = block_on(k.create(&opts, &(), NOW)).expect("b");
    let other = block_on(k.create(&CreateOptions::new().bound_to("t"), &(), NOW)).expect("other");
    assert_eq!(block_on(k.clear_session("s")), Ok(2));
    for key in [&a, &b] {
        assert_eq!(
            block_on(k.validate::<()>(key.as_str(), Some("s"), NOW)),
            Err(Rejection::AlreadyUsed)
        );
    }
    assert_eq!(
        block_on(k.validate::<()>(other.as_str(), Some("t"), NOW)),
        Ok(())
    );
}

#[test]
fn purge_drops_expired_keys() {
    let k = keys();
    block_on(k.create(
        &CreateOptions::new().duration(Duration::seconds(5)),
        &(),
        NOW,
    ))
    .expect("short");
    block_on(k.create(&CreateOptions::new(), &(), NOW)).expect("long");
    assert_eq!(block_on(k.purge_expired(NOW + Duration::seconds(6))), Ok(1));
    assert_eq!(k.store().len(), 1);
}

#[test]
fn key_length_is_checked() {
    let k = keys();
    let short = CreateOptions::new().key_length(10);
    assert!(matches!(
        block_on(k.create(&short, &(), NOW)),
        Err(CreateError::Config(ConfigError::KeyLengthTooShort {
            len: 10,
            bits: 60
        }))
    ));
    let min = CreateOptions::new().key_length(CreateOptions::MIN_KEY_LENGTH);
    let key = block_on(k.create(&min, &(), NOW)).expect("11 chars");
    assert_eq!(key.as_str().len(), 11);
    let default = block_on(k.create(&CreateOptions::new(), &(), NOW)).expect("default");
    assert_eq!(default.as_str().len(), 22);
    assert!(default.as_str().bytes().all(|b| ALPHABET.contains(&b)));
}

#[test]
fn junk_is_refused_before_the_store() {
    let k = keys();
    for junk in [
        "",
        "   ",
        "short",
        &"A".repeat(1 << 20),
        "ABCDEFGHIJK/+=",
        "ÄÄÄÄÄÄÄÄÄÄÄÄ",
    ] {
        assert!(
            block_on(k.validate::<()>(junk, None, NOW)).is_err(),
            "{junk:.20}"
        );
    }
}

#[test]
fn wrong_data_type_is_refused() {
    let k = keys();
    let key = block_on(k.create(&CreateOptions::new(), &"text", NOW)).expect("create");
    assert_eq!(
        block_on(k.validate::<u64>(key.as_str(), None, NOW)),
        Err(Rejection::DataMismatch)
    );
}

#[test]
fn store_failure_fails_closed() {
    struct Down;
    impl KeyStore for Down {
        fn put<'a>(
            &'a self,
            _: KeyDigest,
            _: StoredKey,
            _: OffsetDateTime,
        ) -> crate::StoreFuture<'a, ()> {
            Box::pin(async { Err(StoreError::Unavailable("down".into())) })
        }
        fn take<'a>(
            &'a self,
            _: KeyDigest,
            _: Option<&'a str>,
            _: OffsetDateTime,
        ) -> crate::StoreFuture<'a, Taken> {
            Box::pin(async { Err(StoreError::Unavailable("down".into())) })
        }
        fn purge_expired(&self, _: OffsetDateTime) -> crate::StoreFuture<'_, usize> {
            Box::pin(async { Err(StoreError::Unavailable("down".into())) })
        }
        fn clear_session<'a>(&'a self, _: &'a str) -> crate::StoreFuture<'a, usize> {
            Box::pin(async { Err(StoreError::Unavailable("down".into())) })
        }
    }
    let k = OneTimeKeys::new(Down);
    let key = "A".repeat(22);
    assert_eq!(
        block_on(k.validate::<()>(&key, None, NOW)),
        Err(Rejection::StoreUnavailable)
    );
    assert!(matches!(
        block_on(k.create(&CreateOptions::new(), &(), NOW)),
        Err(CreateError::Store(_))
    ));
}
