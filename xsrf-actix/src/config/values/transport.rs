//! [`Transport`]: where tokens travel; [`Source`]: where one may be read.

use crate::config::BodyWait;

/// Where a token may be read from ([`Transport::sources`],
/// [`Check::source`](crate::Check::source), `#[handle_token(source = ..)]`).
///
/// ```
/// use xsrf_actix::{Source, Transport};
/// // Double submit: the header or form token must match the token cookie.
/// let transport = Transport::new().sources([Source::Header, Source::Form, Source::Cookie]);
/// # let _ = transport;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// The token header (`X-XSRF-Token` by default; header names are
    /// case-insensitive, so axios' `X-XSRF-TOKEN` is the same header).
    Header,
    /// A form field (`xsrf_token` by default) of an
    /// `application/x-www-form-urlencoded` or `multipart/form-data` body,
    /// or a top-level string field of that name in an `application/json`
    /// (or `*/*+json`) body sent without the token header.
    Form,
    /// Double submit: the token cookie (`XSRF-TOKEN`) must also be present
    /// and equal to the token sent in the header or form. A cookie alone
    /// never counts: browsers attach it to forged requests too.
    Cookie,
}

/// Where tokens travel, for
/// [`XsrfBuilder::transport`](crate::XsrfBuilder::transport): the token
/// header and form field, the headers also accepted during a migration,
/// the sources a check reads, how far a body is scanned, and the static
/// key header. [`Transport::new()`] is the default; each method changes
/// one thing.
///
/// Names are checked by [`build`](crate::XsrfBuilder::build): a header or
/// field name with characters a header name may not hold, a static key
/// header without the `Sec-` prefix, no source or the cookie as the only
/// source, or a scan limit under 1 KiB is a
/// [`BuildError`](crate::BuildError).
///
/// ```
/// use xsrf_actix::{SigningKey, Transport, Xsrf};
/// // Coming from Django: its field and header names.
/// let xsrf = Xsrf::builder()
///     .secret(SigningKey::generate()?)
///     .transport(Transport::new().field("csrfmiddlewaretoken").header("X-CSRFToken"))
///     .build()?;
/// assert_eq!(xsrf.field_name(), "csrfmiddlewaretoken");
/// assert_eq!(xsrf.header_name().as_str(), "x-csrftoken");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transport {
    pub(in crate::config) header: String,
    pub(in crate::config) field: String,
    pub(in crate::config) also_accept: Vec<String>,
    pub(in crate::config) sources: Vec<Source>,
    pub(in crate::config) scan_limit: usize,
    pub(in crate::config) body_wait: BodyWait,
    pub(in crate::config) static_key_header: String,
}

impl Transport {
    /// Default header carrying tokens both ways (flask-xsrf's name).
    ///
    /// ```
    /// assert_eq!(xsrf_actix::Transport::DEFAULT_HEADER, "X-XSRF-Token");
    /// ```
    pub const DEFAULT_HEADER: &'static str = "X-XSRF-Token";

    /// Default form field.
    ///
    /// ```
    /// assert_eq!(xsrf_actix::Transport::DEFAULT_FIELD, "xsrf_token");
    /// ```
    pub const DEFAULT_FIELD: &'static str = "xsrf_token";

    /// Default body scan limit: 64 KiB, enough for any form that puts the
    /// token first, small enough that a flood of large bodies costs little.
    ///
    /// ```
    /// assert_eq!(xsrf_actix::Transport::DEFAULT_SCAN_LIMIT, 64 * 1024);
    /// ```
    pub const DEFAULT_SCAN_LIMIT: usize = 64 * 1024;

    /// Default header of the static session key. Browsers forbid page
    /// scripts to set any `Sec-` request header.
    ///
    /// ```
    /// assert_eq!(xsrf_actix::Transport::DEFAULT_STATIC_KEY_HEADER, "Sec-Xsrf-Static-Key");
    /// ```
    pub const DEFAULT_STATIC_KEY_HEADER: &'static str = "Sec-Xsrf-Static-Key";

    /// The value sent in place of a token to say "use my static session
    /// key" (see [`Xsrf::reveal_static_key`](crate::Xsrf::reveal_static_key)).
    ///
    /// ```
    /// assert_eq!(xsrf_actix::Transport::STATIC_KEY_MARKER, "STATIC_SESSION_KEY");
    /// ```
    pub const STATIC_KEY_MARKER: &'static str = "STATIC_SESSION_KEY";

