//! Per-session state (the anonymous id, the session salt every token is
//! bound to, the static session key), kept in the actix-session `Session`
//! or in a signed cookie of its own; and everything this crate notes on a
//! request while it is being served, kept in one extension entry.

use actix_session::SessionExt as _;
use actix_web::HttpMessage as _;
use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use arrayvec::ArrayString;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use xsrf_core::{Entropy as _, SystemEntropy};

use crate::config::{Storage, Xsrf};
use crate::error::XsrfError;
use crate::scan::BodyToken;
use xsrf_core::Rejection;

/// Session key under which the state is stored.
pub(crate) const SESSION_KEY: &str = "xsrf";

/// Random bytes in an [`Id`].
const ID_BYTES: usize = 16;
/// Their base64url length.
const ID_LEN: usize = 22;
/// Upper bound of a stored static key (they are 43 characters).
const MAX_STATIC_KEY: usize = 128;

/// A random id (16 bytes, 22 base64url characters), held inline: reading
/// state from a session or cookie allocates nothing for it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Id(ArrayString<ID_LEN>);

impl Id {
    /// `None` only if base64 stopped encoding 16 bytes as 22 characters;
    /// the caller then fails the request rather than use a weaker id.
    fn random() -> Option<Self> {
        let mut raw = [0u8; ID_BYTES];
        SystemEntropy.fill(&mut raw);
        let mut text = [0u8; ID_LEN];
        let written = URL_SAFE_NO_PAD.encode_slice(raw, &mut text).ok()?;
        Id::parse(&text[..written])
    }

    /// Accepts exactly 22 base64url characters (what [`Id::random`] makes).
    fn parse(text: &[u8]) -> Option<Self> {
        // No early exit: the check of all 22 bytes vectorizes.
        if text.len() != ID_LEN || !text.iter().fold(true, |ok, &b| ok & is_base64url(b)) {
            return None;
        }
        let text = std::str::from_utf8(text).ok()?;
        ArrayString::from(text).ok().map(Id)
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Id;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("22 base64url characters")
            }
            // Borrowed or transient, the text is copied inline: no String.
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Id, E> {
                Id::parse(v.as_bytes())
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_str(Visitor)
    }
}

/// What a session carries for this crate. Serialized into the session as
/// `{"anon":"…","salt":"…"}` (plus `"static_key"` once revealed).
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct State {
    /// The visitor's anonymous id (the subject when `user_fn` says None).
    pub(crate) anon: Id,
    /// Changes on every rotation, so older tokens stop verifying.
    pub(crate) salt: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) static_key: Option<String>,
    /// One-time keys were bound to this session (its salt): rotation must
    /// find the salt to delete them, even after the session was purged.
    /// Only kept in session storage (the state cookie outlives a purge).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) keys: bool,
}

impl State {
    /// Reads the state from its session value (JSON, as serialized above).
    ///
    /// The shape every session without a static key or bound keys carries,
    /// `{"anon":"…","salt":"…"}` exactly as serde_json writes it, is read
    /// in place; anything else goes through serde_json. Both give the same
    /// state for the same text: the fast path accepts only what the
    /// serde reading would accept (two 22-character base64url ids), and
    /// such ids hold no character JSON would escape.
    pub(crate) fn from_session(value: &str) -> Option<Self> {
        const HEAD: &[u8] = br#"{"anon":""#;
        const MID: &[u8] = br#"","salt":""#;
        const TAIL: &[u8] = br#""}"#;
        let v = value.as_bytes();
        let fixed = v.len() == HEAD.len() + ID_LEN + MID.len() + ID_LEN + TAIL.len()
            && v.starts_with(HEAD)
            && v.ends_with(TAIL)
            && v[HEAD.len() + ID_LEN..].starts_with(MID);
        if fixed {
            let anon = &v[HEAD.len()..HEAD.len() + ID_LEN];
            let salt_at = HEAD.len() + ID_LEN + MID.len();
            let salt = &v[salt_at..salt_at + ID_LEN];
            if let (Some(anon), Some(salt)) = (Id::parse(anon), Id::parse(salt)) {
                return Some(Self {
                    anon,
                    salt,
                    static_key: None,
                    keys: false,
                });
            }
        }
        serde_json::from_str(value).ok()
    }

