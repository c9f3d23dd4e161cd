//! The embedded, in-process key store.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use time::OffsetDateTime;

use crate::secret_eq;

use super::{KeyDigest, KeyStore, StoreError, StoreFuture, StoredKey, Taken};

/// One-time keys in a mutex-guarded map, for a single process.
///
/// Memory is bounded: when the store holds `capacity` keys, expired keys are
/// purged, and if it is still full, creation fails with
/// [`StoreError::Full`] rather than growing without end. Keys are lost on
/// restart; run several instances on a shared store (Redis) instead.
///
/// ```
/// use xsrf_core::{MemoryStore, OneTimeKeys, CreateOptions};
/// # futures_executor::block_on(async {
/// let keys = OneTimeKeys::new(MemoryStore::with_capacity(10_000));
/// let now = time::OffsetDateTime::now_utc();
/// let key = keys.create(&CreateOptions::new(), &"hello", now).await?;
/// let data: String = keys.validate(key.as_str(), None, now).await?;
/// assert_eq!(data, "hello");
/// assert!(keys.validate::<String>(key.as_str(), None, now).await.is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Inner {
    keys: HashMap<KeyDigest, StoredKey>,
    sessions: HashMap<String, HashSet<KeyDigest>>,
}

impl Inner {
    fn remove(&mut self, digest: &KeyDigest) -> Option<StoredKey> {
        let entry = self.keys.remove(digest)?;
        if let Some(session) = &entry.session
            && let Some(set) = self.sessions.get_mut(session)
        {
            set.remove(digest);
            if set.is_empty() {
                self.sessions.remove(session);
            }
        }
        Some(entry)
    }

    fn purge(&mut self, now: OffsetDateTime) -> usize {
        let expired: Vec<KeyDigest> = self
            .keys
            .iter()
            .filter(|(_, e)| e.expires_at <= now)
            .map(|(d, _)| *d)
            .collect();
        for d in &expired {
            self.remove(d);
        }
        expired.len()
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }
}

impl MemoryStore {
    /// Default bound on the number of live keys.
    pub const DEFAULT_CAPACITY: usize = 1_000_000;

    /// A store holding at most `capacity` keys.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            capacity,
        }
    }

    /// Live keys (expired ones not yet purged included).
    pub fn len(&self) -> usize {
        self.lock().keys.len()
    }

    /// Whether the store holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // A panic while holding the lock cannot leave the maps half-updated in
    // a way that matters (each operation is one insert/remove), so a
    // poisoned lock is used as is rather than taking the process down.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn put_now(
        &self,
        digest: KeyDigest,
        entry: StoredKey,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if inner.keys.len() >= self.capacity && inner.purge(now) == 0 {
            return Err(StoreError::Full);
        }
        if let Some(session) = &entry.session {
            inner
                .sessions
                .entry(session.clone())
                .or_default()
                .insert(digest);
        }
        inner.keys.insert(digest, entry);
        Ok(())
    }

    fn take_now(&self, digest: KeyDigest, session: Option<&str>, now: OffsetDateTime) -> Taken {
        let mut inner = self.lock();
        let Some(entry) = inner.keys.get(&digest) else {
            return Taken::Missing;
        };
        if entry.expires_at <= now {
            inner.remove(&digest);
            return Taken::Expired;
        }
        if let Some(owner) = &entry.session
            && !session.is_some_and(|s| secret_eq(owner, s))
        {
            return Taken::OtherSession;
        }
        match inner.remove(&digest) {
            Some(entry) => Taken::Valid(entry.data),
            None => Taken::Missing,
        }
    }

    fn clear_now(&self, session: &str) -> usize {
        let mut inner = self.lock();
        let digests = inner.sessions.remove(session).unwrap_or_default();
        digests
            .iter()
            .filter(|d| inner.keys.remove(d).is_some())
            .count()
    }
}

impl KeyStore for MemoryStore {
    fn put<'a>(
        &'a self,
        digest: KeyDigest,
        entry: StoredKey,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, ()> {
        Box::pin(std::future::ready(self.put_now(digest, entry, now)))
    }

    fn take<'a>(
        &'a self,
        digest: KeyDigest,
        session: Option<&'a str>,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Taken> {
        Box::pin(std::future::ready(Ok(self.take_now(digest, session, now))))
    }

    fn purge_expired(&self, now: OffsetDateTime) -> StoreFuture<'_, usize> {
        Box::pin(std::future::ready(Ok(self.lock().purge(now))))
    }

    fn clear_session<'a>(&'a self, session: &'a str) -> StoreFuture<'a, usize> {
        Box::pin(std::future::ready(Ok(self.clear_now(session))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::acceptance;

    #[test]
    fn memory_store_passes_the_acceptance_suite() {
        futures_executor::block_on(acceptance::run_all(
            acceptance::Expiry::ByCallerClock,
            || async { MemoryStore::default() },
        ));
    }

    #[test]
    fn capacity_bounds_memory() {
        let store = MemoryStore::with_capacity(2);
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        let entry = |secs| StoredKey {
            data: vec![],
            session: None,
            expires_at: now + time::Duration::seconds(secs),
        };
        store
            .put_now(KeyDigest::of("a"), entry(-1), now)
            .expect("a");
        store
            .put_now(KeyDigest::of("b"), entry(60), now)
            .expect("b");
        // Full, but "a" has expired and makes room.
        store
            .put_now(KeyDigest::of("c"), entry(60), now)
            .expect("c");
        assert_eq!(
            store.put_now(KeyDigest::of("d"), entry(60), now),
            Err(StoreError::Full)
        );
        assert_eq!(store.len(), 2);
    }
}
