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
            .timeout(Duration::ZERO)
            .build(),
        Err(BuildError::Config(ConfigError::NonPositiveDuration(_)))
    ));
    assert_eq!(
        Xsrf::builder().secret(key()).sources([]).build().err(),
        Some(BuildError::NoSources)
    );
    assert_eq!(
        Xsrf::builder()
            .secret(key())
            .sources([Source::Cookie])
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
            .static_key_header("X-Static")
            .build()
            .err(),
        Some(BuildError::StaticHeaderNotSec)
    );
    assert!(matches!(
        Xsrf::builder().secret(key()).field_name("a b").build(),
        Err(BuildError::BadName(_))
    ));
    assert!(Xsrf::builder().secret(key()).build().is_ok());
}

#[test]
fn body_waits_that_cannot_bound_a_scan_are_refused() {
    let build = |w: BodyWait| Xsrf::builder().secret(key()).body_wait(w).build();
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
