//! Part 2: in-process cost per request, the way actix-csrf-middleware
//! publishes its own (its `benches/e2e.rs` and `benches/alloc.rs`).
//!
//! Apps are built with `actix_web::test::init_service`, no network, and
//! called in a loop inside one actix runtime. Each row is measured on the
//! protected app and on the same app without protection, with the same
//! request, and the table shows the difference: time per request (best
//! of `ROUNDS` rounds, so a preempted round does not count), allocations
//! and bytes allocated per request (from the counting allocator). The
//! two apps' rounds alternate. Request construction and response reading
//! happen outside the measured loop.
//!
//! Ours and the peer are each shown twice: with their state in the cookie
//! session (ours by default, the peer's synchronizer-token mode; compared
//! with the plain app behind the same session middleware, which then also
//! decodes the session cookie) and without sessions (ours with
//! `Storage::signed_cookie()`, the peer's double-submit cookie; compared with the
//! bare plain app, as the peer publishes).

use std::time::Instant;

use actix_http::Request;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::{cookie, test};
use bytes::Bytes;
use stats_alloc::Region;

use crate::GLOBAL;
use crate::apps::{self, Handler, PEER_SECRET, SKIP_PATH};
use crate::report::{self, Table};

/// Measured calls per app and row (fewer for the 256 KB body).
const ITERS: usize = 20_000;
const ITERS_LARGE: usize = 5_000;
/// Calls before measuring (caches, lazily built state).
const WARMUP: usize = 500;
/// Rounds the measured calls are split into; the fastest round counts.
const ROUNDS: usize = 10;
/// The origin every app is configured with and every POST comes from.
const ORIGIN: &str = "http://localhost:8080";

/// One measurement: time, allocations and bytes per request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    /// Mean nanoseconds per request in the fastest round.
    pub(crate) ns: f64,
    /// Allocations (and reallocations) per request.
    pub(crate) allocs: f64,
    /// Bytes allocated (plus reallocation growth) per request.
    pub(crate) bytes: f64,
    /// Requests that did not answer 2xx (a broken row, not a slow one).
    pub(crate) failures: usize,
}

impl Sample {
    fn minus(self, base: Sample) -> Delta {
        Delta {
            ns: self.ns - base.ns,
            allocs: self.allocs - base.allocs,
            bytes: self.bytes - base.bytes,
            failures: self.failures + base.failures,
        }
    }
}

/// Protected minus unprotected.
#[derive(Debug, Clone, Copy)]
struct Delta {
    ns: f64,
    allocs: f64,
    bytes: f64,
    failures: usize,
}

/// Measurements of one app, accumulated over rounds.
#[derive(Debug, Default)]
struct Rounds {
    best_ns: Option<f64>,
    /// Each round's time per request, in order.
    per_round: Vec<f64>,
    allocs: usize,
    bytes: isize,
    calls: usize,
    failures: usize,
}

impl Rounds {
    /// Calls `srv` with requests from `make`, unmeasured.
    async fn warm_up<S, B>(&mut self, srv: &S, make: &dyn Fn() -> Request, calls: usize)
    where
        S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    {
        for _ in 0..calls {
            let res = srv.call(make()).await.expect("warm-up call");
            self.failures += usize::from(!res.status().is_success());
        }
    }

    /// One measured round of `calls` requests.
    async fn round<S, B>(&mut self, srv: &S, make: &dyn Fn() -> Request, calls: usize)
    where
        S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    {
        // Requests are built before the clock and the counter start.
        let batch: Vec<Request> = (0..calls).map(|_| make()).collect();
        let region = Region::new(GLOBAL);
        let t0 = Instant::now();
        for req in batch {
            let res = srv.call(req).await.expect("measured call");
            self.failures += usize::from(!res.status().is_success());
        }
        let elapsed = t0.elapsed();
        let st = region.change();
        let ns = elapsed.as_nanos() as f64 / calls as f64;
        self.best_ns = Some(self.best_ns.map_or(ns, |best| best.min(ns)));
        self.per_round.push(ns);
        self.allocs += st.allocations + st.reallocations;
        // Growth by reallocation is already in bytes_allocated.
        self.bytes += st.bytes_allocated as isize;
        self.calls += calls;
    }

    fn sample(&self) -> Sample {
        let calls = self.calls.max(1) as f64;
        Sample {
            ns: self.best_ns.unwrap_or(f64::NAN),
            allocs: self.allocs as f64 / calls,
            bytes: self.bytes as f64 / calls,
            failures: self.failures,
        }
    }
}

/// Calls `srv` with `iters` requests from `make` and measures them.
pub(crate) async fn sample<S, B>(srv: &S, make: &dyn Fn() -> Request, iters: usize) -> Sample
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    let mut r = Rounds::default();
    r.warm_up(srv, make, WARMUP.min(iters)).await;
    for _ in 0..ROUNDS {
        r.round(srv, make, iters.div_ceil(ROUNDS)).await;
    }
    r.sample()
}

