//! How long the middleware waits for a body it reads for the token: the
//! setting ([`BodyWait`]) and the checked limits the scan runs by.

use actix_web::rt::time::Instant;
use time::Duration;
use xsrf_core::ConfigError;

use super::validate::BuildError;

/// How long the `Xsrf` middleware waits for a body it reads for the
/// token (a form, multipart or JSON body of an unsafe request sent without
/// the token header): an idle limit between two pieces of the body, and a
/// minimum rate on average, in the shape of Apache's `RequestReadTimeout
/// body=20,MinRate=500`. Set with
/// [`Transport::body_wait`](crate::Transport::body_wait).
///
/// A scan ends with `408 Request Timeout` (`X-XSRF-Rejection:
/// body-timeout`), the handler not run and the connection closed, when
///
/// * no piece of the body arrived for [`idle`](Self::idle) (the first
///   piece included, counted from the end of the headers), or
/// * fewer bytes arrived than [`min_rate`](Self::min_rate) per second
///   since the start, after an allowance of `idle`: the scan's deadline
///   is `start + idle + received / min_rate`, later with every byte.
///
/// The scan stops at the scan limit ([`Transport::scan_limit`](crate::Transport::scan_limit),
/// 64 KiB by default), so no scan lasts longer than `idle + scan_limit /
/// min_rate` (20 s + 131 s with the defaults), and a client that stops
/// sending holds its connection for `idle` at most. What the handler then
/// reads of the rest is bounded by actix-web's and the handler's own
/// limits, not by this one. In report-only mode a slow body is refused
/// too: it never arrived whole, so there is nothing to let through.
///
/// # The defaults: 20 s idle, 500 bytes a second
///
/// Apache's, and chosen so that a slow mobile upload survives: 500 bytes a
/// second is 4 kbit/s, below the uplink of any mobile connection still in
/// service (GPRS sends 20 to 40 kbit/s), and the first 64 KiB of a form
/// at exactly that rate take 131 s, which the allowance keeps ahead of at
/// every moment. Twenty seconds without a byte covers a cell handover or
/// a radio waking up (a few seconds) and TCP's backoff after four lost
/// packets in a row (1 + 2 + 4 + 8 s). nginx's `client_body_timeout` is
/// an idle limit of 60 s with no rate; without a rate, a client sending a
/// byte every 59 s would hold the connection for ever.
///
/// # Memory
///
/// A waiting scan holds what it read of the body, at most the scan limit
/// plus one chunk, and actix-web's state and buffers for the connection.
/// Measured on the demo app: 500 connections that each sent 60 KiB and
/// stalled held about 80 KB each (39 MB in all; about 19 KB each after
/// 5 bytes) until the idle limit ended them all with `408`, while other
/// requests were answered at once.
///
/// ```
/// use xsrf_actix::{BodyWait, SigningKey, Transport, Xsrf};
/// use xsrf_actix::time::Duration;
///
/// // An API whose clients are servers on a fast network: cut sooner.
/// let wait = BodyWait::new(Duration::seconds(5), 16 * 1024);
/// let xsrf = Xsrf::builder()
///     .secret(SigningKey::generate()?)
///     .transport(Transport::new().body_wait(wait))
///     .build()?;
/// assert_eq!(BodyWait::default().idle(), Duration::seconds(20));
/// assert_eq!(BodyWait::default().min_rate(), 500);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BodyWait {
    idle: Duration,
    min_rate: u32,
}

impl BodyWait {
    /// The default idle limit: 20 seconds.
    pub const DEFAULT_IDLE: Duration = Duration::seconds(20);

    /// The default minimum rate: 500 bytes a second.
    pub const DEFAULT_MIN_RATE: u32 = 500;

    /// The longest idle limit `build` accepts: a longer pause is a client
    /// holding a connection for nothing.
    pub const MAX_IDLE: Duration = Duration::minutes(10);

