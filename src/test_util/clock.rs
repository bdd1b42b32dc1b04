//! A clock that only moves when a test moves it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime};

use aws_smithy_async::rt::sleep::{AsyncSleep, Sleep};
use aws_smithy_async::time::{SharedTimeSource, TimeSource};

/// 2026-01-01T00:00:00Z, the start of [`ManualClock::default`].
const DEFAULT_START_UNIX_SECS: u64 = 1_767_225_600;

/// A [`TimeSource`] whose time is set by hand, and an [`AsyncSleep`] that follows it.
///
/// Clones share the same time, so one clone can be handed to the mock STS and to the SDK
/// while the test keeps another to move time forward: credential expiry and TOTP steps then
/// follow the test, not the wall clock. As a sleep (for a provider's
/// [`sleep_impl`](crate::AssumeRoleProviderBuilder::sleep_impl)), it wakes a sleeper when the
/// test moves the time past the end of its sleep, so timers run in virtual time.
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
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    now: SystemTime,
    /// Sleepers to wake when the time moves.
    sleepers: Vec<Waker>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    #[must_use]
    pub fn new(start: SystemTime) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                now: start,
                sleepers: Vec::new(),
            })),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The clock's current time.
    #[must_use]
    pub fn now(&self) -> SystemTime {
        self.state().now
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        let now = self.now() + d;
        self.set(now);
    }

    /// Sets the clock to `t`, which may be earlier than its current time.
    pub fn set(&self, t: SystemTime) {
        let sleepers = {
            let mut state = self.state();
            state.now = t;
            std::mem::take(&mut state.sleepers)
        };
        for sleeper in sleepers {
            sleeper.wake();
        }
    }
}

/// A sleep on a [`ManualClock`]: done once the clock reads `until` or later.
struct ManualSleep {
    clock: ManualClock,
    until: SystemTime,
}

impl Future for ManualSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.clock.state();
        if state.now >= self.until {
            return Poll::Ready(());
        }
        if !state.sleepers.iter().any(|w| w.will_wake(cx.waker())) {
            state.sleepers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl AsyncSleep for ManualClock {
    fn sleep(&self, duration: Duration) -> Sleep {
        Sleep::new(ManualSleep {
            clock: self.clone(),
            until: self.now() + duration,
        })
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
