//! Counters through the `metrics` facade (feature `metrics`): whatever
//! recorder the app installs (Prometheus, StatsD, OpenTelemetry) gets
//!
//! * `xsrf_checks_total{outcome, reason}`: every unsafe request and
//!   WebSocket upgrade the protection checks, once. `outcome` is
//!   `accepted`, `refused`, `reported` (report-only mode let it through)
//!   or `exempt`; `reason` is the [`Rejection::code`] (empty for
//!   `accepted` and `exempt`).
//! * `xsrf_one_time_keys_total{outcome}`: `created`, `redeemed`,
//!   `refused`, `store-error`.
//!
//! Labels take their values from fixed lists (the outcomes above and the
//! rejection codes), so their number is bounded and none can carry a
//! token, key, session id or path. Without the feature every function
//! here is empty and compiles away.

use xsrf_core::Rejection;

/// What became of a checked request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Every check passed.
    Accepted,
    /// Refused with this reason.
    Refused(Rejection),
    /// Enforce mode would have refused it with this reason; report-only
    /// mode let it through.
    Reported(Rejection),
    /// An exemption let it through unchecked.
    Exempt,
}

impl Verdict {
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Verdict::Accepted => ("accepted", ""),
            Verdict::Refused(r) => ("refused", r.code()),
            Verdict::Reported(r) => ("reported", r.code()),
            Verdict::Exempt => ("exempt", ""),
        }
    }
}

/// What became of a one-time key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyEvent {
    Created,
    Redeemed,
    Refused,
    StoreError,
}

impl KeyEvent {
    fn label(self) -> &'static str {
        match self {
            KeyEvent::Created => "created",
            KeyEvent::Redeemed => "redeemed",
            KeyEvent::Refused => "refused",
            KeyEvent::StoreError => "store-error",
        }
    }

    /// A redemption's outcome: a store that could not answer is not a
    /// refused key.
    pub(crate) fn of_redemption(rejection: Option<Rejection>) -> Self {
        match rejection {
            None => KeyEvent::Redeemed,
            Some(Rejection::StoreUnavailable | Rejection::StoreFull) => KeyEvent::StoreError,
            Some(_) => KeyEvent::Refused,
        }
    }
}

/// The metric names.
#[cfg(feature = "metrics")]
const CHECKS: &str = "xsrf_checks_total";
#[cfg(feature = "metrics")]
const ONE_TIME_KEYS: &str = "xsrf_one_time_keys_total";

/// Counts one checked request.
pub(crate) fn check(verdict: Verdict) {
    let (outcome, reason) = verdict.labels();
    #[cfg(feature = "metrics")]
    metrics::counter!(CHECKS, "outcome" => outcome, "reason" => reason).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = (outcome, reason);
}

/// Counts one event of a one-time key.
pub(crate) fn one_time(event: KeyEvent) {
    let outcome = event.label();
    #[cfg(feature = "metrics")]
    metrics::counter!(ONE_TIME_KEYS, "outcome" => outcome).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = outcome;
}

/// Describes the counters to the installed recorder (once, at build).
pub(crate) fn describe() {
    #[cfg(feature = "metrics")]
    {
        metrics::describe_counter!(
            CHECKS,
            "Unsafe requests and WebSocket upgrades checked for XSRF, by outcome and reason"
        );
        metrics::describe_counter!(ONE_TIME_KEYS, "One-time keys, by outcome");
    }
}
