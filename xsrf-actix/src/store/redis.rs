//! One-time keys on Redis or Redis Cluster, for many instances:
//! [`RedisStore`].

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Client, RedisError, Script};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use xsrf_core::store::{
    KeyDigest, KeyStore, Quota, SessionDigest, StoreError, StoreFuture, StoredKey, Taken,
};

// Every script touches the two keys it is given, which share a hash tag
// (one slot on a cluster), and builds no key names.

// A session's keys. KEYS[1]: its hash (digest -> value); KEYS[2]: its
// order (digest -> sequence number). ARGV[1]: the digest (hex); ARGV[2]:
// the value; ARGV[3]: TTL in ms; ARGV[4]: the session's quota.
// Over the quota the session's own oldest keys go.
const PUT_BOUND: &str = r"
redis.call('ZREM', KEYS[2], ARGV[1])
local n = redis.call('ZCARD', KEYS[2])
local quota = tonumber(ARGV[4])
if n >= quota then
  local old = redis.call('ZRANGE', KEYS[2], 0, n - quota)
  redis.call('HDEL', KEYS[1], unpack(old))
  redis.call('ZREM', KEYS[2], unpack(old))
end
local top = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
local seq = 1
if top[2] then seq = tonumber(top[2]) + 1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], seq, ARGV[1])
local ttl = tonumber(ARGV[3])
for _, k in ipairs(KEYS) do
  if redis.call('PTTL', k) < ttl then redis.call('PEXPIRE', k, ttl) end
end
return 1
";

// Unbound keys. KEYS[1]: their hash; KEYS[2]: digest -> expiry (unix ms).
// ARGV[1]: the digest; ARGV[2]: the value; ARGV[3]: TTL in ms; ARGV[4]:
// the capacity; ARGV[5]: now (unix ms); ARGV[6]: the key's expiry.
// Expired keys go first (a bounded batch per call); then, if still full,
// 0 (refused) without touching anything else.
const PUT_UNBOUND: &str = r"
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[5], 'LIMIT', 0, 1000)
if #gone > 0 then
  redis.call('HDEL', KEYS[1], unpack(gone))
  redis.call('ZREM', KEYS[2], unpack(gone))
end
if not redis.call('ZSCORE', KEYS[2], ARGV[1])
   and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
local ttl = tonumber(ARGV[3])
for _, k in ipairs(KEYS) do
  if redis.call('PTTL', k) < ttl then redis.call('PEXPIRE', k, ttl) end
end
return 1
";

// KEYS[1]: a hash; KEYS[2]: its index. ARGV[1]: the digest; ARGV[2]: now
// (unix ms). Returns {0} missing, {1, data} taken, {2} expired, {4} not a
// value this store wrote (left in place).
const TAKE: &str = r"
local v = redis.pcall('HGET', KEYS[1], ARGV[1])
if type(v) == 'table' then return {4} end
if not v then return {0} end
local ok, e = pcall(cjson.decode, v)
if not ok or type(e) ~= 'table' or type(e.d) ~= 'string'
   or type(e.e) ~= 'number' then
  return {4}
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if e.e <= tonumber(ARGV[2]) then return {2} end
return {1, e.d}
";

// KEYS[1]: a session's hash; KEYS[2]: its order. Returns keys deleted.
const CLEAR: &str = r"
local n = redis.call('HLEN', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2])
return n
";

/// What is stored per key: JSON, so the Lua scripts can read it.
#[derive(Serialize, Deserialize)]
struct Entry {
    /// The data, base64.
    d: String,
    /// Expiry, unix milliseconds.
    e: i64,
}

/// Where the store connects.
#[derive(Clone)]
enum Target {
    Single(Client),
    Cluster(ClusterClient),
}

/// A live connection of either kind; both are cheap clones of a
/// multiplexed connection that reconnects by itself.
#[derive(Clone)]
enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

/// The shared connection and a count of connections made, so a failing
/// caller drops only the connection it used, never a newer one.
#[derive(Default)]
struct Slot {
    made: u64,
    conn: Option<Conn>,
}