    pub(crate) fn fresh() -> Result<Self, XsrfError> {
        match (Id::random(), Id::random()) {
            (Some(anon), Some(salt)) => Ok(Self {
                anon,
                salt,
                static_key: None,
                keys: false,
            }),
            _ => Err(XsrfError::session("could not encode a new session id")),
        }
    }
}

/// `user:<id>` or `anon:<id>`: the two kinds can never collide. An
/// anonymous subject is built on the stack.
pub(crate) enum Subject {
    Anon(ArrayString<{ 5 + ID_LEN }>),
    User(String),
}

impl Subject {
    pub(crate) fn anon(id: &Id) -> Self {
        let mut s = ArrayString::new();
        // "anon:" plus 22 characters is exactly the capacity.
        s.push_str("anon:");
        s.push_str(id.as_str());
        Subject::Anon(s)
    }

    pub(crate) fn user(id: &str) -> Self {
        Subject::User(format!("user:{id}"))
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            Subject::Anon(s) => s,
            Subject::User(s) => s,
        }
    }
}

/// Cookies and headers the middleware (or `WithToken`) must add to the
/// response, already formatted as `Set-Cookie` values.
#[derive(Default)]
pub(crate) struct Pending {
    pub(crate) state_cookie: Option<String>,
    pub(crate) token_cookie: Option<String>,
    /// A token was issued: the response depends on the session cookie.
    pub(crate) token_issued: bool,
    /// A fresh token for a request whose token was past half its life (or
    /// signed by a fallback key): the token header and its value.
    pub(crate) refreshed: Option<(HeaderName, HeaderValue)>,
}

/// Put among a request's app data by the `Xsrf` middleware: its
/// configuration, which also tells that it ran. The same for every request
/// the middleware sees, so it is built once and shared, not inserted per
/// request.
pub(crate) struct Ran {
    pub(crate) xsrf: Xsrf,
    /// The middleware passed this request's origin check.
    pub(crate) origin_checked: bool,
    /// The request is exempt (`XsrfBuilder::exempt`): no check may pass it.
    pub(crate) exempt: bool,
    /// No actix-session `Session` existed when the middleware got the
    /// request (session storage only): either `SessionMiddleware` is
    /// registered inside `Xsrf` (which works) or nowhere (which cannot).
    /// The middleware tells the two apart on the way out; see
    /// [`session_present`].
    pub(crate) session_unseen: bool,
}

/// Whether an actix-session `Session` is attached to the request, i.e. a
/// `SessionMiddleware` around us loaded one, without leaving a trace.
///
/// actix-session hands out a detached, empty session when no middleware
/// loaded one (and keeps it in the extensions under a private type), so
/// asking for the session cannot tell. What can: ask with the extensions
/// set aside, which always yields a new session, then put them back; a
/// loaded session replaces the new one, an absent one leaves it. Two
/// `Session` handles share their map exactly when they are the same
/// session. Costs a few allocations: the middleware asks once and keeps
/// the answer, as the middleware order never changes.
pub(crate) fn session_present(req: &actix_web::dev::ServiceRequest) -> bool {
    let saved = std::mem::take(&mut *req.extensions_mut());
    let fresh = req.get_session();
    req.extensions_mut().extend(saved);
    let now = req.get_session();
    let same = std::ptr::eq(&*fresh.entries(), &*now.entries());
    !same
}

/// After the app answered a request that came in without a session: if
/// state this crate saved in the session is still there, no
/// `SessionMiddleware` took it to store it (one registered inside `Xsrf`
/// has taken it by now), so it is lost, and so is every token bound to it.
pub(crate) fn session_state_unstored(req: &HttpRequest) -> bool {
    req.get_session().contains_key(SESSION_KEY)
}

/// The fix named when session storage has no `SessionMiddleware`.
pub(crate) const NO_SESSION_MIDDLEWARE: &str = "session storage needs actix-session's `SessionMiddleware` on the App (e.g. `.wrap(SessionMiddleware::new(CookieSessionStore::default(), key))`), or `.cookie_storage()` to need no session at all";

/// The configuration of the `Xsrf` middleware serving this request.
pub(crate) fn middleware_config(req: &HttpRequest) -> Option<&Xsrf> {
    req.app_data::<Ran>().map(|r| &r.xsrf)
}

