//! Transport: where tokens travel (headers, form fields, body scan) and
//! the static key header.

use super::XsrfBuilder;
use crate::config::Transport;

impl XsrfBuilder {
    /// Where tokens travel: header and field names, headers also accepted
    /// during a migration, the sources a check reads, the body scan limit
    /// and the static key header (default [`Transport::new()`]: the
    /// `X-XSRF-Token` header and the `xsrf_token` field).
    ///
    /// ```
    /// use xsrf_actix::{SigningKey, Transport, Xsrf};
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .transport(Transport::new().field("csrf_token").also_accept_header("X-CSRFToken"))
    ///     .build()?;
    /// assert_eq!(xsrf.field_name(), "csrf_token");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn transport(mut self, transport: impl Into<Transport>) -> Self {
        self.transport = transport.into();
        self
    }
}