    /// The defaults: tokens in [`DEFAULT_HEADER`](Self::DEFAULT_HEADER) and
    /// [`DEFAULT_FIELD`](Self::DEFAULT_FIELD), read from the header and
    /// the form ([`Source::Header`], [`Source::Form`]), bodies scanned up
    /// to [`DEFAULT_SCAN_LIMIT`](Self::DEFAULT_SCAN_LIMIT).
    ///
    /// ```
    /// use xsrf_actix::Transport;
    /// assert_eq!(Transport::new(), Transport::default());
    /// ```
    pub fn new() -> Self {
        Self {
            header: Self::DEFAULT_HEADER.to_owned(),
            field: Self::DEFAULT_FIELD.to_owned(),
            also_accept: Vec::new(),
            sources: vec![Source::Header, Source::Form],
            scan_limit: Self::DEFAULT_SCAN_LIMIT,
            body_wait: BodyWait::default(),
            static_key_header: Self::DEFAULT_STATIC_KEY_HEADER.to_owned(),
        }
    }

    /// The header tokens travel in, both ways (default `X-XSRF-Token`).
    ///
    /// ```
    /// use xsrf_actix::Transport;
    /// let transport = Transport::new().header("X-CSRF-Token");
    /// # let _ = transport;
    /// ```
    pub fn header(mut self, name: impl Into<String>) -> Self {
        self.header = name.into();
        self
    }

    /// The form field tokens are read from (default `xsrf_token`); also the
    /// name of the top-level field read from JSON bodies.
    ///
    /// ```
    /// use xsrf_actix::Transport;
    /// let transport = Transport::new().field("csrf_token");
    /// # let _ = transport;
    /// ```
    pub fn field(mut self, name: impl Into<String>) -> Self {
        self.field = name.into();
        self
    }

    /// Also accepts tokens in header `name` (repeatable), for a migration
    /// whose clients still send another header (Django's `X-CSRFToken`).
    /// Tokens are only ever *sent* in the main [header](Self::header). A
    /// request carrying tokens in several accepted headers must carry the
    /// same token in each, or it is refused as conflicting.
    ///
    /// ```
    /// use xsrf_actix::{SigningKey, Transport, Xsrf};
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .transport(Transport::new().also_accept_header("X-CSRFToken"))
    ///     .build()?;
    /// assert_eq!(xsrf.header_name().as_str(), "x-xsrf-token");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn also_accept_header(mut self, name: impl Into<String>) -> Self {
        self.also_accept.push(name.into());
        self
    }

    /// Where tokens are read from (default header and form). Including
    /// [`Source::Cookie`] turns on double submit.
    ///
    /// ```
    /// use xsrf_actix::{Source, Transport};
    /// // An API that only ever sends the header.
    /// let transport = Transport::new().sources([Source::Header]);
    /// # let _ = transport;
    /// ```
    pub fn sources(mut self, sources: impl IntoIterator<Item = Source>) -> Self {
        self.sources = sources.into_iter().collect();
        self
    }

    /// Most body bytes read while looking for a token in a form or JSON
    /// body (default 64 KiB, at least 1 KiB). The scan reads on to the end
    /// of the body or to this limit, so a second token field within it is
    /// a conflict; the handler still gets the whole body.
    ///
    /// ```
    /// use xsrf_actix::Transport;
    /// let transport = Transport::new().scan_limit(16 * 1024);
    /// # let _ = transport;
    /// ```
    pub fn scan_limit(mut self, bytes: usize) -> Self {
        self.scan_limit = bytes;
        self
    }

    /// How long the middleware waits for a body it reads for the token
    /// (default: 20 s idle between two pieces, 500 bytes a second on
    /// average; see [`BodyWait`] for the rule and why these defaults).
    /// Past it the request gets `408 Request Timeout` with
    /// `X-XSRF-Rejection: body-timeout`, its handler does not run, and the
    /// connection is closed.
    ///
    /// ```
    /// use xsrf_actix::time::Duration;
    /// use xsrf_actix::{BodyWait, SigningKey, Transport, Xsrf};
    ///
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .transport(Transport::new().body_wait(BodyWait::new(Duration::seconds(10), 1024)))
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn body_wait(mut self, wait: BodyWait) -> Self {
        self.body_wait = wait;
        self
    }

    /// The header of the static session key (default `Sec-Xsrf-Static-Key`;
    /// must start with `Sec-`).
    ///
    /// ```
    /// use xsrf_actix::Transport;
    /// let transport = Transport::new().static_key_header("Sec-Shop-Key");
    /// # let _ = transport;
    /// ```
    pub fn static_key_header(mut self, name: impl Into<String>) -> Self {
        self.static_key_header = name.into();
        self
    }
}

impl Default for Transport {
    fn default() -> Self {
        Self::new()
    }
}
