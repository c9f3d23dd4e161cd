//! Ids, the session value, cookies read in place, the sealed state
//! cookie.

use actix_web::http::header;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::cookies::cookie_value;
use super::record::{ID_LEN, Id, MAX_STATIC_KEY, State, Subject, is_base64url};
use super::sealed::{Signer, open_cookie, seal_cookie};
use xsrf_core::__private::Secret;
use xsrf_core::secret_eq;

use crate::config::Xsrf;

/// Ids have no `==` (salts are secret): tests compare them as secrets too.
fn same(a: &Id, b: &Id) -> bool {
    secret_eq(a.as_str(), b.as_str())
}

/// The text of an optional static key, to compare in an assertion.
fn shown(k: &Option<Secret<String>>) -> Option<&str> {
    k.as_ref().map(|k| k.expose().as_str())
}

#[test]
fn ids_are_22_base64url_characters_and_differ() {
    let (a, b) = (Id::random().expect("id"), Id::random().expect("id"));
    assert_eq!(a.as_str().len(), ID_LEN);
    assert!(a.as_str().bytes().all(is_base64url));
    assert!(!same(&a, &b));
    assert!(Id::parse(a.as_str().as_bytes()).is_some_and(|p| same(&p, &a)));
}

#[test]
fn id_parse_refuses_wrong_length_and_alphabet() {
    assert!(Id::parse(b"").is_none());
    assert!(Id::parse("A".repeat(21).as_bytes()).is_none());
    assert!(Id::parse("A".repeat(23).as_bytes()).is_none());
    assert!(Id::parse(format!("{}.", "A".repeat(21)).as_bytes()).is_none());
    assert!(Id::parse(format!("{}+", "A".repeat(21)).as_bytes()).is_none());
    assert!(Id::parse(format!("{}é", "A".repeat(20)).as_bytes()).is_none());
}

