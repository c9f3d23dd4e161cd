//! Part 4: one-time keys, create + validate pairs per second, on the
//! in-process `MemoryStore` and on `RedisStore` (a throw-away
//! `redis-server` started here when the binary is on `PATH`).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use xsrf_actix::CreateOptions;
use xsrf_actix::store::{KeyStore, MemoryStore, RedisStore};
use xsrf_core::OneTimeKeys;

use crate::report::{self, Table};

/// Measured time per row.
const DURATION: Duration = Duration::from_secs(2);
/// Concurrent tasks in the concurrent Redis row.
const TASKS: usize = 32;
/// The session the keys are bound to (what `Xsrf::create_one_time` does).
const SESSION: &str = "bench-session";

/// Creates and validates keys on `keys` from `tasks` tasks until the
/// deadline; returns pairs per second and the first error, if any.
async fn pairs_per_second<S: KeyStore>(
    keys: Rc<OneTimeKeys<S>>,
    tasks: usize,
) -> (f64, Option<String>) {
    let start = Instant::now();
    let until = start + DURATION;
    let opts = Rc::new(CreateOptions::new().bound_to(SESSION));
    let local = tokio::task::LocalSet::new();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let keys = Rc::clone(&keys);
            let opts = Rc::clone(&opts);
            local.spawn_local(async move {
                let mut n = 0u64;
                while Instant::now() < until {
                    let now = OffsetDateTime::now_utc();
                    let key = keys
                        .create(&opts, &42u64, now)
                        .await
                        .map_err(|e| format!("create: {e}"))?;
                    let v: u64 = keys
                        .validate(key.as_str(), Some(SESSION), now)
                        .await
                        .map_err(|e| format!("validate: {e}"))?;
                    if v != 42 {
                        return Err("validate returned other data".to_owned());
                    }
                    n += 1;
                }
                Ok::<u64, String>(n)
            })
        })
        .collect();
    let results = local
        .run_until(async {
            let mut out = Vec::new();
            for h in handles {
                out.push(h.await);
            }
            out
        })
        .await;
    let elapsed = start.elapsed().as_secs_f64();
    let mut total = 0;
    let mut error = None;
    for r in results {
        match r {
            Ok(Ok(n)) => total += n,
            Ok(Err(e)) => error = error.or(Some(e)),
            Err(e) => error = error.or(Some(format!("task: {e}"))),
        }
    }
    (total as f64 / elapsed, error)
}

/// A `redis-server` child process, killed on drop.
struct RedisChild {
    child: Child,
    addr: SocketAddr,
}

impl Drop for RedisChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

/// Starts `redis-server` on a free loopback port, without persistence.
fn start_redis() -> Result<RedisChild, String> {
    let bin = find_on_path("redis-server").ok_or("no redis-server on PATH")?;
    // Ask the kernel for a free port, then hand it to redis (a small race
    // with other processes, harmless here).
    let port = TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let child = Command::new(&bin)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", bin.display()))?;
    let server = RedisChild {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(server.addr).is_err() {
        if Instant::now() > deadline {
            return Err("redis-server did not accept connections within 5 s".to_owned());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(server)
}

/// Runs the part and prints its table.
pub(crate) fn run() {
    report::title("4. One-time keys: create + validate (session-bound, u64 data)");
    let rt = crate::runtime();
    let mut t = Table::new(&["store", "tasks", "pairs/s", "vs MemoryStore", "note"]);
    let memory = Rc::new(OneTimeKeys::new(MemoryStore::default()));
    let (mem_rate, mem_err) = rt.block_on(pairs_per_second(memory, 1));
    t.row(vec![
        "MemoryStore".to_owned(),
        "1".to_owned(),
        format!("{mem_rate:.0}"),
        "1.00x".to_owned(),
        mem_err.unwrap_or_default(),
    ]);
    match start_redis() {
        Ok(server) => {
            let url = format!("redis://{}/", server.addr);
            match rt.block_on(RedisStore::connect(&url)) {
                Ok(store) => {
                    let keys = Rc::new(OneTimeKeys::new(store));
                    for tasks in [1, TASKS] {
                        let (rate, err) = rt.block_on(pairs_per_second(Rc::clone(&keys), tasks));
                        t.row(vec![
                            "RedisStore (local redis-server)".to_owned(),
                            tasks.to_string(),
                            format!("{rate:.0}"),
                            report::ratio(rate, mem_rate),
                            err.unwrap_or_default(),
                        ]);
                    }
                }
                Err(e) => t.row(vec![
                    "RedisStore".to_owned(),
                    "-".to_owned(),
                    "-".to_owned(),
                    "-".to_owned(),
                    format!("skipped: could not connect: {e}"),
                ]),
            }
            drop(server);
        }
        Err(why) => t.row(vec![
            "RedisStore".to_owned(),
            "-".to_owned(),
            "-".to_owned(),
            "-".to_owned(),
            format!("skipped: {why}"),
        ]),
    }
    t.print();
    println!(
        "(one client thread; Redis pairs are two round trips each (Lua PUT, Lua TAKE) over one multiplexed connection.)"
    );
}
