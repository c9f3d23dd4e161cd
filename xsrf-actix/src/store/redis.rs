//! One-time keys on Redis, for many instances.
//!
//! * A key is stored under `prefix + hex(SHA-256(key))` with a Redis TTL, so
//!   Redis itself deletes expired keys (`purge_expired` has nothing to do)
//!   and a dump of Redis holds nothing that can be redeemed.
//! * `take` is one Lua script: read, check expiry and session, delete. Redis
//!   runs scripts one at a time, so of any number of concurrent takes of a
//!   key exactly one can win, across every instance.
//! * Session-bound keys are also listed in a per-session set
//!   (`prefix + "session:" + session`), so clearing a session is a lookup,
//!   never a `KEYS`/`SCAN` over the database.
//! * The connection is a `ConnectionManager` (multiplexed, reconnects by
//!   itself). It is made on first use, so an app starts while Redis is
//!   down; every command has a deadline, so a dead Redis is a quick
//!   [`StoreError::Unavailable`] (refusal with 503), never a hang.
//!
//! The scripts touch the per-session set by a name built inside the script:
//! fine on a single Redis or a replicated primary, not on Redis Cluster.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Script};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use xsrf_core::store::{KeyDigest, KeyStore, StoreError, StoreFuture, StoredKey, Taken};

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

// ARGV: now (unix seconds), has-session flag, session, prefix, digest.
// Returns {0} missing, {1, data} taken, {2} expired, {3} other session.
const TAKE: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then return {0} end
local e = cjson.decode(v)
if tonumber(e.e) <= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return {2}
end
if type(e.s) == 'string' and (ARGV[2] ~= '1' or e.s ~= ARGV[3]) then
  return {3}
end
redis.call('DEL', KEYS[1])
if type(e.s) == 'string' then
  redis.call('SREM', ARGV[4] .. 'session:' .. e.s, ARGV[5])
end
return {1, e.d}
";

// KEYS[1]: the session set; ARGV[1]: prefix. Returns keys deleted.
const CLEAR: &str = r"
local n = 0
for _, d in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  n = n + redis.call('DEL', ARGV[1] .. d)
end
redis.call('DEL', KEYS[1])
return n
";

/// What is stored per key (JSON, so the Lua scripts can read it).
#[derive(Serialize, Deserialize)]
struct Entry {
    /// Data, base64.
    d: String,
    /// Bound session.
    s: Option<String>,
    /// Expiry, unix seconds.
    e: i64,
}

/// A [`KeyStore`] on Redis; see the [module docs](self).
///
/// ```no_run
/// use xsrf_actix::{Key, RedisStore, Xsrf};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let store = RedisStore::new("redis://127.0.0.1:6379/")?;
/// let xsrf = Xsrf::builder()
///     .secret(Key::from_env("XSRF_SECRET")?)
///     .one_time_store(store)
///     .build()?;
/// # let _ = xsrf; Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    client: Client,
    conn: Arc<Mutex<Option<ConnectionManager>>>,
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

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl RedisStore {
    /// Default key prefix.
    pub const DEFAULT_PREFIX: &'static str = "xsrf:otk:";
    /// Default deadline of a connection attempt or a command.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

    /// A store for the Redis at `url` (`redis://host:port/db`). Only the
    /// URL is checked here; the connection is made on first use.
    pub fn new(url: &str) -> Result<Self, StoreError> {
        let client = Client::open(url).map_err(|_| unavailable("invalid Redis URL"))?;
        Ok(Self {
            client,
            conn: Arc::new(Mutex::new(None)),
            prefix: Self::DEFAULT_PREFIX.to_owned(),
            timeout: Self::DEFAULT_TIMEOUT,
            put: Arc::new(Script::new(PUT)),
            take: Arc::new(Script::new(TAKE)),
            clear: Arc::new(Script::new(CLEAR)),
        })
    }

    /// Uses another key prefix (several apps on one Redis).
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Uses another deadline per connection attempt and per command.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The shared connection, made now if there is none yet.
    async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        if let Some(c) = self
            .conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
        {
            return Ok(c);
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
        .map_err(|_| unavailable("connecting to Redis timed out"))?
        .map_err(unavailable)?;
        *self.conn.lock().unwrap_or_else(PoisonError::into_inner) = Some(made.clone());
        Ok(made)
    }

    async fn run<T: redis::FromRedisValue>(
        &self,
        invocation: redis::ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let mut conn = self.connection().await?;
        tokio::time::timeout(self.timeout, invocation.invoke_async(&mut conn))
            .await
            .map_err(|_| unavailable("Redis command timed out"))?
            .map_err(unavailable)
    }

    fn key(&self, digest: &KeyDigest) -> String {
        format!("{}{}", self.prefix, digest.to_hex())
    }

    fn session_set(&self, session: &str) -> String {
        format!("{}session:{session}", self.prefix)
    }
}

impl KeyStore for RedisStore {
    fn put<'a>(
        &'a self,
        digest: KeyDigest,
        entry: StoredKey,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let ttl_ms = (entry.expires_at - now).whole_milliseconds().max(1);
            let value = serde_json::to_string(&Entry {
                d: STANDARD.encode(&entry.data),
                s: entry.session.clone(),
                e: entry.expires_at.unix_timestamp(),
            })
            .map_err(|_| StoreError::Corrupt)?;
            let mut inv = self.put.prepare_invoke();
            inv.key(self.key(&digest))
                .arg(value)
                .arg(ttl_ms.to_string());
            if let Some(session) = &entry.session {
                inv.key(self.session_set(session)).arg(digest.to_hex());
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
            let mut inv = self.take.prepare_invoke();
            inv.key(self.key(&digest))
                .arg(now.unix_timestamp())
                .arg(if session.is_some() { "1" } else { "0" })
                .arg(session.unwrap_or(""))
                .arg(&self.prefix)
                .arg(digest.to_hex());
            let reply: Vec<redis::Value> = self.run(inv).await?;
            let code = match reply.first() {
                Some(redis::Value::Int(c)) => *c,
                _ => return Err(StoreError::Corrupt),
            };
            match code {
                0 => Ok(Taken::Missing),
                2 => Ok(Taken::Expired),
                3 => Ok(Taken::OtherSession),
                1 => {
                    let data: String = reply
                        .get(1)
                        .and_then(|v| redis::from_redis_value(v).ok())
                        .ok_or(StoreError::Corrupt)?;
                    STANDARD
                        .decode(data)
                        .map(Taken::Valid)
                        .map_err(|_| StoreError::Corrupt)
                }
                _ => Err(StoreError::Corrupt),
            }
        })
    }

    fn purge_expired(&self, _now: OffsetDateTime) -> StoreFuture<'_, usize> {
        // Redis deletes keys when their TTL runs out.
        Box::pin(std::future::ready(Ok(0)))
    }

    fn clear_session<'a>(&'a self, session: &'a str) -> StoreFuture<'a, usize> {
        Box::pin(async move {
            let mut inv = self.clear.prepare_invoke();
            inv.key(self.session_set(session)).arg(&self.prefix);
            let n: i64 = self.run(inv).await?;
            Ok(usize::try_from(n).unwrap_or(0))
        })
    }
}
