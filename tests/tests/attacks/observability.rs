//! Rows M1 and M2: what operators see. Every unsafe request and WebSocket
//! upgrade the protection checks is counted exactly once by outcome and
//! reason (a Prometheus recorder scraped after a known concurrent mix,
//! through the middleware, `ValidXsrf` and `Check`), one-time keys by
//! outcome; and no log line carries a token, key or cookie value.

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::http::{StatusCode, header};
use actix_web::test::TestRequest;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::future::join_all;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use xsrf_actix::{Check, Rollout, ValidXsrf, XsrfBuilder, XsrfError};
use xsrf_tests::fixture::{
    AppService, Client, Log, builder, clock, form_post, post, routes, scraped, start_with,
};

async fn hook(log: web::Data<Log>) -> HttpResponse {
    log.push("hook");
    HttpResponse::Ok().finish()
}

/// Checked twice (the guard, then `Check`): still one request.
async fn twice(
    req: HttpRequest,
    _: ValidXsrf,
    log: web::Data<Log>,
) -> Result<HttpResponse, XsrfError> {
    Check::new().run(&req).await?;
    log.push("twice");
    Ok(HttpResponse::Ok().finish())
}

async fn socket(log: web::Data<Log>) -> HttpResponse {
    log.push("socket");
    HttpResponse::Ok().finish()
}

async fn app(b: XsrfBuilder, log: Log) -> Client<impl AppService> {
    let xsrf = b.build().expect("xsrf");
    start_with(xsrf, &log, |cfg| {
        routes(cfg);
        cfg.route("/hook", web::post().to(hook))
            .route("/twice", web::post().to(twice))
            .route("/socket", web::get().to(socket));
    })
    .await
}

/// A recorder of our own for this test's thread: `#[actix_web::test]`
/// runs the app on it, so no other test's requests are counted.
fn recorder() -> (
    metrics_exporter_prometheus::PrometheusRecorder,
    PrometheusHandle,
) {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    (recorder, handle)
}

#[actix_web::test]
async fn m1_each_checked_request_is_counted_once_by_outcome_and_reason() {
    let (recorder, handle) = recorder();
    let _local = metrics::set_default_local_recorder(&recorder);
    let log = Log::default();
    let clock = clock();
    let c = app(
        builder(&clock)
            .rollout(Rollout::report_only_paths(["/api/"]))
            .exempt("/hook"),
        log.clone(),
    )
    .await;
    let token = c.token().await;
    let t = token.as_str();
    const N: usize = 7;
    let mut mix = Vec::new();
    for i in 0..N {
        // accepted: a form with its token, and a request checked twice
        mix.push(form_post(
            "/comments",
            &format!("body=ok{i}&xsrf_token={t}"),
        ));
        mix.push(post("/twice").insert_header(("X-XSRF-Token", t)));
        // refused: no token; a foreign origin (refused by the middleware)
        mix.push(form_post("/comments", &format!("body=none{i}")));
        mix.push(
            form_post("/comments", &format!("body=evil{i}&xsrf_token={t}"))
                .insert_header((header::ORIGIN, "https://evil.example"))
                .insert_header(("sec-fetch-site", "cross-site")),
        );
        // reported: no token under /api/
        mix.push(
            post("/api/comments")
                .insert_header((header::CONTENT_TYPE, "application/json"))
                .set_payload(format!(r#"{{"body":"r{i}"}}"#)),
        );
        // exempt
        mix.push(post("/hook"));
        // a foreign WebSocket upgrade: refused by the middleware
        mix.push(
            TestRequest::get()
                .uri("/socket")
                .insert_header((header::UPGRADE, "websocket"))
                .insert_header((header::CONNECTION, "Upgrade"))
                .insert_header((header::ORIGIN, "https://evil.example")),
        );
        // safe requests: never counted
        mix.push(TestRequest::get().uri("/comments"));
    }
    let answers = join_all(mix.into_iter().map(|r| c.send(r))).await;
    let refused = answers
        .iter()
        .filter(|r| r.status == StatusCode::FORBIDDEN)
        .count();
    assert_eq!(refused, 3 * N, "refusals");
    let scrape = handle.render();
    let checks = "xsrf_checks_total";
    // `c.token()` was a GET: not counted. The two accepted kinds, N each.
    assert_eq!(
        scraped(&scrape, checks, &[("outcome", "accepted")]),
        2 * N as u64,
        "{scrape}"
    );
    assert_eq!(
        scraped(
            &scrape,
            checks,
            &[("outcome", "refused"), ("reason", "missing")]
        ),
        N as u64,
        "{scrape}"
    );
    assert_eq!(
        scraped(
            &scrape,
            checks,
            &[("outcome", "refused"), ("reason", "origin")]
        ),
        2 * N as u64,
        "{scrape}"
    );
    assert_eq!(
        scraped(
            &scrape,
            checks,
            &[("outcome", "reported"), ("reason", "missing")]
        ),
        N as u64,
        "{scrape}"
    );
    assert_eq!(
        scraped(&scrape, checks, &[("outcome", "exempt")]),
        N as u64,
        "{scrape}"
    );
    // 2N accepted + N missing + 2N origin + N reported + N exempt.
    assert_eq!(
        scraped(&scrape, checks, &[]),
        7 * N as u64,
        "one count per checked request: {scrape}"
    );
    // The handlers' side effects match the counts.
    let entries = log.entries();
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.starts_with("comment:ok"))
            .count(),
        N
    );
    assert_eq!(entries.iter().filter(|e| e.starts_with("api:r")).count(), N);
    assert!(
        !entries.iter().any(|e| e.starts_with("comment:none")
            || e.starts_with("comment:evil")
            || *e == "socket")
    );
}