/// Everything else this crate notes on one request, in one extension
/// entry, so a request pays for one insertion however many it uses.
#[derive(Default)]
pub(crate) struct PerRequest {
    /// What the middleware found in the body.
    pub(crate) body: Option<BodyToken>,
    /// State saved earlier in this request (new, rotated, or with a static
    /// key): what later loads in the request must see, even where the
    /// storage cannot show it yet (a cookie goes out with the response).
    pub(crate) current: Option<State>,
    pub(crate) pending: Pending,
}

impl PerRequest {
    /// Reads the entry, if anything put one there.
    pub(crate) fn read<R>(req: &HttpRequest, f: impl FnOnce(&PerRequest) -> R) -> Option<R> {
        req.extensions().get::<PerRequest>().map(f)
    }

    /// Changes the entry, creating it first if needed.
    pub(crate) fn write<R>(req: &HttpRequest, f: impl FnOnce(&mut PerRequest) -> R) -> R {
        let mut ext = req.extensions_mut();
        if let Some(p) = ext.get_mut::<PerRequest>() {
            return f(p);
        }
        let mut p = PerRequest::default();
        let out = f(&mut p);
        ext.insert(p);
        out
    }
}

pub(crate) fn load(x: &Xsrf, req: &HttpRequest) -> Result<Option<State>, XsrfError> {
    if let Some(s) = PerRequest::read(req, |p| p.current.clone()).flatten() {
        return Ok(Some(s));
    }
    let state = match &x.inner.storage {
        // An unreadable session value is treated as no state: the request
        // fails closed with NoSession, and the next GET starts over.
        Storage::Session => {
            let session = req.get_session();
            let state = session
                .entries()
                .get(SESSION_KEY)
                .and_then(|v| State::from_session(v));
            if let Some(s) = &state {
                remember_loaded(x, req, s);
            }
            state
        }
        Storage::SignedCookie { name } => {
            require_middleware(req)?;
            match cookie_value(req, name).and_then(|v| open_cookie(x, v)) {
                // Signed with a fallback key: signed again with the current
                // one as it passes, so the state outlives the old key.
                Some((state, Signer::Fallback)) => return save(x, req, state).map(Some),
                Some((state, Signer::Current)) => Some(state),
                None => None,
            }
        }
    };
    // Not cached here: a second load reads the same storage and gets the
    // same state, and most requests load once. `save` records what it
    // writes, and that is what later loads must see.
    Ok(state)
}

/// The state a token check needs; a request without any is refused as
/// `NoSession`. When the middleware saw no session come in, a fresh state
/// is saved on the way: if no `SessionMiddleware` stores it, the
/// middleware finds it still in the session afterwards and answers 500
/// naming the fix instead of a 403 for everyone.
pub(crate) fn load_required(x: &Xsrf, req: &HttpRequest) -> Result<State, XsrfError> {
    if let Some(state) = load(x, req)? {
        return Ok(state);
    }
    let unseen = req.app_data::<Ran>().is_some_and(|r| r.session_unseen);
    if unseen && matches!(x.inner.storage, Storage::Session) {
        save(x, req, State::fresh()?)?;
    }
    Err(Rejection::NoSession.into())
}

/// Marks a request whose session state was read and bound no one-time
/// keys: a rotation after the session was purged has nothing to delete.
struct LoadedWithoutKeys;

/// What [`Xsrf::rotate`] needs if the session is purged later in the
/// request (`Identity::logout` does): a state that bound one-time keys is
/// kept (their salt finds them); otherwise, once this instance has seen
/// session-bound keys at all, the fact that this one had none.
fn remember_loaded(x: &Xsrf, req: &HttpRequest, s: &State) {
    use std::sync::atomic::Ordering::Relaxed;
    if s.keys {
        x.inner.bound_keys_seen.store(true, Relaxed);
        PerRequest::write(req, |p| {
            if p.current.is_none() {
                p.current = Some(s.clone());
            }
        });
    } else if x.inner.bound_keys_seen.load(Relaxed) {
        req.extensions_mut().insert(LoadedWithoutKeys);
    }
}

