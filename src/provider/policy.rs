//! When to refresh: windows that scale with the credentials' lifetime, jitter, and backoff.

use std::time::{Duration, SystemTime};

/// When the provider refreshes, and how it backs off when STS fails.
///
/// For credentials that live `L` (from the moment they arrive to their expiry):
///
/// | window | default length before expiry | what callers see |
/// |---|---|---|
/// | advisory | `min(L / 4, 15 min)`, started up to 50 % of that earlier again at random (jitter) | the cached credentials at once; one background refresh runs |
/// | mandatory | `min(L / 12, 5 min)` | they wait for the one refresh in flight |
///
/// So one-hour credentials are refreshed in the background 15 to 22.5 minutes before they
/// expire, and callers block only if that has not succeeded 5 minutes before expiry;
/// 15-minute credentials, 3:45 to 5:37 before expiry, blocking in the last 75 seconds.
/// botocore uses a fixed 15/10 minutes (which makes 15-minute credentials refresh on almost
/// every call); the Go SDK v2 as released refreshes at expiry (`ExpiryWindow` 0 by default).
///
/// A failed refresh keeps the current credentials while they are valid. Retryable failures
/// (throttling, 5xx, timeouts, connection errors, once the STS client's own retries are spent)
/// are retried after a jittered exponential backoff: the `n`-th retry waits
/// `d = min(base × 2^(n-1), max)`, half of it fixed and half at random (between `d/2` and
/// `d`). There are two such backoffs:
///
/// - **while valid credentials are held** ([`backoff`](Self::backoff)), callers are served
///   from memory and lose nothing by a later retry: 300 to 600 s from the first failure by
///   default (the backoff of a rule in AWS's SDK sources, see
///   [`docs::refresh`](crate::docs::refresh)), so a fleet in a long STS outage stays
///   quiet. However long it is, one more try comes at a random moment of the mandatory window,
///   before the credentials expire;
/// - **with nothing valid to serve** ([`expired_backoff`](Self::expired_backoff)), every caller
///   fails until a retry succeeds: 0.5–1 s doubling to 30–60 s by default.
///
/// Others (AccessDenied, invalid configuration) are remembered for `error_ttl`, so a storm of
/// callers does not hammer STS. Expired credentials are never served, not even while STS is
/// down: AWS services refuse them (`ExpiredToken`). [`docs::refresh`](crate::docs::refresh)
/// compares this with the SDKs, with fleet figures.
///
/// Before the advisory window callers are served at once. In the advisory window too, while
/// one background refresh runs. In the mandatory window, callers wait for the refresh in flight
/// (starting one if none runs and no failure is being backed off) and get the still-valid
/// credentials back if it fails; only expired credentials are never served. A provider whose
/// refresh may ask a person for an MFA code treats the mandatory window as advisory: it never
/// makes callers wait on a prompt while its credentials are valid.
///
/// # Refresh on a timer
///
/// A provider does not wait for a caller to start its refresh: when credentials arrive, it
/// schedules the refresh for the start of the advisory window (jittered as above) on the tokio
/// runtime the credentials arrived on, and retries failed refreshes there with the backoff while
/// the credentials are valid. So a quiet service (a queue consumer, a worker that wakes every
/// half hour) finds fresh credentials too, and no caller waits for STS unless STS has failed for
/// the whole advisory window. An idle provider makes one STS call per credential lifetime. The
/// timer holds no strong reference: it ends when the last clone of the provider is dropped.
/// [`scheduled`](Self::scheduled) says which providers use it; see [`ScheduledRefresh`].
///
/// Without a runtime (credentials loaded by code that no tokio runtime drives), there is no
/// timer: refreshes start on demand, as callers arrive. A provider given its own
/// [`time_source`](crate::AssumeRoleProviderBuilder::time_source) refreshes on a timer only if
/// it is also given a [`sleep_impl`](crate::AssumeRoleProviderBuilder::sleep_impl) that follows
/// that clock (for tests, a `ManualClock` is both).
#[derive(Clone, Debug, PartialEq)]
pub struct RefreshPolicy {
    /// The advisory window as a fraction of the credentials' lifetime. Default 0.25.
    pub(crate) advisory_fraction: f64,
    /// The longest advisory window. Default 15 minutes.
    pub(crate) advisory_max: Duration,
    /// The mandatory window as a fraction of the lifetime. Default 1/12.
    pub(crate) mandatory_fraction: f64,
    /// The longest mandatory window. Default 5 minutes.
    pub(crate) mandatory_max: Duration,
    /// How much earlier than the advisory window a refresh may start, at random, as a
    /// fraction of that window. 0 turns jitter off. Default 0.5.
    pub(crate) jitter: f64,
    /// While valid credentials are held, the scale of the first retry after a retryable
    /// failure: it comes after half to all of this, the next after twice that, and so on.
    /// Default 10 minutes (the first retry 300 to 600 s after the failure).
    pub(crate) backoff_base: Duration,
    /// While valid credentials are held, the cap on that scale: no retry waits longer, except
    /// that one comes before they expire. Default 10 minutes.
    pub(crate) backoff_max: Duration,
    /// With no valid credentials held (a first load, or after expiry), the scale of the first
    /// retry. Default 1 second (0.5 to 1 s).
    pub(crate) expired_backoff_base: Duration,
    /// With no valid credentials held, the cap on that scale (30 to 60 s by default). Default
    /// 60 seconds.
    pub(crate) expired_backoff_max: Duration,
    /// How long a non-retryable failure is remembered and returned without calling STS.
    /// Default 10 seconds.
    pub(crate) error_ttl: Duration,
    /// Which providers refresh on a timer, with no caller. Default
    /// [`ScheduledRefresh::Unattended`].
    pub(crate) scheduled: ScheduledRefresh,
}

