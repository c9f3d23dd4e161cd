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
    /// What a request is counted as when a later check of it decides
    /// `later`: a refusal wins over everything; otherwise the first
    /// reported reason stays, as that is what enforce mode would have
    /// answered (the first check that failed).
    pub(crate) fn then(self, later: Verdict) -> Verdict {
        match (self, later) {
            (Verdict::Refused(r), _) | (_, Verdict::Refused(r)) => Verdict::Refused(r),
            (Verdict::Reported(r), _) => Verdict::Reported(r),
            (_, later) => later,
        }
    }

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

/// The counter handles of one [`Xsrf`](crate::Xsrf), registered with the
/// recorder once and kept.
///
/// Why keep them: registering is a lookup in the recorder on every call,
/// and some recorders copy the key first (the Prometheus exporter turns
/// the static labels into an owned list: one allocation per count). A
/// kept handle is one atomic add.
///
/// A handle belongs to the recorder that made it, so the handles are kept
/// with the recorder's address and used only while that recorder is the
/// current one; under another (a recorder installed after the first
/// requests, or a test's local recorder) a new set is made for it. The
/// address is compared while the recorder is borrowed, so it is alive;
/// only a local recorder dropped and another made at the same address,
/// both used with one `Xsrf`, could be mistaken for it.
#[derive(Default)]
pub(crate) struct Counters {
    #[cfg(feature = "metrics")]
    kept: arc_swap::ArcSwapOption<Kept>,
}

#[cfg(feature = "metrics")]
struct Kept {
    /// The address of the recorder the handles belong to.
    recorder: usize,
    /// One per label set of `xsrf_checks_total` ([`Slot`]), made at its
    /// first count, so a series appears only once it has counted.
    checks: [std::sync::OnceLock<metrics::Counter>; SLOTS],
    one_time: [std::sync::OnceLock<metrics::Counter>; 4],
}

impl Counters {
    /// Counts one checked request.
    pub(crate) fn check(&self, verdict: Verdict) {
        #[cfg(feature = "metrics")]
        match Slot::of(verdict) {
            Some(slot) => self.increment(slot.labels(), CHECKS, |k| &k.checks[slot.0]),
            // A reason code this list does not know yet: still counted.
            None => {
                let (outcome, reason) = verdict.labels();
                metrics::counter!(CHECKS, "outcome" => outcome, "reason" => reason).increment(1);
            }
        }
        #[cfg(not(feature = "metrics"))]
        let _ = verdict.labels();
    }

    /// Counts one event of a one-time key.
    pub(crate) fn one_time(&self, event: KeyEvent) {
        #[cfg(feature = "metrics")]
        {
            static LABELS: [[metrics::Label; 1]; 4] = [
                [metrics::Label::from_static_parts("outcome", "created")],
                [metrics::Label::from_static_parts("outcome", "redeemed")],
                [metrics::Label::from_static_parts("outcome", "refused")],
                [metrics::Label::from_static_parts("outcome", "store-error")],
            ];
            let i = event as usize;
            debug_assert_eq!(LABELS[i][0].value(), event.label());
            self.increment(&LABELS[i], ONE_TIME_KEYS, |k| &k.one_time[i]);
        }
        #[cfg(not(feature = "metrics"))]
        let _ = event.label();
    }

    #[cfg(feature = "metrics")]
    fn increment(
        &self,
        labels: &'static [metrics::Label],
        name: &'static str,
        handle: impl Fn(&Kept) -> &std::sync::OnceLock<metrics::Counter>,
    ) {
        static METADATA: metrics::Metadata<'static> =
            metrics::Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));
        let key = || metrics::Key::from_static_parts(name, labels);
        metrics::with_recorder(|r| {
            let here = recorder_address(r);
            let count = |kept: &Kept| {
                handle(kept)
                    .get_or_init(|| r.register_counter(&key(), &METADATA))
                    .increment(1);
            };
            let kept = self.kept.load();
            match kept.as_deref() {
                Some(kept) if kept.recorder == here => count(kept),
                _ => {
                    let fresh = std::sync::Arc::new(Kept::new(here));
                    count(&fresh);
                    self.kept.store(Some(fresh));
                }
            }
        });
    }
}