/// Session storage, state gone: the session was purged (e.g. by
/// `Identity::logout`) before anything in this request read our state,
/// and this instance uses session-bound one-time keys, so whether this
/// session bound any, and to which salt, is unknown. (An instance that
/// never saw one has none to leave: every state that bound a key says so
/// and is kept when read.)
pub(crate) fn purged_unread(x: &Xsrf, req: &HttpRequest) -> bool {
    matches!(x.inner.storage, Storage::Session)
        && x.inner
            .bound_keys_seen
            .load(std::sync::atomic::Ordering::Relaxed)
        && req.get_session().status() == actix_session::SessionStatus::Purged
        && !req.extensions().contains::<LoadedWithoutKeys>()
}

pub(crate) fn load_or_create(x: &Xsrf, req: &HttpRequest) -> Result<State, XsrfError> {
    match load(x, req)? {
        Some(s) => Ok(s),
        None => save(x, req, State::fresh()?),
    }
}

pub(crate) fn save(x: &Xsrf, req: &HttpRequest, state: State) -> Result<State, XsrfError> {
    let cookie = match &x.inner.storage {
        Storage::Session => {
            req.get_session()
                .insert(SESSION_KEY, &state)
                .map_err(XsrfError::session)?;
            None
        }
        Storage::SignedCookie { name } => {
            require_middleware(req)?;
            let value = seal_cookie(x, &state);
            Some(set_cookie(x, name, &value, true))
        }
    };
    PerRequest::write(req, |p| {
        if cookie.is_some() {
            p.pending.state_cookie = cookie;
        }
        p.current = Some(state.clone());
    });
    Ok(state)
}

/// A `Set-Cookie` value for the whole site: `SameSite=Lax`, `Secure` on
/// https sites, `HttpOnly` unless scripts must read it.
pub(crate) fn set_cookie(x: &Xsrf, name: &str, value: &str, http_only: bool) -> String {
    cookie(x, name, value, http_only).finish().to_string()
}

/// The token cookie: readable by scripts, with the configured `Domain`.
pub(crate) fn token_cookie(x: &Xsrf, value: &str) -> String {
    let c = cookie(x, &x.inner.cookie_name, value, false);
    match &x.inner.cookie_domain {
        Some(d) => c.domain(d.as_str()).finish().to_string(),
        None => c.finish().to_string(),
    }
}

fn cookie<'c>(
    x: &Xsrf,
    name: &'c str,
    value: &'c str,
    http_only: bool,
) -> actix_web::cookie::CookieBuilder<'c> {
    Cookie::build(name, value)
        .path("/")
        .http_only(http_only)
        .secure(x.inner.policy.is_https())
        .same_site(SameSite::Lax)
}

/// The value of the first cookie called `name`, read in place from the
/// `Cookie` headers (actix's cookie jar would copy every cookie of the
/// request to find one). Values are used as sent: ours are base64url and
/// never percent-encoded or quoted. Only the value found must be UTF-8.
pub(crate) fn cookie_value<'r>(req: &'r HttpRequest, name: &str) -> Option<&'r str> {
    let name = name.as_bytes();
    req.headers().get_all(header::COOKIE).find_map(|line| {
        let mut rest = line.as_bytes();
        // Pairs found with memchr: a `Cookie` line is mostly values, and
        // only the pair with our name is looked at closely.
        loop {
            let end = memchr::memchr(b';', rest).unwrap_or(rest.len());
            let pair = &rest[..end];
            if let Some(eq) = memchr::memchr(b'=', pair)
                && pair[..eq].trim_ascii() == name
                && let Ok(value) = std::str::from_utf8(pair[eq + 1..].trim_ascii())
            {
                return Some(value);
            }
            rest = rest.get(end + 1..)?;
        }
    })
}

fn require_middleware(req: &HttpRequest) -> Result<(), XsrfError> {
    if middleware_config(req).is_some() {
        Ok(())
    } else {
        Err(XsrfError::misconfigured(
            "cookie storage needs the Xsrf middleware to write its cookie: add `.wrap(xsrf.clone())`",
        ))
    }
}

