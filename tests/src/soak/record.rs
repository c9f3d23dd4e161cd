//! What the soak records every second, and the report it ends with: the
//! table, the totals and the verdict.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// The kinds of forged request the driver sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forgery {
    /// No token at all (urlencoded, JSON or multipart), same-origin
    /// headers: what is left when the origin check is passed.
    NoToken,
    /// A valid token of another session (the attacker's own).
    OtherSession,
    /// The victim's valid token, sent cross-site (`Origin` of another
    /// site, `Sec-Fetch-Site: cross-site`).
    CrossSite,
    /// A one-time key used again after its legitimate use.
    ReplayedKey,
    /// A token from before the session's login or logout (rotation).
    StaleToken,
    /// A body larger than the scan limit without a token in reach.
    Oversized,
    /// Truncated multipart, broken JSON.
    Malformed,
}

impl Forgery {
    /// All kinds, in report order.
    pub const ALL: [Self; 7] = [
        Self::NoToken,
        Self::OtherSession,
        Self::CrossSite,
        Self::ReplayedKey,
        Self::StaleToken,
        Self::Oversized,
        Self::Malformed,
    ];

    /// Its name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Self::NoToken => "no token",
            Self::OtherSession => "other session's token",
            Self::CrossSite => "cross-site",
            Self::ReplayedKey => "replayed one-time key",
            Self::StaleToken => "token from before rotation",
            Self::Oversized => "oversized body",
            Self::Malformed => "malformed body",
        }
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }
}

/// Counters the traffic adds to; the sampler reads and resets the
/// per-second ones.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Requests answered or failed in the current second.
    pub(crate) requests: AtomicU64,
    /// Forged requests answered with a status below 400, this second.
    pub(crate) forged_accepted: AtomicU64,
    /// Legitimate requests that got what they expected (whole run).
    pub(crate) legit_ok: AtomicU64,
    /// Legitimate state-changing requests answered as done: the handler
    /// must have recorded as many effects (whole run).
    pub(crate) legit_effects_expected: AtomicU64,
    /// Forged requests sent, by kind (whole run).
    pub(crate) forged_sent: [AtomicU64; 7],
    /// Forged requests answered below 400, by kind (whole run).
    pub(crate) forged_accepted_by_kind: [AtomicU64; 7],
    /// One-time keys redeemed by legitimate requests (whole run).
    pub(crate) keys_redeemed: AtomicU64,
}

