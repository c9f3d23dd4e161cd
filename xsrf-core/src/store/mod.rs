//! Where one-time keys live: a small trait with an atomic `take`.
//!
//! The trait is object-safe (futures are boxed) so an application can hold
//! an `Arc<dyn KeyStore>` chosen at start-up. [`MemoryStore`] is the
//! embedded default; xsrf-actix has a Redis store behind a feature.
//! Implementations run the same acceptance suite
//! ([`acceptance`]).

use std::future::Future;
use std::pin::Pin;

use time::OffsetDateTime;

mod memory;

#[doc(hidden)]
pub mod acceptance;

pub use self::memory::MemoryStore;

/// The future a [`KeyStore`] method returns: boxed, so the trait stays
/// object-safe (`Arc<dyn KeyStore>`).
///
/// ```
/// use xsrf_core::store::StoreFuture;
/// fn answer(n: usize) -> StoreFuture<'static, usize> {
///     Box::pin(async move { Ok(n) })
/// }
/// # assert_eq!(futures_executor::block_on(answer(3)), Ok(3));
/// ```
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The SHA-256 digest of a one-time key: stores keep digests, never keys,
/// so a dump of the store yields nothing that can be redeemed.
///
/// ```
/// use xsrf_core::store::KeyDigest;
/// let d = KeyDigest::of("a-one-time-key");
/// assert_eq!(d, KeyDigest::of("a-one-time-key"));
/// assert_eq!(d.to_hex().len(), 64);
/// // Debug output never shows the digest (it names a live key).
/// assert_eq!(format!("{d:?}"), "KeyDigest(..)");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyDigest(pub(crate) [u8; 32]);

impl KeyDigest {
    /// The digest of `key`.
    pub fn of(key: &str) -> Self {
        let d = ring::digest::digest(&ring::digest::SHA256, key.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        Self(out)
    }

    /// Lower-case hex, for stores that key by string.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
}

impl std::fmt::Debug for KeyDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyDigest(..)")
    }
}

/// The SHA-256 digest of a session binding (the per-session salt), for
/// stores that must compare or name sessions outside this process.
///
/// A backend such as Redis compares in its own language (Lua), where no
/// constant-time compare is at hand: it compares these digests instead of
/// the salt, so timing can at most reveal a prefix of a digest, which does
/// not help to forge the salt. Key names and stored values carry the
/// digest too, so a dump of the store holds no session salt.
///
/// ```
/// use xsrf_core::store::SessionDigest;
/// let d = SessionDigest::of("per-session-salt");
/// assert_eq!(d.to_hex().len(), 64);
/// assert_eq!(d, SessionDigest::of("per-session-salt"));
/// assert_ne!(d, SessionDigest::of("another-salt"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionDigest([u8; 32]);

impl SessionDigest {
    /// The digest of `session` (domain-separated from key digests).
    pub fn of(session: &str) -> Self {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(b"xsrf session\0");
        ctx.update(session.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        Self(out)
    }

    /// Lower-case hex, for stores that key by string.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// The digest bytes (compare them with [`secret_eq`](crate::secret_eq)).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for SessionDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionDigest(..)")
    }
}

fn hex(bytes: &[u8; 32]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// What a store keeps per key.
///
/// Two sessions may be named, for two different things: `session` is the
/// *binding* (who may redeem the key), `quota_owner` the session whose
/// quota an unbound key counts against (who asked for it).
///
/// ```
/// use xsrf_core::store::StoredKey;
/// use time::{Duration, OffsetDateTime};
/// let expires_at = OffsetDateTime::now_utc() + Duration::minutes(15);
/// // Redeemable only by its session, and counted against that session.
/// let bound = StoredKey {
///     data: serde_json::to_vec(&42u32).unwrap(),
///     session: Some("per-session-salt".into()),
///     quota_owner: None,
///     expires_at,
/// };
/// assert_eq!(bound.data, b"42");
/// // A reset link: redeemable from any session, counted against the
/// // session whose request asked for it.
/// let link = StoredKey {
///     data: b"7".to_vec(),
///     session: None,
///     quota_owner: Some("requesting-session-salt".into()),
///     expires_at,
/// };
/// assert_eq!(link.quota_session(), Some("requesting-session-salt"));
/// assert_eq!(bound.quota_session(), Some("per-session-salt"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// The custom data, serialized (JSON).
    pub data: Vec<u8>,
    /// The session the key is bound to, if any: only that session can
    /// redeem it, and clearing the session deletes it.
    pub session: Option<String>,
    /// For an unbound key, the session whose request created it: the key
    /// counts against that session's quota of unbound keys
    /// ([`Quota::per_session`]; its own oldest go first), so one session
    /// can never fill the store, yet any session may redeem it and
    /// clearing the creating session leaves it alone. `None` for a key
    /// created outside any session's request (a background job): it counts
    /// against the store's unbound capacity only. Ignored for a bound key,
    /// which always counts against the session it is bound to.
    pub quota_owner: Option<String>,
    /// When the key stops being valid.
    pub expires_at: OffsetDateTime,
}

