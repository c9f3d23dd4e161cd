//! Row L5: report-only mode. Each request that enforce mode refuses for a
//! token or origin reason is let through to its handler in report-only
//! mode, and its response carries `X-XSRF-Report-Only` with exactly the
//! code enforce mode put in `X-XSRF-Rejection`; through the middleware's
//! origin check, `ValidXsrf`, `Check`, `#[handle_token]` and a WebSocket
//! upgrade. One-time keys and misconfigurations are refused in both modes.

use actix_web::http::{StatusCode, header};
use actix_web::test::TestRequest;
use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use time::Duration;
use xsrf_actix::{ManualClock, Rollout, Xsrf, XsrfBuilder, handle_token};
use xsrf_tests::fixture::{
    AppService, Client, Log, Resp, builder, clock, form_post, post, routes, start_with,
};

#[derive(Deserialize)]
struct Comment {
    body: String,
}

/// A `#[handle_token]` handler (what the macro guards).
#[post("/macro")]
#[handle_token]
async fn macro_handler(body: web::Form<Comment>, log: web::Data<Log>) -> HttpResponse {
    log.push(format!("macro:{}", body.body));
    HttpResponse::Ok().finish()
}

/// A WebSocket route that only records that the handshake reached it.
async fn socket(log: web::Data<Log>) -> HttpResponse {
    log.push("socket");
    HttpResponse::Ok().finish()
}

/// The fixture app plus a `#[handle_token]` handler and a socket route,
/// with `Xsrf` built from `b`; an `error_handler` that records its calls.
async fn app(b: XsrfBuilder, log: Log) -> Client<impl AppService> {
    let handler_log = log.clone();
    let xsrf = b
        .error_handler(move |e, _| {
            handler_log.push("error_handler");
            e.default_response()
        })
        .build()
        .expect("xsrf");
    start_with(xsrf, &log, |cfg| {
        routes(cfg);
        cfg.service(macro_handler)
            .route("/socket", web::get().to(socket));
    })
    .await
}

/// One forged request, built fresh for each app from its token.
type Forge = fn(&str) -> TestRequest;

/// The forged requests of this test: each refused by enforce mode for a
/// token or origin reason, with the side effect its handler leaves.
fn forgeries() -> Vec<(&'static str, Forge, &'static str)> {
    vec![
        // The middleware's origin check (body token valid).
        (
            "middleware origin",
            |t| {
                form_post("/comments", &format!("body=a&xsrf_token={t}"))
                    .insert_header((header::ORIGIN, "https://evil.example"))
                    .insert_header(("sec-fetch-site", "cross-site"))
            },
            "comment:a",
        ),
        (
            "ValidXsrf, no token",
            |_| form_post("/comments", "body=b"),
            "comment:b",
        ),
        (
            "ValidXsrf, junk token",
            |_| form_post("/comments", "body=c&xsrf_token=junk"),
            "comment:c",
        ),
        (
            "ValidXsrf, token in the query string",
            |t| form_post(&format!("/comments?xsrf_token={t}"), "body=q"),
            "comment:q",
        ),
        (
            "Check, token of another action",
            |t| post("/account/delete").insert_header(("X-XSRF-Token", t)),
            "deleted",
        ),
        (
            "#[handle_token], no token",
            |_| form_post("/macro", "body=m"),
            "macro:m",
        ),
        (
            "WebSocket upgrade from another origin",
            |_| {
                TestRequest::get()
                    .uri("/socket")
                    .insert_header((header::UPGRADE, "websocket"))
                    .insert_header((header::CONNECTION, "Upgrade"))
                    .insert_header((header::ORIGIN, "https://evil.example"))
            },
            "socket",
        ),
    ]
}

async fn run_mode(report: bool, forge: Forge) -> (Resp, Log) {
    let log = Log::default();
    let clock = clock();
    let c = app(
        builder(&clock).rollout(if report {
            Rollout::report_only()
        } else {
            Rollout::enforce()
        }),
        log.clone(),
    )
    .await;
    let token = c.token().await;
    let r = c.send(forge(&token)).await;
    (r, log)
}

