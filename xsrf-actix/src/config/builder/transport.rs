//! Transport: where tokens travel (headers, form fields, body scan) and
//! the static key header.

use super::XsrfBuilder;
use crate::config::{BodyWait, Source};

impl XsrfBuilder {
    /// The header tokens travel in (default `X-XSRF-Token`).
    pub fn header_name(mut self, name: impl Into<String>) -> Self {
        self.header = name.into();
        self
    }

    /// The form field tokens are read from (default `xsrf_token`); also the
    /// name of the top-level field read from JSON bodies.
    pub fn field_name(mut self, name: impl Into<String>) -> Self {
        self.field = name.into();
        self
    }

    /// Also accepts tokens in header `name` (repeatable), for a migration
    /// whose clients still send another header (Django's `X-CSRFToken`).
    /// Tokens are only ever *sent* in the main [header](Self::header_name).
    /// A request carrying tokens in several accepted headers must carry
    /// the same token in each, or it is refused as conflicting. Such a
    /// header counts as the main one does everywhere: a JSON body sent
    /// with it is not read for a token.
    ///
    /// ```
    /// use xsrf_actix::{SigningKey, Xsrf};
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .also_accept_header("X-CSRFToken")
    ///     .build()?;
    /// assert_eq!(xsrf.header_name().as_str(), "x-xsrf-token");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn also_accept_header(mut self, name: impl Into<String>) -> Self {
        self.extra_headers.push(name.into());
        self
    }

    /// Where tokens are read from (default header and form). Including
    /// [`Source::Cookie`] turns on double submit.
    pub fn sources(mut self, sources: impl IntoIterator<Item = Source>) -> Self {
        self.sources = sources.into_iter().collect();
        self
    }

    /// Most body bytes read while looking for a token in a form or JSON
    /// body (default 64 KiB). The scan reads on to the end of the body or
    /// to this limit, so a second token field within it is a conflict;
    /// the handler still gets the whole body.
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
    /// use xsrf_actix::{BodyWait, SigningKey, Xsrf};
    /// use xsrf_actix::time::Duration;
    ///
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .body_wait(BodyWait::new(Duration::seconds(10), 1024))
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn body_wait(mut self, wait: BodyWait) -> Self {
        self.body_wait = wait;
        self
    }

    /// The header of the static session key (default `Sec-Xsrf-Static-Key`;
    /// must start with `Sec-`).
    pub fn static_key_header(mut self, name: impl Into<String>) -> Self {
        self.static_header = name.into();
        self
    }
}