/// Which providers refresh on a timer (see [`RefreshPolicy`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScheduledRefresh {
    /// Every provider that never asks a person: no MFA, or an MFA token source that answers by
    /// itself ([`TokenSource::interactive`](crate::mfa::TokenSource::interactive) is `false`,
    /// as for [`Totp`](crate::mfa::Totp)). One that may ask a person refreshes when a caller
    /// comes in the advisory window (asking in the background, never making callers wait while
    /// its credentials are valid), so an idle tool never prompts at night. The default.
    #[default]
    Unattended,
    /// Every provider, those that prompt a person included: the prompt comes ahead of expiry
    /// even with no caller (from this provider's source too), for an application where a
    /// person is at hand (a desktop tool) and a prompt is better than a request that waits.
    /// Otherwise a timer's refresh never prompts, not even through a source
    /// ([`MfaError::Unattended`](crate::mfa::MfaError::Unattended)).
    Always,
    /// None: refreshes start only when a caller comes in the advisory window, or must wait in
    /// the mandatory window.
    Off,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            advisory_fraction: 0.25,
            advisory_max: Duration::from_secs(15 * 60),
            mandatory_fraction: 1.0 / 12.0,
            mandatory_max: Duration::from_secs(5 * 60),
            jitter: 0.5,
            backoff_base: Duration::from_secs(10 * 60),
            backoff_max: Duration::from_secs(10 * 60),
            expired_backoff_base: Duration::from_secs(1),
            expired_backoff_max: Duration::from_secs(60),
            error_ttl: Duration::from_secs(10),
            scheduled: ScheduledRefresh::default(),
        }
    }
}

/// The moments that matter for one set of credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Schedule {
    /// From here on, a background refresh is started.
    pub(crate) refresh_at: SystemTime,
    /// From here on, callers wait for a refresh.
    pub(crate) mandatory_at: SystemTime,
    /// The credentials' expiry.
    pub(crate) expiry: SystemTime,
}

impl RefreshPolicy {
    /// Sets the advisory window: `fraction` of the lifetime, at most `max`.
    #[must_use]
    pub fn advisory_window(mut self, fraction: f64, max: Duration) -> Self {
        self.advisory_fraction = fraction;
        self.advisory_max = max;
        self
    }

