//! The forms demo's settings from the environment (issue 14 §6):
//! `XSRF_TRUSTED_ORIGINS`, `XSRF_EXEMPT`, `XSRF_SEND_COOKIE`,
//! `XSRF_STORAGE`, applied by `forms::configure` as the `forms` binary
//! does, and the `POST /webhooks/{name}` route they make sense with; and
//! `RESET_LINKS_PER_MINUTE`, read by `forms::reset_link_limit`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::test::TestRequest;
use actix_web::{cookie, web};
use xsrf_actix::{SigningKey, Xsrf};
use xsrf_examples::forms::{self, Comments};
use xsrf_tests::fixture::{AppService, Client, client_of, scraped};

const SITE: &str = "http://127.0.0.1:8080";

/// The demo's configuration as the binary builds it, with `env` as the
/// environment.
fn xsrf(env: &[(&str, &str)]) -> Result<Xsrf, String> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let builder = Xsrf::builder()
        .secret(SigningKey::from_bytes(&[0x42; 32]).expect("key"))
        .site_origin(SITE);
    forms::configure(builder, |k| env.get(k).cloned())?
        .build()
        .map_err(|e| e.to_string())
}

/// A client of the demo configured from `env`, and the demo's comments.
async fn demo(env: &[(&str, &str)]) -> (Client<impl AppService>, web::Data<Comments>) {
    let xsrf = xsrf(env).expect("settings");
    let comments = web::Data::new(Comments::default());
    let sessions = forms::cookie_sessions(&xsrf, cookie::Key::from(&[0x17; 64]));
    let client = client_of(forms::app(xsrf, comments.clone(), sessions)).await;
    (client, comments)
}

/// A webhook as a provider sends it: no cookie, no token; here with a
/// foreign `Origin` too, the worst case.
fn hook(path: &str, body: &str) -> TestRequest {
    TestRequest::post()
        .uri(path)
        .insert_header((header::ORIGIN, "https://hooks.provider.example"))
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .set_payload(body.to_owned())
}

async fn listed(client: &Client<impl AppService>) -> Vec<String> {
    let r = client.send(TestRequest::get().uri("/api/comments")).await;
    serde_json::from_str(&r.body).expect("JSON list")
}