#[actix_web::test]
async fn m1_one_time_keys_are_counted_by_outcome() {
    let (recorder, handle) = recorder();
    let _local = metrics::set_default_local_recorder(&recorder);
    let clock = clock();
    let c = app(builder(&clock), Log::default()).await;
    let token = c.token().await;
    let mut keys = Vec::new();
    for _ in 0..3 {
        let r = c
            .send(post("/one-time").insert_header(("X-XSRF-Token", token.as_str())))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        keys.push(r.body);
    }
    for key in [&keys[0], &keys[1], &keys[0]] {
        c.send(post("/one-time/burn").insert_header(("X-XSRF-Token", key.as_str())))
            .await;
    }
    let scrape = handle.render();
    let keys_total = "xsrf_one_time_keys_total";
    assert_eq!(
        scraped(&scrape, keys_total, &[("outcome", "created")]),
        3,
        "{scrape}"
    );
    assert_eq!(
        scraped(&scrape, keys_total, &[("outcome", "redeemed")]),
        2,
        "{scrape}"
    );
    assert_eq!(
        scraped(&scrape, keys_total, &[("outcome", "refused")]),
        1,
        "{scrape}"
    );
    assert_eq!(
        scraped(&scrape, keys_total, &[("outcome", "store-error")]),
        0,
        "{scrape}"
    );
    // The label values come from fixed lists: nothing of a key in them.
    for key in &keys {
        assert!(!scrape.contains(key.as_str()));
    }
    assert!(!scrape.contains(token.as_str()));
}

/// The counter handles are kept per recorder: an app whose recorder
/// changes between requests (installed after the first ones, or a test's
/// local recorder) still counts every request under the recorder current
/// when it was checked, on the way there and back.
#[actix_web::test]
async fn m1_counts_follow_the_current_recorder() {
    let (first, first_scrape) = recorder();
    let (second, second_scrape) = recorder();
    let clock = clock();
    let c = app(builder(&clock), Log::default()).await;
    let token = c.token().await;
    let t = token.as_str();
    let accepted = || form_post("/comments", &format!("body=ok&xsrf_token={t}"));
    let refused = || form_post("/comments", "body=none");
    for (recorder, sends) in [(&first, 2), (&second, 3), (&first, 1)] {
        let _local = metrics::set_default_local_recorder(recorder);
        for _ in 0..sends {
            assert_eq!(c.send(accepted()).await.status, StatusCode::SEE_OTHER);
            assert_eq!(c.send(refused()).await.status, StatusCode::FORBIDDEN);
        }
    }
    let checks = "xsrf_checks_total";
    for (scrape, n) in [(first_scrape.render(), 3), (second_scrape.render(), 3)] {
        assert_eq!(
            scraped(&scrape, checks, &[("outcome", "accepted")]),
            n,
            "{scrape}"
        );
        assert_eq!(
            scraped(
                &scrape,
                checks,
                &[("outcome", "refused"), ("reason", "missing")]
            ),
            n,
            "{scrape}"
        );
    }
}