    /// Sets the mandatory window: `fraction` of the lifetime, at most `max`.
    #[must_use]
    pub fn mandatory_window(mut self, fraction: f64, max: Duration) -> Self {
        self.mandatory_fraction = fraction;
        self.mandatory_max = max;
        self
    }

    /// Sets the jitter fraction; 0 turns it off.
    #[must_use]
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = fraction;
        self
    }

    /// Sets the retry backoff after retryable failures while valid credentials are held: its
    /// first scale and its cap. `backoff(Duration::from_secs(1), Duration::from_secs(60))` is
    /// the backoff of version 0.1.
    #[must_use]
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_max = max;
        self
    }

    /// Sets the retry backoff with no valid credentials held (a first load, or after expiry),
    /// when every caller fails until a retry succeeds: its first scale and its cap.
    #[must_use]
    pub fn expired_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.expired_backoff_base = base;
        self.expired_backoff_max = max;
        self
    }

    /// Sets how long a non-retryable failure is remembered.
    #[must_use]
    pub fn error_ttl(mut self, ttl: Duration) -> Self {
        self.error_ttl = ttl;
        self
    }

    /// Sets which providers refresh on a timer; [`ScheduledRefresh::Off`] refreshes only on
    /// demand.
    #[must_use]
    pub fn scheduled(mut self, scheduled: ScheduledRefresh) -> Self {
        self.scheduled = scheduled;
        self
    }

    /// The advisory and mandatory window lengths for credentials that live `lifetime`.
    pub(crate) fn windows(&self, lifetime: Duration) -> (Duration, Duration) {
        let scale =
            |fraction: f64, max: Duration| lifetime.mul_f64(fraction.clamp(0.0, 1.0)).min(max);
        let mandatory = scale(self.mandatory_fraction, self.mandatory_max);
        let advisory = scale(self.advisory_fraction, self.advisory_max).max(mandatory);
        (advisory, mandatory)
    }

    /// When to refresh credentials received at `now` that expire at `expiry`. `unit` is a
    /// random number in `[0, 1)` that places the jitter.
    pub(crate) fn schedule(&self, now: SystemTime, expiry: SystemTime, unit: f64) -> Schedule {
        let lifetime = expiry.duration_since(now).unwrap_or_default();
        let (advisory, mandatory) = self.windows(lifetime);
        let jitter = advisory.mul_f64((self.jitter.clamp(0.0, 1.0) * unit).clamp(0.0, 1.0));
        let before = |d: Duration| expiry.checked_sub(d).unwrap_or(now).max(now);
        Schedule {
            refresh_at: before(advisory.saturating_add(jitter).min(lifetime)),
            mandatory_at: before(mandatory),
            expiry,
        }
    }

    /// The delay before retry number `failures` (1-based) after a retryable failure, with
    /// valid credentials held or not: "equal jitter", half fixed and half random, so retries
    /// spread out.
    pub(crate) fn backoff_delay(&self, failures: u32, valid_held: bool, unit: f64) -> Duration {
        let exp = failures.saturating_sub(1).min(30);
        let (base, cap) = if valid_held {
            (self.backoff_base, self.backoff_max)
        } else {
            (self.expired_backoff_base, self.expired_backoff_max)
        };
        let full = base.saturating_mul(1 << exp).min(cap);
        full / 2 + (full / 2).mul_f64(unit.clamp(0.0, 1.0))
    }

    /// When failure number `consecutive` (1-based) of a refresh is tried again, with `valid`
    /// the schedule of the credentials held while they are valid, and `last_try_for` the
    /// expiry of the credentials whose last try was already made. A function of its inputs and
    /// of `random`'s draws in `[0, 1)`, taken in a fixed order so that a seeded provider
    /// retries reproducibly.
    ///
    /// A retryable failure waits the backoff: the longer one while valid credentials are held,
    /// but from their expiry on callers fail, so then no later than a random moment of the
    /// shorter backoff's step after it (spread, for a fleet whose credentials expire
    /// together); with none held, the shorter one. A failure retrying cannot help waits
    /// `error_ttl`. And a retry is never put off past the end of the credentials held: there
    /// is one more try while they are valid, at a random moment of their mandatory window (so
    /// a fleet loaded together does not make its last tries in one second).
    pub(crate) fn plan_retry(
        &self,
        now: SystemTime,
        consecutive: u32,
        retryable: bool,
        valid: Option<Schedule>,
        last_try_for: Option<SystemTime>,
        mut random: impl FnMut() -> f64,
    ) -> Retry {
        let delay = if retryable {
            let unit = random();
            match valid {
                Some(schedule) => {
                    let after_expiry = self
                        .backoff_delay(consecutive, false, 1.0)
                        .mul_f64(random());
                    self.backoff_delay(consecutive, true, unit)
                        .min(schedule.expiry.duration_since(now).unwrap_or_default() + after_expiry)
                }
                None => self.backoff_delay(consecutive, false, unit),
            }
        } else {
            self.error_ttl
        };
        let unit = random();
        let last_try = valid
            .filter(|schedule| last_try_for != Some(schedule.expiry))
            .map(|schedule| {
                let window = schedule
                    .expiry
                    .duration_since(schedule.mandatory_at)
                    .unwrap_or_default()
                    .saturating_sub(LAST_TRY_BEFORE_EXPIRY);
                let before = LAST_TRY_BEFORE_EXPIRY + window.mul_f64(unit);
                schedule
                    .expiry
                    .checked_sub(before)
                    .unwrap_or(schedule.expiry)
                    .max(now)
            });
        match last_try {
            Some(last) if last < now + delay => Retry {
                at: last,
                last_try,
                is_last_try: true,
            },
            _ => Retry {
                at: now + delay,
                last_try,
                is_last_try: false,
            },
        }
    }
}

