//! The soak run of issue 17 in 20 seconds (`xsrf_tests::soak`): two app
//! instances in their own processes sharing a real Redis, legitimate and
//! forged traffic, Redis restarted halfway. The bench runs the same engine
//! for minutes (`cargo run --release -p xsrf-bench soak`).
//!
//! A second run starts instances that skip the token check on one route,
//! and the soak must catch it: the counter of forged requests that got
//! through is what the first run relies on.

use std::time::Duration;

use xsrf_tests::soak::{self, Forgery, Options, ServerCommand};

fn server() -> ServerCommand {
    ServerCommand {
        program: env!("CARGO_BIN_EXE_soak_server").into(),
        args: Vec::new(),
    }
}

#[test]
fn soak_of_20_seconds_with_a_redis_restart_loses_nothing_and_lets_no_forgery_through() {
    let opts = Options {
        users: 8,
        ..Options::new(Duration::from_secs(20), server())
    };
    let report = soak::run(&opts).expect("soak set-up (needs redis-server)");
    println!("{}", report.table());
    assert!(report.passed(), "{:#?}", report.violations());
    // It did what it claims: traffic of every kind, a restart it noticed.
    assert!(report.legit_ok > 500, "{}", report.legit_ok);
    assert!(report.keys_redeemed > 20, "{}", report.keys_redeemed);
    for (kind, sent, _) in &report.forged {
        assert!(*sent > 0, "no forged request of kind {kind:?}");
    }
    let outage = report.outage.as_ref().expect("Redis was restarted");
    assert!(outage.recovered_ms.is_some());
    assert!(
        report.legit_effects_seen >= report.legit_effects_expected
            && report.legit_effects_expected > 0
    );
    assert_eq!(report.samples.len(), 20);
}

#[test]
fn soak_catches_an_app_that_skips_the_token_check_on_one_route() {
    let opts = Options {
        users: 4,
        restart: false,
        broken: true,
        ..Options::new(Duration::from_secs(8), server())
    };
    let report = soak::run(&opts).expect("soak set-up (needs redis-server)");
    println!("{}", report.table());
    let accepted = |kind: Forgery| {
        report
            .forged
            .iter()
            .find(|(k, _, _)| *k == kind)
            .map_or(0, |(_, _, accepted)| *accepted)
    };
    // Same-origin posts to the broken route got through and ran, with or
    // without a token ...
    assert!(accepted(Forgery::NoToken) > 0, "{:?}", report.forged);
    assert!(report.forged_effects > 0);
    // ... but not cross-site ones: the middleware still checks the origin.
    assert_eq!(accepted(Forgery::CrossSite), 0, "{:?}", report.forged);
    assert!(!report.passed());
    assert!(
        report
            .violations()
            .iter()
            .any(|v| v.contains("forged requests had a side effect")),
        "{:#?}",
        report.violations()
    );
}
