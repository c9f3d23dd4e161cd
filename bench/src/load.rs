//! Part 1: HTTP load against a real server on loopback.
//!
//! One actix-web `HttpServer` per scenario, one worker (the load generator
//! shares the machine's cores), and an in-process client: `CONNECTIONS`
//! keep-alive connections, each first `GET /form` (session cookie, token),
//! then `POST /submit` in a loop, one request in flight per connection.
//! Every app runs behind the same cookie-session middleware. Scenarios run
//! in `ROUNDS` interleaved rounds so slow drifts of the machine hit all of
//! them alike; the table gives the best round (the one least disturbed by
//! anything else running on the machine) and how far the others fell.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use actix_web::dev::{Server, ServerHandle};
use actix_web::{HttpServer, cookie};
use hdrhistogram::Histogram;

use crate::apps::{self, Handler};
use crate::client::{self, Conn, Jar};
use crate::report::{self, Table};

/// Concurrent keep-alive connections per scenario.
const CONNECTIONS: usize = 16;
/// Rounds over all scenarios.
const ROUNDS: usize = 5;
/// Unrecorded requests at the start of each run (connections, caches).
const WARMUP: Duration = Duration::from_millis(200);
/// Recorded time per scenario per round.
const MEASURE: Duration = Duration::from_millis(1200);

/// Which app a scenario serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    PlainSession,
    /// No protection, a cookie the size of our state cookie.
    PlainCookie,
    /// The baseline of session data (`Session`) or of the state-sized
    /// cookie (`Cookie`), verifying the HMACs of a token check and doing
    /// nothing else: the floor of an HMAC-bound token.
    Floor(apps::StateIn),
    Ours,
    /// Ours with `Storage::signed_cookie()`: state in a signed cookie of its own,
    /// nothing in the session (as actix-csrf keeps nothing there either).
    OursCookie,
    PeerMiddleware,
    /// actix-csrf-middleware's synchronizer mode: its token in the session.
    PeerSession,
    PeerCookie,
}

