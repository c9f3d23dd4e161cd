//! The record this crate keeps per session: the anonymous id, the salt
//! every token is bound to, the static key; and the subject a token is
//! issued to.

use arrayvec::ArrayString;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use xsrf_core::__private::Secret;
use xsrf_core::{Entropy as _, SystemEntropy};

use crate::error::XsrfError;

/// Session key under which the state is stored.
pub(crate) const SESSION_KEY: &str = "xsrf";

/// Random bytes in an [`Id`].
const ID_BYTES: usize = 16;

/// Their base64url length.
pub(super) const ID_LEN: usize = 22;

/// Upper bound of a stored static key (they are 43 characters).
pub(super) const MAX_STATIC_KEY: usize = 128;

/// A random id (16 bytes, 22 base64url characters), held inline: reading
/// state from a session or cookie allocates nothing for it.
///
/// No `PartialEq`: a salt is secret material, so `==` on ids does not
/// compile; compare [`Id::as_str`] through `xsrf_core::secret_eq`.
#[derive(Clone, Copy)]
pub(crate) struct Id(ArrayString<ID_LEN>);

impl Id {
    /// `None` only if base64 stopped encoding 16 bytes as 22 characters;
    /// the caller then fails the request rather than use a weaker id.
    pub(super) fn random() -> Option<Self> {
        let mut raw = [0u8; ID_BYTES];
        SystemEntropy.fill(&mut raw);
        let mut text = [0u8; ID_LEN];
        let written = URL_SAFE_NO_PAD.encode_slice(raw, &mut text).ok()?;
        Id::parse(&text[..written])
    }

    /// Accepts exactly 22 base64url characters (what [`Id::random`] makes).
    pub(super) fn parse(text: &[u8]) -> Option<Self> {
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

pub(super) fn is_base64url(b: u8) -> bool {
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

/// Serde for an optional [`Secret`] string: the text as it is.
mod secret_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use xsrf_core::__private::Secret;

    #[allow(clippy::ref_option)] // the signature serde's `with` calls
    pub(super) fn serialize<S: Serializer>(
        value: &Option<Secret<String>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.serialize_some(v.expose()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Secret<String>>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(Secret::new))
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
    /// Held as a [`Secret`]: no `==` on it compiles.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "secret_text")]
    pub(crate) static_key: Option<Secret<String>>,
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
