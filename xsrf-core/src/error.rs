//! Errors in configuration, reported when a value is built, never per request.

/// A setting that would make the protection weaker than it claims, or that
/// cannot be understood. Returned by constructors and `build()` methods.
///
/// ```
/// use xsrf_core::{ConfigError, SigningKey};
/// // 16 bytes: refused at start-up, with the reason, never per request.
/// let err = SigningKey::from_bytes(&[7; 16]).err();
/// assert_eq!(err, Some(ConfigError::KeyTooShort { len: 16, min: 32 }));
/// assert_eq!(
///     err.map(|e| e.to_string()).as_deref(),
///     Some("signing key is 16 bytes; at least 32 are required")
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A signing key shorter than 32 bytes (256 bits).
    #[error("signing key is {len} bytes; at least {min} are required")]
    KeyTooShort {
        /// Bytes given.
        len: usize,
        /// Bytes required.
        min: usize,
    },
    /// A signing key longer than the accepted maximum.
    #[error("signing key is {len} bytes; at most {max} are accepted")]
    KeyTooLong {
        /// Bytes given.
        len: usize,
        /// Bytes accepted.
        max: usize,
    },
    /// The base64 text of a key could not be decoded.
    #[error("signing key is not valid base64 (standard or URL-safe alphabet)")]
    KeyNotBase64,
    /// An environment variable meant to hold a key is missing or not unicode.
    #[error("environment variable {0} is not set or not valid unicode")]
    MissingEnv(String),
    /// The operating system's random generator failed.
    #[error("the system random generator failed")]
    Random,
    /// A timeout or duration that is zero or negative.
    #[error("{0} must be positive")]
    NonPositiveDuration(&'static str),
    /// A configured origin that is not `scheme://host[:port]`.
    #[error("origin {value:?} is not valid: {reason}")]
    BadOrigin {
        /// What was given.
        value: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// An exemption rule that is not `PATH` or `METHOD PATH` with a
    /// canonical path.
    #[error("exemption {value:?} is not valid: {reason}")]
    BadExemption {
        /// What was given.
        value: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A one-time key length under 64 bits of entropy.
    #[error("one-time keys of {len} characters carry {bits} bits; at least 64 are required")]
    KeyLengthTooShort {
        /// Characters asked for.
        len: usize,
        /// Bits of entropy that gives.
        bits: usize,
    },
    /// A one-time key length over the accepted maximum.
    #[error("one-time keys longer than {max} characters are not supported")]
    KeyLengthTooLong {
        /// Characters accepted.
        max: usize,
    },
}
