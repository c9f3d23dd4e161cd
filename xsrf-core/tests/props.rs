//! Property tests: round trips, hostile input, tampering.

use proptest::prelude::*;
use time::{Duration, OffsetDateTime, macros::datetime};
use xsrf_core::{Binding, ENCODED_LEN, OriginPolicy, Rejection, RequestFacts, SigningKey, Tokens};

const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

fn tokens() -> Tokens {
    Tokens::builder(SigningKey::from_bytes(&[9; 32]).expect("key"))
        .timeout(Duration::hours(1))
        .build()
        .expect("tokens")
}

proptest! {
    #[test]
    fn issued_tokens_verify_for_their_binding(
        subject in ".{0,64}",
        session in ".{0,32}",
        action in proptest::option::of(".{0,48}"),
        age in 0i64..3600,
    ) {
        let t = tokens();
        let b = Binding::new(&subject).session(&session).maybe_action(action.as_deref());
        let token = t.issue(&b, NOW);
        prop_assert_eq!(token.as_str().len(), ENCODED_LEN);
        prop_assert!(t.verify(token.as_str(), &b, NOW + Duration::seconds(age)).is_ok());
    }

    #[test]
    fn a_different_subject_or_action_never_verifies(
        subject in ".{0,32}", other in ".{0,32}", action in ".{0,16}", other_action in ".{0,16}",
    ) {
        prop_assume!(subject != other || action != other_action);
        let t = tokens();
        let token = t.issue(&Binding::new(&subject).action(&action), NOW);
        let wrong = Binding::new(&other).action(&other_action);
        prop_assert_eq!(t.verify(token.as_str(), &wrong, NOW), Err(Rejection::BadSignature));
    }

    #[test]
    fn arbitrary_text_never_panics_and_never_verifies(input in ".{0,200}") {
        let r = tokens().verify(&input, &Binding::new("alice"), NOW);
        prop_assert!(r.is_err());
    }

    #[test]
    fn arbitrary_bytes_of_token_length_never_verify(bytes in proptest::collection::vec(any::<u8>(), ENCODED_LEN)) {
        let text = String::from_utf8_lossy(&bytes);
        prop_assert!(tokens().verify(&text, &Binding::new("alice"), NOW).is_err());
    }

    #[test]
    fn any_single_character_change_is_refused(pos in 0usize..ENCODED_LEN, replacement in any::<u8>()) {
        let t = tokens();
        let b = Binding::new("alice").session("s");
        let token = t.issue(&b, NOW).into_string();
        let mut bytes = token.into_bytes();
        prop_assume!(bytes[pos] != replacement);
        bytes[pos] = replacement;
        let tampered = String::from_utf8_lossy(&bytes).into_owned();
        prop_assert!(t.verify(&tampered, &b, NOW).is_err());
    }

    #[test]
    fn any_single_bit_flip_in_the_decoded_token_is_refused(bit in 0usize..(61 * 8)) {
        use base64::Engine as _;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let t = tokens();
        let b = Binding::new("alice").session("s");
        let mut raw = URL_SAFE_NO_PAD.decode(t.issue(&b, NOW).as_str()).expect("decode");
        raw[bit / 8] ^= 1 << (bit % 8);
        let tampered = URL_SAFE_NO_PAD.encode(&raw);
        prop_assert!(t.verify(&tampered, &b, NOW).is_err());
    }

    #[test]
    fn origin_policy_never_panics(
        method in "[A-Z]{1,7}",
        origin in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..80)),
        referer in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..80)),
        fetch in proptest::option::of("[a-zA-Z-]{0,12}"),
    ) {
        let policy = OriginPolicy::new().site("https://victim.example").expect("policy");
        let mut facts = RequestFacts::new(&method);
        if let Some(o) = &origin { facts = facts.origin(o); }
        if let Some(r) = &referer { facts = facts.referer(r); }
        if let Some(f) = &fetch { facts = facts.sec_fetch_site(f.as_bytes()); }
        let verdict = policy.check(&facts);
        let safe = matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS" | "TRACE");
        if safe {
            prop_assert!(verdict.is_ok());
        } else if verdict.is_ok() {
            // Random bytes only pass through a same-origin signal.
            let fetch_ok = fetch.as_deref().is_some_and(|f| {
                f.eq_ignore_ascii_case("same-origin") || f.eq_ignore_ascii_case("none")
            });
            let names_victim = |v: &Option<Vec<u8>>| {
                v.as_ref().is_some_and(|b| String::from_utf8_lossy(b).to_ascii_lowercase().contains("victim.example"))
            };
            prop_assert!(fetch_ok || names_victim(&origin) || names_victim(&referer));
        }
    }
}
