//! One-time keys on Redis or Redis Cluster, for many instances:
//! [`RedisStore`].
//!
//! * `mod.rs` (this file): the store, its settings, the layout of its
//!   keys in Redis, and the [`KeyStore`] impl that calls the scripts.
//! * `connection.rs`: reaching Redis, one node or a cluster: the shared,
//!   lazily made connection, deadlines, the one safe retry, and error
//!   reasons that name no key.
//! * `put_bound.lua`, `put_unbound.lua`, `take.lua`, `clear.lua`: the
//!   scripts, each run atomically by Redis, each file starting with the
//!   `KEYS` and `ARGV` it takes and what it returns. They are compiled in
//!   with `include_str!`; the argument order in [`KeyStore`]'s methods
//!   below follows those headers.

mod connection;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
// Named in `RedisStore`'s docs; the code uses it only in `connection.rs`.
#[cfg(doc)]
use redis::aio::ConnectionManager;
use redis::cluster::ClusterClient;
use redis::{Client, Script};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use xsrf_core::store::{
    KeyDigest, KeyStore, Quota, SessionDigest, StoreError, StoreFuture, StoredKey, Taken,
};

use self::connection::{Link, Target, cluster_client, std_duration};

/// What is stored per key: JSON, so the Lua scripts can read it (`take.lua`
/// checks both fields).
#[derive(Serialize, Deserialize)]
struct Entry {
    /// The data, base64.
    d: String,
    /// Expiry, unix milliseconds.
    e: i64,
}

/// A [`KeyStore`] on Redis or Redis Cluster, shared by every instance of an
/// application: a key used on one instance is gone for all.
///
/// * **Layout, one slot per script.** A session's keys live in one hash,
///   `prefix + "{" + hex(SHA-256(session)) + "}:k"` (field: the key's
///   SHA-256, value: small JSON with the data in base64 and the expiry),
///   beside a sorted set `…}:o` of the same keys in creation order. Unbound
///   keys live in `prefix + "{unbound}:k"` with `…}:e` ordering them by
///   expiry (and `…}:c:…` per session, below). Each script is given only
///   keys of one hash tag (two, or three for an unbound key a session
///   asked for), so on Redis Cluster it runs on one slot of one node; no
///   script builds a key name, and nothing uses `KEYS` or `SCAN`. A dump of Redis holds
///   neither a key that can be redeemed nor a session salt.
/// * **Exactly once.** `take` is one Lua script: read, check expiry,
///   delete. Redis runs scripts one at a time, so of any number of
///   concurrent takes of a key, across all instances, exactly one wins.
///   `take` looks in the caller's session hash, then among unbound keys; a
///   key bound to another session is not found there, so it is neither
///   used nor burnt (it is reported [`Taken::Missing`], not
///   [`Taken::OtherSession`]: the store cannot tell whose it is without
///   looking in every session).
/// * **Flood limits.** A session holds at most
///   [`with_session_quota`](Self::with_session_quota) keys (default
///   [`DEFAULT_SESSION_QUOTA`](Self::DEFAULT_SESSION_QUOTA)); its next key
///   evicts its own oldest inside the same script. Unbound keys are
///   counted apart, at most
///   [`with_unbound_capacity`](Self::with_unbound_capacity) (default
///   [`DEFAULT_UNBOUND_CAPACITY`](Self::DEFAULT_UNBOUND_CAPACITY)); when
///   full, expired ones go first, then `put` fails with
///   [`StoreError::Full`]. Unbound keys a session asked for
///   ([`StoredKey::quota_owner`]) also count against that session, apart
///   from its bound keys: at most its quota, its own oldest first, so one
///   session cannot fill them. That count lives in a sorted set
///   `prefix + "{unbound}:c:" + hex(SHA-256(session))`, under the unbound
///   keys' hash tag, so the one script that stores a key also counts it;
///   it expires with the last key it counts.
///   A put makes room in bounded work whatever the store holds: at most
///   1,000 expired keys dropped, at most the quota's worth of the
///   session's own keys looked at. Hashes expire by TTL (that of their
///   longest-lived key), so Redis drops idle sessions itself and
///   [`purge_expired`](KeyStore::purge_expired) has nothing to do. How many
///   sessions exist is up to the session layer: bound Redis' memory with
///   `maxmemory` and rate-limit the routes that create keys.
/// * **Logout.** [`clear_session`](KeyStore::clear_session) deletes the
///   session's two keys. Unbound keys it asked for stay (they were meant
///   for someone else), still counted against it until used or expired.
/// * **Failures.** A single node is reached through a [`ConnectionManager`],
///   a cluster through the `redis` crate's cluster connection (both
///   multiplexed, both reconnect by themselves; the cluster one follows
///   slot moves and failovers). The connection is made on first use, not
///   by [`new`](Self::new), so an application starts while Redis is down
///   (use [`connect`](Self::connect) to check at start-up instead). If a
///   connection ever fails with something other than an I/O error (say, a
///   refused `AUTH` while reconnecting), it is dropped and the next call
///   makes a new one. Every connection attempt and command has a deadline
///   ([`with_timeout`](Self::with_timeout), default 2 s), so a dead node is
///   a quick [`StoreError::Unavailable`] (a 503 refusal, failing closed),
///   never a hang. Reasons name the kind of failure only, never a key,
///   digest or session.
///
/// ```no_run
/// use xsrf_actix::{SigningKey, Xsrf, store::RedisStore};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // One node: a `redis://` URL. A cluster: its nodes, comma-separated
/// // (any reachable one is enough to discover the rest).
/// let config = std::env::var("XSRF_REDIS")
///     .unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned());
/// // Checks the configuration only; the connection is made on first use.
/// let store = RedisStore::from_config(&config)?.with_prefix("shop:otk:");
/// let xsrf = Xsrf::builder()
///     .secret(SigningKey::from_env("XSRF_SECRET")?)
///     .one_time_store(store)
///     .build()?;
/// # let _ = xsrf; Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    link: Link,
    prefix: String,
    session_quota: usize,
    unbound_capacity: usize,
    scripts: Arc<Scripts>,
}

