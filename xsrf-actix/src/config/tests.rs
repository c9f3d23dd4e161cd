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
