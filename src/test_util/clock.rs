//! A clock that only moves when a test moves it.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use aws_smithy_async::time::{SharedTimeSource, TimeSource};

/// 2026-01-01T00:00:00Z, the start of [`ManualClock::default`].
const DEFAULT_START_UNIX_SECS: u64 = 1_767_225_600;

/// A [`TimeSource`] whose time is set by hand.
///
/// Clones share the same time, so one clone can be handed to the mock STS and to the SDK
/// while the test keeps another to move time forward: credential expiry and TOTP steps then
/// follow the test, not the wall clock.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use sts_assume_role::test_util::ManualClock;
///
/// let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
/// let shared = clock.clone();
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(shared.now(), SystemTime::UNIX_EPOCH + Duration::from_secs(90));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<SystemTime>>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    #[must_use]
    pub fn new(start: SystemTime) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// The clock's current time.
    #[must_use]
    pub fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += d;
    }

    /// Sets the clock to `t`, which may be earlier than its current time.
    pub fn set(&self, t: SystemTime) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = t;
    }
}

impl Default for ManualClock {
    /// A clock stopped at 2026-01-01T00:00:00Z.
    fn default() -> Self {
        Self::new(SystemTime::UNIX_EPOCH + Duration::from_secs(DEFAULT_START_UNIX_SECS))
    }
}

impl TimeSource for ManualClock {
    fn now(&self) -> SystemTime {
        ManualClock::now(self)
    }
}

impl From<ManualClock> for SharedTimeSource {
    fn from(clock: ManualClock) -> Self {
        SharedTimeSource::new(clock)
    }
}