#[cfg(feature = "metrics")]
impl Kept {
    fn new(recorder: usize) -> Self {
        Kept {
            recorder,
            checks: std::array::from_fn(|_| std::sync::OnceLock::new()),
            one_time: std::array::from_fn(|_| std::sync::OnceLock::new()),
        }
    }
}

/// Which recorder this is. Compared only while the recorder is borrowed:
/// the global one lives for the program, a local one for its scope.
#[cfg(feature = "metrics")]
fn recorder_address(r: &dyn metrics::Recorder) -> usize {
    std::ptr::from_ref(r).cast::<()>().addr()
}

/// The label set of `xsrf_checks_total` a verdict is counted under: 0
/// accepted, 1 exempt, then refused and reported for each reason of
/// [`REASONS`] in turn.
#[cfg(feature = "metrics")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Slot(usize);

#[cfg(feature = "metrics")]
const SLOTS: usize = 2 + 2 * REASONS.len();

#[cfg(feature = "metrics")]
impl Slot {
    fn of(verdict: Verdict) -> Option<Slot> {
        Some(Slot(match verdict {
            Verdict::Accepted => 0,
            Verdict::Exempt => 1,
            Verdict::Refused(r) => 2 + 2 * reason_index(&r)?,
            Verdict::Reported(r) => 3 + 2 * reason_index(&r)?,
        }))
    }

    fn labels(self) -> &'static [metrics::Label] {
        static ACCEPTED: [metrics::Label; 2] = [
            metrics::Label::from_static_parts("outcome", "accepted"),
            metrics::Label::from_static_parts("reason", ""),
        ];
        static EXEMPT: [metrics::Label; 2] = [
            metrics::Label::from_static_parts("outcome", "exempt"),
            metrics::Label::from_static_parts("reason", ""),
        ];
        match self.0 {
            0 => &ACCEPTED,
            1 => &EXEMPT,
            n if n % 2 == 0 => &REFUSED[(n - 2) / 2],
            n => &REPORTED[(n - 3) / 2],
        }
    }
}

/// The rejection reasons with a label set of their own, as statics: the
/// pattern, and the code it is counted under (checked against
/// [`Rejection::code`] in the tests).
#[cfg(feature = "metrics")]
macro_rules! reasons {
    ($($name:ident: $pattern:pat => $code:literal),* $(,)?) => {
        const REASONS: &[&str] = &[$($code),*];

        /// Numbers the reasons in the order of [`REASONS`].
        enum Reason {
            $($name),*
        }

        fn reason_index(r: &Rejection) -> Option<usize> {
            Some(match r {
                $($pattern => Reason::$name as usize,)*
                // `Rejection` may grow: a new reason is counted through
                // the registering path until it is listed here.
                _ => return None,
            })
        }

        static REFUSED: [[metrics::Label; 2]; REASONS.len()] = [$([
            metrics::Label::from_static_parts("outcome", "refused"),
            metrics::Label::from_static_parts("reason", $code),
        ]),*];
        static REPORTED: [[metrics::Label; 2]; REASONS.len()] = [$([
            metrics::Label::from_static_parts("outcome", "reported"),
            metrics::Label::from_static_parts("reason", $code),
        ]),*];
    };
}

