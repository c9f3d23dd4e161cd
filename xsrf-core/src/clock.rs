//! Where "now" comes from.
//!
//! Token and key checks take the current time as an argument so they stay
//! pure; the adapters (xsrf-actix) ask a [`Clock`] for it. Tests use a
//! [`ManualClock`] and move time forward instead of sleeping.

use std::sync::{Arc, Mutex, PoisonError};

use time::{Duration, OffsetDateTime};

/// A source of the current time.
///
/// ```
/// use xsrf_core::{Clock, SystemClock};
/// let now = SystemClock.now();
/// assert!(now.unix_timestamp() > 1_600_000_000);
/// ```
pub trait Clock: Send + Sync + 'static {
    /// The current wall-clock time.
    fn now(&self) -> OffsetDateTime;
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to; clones share the same time.
///
/// ```
/// use time::{Duration, macros::datetime};
/// use xsrf_core::{Clock, ManualClock};
///
/// let clock = ManualClock::new(datetime!(2026-01-01 0:00 UTC));
/// clock.advance(Duration::minutes(5));
/// assert_eq!(clock.now(), datetime!(2026-01-01 0:05 UTC));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<OffsetDateTime>>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Moves the clock by `by` (negative moves it back).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }

    /// Sets the clock to `to`.
    pub fn set(&self, to: OffsetDateTime) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> OffsetDateTime {
        (**self).now()
    }
}