/// How the client sends the token.
#[derive(Debug, Clone, Copy)]
enum Via {
    Header(&'static str),
    Form(&'static str),
}

#[derive(Debug, Clone, Copy)]
struct Scenario {
    name: &'static str,
    kind: Kind,
    via: Via,
}

impl Scenario {
    fn handler(&self) -> Handler {
        match self.via {
            Via::Header(_) => Handler::Bare,
            Via::Form(_) => Handler::Form,
        }
    }
}

/// Indexes into `SCENARIOS` of the rows the comparisons use.
const BASE_HEADER: usize = 0;
const BASE_FORM: usize = 1;
const SESSION_HEADER: usize = 2;
const SESSION_FORM: usize = 3;
const COOKIE_HEADER: usize = 4;
const COOKIE_FORM: usize = 5;
const FLOOR_SESSION_HEADER: usize = 6;
const FLOOR_SESSION_FORM: usize = 7;
const FLOOR_COOKIE_HEADER: usize = 8;
const FLOOR_COOKIE_FORM: usize = 9;
const OURS_HEADER: usize = 10;
const OURS_FORM: usize = 11;
const OURS_COOKIE_HEADER: usize = 12;
const OURS_COOKIE_FORM: usize = 13;

const SCENARIOS: [Scenario; 20] = [
    Scenario {
        name: "unprotected, header-shaped",
        kind: Kind::Plain,
        via: Via::Header("X-XSRF-Token"),
    },
    Scenario {
        name: "unprotected, form-shaped",
        kind: Kind::Plain,
        via: Via::Form("xsrf_token"),
    },
    Scenario {
        name: "unprotected + session data, header-shaped",
        kind: Kind::PlainSession,
        via: Via::Header("X-XSRF-Token"),
    },
    Scenario {
        name: "unprotected + session data, form-shaped",
        kind: Kind::PlainSession,
        via: Via::Form("xsrf_token"),
    },
    Scenario {
        name: "unprotected + state-sized cookie, header-shaped",
        kind: Kind::PlainCookie,
        via: Via::Header("X-XSRF-Token"),
    },
    Scenario {
        name: "unprotected + state-sized cookie, form-shaped",
        kind: Kind::PlainCookie,
        via: Via::Form("xsrf_token"),
    },
    Scenario {
        name: "floor: session data + 1 HMAC, header-shaped",
        kind: Kind::Floor(apps::StateIn::Session),
        via: Via::Header("X-XSRF-Token"),
    },
    Scenario {
        name: "floor: session data + 1 HMAC, form-shaped",
        kind: Kind::Floor(apps::StateIn::Session),
        via: Via::Form("xsrf_token"),
    },
    Scenario {
        name: "floor: state-sized cookie + 2 HMACs, header-shaped",
        kind: Kind::Floor(apps::StateIn::Cookie),
        via: Via::Header("X-XSRF-Token"),
    },
    Scenario {
        name: "floor: state-sized cookie + 2 HMACs, form-shaped",
        kind: Kind::Floor(apps::StateIn::Cookie),
        via: Via::Form("xsrf_token"),
    },
    Scenario {
        name: "xsrf-actix, header",
        kind: Kind::Ours,
        via: Via::Header("X-XSRF-Token"),
    },
    Scenario {
        name: "xsrf-actix, form",
        kind: Kind::Ours,
        via: Via::Form("xsrf_token"),
    },
    Scenario {
        name: "xsrf-actix cookie storage, header",
        kind: Kind::OursCookie,
        via: Via::Header("X-XSRF-Token"),
    },
    Scenario {
        name: "xsrf-actix cookie storage, form",
        kind: Kind::OursCookie,
        via: Via::Form("xsrf_token"),
    },
    Scenario {
        name: "actix-csrf-middleware, header",
        kind: Kind::PeerMiddleware,
        via: Via::Header("X-CSRF-Token"),
    },
    Scenario {
        name: "actix-csrf-middleware, form",
        kind: Kind::PeerMiddleware,
        via: Via::Form("csrf_token"),
    },
    Scenario {
        name: "actix-csrf-middleware (session), header",
        kind: Kind::PeerSession,
        via: Via::Header("X-CSRF-Token"),
    },
    Scenario {
        name: "actix-csrf-middleware (session), form",
        kind: Kind::PeerSession,
        via: Via::Form("csrf_token"),
    },
    Scenario {
        name: "actix-csrf, header",
        kind: Kind::PeerCookie,
        via: Via::Header("Csrf-Token"),
    },
    Scenario {
        name: "actix-csrf, form",
        kind: Kind::PeerCookie,
        via: Via::Form("csrf_token"),
    },
];

/// A server running on its own thread (its own actix system).
struct Running {
    addr: SocketAddr,
    handle: ServerHandle,
    thread: JoinHandle<io::Result<()>>,
}

impl Running {
    /// Starts `launch` (which builds and runs the `HttpServer` on the given
    /// listener) on a new thread with its own actix system.
    fn start(
        launch: impl FnOnce(TcpListener) -> io::Result<Server> + Send + 'static,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = match launch(listener) {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = tx.send(Err(io::Error::new(e.kind(), e.to_string())));
                        return Err(e);
                    }
                };
                let _ = tx.send(Ok(server.handle()));
                server.await
            })
        });
        let handle = rx
            .recv()
            .map_err(|_| io::Error::other("server thread ended before starting"))??;
        Ok(Self {
            addr,
            handle,
            thread,
        })
    }

    async fn stop(self) {
        self.handle.stop(true).await;
        match self.thread.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("server ended with an error: {e}"),
            Err(_) => eprintln!("server thread panicked"),
        }
    }
}

/// Builds the `HttpServer` of one app on a listener: one worker, no
/// signal handling (the bench stops it itself). The worker enters the
/// probe first (pinning it, noting its thread).
macro_rules! launcher {
    ($probe:expr, $factory:expr) => {{
        let probe = $probe.clone();
        move |listener: TcpListener| -> io::Result<Server> {
            Ok(HttpServer::new(move || {
                probe.enter();
                $factory()
            })
            .workers(1)
            .disable_signals()
            .listen(listener)?
            .run())
        }
    }};
}

