//! Issuing and verifying: [`Tokens`] and its builder.

use std::fmt;
use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use super::binding::Binding;
use super::codec::{
    HEADER_LEN, ISSUED, RAW_LEN, Token, VERSION, decode, encode, issued_at, issued_of,
};
use super::mac::{mac, mac_matches};
use crate::{ConfigError, Entropy, KeyRing, Rejection, SystemEntropy};

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

    /// Whether the issue time written in `token` lies further back than
    /// the lifetime at `now`, read **without checking the tag**: anyone
    /// can write any time into a token, so this is never a verdict, only a
    /// cheap hint, for deciding whether to keep something for the rare
    /// request that [`verify`](Self::verify) will then refuse as
    /// [`Rejection::Expired`] (`xsrf-actix` keeps the fields of such a form
    /// post for the page that sends them again). `false` for anything that
    /// is not a token of this format, and when tokens never expire.
    ///
    /// Allocation-free and bounded, like [`verify`](Self::verify)'s first
    /// step: anything but [`ENCODED_LEN`](crate::ENCODED_LEN) characters is
    /// answered at once.
    ///
    /// ```
    /// use time::{Duration, OffsetDateTime};
    /// use xsrf_core::{Binding, Rejection, SigningKey, Tokens};
    ///
    /// let tokens = Tokens::builder(SigningKey::generate()?).timeout(Duration::hours(1)).build()?;
    /// let now = OffsetDateTime::now_utc();
    /// let b = Binding::new("alice").session("s1");
    /// let t = tokens.issue(&b, now);
    /// assert!(!tokens.seems_expired(t.as_str(), now));
    /// let later = now + Duration::hours(2);
    /// assert!(tokens.seems_expired(t.as_str(), later));
    /// assert_eq!(tokens.verify(t.as_str(), &b, later), Err(Rejection::Expired));
    /// // A hint only: another session's token seems expired just the same,
    /// // and `verify` refuses it for what it is.
    /// let other = Binding::new("alice").session("s2");
    /// assert_eq!(tokens.verify(t.as_str(), &other, later), Err(Rejection::BadSignature));
    /// assert!(!tokens.seems_expired("junk", later));
    /// # Ok::<(), xsrf_core::ConfigError>(())
    /// ```
    pub fn seems_expired(&self, token: &str, now: OffsetDateTime) -> bool {
        let Some(timeout) = self.timeout else {
            return false;
        };
        // Asked of every form post, nearly all of them fresh: the issue
        // time is read from the first characters alone, and only a token
        // that seems expired by them is decoded whole (the same bytes give
        // the same time), so that anything `verify` would call malformed
        // still answers `false`.
        let Some(issued) = issued_at(token).and_then(|s| i64::try_from(s).ok()) else {
            return false;
        };
        let age_ns = now.unix_timestamp_nanos() - i128::from(issued) * 1_000_000_000;
        age_ns > timeout.whole_nanoseconds() && decode(token).is_ok()
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
        raw[ISSUED].copy_from_slice(&issued.to_be_bytes());
        self.entropy.fill(&mut raw[13..HEADER_LEN]);
        let (header, tag_out) = raw.split_at_mut(HEADER_LEN);
        let tag = mac(key.token_key(), header, binding);
        tag_out.copy_from_slice(tag.as_ref());
        encode(&raw)
    }

    /// Checks `token` against `binding` at time `now`.
    ///
    /// Work is bounded whatever the input: anything but exactly
    /// [`ENCODED_LEN`](crate::ENCODED_LEN) characters is refused before decoding. The MAC is
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
        let issued = i64::try_from(issued_of(header)).map_err(|_| Rejection::FromFuture)?;
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
