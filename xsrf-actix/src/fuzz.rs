//! Entry points for the fuzz targets in `fuzz/` (feature `__fuzz`). Not
//! part of the API: hidden from the docs, no stability promise.

use std::sync::Arc;

use crate::scan::{BodyToken, JsonScanner, MultipartScanner, Scan, Scanner, UrlencodedScanner};

/// Which body scanner to drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// `application/x-www-form-urlencoded`.
    Urlencoded,
    /// `multipart/form-data; boundary=XyZ`.
    Multipart,
    /// `application/json`.
    Json,
}

/// What a scan ended with, the token value included (the crate's own
/// `Debug` redacts it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The verdict, e.g. `Found("…")`, `Conflict`, `Unreadable(Json)`.
    pub verdict: String,
    /// Bytes the scanner examined.
    pub examined: usize,
}

/// Scans `chunks` (in order) as a body of kind `body` with the default
/// field name and the given scan limit.
pub fn scan(body: Body, chunks: &[&[u8]], limit: usize) -> Outcome {
    let field: Arc<str> = crate::Transport::DEFAULT_FIELD.into();
    let mut scanner = match body {
        Body::Urlencoded => Scanner::Form(UrlencodedScanner::new(field, limit)),
        Body::Multipart => match MultipartScanner::new("XyZ", field, limit) {
            Ok(s) => Scanner::Multipart(Box::new(s)),
            Err(_) => unreachable!("XyZ is a valid boundary"),
        },
        Body::Json => Scanner::Json(Box::new(JsonScanner::new(field, limit))),
    };
    let mut verdict = None;
    for chunk in chunks {
        if let Scan::Done(t) = scanner.feed(chunk) {
            verdict = Some(t);
            break;
        }
    }
    let examined = scanner.examined();
    let verdict = verdict.unwrap_or_else(|| scanner.finish());
    Outcome {
        verdict: match verdict {
            BodyToken::Found(v) => format!("Found({v:?})"),
            other => format!("{other:?}"),
        },
        examined,
    }
}

/// Opens `value` as a state cookie sealed with a fixed test key; when it
/// opens, returns the cookie sealed again from what was read (which must
/// equal `value`: one state, one spelling).
pub fn open_state_cookie(value: &str) -> Option<String> {
    let x = test_config();
    let (state, _signer) = crate::state::open_cookie(&x, value)?;
    Some(crate::state::seal_cookie(&x, &state))
}

/// The state cookie for the anonymous id and salt made of these bytes,
/// sealed with the same key (so a target can start from valid cookies).
pub fn seal_state_cookie(anon: [u8; 16], salt: [u8; 16]) -> Option<String> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    // Through the session's JSON form, so no id is built here by hand.
    let json = format!(
        r#"{{"anon":"{}","salt":"{}"}}"#,
        b64.encode(anon),
        b64.encode(salt)
    );
    let state: crate::state::State = serde_json::from_str(&json).ok()?;
    Some(crate::state::seal_cookie(&test_config(), &state))
}

fn test_config() -> crate::Xsrf {
    let built = crate::Xsrf::builder()
        .secret(match crate::SigningKey::from_bytes(&[7; 32]) {
            Ok(k) => k,
            Err(_) => unreachable!("32 bytes is a valid key"),
        })
        .storage(crate::Storage::signed_cookie())
        .build();
    match built {
        Ok(x) => x,
        Err(e) => unreachable!("fuzz configuration: {e}"),
    }
}
