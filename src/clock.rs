//! The one place that reads the system clock. Everything else takes a
//! [`SharedTimeSource`](aws_smithy_async::time::SharedTimeSource) so tests can control time.
//!
//! The provider's warm path also reads a coarse clock here ([`Clock::surely_before`]), but only
//! when no time source was injected.

use std::time::{Duration, SystemTime};

use aws_smithy_async::time::{SharedTimeSource, SystemTimeSource, TimeSource};

/// The real time source, used unless one is injected.
pub(crate) fn system() -> SharedTimeSource {
    SharedTimeSource::new(SystemTimeSource::new())
}

/// The current wall-clock time.
pub(crate) fn system_now() -> SystemTime {
    SystemTimeSource::new().now()
}

/// A time source as the provider's cache reads it: the system clock, which the warm path may
/// read coarsely (see [`Clock::surely_before`]), or an injected one, which is always read
/// exactly as given.
#[derive(Clone, Debug)]
pub(crate) enum Clock {
    /// The system clock: no time source was injected.
    System,
    /// Any other time source, such as a test's manual clock.
    Injected(SharedTimeSource),
}

/// How far behind the system clock the coarse clock may be, at most, for
/// [`Clock::surely_before`] to trust it. The coarse clock is updated on every kernel tick, so
/// it lags by a tick (1 to 10 ms); a second leaves room for a late tick on a busy virtual
/// machine.
const COARSE_MAX_LAG: Duration = Duration::from_secs(1);

impl Clock {
    /// The injected time source if there is one, else the system clock.
    pub(crate) fn from_injected(source: Option<SharedTimeSource>) -> Self {
        source.map_or(Clock::System, Clock::Injected)
    }

    /// As a time source, for the parts that take one.
    pub(crate) fn shared(&self) -> SharedTimeSource {
        match self {
            Clock::System => system(),
            Clock::Injected(source) => source.clone(),
        }
    }

    /// The current time, exact.
    pub(crate) fn now(&self) -> SystemTime {
        match self {
            Clock::System => system_now(),
            Clock::Injected(source) => source.now(),
        }
    }

    /// Whether it is certainly still before `deadline` (nanoseconds since the Unix epoch, from
    /// [`unix_nanos`]), judged cheaply. `false` means "not sure": ask [`now`](Self::now).
    ///
    /// For the system clock on Linux this reads `CLOCK_REALTIME_COARSE`, a few nanoseconds
    /// against about twenty for the exact clock, but only as fresh as the last kernel tick. It
    /// answers `true` only if the deadline is more than [`COARSE_MAX_LAG`] after the coarse
    /// time, so while the coarse clock lags by less than that, `true` implies the exact clock
    /// is before the deadline too: the answer is never later than the exact clock's, and near
    /// the deadline the caller reads the exact clock. An injected clock is never judged here,
    /// so it is read exactly once per decision, as before.
    ///
    /// The provider asks this only about the start of the advisory window (`refresh_at`), never
    /// about the mandatory window or the expiry: the mandatory window decision and the
    /// expiry checks are always made with the exact clock. So if the coarse clock ever lagged by
    /// more than `COARSE_MAX_LAG` (it would take a kernel that stopped ticking for a second),
    /// the effect would be a background refresh started that much late, still inside an
    /// advisory window that lasts minutes (at least a quarter of the credentials' lifetime by
    /// default), with the mandatory window as the backstop.
    #[inline]
    pub(crate) fn surely_before(&self, deadline: u64) -> bool {
        match self {
            Clock::System => match coarse_unix_nanos() {
                Some(now) => now.saturating_add(COARSE_MAX_LAG.as_nanos() as u64) < deadline,
                None => false,
            },
            Clock::Injected(_) => false,
        }
    }
}

/// `t` as nanoseconds since the Unix epoch, saturating (0 before the epoch, `u64::MAX` after
/// the year 2554).
pub(crate) fn unix_nanos(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// The coarse real-time clock, in nanoseconds since the Unix epoch, where there is one.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[inline]
fn coarse_unix_nanos() -> Option<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `timespec` that outlives the call, and
    // `CLOCK_REALTIME_COARSE` is a clock ID Linux has supported since 2.6.32; on any error the
    // call returns non-zero and `ts` is not used.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut ts) };
    if rc != 0 {
        return None;
    }
    let secs = u64::try_from(ts.tv_sec).ok()?;
    let nanos = u64::try_from(ts.tv_nsec).ok()?;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// Elsewhere there is no coarse clock: the caller reads the exact one.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[inline]
fn coarse_unix_nanos() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_async::time::StaticTimeSource;

    #[test]
    fn only_a_missing_time_source_means_the_system_clock() {
        assert!(matches!(Clock::from_injected(None), Clock::System));
        let frozen = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let injected =
            Clock::from_injected(Some(SharedTimeSource::new(StaticTimeSource::new(frozen))));
        assert!(matches!(injected, Clock::Injected(_)));
        assert_eq!(injected.now(), frozen);
        assert_eq!(injected.shared().now(), frozen);
    }

    #[test]
    fn an_injected_clock_is_never_judged_coarsely() {
        let frozen = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let injected =
            Clock::from_injected(Some(SharedTimeSource::new(StaticTimeSource::new(frozen))));
        assert!(!injected.surely_before(u64::MAX));
    }

    #[test]
    fn the_system_clock_is_surely_before_only_with_room_to_spare() {
        let clock = Clock::System;
        let now = unix_nanos(clock.now());
        let hour = 3_600_000_000_000;
        assert!(!clock.surely_before(now));
        assert!(!clock.surely_before(now - hour));
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            assert!(clock.surely_before(now + hour));
            // Within the allowed lag of the deadline the coarse clock is not trusted.
            let near = unix_nanos(clock.now()) + COARSE_MAX_LAG.as_nanos() as u64 / 2;
            assert!(!clock.surely_before(near));
        }
    }

    #[test]
    fn the_coarse_clock_is_close_behind_the_exact_one() {
        let Some(coarse) = coarse_unix_nanos() else {
            return;
        };
        let exact = unix_nanos(system_now());
        // A little slack for the two reads' order: the coarse clock can tick between them.
        assert!(coarse <= exact + 1_000_000, "coarse {coarse} exact {exact}");
        assert!(
            exact.saturating_sub(coarse) < COARSE_MAX_LAG.as_nanos() as u64,
            "coarse {coarse} lags exact {exact}"
        );
    }

    #[test]
    fn unix_nanos_saturates() {
        assert_eq!(
            unix_nanos(SystemTime::UNIX_EPOCH - Duration::from_secs(1)),
            0
        );
        assert_eq!(
            unix_nanos(SystemTime::UNIX_EPOCH + Duration::from_nanos(1_500)),
            1_500
        );
    }
}
