//! Why a request was refused.

/// The reason a request was refused, as data.
///
/// `Display` gives a short sentence that is safe to log and to show to the
/// client: it never contains a token, a key, a session id or any other
/// value taken from the request.
///
/// A forged token, a tampered one and one issued for another user, session
/// or action all end as [`Rejection::BadSignature`]: the token carries none
/// of those values (so it leaks none), and the MAC over them is the only
/// thing that can tell, with a single yes or no.
///
/// ```
/// use xsrf_core::{OriginRejection, Rejection};
/// assert_eq!(Rejection::Expired.to_string(), "XSRF token expired");
/// let origin = Rejection::Origin(OriginRejection::CrossSite);
/// assert_eq!(origin.to_string(), "cross-origin request refused: Sec-Fetch-Site is cross-site");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// No token anywhere the configuration looks.
    #[error("XSRF token missing")]
    Missing,
    /// Something that is not a token of a known format.
    #[error("XSRF token malformed: {0}")]
    Malformed(Malformed),
    /// Signed with a key that is not (or no longer) in the key ring.
    #[error("XSRF token signed with a key that is no longer accepted")]
    UnknownKey,
    /// The MAC does not match: forged, tampered with, or issued for another
    /// user, session or action.
    #[error("XSRF token invalid for this session or action")]
    BadSignature,
    /// Older than the configured timeout.
    #[error("XSRF token expired")]
    Expired,
    /// Dated further in the future than the allowed clock skew.
    #[error("XSRF token issued in the future")]
    FromFuture,
    /// The request has no XSRF session state to check the token against: the
    /// session cookie is missing, expired or was tampered with.
    #[error("no XSRF session (session cookie missing or invalid)")]
    NoSession,
    /// Two places in the request carry different tokens.
    #[error("XSRF tokens in the request disagree")]
    Conflicting,
    /// The token was only found in the URL's query string, where tokens
    /// leak into logs, history and `Referer` headers.
    #[error("XSRF token must not be sent in the URL")]
    InQueryString,
    /// Refused by the origin / fetch-metadata policy.
    #[error("cross-origin request refused: {0}")]
    Origin(OriginRejection),
    /// A one-time key that does not exist: never issued, already used,
    /// purged, or cleared with its session.
    #[error("one-time key unknown or already used")]
    AlreadyUsed,
    /// A one-time key past its lifetime (now deleted).
    #[error("one-time key expired")]
    KeyExpired,
    /// A session-bound one-time key presented from another session. The key
    /// stays valid for its owner.
    #[error("one-time key belongs to another session")]
    OtherSession,
    /// The data stored with a one-time key is not of the expected type.
    #[error("one-time key data does not match the expected type")]
    DataMismatch,
    /// The key store could not be reached; validation fails closed.
    #[error("XSRF key store unavailable")]
    StoreUnavailable,
    /// No room for a new one-time key: the store holds as many unbound
    /// keys as it may (or, in memory, as many keys in all), even after
    /// dropping expired ones. Existing keys are untouched; try later.
    #[error("one-time key store full, try again later")]
    StoreFull,
    /// A static session key that is absent, wrong or not this session's.
    #[error("static session key invalid")]
    StaticKeyMismatch,
    /// The body had to be read to find the token and exceeded the limit.
    /// The message names the two fixes: forms put the hidden field before
    /// file inputs and large fields (browsers send fields in page order),
    /// scripts send the token in the header.
    #[error(
        "no XSRF token within the body's scan limit: put the token field before files and large fields, or send the token in the header"
    )]
    BodyTooLarge,
    /// The body could not be read or parsed while looking for the token.
    #[error("request body unreadable: {0}")]
    BodyUnreadable(BodyProblem),
    /// The body had to be read to find the token and arrived too slowly:
    /// a pause between two pieces longer than the idle limit, or less than
    /// the minimum rate on average; answered with `408 Request Timeout`
    /// and the connection closed. The client may send the request again.
    #[error("request body arrived too slowly to be read for the XSRF token")]
    BodyTimeout,
}

impl Rejection {
    /// A short, stable, machine-readable name of the reason (lowercase,
    /// words joined by `-`), for clients deciding how to recover: the
    /// default refusal carries it in the `X-XSRF-Rejection` header. An SPA
    /// that sees `expired` fetches a fresh token and retries once.
    ///
    /// ```
    /// use xsrf_core::{OriginRejection, Rejection};
    /// assert_eq!(Rejection::Expired.code(), "expired");
    /// assert_eq!(Rejection::NoSession.code(), "no-session");
    /// assert_eq!(Rejection::Origin(OriginRejection::CrossSite).code(), "origin");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::Missing => "missing",
            Rejection::Malformed(_) => "malformed",
            Rejection::UnknownKey => "unknown-key",
            Rejection::BadSignature => "bad-signature",
            Rejection::Expired => "expired",
            Rejection::FromFuture => "from-future",
            Rejection::NoSession => "no-session",
            Rejection::Conflicting => "conflicting",
            Rejection::InQueryString => "in-query-string",
            Rejection::Origin(_) => "origin",
            Rejection::AlreadyUsed => "already-used",
            Rejection::KeyExpired => "key-expired",
            Rejection::OtherSession => "other-session",
            Rejection::DataMismatch => "data-mismatch",
            Rejection::StoreUnavailable => "store-unavailable",
            Rejection::StoreFull => "store-full",
            Rejection::StaticKeyMismatch => "static-key-mismatch",
            Rejection::BodyTooLarge => "body-too-large",
            Rejection::BodyUnreadable(_) => "body-unreadable",
            Rejection::BodyTimeout => "body-timeout",
        }
    }
}

