//! How [`RedisStore`](super::RedisStore) reaches Redis: [`Link`].
//!
//! This file holds everything about connections and nothing about keys:
//! where the store connects (one node or a cluster), the shared
//! connection made on first use and dropped after a failure its own
//! reconnecting will not fix, the deadline on every attempt and command,
//! the one retry allowed when a script provably did not run, and error
//! reasons that name only the kind of failure. It knows nothing of the
//! scripts it runs or of the store's layout.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Client, FromRedisValue, RedisError, ScriptInvocation};
use xsrf_core::store::StoreError;

/// Where the store connects.
#[derive(Clone)]
pub(super) enum Target {
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

/// A target, the connection to it shared by every clone of the store, and
/// the deadline per connection attempt and per command.
#[derive(Clone)]
pub(super) struct Link {
    target: Target,
    slot: Arc<Mutex<Slot>>,
    timeout: Duration,
}

/// A client for the Redis Cluster reachable at any of `nodes`, with
/// `timeout` on connecting and on each response. Checks the node URLs
/// only; connects nowhere.
pub(super) fn cluster_client(
    nodes: Vec<String>,
    timeout: Duration,
) -> Result<ClusterClient, StoreError> {
    if nodes.is_empty() {
        return Err(StoreError::Unavailable("no Redis Cluster node".to_owned()));
    }
    ClusterClient::builder(nodes)
        .connection_timeout(timeout)
        .response_timeout(timeout)
        .retries(2)
        .build()
        .map_err(|_| StoreError::Unavailable("invalid Redis Cluster node URL".to_owned()))
}

/// The deadline as tokio and redis take it; at least a millisecond.
pub(super) fn std_duration(d: time::Duration) -> Duration {
    Duration::try_from(d)
        .unwrap_or_default()
        .max(Duration::from_millis(1))
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

impl Link {
    /// A link to `target`, not connected yet.
    pub(super) fn new(target: Target, timeout: Duration) -> Self {
        Self {
            target,
            slot: Arc::new(Mutex::new(Slot::default())),
            timeout,
        }
    }

    /// Whether the target is a Redis Cluster.
    pub(super) fn is_cluster(&self) -> bool {
        matches!(self.target, Target::Cluster(_))
    }

    /// The deadline per connection attempt and per command.
    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }

    pub(super) fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Makes the shared connection now if there is none.
    pub(super) async fn connect(&self) -> Result<(), StoreError> {
        self.connection().await.map(drop)
    }

    fn slot(&self) -> MutexGuard<'_, Slot> {
        // The slot is only ever replaced whole; a poisoned lock holds a
        // consistent value.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
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
    pub(super) async fn run<T: FromRedisValue>(
        &self,
        invocation: ScriptInvocation<'_>,
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
}