/// However long the backoff, a failed refresh is tried again at least this long before the
/// credentials held expire (or at once, when they expire sooner).
pub(crate) const LAST_TRY_BEFORE_EXPIRY: Duration = Duration::from_secs(1);

/// When a failed refresh is tried again: [`RefreshPolicy::plan_retry`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Retry {
    /// The next try; callers until then are answered with the failure.
    pub(crate) at: SystemTime,
    /// The one more try the credentials held get while they are valid, unless they had it.
    pub(crate) last_try: Option<SystemTime>,
    /// `at` is that last try: no later failure gets another for these credentials.
    pub(crate) is_last_try: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn schedule_at(now: SystemTime, expiry_in: Duration) -> Schedule {
        Schedule {
            refresh_at: now,
            mandatory_at: now + expiry_in - 5 * MIN,
            expiry: now + expiry_in,
        }
    }

    #[test]
    fn a_retry_is_never_put_past_the_last_try_before_the_credentials_held_expire() {
        let p = RefreshPolicy::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        // Ten minutes left and a backoff of 300-600 s: the retry comes in the backoff.
        let valid = schedule_at(now, 10 * MIN);
        let retry = p.plan_retry(now, 1, true, Some(valid), None, || 0.0);
        assert_eq!(retry.at, now + 5 * MIN);
        assert!(!retry.is_last_try);
        // Four minutes left: the last try, in the mandatory window, before the backoff ends.
        let valid = schedule_at(now, 4 * MIN);
        let retry = p.plan_retry(now, 1, true, Some(valid), None, || 0.5);
        assert!(retry.is_last_try);
        assert!(retry.at > now && retry.at <= valid.expiry - LAST_TRY_BEFORE_EXPIRY);
        // Once made, no second last try for the same credentials: then the backoff, cut at
        // the shorter backoff's first step after their expiry.
        let again = p.plan_retry(now, 2, true, Some(valid), Some(valid.expiry), || 0.5);
        assert!(!again.is_last_try);
        assert_eq!(again.last_try, None);
        assert_eq!(again.at, valid.expiry + Duration::from_secs(1));
    }

    #[test]
    fn with_nothing_valid_held_the_retry_waits_the_shorter_backoff_and_errors_error_ttl() {
        let p = RefreshPolicy::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let retry = p.plan_retry(now, 3, true, None, None, || 0.0);
        assert_eq!(retry.at, now + Duration::from_secs(2));
        assert_eq!(retry.last_try, None);
        let retry = p.plan_retry(now, 3, false, None, None, || 0.0);
        assert_eq!(retry.at, now + p.error_ttl);
    }

    #[test]
    fn windows_scale_with_lifetime_and_are_capped() {
        let p = RefreshPolicy::default();
        assert_eq!(
            p.windows(15 * MIN),
            (Duration::from_secs(225), Duration::from_secs(75))
        );
        assert_eq!(p.windows(60 * MIN), (15 * MIN, 5 * MIN));
        assert_eq!(p.windows(12 * 60 * MIN), (15 * MIN, 5 * MIN));
        assert_eq!(
            p.windows(Duration::from_secs(60)),
            (Duration::from_secs(15), Duration::from_secs(5))
        );
    }

    #[test]
    fn schedule_places_refresh_inside_the_jitter_range() {
        let p = RefreshPolicy::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let expiry = now + 60 * MIN;
        let early = p.schedule(now, expiry, 0.0);
        assert_eq!(early.refresh_at, expiry - 15 * MIN);
        assert_eq!(early.mandatory_at, expiry - 5 * MIN);
        let late = p.schedule(now, expiry, 0.999_999);
        assert!(
            late.refresh_at < expiry - 22 * MIN && late.refresh_at >= expiry - 22 * MIN - MIN / 2
        );
        let none = p.clone().jitter(0.0).schedule(now, expiry, 0.9);
        assert_eq!(none.refresh_at, expiry - 15 * MIN);
    }

    #[test]
    fn schedule_never_points_before_now() {
        let p = RefreshPolicy::default().advisory_window(1.0, Duration::MAX);
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let s = p.schedule(now, now + MIN, 0.99);
        assert_eq!(s.refresh_at, now);
        let past = p.schedule(now, now - MIN, 0.5);
        assert_eq!((past.refresh_at, past.mandatory_at), (now, now));
    }

    #[test]
    fn backoff_doubles_with_equal_jitter_up_to_the_cap() {
        let p = RefreshPolicy::default();
        // While valid credentials are held: 300 to 600 s from the first failure on.
        assert_eq!(p.backoff_delay(1, true, 0.0), Duration::from_secs(300));
        assert_eq!(p.backoff_delay(1, true, 1.0), Duration::from_secs(600));
        assert_eq!(p.backoff_delay(40, true, 0.0), Duration::from_secs(300));
        // With none: 0.5 to 1 s, doubling to 30 to 60 s.
        assert_eq!(p.backoff_delay(1, false, 0.0), Duration::from_millis(500));
        assert_eq!(p.backoff_delay(1, false, 1.0), Duration::from_secs(1));
        assert_eq!(p.backoff_delay(3, false, 0.0), Duration::from_secs(2));
        assert_eq!(p.backoff_delay(40, false, 1.0), Duration::from_secs(60));
        assert_eq!(p.backoff_delay(40, false, 0.0), Duration::from_secs(30));
        let old = p
            .clone()
            .backoff(Duration::from_secs(1), Duration::from_secs(60));
        assert_eq!(old.backoff_delay(3, true, 0.0), Duration::from_secs(2));
        assert_eq!(old.backoff_delay(40, true, 1.0), Duration::from_secs(60));
        let expired = p.expired_backoff(Duration::from_secs(2), Duration::from_secs(10));
        assert_eq!(expired.backoff_delay(1, false, 0.0), Duration::from_secs(1));
        assert_eq!(
            expired.backoff_delay(40, false, 1.0),
            Duration::from_secs(10)
        );
    }
}