/// Measures two apps with the same requests, their rounds interleaved
/// (A, B, A, B, ...) so that drift in the machine's state during the run
/// (caches, allocator, frequency) falls on both alike.
async fn paired<P, G, B1, B2>(
    plain: &P,
    guarded: &G,
    make: &dyn Fn() -> Request,
    iters: usize,
) -> (Sample, Sample)
where
    P: Service<Request, Response = ServiceResponse<B1>, Error = actix_web::Error>,
    G: Service<Request, Response = ServiceResponse<B2>, Error = actix_web::Error>,
{
    let (mut a, mut b) = (Rounds::default(), Rounds::default());
    a.warm_up(plain, make, WARMUP.min(iters)).await;
    b.warm_up(guarded, make, WARMUP.min(iters)).await;
    for _ in 0..ROUNDS {
        a.round(plain, make, iters.div_ceil(ROUNDS)).await;
        b.round(guarded, make, iters.div_ceil(ROUNDS)).await;
    }
    (a.sample(), b.sample())
}

/// The rows, in the order of the peer's published table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    GetValid,
    GetIssue,
    PostHeader,
    PostBody1K,
    PostBody256K,
    PostJsonFirst,
    PostJsonLast,
    Skipped,
}

const ROWS: [Row; 8] = [
    Row::GetValid,
    Row::GetIssue,
    Row::PostHeader,
    Row::PostBody1K,
    Row::PostBody256K,
    Row::PostJsonFirst,
    Row::PostJsonLast,
    Row::Skipped,
];

impl Row {
    fn label(self) -> &'static str {
        match self {
            Row::GetValid => "GET, token/state already valid",
            Row::GetIssue => "GET, issues a token (new visitor)",
            Row::PostHeader => "POST, token in header",
            Row::PostBody1K => "POST, token in a 1 KB form body",
            Row::PostBody256K => "POST, token in a 256 KB form body",
            Row::PostJsonFirst => "POST, token first in a 1 KB JSON body",
            Row::PostJsonLast => "POST, token last in a 1 KB JSON body",
            Row::Skipped => "skipped path (peer: skip_for)",
        }
    }

    /// actix-csrf-middleware's README figures (its machine, not this one).
    fn published(self) -> &'static str {
        match self {
            Row::GetValid => "+0.92 µs / +17",
            Row::GetIssue => "+1.23 µs / +20",
            Row::PostHeader => "+1.56 µs / +22",
            Row::PostBody1K => "+1.94 µs / +26",
            Row::PostBody256K => "+26.81 µs / +26",
            Row::PostJsonFirst | Row::PostJsonLast => "-",
            Row::Skipped => "+10 ns / 0",
        }
    }

    fn iters(self) -> usize {
        if self == Row::PostBody256K {
            ITERS_LARGE
        } else {
            ITERS
        }
    }
}

/// What a client of one protection holds: its cookies, and how it sends
/// the token.
#[derive(Debug, Clone)]
pub(crate) struct Creds {
    /// `Cookie` header for a returning visitor.
    pub(crate) cookie: String,
    pub(crate) token: String,
    header: &'static str,
    field: &'static str,
}

impl Creds {
    /// The header the token goes in.
    pub(crate) fn header(&self) -> &'static str {
        self.header
    }

    /// The form field the token goes in.
    pub(crate) fn field(&self) -> &'static str {
        self.field
    }
}

/// A request factory for one row and one protection's credentials.
fn maker(row: Row, c: &Creds) -> Box<dyn Fn() -> Request> {
    let c = c.clone();
    let body = |pad: usize| {
        Bytes::from(format!(
            "{}={}&payload={}",
            c.field,
            c.token,
            "x".repeat(pad)
        ))
    };
    let post = move |c: &Creds| {
        test::TestRequest::post()
            .uri("/submit")
            .insert_header((header::ORIGIN, ORIGIN))
            .insert_header(("Sec-Fetch-Site", "same-origin"))
            .insert_header((header::COOKIE, c.cookie.clone()))
    };
    match row {
        Row::GetValid => Box::new(move || {
            test::TestRequest::get()
                .uri("/form")
                .insert_header((header::COOKIE, c.cookie.clone()))
                .to_request()
        }),
        Row::GetIssue => Box::new(|| test::TestRequest::get().uri("/form").to_request()),
        Row::PostHeader => Box::new(move || {
            post(&c)
                .insert_header((c.header, c.token.clone()))
                .to_request()
        }),
        Row::PostBody1K | Row::PostBody256K => {
            let pad = if row == Row::PostBody1K {
                1024
            } else {
                256 * 1024
            };
            let bytes = body(pad);
            Box::new(move || {
                post(&c)
                    .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
                    .set_payload(bytes.clone())
                    .to_request()
            })
        }
        Row::PostJsonFirst | Row::PostJsonLast => {
            let bytes = json_body(&c, row == Row::PostJsonFirst);
            Box::new(move || {
                post(&c)
                    .insert_header((header::CONTENT_TYPE, "application/json"))
                    .set_payload(bytes.clone())
                    .to_request()
            })
        }
        Row::Skipped => Box::new(|| test::TestRequest::get().uri(SKIP_PATH).to_request()),
    }
}

