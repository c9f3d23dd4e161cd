//! The Redis the instances share, and the one restart of the run.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::redis_server::{RedisCluster, RedisServer};

/// One node, or a cluster of 3 primaries without replicas (so a dead
/// primary takes its slots down until it is back, as in
/// `tests/tests/redis_stores/cluster.rs`).
#[derive(Debug)]
pub(crate) enum SharedRedis {
    Single(RedisServer),
    Cluster(RedisCluster),
}

/// How long the cluster may take to agree again after the restart.
const CLUSTER_SETTLE: Duration = Duration::from_secs(30);

impl SharedRedis {
    pub(crate) fn start(cluster: bool) -> Result<Self, String> {
        if cluster {
            RedisCluster::start(3, 0).map(Self::Cluster)
        } else {
            RedisServer::start().map(Self::Single)
        }
    }

    /// What `RedisStore::from_config` takes.
    pub(crate) fn config(&self) -> String {
        match self {
            Self::Single(s) => s.url(),
            Self::Cluster(c) => c.config(),
        }
    }

    /// What the restart hits, for the report.
    pub(crate) fn victim(&self) -> String {
        match self {
            Self::Single(s) => format!("the Redis node ({})", s.url()),
            Self::Cluster(c) => format!("one of the 3 primaries ({})", c.urls()[0]),
        }
    }

    fn kill(&mut self) {
        match self {
            Self::Single(s) => s.stop(),
            Self::Cluster(c) => c.node(0).stop(),
        }
    }

    fn start_again(&mut self) -> Result<(), String> {
        match self {
            Self::Single(s) => s.restart(),
            Self::Cluster(c) => {
                c.node(0).restart()?;
                c.wait_until_ok(CLUSTER_SETTLE)
            }
        }
    }
}

/// When the fault happened, as the driver needs to know it while running.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FaultTimes {
    /// The node was killed (and reaped).
    pub(crate) killed: Option<Instant>,
    /// The node answers again (and, on a cluster, all slots are served).
    pub(crate) back: Option<Instant>,
    /// The driver saw both instances create and redeem keys again.
    pub(crate) recovered: Option<Instant>,
}

/// Shared between the fault thread and the driver.
pub(crate) type SharedTimes = Arc<Mutex<FaultTimes>>;

pub(crate) fn times(shared: &SharedTimes) -> FaultTimes {
    *shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Kills the node at `at`, starts it again `down` later; runs on its own
/// thread (starting Redis blocks). Gives the Redis back for the teardown.
pub(crate) fn restart_once(
    mut redis: SharedRedis,
    at: Instant,
    down: Duration,
    shared: SharedTimes,
) -> std::thread::JoinHandle<(SharedRedis, Result<(), String>)> {
    std::thread::spawn(move || {
        std::thread::sleep(at.saturating_duration_since(Instant::now()));
        // The window opens as the kill is sent: requests fail from then.
        shared.lock().unwrap_or_else(PoisonError::into_inner).killed = Some(Instant::now());
        redis.kill();
        std::thread::sleep(down);
        let result = redis.start_again();
        if result.is_ok() {
            shared.lock().unwrap_or_else(PoisonError::into_inner).back = Some(Instant::now());
        }
        (redis, result)
    })
}
