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
    Created = 0,
    Redeemed = 1,
    Refused = 2,
    StoreError = 3,
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
    match static_labels(outcome, reason) {
        // The usual case: a key made of static parts, so counting costs a
        // lookup in the recorder and no allocation.
        Some(labels) => increment(metrics::Key::from_static_parts(CHECKS, labels)),
        // A reason code this list does not know yet: still counted.
        None => metrics::counter!(CHECKS, "outcome" => outcome, "reason" => reason).increment(1),
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (outcome, reason);
}

/// Counts one event of a one-time key.
pub(crate) fn one_time(event: KeyEvent) {
    #[cfg(feature = "metrics")]
    {
        static LABELS: [[metrics::Label; 1]; 4] = [
            [metrics::Label::from_static_parts("outcome", "created")],
            [metrics::Label::from_static_parts("outcome", "redeemed")],
            [metrics::Label::from_static_parts("outcome", "refused")],
            [metrics::Label::from_static_parts("outcome", "store-error")],
        ];
        let labels = &LABELS[event as usize];
        debug_assert_eq!(labels[0].value(), event.label());
        increment(metrics::Key::from_static_parts(ONE_TIME_KEYS, labels));
    }
    #[cfg(not(feature = "metrics"))]
    let _ = event.label();
}

#[cfg(feature = "metrics")]
fn increment(key: metrics::Key) {
    static METADATA: metrics::Metadata<'static> =
        metrics::Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));
    metrics::with_recorder(|r| r.register_counter(&key, &METADATA)).increment(1);
}

/// The label pairs of `xsrf_checks_total` as statics, one per outcome and
/// reason code.
#[cfg(feature = "metrics")]
macro_rules! check_labels {
    ($($code:literal),* $(,)?) => {
        fn static_labels(outcome: &str, reason: &str) -> Option<&'static [metrics::Label]> {
            use metrics::Label;
            match (outcome, reason) {
                ("accepted", "") => {
                    static L: [Label; 2] = [Label::from_static_parts("outcome", "accepted"), Label::from_static_parts("reason", "")];
                    Some(&L)
                }
                ("exempt", "") => {
                    static L: [Label; 2] = [Label::from_static_parts("outcome", "exempt"), Label::from_static_parts("reason", "")];
                    Some(&L)
                }
                $(
                    ("refused", $code) => {
                        static L: [Label; 2] = [Label::from_static_parts("outcome", "refused"), Label::from_static_parts("reason", $code)];
                        Some(&L)
                    }
                    ("reported", $code) => {
                        static L: [Label; 2] = [Label::from_static_parts("outcome", "reported"), Label::from_static_parts("reason", $code)];
                        Some(&L)
                    }
                )*
                _ => None,
            }
        }
    };
}

#[cfg(feature = "metrics")]
check_labels!(
    "missing",
    "malformed",
    "unknown-key",
    "bad-signature",
    "expired",
    "from-future",
    "no-session",
    "conflicting",
    "in-query-string",
    "origin",
    "already-used",
    "key-expired",
    "other-session",
    "data-mismatch",
    "store-unavailable",
    "store-full",
    "static-key-mismatch",
    "body-too-large",
    "body-unreadable",
);

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
