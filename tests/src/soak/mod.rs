//! The soak run: time, load and a fault together.
//!
//! Two app instances ([`serve`], each its own process, so memory and open
//! files are per instance) share Redis for their one-time keys and a
//! session cookie key, so a browser's requests may land on either. The
//! driver runs simulated browsers (forms, uploads, SPA calls, one-time
//! keys, logins and logouts with rotation), each now and then sending a
//! forged request, restarts Redis (or one cluster primary) halfway, and
//! every second records requests, p99 latency, forged requests that got
//! through, keys redeemed twice, and each instance's RSS and open fds.
//! [`Report::violations`] is the verdict.
//!
//! `cargo run --release -p xsrf-bench soak --minutes N [--cluster]` and
//! `tests/tests/redis_restart_under_load.rs` (20 s) run this same code.
//!
//! ```no_run
//! use std::time::Duration;
//! use xsrf_tests::soak::{self, Options, ServerCommand};
//!
//! let server = ServerCommand { program: "target/debug/soak_server".into(), args: vec![] };
//! let report = soak::run(&Options::new(Duration::from_secs(20), server))?;
//! println!("{}", report.table());
//! assert!(report.passed());
//! # Ok::<(), String>(())
//! ```

mod app;
mod instance;
mod outage;
mod record;
mod traffic;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rand::Rng as _;

pub use self::app::{BROKEN_ROUTE, Effect, SITE_ORIGIN, Settings, serve};
pub use self::instance::ServerCommand;
pub use self::record::{
    Class, Failure, Forgery, Growth, MAX_GROWTH_PERCENT, Outage, Report, Sample,
};

use self::instance::Instance;
use self::outage::{FaultTimes, SharedRedis};
use self::record::median;
use self::traffic::{Driver, FORGED, PROBE};

/// How a run is set up.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long the traffic runs.
    pub duration: Duration,
    /// A 3-primary Redis Cluster instead of one node.
    pub cluster: bool,
    /// Concurrent simulated browsers.
    pub users: usize,
    /// How to start an instance.
    pub server: ServerCommand,
    /// Restart Redis (one primary on a cluster) halfway through.
    pub restart: bool,
    /// How long Redis stays down.
    pub down_for: Duration,
    /// Start the instances with [`BROKEN_ROUTE`] unverified.
    pub broken: bool,
    /// Seed of the traffic mix.
    pub seed: u64,
}

impl Options {
    /// One node, 16 browsers, a 3 s restart halfway, a sound app.
    pub fn new(duration: Duration, server: ServerCommand) -> Self {
        Self {
            duration,
            cluster: false,
            users: 16,
            server,
            restart: true,
            down_for: Duration::from_secs(3),
            broken: false,
            seed: 17,
        }
    }
}