/// A `tracing` writer into a shared buffer (the origin rows use it too).
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Captures this thread's log lines from now until the guard drops (see
/// the test below for why a global subscriber is set first).
fn capture_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
    let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry());
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

impl Captured {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

/// Sends M2's mix (accepted, broken, missing and cross-site tokens, a key
/// used twice, a key in the query) to a new app; returns the secrets it
/// saw (tokens, the key, cookie values).
async fn m2_mix(report: bool) -> Vec<String> {
    let clock = clock();
    let c = app(
        builder(&clock).rollout(if report {
            Rollout::report_only()
        } else {
            Rollout::enforce()
        }),
        Log::default(),
    )
    .await;
    let token = c.token().await;
    let t = token.as_str();
    let key = c
        .send(post("/one-time").insert_header(("X-XSRF-Token", t)))
        .await
        .body;
    let broken = format!("{}x", &t[..t.len() - 1]);
    for req in [
        form_post("/comments", &format!("body=ok&xsrf_token={t}")),
        form_post("/comments", &format!("body=bad&xsrf_token={broken}")),
        form_post("/comments", "body=none"),
        post("/comments")
            .insert_header(("X-XSRF-Token", t))
            .insert_header((header::ORIGIN, "https://evil.example"))
            .insert_header(("sec-fetch-site", "cross-site")),
        post("/one-time/burn").insert_header(("X-XSRF-Token", key.as_str())),
        post("/one-time/burn").insert_header(("X-XSRF-Token", key.as_str())),
        post(&format!("/one-time/use?k={key}")).insert_header(("X-XSRF-Token", key.as_str())),
    ] {
        c.send(req).await;
    }
    let mut secrets = vec![token.clone(), broken, key];
    secrets.extend(c.cookies().into_values().filter(|v| v.len() >= 8));
    secrets
}

#[actix_web::test]
async fn m2_logs_name_reason_method_and_route_never_a_secret() {
    // `tracing` caches, per log statement, whether anyone listens, and
    // while one subscriber exists it asks the thread that reaches the
    // statement first: a test thread without a subscriber caches "never"
    // for the whole process, and this test's scoped subscriber would miss
    // those events (tracing-core's `Rebuilder::JustOne`). A global
    // subscriber that keeps nothing keeps every statement's interest open.
    let (captured, _default) = capture_logs();
    // The race made certain: a thread without a subscriber reaches every
    // statement of the mix first.
    std::thread::spawn(|| {
        actix_web::rt::System::new().block_on(async {
            for report in [false, true] {
                m2_mix(report).await;
            }
        });
    })
    .join()
    .expect("the mix on a thread without a subscriber");
    assert!(captured.text().is_empty(), "{}", captured.text());
    for report in [false, true] {
        let secrets = m2_mix(report).await;
        let logs = captured.text();
        for s in &secrets {
            assert!(
                !logs.contains(s.as_str()),
                "a secret in the logs (report={report}): {s}\n{logs}"
            );
        }
        assert!(!logs.contains("k="), "a raw path in the logs:\n{logs}");
    }
    let logs = captured.text();
    for field in [
        "reason=\"missing\"",
        "reason=\"origin\"",
        "reason=\"already-used\"",
        "method=POST",
        "route=/comments",
    ] {
        assert!(
            logs.contains(field) || logs.contains(&field.replace('"', "")),
            "no {field} in\n{logs}"
        );
    }
    assert!(logs.contains("report-only"), "{logs}");
}

#[actix_web::test]
async fn l5_m1_one_request_logs_one_line_naming_every_reason_and_what_was_compared() {
    let (captured, _default) = capture_logs();
    let clock = clock();
    // Report-only: a forged form post fails the origin check, then the
    // token check; it is let through, counted once, and logged once.
    let log = Log::default();
    let c = app(builder(&clock).rollout(Rollout::report_only()), log.clone()).await;
    let forged = form_post("/comments", "body=forged")
        .insert_header((header::ORIGIN, "https://evil.example"))
        .insert_header(("sec-fetch-site", "cross-site"))
        .insert_header((header::REFERER, "https://evil.example/reset/SECRETKEY?k=1"));
    let r = c.send(forged).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("x-xsrf-report-only"), Some("origin"));
    assert_eq!(log.entries(), ["comment:forged"]);
    let logs = captured.text();
    let lines: Vec<&str> = logs.lines().filter(|l| l.contains("the request")).collect();
    assert_eq!(lines.len(), 1, "one request, one line:\n{logs}");
    let line = lines[0];
    for part in [
        "report-only",
        "reason=\"origin\"",
        "reasons=origin, missing",
        "route=/comments",
        "received Origin https://evil.example",
        "Sec-Fetch-Site cross-site",
        // The fixture's site origin, the only thing the request was compared with.
        "site origins configured: http://localhost:8080",
    ] {
        assert!(line.contains(part), "no {part} in\n{line}");
    }
    assert!(
        !line.contains("SECRETKEY"),
        "a Referer's path in the log: {line}"
    );