impl Tally {
    pub(crate) fn forged(&self, kind: Forgery, accepted: bool) {
        self.forged_sent[kind.index()].fetch_add(1, Ordering::Relaxed);
        if accepted {
            self.forged_accepted_by_kind[kind.index()].fetch_add(1, Ordering::Relaxed);
            self.forged_accepted.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A legitimate request that did not get its expected answer.
#[derive(Debug, Clone)]
pub struct Failure {
    /// Sent, in ms since the start.
    pub start_ms: u64,
    /// Answered (or given up), in ms since the start.
    pub end_ms: u64,
    /// What it was (`POST /notes`, ...).
    pub what: &'static str,
    /// The status, or `None` when no response came.
    pub status: Option<u16>,
    /// Why, in words (status and body, or the transport error).
    pub detail: String,
    /// For a redemption: when its key was created (ms since the start).
    pub key_born_ms: Option<u64>,
}

/// One second of the run.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Seconds since the start, at the end of this sample.
    pub t: u64,
    /// Requests completed in the second.
    pub requests: u64,
    /// 99th percentile latency of the second, µs.
    pub p99_us: u64,
    /// Forged requests answered below 400.
    pub forged_accepted: u64,
    /// Effects of forged requests reported by the instances.
    pub forged_effects: u64,
    /// One-time keys whose second redemption was reported.
    pub redeemed_twice: u64,
    /// `VmRSS` of each instance, KiB.
    pub rss_kib: [Option<u64>; 2],
    /// Open fds of each instance.
    pub fds: [Option<u64>; 2],
}

/// The Redis restart as it happened.
#[derive(Debug, Clone)]
pub struct Outage {
    /// What was restarted.
    pub victim: String,
    /// Killed, ms since the start.
    pub killed_ms: u64,
    /// Answering again, ms since the start.
    pub back_ms: Option<u64>,
    /// Both instances creating and redeeming keys again, ms since the
    /// start: the end of the outage window.
    pub recovered_ms: Option<u64>,
}

/// How much a resource grew between the baseline and the end.
#[derive(Debug, Clone, Copy)]
pub struct Growth {
    /// Median around the baseline time.
    pub base: u64,
    /// Median of the last samples.
    pub end: u64,
}

impl Growth {
    /// `end / base - 1`, in percent.
    pub fn percent(&self) -> f64 {
        if self.base == 0 {
            0.0
        } else {
            (self.end as f64 / self.base as f64 - 1.0) * 100.0
        }
    }
}

/// Allowed growth of RSS and open fds, percent.
pub const MAX_GROWTH_PERCENT: f64 = 10.0;

/// Everything a soak run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// `single node` or `3-primary cluster`.
    pub redis: String,
    /// Concurrent simulated browsers.
    pub users: usize,
    /// Run length, seconds.
    pub seconds: u64,
    /// One per second.
    pub samples: Vec<Sample>,
    /// Rows of the table: (first second, last second, p99 µs).
    pub rows: Vec<(u64, u64, u64)>,
    /// p99 over the whole run, µs.
    pub p99_us: u64,
    /// Legitimate requests that failed, wherever they fell.
    pub failures: Vec<Failure>,
    /// The restart, if the run had one.
    pub outage: Option<Outage>,
    /// Legitimate requests that got their expected answer.
    pub legit_ok: u64,
    /// Legitimate state-changing requests answered as done.
    pub legit_effects_expected: u64,
    /// Effects of legitimate requests the instances reported.
    pub legit_effects_seen: u64,
    /// Forged requests sent and answered below 400, by kind.
    pub forged: Vec<(Forgery, u64, u64)>,
    /// Effects of forged requests the instances reported.
    pub forged_effects: u64,
    /// One-time keys redeemed by legitimate requests.
    pub keys_redeemed: u64,
    /// Keys whose handler ran twice.
    pub redeemed_twice: u64,
    /// When the growth baseline was taken, seconds.
    pub baseline_s: u64,
    /// RSS growth of each instance.
    pub rss: [Option<Growth>; 2],
    /// Open fd growth of each instance.
    pub fds: [Option<Growth>; 2],
    /// Other problems: an instance died, `/stats` could not be read.
    pub errors: Vec<String>,
}

/// Where a failure falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Outside the outage window: not allowed.
    Outside,
    /// In the window, refused with 503: fail closed, allowed.
    InWindowClosed,
    /// A redemption of a key created before the kill, refused as unknown:
    /// the key went with the restarted node (it persists nothing). Allowed.
    LostWithNode,
    /// In the window, but not a 503: not allowed.
    InWindowOther,
}

impl Report {
    /// Where `f` falls.
    pub fn class(&self, f: &Failure) -> Class {
        let Some(o) = &self.outage else {
            return Class::Outside;
        };
        if f.what == "POST /one-time/use"
            && f.status == Some(403)
            && f.key_born_ms.is_some_and(|b| b < o.killed_ms)
            && f.end_ms >= o.killed_ms
        {
            return Class::LostWithNode;
        }
        let until = o.recovered_ms.unwrap_or(u64::MAX);
        if f.end_ms >= o.killed_ms && f.start_ms <= until {
            if f.status == Some(503) {
                Class::InWindowClosed
            } else {
                Class::InWindowOther
            }
        } else {
            Class::Outside
        }
    }

    fn count(&self, class: Class) -> usize {
        self.failures
            .iter()
            .filter(|f| self.class(f) == class)
            .count()
    }

    /// Forged requests answered below 400, all kinds.
    pub fn forged_accepted(&self) -> u64 {
        self.forged.iter().map(|(_, _, a)| a).sum()
    }

    /// Forged requests sent, all kinds.
    pub fn forged_sent(&self) -> u64 {
        self.forged.iter().map(|(_, s, _)| s).sum()
    }

