//! Signed, expiring tokens bound to a subject, a session and an action.
//!
//! # Format (version 1)
//!
//! ```text
//! byte  0       version (1)
//! bytes 1..5    key id (which key of the ring signed it)
//! bytes 5..13   issue time, unix seconds, big-endian
//! bytes 13..29  random nonce
//! bytes 29..61  HMAC-SHA256 tag
//! ```
//!
//! encoded as unpadded base64url: 82 characters, safe in headers, cookies,
//! form fields and HTML attributes without escaping.
//!
//! The tag covers bytes `0..29` followed by the subject, the session and the
//! action, each prefixed with its length as a 64-bit big-endian integer (the
//! action also by a presence byte), so no two different bindings produce the
//! same MAC input (`"ab" + "c"` vs `"a" + "bc"`). The bound values themselves
//! are not in the token: it reveals nothing about who it belongs to.
//!
//! The random nonce makes every token different, so a compressed response
//! never repeats a secret across requests (BREACH).

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use time::{Duration, OffsetDateTime};

use crate::{ConfigError, Entropy, KeyRing, Malformed, Rejection, SystemEntropy};

/// The token format version this build issues.
pub const VERSION: u8 = 1;
const HEADER_LEN: usize = 1 + 4 + 8 + NONCE_LEN;
const NONCE_LEN: usize = 16;
const TAG_LEN: usize = 32;
const RAW_LEN: usize = HEADER_LEN + TAG_LEN;
/// Length of an encoded token, in characters.
pub const ENCODED_LEN: usize = (RAW_LEN * 4).div_ceil(3);

/// What a token is bound to. A token verifies only against the same binding
/// it was issued for.
///
/// * `subject` — who: a user id, or the anonymous id of a visitor.
/// * `session` — which login: a per-session value that changes when the
///   session is rotated (login, logout), so tokens issued before stop
///   working even for the same user.
/// * `action` — what for (optional): a form name, or a method and path.
///   A token without an action is not valid for an action, and the reverse.
///
/// ```
/// use xsrf_core::Binding;
/// let b = Binding::new("user-42").session("s-1").action("delete-account");
/// assert_eq!(b.action_name(), Some("delete-account"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding<'a> {
    subject: &'a str,
    session: &'a str,
    action: Option<&'a str>,
}

impl<'a> Binding<'a> {
    /// A binding to `subject`, with an empty session and no action.
    pub fn new(subject: &'a str) -> Self {
        Self {
            subject,
            session: "",
            action: None,
        }
    }

    /// Binds to a session value as well.
    #[must_use]
    pub fn session(mut self, session: &'a str) -> Self {
        self.session = session;
        self
    }

    /// Scopes to an action.
    #[must_use]
    pub fn action(mut self, action: &'a str) -> Self {
        self.action = Some(action);
        self
    }

    /// Scopes to an action, or to none.
    #[must_use]
    pub fn maybe_action(mut self, action: Option<&'a str>) -> Self {
        self.action = action;
        self
    }

    /// The action this binding is scoped to.
    pub fn action_name(&self) -> Option<&'a str> {
        self.action
    }
}

/// An issued token: the text to hand to the client.
///
/// `Debug` is redacted; `Display` and [`Token::as_str`] give the text.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// The encoded token.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The encoded token, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(..)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Token {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// What a verified token tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verified {
    /// When the token was issued.
    pub issued_at: OffsetDateTime,
    /// Whether a fallback key (not the current one) signed it: a hint to
    /// send the client a fresh token.
    pub by_fallback_key: bool,
    /// Whether the client should be handed a fresh token now: this one is
    /// past half its lifetime, or was signed by a fallback key. A client
    /// that keeps using an app then never holds an expired token, and one
    /// that lives through a key rotation moves to the new key.
    pub refresh_due: bool,
}