fn start(s: &Scenario, session_key: &cookie::Key, probe: &Probe) -> io::Result<Running> {
    let key = session_key.clone();
    let handler = s.handler();
    match s.kind {
        Kind::Plain => Running::start(launcher!(probe, || {
            apps::plain(handler).wrap(apps::sessions(&key))
        })),
        Kind::PlainSession => Running::start(launcher!(probe, || {
            apps::plain_with_session(handler).wrap(apps::sessions(&key))
        })),
        Kind::PlainCookie => Running::start(launcher!(probe, || {
            apps::plain_with_cookie(handler).wrap(apps::sessions(&key))
        })),
        Kind::Floor(state) => Running::start(launcher!(probe, || {
            apps::floor(state, handler).wrap(apps::sessions(&key))
        })),
        Kind::Ours | Kind::OursCookie => {
            let state = match s.kind {
                Kind::OursCookie => apps::StateIn::Cookie,
                _ => apps::StateIn::Session,
            };
            let probe = probe.clone();
            Running::start(move |listener: TcpListener| {
                // The listener is bound already, so the site origin is known.
                let origin = format!("http://{}", listener.local_addr()?);
                let xsrf = apps::xsrf(&origin, state);
                Ok(HttpServer::new(move || {
                    probe.enter();
                    apps::ours(xsrf.clone(), handler).wrap(apps::sessions(&key))
                })
                .workers(1)
                .disable_signals()
                .listen(listener)?
                .run())
            })
        }
        Kind::PeerMiddleware => Running::start(launcher!(probe, || {
            apps::peer_middleware(handler).wrap(apps::sessions(&key))
        })),
        Kind::PeerSession => Running::start(launcher!(probe, || {
            apps::peer_middleware_sessions(handler).wrap(apps::sessions(&key))
        })),
        Kind::PeerCookie => Running::start(launcher!(probe, || {
            apps::peer_cookie(handler).wrap(apps::sessions(&key))
        })),
    }
}

/// The server's worker thread, as seen from the client: pinned to a core
/// of its own (when there are two or more), and its CPU time readable.
#[derive(Debug, Clone, Default)]
struct Probe {
    /// `/proc/self/task/<tid>/schedstat` of the worker thread, once known.
    schedstat: Arc<Mutex<Option<PathBuf>>>,
}

/// Cores the client and the server are pinned to, when the machine has
/// two or more: each then runs undisturbed by the other.
fn cores() -> Option<(core_affinity::CoreId, core_affinity::CoreId)> {
    if std::env::var_os("XSRF_BENCH_NO_PIN").is_some() {
        return None;
    }
    let ids = core_affinity::get_core_ids()?;
    match ids.as_slice() {
        [client, server, ..] => Some((*client, *server)),
        _ => None,
    }
}

impl Probe {
    /// Called on the worker thread as it builds its app.
    fn enter(&self) {
        if let Some((_, server)) = cores() {
            core_affinity::set_for_current(server);
        }
        // `/proc/thread-self` names the calling thread: `<pid>/task/<tid>`.
        if let Ok(task) = std::fs::read_link("/proc/thread-self")
            && let Ok(mut slot) = self.schedstat.lock()
        {
            *slot = Some(Path::new("/proc").join(task).join("schedstat"));
        }
    }

    /// CPU time the worker thread has run so far, when the system tells.
    fn cpu(&self) -> Option<Duration> {
        let path = self.schedstat.lock().ok()?.clone()?;
        let text = std::fs::read_to_string(path).ok()?;
        let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
        Some(Duration::from_nanos(ns))
    }
}

/// What one run of one scenario measured.
#[derive(Debug)]
struct Run {
    requests: u64,
    errors: u64,
    first_error: Option<String>,
    elapsed: Duration,
    /// CPU time of the server's worker thread while recording.
    server_cpu: Option<Duration>,
    latency_us: Histogram<u64>,
}