impl StoredKey {
    /// The session whose quota this key counts against: its binding if it
    /// is bound, else its [`quota_owner`](Self::quota_owner).
    pub fn quota_session(&self) -> Option<&str> {
        self.session.as_deref().or(self.quota_owner.as_deref())
    }
}

/// The outcome of an atomic [`KeyStore::take`].
///
/// ```
/// use xsrf_core::MemoryStore;
/// use xsrf_core::store::{KeyDigest, KeyStore, StoredKey, Taken};
/// use time::{Duration, OffsetDateTime};
/// # futures_executor::block_on(async {
/// let store = MemoryStore::default();
/// let now = OffsetDateTime::now_utc();
/// let d = KeyDigest::of("k");
/// let entry = StoredKey {
///     data: b"1".to_vec(),
///     session: Some("s".into()),
///     quota_owner: None,
///     expires_at: now + Duration::minutes(1),
/// };
/// store.put(d, entry, now).await?;
/// assert_eq!(store.take(d, Some("t"), now).await?, Taken::OtherSession);
/// assert_eq!(store.take(d, Some("s"), now).await?, Taken::Valid(b"1".to_vec()));
/// assert_eq!(store.take(d, Some("s"), now).await?, Taken::Missing);
/// # Ok::<(), xsrf_core::StoreError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// The key was valid and is now gone; here is its data.
    Valid(Vec<u8>),
    /// No such key (never issued, used, purged or cleared).
    Missing,
    /// The key had expired (and is now gone).
    Expired,
    /// The key is bound to another session; it was left in place.
    OtherSession,
}

/// A store failure. Validation fails closed on any of these.
///
/// ```
/// use xsrf_core::store::StoreError;
/// use xsrf_core::{CreateError, CreateOptions, MemoryStore, OneTimeKeys};
/// # futures_executor::block_on(async {
/// // One unbound key fits; the second is refused with a reason.
/// let keys = OneTimeKeys::new(MemoryStore::default().with_unbound_capacity(1));
/// let now = time::OffsetDateTime::now_utc();
/// assert!(keys.create(&CreateOptions::new(), &(), now).await.is_ok());
/// let refused = keys.create(&CreateOptions::new(), &(), now).await;
/// assert!(matches!(refused, Err(CreateError::Store(StoreError::Full))));
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend could not be reached or answered with an error.
    #[error("key store unavailable: {0}")]
    Unavailable(String),
    /// The store is at capacity even after purging expired keys.
    #[error("key store full")]
    Full,
    /// The backend returned something this crate did not write.
    #[error("key store returned unexpected data")]
    Corrupt,
}

/// The flood limits a store enforces against a client creating keys as
/// fast as it can, reported by [`KeyStore::quota`] so the shared
/// acceptance suite can check them.
///
/// ```
/// use xsrf_core::store::{KeyStore, Quota};
/// use xsrf_core::MemoryStore;
/// let store = MemoryStore::default().with_session_quota(32).with_unbound_capacity(1_000);
/// assert_eq!(store.quota(), Some(Quota::new(32, 1_000)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Quota {
    /// Keys one session may hold, of each kind: keys bound to it, and
    /// unbound keys it created (its [`StoredKey::quota_owner`], counted
    /// apart from its bound ones). Its next key of a kind evicts its own
    /// oldest of that kind, never another session's.
    pub per_session: usize,
    /// Unbound keys the store holds at most, of all sessions and none
    /// (counted apart from bound ones); beyond it, after expired ones are
    /// dropped, `put` fails with [`StoreError::Full`].
    pub unbound: usize,
}

impl Quota {
    /// Limits of `per_session` keys per session and `unbound` unbound keys.
    pub fn new(per_session: usize, unbound: usize) -> Self {
        Self {
            per_session,
            unbound,
        }
    }
}