#[cfg(feature = "metrics")]
reasons! {
    Missing: Rejection::Missing => "missing",
    Malformed: Rejection::Malformed(_) => "malformed",
    UnknownKey: Rejection::UnknownKey => "unknown-key",
    BadSignature: Rejection::BadSignature => "bad-signature",
    Expired: Rejection::Expired => "expired",
    FromFuture: Rejection::FromFuture => "from-future",
    NoSession: Rejection::NoSession => "no-session",
    Conflicting: Rejection::Conflicting => "conflicting",
    InQueryString: Rejection::InQueryString => "in-query-string",
    Origin: Rejection::Origin(_) => "origin",
    AlreadyUsed: Rejection::AlreadyUsed => "already-used",
    KeyExpired: Rejection::KeyExpired => "key-expired",
    OtherSession: Rejection::OtherSession => "other-session",
    DataMismatch: Rejection::DataMismatch => "data-mismatch",
    StoreUnavailable: Rejection::StoreUnavailable => "store-unavailable",
    StoreFull: Rejection::StoreFull => "store-full",
    StaticKeyMismatch: Rejection::StaticKeyMismatch => "static-key-mismatch",
    BodyTooLarge: Rejection::BodyTooLarge => "body-too-large",
    BodyUnreadable: Rejection::BodyUnreadable(_) => "body-unreadable",
    BodyTimeout: Rejection::BodyTimeout => "body-timeout",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_wins_and_otherwise_the_first_report_stays() {
        use Verdict::{Accepted, Exempt, Refused, Reported};
        use xsrf_core::OriginRejection;
        let origin = Rejection::Origin(OriginRejection::CrossSite);
        let (missing, expired) = (Rejection::Missing, Rejection::Expired);
        // (first, later, what the request is counted as)
        let cases = [
            (Accepted, Accepted, Accepted),
            (Accepted, Reported(missing), Reported(missing)),
            (Accepted, Refused(missing), Refused(missing)),
            (Reported(origin), Accepted, Reported(origin)),
            (Reported(origin), Reported(missing), Reported(origin)),
            (Reported(origin), Refused(missing), Refused(missing)),
            (Refused(expired), Accepted, Refused(expired)),
            (Refused(expired), Reported(origin), Refused(expired)),
            (Refused(expired), Refused(missing), Refused(expired)),
            (Exempt, Accepted, Accepted),
        ];
        for (first, later, counted) in cases {
            assert_eq!(first.then(later), counted, "{first:?} then {later:?}");
        }
    }

    /// Every reason of `Rejection` today, one value each.
    #[cfg(feature = "metrics")]
    fn every_rejection() -> Vec<Rejection> {
        use Rejection::*;
        use xsrf_core::{BodyProblem, Malformed, OriginRejection};
        vec![
            Missing,
            Malformed(Malformed::Blank),
            UnknownKey,
            BadSignature,
            Expired,
            FromFuture,
            NoSession,
            Conflicting,
            InQueryString,
            Origin(OriginRejection::CrossSite),
            AlreadyUsed,
            KeyExpired,
            OtherSession,
            DataMismatch,
            StoreUnavailable,
            StoreFull,
            StaticKeyMismatch,
            BodyTooLarge,
            BodyUnreadable(BodyProblem::Interrupted),
            BodyTimeout,
        ]
    }

    #[test]
    #[cfg(feature = "metrics")]
    fn each_slot_carries_the_labels_of_its_verdict() {
        let mut seen = std::collections::HashSet::new();
        for r in every_rejection() {
            for verdict in [Verdict::Refused(r), Verdict::Reported(r)] {
                let slot = Slot::of(verdict).expect("every reason of today is listed");
                let (outcome, reason) = verdict.labels();
                let labels = slot.labels();
                assert_eq!((labels[0].value(), labels[1].value()), (outcome, reason));
                assert!(seen.insert(slot), "two verdicts share {slot:?}");
            }
        }
        for verdict in [Verdict::Accepted, Verdict::Exempt] {
            let slot = Slot::of(verdict).expect("listed");
            let (outcome, reason) = verdict.labels();
            assert_eq!(
                (slot.labels()[0].value(), slot.labels()[1].value()),
                (outcome, reason)
            );
            assert!(seen.insert(slot));
        }
        assert_eq!(seen.len(), SLOTS);
        assert!(seen.iter().all(|s| s.0 < SLOTS));
    }
}
