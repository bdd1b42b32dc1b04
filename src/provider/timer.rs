//! The refresh timer: a task that starts a provider's refresh when it is due, with no caller,
//! and notices a machine that slept through it.

use std::sync::Arc;
use std::time::SystemTime;

use aws_smithy_async::rt::sleep::AsyncSleep;

use super::fetch::event;
use super::policy::ScheduledRefresh;
use super::refresh::{Cache, Control};

/// A timer woken this many times with its clock barely moved (its sleep does not follow the
/// provider's clock, as tokio's paused test time with the system clock) gives up: refreshes
/// then start on demand.
const EARLY_WAKES: u32 = 3;

/// The longest a timer sleeps before looking at its clock again. A sleep's own clock may stop
/// while the provider's does not (tokio's timers do not count the time a machine is suspended):
/// a laptop that wakes after its credentials expired refreshes within this much of waking, not
/// when the rest of the timer's sleep has passed.
const TIMER_LOOKS_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

impl Cache {
    /// Sets the timer to start a refresh at `at` (by the provider's clock), replacing any timer
    /// set before. Called with the lock held. Nothing is set without a runtime to run it on, or
    /// when this provider does not refresh on a timer.
    pub(super) fn arm(self: &Arc<Self>, ctl: &mut Control, at: SystemTime) {
        if let Some(old) = ctl.timer.take() {
            old.abort();
        }
        ctl.timer_number += 1;
        let number = ctl.timer_number;
        let (Some(sleep), Ok(runtime)) = (&self.sleep, tokio::runtime::Handle::try_current())
        else {
            return;
        };
        let (sleep, clock, cache) = (sleep.clone(), self.clock.clone(), Arc::downgrade(self));
        let task = runtime.spawn(async move {
            // The timer holds no strong reference while it sleeps: a provider dropped meanwhile
            // is gone, and the timer with it. It looks at its clock at least every
            // `TIMER_LOOKS_EVERY`, so a moment passed while the sleep's clock stood still (a
            // suspended machine) is seen soon after.
            let mut stalled = 0;
            loop {
                let before = clock.now();
                let Ok(left) = at.duration_since(before) else {
                    break;
                };
                if left.is_zero() {
                    break;
                }
                if stalled == EARLY_WAKES {
                    return;
                }
                let nap = left.min(TIMER_LOOKS_EVERY);
                sleep.sleep(nap).await;
                let moved = clock.now().duration_since(before).unwrap_or_default();
                if moved < nap / 2 {
                    stalled += 1;
                }
            }
            if let Some(cache) = cache.upgrade() {
                cache.timer_fired(number);
            }
        });
        ctl.timer = Some(task.abort_handle());
    }

    /// The timer's moment: start a refresh unless one runs, a failure is being backed off
    /// (then the timer waits for the retry), or there is nothing to refresh (invalidated).
    ///
    /// A timer that comes late, after the credentials expired (a machine that slept through
    /// their end), refreshes all the same: the next caller then finds fresh credentials, or
    /// the refresh in flight, rather than starting it.
    pub(super) fn timer_fired(self: &Arc<Self>, number: u64) {
        let now = self.clock.now();
        let mut ctl = self.control();
        if ctl.timer_number != number {
            return; // replaced while it woke
        }
        ctl.timer = None;
        if ctl.flight.is_some() || self.current.load().is_none() {
            return;
        }
        if let Some(retry_at) = ctl.failure.as_ref().map(|f| f.retry_at)
            && now < retry_at
        {
            self.arm(&mut ctl, retry_at);
            return;
        }
        if self.valid(now).is_none() {
            event!(
                info,
                self.subject(),
                "the refresh timer came after the credentials expired (was the machine asleep?); refreshing now"
            );
        } else {
            event!(debug, self.subject(), "scheduled refresh: no caller needed");
        }
        // Unattended, so no person is asked, unless told a person is at hand to answer
        // ahead of expiry.
        let unattended = self.policy.scheduled != ScheduledRefresh::Always;
        let _running = self.launch_as(&mut ctl, now, unattended);
    }
}
