//! One-time keys on Redis, for many instances: [`RedisStore`].

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError, Script};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use xsrf_core::store::{
    KeyDigest, KeyStore, SessionDigest, StoreError, StoreFuture, StoredKey, Taken,
};

// KEYS[1]: the key; KEYS[2] (bound keys only): its session set.
// ARGV[1]: the value; ARGV[2]: TTL in ms; ARGV[3]: the digest (hex).
const PUT: &str = r"
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if #KEYS > 1 then
  redis.call('SADD', KEYS[2], ARGV[3])
  if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then
    redis.call('PEXPIRE', KEYS[2], ARGV[2])
  end
end
return 1
";

// KEYS[1]: the key; KEYS[2] (if the caller has a session): that session's
// set. ARGV[1]: now (unix ms); ARGV[2]: the digest of the caller's session
// or ''; ARGV[3]: the key digest (hex). Sessions are compared as digests:
// Lua's `==` is not constant-time, and a digest's timing tells nothing
// about the salt.
// Returns {0} missing, {1, data} taken, {2} expired, {3} other session,
// {4} not a value this store wrote (left in place).
const TAKE: &str = r"
local v = redis.pcall('GET', KEYS[1])
if type(v) == 'table' then return {4} end
if not v then return {0} end
local ok, e = pcall(cjson.decode, v)
if not ok or type(e) ~= 'table' or type(e.d) ~= 'string'
   or type(e.e) ~= 'number' then
  return {4}
end
local bound = type(e.s) == 'string'
if not bound and e.s ~= cjson.null and e.s ~= nil then return {4} end
local mine = bound and #KEYS > 1 and e.s == ARGV[2]
if e.e <= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  if mine then redis.call('SREM', KEYS[2], ARGV[3]) end
  return {2}
end
if bound and not mine then return {3} end
redis.call('DEL', KEYS[1])
if mine then redis.call('SREM', KEYS[2], ARGV[3]) end
return {1, e.d}
";

// KEYS[1]: the session set; ARGV[1]: the prefix. Returns keys deleted.
const CLEAR: &str = r"
local n = 0
for _, d in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  n = n + redis.call('DEL', ARGV[1] .. d)
end
redis.call('DEL', KEYS[1])
return n
";

/// What is stored per key: JSON, so the Lua scripts can read it.
#[derive(Serialize, Deserialize)]
struct Entry {
    /// The data, base64.
    d: String,
    /// The digest of the bound session (hex), never the session itself.
    s: Option<String>,
    /// Expiry, unix milliseconds.
    e: i64,
}

/// The shared connection and a count of connections made, so a failing
/// caller drops only the connection it used, never a newer one.
#[derive(Default)]
struct Slot {
    made: u64,
    conn: Option<ConnectionManager>,
}

/// A [`KeyStore`] on Redis, shared by every instance of an application: a
/// key used on one instance is gone for all.
///
/// * **Layout.** A key is stored under `prefix + hex(SHA-256(key))` as a
///   small JSON value (data in base64, session, expiry in unix ms) with a
///   Redis TTL equal to its remaining lifetime (at least 1 s), so Redis
///   deletes expired keys itself and [`purge_expired`](KeyStore::purge_expired)
///   has nothing to do (it returns 0). A dump of Redis holds no key that can
///   be redeemed.
/// * **Exactly once.** `take` is one Lua script: read, check expiry and
///   session, delete. Redis runs scripts one at a time, so of any number of
///   concurrent takes of a key, across all instances, exactly one wins. A key
///   bound to another session is left in place.
/// * **Logout.** Session-bound keys are also listed in a per-session set
///   (`prefix + "session:" + hex(SHA-256(session))`, its TTL that of its longest-lived
///   key), so [`clear_session`](KeyStore::clear_session) is one script over
///   that set, never a `KEYS`/`SCAN` of the database.
/// * **Failures.** The connection is a [`ConnectionManager`] (multiplexed,
///   reconnects by itself after Redis restarts). It is made on first use,
///   not by [`new`](Self::new), so an application starts while Redis is
///   down (use [`connect`](Self::connect) to check Redis at start-up
///   instead). If the manager ever fails with something other than an I/O
///   error (say, a refused `AUTH` while reconnecting), it is dropped and
///   the next call makes a new one. Every connection attempt and command
///   has a deadline ([`with_timeout`](Self::with_timeout), default 2 s),
///   so a dead Redis is a quick [`StoreError::Unavailable`] (a 503 refusal,
///   failing closed), never a hang. Reasons name the kind of failure only,
///   never a key, digest or session.
///
/// The clear script builds key names from the set's members, so the store
/// suits a single Redis or a replicated primary, not Redis Cluster.
///
/// ```no_run
/// use xsrf_actix::{SigningKey, RedisStore, Xsrf};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Checks the URL only; the connection is made on first use.
/// let store = RedisStore::new("redis://127.0.0.1:6379/")?.with_prefix("shop:otk:");
/// let xsrf = Xsrf::builder()
///     .secret(SigningKey::from_env("XSRF_SECRET")?)
///     .one_time_store(store)
///     .build()?;
/// # let _ = xsrf; Ok(()) }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
#[derive(Clone)]
pub struct RedisStore {
    client: Client,
    conn: Arc<Mutex<Slot>>,
    prefix: String,
    timeout: Duration,
    put: Arc<Script>,
    take: Arc<Script>,
    clear: Arc<Script>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
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
        // A server error code such as LOADING, NOAUTH or WRONGPASS.
        format!("server error {}", code.chars().take(32).collect::<String>())
    } else {
        format!("{:?}", e.kind())
    };
    StoreError::Unavailable(format!("Redis: {what}"))
}

