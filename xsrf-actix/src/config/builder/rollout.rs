//! Rollout: report-only mode, for the whole app or per path, before
//! enforcing.

use super::XsrfBuilder;
use crate::config::Rollout;

impl XsrfBuilder {
    /// Enforce refusals ([`Rollout::enforce()`], the default) or only
    /// report them, everywhere ([`Rollout::report_only()`]) or on some
    /// paths ([`Rollout::report_only_paths`]). [`Rollout`] says what a
    /// reported request gets; **report-only is not protection**.
    ///
    /// ```
    /// use xsrf_actix::{Rollout, SigningKey, Xsrf};
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .rollout(Rollout::report_only_paths(["/legacy/"]))
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rollout(mut self, rollout: impl Into<Rollout>) -> Self {
        self.rollout = rollout.into();
        self
    }
}