/// A [`KeyStore`] on Redis or Redis Cluster, shared by every instance of an
/// application: a key used on one instance is gone for all.
///
/// * **Layout, one slot per script.** A session's keys live in one hash,
///   `prefix + "{" + hex(SHA-256(session)) + "}:k"` (field: the key's
///   SHA-256, value: small JSON with the data in base64 and the expiry),
///   beside a sorted set `…}:o` of the same keys in creation order. Unbound
///   keys live in `prefix + "{unbound}:k"` with `…}:e` ordering them by
///   expiry. Each script is given exactly the two keys of one hash tag, so
///   on Redis Cluster it runs on one slot of one node; no script builds a
///   key name, and nothing uses `KEYS` or `SCAN`. A dump of Redis holds
///   neither a key that can be redeemed nor a session salt.
/// * **Exactly once.** `take` is one Lua script: read, check expiry,
///   delete. Redis runs scripts one at a time, so of any number of
///   concurrent takes of a key, across all instances, exactly one wins.
///   `take` looks in the caller's session hash, then among unbound keys; a
///   key bound to another session is not found there, so it is neither
///   used nor burnt (it is reported [`Taken::Missing`], not
///   [`Taken::OtherSession`]: the store cannot tell whose it is without
///   looking in every session).
/// * **Flood limits (row K8).** A session holds at most
///   [`with_session_quota`](Self::with_session_quota) keys (default
///   [`DEFAULT_SESSION_QUOTA`](Self::DEFAULT_SESSION_QUOTA)); its next key
///   evicts its own oldest inside the same script. Unbound keys are
///   counted apart, at most
///   [`with_unbound_capacity`](Self::with_unbound_capacity) (default
///   [`DEFAULT_UNBOUND_CAPACITY`](Self::DEFAULT_UNBOUND_CAPACITY)); when
///   full, expired ones go first, then `put` fails with
///   [`StoreError::Full`]. Hashes expire by TTL (that of their
///   longest-lived key), so Redis drops idle sessions itself and
///   [`purge_expired`](KeyStore::purge_expired) has nothing to do. How many
///   sessions exist is up to the session layer: bound Redis' memory with
///   `maxmemory` and rate-limit the routes that create keys.
/// * **Logout.** [`clear_session`](KeyStore::clear_session) deletes the
///   session's two keys.
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
/// use xsrf_actix::{RedisStore, SigningKey, Xsrf};
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
    target: Target,
    conn: Arc<Mutex<Slot>>,
    prefix: String,
    timeout: Duration,
    session_quota: usize,
    unbound_capacity: usize,
    scripts: Arc<Scripts>,
}

struct Scripts {
    put_bound: Script,
    put_unbound: Script,
    take: Script,
    clear: Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field(
                "target",
                &match self.target {
                    Target::Single(_) => "single node",
                    Target::Cluster(_) => "cluster",
                },
            )
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("session_quota", &self.session_quota)
            .field("unbound_capacity", &self.unbound_capacity)
            .finish_non_exhaustive()
    }
}

/// A store error naming the kind of failure only: no key, digest, session
/// or server message (which could echo arguments) ends up in logs.
fn unavailable(e: &RedisError) -> StoreError {
    let what = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connection_refusal() {
        "connection refused".to_owned()
    } else if e.is_connection_dropped() {
        "connection dropped".to_owned()
    } else if e.is_io_error() {
        "I/O error".to_owned()
    } else if let Some(code) = e.code() {
        // A server error code such as LOADING, NOAUTH, CLUSTERDOWN.
        format!("server error {}", code.chars().take(32).collect::<String>())
    } else {
        format!("{:?}", e.kind())
    };
    StoreError::Unavailable(format!("Redis: {what}"))
}

