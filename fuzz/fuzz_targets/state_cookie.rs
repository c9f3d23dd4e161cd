//! The state cookie opener (cookie storage): no panic on any value; a
//! value that opens is the one spelling its state seals to; and a valid
//! cookie with one byte changed never opens.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xsrf_actix::__fuzz::{open_state_cookie, seal_state_cookie};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        // Any text as the cookie value.
        let Ok(value) = std::str::from_utf8(rest) else {
            return;
        };
        if let Some(resealed) = open_state_cookie(value) {
            assert_eq!(resealed, value);
        }
        return;
    }
    // A valid cookie from the input's bytes, then one byte changed.
    if rest.len() < 34 {
        return;
    }
    let mut anon = [0u8; 16];
    let mut salt = [0u8; 16];
    anon.copy_from_slice(&rest[..16]);
    salt.copy_from_slice(&rest[16..32]);
    let cookie = seal_state_cookie(anon, salt).expect("16-byte ids seal");
    assert_eq!(open_state_cookie(&cookie).as_deref(), Some(cookie.as_str()));
    let mut bent = cookie.clone().into_bytes();
    let at = usize::from(rest[32]) % bent.len();
    bent[at] = rest[33];
    if bent != cookie.as_bytes() {
        if let Ok(bent) = String::from_utf8(bent) {
            assert_eq!(open_state_cookie(&bent), None, "a changed cookie opened");
        }
    }
});
