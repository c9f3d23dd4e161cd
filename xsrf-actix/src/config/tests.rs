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