    /// An idle limit between two pieces of a body, and a minimum rate in
    /// bytes per second; `build` checks them (the idle limit positive and
    /// at most [`MAX_IDLE`](Self::MAX_IDLE), the rate at least 1).
    ///
    /// ```
    /// use xsrf_actix::{BodyWait, BuildError, SigningKey, Transport, Xsrf};
    /// use xsrf_actix::time::Duration;
    ///
    /// let built = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .transport(Transport::new().body_wait(BodyWait::new(Duration::seconds(20), 0)))
    ///     .build();
    /// assert!(matches!(built, Err(BuildError::BodyWait(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const fn new(idle: Duration, min_rate: u32) -> Self {
        Self { idle, min_rate }
    }

    /// The longest pause allowed between two pieces of the body.
    ///
    /// ```
    /// use xsrf_actix::BodyWait;
    /// assert_eq!(BodyWait::default().idle(), BodyWait::DEFAULT_IDLE);
    /// ```
    pub const fn idle(&self) -> Duration {
        self.idle
    }

    /// The least average rate, in bytes per second, after the allowance
    /// of one idle limit.
    ///
    /// ```
    /// use xsrf_actix::BodyWait;
    /// assert_eq!(BodyWait::default().min_rate(), BodyWait::DEFAULT_MIN_RATE);
    /// ```
    pub const fn min_rate(&self) -> u32 {
        self.min_rate
    }

    /// The limits the scan runs by, or why these cannot be.
    pub(super) fn checked(self) -> Result<Wait, BuildError> {
        if !self.idle.is_positive() {
            return Err(ConfigError::NonPositiveDuration("the body wait's idle limit").into());
        }
        if self.idle > Self::MAX_IDLE {
            return Err(BuildError::BodyWait(
                "the idle limit may be at most 10 minutes (BodyWait::MAX_IDLE)",
            ));
        }
        if self.min_rate == 0 {
            return Err(BuildError::BodyWait(
                "the minimum rate must be at least 1 byte per second",
            ));
        }
        let idle = std::time::Duration::try_from(self.idle).map_err(|_| {
            BuildError::Config(ConfigError::NonPositiveDuration(
                "the body wait's idle limit",
            ))
        })?;
        Ok(Wait {
            idle,
            min_rate: self.min_rate,
        })
    }
}

impl Default for BodyWait {
    fn default() -> Self {
        Self::new(Self::DEFAULT_IDLE, Self::DEFAULT_MIN_RATE)
    }
}

/// A [`BodyWait`] checked by `build`, in the units the timers take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wait {
    pub(crate) idle: std::time::Duration,
    /// Bytes per second; at least 1.
    pub(crate) min_rate: u32,
}

impl Wait {
    /// When a scan that started at `start` and has received `received`
    /// bytes, the last of them at `last`, must end: an idle limit after
    /// the last piece, or the minimum rate's deadline, whichever is first.
    pub(crate) fn deadline(&self, start: Instant, last: Instant, received: usize) -> Instant {
        let idle_ends = last.checked_add(self.idle);
        let micros = u64::try_from(received)
            .unwrap_or(u64::MAX)
            .saturating_mul(1_000_000)
            / u64::from(self.min_rate.max(1));
        let rate_ends = start.checked_add(
            self.idle
                .saturating_add(std::time::Duration::from_micros(micros)),
        );
        match (idle_ends, rate_ends) {
            (Some(a), Some(b)) => a.min(b),
            (Some(t), None) | (None, Some(t)) => t,
            // Past the end of time on this clock: a day from the start is
            // as good as never for a scan.
            (None, None) => start + std::time::Duration::from_secs(86_400),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait(idle_secs: u64, min_rate: u32) -> Wait {
        Wait {
            idle: std::time::Duration::from_secs(idle_secs),
            min_rate,
        }
    }

    #[test]
    fn the_deadline_is_the_idle_limit_or_the_rate_whichever_comes_first() {
        let start = Instant::now();
        let s = std::time::Duration::from_secs;
        let w = wait(20, 500);
        // Nothing yet: the first piece must come within the idle limit.
        assert_eq!(w.deadline(start, start, 0), start + s(20));
        // 60 KiB fast, then silence: the idle limit after the last piece
        // (the rate would allow 20 s + 122.88 s).
        assert_eq!(w.deadline(start, start + s(1), 61_440), start + s(21));
        // A trickle: 1 KB over 15 s, the last byte just now; the rate's
        // deadline (20 s + 2 s) comes before the idle one (35 s).
        assert_eq!(w.deadline(start, start + s(15), 1_000), start + s(22));
        // A huge count cannot overflow.
        let far = w.deadline(start, start, usize::MAX);
        assert!(far >= start + s(20));
    }

    #[test]
    fn build_refuses_waits_that_cannot_hold() {
        for (wait, bad) in [
            (BodyWait::new(Duration::ZERO, 500), "zero idle"),
            (BodyWait::new(Duration::seconds(-1), 500), "negative idle"),
            (
                BodyWait::new(Duration::minutes(11), 500),
                "idle past the cap",
            ),
            (BodyWait::new(Duration::seconds(20), 0), "no rate"),
        ] {
            assert!(wait.checked().is_err(), "{bad}: {wait:?}");
        }
        assert!(matches!(
            BodyWait::new(Duration::ZERO, 500).checked(),
            Err(BuildError::Config(ConfigError::NonPositiveDuration(_)))
        ));
        assert!(matches!(
            BodyWait::new(Duration::seconds(20), 0).checked(),
            Err(BuildError::BodyWait(_))
        ));
        let ok = BodyWait::new(Duration::milliseconds(1500), 1).checked();
        assert_eq!(
            ok,
            Ok(Wait {
                idle: std::time::Duration::from_millis(1500),
                min_rate: 1
            })
        );
        assert_eq!(
            BodyWait::default().checked().map(|w| w.idle),
            Ok(std::time::Duration::from_secs(20))
        );
    }
}
