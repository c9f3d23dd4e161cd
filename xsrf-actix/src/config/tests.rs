//! `build` refuses unsafe and unusable settings.

use time::Duration;
use xsrf_core::{ConfigError, SigningKey};

use super::*;

fn key() -> SigningKey {
    SigningKey::from_bytes(&[3; 32]).expect("key")
}

#[test]
fn unsafe_settings_are_refused() {
    assert_eq!(
        Xsrf::builder().build().err(),
        Some(BuildError::MissingSecret)
    );
    assert!(matches!(
        Xsrf::builder()
            .secret(key())
            .expiry(Expiry::after(Duration::ZERO))
            .build(),
        Err(BuildError::Config(ConfigError::NonPositiveDuration(_)))
    ));
    assert_eq!(
        Xsrf::builder()
            .secret(key())
            .transport(Transport::new().sources([]))
            .build()
            .err(),
        Some(BuildError::NoSources)
    );
    assert_eq!(
        Xsrf::builder()
            .secret(key())
            .transport(Transport::new().sources([Source::Cookie]))
            .build()
            .err(),
        Some(BuildError::CookieOnly)
    );
    assert!(matches!(
        Xsrf::builder()
            .secret(key())
            .site_origin("shop.example")
            .build(),
        Err(BuildError::Config(ConfigError::BadOrigin { .. }))
    ));
    assert_eq!(
        Xsrf::builder()
            .secret(key())
            .transport(Transport::new().static_key_header("X-Static"))
            .build()
            .err(),
        Some(BuildError::StaticHeaderNotSec)
    );
    assert!(matches!(
        Xsrf::builder()
            .secret(key())
            .transport(Transport::new().field("a b"))
            .build(),
        Err(BuildError::BadName(_))
    ));
    assert!(Xsrf::builder().secret(key()).build().is_ok());
}

#[test]
fn body_waits_that_cannot_bound_a_scan_are_refused() {
    let build = |w: BodyWait| {
        Xsrf::builder()
            .secret(key())
            .transport(Transport::new().body_wait(w))
            .build()
    };
    assert!(matches!(
        build(BodyWait::new(Duration::ZERO, 500)),
        Err(BuildError::Config(ConfigError::NonPositiveDuration(_)))
    ));
    assert!(matches!(
        build(BodyWait::new(Duration::seconds(-20), 500)),
        Err(BuildError::Config(ConfigError::NonPositiveDuration(_)))
    ));
    assert!(matches!(
        build(BodyWait::new(BodyWait::MAX_IDLE + Duration::SECOND, 500)),
        Err(BuildError::BodyWait(_))
    ));
    assert!(matches!(
        build(BodyWait::new(Duration::seconds(20), 0)),
        Err(BuildError::BodyWait(_))
    ));
    let x = build(BodyWait::new(BodyWait::MAX_IDLE, 1)).expect("the bounds themselves");
    assert_eq!(
        x.inner.transport.body_wait.idle,
        std::time::Duration::from_secs(600)
    );
    let x = Xsrf::builder().secret(key()).build().expect("defaults");
    assert_eq!(
        x.inner.transport.body_wait,
        BodyWait::default().checked().expect("default")
    );
}

#[test]
fn the_default_state_cookie_name_is_prefixed_on_https_however_written() {
    let built = |storage: Storage| {
        Xsrf::builder()
            .secret(key())
            .site_origin("https://shop.example")
            .storage(storage)
            .build()
            .expect("settings")
    };
    let written_out = Storage::SignedCookie {
        name: Storage::DEFAULT_COOKIE_NAME.to_owned(),
    };
    for storage in [Storage::signed_cookie(), written_out] {
        assert_eq!(
            built(storage).state_cookie_name(),
            Some("__Host-xsrf-state")
        );
    }
    let other = Storage::SignedCookie {
        name: "shop-state".to_owned(),
    };
    assert_eq!(built(other).state_cookie_name(), Some("shop-state"));
}

#[test]
fn no_report_only_rule_is_enforce_mode() {
    let x = Xsrf::builder()
        .secret(key())
        .rollout(Rollout::report_only_paths(Vec::<String>::new()))
        .build()
        .expect("settings");
    assert_eq!(x.inner.rollout.describe(), None);
    let x = Xsrf::builder()
        .secret(key())
        .rollout(Rollout::report_only())
        .build()
        .expect("settings");
    assert_eq!(x.inner.rollout.describe().as_deref(), Some("every path"));
}