impl RedisStore {
    /// Default key prefix.
    pub const DEFAULT_PREFIX: &'static str = "xsrf:otk:";
    /// Default deadline of a connection attempt or a command.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

    /// A store for the Redis at `url` (`redis://[:password@]host:port/db`).
    /// Only the URL is checked here; the connection is made on first use,
    /// so this succeeds while Redis is down.
    pub fn new(url: &str) -> Result<Self, StoreError> {
        let client = Client::open(url)
            .map_err(|_| StoreError::Unavailable("invalid Redis URL".to_owned()))?;
        Ok(Self::from_client(client))
    }

    /// A store over an already configured client (TLS, RESP3, ...). Lazy
    /// like [`new`](Self::new).
    pub fn from_client(client: Client) -> Self {
        Self {
            client,
            conn: Arc::new(Mutex::new(Slot::default())),
            prefix: Self::DEFAULT_PREFIX.to_owned(),
            timeout: Self::DEFAULT_TIMEOUT,
            put: Arc::new(Script::new(PUT)),
            take: Arc::new(Script::new(TAKE)),
            clear: Arc::new(Script::new(CLEAR)),
        }
    }

    /// Like [`new`](Self::new), but connects now (within
    /// [`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT)), for applications that
    /// would rather not start without Redis. Once made, the store recovers
    /// from later outages by itself either way.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let store = Self::new(url)?;
        store.connection().await?;
        Ok(store)
    }

    /// Uses another key prefix (several applications on one Redis).
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Uses another deadline per connection attempt and per command
    /// (default 2 s).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
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

    /// The shared connection, made now if there is none. Concurrent first
    /// callers may each try; the first to succeed is kept.
    async fn connection(&self) -> Result<(u64, ConnectionManager), StoreError> {
        {
            let slot = self.slot();
            if let Some(c) = &slot.conn {
                return Ok((slot.made, c.clone()));
            }
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout)
            .set_number_of_retries(1);
        let made = tokio::time::timeout(
            self.timeout,
            ConnectionManager::new_with_config(self.client.clone(), config),
        )
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

    /// Runs a script within the deadline.
    async fn run<T: redis::FromRedisValue>(
        &self,
        invocation: redis::ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let (generation, mut conn) = self.connection().await?;
        let result = tokio::time::timeout(self.timeout, invocation.invoke_async(&mut conn))
            .await
            .map_err(|_| StoreError::Unavailable("Redis: command timed out".to_owned()))?;
        result.map_err(|e| {
            // I/O errors are the manager's business (it reconnects). Any
            // other failure may be a reconnection that failed for good
            // (the manager would repeat it forever): start afresh.
            if !e.is_io_error() {
                let mut slot = self.slot();
                if slot.made == generation {
                    slot.conn = None;
                }
            }
            unavailable(&e)
        })
    }

    fn key(&self, digest: &KeyDigest) -> String {
        format!("{}{}", self.prefix, digest.to_hex())
    }

    fn session_set(&self, session: &SessionDigest) -> String {
        format!("{}session:{}", self.prefix, session.to_hex())
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
            let value = serde_json::to_string(&Entry {
                d: STANDARD.encode(&entry.data),
                s: entry
                    .session
                    .as_deref()
                    .map(|s| SessionDigest::of(s).to_hex()),
                e: unix_ms(entry.expires_at),
            })
            .map_err(|_| StoreError::Corrupt)?;
            let mut inv = self.put.prepare_invoke();
            inv.key(self.key(&digest))
                .arg(value)
                .arg(ttl_ms.to_string())
                .arg(digest.to_hex());
            if let Some(session) = &entry.session {
                inv.key(self.session_set(&SessionDigest::of(session)));
            }
            self.run::<i64>(inv).await.map(|_| ())
        })
    }

    fn take<'a>(
        &'a self,
        digest: KeyDigest,
        session: Option<&'a str>,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Taken> {
        Box::pin(async move {
            let session = session.map(SessionDigest::of);
            let mut inv = self.take.prepare_invoke();
            inv.key(self.key(&digest))
                .arg(unix_ms(now))
                .arg(session.map(|s| s.to_hex()).unwrap_or_default())
                .arg(digest.to_hex());
            if let Some(session) = &session {
                inv.key(self.session_set(session));
            }
            let reply: Vec<redis::Value> = self.run(inv).await?;
            match reply.as_slice() {
                [redis::Value::Int(0)] => Ok(Taken::Missing),
                [redis::Value::Int(2)] => Ok(Taken::Expired),
                [redis::Value::Int(3)] => Ok(Taken::OtherSession),
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
        })
    }

    /// Redis deletes keys when their TTL runs out: nothing to do, returns 0.
    fn purge_expired(&self, _now: OffsetDateTime) -> StoreFuture<'_, usize> {
        Box::pin(std::future::ready(Ok(0)))
    }

    fn clear_session<'a>(&'a self, session: &'a str) -> StoreFuture<'a, usize> {
        Box::pin(async move {
            let mut inv = self.clear.prepare_invoke();
            inv.key(self.session_set(&SessionDigest::of(session)))
                .arg(&self.prefix);
            let n: i64 = self.run(inv).await?;
            usize::try_from(n).map_err(|_| StoreError::Corrupt)
        })
    }
}