/// Whether the command was refused before it ran (so repeating it cannot
/// apply it twice).
fn not_run(e: &RedisError) -> bool {
    e.is_connection_refusal()
        || matches!(
            e.kind(),
            redis::ErrorKind::Moved
                | redis::ErrorKind::Ask
                | redis::ErrorKind::TryAgain
                | redis::ErrorKind::ClusterDown
                | redis::ErrorKind::MasterDown
                | redis::ErrorKind::ClientError
                | redis::ErrorKind::ReadOnly
                | redis::ErrorKind::BusyLoadingError
        )
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
        if nodes.is_empty() {
            return Err(StoreError::Unavailable("no Redis Cluster node".to_owned()));
        }
        let client = ClusterClient::builder(nodes)
            .connection_timeout(std_duration(Self::DEFAULT_TIMEOUT))
            .response_timeout(std_duration(Self::DEFAULT_TIMEOUT))
            .retries(2)
            .build()
            .map_err(|_| StoreError::Unavailable("invalid Redis Cluster node URL".to_owned()))?;
        Ok(Self::with_target(Target::Cluster(client)))
    }

    /// A single node for one `redis://` URL, a cluster for a
    /// comma-separated list of node URLs (what an application reads from
    /// its configuration).
    ///
    /// ```
    /// use xsrf_actix::RedisStore;
    /// let one = RedisStore::from_config("redis://127.0.0.1:6379/")?;
    /// let cluster = RedisStore::from_config("redis://10.0.0.1:7000, redis://10.0.0.2:7000")?;
    /// assert!(!one.is_cluster() && cluster.is_cluster());
    /// # Ok::<(), xsrf_actix::StoreError>(())
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
            target,
            conn: Arc::new(Mutex::new(Slot::default())),
            prefix: Self::DEFAULT_PREFIX.to_owned(),
            timeout: std_duration(Self::DEFAULT_TIMEOUT),
            session_quota: Self::DEFAULT_SESSION_QUOTA,
            unbound_capacity: Self::DEFAULT_UNBOUND_CAPACITY,
            scripts: Arc::new(Scripts {
                put_bound: Script::new(PUT_BOUND),
                put_unbound: Script::new(PUT_UNBOUND),
                take: Script::new(TAKE),
                clear: Script::new(CLEAR),
            }),
        }
    }

    /// Like [`from_config`](Self::from_config), but connects now (within
    /// [`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT)), for applications that
    /// would rather not start without Redis. Once made, the store recovers
    /// from later outages by itself either way.
    pub async fn connect(config: &str) -> Result<Self, StoreError> {
        let store = Self::from_config(config)?;
        store.connection().await?;
        Ok(store)
    }

    /// Whether this store talks to a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self.target, Target::Cluster(_))
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
        self.timeout = std_duration(timeout);
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

    fn slot(&self) -> std::sync::MutexGuard<'_, Slot> {
        // The slot is only ever replaced whole; a poisoned lock holds a
        // consistent value.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn open(&self) -> Result<Conn, RedisError> {
        match &self.target {
            Target::Single(client) => {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(self.timeout)
                    .set_response_timeout(self.timeout)
                    .set_number_of_retries(1);
                ConnectionManager::new_with_config(client.clone(), config)
                    .await
                    .map(Conn::Single)
            }
            Target::Cluster(client) => client.get_async_connection().await.map(Conn::Cluster),
        }
    }

    /// The shared connection, made now if there is none. Concurrent first
    /// callers may each try; the first to succeed is kept.
    async fn connection(&self) -> Result<(u64, Conn), StoreError> {
        {
            let slot = self.slot();
            if let Some(c) = &slot.conn {
                return Ok((slot.made, c.clone()));
            }
        }
        let made = tokio::time::timeout(self.timeout, self.open())
            .await
            .map_err(|_| StoreError::Unavailable("Redis: connecting timed out".to_owned()))?
            .map_err(|e| unavailable(&e))?;
        let mut slot = self.slot();
        let conn = match &slot.conn {
            Some(c) => c.clone(),
            None => {
                slot.made += 1;
                slot.conn = Some(made.clone());
                made
            }
        };
        Ok((slot.made, conn))
    }

    /// Runs a script within the deadline, trying twice if the first
    /// attempt was refused in a way that shows the script did not run.
    async fn run<T: redis::FromRedisValue>(
        &self,
        invocation: redis::ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let timed_out = || StoreError::Unavailable("Redis: command timed out".to_owned());
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (generation, conn) = tokio::time::timeout_at(deadline, self.connection())
                .await
                .map_err(|_| timed_out())??;
            let call = async {
                match conn {
                    Conn::Single(mut c) => invocation.invoke_async(&mut c).await,
                    Conn::Cluster(mut c) => invocation.invoke_async(&mut c).await,
                }
            };
            let e = match tokio::time::timeout_at(deadline, call).await {
                Err(_) => return Err(timed_out()),
                Ok(Ok(v)) => return Ok(v),
                Ok(Err(e)) => e,
            };
            // The cluster client answers the first commands after it lost
            // a node with a redirect or a client error while it rebuilds
            // its slot map, even for slots on healthy nodes; the script did
            // not run, so one more try (within the same deadline) is safe.
            // Never after a timeout or a dropped connection: the script may
            // have run, and a `take` must not be repeated blindly.
            if attempt == 1 && not_run(&e) {
                continue;
            }
            // I/O and cluster errors are the connection's business: it
            // reconnects and follows the slot map. Any other failure may be
            // a reconnection that failed for good (the manager would repeat
            // it forever): start afresh.
            if !e.is_io_error() && !e.is_cluster_error() && !e.is_connection_refusal() {
                let mut slot = self.slot();
                if slot.made == generation {
                    slot.conn = None;
                }
            }
            return Err(unavailable(&e));
        }
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
        let reply: Vec<redis::Value> = self.run(inv).await?;
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
                    self.run(inv).await?
                }
                None => {
                    let keys = self.unbound_keys();
                    let mut inv = self.scripts.put_unbound.prepare_invoke();
                    inv.key(&keys[0])
                        .key(&keys[1])
                        .arg(digest.to_hex())
                        .arg(value)
                        .arg(ttl_ms.to_string())
                        .arg(self.unbound_capacity)
                        .arg(unix_ms(now))
                        .arg(expires);
                    self.run(inv).await?
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
            let n: i64 = self.run(inv).await?;
            usize::try_from(n).map_err(|_| StoreError::Corrupt)
        })
    }

    fn quota(&self) -> Option<Quota> {
        Some(Quota::new(self.session_quota, self.unbound_capacity))
    }
}

/// The deadline as tokio and redis take it; at least a millisecond.
fn std_duration(d: time::Duration) -> Duration {
    Duration::try_from(d)
        .unwrap_or_default()
        .max(Duration::from_millis(1))
}