#[actix_web::test]
async fn webhook_is_exempt_only_when_xsrf_exempt_says_so() {
    let (client, comments) = demo(&[("XSRF_EXEMPT", "POST /webhooks/, /health")]).await;
    let r = client.send(hook("/webhooks/stripe", r#"{"paid":1}"#)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(listed(&client).await, [r#"{"paid":1}"#]);
    // A path trick onto the exempt prefix is not exempt.
    let r = client.send(hook("/x/../webhooks/stripe", "trick")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(comments.all(), [r#"{"paid":1}"#]);

    // Without the setting, the same webhook is a forged post.
    let (client, comments) = demo(&[]).await;
    let r = client.send(hook("/webhooks/stripe", "forged")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // Even with no Origin at all (a non-browser client): a token is needed.
    let bare = TestRequest::post()
        .uri("/webhooks/stripe")
        .set_payload("bare");
    let r = client.send(bare).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(comments.all().is_empty(), "{:?}", comments.all());
    // With a token it is an ordinary protected post.
    let page = client.send(TestRequest::get().uri("/")).await;
    let token = page.header("x-xsrf-token").expect("token").to_owned();
    let r = client
        .send(
            TestRequest::post()
                .uri("/webhooks/own")
                .insert_header(("X-XSRF-Token", token))
                .set_payload("with token"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(listed(&client).await, ["with token"]);
}

#[actix_web::test]
async fn trusted_origins_accept_wildcards() {
    let (client, comments) = demo(&[(
        "XSRF_TRUSTED_ORIGINS",
        " https://*.example.com , https://partner.example ",
    )])
    .await;
    let page = client.send(TestRequest::get().uri("/")).await;
    let token = page.header("x-xsrf-token").expect("token").to_owned();
    let from = |origin: &str, body: &str| {
        TestRequest::post()
            .uri("/api/comments")
            .insert_header((header::ORIGIN, origin))
            .insert_header(("X-XSRF-Token", token.clone()))
            .set_json(serde_json::json!({ "body": body }))
    };
    for (origin, status) in [
        ("https://app.example.com", StatusCode::CREATED),
        ("https://partner.example", StatusCode::CREATED),
        ("https://evil-example.com", StatusCode::FORBIDDEN),
        ("https://example.com", StatusCode::FORBIDDEN),
    ] {
        let r = client.send(from(origin, origin)).await;
        assert_eq!(r.status, status, "{origin}: {}", r.body);
    }
    assert_eq!(
        comments.all(),
        ["https://app.example.com", "https://partner.example"]
    );
}

#[actix_web::test]
async fn send_cookie_and_cookie_storage() {
    let cookie_names = |r: &xsrf_tests::fixture::Resp| -> Vec<String> {
        r.set_cookies()
            .iter()
            .filter_map(|c| c.split_once('=').map(|(n, _)| n.to_owned()))
            .collect()
    };
    let (client, _) = demo(&[]).await;
    let r = client.send(TestRequest::get().uri("/")).await;
    assert_eq!(cookie_names(&r), ["id"]);

    let (client, comments) = demo(&[("XSRF_SEND_COOKIE", "1"), ("XSRF_STORAGE", "cookie")]).await;
    let r = client.send(TestRequest::get().uri("/")).await;
    let mut names = cookie_names(&r);
    names.sort();
    // No session is needed any more: only the state and token cookies.
    assert_eq!(names, ["XSRF-TOKEN", "xsrf-state"]);
    let token = client.cookies()["XSRF-TOKEN"].clone();
    let r = client
        .send(
            TestRequest::post()
                .uri("/api/comments")
                .insert_header(("X-XSRF-TOKEN", token))
                .set_json(serde_json::json!({ "body": "cookie mode" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(comments.all(), ["cookie mode"]);

    let (client, _) = demo(&[("XSRF_SEND_COOKIE", "0"), ("XSRF_STORAGE", "session")]).await;
    let r = client.send(TestRequest::get().uri("/")).await;
    assert_eq!(cookie_names(&r), ["id"]);
}

#[test]
fn bad_settings_are_refused_with_the_variable_named() {
    for (env, needle) in [
        (("XSRF_SEND_COOKIE", "yes"), "XSRF_SEND_COOKIE"),
        (("XSRF_STORAGE", "redis"), "XSRF_STORAGE"),
        (("XSRF_EXEMPT", "webhooks/"), "exemption"),
        (("XSRF_EXEMPT", "/x/../y"), "exemption"),
        (("XSRF_TRUSTED_ORIGINS", "https://*.com"), "origin"),
        (("XSRF_TIMEOUT_SECS", "0"), "XSRF_TIMEOUT_SECS"),
        (("XSRF_TIMEOUT_SECS", "-60"), "XSRF_TIMEOUT_SECS"),
        (("XSRF_TIMEOUT_SECS", "1h"), "XSRF_TIMEOUT_SECS"),
        (("XSRF_TIMEOUT_SECS", "1.5"), "XSRF_TIMEOUT_SECS"),
    ] {
        let err = xsrf(&[env]).expect_err("refused");
        assert!(err.contains(needle), "{env:?}: {err}");
    }
}

/// The demo with `env`, and its `GET /metrics` served from `handle`, a
/// recorder of this test's own (the binary installs a global one).
async fn demo_with_metrics(
    env: &[(&str, &str)],
    handle: metrics_exporter_prometheus::PrometheusHandle,
) -> (Client<impl AppService>, web::Data<Comments>) {
    let xsrf = xsrf(env).expect("settings");
    let comments = web::Data::new(Comments::default());
    let sessions = forms::cookie_sessions(&xsrf, cookie::Key::from(&[0x17; 64]));
    let app = forms::app(xsrf, comments.clone(), sessions).app_data(web::Data::new(handle));
    (client_of(app).await, comments)
}

#[actix_web::test]
async fn xsrf_report_only_lets_forged_posts_through_with_the_reason() {
    assert!(xsrf(&[("XSRF_REPORT_ONLY", "yes")]).is_err());
    for (env, reported) in [
        (&[("XSRF_REPORT_ONLY", "1")][..], true),
        (&[("XSRF_REPORT_ONLY", "0")][..], false),
        (&[][..], false),
    ] {
        let (client, comments) = demo(env).await;
        let _ = client.send(TestRequest::get().uri("/")).await;
        let forged = TestRequest::post()
            .uri("/comments")
            .insert_header((header::ORIGIN, SITE))
            .set_form([("body", "no token")]);
        let r = client.send(forged).await;
        if reported {
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{env:?}: {}", r.body);
            assert_eq!(r.header("x-xsrf-report-only"), Some("missing"), "{env:?}");
            assert_eq!(comments.all(), ["no token"]);
        } else {
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{env:?}: {}", r.body);
            assert_eq!(r.header("x-xsrf-rejection"), Some("missing"), "{env:?}");
            assert!(comments.all().is_empty(), "{env:?}");
        }
    }
}

#[actix_web::test]
async fn metrics_scrape_counts_a_concurrent_mix_exactly_in_both_modes() {
    use futures_util::future::join_all;
    use metrics_exporter_prometheus::PrometheusBuilder;
    for report in ["0", "1"] {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // `#[actix_web::test]` serves the app on this thread: only this
        // test's requests reach the recorder.
        let _local = metrics::set_default_local_recorder(&recorder);
        let env = [("XSRF_REPORT_ONLY", report)];
        let (client, comments) = demo_with_metrics(&env, handle).await;
        let page = client.send(TestRequest::get().uri("/")).await;
        let token = page.header("x-xsrf-token").expect("token").to_owned();
        const N: usize = 5;
        let mut mix = Vec::new();
        for i in 0..N {
            mix.push(
                TestRequest::post()
                    .uri("/comments")
                    .insert_header((header::ORIGIN, SITE))
                    .set_form([("body", format!("ok{i}")), ("xsrf_token", token.clone())]),
            );
            mix.push(
                TestRequest::post()
                    .uri("/api/comments")
                    .insert_header((header::ORIGIN, SITE))
                    .set_json(serde_json::json!({ "body": format!("none{i}") })),
            );
            mix.push(
                TestRequest::post()
                    .uri("/api/comments")
                    .insert_header((header::ORIGIN, "https://evil.example"))
                    .insert_header(("X-XSRF-Token", token.clone()))
                    .set_json(serde_json::json!({ "body": format!("evil{i}") })),
            );
            mix.push(TestRequest::get().uri("/api/comments"));
        }
        join_all(mix.into_iter().map(|r| client.send(r))).await;
        let r = client.send(TestRequest::get().uri("/metrics")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let s = &r.body;
        let n = N as u64;
        let (bad, good) = if report == "1" {
            ("reported", "refused")
        } else {
            ("refused", "reported")
        };
        assert_eq!(
            scraped(s, "xsrf_checks_total", &[("outcome", "accepted")]),
            n,
            "{s}"
        );
        assert_eq!(
            scraped(
                s,
                "xsrf_checks_total",
                &[("outcome", bad), ("reason", "missing")]
            ),
            n,
            "{s}"
        );
        assert_eq!(
            scraped(
                s,
                "xsrf_checks_total",
                &[("outcome", bad), ("reason", "origin")]
            ),
            n,
            "{s}"
        );
        assert_eq!(
            scraped(s, "xsrf_checks_total", &[("outcome", good)]),
            0,
            "{s}"
        );
        assert_eq!(scraped(s, "xsrf_checks_total", &[]), 3 * n, "{s}");
        let stored = comments.all().len();
        assert_eq!(
            stored,
            if report == "1" { 3 * N } else { N },
            "report={report}"
        );
    }
}

#[actix_web::test]
async fn reset_links_per_minute_limits_each_client_address_and_zero_turns_it_off() {
    let env = |v: Option<&'static str>| {
        move |k: &str| {
            v.filter(|_| k == "RESET_LINKS_PER_MINUTE")
                .map(str::to_owned)
        }
    };
    assert!(forms::reset_link_limit(env(None)).expect("default").is_on());
    assert!(
        !forms::reset_link_limit(env(Some("0")))
            .expect("off")
            .is_on()
    );
    let err = forms::reset_link_limit(env(Some("many"))).expect_err("not a number");
    assert!(err.contains("RESET_LINKS_PER_MINUTE"), "{err}");

    for (setting, limited) in [("2", true), ("0", false)] {
        let xsrf = xsrf(&[]).expect("settings");
        let limit = forms::reset_link_limit(env(Some(setting))).expect("limit");
        let sessions = forms::cookie_sessions(&xsrf, cookie::Key::from(&[0x17; 64]));
        let comments = web::Data::new(Comments::default());
        let client = client_of(forms::app_with(xsrf, comments, sessions, limit)).await;
        let page = client.send(TestRequest::get().uri("/")).await;
        let token = page.header("x-xsrf-token").expect("token").to_owned();
        let ask = |peer: &str| {
            TestRequest::post()
                .uri("/reset-link")
                .peer_addr(peer.parse().expect("address"))
                .set_form([("xsrf_token", token.clone())])
        };
        for i in 0..4 {
            let r = client.send(ask("192.0.2.1:5000")).await;
            if limited && i >= 2 {
                assert_eq!(
                    r.status,
                    StatusCode::TOO_MANY_REQUESTS,
                    "{setting}: {}",
                    r.body
                );
                let wait: u64 = r
                    .header("retry-after")
                    .expect("Retry-After")
                    .parse()
                    .expect("seconds");
                assert!((1..=30).contains(&wait), "{wait}");
            } else {
                assert_eq!(r.status, StatusCode::OK, "{setting} #{i}: {}", r.body);
            }
        }
        // Another address has its own count.
        let r = client.send(ask("192.0.2.2:5000")).await;
        assert_eq!(r.status, StatusCode::OK, "{setting}: {}", r.body);
    }
}