/// Issues and verifies tokens with a key ring.
///
/// ```
/// use time::{Duration, OffsetDateTime};
/// use xsrf_core::{Binding, SigningKey, Rejection, Tokens};
///
/// let tokens = Tokens::builder(SigningKey::generate()?)
///     .timeout(Duration::hours(1))
///     .build()?;
/// let now = OffsetDateTime::now_utc();
/// let alice = Binding::new("alice").session("s1").action("post-comment");
///
/// let token = tokens.issue(&alice, now);
/// assert!(tokens.verify(token.as_str(), &alice, now).is_ok());
///
/// // Another user, another action, or too late: refused.
/// let mallory = Binding::new("mallory").session("s1").action("post-comment");
/// assert_eq!(tokens.verify(token.as_str(), &mallory, now), Err(Rejection::BadSignature));
/// let later = now + Duration::hours(2);
/// assert_eq!(tokens.verify(token.as_str(), &alice, later), Err(Rejection::Expired));
/// # Ok::<(), xsrf_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Tokens {
    ring: Arc<KeyRing>,
    /// `None`: tokens never expire (they still die with their session
    /// salt and their key).
    timeout: Option<Duration>,
    skew: Duration,
    entropy: Arc<dyn Entropy>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("ring", &self.ring)
            .field("timeout", &self.timeout)
            .field("skew", &self.skew)
            .finish_non_exhaustive()
    }
}

/// Builder for [`Tokens`]; see [`Tokens::builder`].
#[must_use]
pub struct TokensBuilder {
    ring: KeyRing,
    timeout: Option<Duration>,
    skew: Duration,
    entropy: Arc<dyn Entropy>,
}

impl TokensBuilder {
    /// How long a token stays valid. Default: one hour.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Tokens never expire: a token stays valid until its session is
    /// rotated (its session value changes) or its key leaves the ring.
    /// The issue time is still signed and still checked against the
    /// future, so the format does not change and turning expiry back on
    /// later applies to every token already out.
    ///
    /// ```
    /// use time::{Duration, OffsetDateTime};
    /// use xsrf_core::{Binding, SigningKey, Tokens};
    ///
    /// let tokens = Tokens::builder(SigningKey::generate()?).no_expiry().build()?;
    /// let now = OffsetDateTime::now_utc();
    /// let b = Binding::new("alice").session("s1");
    /// let t = tokens.issue(&b, now);
    /// assert!(tokens.verify(t.as_str(), &b, now + Duration::days(400)).is_ok());
    /// assert!(tokens.verify(t.as_str(), &Binding::new("alice").session("s2"), now).is_err());
    /// # Ok::<(), xsrf_core::ConfigError>(())
    /// ```
    pub fn no_expiry(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// How far in the future an issue time may lie, for clocks of several
    /// instances that disagree a little. Default: one minute.
    pub fn skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    /// The source of nonces. Default: [`SystemEntropy`].
    pub fn entropy(mut self, entropy: impl Entropy) -> Self {
        self.entropy = Arc::new(entropy);
        self
    }

    /// Checks the settings.
    pub fn build(self) -> Result<Tokens, ConfigError> {
        if self.timeout.is_some_and(|t| !t.is_positive()) {
            return Err(ConfigError::NonPositiveDuration("token timeout"));
        }
        if self.skew.is_negative() {
            return Err(ConfigError::NonPositiveDuration("clock skew"));
        }
        Ok(Tokens {
            ring: Arc::new(self.ring),
            timeout: self.timeout,
            skew: self.skew,
            entropy: self.entropy,
        })
    }
}

impl Tokens {
    /// Default token lifetime.
    pub const DEFAULT_TIMEOUT: Duration = Duration::hours(1);
    /// Default allowed clock skew.
    pub const DEFAULT_SKEW: Duration = Duration::minutes(1);

    /// Starts a builder over a key ring (or a single key).
    pub fn builder(ring: impl Into<KeyRing>) -> TokensBuilder {
        TokensBuilder {
            ring: ring.into(),
            timeout: Some(Self::DEFAULT_TIMEOUT),
            skew: Self::DEFAULT_SKEW,
            entropy: Arc::new(SystemEntropy),
        }
    }

