//! One-time keys, after ViUR's `securitykey`: random keys accepted exactly
//! once, optionally bound to a session, carrying custom data.
//!
//! Use them where a request must not be replayed (a payment, a delete), and
//! for one-call links (password reset, e-mail confirmation) whose data the
//! key carries. Unlike signed [`Tokens`](crate::Tokens) they need a store,
//! and the store's atomic `take` is what makes "exactly once" hold across
//! concurrent requests and across instances sharing the store.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use time::{Duration, OffsetDateTime};

use crate::store::{KeyDigest, KeyStore, StoreError, StoredKey, Taken};
use crate::{ConfigError, Entropy, Malformed, Rejection, SystemEntropy};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// Bits of entropy per key character (the alphabet has 64 symbols).
const BITS_PER_CHAR: usize = 6;

/// How to create a one-time key.
///
/// ```
/// use time::Duration;
/// use xsrf_core::CreateOptions;
/// let opts = CreateOptions::new()
///     .duration(Duration::minutes(30))
///     .bound_to("session-1")
///     .key_length(32);
/// assert_eq!(opts.key_length_chars(), 32);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct CreateOptions {
    duration: Duration,
    session: Option<String>,
    quota_owner: Option<String>,
    key_length: usize,
}

impl Default for CreateOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl CreateOptions {
    /// Default lifetime: one day, as ViUR's `SECURITYKEY_DURATION`.
    pub const DEFAULT_DURATION: Duration = Duration::days(1);
    /// Default length: 22 characters, 132 bits.
    pub const DEFAULT_KEY_LENGTH: usize = 22;
    /// Shortest length accepted: 11 characters, 66 bits.
    pub const MIN_KEY_LENGTH: usize = 64_usize.div_ceil(BITS_PER_CHAR);
    /// Longest length accepted.
    pub const MAX_KEY_LENGTH: usize = 128;

    /// Defaults: one day, not session-bound, 22 characters.
    pub fn new() -> Self {
        Self {
            duration: Self::DEFAULT_DURATION,
            session: None,
            quota_owner: None,
            key_length: Self::DEFAULT_KEY_LENGTH,
        }
    }

    /// How long the key stays valid.
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = duration;
        self
    }

    /// Binds the key to a session: only that session can use it, and
    /// clearing the session deletes it.
    pub fn bound_to(mut self, session: impl Into<String>) -> Self {
        self.session = Some(session.into());
        self
    }

    /// Binds to a session, or to none.
    pub fn maybe_bound_to(mut self, session: Option<String>) -> Self {
        self.session = session;
        self
    }

    /// Counts an unbound key against `session`'s quota: the session whose
    /// request asks for the key (xsrf-actix's `create_one_time_unbound`
    /// does this), so that one session cannot fill the store with keys
    /// usable by anyone; over its quota, its own oldest unbound keys go
    /// first. The key stays redeemable from any session. Ignored for a
    /// bound key, which counts against the session it is bound to.
    ///
    /// ```
    /// use xsrf_core::{CreateOptions, MemoryStore, OneTimeKeys};
    /// # futures_executor::block_on(async {
    /// let keys = OneTimeKeys::new(MemoryStore::default().with_session_quota(1));
    /// let now = time::OffsetDateTime::now_utc();
    /// let asked_by_a = CreateOptions::new().quota_owner("session-a");
    /// let first = keys.create(&asked_by_a, &"link 1", now).await?;
    /// let second = keys.create(&asked_by_a, &"link 2", now).await?;
    /// // Session a's quota is one unbound key: its first made room.
    /// assert!(keys.validate::<String>(first.as_str(), None, now).await.is_err());
    /// // The second is redeemable from any session.
    /// assert_eq!(keys.validate::<String>(second.as_str(), Some("b"), now).await?, "link 2");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn quota_owner(mut self, session: impl Into<String>) -> Self {
        self.quota_owner = Some(session.into());
        self
    }

    /// Key length in characters of the URL-safe alphabet (6 bits each).
    pub fn key_length(mut self, chars: usize) -> Self {
        self.key_length = chars;
        self
    }

    /// The key length asked for.
    pub fn key_length_chars(&self) -> usize {
        self.key_length
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.key_length < Self::MIN_KEY_LENGTH {
            return Err(ConfigError::KeyLengthTooShort {
                len: self.key_length,
                bits: self.key_length * BITS_PER_CHAR,
            });
        }
        if self.key_length > Self::MAX_KEY_LENGTH {
            return Err(ConfigError::KeyLengthTooLong {
                max: Self::MAX_KEY_LENGTH,
            });
        }
        if !self.duration.is_positive() {
            return Err(ConfigError::NonPositiveDuration("one-time key duration"));
        }
        Ok(())
    }
}

/// A freshly created one-time key: give it to the client (a link, a form
/// field). `Debug` is redacted.
///
/// It is only text; [`OneTimeKeys::validate`] accepts it once (in
/// `xsrf-actix`, `Xsrf::redeem`, the `Redeemed<T>` extractor or
/// `#[handle_token(one_time)]`).
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeKey(String);

