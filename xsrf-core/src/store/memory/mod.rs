//! The embedded, in-process key store.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use time::OffsetDateTime;

use crate::secret_eq;

use super::{KeyDigest, KeyStore, Quota, SessionDigest, StoreError, StoreFuture, StoredKey, Taken};

/// One-time keys in a mutex-guarded map, for a single process.
///
/// Memory is bounded four ways (against a client creating keys as fast
/// as it can, from one session or from many fresh ones):
///
/// * **Per session.** A session holds at most
///   [`session_quota`](Self::with_session_quota) keys bound to it (default
///   [`DEFAULT_SESSION_QUOTA`](Self::DEFAULT_SESSION_QUOTA)); a new key
///   beyond it evicts *that session's* oldest key, never another's.
/// * **Per session, unbound.** Unbound keys (e-mailed links) created in a
///   session ([`StoredKey::quota_owner`]) count against that session the
///   same way, apart from its bound ones: at most `session_quota`, its own
///   oldest go first. One session can never fill the store with them.
/// * **Session-bound keys in all.** At most `capacity` (default
///   [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY)). When full, expired keys
///   are purged; if it is still full, a session that already holds keys
///   recycles its own oldest one (so users who have keys keep getting
///   them), and a session holding none gets [`StoreError::Full`].
/// * **Unbound keys in all** are counted separately, at most
///   [`unbound_capacity`](Self::with_unbound_capacity) (default
///   [`DEFAULT_UNBOUND_CAPACITY`](Self::DEFAULT_UNBOUND_CAPACITY)), so a
///   flood of them cannot take room from session-bound keys. When full,
///   expired keys go first, then [`StoreError::Full`] (a 503 with a reason
///   in xsrf-actix, which also logs a warning). Fresh sessions cost a
///   client nothing, so routes that create unbound keys for anonymous
///   visitors should also be rate-limited per client address.
///
/// Making room costs a bounded amount of work per key, however many keys
/// the store holds: keys are indexed by expiry, so a purge looks at the
/// keys that have expired and one more, each once (`O(log n)` apiece), and
/// an eviction looks at one session's keys only.
///
/// Keys are lost on restart; run several instances on a shared store
/// (Redis) instead. Sessions are kept as [`SessionDigest`]s and compared
/// in constant time.
///
/// ```
/// use xsrf_core::{MemoryStore, OneTimeKeys, CreateOptions};
/// # futures_executor::block_on(async {
/// let store = MemoryStore::with_capacity(10_000).with_session_quota(2);
/// let keys = OneTimeKeys::new(store);
/// let now = time::OffsetDateTime::now_utc();
/// let mine = CreateOptions::new().bound_to("my-session");
/// let first = keys.create(&mine, &1, now).await?;
/// let _second = keys.create(&mine, &2, now).await?;
/// let _third = keys.create(&mine, &3, now).await?; // evicts `first`
/// assert!(keys.validate::<u8>(first.as_str(), Some("my-session"), now).await.is_err());
/// assert_eq!(keys.store().len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    capacity: usize,
    unbound_capacity: usize,
    session_quota: usize,
}

/// Whose key it is: the session it is bound to, or (unbound) the session
/// whose quota it counts against, if any.
#[derive(Debug, Clone, Copy)]
enum Holder {
    Bound(SessionDigest),
    Unbound(Option<SessionDigest>),
}

/// A stored key, leaner than [`StoredKey`]: sessions as digests.
#[derive(Debug)]
struct Entry {
    data: Vec<u8>,
    holder: Holder,
    expires_at: OffsetDateTime,
}

#[derive(Debug, Default)]
struct Inner {
    keys: HashMap<KeyDigest, Entry>,
    /// Each session's bound keys, oldest first.
    sessions: HashMap<SessionDigest, VecDeque<KeyDigest>>,
    /// Each session's unbound keys (by quota owner), oldest first.
    created: HashMap<SessionDigest, VecDeque<KeyDigest>>,
    /// Every key by expiry, soonest first: a purge pops what is due and
    /// stops at the first key that is not, instead of scanning every key.
    by_expiry: BTreeSet<(OffsetDateTime, [u8; 32])>,
    bound: usize,
    unbound: usize,
    /// Entries (of the expiry index and of a session's list) looked at
    /// while making room or removing keys: the counted cost of a put.
    examined: u64,
}

