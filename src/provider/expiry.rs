//! Credentials judged on STS's clock: how long those just fetched (or read from a cache) are
//! served, by this machine's clock, whatever the skew between the two.

use std::sync::atomic::Ordering;
use std::time::SystemTime;

use aws_credential_types::Credentials;

use super::fetch::{Fetched, event};
use super::refresh::Cache;
use crate::error::Error;

/// A difference between this machine's clock and STS's this large is logged (once).
const SKEW_WORTH_SAYING: std::time::Duration = std::time::Duration::from_secs(60);

/// `t` moved by `ms` milliseconds (either way).
pub(super) fn shift(t: SystemTime, ms: i64) -> SystemTime {
    let d = std::time::Duration::from_millis(ms.unsigned_abs());
    if ms >= 0 {
        t.checked_add(d)
    } else {
        t.checked_sub(d)
    }
    .unwrap_or(t)
}

impl Cache {
    /// Credentials as this machine's clock should see them: their remaining life is judged on
    /// STS's clock (the last answer's `Date` gives this machine's skew), so a clock ahead of
    /// STS's neither finds fresh credentials dead nor refreshes them in a storm, and one behind
    /// it does not serve them past their end. Returns the credentials and their expiry by this
    /// machine's clock.
    ///
    /// Credentials that are dead or about to be are refused, as serving them would only turn
    /// every call into a refresh: on STS's clock, those with less than a second left; when
    /// STS's time was never known (no answer had a readable `Date`), those with no more than
    /// the mandatory window of a full session left by this machine's clock, which may be ahead.
    pub(super) fn expiry_on_stss_clock(
        &self,
        fetched: Fetched,
        now: SystemTime,
        took: std::time::Duration,
    ) -> Result<(Credentials, SystemTime), Error> {
        if let Some(server) = fetched.server_time {
            self.skew_ms
                .store(server.careful_skew_ms(), Ordering::Release);
            self.skew_known.store(true, Ordering::Release);
            let (least, _) = server.skew_range();
            let size = server.sure_skew();
            if size >= SKEW_WORTH_SAYING && !self.skew_said.swap(true, Ordering::AcqRel) {
                let way = if least < 0 { "ahead of" } else { "behind" };
                event!(
                    warn,
                    self.subject(),
                    skew = ?size,
                    "this machine's clock is at least {size:?} {way} STS's (by the Date of its answer); expiries are judged on STS's clock"
                );
            }
        }
        let server_now = shift(now, self.skew_ms.load(Ordering::Acquire));
        let credentials = fetched.credentials;
        let expiry = credentials.expiry().unwrap_or(server_now);
        // STS never grants more than was asked for: credentials that seem to have more left
        // than the full session are seen through a clock behind STS's with no `Date` to tell
        // (or a cache entry read by such a clock), and are judged to last the session at most,
        // counted from when this refresh began when STS's time is unknown (they were issued
        // after it, and the answer may have taken a while to come back).
        let session = if self.skew_known.load(Ordering::Acquire) {
            self.fetch.nominal_lifetime()
        } else {
            self.fetch.nominal_lifetime().saturating_sub(took)
        };
        let remaining = expiry
            .duration_since(server_now)
            .unwrap_or_default()
            .min(session);
        // This machine's clock may drift from STS's after the `Date` that measured them: a
        // thousandth of the remaining life (3.6 s an hour) is taken off for a drift of up to
        // 1,000 ppm, twice what an unsynchronised clock is allowed.
        let remaining = remaining.saturating_sub(remaining / 1000);
        let floor = if self.skew_known.load(Ordering::Acquire) {
            std::time::Duration::from_secs(1)
        } else {
            self.policy.windows(self.fetch.nominal_lifetime()).1
        };
        if remaining <= floor {
            return Err(Error::ExpiredOnArrival { remaining });
        }
        Ok((credentials, now + remaining))
    }
}
