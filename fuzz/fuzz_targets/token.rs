//! The token parser and verifier: arbitrary text never verifies and never
//! panics; an issued token verifies for its binding and not once one
//! character is changed or the binding differs.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;
use time::macros::datetime;
use xsrf_core::{Binding, ENCODED_LEN, Entropy, SigningKey, Tokens};

const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

struct Fixed;

impl Entropy for Fixed {
    fn fill(&self, dest: &mut [u8]) {
        dest.fill(0x5a);
    }
}

fn tokens() -> &'static Tokens {
    static TOKENS: OnceLock<Tokens> = OnceLock::new();
    TOKENS.get_or_init(|| {
        let key = SigningKey::from_bytes(&[3; 32]).expect("32-byte key");
        Tokens::builder(key).entropy(Fixed).build().expect("tokens")
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\u{0}');
    let token = parts.next().unwrap_or("");
    let subject = parts.next().unwrap_or("");
    let session = parts.next().unwrap_or("");
    let action = parts.next();
    let t = tokens();
    let binding = Binding::new(subject).session(session).maybe_action(action);
    // Nobody forges a MAC: whatever the text, it does not verify.
    assert!(t.verify(token, &binding, NOW).is_err());

    let issued = t.issue(&binding, NOW);
    assert_eq!(issued.as_str().len(), ENCODED_LEN);
    assert!(t.verify(issued.as_str(), &binding, NOW).is_ok());
    // One character changed, wherever the input says: refused.
    let at = data.len() % ENCODED_LEN;
    let mut bent = issued.as_str().as_bytes().to_vec();
    bent[at] = if bent[at] == b'A' { b'B' } else { b'A' };
    let bent = String::from_utf8(bent).expect("base64url is ASCII");
    assert!(t.verify(&bent, &binding, NOW).is_err());
    // Another subject: refused.
    let other = format!("{subject}x");
    let elsewhere = Binding::new(&other).session(session).maybe_action(action);
    assert!(t.verify(issued.as_str(), &elsewhere, NOW).is_err());
});