/// Storage for one-time keys.
///
/// `take` must be atomic: of any number of concurrent takes of one key, at
/// most one returns [`Taken::Valid`]. A backend of your own (a SQL
/// table, say) does it in one statement (`DELETE ... RETURNING`) or one
/// transaction; a wrapper can add to an existing store, as here:
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use time::OffsetDateTime;
/// use xsrf_core::store::{KeyDigest, KeyStore, StoreFuture, StoredKey, Taken};
/// use xsrf_core::{CreateOptions, MemoryStore, OneTimeKeys};
///
/// /// Counts redemptions (for a metric), keeping the inner store's atomicity.
/// struct Counted<S> { inner: S, redeemed: AtomicUsize }
///
/// impl<S: KeyStore> KeyStore for Counted<S> {
///     fn put<'a>(&'a self, d: KeyDigest, e: StoredKey, now: OffsetDateTime) -> StoreFuture<'a, ()> {
///         self.inner.put(d, e, now)
///     }
///     fn take<'a>(&'a self, d: KeyDigest, s: Option<&'a str>, now: OffsetDateTime) -> StoreFuture<'a, Taken> {
///         Box::pin(async move {
///             let taken = self.inner.take(d, s, now).await?;
///             if matches!(taken, Taken::Valid(_)) {
///                 self.redeemed.fetch_add(1, Ordering::Relaxed);
///             }
///             Ok(taken)
///         })
///     }
///     fn purge_expired(&self, now: OffsetDateTime) -> StoreFuture<'_, usize> {
///         self.inner.purge_expired(now)
///     }
///     fn clear_session<'a>(&'a self, s: &'a str) -> StoreFuture<'a, usize> {
///         self.inner.clear_session(s)
///     }
///     fn quota(&self) -> Option<xsrf_core::store::Quota> {
///         self.inner.quota()
///     }
/// }
///
/// # futures_executor::block_on(async {
/// let store = std::sync::Arc::new(Counted { inner: MemoryStore::default(), redeemed: AtomicUsize::new(0) });
/// let keys = OneTimeKeys::new(store.clone());
/// let now = OffsetDateTime::now_utc();
/// let key = keys.create(&CreateOptions::new(), &"reset", now).await.unwrap();
/// assert_eq!(keys.validate::<String>(key.as_str(), None, now).await.as_deref(), Ok("reset"));
/// assert!(keys.validate::<String>(key.as_str(), None, now).await.is_err());
/// assert_eq!(store.redeemed.load(Ordering::Relaxed), 1);
/// # });
/// ```
pub trait KeyStore: Send + Sync + 'static {
    /// Stores a new key, within the store's [`Quota`]: a session over its
    /// quota (bound keys by [`StoredKey::session`], unbound ones by
    /// [`StoredKey::quota_owner`]) loses its own oldest key of that kind.
    fn put<'a>(
        &'a self,
        digest: KeyDigest,
        entry: StoredKey,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, ()>;

    /// Atomically removes and returns the key if it exists, has not expired
    /// and `session` matches its binding. A key bound to another session is
    /// left in place ([`Taken::OtherSession`]): a stranger cannot burn it.
    /// An unbound key matches any session.
    fn take<'a>(
        &'a self,
        digest: KeyDigest,
        session: Option<&'a str>,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Taken>;

    /// Deletes expired keys; returns how many.
    fn purge_expired(&self, now: OffsetDateTime) -> StoreFuture<'_, usize>;

    /// Deletes every key bound to `session` (logout); returns how many.
    fn clear_session<'a>(&'a self, session: &'a str) -> StoreFuture<'a, usize>;

    /// The flood limits this store enforces, if any. Stores in this
    /// workspace all have them, and the acceptance suite checks them.
    fn quota(&self) -> Option<Quota> {
        None
    }
}

impl<S: KeyStore + ?Sized> KeyStore for std::sync::Arc<S> {
    fn put<'a>(
        &'a self,
        digest: KeyDigest,
        entry: StoredKey,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, ()> {
        (**self).put(digest, entry, now)
    }
    fn take<'a>(
        &'a self,
        digest: KeyDigest,
        session: Option<&'a str>,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Taken> {
        (**self).take(digest, session, now)
    }
    fn purge_expired(&self, now: OffsetDateTime) -> StoreFuture<'_, usize> {
        (**self).purge_expired(now)
    }
    fn clear_session<'a>(&'a self, session: &'a str) -> StoreFuture<'a, usize> {
        (**self).clear_session(session)
    }
    fn quota(&self) -> Option<Quota> {
        (**self).quota()
    }
}