    /// The configured timeout; `None` when tokens never expire.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The key ring.
    pub fn ring(&self) -> &KeyRing {
        &self.ring
    }

    /// Issues a fresh token for `binding` at time `now`, signed with the
    /// ring's current key.
    pub fn issue(&self, binding: &Binding<'_>, now: OffsetDateTime) -> Token {
        let key = self.ring.current();
        let mut raw = [0u8; RAW_LEN];
        raw[0] = VERSION;
        raw[1..5].copy_from_slice(key.id().as_bytes());
        // Before 1970 only on a broken clock; such tokens are simply old.
        let issued = u64::try_from(now.unix_timestamp()).unwrap_or(0);
        raw[5..13].copy_from_slice(&issued.to_be_bytes());
        self.entropy.fill(&mut raw[13..HEADER_LEN]);
        let (header, tag_out) = raw.split_at_mut(HEADER_LEN);
        let tag = mac(key.token_key(), header, binding);
        tag_out.copy_from_slice(tag.as_ref());
        Token(URL_SAFE_NO_PAD.encode(raw))
    }

    /// Checks `token` against `binding` at time `now`.
    ///
    /// Work is bounded whatever the input: anything but exactly
    /// [`ENCODED_LEN`] characters is refused before decoding. The MAC is
    /// checked (in constant time) before the time, so `Expired` and
    /// `FromFuture` are only reported for tokens this service really issued.
    pub fn verify(
        &self,
        token: &str,
        binding: &Binding<'_>,
        now: OffsetDateTime,
    ) -> Result<Verified, Rejection> {
        let raw = decode(token)?;
        let (header, tag) = raw.split_at(HEADER_LEN);
        let mut id = [0u8; 4];
        id.copy_from_slice(&header[1..5]);
        let current = self.ring.current().id();
        let mut known = false;
        let mut signer = None;
        for key in self.ring.with_id(id) {
            known = true;
            if mac_matches(key.token_key(), header, binding, tag) {
                signer = Some(key.id() != current);
                break;
            }
        }
        let by_fallback_key = match signer {
            Some(fallback) => fallback,
            None if known => return Err(Rejection::BadSignature),
            None => return Err(Rejection::UnknownKey),
        };
        let mut secs = [0u8; 8];
        secs.copy_from_slice(&header[5..13]);
        let issued = i64::try_from(u64::from_be_bytes(secs)).map_err(|_| Rejection::FromFuture)?;
        // Exact to the nanosecond, as `OffsetDateTime` differences are, but
        // in integers: no calendar arithmetic on the hot path.
        let issued_ns = i128::from(issued) * 1_000_000_000;
        let now_ns = now.unix_timestamp_nanos();
        if issued_ns - now_ns > self.skew.whole_nanoseconds() {
            return Err(Rejection::FromFuture);
        }
        let age_ns = now_ns - issued_ns;
        let past_half = match self.timeout {
            Some(timeout) => {
                let timeout_ns = timeout.whole_nanoseconds();
                if age_ns > timeout_ns {
                    return Err(Rejection::Expired);
                }
                age_ns > timeout_ns / 2
            }
            None => false,
        };
        let issued_at =
            OffsetDateTime::from_unix_timestamp(issued).map_err(|_| Rejection::FromFuture)?;
        Ok(Verified {
            issued_at,
            by_fallback_key,
            refresh_due: by_fallback_key || past_half,
        })
    }
}

/// Parses the outer format: length, encoding, version.
fn decode(token: &str) -> Result<[u8; RAW_LEN], Rejection> {
    if token.len() != ENCODED_LEN {
        return Err(if token.is_empty() {
            Rejection::Missing
        } else if token.trim().is_empty() {
            Rejection::Malformed(Malformed::Blank)
        } else {
            Rejection::Malformed(Malformed::Length)
        });
    }
    // decode_slice wants room for its estimate (a multiple of 3).
    let mut buf = [0u8; RAW_LEN.div_ceil(3) * 3];
    let n = URL_SAFE_NO_PAD
        .decode_slice(token.as_bytes(), &mut buf)
        .map_err(|_| {
            // Blank is checked only once the input is not a token: valid
            // tokens skip the scan.
            Rejection::Malformed(if token.trim().is_empty() {
                Malformed::Blank
            } else {
                Malformed::Encoding
            })
        })?;
    if n != RAW_LEN {
        return Err(Rejection::Malformed(Malformed::Length));
    }
    if buf[0] != VERSION {
        return Err(Rejection::Malformed(Malformed::Version));
    }
    let mut raw = [0u8; RAW_LEN];
    raw.copy_from_slice(&buf[..RAW_LEN]);
    Ok(raw)
}

/// Somewhere the MAC input is written to: a stack buffer, a running HMAC
/// context, or a `Vec` (for benchmarks).
trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for hmac::Context {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// A fixed stack buffer; `None` once the input does not fit.
struct Stack<'b> {
    buf: &'b mut [u8],
    len: Option<usize>,
}

impl Sink for Stack<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.len = self.len.and_then(|len| {
            let end = len.checked_add(bytes.len())?;
            self.buf.get_mut(len..end)?.copy_from_slice(bytes);
            Some(end)
        });
    }
}