/// Runs a soak and reports; `Err` when it could not be set up (no
/// `redis-server`, an instance that did not start).
pub fn run(opts: &Options) -> Result<Report, String> {
    let redis = SharedRedis::start(opts.cluster)?;
    let victim = redis.victim();
    let mut rng = rand::rng();
    let mut secret = vec![0u8; 32];
    let mut session_key = vec![0u8; 64];
    rng.fill(&mut secret[..]);
    rng.fill(&mut session_key[..]);
    let settings = Settings {
        redis: redis.config(),
        secret,
        session_key,
        broken: opts.broken,
    };
    let env = settings.to_env();
    let mut instances = [
        Instance::spawn(&opts.server, &env)?,
        Instance::spawn(&opts.server, &env)?,
    ];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let fault = Arc::new(Mutex::new(FaultTimes::default()));
    let driver = Driver::new([instances[0].addr, instances[1].addr], Arc::clone(&fault))?;
    let seconds = opts.duration.as_secs().max(1);
    // The Redis lives in the restart thread, or here, until the end.
    let (fault_thread, kept) = if opts.restart {
        let at = driver.start + opts.duration / 2;
        let thread = outage::restart_once(redis, at, opts.down_for, Arc::clone(&fault));
        (Some(thread), None)
    } else {
        (None, Some(redis))
    };
    let mut sampler = Sampler::new(seconds)?;
    runtime.block_on(async {
        let browsers = futures_util::future::join_all(
            (0..opts.users).map(|i| driver.browse(opts.seed.wrapping_add(i as u64))),
        );
        let probe = async {
            if opts.restart {
                driver.probe_recovery().await;
            }
        };
        tokio::join!(browsers, sampler.run(&driver, &instances), probe);
        // What the last requests did belongs to the last second.
        sampler.drain(&driver).await;
        sampler.close();
    });
    let mut errors = std::mem::take(&mut sampler.errors);
    for (i, instance) in instances.iter_mut().enumerate() {
        if !instance.is_alive() {
            errors.push(format!("instance {} exited during the run", ['A', 'B'][i]));
        }
    }
    // The Redis goes down with the thread's result, after the instances.
    let _redis = match fault_thread.map(std::thread::JoinHandle::join) {
        Some(Ok((redis, Ok(())))) => Some(redis),
        Some(Ok((redis, Err(e)))) => {
            errors.push(format!("Redis did not come back: {e}"));
            Some(redis)
        }
        Some(Err(_)) => {
            errors.push("the restart thread panicked".to_owned());
            None
        }
        None => kept,
    };
    let times = outage::times(&fault);
    let ms = |t: Option<Instant>| {
        t.map(|t| u64::try_from((t - driver.start).as_millis()).unwrap_or(u64::MAX))
    };
    let outage = times.killed.map(|_| Outage {
        victim,
        killed_ms: ms(times.killed).unwrap_or(0),
        back_ms: ms(times.back),
        recovered_ms: ms(times.recovered),
    });
    let baseline_s = (seconds / 4).clamp(1, 120);
    // Open fds move by a few between samples (connections closed after a
    // refused body and opened again): medians of 5 samples on runs under
    // 2 minutes, of 11 from then on, smooth that without hiding a climb.
    let half = if seconds < 120 { 2 } else { 5 };
    let growth = |read: fn(&Sample, usize) -> Option<u64>, i: usize| {
        let around: Vec<u64> = sampler
            .samples
            .iter()
            .filter(|s| s.t.abs_diff(baseline_s) <= half)
            .filter_map(|s| read(s, i))
            .collect();
        let last: Vec<u64> = sampler
            .samples
            .iter()
            .rev()
            .take(usize::try_from(2 * half + 1).unwrap_or(5))
            .filter_map(|s| read(s, i))
            .collect();
        Some(Growth {
            base: median(around)?,
            end: median(last)?,
        })
    };
    let rss_of: fn(&Sample, usize) -> Option<u64> = |s, i| s.rss_kib[i];
    let fds_of: fn(&Sample, usize) -> Option<u64> = |s, i| s.fds[i];
    let tally = &driver.tally;
    let forged_effects = sampler.samples.iter().map(|s| s.forged_effects).sum();
    let redeemed_twice = sampler.samples.iter().map(|s| s.redeemed_twice).sum();
    Ok(Report {
        redis: if opts.cluster {
            "3-primary cluster".to_owned()
        } else {
            "single node".to_owned()
        },
        users: opts.users,
        seconds,
        rss: [growth(rss_of, 0), growth(rss_of, 1)],
        fds: [growth(fds_of, 0), growth(fds_of, 1)],
        baseline_s,
        samples: sampler.samples,
        rows: sampler.rows,
        p99_us: sampler.total.value_at_quantile(0.99),
        failures: std::mem::take(
            &mut *driver
                .failures
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        ),
        outage,
        legit_ok: tally.legit_ok.load(Ordering::Relaxed),
        legit_effects_expected: tally.legit_effects_expected.load(Ordering::Relaxed),
        legit_effects_seen: sampler.legit_effects,
        forged: Forgery::ALL
            .iter()
            .enumerate()
            .map(|(i, k)| {
                (
                    *k,
                    tally.forged_sent[i].load(Ordering::Relaxed),
                    tally.forged_accepted_by_kind[i].load(Ordering::Relaxed),
                )
            })
            .collect(),
        forged_effects,
        keys_redeemed: tally.keys_redeemed.load(Ordering::Relaxed),
        redeemed_twice,
        errors,
    })
}

