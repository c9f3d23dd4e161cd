//! Rollout: report-only mode, for the whole app or per path, before
//! enforcing.

use super::XsrfBuilder;

impl XsrfBuilder {
    /// Report-only mode for the whole app (`false` by default: enforce).
    ///
    /// Every check runs exactly as in enforce mode, in the middleware and
    /// in `ValidXsrf`, `#[handle_token]` and `Check`; a request that
    /// enforce mode would refuse for a token or origin reason
    /// ([`Rejection::is_reportable`](crate::Rejection::is_reportable)) is
    /// let through to its handler instead, logged at warn with its reason
    /// code, method and route pattern, counted (feature `metrics`:
    /// `xsrf_checks_total{outcome="reported"}`), and its response carries
    /// `X-XSRF-Report-Only: <code>` ([`REPORT_ONLY_HEADER`](crate::REPORT_ONLY_HEADER)),
    /// the code enforce mode would have put in `X-XSRF-Rejection`. The
    /// `error_handler` is not called for a reported request.
    ///
    /// Never reported, refused in both modes: one-time keys (a replayed,
    /// unknown, expired or foreign key guards what the app does, not where
    /// the request came from; only their origin check is reported), an
    /// unavailable or full key store, and misconfigurations (500).
    ///
    /// **Report-only is not protection**: forged requests reach your
    /// handlers. Use it to learn what enforcing would refuse (the logs,
    /// the metrics), fix those clients, then enforce: remove this line.
    /// Every build logs a warning while it is on.
    ///
    /// ```
    /// use xsrf_actix::{SigningKey, Xsrf};
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .report_only(true)
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn report_only(mut self, yes: bool) -> Self {
        self.report_only = yes;
        self
    }

    /// Report-only mode for the requests a rule matches, enforce mode for
    /// the rest: the rule syntax of [`XsrfBuilder::exempt`] (`PATH`, a
    /// prefix when it ends in `/`, or `METHOD PATH`). A path that is not
    /// canonical (`..`, `//`, encoded slashes) matches no rule and is
    /// therefore enforced. May be called several times; a rule that does
    /// not parse fails [`XsrfBuilder::build`].
    ///
    /// ```
    /// use xsrf_actix::{SigningKey, Xsrf};
    /// // The legacy pages report; everything else enforces.
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .report_only_path("/legacy/")
    ///     .report_only_path("POST /api/v1/upload")
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn report_only_path(mut self, rule: impl Into<String>) -> Self {
        self.report_only_paths.push(rule.into());
        self
    }
}
