//! Time in the simulation. One master clock: tokio's, paused, which the runtime moves from one
//! timer to the next whenever every task waits (a discrete-event simulation: a provider's
//! timer, a request's latency, a person's answer, an MFA prompt timeout, an SDK retry each
//! happen at their moment). From it:
//!
//! - STS's clock: where the schedule starts, plus the master clock's time since, plus the
//!   time the machine spent suspended (tokio's timers do not count it, as on a real machine);
//!   published to the mock's `ManualClock` before every exchange;
//! - this machine's clock: STS's minus a skew the schedule sets, drifts and jumps;
//! - the providers' timer sleep: tokio's, waking late as the schedule says.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_smithy_async::rt::sleep::{AsyncSleep, Sleep};
use aws_smithy_async::time::TimeSource;
use sts_assume_role::test_util::ManualClock;

/// The clocks of one schedule. Clones share them. Read them on the schedule's runtime only.
#[derive(Clone)]
pub struct Clocks {
    /// The mock's clock, set to STS's time before each exchange.
    pub sts: ManualClock,
    state: Arc<Mutex<State>>,
}

struct State {
    /// STS's clock minus this machine's, in nanoseconds.
    skew_ns: i128,
    /// STS time spent suspended.
    suspended: Duration,
    /// Where STS's clock started, and the master clock then.
    start: SystemTime,
    t0: tokio::time::Instant,
    /// When (STS time) this machine's clock last jumped or the machine last woke.
    disturbed_at: SystemTime,
    /// How far this machine's clock was set back, all jumps back added up.
    set_back: Duration,
    /// Timer sleeps wake this much late, as a fraction of the sleep, plus a fixed delay.
    late_fraction: f64,
    late_fixed: Duration,
}

impl fmt::Debug for Clocks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clocks")
            .field("skew_ms", &(self.skew_ns() / 1_000_000))
            .finish()
    }
}

/// `t` moved by `ns` nanoseconds, either way.
pub fn shift(t: SystemTime, ns: i128) -> SystemTime {
    let d = Duration::from_nanos(u64::try_from(ns.unsigned_abs()).unwrap_or(u64::MAX));
    if ns >= 0 { t + d } else { t - d }
}

/// `a - b` in nanoseconds, signed.
pub fn diff_ns(a: SystemTime, b: SystemTime) -> i128 {
    match a.duration_since(b) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

impl Clocks {
    /// Made on the schedule's runtime.
    pub fn new(start: SystemTime, skew_ns: i128, late_fraction: f64, late_fixed: Duration) -> Self {
        Self {
            sts: ManualClock::new(start),
            state: Arc::new(Mutex::new(State {
                skew_ns,
                suspended: Duration::ZERO,
                start,
                t0: tokio::time::Instant::now(),
                disturbed_at: start,
                set_back: Duration::ZERO,
                late_fraction,
                late_fixed,
            })),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn sts_now(&self) -> SystemTime {
        let state = self.state();
        state.start + (tokio::time::Instant::now() - state.t0) + state.suspended
    }

    /// This machine's clock.
    pub fn local_now(&self) -> SystemTime {
        shift(self.sts_now(), -self.skew_ns())
    }

    pub fn skew_ns(&self) -> i128 {
        self.state().skew_ns
    }

    /// A moment of this machine's clock as STS's clock reads it now.
    pub fn to_sts(&self, local: SystemTime) -> SystemTime {
        shift(local, self.skew_ns())
    }

    /// Sets the skew: this machine's clock jumps, or drifts a little.
    pub fn set_skew(&self, skew_ns: i128, jump: bool) {
        let now = self.sts_now();
        let mut state = self.state();
        let back = skew_ns - state.skew_ns;
        if jump && back > 0 {
            state.set_back += Duration::from_nanos(back as u64);
        }
        state.skew_ns = skew_ns;
        if jump {
            state.disturbed_at = now;
        }
    }

    /// How far this machine's clock was set back so far, all jumps back added up.
    pub fn set_back(&self) -> Duration {
        self.state().set_back
    }

    /// STS time since the machine last woke or its clock last jumped.
    pub fn since_disturbed(&self) -> Duration {
        let at = self.state().disturbed_at;
        self.sts_now().duration_since(at).unwrap_or_default()
    }

    /// Time passes with the machine awake: everything due meanwhile happens at its moment.
    pub async fn advance(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }

    /// The machine is suspended for `d`: the wall clocks move, tokio's does not.
    pub fn suspend(&self, d: Duration) {
        self.state().suspended += d;
        let now = self.sts_now();
        self.state().disturbed_at = now;
    }

    /// This machine's clock, as a time source for the providers and the SDK.
    pub fn local(&self) -> LocalClock {
        LocalClock(self.clone())
    }

    /// The providers' timer sleep.
    pub fn sleep(&self) -> LateSleep {
        let state = self.state();
        LateSleep {
            fraction: state.late_fraction,
            fixed: state.late_fixed,
        }
    }
}

/// This machine's clock.
#[derive(Clone, Debug)]
pub struct LocalClock(Clocks);

impl TimeSource for LocalClock {
    fn now(&self) -> SystemTime {
        self.0.local_now()
    }
}

/// tokio's sleep (which does not count suspended time), waking late.
#[derive(Clone, Debug)]
pub struct LateSleep {
    fraction: f64,
    fixed: Duration,
}

impl AsyncSleep for LateSleep {
    fn sleep(&self, duration: Duration) -> Sleep {
        let d = duration + duration.mul_f64(self.fraction) + self.fixed;
        Sleep::new(tokio::time::sleep(d))
    }
}