/// Removes `digest` from a session's list in `lists`, dropping the list
/// once empty; returns the entries looked at.
fn unlist(
    lists: &mut HashMap<SessionDigest, VecDeque<KeyDigest>>,
    session: &SessionDigest,
    digest: &KeyDigest,
) -> u64 {
    let Some(list) = lists.get_mut(session) else {
        return 0;
    };
    // A session holds at most its quota: this is bounded by it.
    let looked = list
        .iter()
        .position(|d| d == digest)
        .map_or(list.len(), |i| {
            list.remove(i);
            i + 1
        });
    if list.is_empty() {
        lists.remove(session);
    }
    looked as u64
}

impl Inner {
    fn remove(&mut self, digest: &KeyDigest) -> Option<Entry> {
        let entry = self.keys.remove(digest)?;
        self.by_expiry.remove(&(entry.expires_at, digest.0));
        match &entry.holder {
            Holder::Bound(session) => {
                self.bound -= 1;
                self.examined += unlist(&mut self.sessions, session, digest);
            }
            Holder::Unbound(owner) => {
                self.unbound -= 1;
                if let Some(owner) = owner {
                    self.examined += unlist(&mut self.created, owner, digest);
                }
            }
        }
        Some(entry)
    }

    /// Deletes every key expired at `now`: the soonest first, stopping at
    /// the first one still valid.
    fn purge(&mut self, now: OffsetDateTime) -> usize {
        let mut purged = 0;
        while let Some(&(expires_at, digest)) = self.by_expiry.first() {
            self.examined += 1;
            if expires_at > now {
                break;
            }
            self.by_expiry.pop_first();
            if self.remove(&KeyDigest(digest)).is_some() {
                purged += 1;
            }
        }
        purged
    }

    /// Removes the oldest key in `session`'s list of `lists`, if any.
    fn evict_oldest(&mut self, bound: bool, session: &SessionDigest) -> bool {
        let lists = if bound { &self.sessions } else { &self.created };
        let oldest = lists.get(session).and_then(|l| l.front().copied());
        oldest.is_some_and(|d| self.remove(&d).is_some())
    }

    fn held(&self, bound: bool, session: &SessionDigest) -> usize {
        let lists = if bound { &self.sessions } else { &self.created };
        lists.get(session).map_or(0, VecDeque::len)
    }

    fn insert(&mut self, digest: KeyDigest, entry: Entry) {
        // A digest collision (or a caller reusing one) replaces the old key
        // and must not be counted twice.
        self.remove(&digest);
        self.by_expiry.insert((entry.expires_at, digest.0));
        match &entry.holder {
            Holder::Bound(session) => {
                self.bound += 1;
                self.sessions.entry(*session).or_default().push_back(digest);
            }
            Holder::Unbound(owner) => {
                self.unbound += 1;
                if let Some(owner) = owner {
                    self.created.entry(*owner).or_default().push_back(digest);
                }
            }
        }
        self.keys.insert(digest, entry);
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }
}

/// Bytes a key costs beyond its data, for [`MemoryStore::estimated_bytes`]:
/// the map slot (digest, entry, control byte, load-factor slack), the
/// expiry index's entry (expiry and digest in a B-tree node, about 75
/// bytes as counted with 200,000 keys), the session list slot of a bound
/// key (or of an unbound key's quota owner) and the data's allocation
/// header.
const OVERHEAD_PER_KEY: usize = 240;

impl MemoryStore {
    /// Default bound on the number of session-bound keys.
    pub const DEFAULT_CAPACITY: usize = 1_000_000;
    /// Default bound on the number of unbound keys.
    pub const DEFAULT_UNBOUND_CAPACITY: usize = 100_000;
    /// Default number of keys one session may hold.
    pub const DEFAULT_SESSION_QUOTA: usize = 100;