fn histogram() -> Histogram<u64> {
    // 1 µs .. 60 s, 3 significant digits.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// Sets up one connection: `GET /form`, keep cookies and token, and
/// prepare the POST it will repeat.
async fn prepare(addr: SocketAddr, via: Via) -> io::Result<(Conn, Vec<u8>)> {
    let host = addr.to_string();
    let mut conn = Conn::connect(addr).await?;
    let res = conn
        .send(&client::request("GET", "/form", &host, &[], b""))
        .await?;
    if res.status != 200 {
        return Err(io::Error::other(format!(
            "GET /form answered {}: {}",
            res.status,
            res.text()
        )));
    }
    let token = res.text();
    let mut jar = Jar::default();
    jar.keep(&res);
    let cookie = jar.header().unwrap_or_default();
    let origin = format!("http://{host}");
    // What a browser sends on a same-origin form post or fetch.
    let mut headers: Vec<(&str, &str)> =
        vec![("Origin", &origin), ("Sec-Fetch-Site", "same-origin")];
    if !cookie.is_empty() {
        headers.push(("Cookie", &cookie));
    }
    let body = match via {
        Via::Header(name) => {
            headers.push((name, &token));
            Vec::new()
        }
        Via::Form(field) => {
            headers.push(("Content-Type", "application/x-www-form-urlencoded"));
            format!("{field}={token}&body=hello").into_bytes()
        }
    };
    let post = client::request("POST", "/submit", &host, &headers, &body);
    Ok((conn, post))
}

/// Repeats the prepared POST until `until`, recording after `record_from`.
async fn hammer(
    mut conn: Conn,
    post: Vec<u8>,
    record_from: Instant,
    until: Instant,
) -> io::Result<Run> {
    let mut run = Run {
        requests: 0,
        errors: 0,
        first_error: None,
        elapsed: Duration::ZERO,
        server_cpu: None,
        latency_us: histogram(),
    };
    loop {
        let t0 = Instant::now();
        if t0 >= until {
            break;
        }
        let status = conn.status(&post).await?;
        if t0 >= record_from {
            let us = t0.elapsed().as_micros().max(1);
            let _ = run.latency_us.record(u64::try_from(us).unwrap_or(u64::MAX));
            run.requests += 1;
            if status != 200 {
                run.errors += 1;
                if run.first_error.is_none() {
                    run.first_error = Some(format!("status {status}"));
                }
            }
        }
    }
    Ok(run)
}

async fn measure(s: &Scenario, session_key: &cookie::Key) -> io::Result<Run> {
    let probe = Probe::default();
    let server = start(s, session_key, &probe)?;
    let mut conns = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        conns.push(prepare(server.addr, s.via).await?);
    }
    let start = Instant::now();
    let record_from = start + WARMUP;
    let until = record_from + MEASURE;
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|(conn, post)| tokio::spawn(hammer(conn, post, record_from, until)))
        .collect();
    // The server's CPU time over the recorded window, read beside the
    // client's tasks (this runtime has one thread: they wait meanwhile).
    let cpu_probe = {
        let probe = probe.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(record_from.into()).await;
            let before = probe.cpu();
            tokio::time::sleep_until(until.into()).await;
            Some(probe.cpu()?.saturating_sub(before?))
        })
    };
    let mut total = Run {
        requests: 0,
        errors: 0,
        first_error: None,
        elapsed: MEASURE,
        server_cpu: None,
        latency_us: histogram(),
    };
    let mut failure = None;
    for t in tasks {
        match t.await.map_err(io::Error::other)? {
            Ok(run) => {
                total.requests += run.requests;
                total.errors += run.errors;
                total.first_error = total.first_error.or(run.first_error);
                let _ = total.latency_us.add(&run.latency_us);
            }
            Err(e) => failure = Some(e),
        }
    }
    total.server_cpu = cpu_probe.await.ok().flatten();
    // Requests end at `until` at the latest plus one round trip.
    total.elapsed = until.saturating_duration_since(record_from);
    server.stop().await;
    match failure {
        Some(e) => Err(e),
        None => Ok(total),
    }
}

/// Results of one scenario over all rounds.
#[derive(Debug)]
struct Summary {
    rates: Vec<f64>,
    /// Server CPU time per request in each round, in µs (when readable).
    cpu_us: Vec<f64>,
    errors: u64,
    first_error: Option<String>,
    /// Latencies of the best round.
    latency_us: Histogram<u64>,
    failed: Option<String>,
}

impl Summary {
    fn rate(&self) -> f64 {
        if self.rates.is_empty() || self.failed.is_some() {
            return f64::NAN;
        }
        self.rates.iter().copied().fold(0.0, f64::max)
    }

    fn median_rate(&self) -> f64 {
        let mut r = self.rates.clone();
        r.sort_by(f64::total_cmp);
        match r.len() {
            0 => f64::NAN,
            n => r[n / 2],
        }
    }

    /// The least server CPU time per request over the rounds.
    fn cpu(&self) -> f64 {
        if self.cpu_us.is_empty() || self.failed.is_some() {
            return f64::NAN;
        }
        self.cpu_us.iter().copied().fold(f64::INFINITY, f64::min)
    }

    fn spread(&self) -> String {
        let lo = self.rates.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = self.rates.iter().copied().fold(0.0, f64::max);
        if self.rates.len() < 2 || hi <= 0.0 {
            return "-".to_owned();
        }
        format!("-{:.0}%", (hi - lo) / hi * 100.0)
    }
}