/// Writes header, then each bound value with its length (and the action's
/// presence) so that field boundaries are unambiguous.
fn write_input(sink: &mut impl Sink, header: &[u8], binding: &Binding<'_>) {
    sink.put(header);
    for value in [binding.subject, binding.session] {
        sink.put(&(value.len() as u64).to_be_bytes());
        sink.put(value.as_bytes());
    }
    match binding.action {
        None => sink.put(&[0]),
        Some(action) => {
            sink.put(&[1]);
            sink.put(&(action.len() as u64).to_be_bytes());
            sink.put(action.as_bytes());
        }
    }
}

fn mac(key: &hmac::Key, header: &[u8], binding: &Binding<'_>) -> hmac::Tag {
    let mut buf = [0u8; STACK_INPUT];
    match stack_input(&mut buf, header, binding) {
        Some(input) => hmac::sign(key, input),
        None => long_mac(key, header, binding),
    }
}

/// Whether `tag` is the MAC of the input, compared in constant time (by
/// ring's `verify` for the common, stack-held input).
fn mac_matches(key: &hmac::Key, header: &[u8], binding: &Binding<'_>, tag: &[u8]) -> bool {
    let mut buf = [0u8; STACK_INPUT];
    match stack_input(&mut buf, header, binding) {
        Some(input) => hmac::verify(key, input, tag).is_ok(),
        None => crate::secret_eq(long_mac(key, header, binding).as_ref(), tag),
    }
}

/// Typical inputs are ~100 bytes: one contiguous `sign` over a stack copy
/// is cheaper than feeding an HMAC context seven small slices.
const STACK_INPUT: usize = 256;

fn stack_input<'b>(
    buf: &'b mut [u8; STACK_INPUT],
    header: &[u8],
    binding: &Binding<'_>,
) -> Option<&'b [u8]> {
    let mut stack = Stack {
        buf: &mut buf[..],
        len: Some(0),
    };
    write_input(&mut stack, header, binding);
    let len = stack.len?;
    buf.get(..len)
}

/// Inputs too long for the stack (a very long user id or action).
fn long_mac(key: &hmac::Key, header: &[u8], binding: &Binding<'_>) -> hmac::Tag {
    let mut ctx = hmac::Context::with_key(key);
    write_input(&mut ctx, header, binding);
    ctx.sign()
}

/// The exact bytes the MAC of a token covers, for benchmarks that compare
/// against raw HMAC over the same input.
#[doc(hidden)]
pub fn mac_input(token: &str, binding: &Binding<'_>) -> Option<Vec<u8>> {
    let raw = decode(token).ok()?;
    let mut out = Vec::new();
    write_input(&mut out, &raw[..HEADER_LEN], binding);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SigningKey;
    use time::macros::datetime;

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
}