    /// A store holding at most `capacity` session-bound keys and at most
    /// `capacity` unbound keys (the defaults for the rest).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            capacity,
            unbound_capacity: capacity.min(Self::DEFAULT_UNBOUND_CAPACITY),
            session_quota: Self::DEFAULT_SESSION_QUOTA,
        }
    }

    /// Allows at most `n` unbound keys (counted apart from bound ones).
    #[must_use]
    pub fn with_unbound_capacity(mut self, n: usize) -> Self {
        self.unbound_capacity = n;
        self
    }

    /// Allows each session at most `n` keys (at least 1); its next key
    /// evicts its oldest.
    #[must_use]
    pub fn with_session_quota(mut self, n: usize) -> Self {
        self.session_quota = n.max(1);
        self
    }

    /// Live keys (expired ones not yet purged included).
    pub fn len(&self) -> usize {
        self.lock().keys.len()
    }

    /// Whether the store holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sessions holding at least one key bound to them.
    pub fn sessions(&self) -> usize {
        self.lock().sessions.len()
    }

    /// An estimate of the bytes the keys occupy: a fixed overhead per key
    /// plus its data. Bounded by `(capacity + unbound_capacity) * (overhead
    /// + largest data)`, which is what the flood tests check.
    pub fn estimated_bytes(&self) -> usize {
        let inner = self.lock();
        inner
            .keys
            .values()
            .map(|e| OVERHEAD_PER_KEY + e.data.capacity())
            .sum()
    }

    /// The estimated bytes per key beyond its data
    /// (see [`estimated_bytes`](Self::estimated_bytes)).
    pub const fn overhead_per_key() -> usize {
        OVERHEAD_PER_KEY
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
        // Digested before the lock is taken: it is the costly part.
        let holder = match (&entry.session, &entry.quota_owner) {
            (Some(session), _) => Holder::Bound(SessionDigest::of(session)),
            (None, owner) => Holder::Unbound(owner.as_deref().map(SessionDigest::of)),
        };
        let mut inner = self.lock();
        match &holder {
            Holder::Bound(session) => {
                // The session's own oldest keys make room for its new one.
                while inner.held(true, session) >= self.session_quota
                    && inner.evict_oldest(true, session)
                {}
                if inner.bound >= self.capacity {
                    inner.purge(now);
                }
                if inner.bound >= self.capacity && !inner.evict_oldest(true, session) {
                    return Err(StoreError::Full);
                }
            }
            Holder::Unbound(owner) => {
                // Likewise among the unbound keys this session asked for.
                if let Some(owner) = owner {
                    while inner.held(false, owner) >= self.session_quota
                        && inner.evict_oldest(false, owner)
                    {}
                }
                if inner.unbound >= self.unbound_capacity {
                    inner.purge(now);
                    if inner.unbound >= self.unbound_capacity {
                        return Err(StoreError::Full);
                    }
                }
            }
        }
        inner.insert(
            digest,
            Entry {
                data: entry.data,
                holder,
                expires_at: entry.expires_at,
            },
        );
        Ok(())
    }

    fn take_now(&self, digest: KeyDigest, session: Option<&str>, now: OffsetDateTime) -> Taken {
        // Digested before the lock is taken: it is the costly part.
        let presented = session.map(SessionDigest::of);
        let mut inner = self.lock();
        let Some(entry) = inner.keys.get(&digest) else {
            return Taken::Missing;
        };
        if entry.expires_at <= now {
            inner.remove(&digest);
            return Taken::Expired;
        }
        if let Holder::Bound(owner) = &entry.holder
            && !presented.is_some_and(|s| secret_eq(owner.as_bytes(), s.as_bytes()))
        {
            return Taken::OtherSession;
        }
        match inner.remove(&digest) {
            Some(entry) => Taken::Valid(entry.data),
            None => Taken::Missing,
        }
    }

    /// Deletes the keys bound to `session`. Unbound keys it asked for stay:
    /// they were meant for someone else (an e-mailed link), and they keep
    /// counting against its quota until used or expired.
    fn clear_now(&self, session: &str) -> usize {
        let session = SessionDigest::of(session);
        let mut inner = self.lock();
        let digests = inner.sessions.remove(&session).unwrap_or_default();
        digests.iter().filter(|d| inner.remove(d).is_some()).count()
    }

    /// Entries looked at so far (of the expiry index and of the sessions'
    /// lists) while making room for new keys and removing old ones: the
    /// counted cost of `put`, which must not grow with the keys held.
    #[doc(hidden)]
    pub fn entries_examined(&self) -> u64 {
        self.lock().examined
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

    fn quota(&self) -> Option<Quota> {
        Some(Quota::new(self.session_quota, self.unbound_capacity))
    }
}

#[cfg(test)]
mod tests;