impl OneTimeKey {
    /// The key text (URL-safe).
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The key text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for OneTimeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeKey(..)")
    }
}

impl fmt::Display for OneTimeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a key could not be created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CreateError {
    /// The options are unsafe or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The custom data could not be serialized.
    #[error("one-time key data could not be serialized: {0}")]
    Data(#[from] serde_json::Error),
}

/// Creates and validates one-time keys over a [`KeyStore`].
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use time::{Duration, OffsetDateTime};
/// use xsrf_core::{CreateOptions, MemoryStore, OneTimeKeys, Rejection};
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct Reset { user: u64 }
///
/// # futures_executor::block_on(async {
/// let keys = OneTimeKeys::new(MemoryStore::default());
/// let now = OffsetDateTime::now_utc();
/// let opts = CreateOptions::new().duration(Duration::hours(1)).bound_to("sess-a");
/// let key = keys.create(&opts, &Reset { user: 7 }, now).await?;
///
/// // Another session cannot use (or burn) it.
/// let err = keys.validate::<Reset>(key.as_str(), Some("sess-b"), now).await;
/// assert_eq!(err, Err(Rejection::OtherSession));
/// // Its owner can, once.
/// let data: Reset = keys.validate(key.as_str(), Some("sess-a"), now).await?;
/// assert_eq!(data, Reset { user: 7 });
/// let again = keys.validate::<Reset>(key.as_str(), Some("sess-a"), now).await;
/// assert_eq!(again, Err(Rejection::AlreadyUsed));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct OneTimeKeys<S> {
    store: S,
    entropy: Arc<dyn Entropy>,
}

impl<S: fmt::Debug> fmt::Debug for OneTimeKeys<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneTimeKeys")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl<S: Clone> Clone for OneTimeKeys<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            entropy: Arc::clone(&self.entropy),
        }
    }
}

impl<S: KeyStore> OneTimeKeys<S> {
    /// Keys over `store`, drawing randomness from [`SystemEntropy`].
    pub fn new(store: S) -> Self {
        Self {
            store,
            entropy: Arc::new(SystemEntropy),
        }
    }

    /// Uses another entropy source.
    #[must_use]
    pub fn with_entropy(mut self, entropy: impl Entropy) -> Self {
        self.entropy = Arc::new(entropy);
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Creates a key carrying `data` (use `&()` for none).
    pub async fn create<T: Serialize + ?Sized>(
        &self,
        options: &CreateOptions,
        data: &T,
        now: OffsetDateTime,
    ) -> Result<OneTimeKey, CreateError> {
        options.check()?;
        let mut data = serde_json::to_vec(data)?;
        // serde_json starts with 128 bytes of capacity; a store holding a
        // million keys should not keep that slack for an 8-byte payload.
        data.shrink_to_fit();
        let mut bytes = vec![0u8; options.key_length];
        self.entropy.fill(&mut bytes);
        // 256 is a multiple of 64, so masking keeps every symbol equally likely.
        let key: String = bytes
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(b & 63)]))
            .collect();
        let entry = StoredKey {
            data,
            session: options.session.clone(),
            quota_owner: options.quota_owner.clone(),
            expires_at: now + options.duration,
        };
        self.store.put(KeyDigest::of(&key), entry, now).await?;
        Ok(OneTimeKey(key))
    }

    /// Accepts `key` once, from `session`, and returns its data.
    ///
    /// Fails closed: a store error is [`Rejection::StoreUnavailable`]. Input
    /// that cannot be a key is refused before the store is asked.
    pub async fn validate<T: DeserializeOwned>(
        &self,
        key: &str,
        session: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<T, Rejection> {
        check_shape(key)?;
        let taken = self
            .store
            .take(KeyDigest::of(key), session, now)
            .await
            .map_err(|_| Rejection::StoreUnavailable)?;
        match taken {
            Taken::Valid(data) => {
                serde_json::from_slice(&data).map_err(|_| Rejection::DataMismatch)
            }
            Taken::Missing => Err(Rejection::AlreadyUsed),
            Taken::Expired => Err(Rejection::KeyExpired),
            Taken::OtherSession => Err(Rejection::OtherSession),
        }
    }

    /// Deletes expired keys (for stores without their own expiry).
    pub async fn purge_expired(&self, now: OffsetDateTime) -> Result<usize, StoreError> {
        self.store.purge_expired(now).await
    }

    /// Deletes every key bound to `session` (call at logout).
    pub async fn clear_session(&self, session: &str) -> Result<usize, StoreError> {
        self.store.clear_session(session).await
    }
}

fn check_shape(key: &str) -> Result<(), Rejection> {
    if key.trim().is_empty() {
        return Err(Rejection::Missing);
    }
    if key.len() < CreateOptions::MIN_KEY_LENGTH || key.len() > CreateOptions::MAX_KEY_LENGTH {
        return Err(Rejection::Malformed(Malformed::Length));
    }
    if !key.bytes().all(|b| ALPHABET.contains(&b)) {
        return Err(Rejection::Malformed(Malformed::Encoding));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
