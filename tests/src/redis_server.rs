//! A real `redis-server` on a free loopback port, started and stopped by
//! the test. A missing binary is an error: tests fail, they never skip.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::server::free_port;

/// A running `redis-server` (loopback only, persisting nothing, in its own
/// temporary directory); killed and reaped on drop.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    dir: PathBuf,
    extra: Vec<String>,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server on a free port and waits until it answers `PING`.
    pub fn start() -> Result<Self, String> {
        Self::start_with(&[])
    }

    /// Like [`start`](Self::start), with extra `redis-server` arguments
    /// (e.g. `["--requirepass", "pw"]`).
    pub fn start_with(extra: &[&str]) -> Result<Self, String> {
        let mut last = String::new();
        // The port is free when chosen but could be taken before the
        // server binds it: try a few.
        for _ in 0..3 {
            let port = free_port().map_err(|e| format!("no free port: {e}"))?;
            let dir =
                std::env::temp_dir().join(format!("xsrf-redis-{}-{port}", std::process::id()));
            std::fs::create_dir_all(&dir).map_err(|e| format!("temp dir: {e}"))?;
            let mut server = Self {
                port,
                dir,
                extra: extra.iter().map(|s| (*s).to_owned()).collect(),
                child: None,
            };
            match server.spawn() {
                Ok(()) => return Ok(server),
                Err(SpawnError::Missing(msg)) => return Err(msg),
                Err(SpawnError::Failed(msg)) => last = msg,
            }
        }
        Err(last)
    }

    fn spawn(&mut self) -> Result<(), SpawnError> {
        let log = self.dir.join("redis.log");
        let _ = std::fs::remove_file(&log);
        let mut child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(&log)
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                let hint = if std::env::var("CI").as_deref() == Ok("true") {
                    "the CI image must provide it (apt-get install redis-server)"
                } else {
                    "install it: apt-get install redis-server"
                };
                SpawnError::Missing(format!(
                    "cannot start redis-server ({e}); these tests need a real Redis \
                     and never skip: {hint}"
                ))
            })?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(SpawnError::Failed(format!(
                    "redis-server on port {} exited ({status}): {}",
                    self.port,
                    tail(&log)
                )));
            }
            if self.ping() {
                self.child = Some(child);
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(SpawnError::Failed(format!(
            "redis-server on port {} did not answer PING within 10 s: {}",
            self.port,
            tail(&log)
        )))
    }

    // `+PONG`, or `-NOAUTH ...` from a server with a password: either way
    // it is up.
    fn ping(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        let mut buf = [0u8; 1];
        s.write_all(b"PING\r\n").is_ok()
            && s.read_exact(&mut buf).is_ok()
            && (buf[0] == b'+' || buf[0] == b'-')
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the server process is running (not stopped).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Kills the server and reaps it (data is lost: it persists nothing).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, with the same arguments.
    pub fn restart(&mut self) -> Result<(), String> {
        self.stop();
        self.spawn().map_err(SpawnError::into_message)
    }

    /// Starts it again on the same port with other extra arguments.
    pub fn restart_with(&mut self, extra: &[&str]) -> Result<(), String> {
        self.extra = extra.iter().map(|s| (*s).to_owned()).collect();
        self.restart()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

enum SpawnError {
    /// No `redis-server` binary: retrying is pointless.
    Missing(String),
    /// It started but did not come up.
    Failed(String),
}

impl SpawnError {
    fn into_message(self) -> String {
        match self {
            Self::Missing(m) | Self::Failed(m) => m,
        }
    }
}

/// The end of the server's log, for failure messages.
fn tail(log: &std::path::Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}

/// A real Redis Cluster of `redis-server` processes on free loopback
/// ports, made with `redis-cli --cluster create`; every node is killed and
/// reaped on drop.
///
/// Nodes run with `cluster-require-full-coverage no` (a dead primary
/// refuses only its own slots), a 1 s node timeout (failures are detected
/// and replicas promoted within seconds) and diskless replication.
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

/// The settings of every cluster node.
const CLUSTER_ARGS: &[&str] = &[
    "--cluster-enabled",
    "yes",
    "--cluster-config-file",
    "nodes.conf",
    "--cluster-node-timeout",
    "1000",
    "--cluster-require-full-coverage",
    "no",
    "--cluster-replica-validity-factor",
    "0",
    "--repl-diskless-sync",
    "yes",
    "--repl-diskless-sync-delay",
    "0",
];

impl RedisCluster {
    /// Starts `primaries` primaries with `replicas` replicas each and waits
    /// until every node reports `cluster_state:ok`.
    pub fn start(primaries: usize, replicas: usize) -> Result<Self, String> {
        let mut nodes = Vec::new();
        for _ in 0..primaries * (1 + replicas) {
            nodes.push(RedisServer::start_with(CLUSTER_ARGS)?);
        }
        let cluster = Self { nodes };
        let mut create = Command::new("redis-cli");
        create.arg("--cluster").arg("create");
        for n in &cluster.nodes {
            create.arg(format!("127.0.0.1:{}", n.port()));
        }
        let out = create
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run redis-cli ({e}): install redis-tools"))?;
        if !out.status.success() {
            return Err(format!(
                "redis-cli --cluster create failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        cluster.wait_until_ok(Duration::from_secs(20))?;
        Ok(cluster)
    }

    /// The nodes' URLs.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    /// The comma-separated node list `RedisStore::from_config` takes.
    pub fn config(&self) -> String {
        self.urls().join(",")
    }

    /// Node `i` (in the order they were created).
    pub fn node(&mut self, i: usize) -> &mut RedisServer {
        &mut self.nodes[i]
    }

    /// How many nodes there are.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Runs a command on the running node at `port`.
    pub fn query<T: redis::FromRedisValue>(
        &self,
        port: u16,
        cmd: &redis::Cmd,
    ) -> Result<T, String> {
        let client =
            redis::Client::open(format!("redis://127.0.0.1:{port}/")).map_err(|e| e.to_string())?;
        let mut conn = client
            .get_connection_with_timeout(Duration::from_secs(2))
            .map_err(|e| format!("node {port}: {e}"))?;
        cmd.query(&mut conn)
            .map_err(|e| format!("node {port}: {e}"))
    }

    fn running_port(&self) -> Result<u16, String> {
        self.nodes
            .iter()
            .find(|n| n.is_running())
            .map(RedisServer::port)
            .ok_or_else(|| "no node running".to_owned())
    }

    /// The port of the primary serving `key`'s slot, as the running nodes
    /// see it now.
    pub fn primary_port_of(&self, key: &str) -> Result<u16, String> {
        let port = self.running_port()?;
        let slot: i64 = self.query(port, redis::cmd("CLUSTER").arg("KEYSLOT").arg(key))?;
        let slots: Vec<redis::Value> = self.query(port, redis::cmd("CLUSTER").arg("SLOTS"))?;
        for range in slots {
            let redis::Value::Array(parts) = range else {
                continue;
            };
            let (Some(redis::Value::Int(lo)), Some(redis::Value::Int(hi)), Some(master)) =
                (parts.first(), parts.get(1), parts.get(2))
            else {
                continue;
            };
            if (*lo..=*hi).contains(&slot)
                && let redis::Value::Array(m) = master
                && let Some(redis::Value::Int(p)) = m.get(1)
            {
                return u16::try_from(*p).map_err(|e| e.to_string());
            }
        }
        Err(format!("no primary serves slot {slot}"))
    }

    /// The index of the node listening on `port`.
    pub fn index_of(&self, port: u16) -> Option<usize> {
        self.nodes.iter().position(|n| n.port() == port)
    }

    /// Waits until every running node reports `cluster_state:ok` and
    /// agrees that all 16384 slots are served.
    pub fn wait_until_ok(&self, within: Duration) -> Result<(), String> {
        let deadline = Instant::now() + within;
        let mut last = String::new();
        while Instant::now() < deadline {
            let all_ok = self.nodes.iter().filter(|n| n.is_running()).all(|n| {
                match self.query::<String>(n.port(), redis::cmd("CLUSTER").arg("INFO")) {
                    Ok(info) => {
                        let ok = info.contains("cluster_state:ok")
                            && info.contains("cluster_slots_ok:16384");
                        if !ok {
                            last = info.lines().take(3).collect::<Vec<_>>().join(" ");
                        }
                        ok
                    }
                    Err(e) => {
                        last = e;
                        false
                    }
                }
            });
            if all_ok {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("cluster not ok within {within:?}: {last}"))
    }
}