/// The once-a-second bookkeeping.
struct Sampler {
    seconds: u64,
    row_secs: u64,
    samples: Vec<Sample>,
    rows: Vec<(u64, u64, u64)>,
    row: Histogram<u64>,
    total: Histogram<u64>,
    /// How often each key's data was reported redeemed.
    redemptions: HashMap<u64, u32>,
    legit_effects: u64,
    /// Forged effects and second redemptions not yet in a sample.
    pending: (u64, u64),
    errors: Vec<String>,
}

impl Sampler {
    fn new(seconds: u64) -> Result<Self, String> {
        let hist = || Histogram::new_with_bounds(1, 120_000_000, 2).map_err(|e| e.to_string());
        Ok(Self {
            seconds,
            // Rows of 10 s up to 5 minutes, of a minute beyond.
            row_secs: if seconds <= 300 { 10 } else { 60 },
            samples: Vec::new(),
            rows: Vec::new(),
            row: hist()?,
            total: hist()?,
            redemptions: HashMap::new(),
            legit_effects: 0,
            pending: (0, 0),
            errors: Vec::new(),
        })
    }

    /// Puts what was drained after the last sample into it.
    fn close(&mut self) {
        let (forged_effects, redeemed_twice) = std::mem::take(&mut self.pending);
        if let Some(last) = self.samples.last_mut() {
            last.forged_effects += forged_effects;
            last.redeemed_twice += redeemed_twice;
        }
    }

    /// Samples every second until the run's time is up, then stops the
    /// traffic.
    async fn run(&mut self, driver: &Driver, instances: &[Instance; 2]) {
        let mut tick = tokio::time::interval_at(
            tokio::time::Instant::from_std(driver.start) + Duration::from_secs(1),
            Duration::from_secs(1),
        );
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        for t in 1..=self.seconds {
            tick.tick().await;
            if t == self.seconds {
                driver.done.store(true, Ordering::Relaxed);
            }
            self.drain(driver).await;
            let second = {
                let mut h = driver
                    .latency
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                let second = h.clone();
                h.reset();
                second
            };
            let _ = self.row.add(&second);
            let _ = self.total.add(&second);
            let (forged_effects, redeemed_twice) = std::mem::take(&mut self.pending);
            self.samples.push(Sample {
                t,
                requests: driver.tally.requests.swap(0, Ordering::Relaxed),
                p99_us: second.value_at_quantile(0.99),
                forged_accepted: driver.tally.forged_accepted.swap(0, Ordering::Relaxed),
                forged_effects,
                redeemed_twice,
                rss_kib: [instances[0].rss_kib(), instances[1].rss_kib()],
                fds: [instances[0].open_fds(), instances[1].open_fds()],
            });
            if t % self.row_secs == 0 || t == self.seconds {
                let from = (t - 1) / self.row_secs * self.row_secs;
                self.rows.push((from, t, self.row.value_at_quantile(0.99)));
                self.row.reset();
            }
            if t % 10 == 0 {
                eprintln!(
                    "soak: {t}/{} s, {} req/s, {} failures so far",
                    self.seconds,
                    self.samples.last().map_or(0, |s| s.requests),
                    driver
                        .failures
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .len()
                );
            }
        }
    }

    /// Collects the instances' effects: forged ones, and keys seen twice.
    async fn drain(&mut self, driver: &Driver) {
        for i in 0..driver.addrs.len() {
            let effects = match driver.drain(i).await {
                Ok(e) => e,
                Err(e) => {
                    self.errors.push(format!(
                        "effects of instance {} could not be read: {e}",
                        ['A', 'B'][i]
                    ));
                    continue;
                }
            };
            for effect in effects {
                if effect.request & FORGED != 0 {
                    self.pending.0 += 1;
                } else if effect.request & PROBE == 0 {
                    self.legit_effects += 1;
                }
                if let Some(key) = effect.redeemed {
                    let n = self.redemptions.entry(key).or_default();
                    *n += 1;
                    if *n == 2 {
                        self.pending.1 += 1;
                    }
                }
            }
        }
    }
}