/// The Lua scripts, each given only keys of one hash tag (one slot on a
/// cluster); none builds a key name.
struct Scripts {
    put_bound: Script,
    put_unbound: Script,
    take: Script,
    clear: Script,
}

impl Scripts {
    fn new() -> Self {
        Self {
            put_bound: Script::new(include_str!("put_bound.lua")),
            put_unbound: Script::new(include_str!("put_unbound.lua")),
            take: Script::new(include_str!("take.lua")),
            clear: Script::new(include_str!("clear.lua")),
        }
    }
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field(
                "target",
                &if self.link.is_cluster() {
                    "cluster"
                } else {
                    "single node"
                },
            )
            .field("prefix", &self.prefix)
            .field("timeout", &self.link.timeout())
            .field("session_quota", &self.session_quota)
            .field("unbound_capacity", &self.unbound_capacity)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Default key prefix.
    pub const DEFAULT_PREFIX: &'static str = "xsrf:otk:";
    /// Default deadline of a connection attempt or a command (a
    /// [`time::Duration`], like every duration of this crate).
    pub const DEFAULT_TIMEOUT: time::Duration = time::Duration::seconds(2);
    /// Default number of keys one session may hold.
    pub const DEFAULT_SESSION_QUOTA: usize = 100;
    /// Default bound on the number of unbound keys.
    pub const DEFAULT_UNBOUND_CAPACITY: usize = 100_000;

    /// A store for the single Redis at `url`
    /// (`redis://[:password@]host:port/db`). Only the URL is checked here;
    /// the connection is made on first use, so this succeeds while Redis
    /// is down.
    pub fn new(url: &str) -> Result<Self, StoreError> {
        let client = Client::open(url)
            .map_err(|_| StoreError::Unavailable("invalid Redis URL".to_owned()))?;
        Ok(Self::from_client(client))
    }

