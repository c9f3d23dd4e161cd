//! Part `profile`: one scenario of the load part, in process, repeated
//! `PROFILE_N` times, for an instruction counter (`valgrind --tool=callgrind`)
//! or a sampling profiler. Not part of the default run.
//!
//! `PROFILE_SCENARIO` picks the app and request (see [`SCENARIOS`]); the
//! requests are the load part's (same headers, same cookies, same body),
//! sent through `test::init_service` rather than a socket, so what differs
//! between a protected scenario and its unprotected twin is the
//! protection. Instructions per request: run with two values of
//! `PROFILE_N` and divide the difference of the totals by the difference of
//! the counts (setup cancels out). Allocations and bytes per request are
//! printed from the counting allocator.

use actix_http::Request;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::{cookie, test};
use bytes::Bytes;
use stats_alloc::Region;

use crate::GLOBAL;
use crate::apps::{self, Handler, StateIn};
use crate::overhead::{Creds, json_body, prime};

/// The scenarios: `<app>-<request>`.
pub(crate) const SCENARIOS: [&str; 25] = [
    "plain-header",
    "plain-form",
    "plainsession-header",
    "plainsession-form",
    "ours-header",
    "ours-form",
    "ourscookie-header",
    "ourscookie-form",
    "peercookie-header",
    "peercookie-form",
    // A new visitor's first GET (no cookie): state and token created.
    "plain-get",
    "plainsession-get",
    "ours-get",
    "ourscookie-get",
    "peersession-get",
    // The overhead part's 1 KB JSON body, token first or last, no header.
    "plain-jsonfirst",
    "plain-jsonlast",
    "ours-jsonfirst",
    "ours-jsonlast",
    "ourscookie-jsonfirst",
    "ourscookie-jsonlast",
    "peersession-jsonfirst",
    "peersession-jsonlast",
    "peermw-jsonfirst",
    "peermw-jsonlast",
];

const ORIGIN: &str = "http://localhost:8080";

/// The request of a scenario: what the load client sends.
fn request(what: &str, c: &Creds) -> Request {
    if what == "get" {
        return test::TestRequest::get().uri("/form").to_request();
    }
    let mut r = test::TestRequest::post()
        .uri("/submit")
        .insert_header((header::ORIGIN, ORIGIN))
        .insert_header(("Sec-Fetch-Site", "same-origin"));
    if !c.cookie.is_empty() {
        r = r.insert_header((header::COOKIE, c.cookie.clone()));
    }
    if what == "header" {
        r.insert_header((c.header(), c.token.clone())).to_request()
    } else if let Some(first) = what.strip_prefix("json") {
        r.insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload(json_body(c, first == "first"))
            .to_request()
    } else {
        r.insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(Bytes::from(format!("{}={}&body=hello", c.field(), c.token)))
            .to_request()
    }
}

async fn drive<S, B>(srv: &S, what: &str, header: &'static str, field: &'static str, n: usize)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    // The unprotected apps answer a dummy of a token's length.
    let creds = prime(srv, header, field).await;
    for _ in 0..100 {
        let res = srv.call(request(what, &creds)).await.expect("warm-up call");
        assert!(
            res.status().is_success(),
            "warm-up: {} {:?} {:?}",
            res.status(),
            creds.cookie,
            test::read_body(res).await
        );
    }
    if std::env::var_os("PROFILE_SHOW").is_some() {
        let res = srv.call(request(what, &creds)).await.expect("call");
        println!("{:?} {}", res.response().head().version, res.status());
        for (name, value) in res.headers() {
            println!("{name}: {}", value.to_str().unwrap_or("<binary>"));
        }
    }
    let batch: Vec<Request> = (0..n).map(|_| request(what, &creds)).collect();
    let region = Region::new(GLOBAL);
    let failures = measured(srv, batch);
    let st = region.change();
    let per = |v: usize| v as f64 / n.max(1) as f64;
    println!(
        "{n} requests: {:.2} allocations, {:.0} bytes per request, {failures} failures",
        per(st.allocations + st.reallocations),
        per(st.bytes_allocated)
    );
}