impl Rejection {
    /// Whether report-only mode may let a request refused for this reason
    /// through (to be logged, counted and marked with `X-XSRF-Report-Only`)
    /// instead of refusing it.
    ///
    /// Report-only exists to learn, before enforcing, which of an app's own
    /// clients would be refused: clients that send no token, a stale one,
    /// one in the wrong place, a body the scanner cannot read, or a request
    /// from an origin the configuration does not trust yet. Those reasons
    /// are about *where a request came from*, and are reportable.
    ///
    /// One-time keys are never report-only: a replayed, unknown, expired or
    /// foreign key, data of the wrong type, and a store that cannot be
    /// reached or is full refuse in both modes, because such a key guards
    /// what the handler does (a reset link used twice), not where the
    /// request came from, and the handler has no key to act on.
    ///
    /// | reportable | enforced in both modes |
    /// |---|---|
    /// | `missing`, `malformed`, `unknown-key`, `bad-signature`, `expired`, `from-future`, `no-session`, `conflicting`, `in-query-string`, `origin`, `static-key-mismatch`, `body-too-large`, `body-unreadable` | `already-used`, `key-expired`, `other-session`, `data-mismatch`, `store-unavailable`, `store-full` |
    ///
    /// ```
    /// use xsrf_core::{OriginRejection, Rejection};
    /// assert!(Rejection::Missing.is_reportable());
    /// assert!(Rejection::Origin(OriginRejection::CrossSite).is_reportable());
    /// assert!(!Rejection::AlreadyUsed.is_reportable());
    /// assert!(!Rejection::StoreUnavailable.is_reportable());
    /// assert!(!Rejection::BodyTimeout.is_reportable());
    /// ```
    pub fn is_reportable(&self) -> bool {
        match self {
            Rejection::Missing
            | Rejection::Malformed(_)
            | Rejection::UnknownKey
            | Rejection::BadSignature
            | Rejection::Expired
            | Rejection::FromFuture
            | Rejection::NoSession
            | Rejection::Conflicting
            | Rejection::InQueryString
            | Rejection::Origin(_)
            | Rejection::StaticKeyMismatch
            | Rejection::BodyTooLarge
            | Rejection::BodyUnreadable(_) => true,
            Rejection::AlreadyUsed
            | Rejection::KeyExpired
            | Rejection::OtherSession
            | Rejection::DataMismatch
            | Rejection::StoreUnavailable
            | Rejection::StoreFull
            | Rejection::BodyTimeout => false,
        }
    }
}

/// How a token failed to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// Blank or whitespace.
    #[error("blank")]
    Blank,
    /// Not the length of any token version.
    #[error("wrong length")]
    Length,
    /// Not canonical unpadded base64url.
    #[error("bad encoding")]
    Encoding,
    /// A version byte this build does not know.
    #[error("unknown version")]
    Version,
}

/// Why a request body could not be scanned for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum BodyProblem {
    /// The stream failed or ended early.
    #[error("stream interrupted")]
    Interrupted,
    /// A multipart body that ends before its closing boundary, or lacks one.
    #[error("malformed multipart")]
    Multipart,
    /// A content type with a charset other than UTF-8 / ASCII.
    #[error("unsupported charset")]
    Charset,
    /// A field value that is not valid UTF-8 after decoding.
    #[error("invalid encoding")]
    Encoding,
    /// A `Content-Encoding` (gzip, ...) the scanner does not undo.
    #[error("compressed body")]
    Compressed,
    /// A `Content-Type` that does not parse, or multipart without a boundary.
    #[error("invalid content type")]
    ContentType,
    /// A multipart part whose header block is larger than browsers ever
    /// send (8 KiB); answered with `400 Bad Request`.
    #[error("multipart part headers too large")]
    PartHeadersTooLarge,
    /// A JSON body that is not valid JSON within the scanned part.
    #[error("invalid JSON")]
    Json,
    /// A top-level JSON field named like the token field whose value is not
    /// a string.
    #[error("JSON token field is not a string")]
    JsonTokenNotString,
}

/// Which origin / fetch-metadata check refused the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum OriginRejection {
    /// `Sec-Fetch-Site: cross-site` and the `Origin` is not trusted.
    #[error("Sec-Fetch-Site is cross-site")]
    CrossSite,
    /// `Sec-Fetch-Site: same-site` (a sibling subdomain or another port) and
    /// the `Origin` is not trusted.
    #[error("Sec-Fetch-Site is same-site but the origin is not trusted")]
    SameSite,
    /// `Origin` names another origin.
    #[error("Origin does not match")]
    OriginMismatch,
    /// `Origin: null` (sandboxed frames, some redirects, `file:` pages).
    #[error("Origin is null")]
    NullOrigin,
    /// `Origin` is not a serialized origin (`scheme://host[:port]`).
    #[error("Origin is malformed")]
    MalformedOrigin,
    /// An HTTPS site got neither `Origin` nor `Referer`.
    #[error("Referer required on HTTPS")]
    MissingReferer,
    /// `Referer` names another origin.
    #[error("Referer does not match")]
    RefererMismatch,
    /// `Referer` is not an absolute http(s) URL without credentials.
    #[error("Referer is malformed")]
    MalformedReferer,
}