    /// A store for the Redis Cluster reachable at any of `nodes`
    /// (`redis://host:port` each). Lazy like [`new`](Self::new).
    ///
    /// Run the cluster with `cluster-require-full-coverage no`, so that
    /// while a primary is down (and has no replica to take over) only the
    /// keys in its slots are refused, not every key.
    pub fn cluster<I, S>(nodes: I) -> Result<Self, StoreError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let nodes: Vec<String> = nodes.into_iter().map(|n| n.as_ref().to_owned()).collect();
        let client = cluster_client(nodes, std_duration(Self::DEFAULT_TIMEOUT))?;
        Ok(Self::with_target(Target::Cluster(client)))
    }

    /// A single node for one `redis://` URL, a cluster for a
    /// comma-separated list of node URLs (what an application reads from
    /// its configuration).
    ///
    /// ```
    /// use xsrf_actix::store::RedisStore;
    /// let one = RedisStore::from_config("redis://127.0.0.1:6379/")?;
    /// let cluster = RedisStore::from_config("redis://10.0.0.1:7000, redis://10.0.0.2:7000")?;
    /// assert!(!one.is_cluster() && cluster.is_cluster());
    /// # Ok::<(), xsrf_actix::store::StoreError>(())
    /// ```
    pub fn from_config(config: &str) -> Result<Self, StoreError> {
        if config.contains(',') {
            Self::cluster(config.split(',').map(str::trim).filter(|n| !n.is_empty()))
        } else {
            Self::new(config.trim())
        }
    }

    /// A store over an already configured single-node client (TLS,
    /// RESP3, ...). Lazy like [`new`](Self::new).
    pub fn from_client(client: Client) -> Self {
        Self::with_target(Target::Single(client))
    }

    /// A store over an already configured cluster client. Lazy like
    /// [`new`](Self::new).
    pub fn from_cluster_client(client: ClusterClient) -> Self {
        Self::with_target(Target::Cluster(client))
    }

    fn with_target(target: Target) -> Self {
        Self {
            link: Link::new(target, std_duration(Self::DEFAULT_TIMEOUT)),
            prefix: Self::DEFAULT_PREFIX.to_owned(),
            session_quota: Self::DEFAULT_SESSION_QUOTA,
            unbound_capacity: Self::DEFAULT_UNBOUND_CAPACITY,
            scripts: Arc::new(Scripts::new()),
        }
    }

    /// Like [`from_config`](Self::from_config), but connects now (within
    /// [`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT)), for applications that
    /// would rather not start without Redis. Once made, the store recovers
    /// from later outages by itself either way.
    pub async fn connect(config: &str) -> Result<Self, StoreError> {
        let store = Self::from_config(config)?;
        store.link.connect().await?;
        Ok(store)
    }

    /// Whether this store talks to a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        self.link.is_cluster()
    }

    /// Uses another key prefix (several applications on one Redis). It
    /// should not contain `{` or `}`: Redis Cluster would take a hash tag
    /// from it and put every key in one slot.
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Uses another deadline per connection attempt and per command
    /// (default 2 s; under a millisecond counts as one millisecond).
    #[must_use]
    pub fn with_timeout(mut self, timeout: time::Duration) -> Self {
        self.link.set_timeout(std_duration(timeout));
        self
    }

    /// Allows each session at most `n` keys (at least 1); its next key
    /// evicts its own oldest.
    #[must_use]
    pub fn with_session_quota(mut self, n: usize) -> Self {
        self.session_quota = n.max(1);
        self
    }

    /// Allows at most `n` unbound keys (counted apart from bound ones).
    #[must_use]
    pub fn with_unbound_capacity(mut self, n: usize) -> Self {
        self.unbound_capacity = n;
        self
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The hash and order of a session's keys (one hash tag).
    fn session_keys(&self, session: &SessionDigest) -> [String; 2] {
        let tag = session.to_hex();
        [
            format!("{}{{{tag}}}:k", self.prefix),
            format!("{}{{{tag}}}:o", self.prefix),
        ]
    }

    /// The hash and expiry index of unbound keys (one hash tag).
    fn unbound_keys(&self) -> [String; 2] {
        [
            format!("{}{{unbound}}:k", self.prefix),
            format!("{}{{unbound}}:e", self.prefix),
        ]
    }

    /// The unbound keys a session asked for, in creation order: under the
    /// unbound keys' hash tag (not the session's), so that one script, on
    /// one slot, both counts a new key against its session and stores it.
    fn unbound_keys_of(&self, session: &SessionDigest) -> String {
        format!("{}{{unbound}}:c:{}", self.prefix, session.to_hex())
    }

    async fn take_from(
        &self,
        keys: [String; 2],
        digest: &KeyDigest,
        now: OffsetDateTime,
    ) -> Result<Taken, StoreError> {
        let mut inv = self.scripts.take.prepare_invoke();
        inv.key(&keys[0])
            .key(&keys[1])
            .arg(digest.to_hex())
            .arg(unix_ms(now));
        let reply: Vec<redis::Value> = self.link.run(inv).await?;
        match reply.as_slice() {
            [redis::Value::Int(0)] => Ok(Taken::Missing),
            [redis::Value::Int(2)] => Ok(Taken::Expired),
            [redis::Value::Int(1), data] => {
                let data: String =
                    redis::from_redis_value(data).map_err(|_| StoreError::Corrupt)?;
                STANDARD
                    .decode(data)
                    .map(Taken::Valid)
                    .map_err(|_| StoreError::Corrupt)
            }
            _ => Err(StoreError::Corrupt),
        }
    }
}