#[actix_web::test]
async fn l5_report_only_lets_through_what_enforce_mode_refuses_with_the_same_code() {
    for (what, forge, effect) in forgeries() {
        let (enforced, enforce_log) = run_mode(false, forge).await;
        assert_eq!(
            enforced.status,
            StatusCode::FORBIDDEN,
            "{what}: enforce mode: {}",
            enforced.body
        );
        let code = enforced
            .header("x-xsrf-rejection")
            .unwrap_or_else(|| panic!("{what}: no rejection code"))
            .to_owned();
        assert!(
            !enforce_log.entries().iter().any(|e| e == effect),
            "{what}: the handler ran in enforce mode"
        );
        assert!(
            enforce_log.entries().contains(&"error_handler".to_owned()),
            "{what}"
        );

        let (reported, report_log) = run_mode(true, forge).await;
        assert!(
            reported.status.is_success() || reported.status.is_redirection(),
            "{what}: report-only answered {} ({})",
            reported.status,
            reported.body
        );
        assert_eq!(
            reported.header("x-xsrf-report-only"),
            Some(code.as_str()),
            "{what}: the report names enforce mode's code"
        );
        assert_eq!(reported.header("x-xsrf-rejection"), None, "{what}");
        let entries = report_log.entries();
        assert!(
            entries.iter().any(|e| e == effect),
            "{what}: handler did not run: {entries:?}"
        );
        assert!(
            !entries.contains(&"error_handler".to_owned()),
            "{what}: error_handler called for a reported request"
        );
    }
}

#[actix_web::test]
async fn l5_an_expired_token_is_reported_as_expired() {
    for report in [false, true] {
        let log = Log::default();
        let clock: ManualClock = clock();
        let c = app(
            builder(&clock).rollout(if report {
                Rollout::report_only()
            } else {
                Rollout::enforce()
            }),
            log.clone(),
        )
        .await;
        let token = c.token().await;
        clock.advance(Duration::hours(2));
        let r = c
            .send(form_post(
                "/comments",
                &format!("body=late&xsrf_token={token}"),
            ))
            .await;
        let header = if report {
            "x-xsrf-report-only"
        } else {
            "x-xsrf-rejection"
        };
        assert_eq!(
            r.header(header),
            Some("expired"),
            "report={report}: {}",
            r.body
        );
        assert_eq!(log.entries().contains(&"comment:late".to_owned()), report);
    }
}

#[actix_web::test]
async fn l5_accepted_requests_carry_no_report_header() {
    let log = Log::default();
    let clock = clock();
    let c = app(builder(&clock).rollout(Rollout::report_only()), log.clone()).await;
    let token = c.token().await;
    let r = c
        .send(form_post(
            "/comments",
            &format!("body=ok&xsrf_token={token}"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("x-xsrf-report-only"), None);
    assert_eq!(log.entries(), ["comment:ok"]);
}

#[actix_web::test]
async fn l5_one_time_keys_are_refused_in_report_only_mode_too() {
    let log = Log::default();
    let clock = clock();
    let c = app(builder(&clock).rollout(Rollout::report_only()), log.clone()).await;
    let token = c.token().await;
    let r = c
        .send(post("/one-time").insert_header(("X-XSRF-Token", token.as_str())))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let key = r.body;
    for (what, sent) in [
        ("unknown key", "A".repeat(key.len())),
        ("first use", key.clone()),
        ("replay", key),
    ] {
        let r = c
            .send(post("/one-time/burn").insert_header(("X-XSRF-Token", sent.as_str())))
            .await;
        if what == "first use" {
            assert_eq!(r.status, StatusCode::OK, "{what}: {}", r.body);
        } else {
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}: {}", r.body);
            assert!(r.header("x-xsrf-rejection").is_some(), "{what}");
            assert_eq!(r.header("x-xsrf-report-only"), None, "{what}");
        }
    }
    assert_eq!(log.entries().iter().filter(|e| *e == "burnt").count(), 1);
    // A missing key is a key reason too: refused.
    let r = c.send(post("/one-time/burn")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(log.entries().iter().filter(|e| *e == "burnt").count(), 1);
}

#[actix_web::test]
async fn l5_report_only_per_path_leaves_the_rest_enforced() {
    let log = Log::default();
    let clock = clock();
    let c = app(
        builder(&clock).rollout(Rollout::report_only_paths(["/comments"])),
        log.clone(),
    )
    .await;
    let _ = c.token().await;
    let reported = c.send(form_post("/comments", "body=legacy")).await;
    assert_eq!(
        reported.header("x-xsrf-report-only"),
        Some("missing"),
        "{}",
        reported.body
    );
    let enforced = c.send(post("/account/delete")).await;
    assert_eq!(enforced.status, StatusCode::FORBIDDEN, "{}", enforced.body);
    assert_eq!(enforced.header("x-xsrf-rejection"), Some("missing"));
    // The enforced refusal went through the error handler; no deletion.
    assert_eq!(log.entries(), ["comment:legacy", "error_handler"]);
}

#[test]
fn l5_report_only_path_rules_are_checked_at_build() {
    let clock = clock();
    assert!(
        builder(&clock)
            .rollout(Rollout::report_only_paths(["no-slash"]))
            .build()
            .is_err()
    );
    assert!(
        builder(&clock)
            .rollout(Rollout::report_only_paths(["POST /legacy/"]))
            .build()
            .is_ok()
    );
    let _: Xsrf = builder(&clock)
        .rollout(Rollout::report_only())
        .build()
        .expect("builds");
}