/// `anon.salt[.static_key].tag`, the tag an HMAC-SHA256 (base64url) of all
/// that precedes it. Every part is base64url, so `.` separates unambiguously.
pub(crate) fn seal_cookie(x: &Xsrf, state: &State) -> String {
    let static_len = state.static_key.as_ref().map_or(0, |k| k.len() + 1);
    let mut value = String::with_capacity(2 * ID_LEN + 1 + static_len + 1 + 43);
    value.push_str(state.anon.as_str());
    value.push('.');
    value.push_str(state.salt.as_str());
    if let Some(k) = &state.static_key {
        value.push('.');
        value.push_str(k);
    }
    let tag = ring::hmac::sign(&x.inner.state_key, value.as_bytes());
    value.push('.');
    URL_SAFE_NO_PAD.encode_string(tag.as_ref(), &mut value);
    value
}

/// Which key of the ring a state cookie was signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signer {
    Current,
    Fallback,
}

pub(crate) fn open_cookie(x: &Xsrf, value: &str) -> Option<(State, Signer)> {
    // Bounded: a real state cookie is 90 characters, 134 with a static key.
    if value.len() > 2 * ID_LEN + MAX_STATIC_KEY + 64 {
        return None;
    }
    let (body, tag_text) = value.rsplit_once('.')?;
    // decode_slice wants room for its estimate (a multiple of 3).
    let mut tag = [0u8; 33];
    let n = URL_SAFE_NO_PAD
        .decode_slice(tag_text.as_bytes(), &mut tag)
        .ok()?;
    let opens = |k: &ring::hmac::Key| ring::hmac::verify(k, body.as_bytes(), &tag[..n]).is_ok();
    let signer = if opens(&x.inner.state_key) {
        Signer::Current
    } else if x.inner.state_fallback_keys.iter().any(opens) {
        Signer::Fallback
    } else {
        return None;
    };
    // `anon.salt` or `anon.salt.static_key`: the ids have a fixed length,
    // so the parts are cut at their places (a `.` inside a part fails
    // the part's own check).
    let b = body.as_bytes();
    let anon = Id::parse(b.get(..ID_LEN)?)?;
    if b.get(ID_LEN) != Some(&b'.') {
        return None;
    }
    let salt = Id::parse(b.get(ID_LEN + 1..2 * ID_LEN + 1)?)?;
    let static_key = match b.get(2 * ID_LEN + 1..)? {
        [] => None,
        [b'.', k @ ..] if k.len() <= MAX_STATIC_KEY && k.iter().all(|&c| is_base64url(c)) => {
            Some(body[2 * ID_LEN + 2..].to_owned())
        }
        _ => return None,
    };
    let state = State {
        anon,
        salt,
        static_key,
        keys: false,
    };
    Some((state, signer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_22_base64url_characters_and_differ() {
        let (a, b) = (Id::random().expect("id"), Id::random().expect("id"));
        assert_eq!(a.as_str().len(), ID_LEN);
        assert!(a.as_str().bytes().all(is_base64url));
        assert!(a != b);
        assert!(Id::parse(a.as_str().as_bytes()) == Some(a));
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
        assert!(back.anon == s.anon && back.salt == s.salt && back.static_key.is_none());
        assert!(serde_json::from_str::<State>(r#"{"anon":"short","salt":"x"}"#).is_err());
    }

    #[test]
    fn reading_a_session_value_agrees_with_serde_json() {
        let s = State::fresh().expect("fresh state");
        let (a, b) = (s.anon.as_str(), s.salt.as_str());
        let with_key = State {
            static_key: Some("k".repeat(43)),
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
                        st.static_key,
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
        let line = HeaderValue::from_bytes(b"a=1; xsrf-state=\xff; xsrf-state=ok;;x")
            .expect("header value");
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
            .cookie_storage()
            .build()
            .expect("xsrf");
        let plain = State::fresh().expect("state");
        let keyed = State {
            static_key: Some("K".repeat(43)),
            ..plain.clone()
        };
        for state in [&plain, &keyed] {
            let sealed = seal_cookie(&x, state);
            let (opened, signer) = open_cookie(&x, &sealed).expect("opens");
            assert_eq!(signer, Signer::Current);
            assert!(opened.anon == state.anon && opened.salt == state.salt);
            assert_eq!(opened.static_key, state.static_key);
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
            let tag = ring::hmac::sign(&x.inner.state_key, body.as_bytes());
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
}