fn unix_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

impl KeyStore for RedisStore {
    fn put<'a>(
        &'a self,
        digest: KeyDigest,
        entry: StoredKey,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            // At least a second: an already expired key is still found
            // (and answered `Expired`) rather than racing Redis' expiry.
            let ttl_ms = (entry.expires_at - now).whole_milliseconds().max(1_000);
            let expires = unix_ms(entry.expires_at);
            let value = serde_json::to_string(&Entry {
                d: STANDARD.encode(&entry.data),
                e: expires,
            })
            .map_err(|_| StoreError::Corrupt)?;
            let stored: i64 = match &entry.session {
                Some(session) => {
                    let keys = self.session_keys(&SessionDigest::of(session));
                    let mut inv = self.scripts.put_bound.prepare_invoke();
                    inv.key(&keys[0])
                        .key(&keys[1])
                        .arg(digest.to_hex())
                        .arg(value)
                        .arg(ttl_ms.to_string())
                        .arg(self.session_quota);
                    self.link.run(inv).await?
                }
                None => {
                    let keys = self.unbound_keys();
                    let mut inv = self.scripts.put_unbound.prepare_invoke();
                    inv.key(&keys[0]).key(&keys[1]);
                    let owner = entry.quota_owner.as_deref().map(SessionDigest::of);
                    if let Some(owner) = &owner {
                        inv.key(self.unbound_keys_of(owner));
                    }
                    inv.arg(digest.to_hex())
                        .arg(value)
                        .arg(ttl_ms.to_string())
                        .arg(self.unbound_capacity)
                        .arg(unix_ms(now))
                        .arg(expires);
                    if owner.is_some() {
                        inv.arg(self.session_quota);
                    }
                    self.link.run(inv).await?
                }
            };
            if stored == 1 {
                Ok(())
            } else {
                Err(StoreError::Full)
            }
        })
    }

    fn take<'a>(
        &'a self,
        digest: KeyDigest,
        session: Option<&'a str>,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Taken> {
        Box::pin(async move {
            // A key lives in exactly one place (its session's hash, or
            // among unbound keys), and each look is atomic: two looks
            // cannot accept it twice.
            if let Some(session) = session {
                let keys = self.session_keys(&SessionDigest::of(session));
                match self.take_from(keys, &digest, now).await? {
                    Taken::Missing => {}
                    found => return Ok(found),
                }
            }
            self.take_from(self.unbound_keys(), &digest, now).await
        })
    }

    /// Redis deletes keys when their TTL runs out, and `put` drops expired
    /// unbound keys: nothing to do, returns 0.
    fn purge_expired(&self, _now: OffsetDateTime) -> StoreFuture<'_, usize> {
        Box::pin(std::future::ready(Ok(0)))
    }

    fn clear_session<'a>(&'a self, session: &'a str) -> StoreFuture<'a, usize> {
        Box::pin(async move {
            let keys = self.session_keys(&SessionDigest::of(session));
            let mut inv = self.scripts.clear.prepare_invoke();
            inv.key(&keys[0]).key(&keys[1]);
            let n: i64 = self.link.run(inv).await?;
            usize::try_from(n).map_err(|_| StoreError::Corrupt)
        })
    }

    fn quota(&self) -> Option<Quota> {
        Some(Quota::new(self.session_quota, self.unbound_capacity))
    }
}
