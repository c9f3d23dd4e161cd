//! Unit tests of issuing and verifying tokens.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::codec::{HEADER_LEN, RAW_LEN, decode};
use super::*;
use crate::{ConfigError, KeyRing, Malformed, Rejection, SigningKey};

const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

fn tokens(key: &SigningKey) -> Tokens {
    Tokens::builder(key.clone()).build().expect("tokens")
}

fn alice() -> Binding<'static> {
    Binding::new("alice").session("s1")
}

#[test]
fn encoded_length_is_82() {
    let t = tokens(&SigningKey::generate().expect("key")).issue(&alice(), NOW);
    assert_eq!(ENCODED_LEN, 82);
    assert_eq!(t.as_str().len(), ENCODED_LEN);
    assert!(
        t.as_str()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
}

#[test]
fn every_issue_differs() {
    let t = tokens(&SigningKey::generate().expect("key"));
    assert_ne!(t.issue(&alice(), NOW), t.issue(&alice(), NOW));
}

#[test]
fn subject_session_and_action_are_bound() {
    let t = tokens(&SigningKey::generate().expect("key"));
    let token = t.issue(&alice().action("a"), NOW);
    let s = token.as_str();
    assert!(t.verify(s, &alice().action("a"), NOW).is_ok());
    for other in [
        alice(),
        alice().action("b"),
        alice().action(""),
        Binding::new("bob").session("s1").action("a"),
        Binding::new("alice").session("s2").action("a"),
        // length prefixes: moving bytes between fields must not verify
        Binding::new("alices").session("1").action("a"),
    ] {
        assert_eq!(
            t.verify(s, &other, NOW),
            Err(Rejection::BadSignature),
            "{other:?}"
        );
    }
    let none = t.issue(&alice(), NOW);
    assert_eq!(
        t.verify(none.as_str(), &alice().action(""), NOW),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn timeout_and_skew() {
    let t = Tokens::builder(SigningKey::generate().expect("key"))
        .timeout(Duration::minutes(10))
        .skew(Duration::seconds(30))
        .build()
        .expect("tokens");
    let token = t.issue(&alice(), NOW);
    let s = token.as_str();
    assert!(t.verify(s, &alice(), NOW + Duration::minutes(10)).is_ok());
    assert_eq!(
        t.verify(s, &alice(), NOW + Duration::seconds(601)),
        Err(Rejection::Expired)
    );
    assert!(t.verify(s, &alice(), NOW - Duration::seconds(30)).is_ok());
    assert_eq!(
        t.verify(s, &alice(), NOW - Duration::seconds(31)),
        Err(Rejection::FromFuture)
    );
    // The bounds are exact to the nanosecond.
    let ns = Duration::nanoseconds(1);
    assert_eq!(
        t.verify(s, &alice(), NOW + Duration::minutes(10) + ns),
        Err(Rejection::Expired)
    );
    assert_eq!(
        t.verify(s, &alice(), NOW - Duration::seconds(30) - ns),
        Err(Rejection::FromFuture)
    );
}

/// The unverified hint says "expired" exactly where `verify` would, for a
/// token of ours; and for no input `verify` calls malformed, nor ever
/// without expiry.
#[test]
fn seems_expired_agrees_with_verify_at_the_bound() {
    let t = Tokens::builder(SigningKey::generate().expect("key"))
        .timeout(Duration::minutes(10))
        .build()
        .expect("tokens");
    let token = t.issue(&alice(), NOW);
    let s = token.as_str();
    let ns = Duration::nanoseconds(1);
    for at in [
        NOW,
        NOW + Duration::minutes(10),
        NOW + Duration::minutes(10) + ns,
        NOW + Duration::days(3),
        NOW - Duration::minutes(5),
    ] {
        let expired = t.verify(s, &alice(), at) == Err(Rejection::Expired);
        assert_eq!(t.seems_expired(s, at), expired, "{at}");
    }
    let later = NOW + Duration::days(3);
    // Old by its first characters, not a token by its last: the hint
    // reads the time from the start, and must still say no.
    let tail_broken = format!("{}!", &s[..ENCODED_LEN - 1]);
    assert!(matches!(
        t.verify(&tail_broken, &alice(), later),
        Err(Rejection::Malformed(_))
    ));
    for junk in [
        "",
        " ",
        "junk",
        &"A".repeat(ENCODED_LEN),
        &s[1..],
        &tail_broken,
    ] {
        assert!(!t.seems_expired(junk, later), "{junk:?}");
    }
    let forever = Tokens::builder(SigningKey::generate().expect("key"))
        .no_expiry()
        .build()
        .expect("tokens");
    assert!(!forever.seems_expired(forever.issue(&alice(), NOW).as_str(), later));
}

#[test]
fn rotation_keeps_fallbacks_and_drops_retired_keys() {
    let old = SigningKey::generate().expect("old");
    let new = SigningKey::generate().expect("new");
    let before = tokens(&old).issue(&alice(), NOW);
    let rotated = Tokens::builder(KeyRing::new(new.clone()).with_fallback(old))
        .build()
        .expect("rotated");
    let v = rotated
        .verify(before.as_str(), &alice(), NOW)
        .expect("fallback accepted");
    assert!(v.by_fallback_key);
    let retired = tokens(&new);
    assert_eq!(
        retired.verify(before.as_str(), &alice(), NOW),
        Err(Rejection::UnknownKey)
    );
}

#[test]
fn bad_input_is_refused_without_panic() {
    let t = tokens(&SigningKey::generate().expect("key"));
    assert_eq!(t.verify("", &alice(), NOW), Err(Rejection::Missing));
    assert_eq!(
        t.verify("   ", &alice(), NOW),
        Err(Rejection::Malformed(Malformed::Blank))
    );
    // Blank at a token's length too, not an encoding error.
    assert_eq!(
        t.verify(&" ".repeat(ENCODED_LEN), &alice(), NOW),
        Err(Rejection::Malformed(Malformed::Blank))
    );
    assert_eq!(
        t.verify("abc", &alice(), NOW),
        Err(Rejection::Malformed(Malformed::Length))
    );
    let junk = "A".repeat(1 << 20);
    assert_eq!(
        t.verify(&junk, &alice(), NOW),
        Err(Rejection::Malformed(Malformed::Length))
    );
    let bad_b64 = "!".repeat(ENCODED_LEN);
    assert_eq!(
        t.verify(&bad_b64, &alice(), NOW),
        Err(Rejection::Malformed(Malformed::Encoding))
    );
    let mut raw = [0u8; RAW_LEN];
    raw[0] = 2;
    let v2 = URL_SAFE_NO_PAD.encode(raw);
    assert_eq!(
        t.verify(&v2, &alice(), NOW),
        Err(Rejection::Malformed(Malformed::Version))
    );
    let multibyte = "é".repeat(ENCODED_LEN / 2);
    assert!(t.verify(&multibyte, &alice(), NOW).is_err());
}

#[test]
fn refresh_is_due_past_half_the_lifetime_or_after_a_key_rotation() {
    let key = SigningKey::generate().expect("key");
    let t = Tokens::builder(key.clone())
        .timeout(Duration::minutes(10))
        .build()
        .expect("tokens");
    let token = t.issue(&alice(), NOW);
    let due = |at| {
        t.verify(token.as_str(), &alice(), at)
            .expect("valid")
            .refresh_due
    };
    assert!(!due(NOW));
    assert!(!due(NOW + Duration::minutes(5)));
    assert!(due(NOW + Duration::minutes(5) + Duration::nanoseconds(1)));
    assert!(due(NOW + Duration::minutes(10)));
    let rotated =
        Tokens::builder(KeyRing::new(SigningKey::generate().expect("new")).with_fallback(key))
            .build()
            .expect("rotated");
    let v = rotated
        .verify(token.as_str(), &alice(), NOW)
        .expect("fallback");
    assert!(v.by_fallback_key && v.refresh_due);
}

#[test]
fn without_expiry_old_tokens_verify_and_only_a_key_rotation_refreshes() {
    let key = SigningKey::generate().expect("key");
    let expiring = tokens(&key);
    let forever = Tokens::builder(key).no_expiry().build().expect("tokens");
    assert_eq!(forever.timeout(), None);
    // Issued while tokens expired: still the same format, still valid.
    let token = expiring.issue(&alice(), NOW);
    let later = NOW + Duration::days(3650);
    let v = forever
        .verify(token.as_str(), &alice(), later)
        .expect("valid");
    assert!(!v.refresh_due);
    assert_eq!(
        expiring.verify(token.as_str(), &alice(), later),
        Err(Rejection::Expired)
    );
    // The future is still refused, and the binding still holds.
    let ahead = forever.issue(&alice(), NOW + Duration::hours(1));
    assert_eq!(
        forever.verify(ahead.as_str(), &alice(), NOW),
        Err(Rejection::FromFuture)
    );
    assert_eq!(
        forever.verify(token.as_str(), &Binding::new("alice").session("s2"), later),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn zero_timeout_is_a_config_error() {
    let b = Tokens::builder(SigningKey::generate().expect("key")).timeout(Duration::ZERO);
    assert_eq!(
        b.build().err(),
        Some(ConfigError::NonPositiveDuration("token timeout"))
    );
}

#[test]
fn long_bindings_take_the_streaming_path_and_still_bind() {
    let t = tokens(&SigningKey::generate().expect("key"));
    let long = "x".repeat(300);
    let b = Binding::new(&long).session("s");
    let token = t.issue(&b, NOW);
    assert!(t.verify(token.as_str(), &b, NOW).is_ok());
    let longer = "x".repeat(301);
    assert_eq!(
        t.verify(token.as_str(), &Binding::new(&longer).session("s"), NOW),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn mac_input_matches_what_is_signed() {
    let key = SigningKey::generate().expect("key");
    let t = tokens(&key);
    let b = alice().action("x");
    let token = t.issue(&b, NOW);
    let input = mac_input(token.as_str(), &b).expect("input");
    let raw = decode(token.as_str()).expect("decode");
    assert_eq!(
        hmac::sign(key.token_key(), &input).as_ref(),
        &raw[HEADER_LEN..]
    );
}