/// A 1 KB JSON body with the token as a top-level string field, first or
/// last (the JSON rows send no token header).
pub(crate) fn json_body(c: &Creds, token_first: bool) -> Bytes {
    let token = format!(r#""{}":"{}""#, c.field, c.token);
    let payload = format!(r#""payload":"{}""#, "x".repeat(1024));
    let fields = if token_first {
        [token, payload]
    } else {
        [payload, token]
    };
    Bytes::from(format!("{{{}}}", fields.join(",")))
}

/// Gets a returning visitor's cookies and token from `GET /form`.
pub(crate) async fn prime<S, B>(srv: &S, header: &'static str, field: &'static str) -> Creds
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let res = srv
        .call(test::TestRequest::get().uri("/form").to_request())
        .await
        .expect("priming GET /form");
    assert!(
        res.status().is_success(),
        "priming GET /form: {}",
        res.status()
    );
    let cookie = res
        .response()
        .cookies()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect::<Vec<_>>()
        .join("; ");
    let body = test::read_body(res).await;
    Creds {
        cookie,
        token: String::from_utf8_lossy(&body).into_owned(),
        header,
        field,
    }
}

/// Measures every row on `guarded` and on `plain` with the same requests.
async fn deltas<P, G, B1, B2>(plain: &P, guarded: &G, creds: &Creds) -> Vec<Delta>
where
    P: Service<Request, Response = ServiceResponse<B1>, Error = actix_web::Error>,
    G: Service<Request, Response = ServiceResponse<B2>, Error = actix_web::Error>,
{
    let mut out = Vec::with_capacity(ROWS.len());
    for row in ROWS {
        let make = maker(row, creds);
        let (base, prot) = paired(plain, guarded, make.as_ref(), row.iters()).await;
        out.push(prot.minus(base));
    }
    out
}

/// Runs the part and prints its tables.
pub(crate) fn run() {
    report::title("2. In-process overhead per request (test::init_service, no network)");
    println!(
        "{ITERS} calls per row ({ITERS_LARGE} for 256 KB) after {WARMUP} warm-up, best of {ROUNDS} rounds; protected minus unprotected, same requests."
    );
    let ([ours_s, peer_s, ours_c, peer], metrics) = actix_web::rt::System::new().block_on(async {
        let session_key = cookie::Key::generate();
        let plain = test::init_service(apps::plain(Handler::Bare)).await;
        let plain_sessions =
            test::init_service(apps::plain(Handler::Bare).wrap(apps::sessions(&session_key))).await;
        let ours_sessions = test::init_service(
            apps::ours(apps::xsrf(ORIGIN, apps::StateIn::Session), Handler::Bare)
                .wrap(apps::sessions(&session_key)),
        )
        .await;
        let ours_cookie = test::init_service(apps::ours(
            apps::xsrf(ORIGIN, apps::StateIn::Cookie),
            Handler::Bare,
        ))
        .await;
        let peer = test::init_service(apps::peer_middleware(Handler::Bare)).await;
        let peer_sessions = test::init_service(
            apps::peer_middleware_sessions(Handler::Bare).wrap(apps::sessions(&session_key)),
        )
        .await;

        let creds_s = prime(&ours_sessions, "X-XSRF-Token", "xsrf_token").await;
        let creds_c = prime(&ours_cookie, "X-XSRF-Token", "xsrf_token").await;
        let creds_ps = prime(
            &peer_sessions,
            actix_csrf_middleware::DEFAULT_CSRF_TOKEN_HEADER,
            actix_csrf_middleware::DEFAULT_CSRF_TOKEN_FIELD,
        )
        .await;
        // The peer's own bench setup: an authorized session id cookie and
        // the HMAC token bound to it.
        let sid = "BENCH-SESSION-ID";
        let token = actix_csrf_middleware::generate_hmac_token_ctx(
            actix_csrf_middleware::TokenClass::Authorized,
            sid,
            PEER_SECRET,
        );
        let creds_p = Creds {
            cookie: format!(
                "{}={sid}; {}={token}",
                actix_csrf_middleware::DEFAULT_SESSION_ID_KEY,
                actix_csrf_middleware::DEFAULT_CSRF_TOKEN_KEY
            ),
            token,
            header: actix_csrf_middleware::DEFAULT_CSRF_TOKEN_HEADER,
            field: actix_csrf_middleware::DEFAULT_CSRF_TOKEN_FIELD,
        };

        let metrics = with_and_without_recorder(&ours_sessions, &creds_s).await;
        (
            [
                deltas(&plain_sessions, &ours_sessions, &creds_s).await,
                deltas(&plain_sessions, &peer_sessions, &creds_ps).await,
                deltas(&plain, &ours_cookie, &creds_c).await,
                deltas(&plain, &peer, &creds_p).await,
            ],
            metrics,
        )
    });

    let cell = |d: &Delta| {
        let mut s = format!(
            "{} / {}",
            report::delta_time(d.ns),
            report::delta_count(d.allocs)
        );
        if d.failures > 0 {
            s.push_str(&format!(" ({} non-2xx!)", d.failures));
        }
        s
    };
    println!("\ntime / allocations per request, added by the protection:");
    const COLUMNS: [&str; 4] = [
        "ours, session",
        "peer, session",
        "ours, cookie",
        "peer, cookie",
    ];
    let columns = [&ours_s, &peer_s, &ours_c, &peer];
    let mut t = Table::new(&[&["request"][..], &COLUMNS[..], &["peer published"]].concat());
    for (i, row) in ROWS.iter().enumerate() {
        let mut cells = vec![row.label().to_owned()];
        cells.extend(columns.iter().map(|c| cell(&c[i])));
        cells.push(row.published().to_owned());
        t.row(cells);
    }
    t.print();

    println!("\nbytes allocated per request, added by the protection:");
    let mut b = Table::new(&[&["request"][..], &COLUMNS[..]].concat());
    for (i, row) in ROWS.iter().enumerate() {
        let mut cells = vec![row.label().to_owned()];
        cells.extend(columns.iter().map(|c| report::delta_bytes(c[i].bytes)));
        b.row(cells);
    }
    b.print();
    println!(
        "(peer: actix-csrf-middleware. session: state in actix-session (ours: default; peer: synchronizer token), vs the plain app behind the same session middleware. cookie: no session (ours: `Storage::signed_cookie()`; peer: double-submit cookie), vs the bare app, as the peer publishes.)"
    );
    let MetricsCost {
        off,
        on,
        median_ns,
        control_ns,
    } = metrics;
    println!(
        "\nfeature `metrics`, POST with the token in a header, ours in session storage, {METRICS_ROUNDS} rounds interleaved in this run:\n  no recorder installed: {:.0} ns/request (best round), {:.1} allocations\n  Prometheus recorder installed: {:.0} ns/request (best round), {:.1} allocations\n  the counters add {} / {} (median of paired rounds; the same request without a recorder in a third round of each: {})",
        off.ns,
        off.allocs,
        on.ns,
        on.allocs,
        report::delta_time(median_ns),
        report::delta_count(on.allocs - off.allocs),
        report::delta_time(control_ns),
    );
}

/// Rounds of the metrics comparison: short and many, so that the median
/// of paired differences sees past the machine's drift.
const METRICS_ROUNDS: usize = 40;

/// What the counters of feature `metrics` cost: the header POST on `srv`
/// with no `metrics` recorder and with a Prometheus recorder installed
/// (for this thread), rounds interleaved, a second recorder-less round in
/// each as the control.
struct MetricsCost {
    off: Sample,
    on: Sample,
    /// Median over rounds of (on − off), ns per request.
    median_ns: f64,
    /// The same for the control (off again − off): the noise floor.
    control_ns: f64,
}

async fn with_and_without_recorder<S, B>(srv: &S, creds: &Creds) -> MetricsCost
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let make = maker(Row::PostHeader, creds);
    let (mut off, mut on, mut control) = (Rounds::default(), Rounds::default(), Rounds::default());
    off.warm_up(srv, make.as_ref(), WARMUP).await;
    {
        let _installed = metrics::set_default_local_recorder(&recorder);
        on.warm_up(srv, make.as_ref(), WARMUP).await;
    }
    let calls = ITERS.div_ceil(METRICS_ROUNDS);
    for _ in 0..METRICS_ROUNDS {
        off.round(srv, make.as_ref(), calls).await;
        {
            let _installed = metrics::set_default_local_recorder(&recorder);
            on.round(srv, make.as_ref(), calls).await;
        }
        control.round(srv, make.as_ref(), calls).await;
    }
    let median_diff = |a: &Rounds, b: &Rounds| {
        let mut d: Vec<f64> = a
            .per_round
            .iter()
            .zip(&b.per_round)
            .map(|(a, b)| a - b)
            .collect();
        d.sort_by(f64::total_cmp);
        d[d.len() / 2]
    };
    MetricsCost {
        median_ns: median_diff(&on, &off),
        control_ns: median_diff(&control, &off),
        off: off.sample(),
        on: on.sample(),
    }
}