#[test]
fn state_keeps_its_session_json_shape() {
    let s = State::fresh().expect("fresh state");
    let json = serde_json::to_string(&s).expect("serializes");
    assert_eq!(
        json,
        format!(
            r#"{{"anon":"{}","salt":"{}"}}"#,
            s.anon.as_str(),
            s.salt.as_str()
        )
    );
    let back: State = serde_json::from_str(&json).expect("deserializes");
    assert!(same(&back.anon, &s.anon) && same(&back.salt, &s.salt) && back.static_key.is_none());
    assert!(serde_json::from_str::<State>(r#"{"anon":"short","salt":"x"}"#).is_err());
}

#[test]
fn reading_a_session_value_agrees_with_serde_json() {
    let s = State::fresh().expect("fresh state");
    let (a, b) = (s.anon.as_str(), s.salt.as_str());
    let with_key = State {
        static_key: Some(Secret::new("k".repeat(43))),
        keys: true,
        ..s.clone()
    };
    let cases = [
        serde_json::to_string(&s).expect("serializes"),
        serde_json::to_string(&with_key).expect("serializes"),
        format!(r#"{{"salt":"{b}","anon":"{a}"}}"#),
        format!(r#"{{ "anon":"{a}","salt":"{b}"}}"#),
        format!(r#"{{"anon":"{a}","salt":"{b}","keys":true}}"#),
        // The fixed shape with a wrong id: refused both ways.
        format!(r#"{{"anon":"{}!","salt":"{b}"}}"#, &a[..21]),
        format!(r#"{{"anon":"{}"","salt":"{b}"}}"#, &a[..21]),
        format!(r#"{{"anon":"{a}","salt":"{b}"}} "#),
        format!(r#"{{"anon":"{a}","salt":"{b}"]"#),
        r#"{"anon":"short","salt":"x"}"#.to_owned(),
        String::new(),
    ];
    for text in cases {
        let fast = State::from_session(&text);
        let serde = serde_json::from_str::<State>(&text).ok();
        let view = |st: Option<State>| {
            st.map(|st| {
                (
                    st.anon.as_str().to_owned(),
                    st.salt.as_str().to_owned(),
                    shown(&st.static_key).map(str::to_owned),
                    st.keys,
                )
            })
        };
        assert_eq!(view(fast), view(serde), "{text}");
    }
    assert!(State::from_session(&serde_json::to_string(&s).expect("json")).is_some());
}

#[test]
fn cookie_value_finds_the_first_cookie_of_that_name() {
    use actix_web::test::TestRequest;
    let req = TestRequest::default()
        .insert_header((header::COOKIE, "a=1; xsrf-state=first ;b=2"))
        .append_header((header::COOKIE, "xsrf-state=second"))
        .to_http_request();
    assert_eq!(cookie_value(&req, "xsrf-state"), Some("first"));
    assert_eq!(cookie_value(&req, "b"), Some("2"));
    assert_eq!(cookie_value(&req, "xsrf"), None);
    assert_eq!(cookie_value(&req, "state"), None);
    let none = TestRequest::default().to_http_request();
    assert_eq!(cookie_value(&none, "xsrf-state"), None);
    let later = TestRequest::default()
        .insert_header((header::COOKIE, "other=x"))
        .append_header((header::COOKIE, " xsrf-state=v"))
        .to_http_request();
    assert_eq!(cookie_value(&later, "xsrf-state"), Some("v"));
}

#[test]
fn cookie_value_skips_a_same_named_cookie_that_is_not_utf8() {
    use actix_web::http::header::HeaderValue;
    use actix_web::test::TestRequest;
    let line =
        HeaderValue::from_bytes(b"a=1; xsrf-state=\xff; xsrf-state=ok;;x").expect("header value");
    let req = TestRequest::default()
        .insert_header((header::COOKIE, line))
        .to_http_request();
    assert_eq!(cookie_value(&req, "xsrf-state"), Some("ok"));
    assert_eq!(cookie_value(&req, "x"), None);
    assert_eq!(cookie_value(&req, "a"), Some("1"));
}

#[test]
fn sealed_cookies_open_and_nothing_else_does() {
    let x = Xsrf::builder()
        .secret(xsrf_core::SigningKey::generate().expect("key"))
        .site_origin("https://app.example")
        .storage(crate::Storage::signed_cookie())
        .build()
        .expect("xsrf");
    let plain = State::fresh().expect("state");
    let keyed = State {
        static_key: Some(Secret::new("K".repeat(43))),
        ..plain.clone()
    };
    for state in [&plain, &keyed] {
        let sealed = seal_cookie(&x, state);
        let (opened, signer) = open_cookie(&x, &sealed).expect("opens");
        assert_eq!(signer, Signer::Current);
        assert!(same(&opened.anon, &state.anon) && same(&opened.salt, &state.salt));
        assert_eq!(shown(&opened.static_key), shown(&state.static_key));
        // Any change of a part, a separator or the tag: refused.
        for i in 0..sealed.len() {
            let mut bytes = sealed.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(bytes).expect("ascii");
            assert!(open_cookie(&x, &changed).is_none(), "{changed}");
        }
    }
    // Well signed but not our layout: refused too.
    let (a, b) = (plain.anon.as_str(), plain.salt.as_str());
    for body in [
        a.to_owned(),
        format!("{a}.{b}.k.k"),
        format!("{a}{b}"),
        format!("{a}.{b}.{}", "k".repeat(MAX_STATIC_KEY + 1)),
        format!("{a}..{b}"),
    ] {
        let tag = ring::hmac::sign(&x.inner.state.key, body.as_bytes());
        let value = format!("{body}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()));
        assert!(open_cookie(&x, &value).is_none(), "{value}");
    }
}

#[test]
fn anonymous_subject_is_prefixed() {
    let id = Id::random().expect("id");
    assert_eq!(Subject::anon(&id).as_str(), format!("anon:{}", id.as_str()));
    assert_eq!(Subject::user("42").as_str(), "user:42");
}
