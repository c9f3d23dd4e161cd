//! [`Rollout`]: enforce, or report only, for the whole app or per path.

/// Whether refusals are enforced or only reported, for
/// [`XsrfBuilder::rollout`](crate::XsrfBuilder::rollout):
/// [`Rollout::enforce()`] (the default), [`Rollout::report_only()`]
/// everywhere, or [`Rollout::report_only_paths`] for some requests.
///
/// In report-only mode every check runs exactly as in enforce mode, in the
/// middleware and in `ValidXsrf`, `#[handle_token]` and `Check`; a request
/// that enforce mode would refuse for a token or origin reason
/// ([`Rejection::is_reportable`](crate::Rejection::is_reportable)) is let
/// through to its handler instead, logged at warn with its reason code,
/// method and route pattern, counted (feature `metrics`:
/// `xsrf_checks_total{outcome="reported"}`), and its response carries
/// `X-XSRF-Report-Only: <code>`
/// ([`REPORT_ONLY_HEADER`](crate::REPORT_ONLY_HEADER)), the code enforce
/// mode would have put in `X-XSRF-Rejection`. The `error_handler` is not
/// called for a reported request.
///
/// Never reported, refused in both modes: one-time keys (a replayed,
/// unknown, expired or foreign key guards what the app does, not where
/// the request came from; only their origin check is reported), an
/// unavailable or full key store, and misconfigurations (500).
///
/// **Report-only is not protection**: forged requests reach your
/// handlers. Use it to learn what enforcing would refuse (the logs, the
/// metrics), fix those clients, then enforce: remove the `.rollout(..)`
/// line. Every build logs a warning while it reports anywhere.
///
/// ```
/// use xsrf_actix::{Rollout, SigningKey, Xsrf};
/// let xsrf = Xsrf::builder()
///     .secret(SigningKey::generate()?)
///     .rollout(Rollout::report_only())
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollout {
    /// Report only, on every path.
    pub(in crate::config) everywhere: bool,
    /// Report only on these rules (the syntax of `exempt`).
    pub(in crate::config) paths: Vec<String>,
}

impl Rollout {
    /// Refusals are answered: the default, and the only protection.
    ///
    /// ```
    /// use xsrf_actix::Rollout;
    /// assert_eq!(Rollout::enforce(), Rollout::default());
    /// ```
    pub const fn enforce() -> Self {
        Self {
            everywhere: false,
            paths: Vec::new(),
        }
    }

    /// Report-only mode for the whole app.
    ///
    /// ```
    /// use xsrf_actix::Rollout;
    /// let rollout = Rollout::report_only();
    /// # assert_ne!(rollout, Rollout::enforce());
    /// ```
    pub const fn report_only() -> Self {
        Self {
            everywhere: true,
            paths: Vec::new(),
        }
    }

    /// Report-only mode for the requests these rules match, enforce mode
    /// for the rest: the rule syntax of
    /// [`XsrfBuilder::exempt`](crate::XsrfBuilder::exempt) (`PATH`, a
    /// prefix when it ends in `/`, or `METHOD PATH`). A path that is not
    /// canonical (`..`, `//`, encoded slashes) matches no rule and is
    /// therefore enforced. A rule that does not parse fails
    /// [`build`](crate::XsrfBuilder::build); no rule at all is enforce
    /// mode.
    ///
    /// ```
    /// use xsrf_actix::{Rollout, SigningKey, Xsrf};
    /// // The legacy pages report; everything else enforces.
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .rollout(Rollout::report_only_paths(["/legacy/", "POST /api/v1/upload"]))
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn report_only_paths<I>(rules: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Self {
            everywhere: false,
            paths: rules.into_iter().map(Into::into).collect(),
        }
    }
}