    /// Every reason the run fails; empty when it passed.
    pub fn violations(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.forged_accepted() > 0 {
            v.push(format!(
                "{} forged requests were answered below 400",
                self.forged_accepted()
            ));
        }
        if self.forged_effects > 0 {
            v.push(format!(
                "{} forged requests had a side effect",
                self.forged_effects
            ));
        }
        if self.redeemed_twice > 0 {
            v.push(format!(
                "{} one-time keys were redeemed twice",
                self.redeemed_twice
            ));
        }
        for (class, what) in [
            (Class::Outside, "outside the outage window"),
            (
                Class::InWindowOther,
                "in the outage window without failing closed (503)",
            ),
        ] {
            let bad: Vec<&Failure> = self
                .failures
                .iter()
                .filter(|f| self.class(f) == class)
                .collect();
            if let Some(first) = bad.first() {
                v.push(format!(
                    "{} legitimate requests failed {what}; first: {} at {:.1} s: {}",
                    bad.len(),
                    first.what,
                    first.start_ms as f64 / 1000.0,
                    first.detail
                ));
            }
        }
        if let Some(o) = &self.outage
            && o.recovered_ms.is_none()
        {
            v.push("the instances did not recover from the Redis restart".to_owned());
        }
        if self.legit_effects_seen < self.legit_effects_expected {
            v.push(format!(
                "{} legitimate requests were answered as done but their handler recorded nothing",
                self.legit_effects_expected - self.legit_effects_seen
            ));
        }
        for (name, growth) in [("RSS", &self.rss), ("open fds", &self.fds)] {
            for (i, g) in growth.iter().enumerate() {
                match g {
                    Some(g) if g.percent() > MAX_GROWTH_PERCENT => v.push(format!(
                        "{name} of instance {} grew {:.1} % ({} -> {})",
                        instance_name(i),
                        g.percent(),
                        g.base,
                        g.end
                    )),
                    Some(_) => {}
                    None => v.push(format!(
                        "{name} of instance {} could not be read",
                        instance_name(i)
                    )),
                }
            }
        }
        v.extend(self.errors.iter().cloned());
        v
    }

    /// Whether nothing went wrong.
    pub fn passed(&self) -> bool {
        self.violations().is_empty()
    }

    /// The lowest and highest of `f(seconds, requests, p99 µs)` over the
    /// table's rows.
    fn row_spread(&self, f: impl Fn(u64, u64, u64) -> u64) -> Option<(u64, u64)> {
        let values: Vec<u64> = self
            .rows
            .iter()
            .map(|&(from, to, p99)| {
                let requests: u64 = self
                    .samples
                    .iter()
                    .filter(|s| s.t > from && s.t <= to)
                    .map(|s| s.requests)
                    .sum();
                f((to - from).max(1), requests, p99)
            })
            .collect();
        Some((*values.iter().min()?, *values.iter().max()?))
    }

    /// The outage window's length, ms.
    pub fn window_ms(&self) -> Option<u64> {
        let o = self.outage.as_ref()?;
        Some(o.recovered_ms?.saturating_sub(o.killed_ms))
    }