    // Enforced, without a site origin: the line says the Host was compared
    // and how to fix a proxy that rewrites it.
    let before = captured.text().len();
    let log = Log::default();
    let c = app(
        xsrf_actix::Xsrf::builder()
            .secret(xsrf_tests::fixture::key_a())
            .clock(clock.clone()),
        log.clone(),
    )
    .await;
    let forged = form_post("/comments", "body=forged")
        .insert_header((header::HOST, "internal:3000"))
        .insert_header((header::ORIGIN, "https://shop.example"))
        .insert_header(("sec-fetch-site", "same-origin-ish"));
    let r = c.send(forged).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(log.is_empty(), "the refused post reached the handler");
    let logs = captured.text()[before..].to_owned();
    let lines: Vec<&str> = logs.lines().filter(|l| l.contains("the request")).collect();
    assert_eq!(lines.len(), 1, "{logs}");
    for part in [
        "refused the request",
        "reason=\"origin\"",
        "received Origin https://shop.example",
        "compared with Host internal:3000",
        "set site_origin",
    ] {
        assert!(lines[0].contains(part), "no {part} in\n{}", lines[0]);
    }
}

/// A `log` logger keeping the records of our crate.
struct KeptRecords(Mutex<Vec<String>>);

impl log::Log for KeptRecords {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        if record.target().starts_with("xsrf_actix") {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(format!("{} {}", record.level(), record.args()));
        }
    }
    fn flush(&self) {}
}

/// An app that logs with `log` (env_logger) and installs no `tracing`
/// subscriber gets the report-only warning through the feature `log`.
///
/// tracing hands events to `log` only while no tracing subscriber was
/// ever set in the process, and other tests here set theirs: the test
/// runs itself again in a process of its own, as such an app would be.
#[test]
fn l5_an_app_on_log_receives_the_report_only_warning() {
    const CHILD: &str = "XSRF_LOG_CHILD";
    if std::env::var_os(CHILD).is_none() {
        let exe = std::env::current_exe().expect("the test binary");
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "observability::l5_an_app_on_log_receives_the_report_only_warning",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .output()
            .expect("the test in a process of its own");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("1 passed"),
            "the child ran nothing: {stdout}"
        );
        return;
    }
    let kept: &'static KeptRecords = Box::leak(Box::new(KeptRecords(Mutex::new(Vec::new()))));
    log::set_logger(kept).expect("the only logger of this process");
    log::set_max_level(log::LevelFilter::Trace);
    let log_ = Log::default();
    actix_web::rt::System::new().block_on(async {
        let c = app(
            builder(&clock()).rollout(Rollout::report_only()),
            log_.clone(),
        )
        .await;
        let r = c.send(form_post("/comments", "body=no-token")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.header("x-xsrf-report-only"), Some("missing"));
    });
    assert_eq!(log_.entries(), ["comment:no-token"]);
    let records = kept
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    assert!(
        records
            .iter()
            .any(|r| r.starts_with("WARN") && r.contains("report-only") && r.contains("missing")),
        "{records:?}"
    );
}