/// The measured loop, a plain function so that an instruction counter can
/// count only inside it (`valgrind --tool=callgrind
/// --toggle-collect='*profile::measured*'`): requests are built before.
/// Every app here answers without waiting on anything outside it (the peer
/// middleware wakes itself between body chunks), so each future is polled
/// here until it is ready.
#[inline(never)]
fn measured<S, B>(srv: &S, batch: Vec<Request>) -> usize
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let mut failures = 0usize;
    for req in batch {
        let res = ready(srv.call(req)).expect("call");
        failures += usize::from(!res.status().is_success());
        // Read the body as the HTTP layer would.
        let _ = ready(test::read_body(res));
    }
    failures
}

/// Polls `fut` until it is ready; it must not wait on another task.
fn ready<F: std::future::Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    for _ in 0..1000 {
        if let std::task::Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
    panic!("the app waits on something outside it");
}

/// Runs the scenario named by `PROFILE_SCENARIO`, `PROFILE_N` times.
pub(crate) fn run() {
    let scenario = std::env::var("PROFILE_SCENARIO").unwrap_or_default();
    let n: usize = std::env::var("PROFILE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let Some((app, what)) = scenario
        .split_once('-')
        .filter(|_| SCENARIOS.contains(&scenario.as_str()))
    else {
        eprintln!("PROFILE_SCENARIO must be one of: {}", SCENARIOS.join(", "));
        std::process::exit(2);
    };
    let handler = if what == "form" {
        Handler::Form
    } else {
        Handler::Bare
    };
    let (ours_h, ours_f) = ("X-XSRF-Token", "xsrf_token");
    let (peer_h, peer_f) = (
        actix_csrf_middleware::DEFAULT_CSRF_TOKEN_HEADER,
        actix_csrf_middleware::DEFAULT_CSRF_TOKEN_FIELD,
    );
    // `PROFILE_RECORDER=prometheus`: the counters of feature `metrics`
    // go to a Prometheus recorder installed for the whole process, as an
    // app installs it (else to no recorder).
    match std::env::var("PROFILE_RECORDER").as_deref() {
        Ok("prometheus") => {
            let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
            if metrics::set_global_recorder(recorder).is_err() {
                eprintln!("a metrics recorder was installed already");
                std::process::exit(2);
            }
        }
        Ok(other) if !other.is_empty() => {
            eprintln!("PROFILE_RECORDER must be `prometheus` or unset");
            std::process::exit(2);
        }
        _ => {}
    }
    actix_web::rt::System::new().block_on(async {
        let key = cookie::Key::generate();
        match app {
            "plain" => {
                let srv = test::init_service(apps::plain(handler).wrap(apps::sessions(&key))).await;
                drive(&srv, what, ours_h, ours_f, n).await;
            }
            "plainsession" => {
                let srv = test::init_service(
                    apps::plain_with_session(handler).wrap(apps::sessions(&key)),
                )
                .await;
                drive(&srv, what, ours_h, ours_f, n).await;
            }
            "ours" | "ourscookie" => {
                let state = if app == "ours" {
                    StateIn::Session
                } else {
                    StateIn::Cookie
                };
                let srv = test::init_service(
                    apps::ours(apps::xsrf(ORIGIN, state), handler).wrap(apps::sessions(&key)),
                )
                .await;
                drive(&srv, what, ours_h, ours_f, n).await;
            }
            // actix-csrf-middleware with its double-submit cookie.
            "peermw" => {
                let srv =
                    test::init_service(apps::peer_middleware(handler).wrap(apps::sessions(&key)))
                        .await;
                drive(&srv, what, peer_h, peer_f, n).await;
            }
            "peercookie" => {
                let srv =
                    test::init_service(apps::peer_cookie(handler).wrap(apps::sessions(&key))).await;
                drive(&srv, what, "Csrf-Token", "csrf_token", n).await;
            }
            _ => {
                let srv = test::init_service(
                    apps::peer_middleware_sessions(handler).wrap(apps::sessions(&key)),
                )
                .await;
                drive(&srv, what, peer_h, peer_f, n).await;
            }
        }
    });
}