    /// The table and the totals, as printed at the end of a run.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "soak: {} s, {} browsers, two instances sharing Redis ({})",
            self.seconds, self.users, self.redis
        );
        let _ = writeln!(
            out,
            "{:>11} {:>7} {:>8} {:>13} {:>7} {:>7} {:>15} {:>9}",
            "time (s)",
            "req/s",
            "p99 ms",
            "legit failed",
            "forged",
            "twice",
            "RSS A/B MiB",
            "fds A/B"
        );
        let _ = writeln!(
            out,
            "{:>11} {:>7} {:>8} {:>13} {:>7} {:>7} {:>15} {:>9}",
            "", "", "", "out / window", "ok", "", "", ""
        );
        for &(from, to, p99) in &self.rows {
            let samples: Vec<&Sample> = self
                .samples
                .iter()
                .filter(|s| s.t > from && s.t <= to)
                .collect();
            let Some(last) = samples.last() else {
                continue;
            };
            let secs = samples.len().max(1) as u64;
            let requests: u64 = samples.iter().map(|s| s.requests).sum();
            let forged: u64 = samples
                .iter()
                .map(|s| s.forged_accepted + s.forged_effects)
                .sum();
            let twice: u64 = samples.iter().map(|s| s.redeemed_twice).sum();
            let (mut outside, mut window) = (0, 0);
            for f in self
                .failures
                .iter()
                .filter(|f| f.end_ms > from * 1000 && f.end_ms <= to * 1000)
            {
                match self.class(f) {
                    Class::Outside | Class::InWindowOther => outside += 1,
                    Class::InWindowClosed | Class::LostWithNode => window += 1,
                }
            }
            let _ = writeln!(
                out,
                "{:>11} {:>7} {:>8.1} {:>13} {:>7} {:>7} {:>15} {:>9}",
                format!("{from}-{to}"),
                requests / secs,
                p99 as f64 / 1000.0,
                format!("{outside} / {window}"),
                forged,
                twice,
                format!("{}/{}", mib(last.rss_kib[0]), mib(last.rss_kib[1])),
                format!("{}/{}", num(last.fds[0]), num(last.fds[1])),
            );
        }
        let requests: u64 = self.samples.iter().map(|s| s.requests).sum();
        let secs = self.samples.len().max(1) as u64;
        let _ = writeln!(
            out,
            "{:>11} {:>7} {:>8.1} {:>13} {:>7} {:>7}",
            "total",
            requests / secs,
            self.p99_us as f64 / 1000.0,
            format!(
                "{} / {}",
                self.count(Class::Outside) + self.count(Class::InWindowOther),
                self.count(Class::InWindowClosed) + self.count(Class::LostWithNode)
            ),
            self.forged_accepted() + self.forged_effects,
            self.redeemed_twice,
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "requests: {requests} ({} legitimate answered as expected, {} forged)",
            self.legit_ok,
            self.forged_sent()
        );
        if let Some((lo, hi)) = self.row_spread(|secs, requests, _| requests / secs) {
            let (plo, phi) = self.row_spread(|_, _, p99| p99).unwrap_or((0, 0));
            let _ = writeln!(
                out,
                "rows: {lo}-{hi} req/s, p99 {:.1}-{:.1} ms",
                plo as f64 / 1000.0,
                phi as f64 / 1000.0
            );
        }
        match &self.outage {
            Some(o) => {
                let _ = writeln!(
                    out,
                    "outage: {} killed at {:.1} s, answering again at {}, both instances \
                     serving keys again at {}: window {}",
                    o.victim,
                    o.killed_ms as f64 / 1000.0,
                    secs_or(o.back_ms, "never"),
                    secs_or(o.recovered_ms, "never"),
                    self.window_ms()
                        .map_or("open to the end".to_owned(), |w| format!(
                            "{:.1} s",
                            w as f64 / 1000.0
                        )),
                );
            }
            None => {
                let _ = writeln!(out, "outage: none (no restart in this run)");
            }
        }
        let _ = writeln!(
            out,
            "legitimate failures: {} outside the window, {} in it failing closed (503), \
             {} keys lost with the restarted node, {} in it not failing closed",
            self.count(Class::Outside),
            self.count(Class::InWindowClosed),
            self.count(Class::LostWithNode),
            self.count(Class::InWindowOther)
        );
        let _ = writeln!(
            out,
            "forged: {} answered below 400, {} side effects",
            self.forged_accepted(),
            self.forged_effects
        );
        for (kind, sent, accepted) in &self.forged {
            let _ = writeln!(
                out,
                "  {:<28} {sent:>8} sent, {accepted} accepted",
                kind.name()
            );
        }
        let _ = writeln!(
            out,
            "one-time keys: {} redeemed, {} redeemed twice",
            self.keys_redeemed, self.redeemed_twice
        );
        let _ = writeln!(
            out,
            "side effects of legitimate requests: {} expected, {} recorded",
            self.legit_effects_expected, self.legit_effects_seen
        );
        for (name, growth, unit) in [("RSS", &self.rss, " KiB"), ("open fds", &self.fds, "")] {
            for (i, g) in growth.iter().enumerate() {
                if let Some(g) = g {
                    let _ = writeln!(
                        out,
                        "{name} of instance {}: {}{unit} at {} s -> {}{unit} at the end ({:+.1} %, limit {MAX_GROWTH_PERCENT} %)",
                        instance_name(i),
                        g.base,
                        self.baseline_s,
                        g.end,
                        g.percent()
                    );
                }
            }
        }
        let violations = self.violations();
        if violations.is_empty() {
            let _ = writeln!(out, "verdict: PASS");
        } else {
            let _ = writeln!(out, "verdict: FAIL");
            for v in violations {
                let _ = writeln!(out, "  - {v}");
            }
        }
        out
    }
}

fn instance_name(i: usize) -> char {
    if i == 0 { 'A' } else { 'B' }
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("?".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0))
}

fn num(n: Option<u64>) -> String {
    n.map_or("?".to_owned(), |n| n.to_string())
}

fn secs_or(ms: Option<u64>, none: &str) -> String {
    ms.map_or(none.to_owned(), |ms| format!("{:.1} s", ms as f64 / 1000.0))
}

/// The median of `values` (the upper one of an even count).
pub(crate) fn median(mut values: Vec<u64>) -> Option<u64> {
    values.sort_unstable();
    values.get(values.len() / 2).copied()
}