/// Runs the part and prints its tables.
pub(crate) fn run() {
    report::title("1. HTTP load (real server on 127.0.0.1, 1 worker)");
    println!(
        "{CONNECTIONS} keep-alive connections, {} interleaved rounds x ({:.1} s warm-up + {:.1} s measured) per scenario;",
        ROUNDS,
        WARMUP.as_secs_f64(),
        MEASURE.as_secs_f64()
    );
    println!(
        "every app behind the same cookie-session middleware; POST /submit answers 200 \"ok\"."
    );
    match cores() {
        Some((client, server)) => {
            core_affinity::set_for_current(client);
            println!(
                "client pinned to core {}, server worker to core {} (XSRF_BENCH_NO_PIN=1 to not pin).",
                client.id, server.id
            );
        }
        None => println!("client and server not pinned."),
    }
    let rt = crate::runtime();
    let session_key = cookie::Key::generate();
    let mut sums: Vec<Summary> = SCENARIOS
        .iter()
        .map(|_| Summary {
            rates: Vec::new(),
            cpu_us: Vec::new(),
            errors: 0,
            first_error: None,
            latency_us: histogram(),
            failed: None,
        })
        .collect();
    for _ in 0..ROUNDS {
        for (s, sum) in SCENARIOS.iter().zip(sums.iter_mut()) {
            if sum.failed.is_some() {
                continue;
            }
            if std::env::var("ONLY").is_ok_and(|o| !s.name.contains(&o)) {
                continue;
            }
            match rt.block_on(measure(s, &session_key)) {
                Ok(run) => {
                    let rate = run.requests as f64 / run.elapsed.as_secs_f64();
                    if rate > sum.rates.iter().copied().fold(0.0, f64::max) {
                        sum.latency_us = run.latency_us;
                    }
                    sum.rates.push(rate);
                    if let Some(cpu) = run.server_cpu
                        && run.requests > 0
                    {
                        sum.cpu_us
                            .push(cpu.as_secs_f64() * 1e6 / run.requests as f64);
                    }
                    sum.errors += run.errors;
                    sum.first_error = sum.first_error.take().or(run.first_error);
                }
                Err(e) => sum.failed = Some(e.to_string()),
            }
        }
    }

    let base_of = |via_form: bool| &sums[if via_form { BASE_FORM } else { BASE_HEADER }];
    let base = |via_form: bool| base_of(via_form).rate();
    let mut t = Table::new(&[
        "scenario",
        "req/s",
        "median",
        "worst round",
        "server CPU/req",
        "p50",
        "p99",
        "vs unprotected",
        "non-200",
    ]);
    for (s, sum) in SCENARIOS.iter().zip(&sums) {
        let is_form = matches!(s.via, Via::Form(_));
        if let Some(why) = &sum.failed {
            t.row(vec![s.name.to_owned(), format!("FAILED: {why}")]);
            continue;
        }
        if sum.rates.is_empty() {
            continue;
        }
        let h = &sum.latency_us;
        t.row(vec![
            s.name.to_owned(),
            format!("{:.0}", sum.rate()),
            format!("{:.0}", sum.median_rate()),
            sum.spread(),
            if sum.cpu().is_finite() {
                format!("{:.2} µs", sum.cpu())
            } else {
                "-".to_owned()
            },
            format!("{} µs", h.value_at_quantile(0.50)),
            format!("{} µs", h.value_at_quantile(0.99)),
            report::ratio(sum.rate(), base(is_form)),
            match &sum.first_error {
                Some(e) => format!("{} ({e})", sum.errors),
                None => "0".to_owned(),
            },
        ]);
    }
    println!();
    t.print();

    // Ours against the baselines and the peers, per token place: by
    // throughput (what the targets are judged on), and by the server's CPU
    // time per request (the same comparison, insensitive to what else the
    // machine runs: a cross-check).
    let mut c = Table::new(&["comparison", "req/s ratio", "CPU ratio", "target", "met"]);
    let mut row = |label: String, ours: &Summary, other: Option<&Summary>, target: Option<f64>| {
        let (rate, cpu) = other.map_or((f64::NAN, f64::NAN), |o| (o.rate(), o.cpu()));
        let r = ours.rate() / rate;
        c.row(vec![
            label,
            report::ratio(ours.rate(), rate),
            report::ratio(cpu, ours.cpu()),
            target.map_or("(info)".to_owned(), |t| format!(">= {t:.2}x")),
            target.map_or(String::new(), |t| yes_no(r.is_finite() && r >= t)),
        ]);
    };
    // The fastest row of the given kinds for one token place.
    let fastest = |kinds: &[Kind], is_form: bool| {
        SCENARIOS
            .iter()
            .zip(&sums)
            .filter(|(s, _)| kinds.contains(&s.kind) && matches!(s.via, Via::Form(_)) == is_form)
            .filter(|(_, sum)| sum.rate().is_finite())
            .max_by(|a, b| a.1.rate().total_cmp(&b.1.rate()))
    };
    // Each of our rows, the baseline that sets the bytes of our state
    // aside (the same session data, or the state-sized cookie), that
    // baseline plus the HMACs alone, and the row its target is judged
    // against.
    let ours_rows = [
        OursRow {
            label: "header",
            ours: OURS_HEADER,
            twin: SESSION_HEADER,
            floor: FLOOR_SESSION_HEADER,
            target: Target::Twin(0.95),
        },
        OursRow {
            label: "form",
            ours: OURS_FORM,
            twin: SESSION_FORM,
            floor: FLOOR_SESSION_FORM,
            target: Target::Twin(0.95),
        },
        OursRow {
            label: "cookie storage, header",
            ours: OURS_COOKIE_HEADER,
            twin: COOKIE_HEADER,
            floor: FLOOR_COOKIE_HEADER,
            target: Target::Unprotected(0.85),
        },
        OursRow {
            label: "cookie storage, form",
            ours: OURS_COOKIE_FORM,
            twin: COOKIE_FORM,
            floor: FLOOR_COOKIE_FORM,
            target: Target::Unprotected(0.85),
        },
    ];
    for OursRow {
        label,
        ours,
        twin,
        floor,
        target,
    } in ours_rows
    {
        let is_form = matches!(SCENARIOS[ours].via, Via::Form(_));
        let o = &sums[ours];
        // The target is judged on one of the next two rows; the floor is
        // set against that row's baseline.
        let (vs_base, vs_twin, target_base, target_name) = match target {
            Target::Unprotected(t) => (Some(t), None, base_of(is_form), "unprotected"),
            Target::Twin(t) => (None, Some(t), &sums[twin], SCENARIOS[twin].name),
        };
        row(
            format!("xsrf-actix {label} / unprotected"),
            o,
            Some(base_of(is_form)),
            vs_base,
        );
        row(
            format!("xsrf-actix {label} / {}", SCENARIOS[twin].name),
            o,
            Some(&sums[twin]),
            vs_twin,
        );
        // Where the target row's baseline stands with the HMACs alone, and
        // how far ours is from that: the part of the cost that is ours to
        // cut (origin, token and state parsing, bookkeeping).
        row(
            format!("{} / {target_name}", SCENARIOS[floor].name),
            &sums[floor],
            Some(target_base),
            None,
        );
        row(
            format!("xsrf-actix {label} / {}", SCENARIOS[floor].name),
            o,
            Some(&sums[floor]),
            None,
        );
        // Ahead of actix-csrf-middleware in every row (the faster of its
        // two modes); the fastest peer of all, for information.
        let peers: [(&[Kind], Option<f64>); 2] = [
            (&[Kind::PeerMiddleware, Kind::PeerSession], Some(1.0)),
            (
                &[Kind::PeerMiddleware, Kind::PeerSession, Kind::PeerCookie],
                None,
            ),
        ];
        for (kinds, target) in peers {
            match fastest(kinds, is_form) {
                Some((p, psum)) => row(
                    format!("xsrf-actix {label} / {}", p.name),
                    o,
                    Some(psum),
                    target,
                ),
                None => row(
                    format!("xsrf-actix {label} / a peer (none ran)"),
                    o,
                    None,
                    target,
                ),
            }
        }
    }
    println!();
    c.print();
    println!(
        "(req/s, p50, p99: the best of the {ROUNDS} rounds; median: the middle round; \"worst round\": how much slower the slowest was. Read differences smaller than that as noise. server CPU/req: the worker thread's CPU time per request, least over the rounds; CPU ratio: the other row's CPU/req over ours, i.e. throughput if the server had its core to itself.)"
    );
}

/// One of our rows in the comparison table (indexes into `SCENARIOS`).
struct OursRow {
    label: &'static str,
    ours: usize,
    /// The unprotected app carrying the same state bytes.
    twin: usize,
    /// `twin` verifying the HMACs of a token check, and nothing else.
    floor: usize,
    target: Target,
}

/// The throughput ratio a row of ours must reach, and against what.
#[derive(Clone, Copy)]
enum Target {
    /// Against the unprotected app of the same shape.
    Unprotected(f64),
    /// Against the row's twin.
    Twin(f64),
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}
