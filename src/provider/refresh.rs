//! The provider's cache: lock-free reads of valid credentials, one refresh in flight at a time,
//! and memory of failures.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::SystemTime;

use arc_swap::ArcSwapOption;
use aws_credential_types::Credentials;
use aws_smithy_async::rt::sleep::SharedAsyncSleep;
use futures_util::FutureExt;
use futures_util::future::Shared;

use super::expiry::shift;
use super::fetch::{
    BoxFuture, CredentialsOf, Fetch, FetchContext, PersonAsked, Waiting, attended_as, event,
    unattended, waiting, waiting_for,
};
use super::policy::{RefreshPolicy, Schedule, ScheduledRefresh};
use crate::clock::{self, Clock};
use crate::error::Error;

/// A refresh failure, shared by every caller that waited for that refresh.
pub(crate) type SharedError = Arc<Error>;

/// Credentials and when to refresh them.
#[derive(Debug)]
pub(crate) struct Cached {
    pub(crate) credentials: Credentials,
    pub(crate) schedule: Schedule,
    /// `schedule.refresh_at` in Unix nanoseconds, for the warm path's coarse clock.
    refresh_at_nanos: u64,
}

impl Cached {
    fn new(credentials: Credentials, schedule: Schedule) -> Self {
        Self {
            credentials,
            refresh_at_nanos: clock::unix_nanos(schedule.refresh_at),
            schedule,
        }
    }
}

type FlightResult = Result<Arc<Cached>, SharedError>;

/// A refresh in flight: a spawned task whose result every waiter shares.
pub(super) struct Flight {
    result: Shared<BoxFuture<FlightResult>>,
    abort: Option<tokio::task::AbortHandle>,
    /// Whether it waits on a person (its own question or a source's).
    asked: Arc<PersonAsked>,
    /// The refreshes it works for, which refreshes of other providers join.
    chain: Arc<Waiting>,
}

/// The last failure, remembered until `retry_at`.
#[derive(Clone, Debug)]
pub(crate) struct Failure {
    pub(crate) error: SharedError,
    pub(crate) retry_at: SystemTime,
    pub(crate) consecutive: u32,
    /// It failed only for want of a person to answer for an MFA code
    /// ([`Error::needs_person`]): a load with a caller behind it does not wait for `retry_at`,
    /// it asks.
    pub(crate) needs_person: bool,
}

impl Failure {
    /// Whether a load at `now` must not start a refresh yet. A failure for want of a person
    /// holds back only refreshes with nobody behind them (see [`unattended`]): a caller's
    /// refresh asks the person at once.
    fn holds_back(&self, now: SystemTime) -> bool {
        now < self.retry_at && (!self.needs_person || unattended())
    }
}

#[derive(Default)]
pub(super) struct Control {
    pub(super) flight: Option<Flight>,
    pub(super) failure: Option<Failure>,
    /// The access key ID of the credentials last invalidated: a credential store must not
    /// hand them back.
    pub(super) rejected: Option<String>,
    /// The timer that starts the next refresh with no caller, when one is set, and its
    /// number: a timer that wakes after another replaced it (its abort came too late) finds
    /// its number stale and does nothing.
    pub(super) timer: Option<tokio::task::AbortHandle>,
    pub(super) timer_number: u64,
    /// The expiry of the credentials whose last try before expiry is set: there is one.
    pub(super) last_try_for: Option<SystemTime>,
}

/// State shared by all clones of a provider and by its refresh task.
pub(crate) struct Cache {
    pub(super) current: ArcSwapOption<Cached>,
    /// Unix milliseconds before which the advisory path must not try to start a refresh (a
    /// refresh is running, or a failure is being backed off). Lets the advisory path skip the
    /// lock.
    pub(super) advisory_gate: AtomicU64,
    /// Whether credentials were ever loaded (an invalidated cache refreshes, it does not load
    /// for the first time).
    pub(super) loaded: AtomicBool,
    pub(super) control: Mutex<Control>,
    pub(super) fetch: Arc<dyn Fetch>,
    pub(crate) clock: Clock,
    pub(super) policy: RefreshPolicy,
    pub(super) rng: Mutex<fastrand::Rng>,
    /// What the refresh timer sleeps with; `None`: no timer.
    pub(super) sleep: Option<SharedAsyncSleep>,
    /// STS's clock minus this machine's, in milliseconds, from the `Date` of STS's last
    /// answer (0 until one is seen): the largest value that answer allows
    /// ([`ServerTime::careful_skew_ms`](super::server_time::ServerTime::careful_skew_ms)), so
    /// expiries judged on STS's clock, estimated with it, are never later than the true ones.
    pub(super) skew_ms: AtomicI64,
    /// Whether a skew worth saying was logged.
    pub(super) skew_said: AtomicBool,
    /// Whether STS's time was ever known.
    pub(super) skew_known: AtomicBool,
    /// Whether the last refresh failed for want of a person to answer for an MFA code (here or
    /// in a source): until a refresh succeeds, the provider acts as one whose fetch prompts,
    /// never making callers wait on that question while its credentials are valid.
    pub(super) needs_person: AtomicBool,
}

/// What the warm path decided.
pub(crate) enum WarmPath {
    /// Serve these.
    Serve(Credentials),
    /// Wait for a refresh.
    Wait,
}

/// `t` in Unix milliseconds, for the advisory gate.
fn millis(t: SystemTime) -> u64 {
    clock::unix_nanos(t) / 1_000_000
}

impl Cache {
    pub(crate) fn new(
        fetch: Arc<dyn Fetch>,
        clock: Clock,
        policy: RefreshPolicy,
        seed: Option<u64>,
        sleep: Option<SharedAsyncSleep>,
    ) -> Self {
        let timed = match policy.scheduled {
            ScheduledRefresh::Always => true,
            ScheduledRefresh::Unattended => !fetch.prompts(),
            _ => false,
        };
        Self {
            sleep: sleep.filter(|_| timed),
            skew_ms: AtomicI64::new(0),
            skew_said: AtomicBool::new(false),
            skew_known: AtomicBool::new(false),
            needs_person: AtomicBool::new(false),
            current: ArcSwapOption::empty(),
            advisory_gate: AtomicU64::new(0),
            loaded: AtomicBool::new(false),
            control: Mutex::new(Control::default()),
            fetch,
            clock,
            policy,
            rng: Mutex::new(seed.map(fastrand::Rng::with_seed).unwrap_or_default()),
        }
    }

    pub(super) fn control(&self) -> MutexGuard<'_, Control> {
        // A panic while holding the lock leaves the state consistent (every update is a single
        // assignment), so a poisoned lock is still usable.
        self.control.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn random(&self) -> f64 {
        self.rng.lock().unwrap_or_else(|p| p.into_inner()).f64()
    }

    pub(crate) fn subject(&self) -> &CredentialsOf {
        self.fetch.subject()
    }

    /// Whether a refresh may wait on a person: the fetch asks one for MFA codes, or the last
    /// refresh failed for want of one (a source's MFA session needs a new code).
    fn prompts(&self) -> bool {
        self.fetch.prompts() || self.needs_person.load(Ordering::Acquire)
    }

    /// The warm path: no lock, no I/O, no allocation beyond cloning the credentials.
    ///
    /// Well before the refresh is due, a coarse read of the system clock settles it
    /// ([`Clock::surely_before`]); from then on, and always with an injected clock, the clock
    /// is read exactly, once.
    #[inline]
    pub(crate) fn warm_path(self: &Arc<Self>) -> WarmPath {
        let guard = self.current.load();
        let Some(cached) = guard.as_ref() else {
            return WarmPath::Wait;
        };
        if self.clock.surely_before(cached.refresh_at_nanos) {
            return WarmPath::Serve(cached.credentials.clone());
        }
        let now = self.clock.now();
        let s = &cached.schedule;
        if now < s.refresh_at {
            return WarmPath::Serve(cached.credentials.clone());
        }
        // A fetch that may prompt a person never holds callers up while credentials are valid.
        if now < s.mandatory_at || (self.prompts() && now < s.expiry) {
            if millis(now) >= self.advisory_gate.load(Ordering::Acquire) {
                self.start_background(now);
            }
            return WarmPath::Serve(cached.credentials.clone());
        }
        WarmPath::Wait
    }

    /// Starts a background refresh in the advisory window, unless one runs or a failure is
    /// being backed off.
    fn start_background(self: &Arc<Self>, now: SystemTime) {
        let mut ctl = self.control();
        if ctl.flight.is_some() {
            return;
        }
        if let Some(f) = &ctl.failure
            && f.holds_back(now)
        {
            if !f.needs_person {
                self.advisory_gate
                    .store(millis(f.retry_at), Ordering::Release);
            }
            return;
        }
        if tokio::runtime::Handle::try_current().is_err() {
            // Nothing would drive a background task; the mandatory window will refresh.
            return;
        }
        event!(
            debug,
            self.subject(),
            "advisory refresh: serving cached credentials while refreshing in the background"
        );
        let _running = self.launch(&mut ctl, now);
    }

    /// The slow path: wait for the refresh in flight (starting one if needed). A caller whose
    /// cached credentials are still valid gets them back if the refresh fails.
    ///
    /// A caller that joined a refresh with nobody behind it (a timer's), which failed for want
    /// of a person to answer for an MFA code, is somebody: it starts a refresh of its own that
    /// asks, rather than take that failure as its answer.
    pub(crate) async fn wait_for_refresh(self: &Arc<Self>) -> Result<Credentials, SharedError> {
        let mut asked_for_a_person = false;
        loop {
            let now = self.clock.now();
            let flight = {
                let mut ctl = self.control();
                let current = self.current.load_full();
                match &current {
                    // Another caller refreshed while this one waited for the lock.
                    Some(c)
                        if now < c.schedule.mandatory_at
                            || (self.prompts() && now < c.schedule.expiry) =>
                    {
                        return Ok(c.credentials.clone());
                    }
                    _ => {}
                }
                if let Some(f) = &ctl.flight {
                    // A refresh of another provider that loads this one joins the chain told
                    // when a person is asked.
                    if let Some(joiner) = waiting() {
                        f.chain.join(&joiner, f.asked.is_marked());
                    }
                    (f.result.clone(), Arc::clone(&f.asked))
                } else if let Some(fail) = ctl.failure.clone().filter(|f| f.holds_back(now)) {
                    return self.after_failure(current.as_deref(), now, fail.error);
                } else {
                    let result = self.launch(&mut ctl, now);
                    let asked = ctl
                        .flight
                        .as_ref()
                        .map_or_else(Default::default, |f| Arc::clone(&f.asked));
                    (result, asked)
                }
            };
            let (flight, asked) = flight;
            // While the credentials held are valid, a caller does not wait on a person.
            let valid = self.current.load_full().and_then(|c| {
                (self.clock.now() < c.schedule.expiry).then(|| c.credentials.clone())
            });
            let outcome = match valid {
                Some(held) => {
                    tokio::select! {
                        outcome = flight => outcome,
                        () = asked.marked() => {
                            event!(
                                debug,
                                self.subject(),
                                "the refresh waits on a person; serving the credentials held"
                            );
                            return Ok(held);
                        }
                    }
                }
                None => flight.await,
            };
            match outcome {
                Ok(c) => return Ok(c.credentials.clone()),
                Err(e) if e.needs_person() && !unattended() && !asked_for_a_person => {
                    asked_for_a_person = true;
                }
                Err(e) => {
                    let current = self.current.load_full();
                    return self.after_failure(current.as_deref(), self.clock.now(), e);
                }
            }
        }
    }

    /// Serves still-valid credentials after a failed refresh, or the failure.
    fn after_failure(
        &self,
        current: Option<&Cached>,
        now: SystemTime,
        error: SharedError,
    ) -> Result<Credentials, SharedError> {
        match current {
            Some(c) if now < c.schedule.expiry => {
                event!(
                    warn,
                    self.subject(),
                    error = %error,
                    expires_in = ?c.schedule.expiry.duration_since(now).unwrap_or_default(),
                    "refresh failed; serving cached credentials that are still valid"
                );
                Ok(c.credentials.clone())
            }
            _ => Err(error),
        }
    }

    /// Spawns the refresh task and records it as the flight. Called with the lock held.
    /// A refresh for the timer is unattended (no caller waits on it), as is one started for a
    /// refresh that is (a provider above loading this one as its source).
    fn launch(
        self: &Arc<Self>,
        ctl: &mut Control,
        now: SystemTime,
    ) -> Shared<BoxFuture<FlightResult>> {
        self.launch_as(ctl, now, unattended())
    }

    pub(super) fn launch_as(
        self: &Arc<Self>,
        ctl: &mut Control,
        now: SystemTime,
        unattended: bool,
    ) -> Shared<BoxFuture<FlightResult>> {
        self.advisory_gate.store(u64::MAX, Ordering::Release);
        event!(debug, self.subject(), "refresh started");
        let this = Arc::clone(self);
        // The refreshes this one works for: its own, and those of the providers whose refresh
        // loads this one, when it is started from one.
        let asked = Arc::new(PersonAsked::default());
        let chain = Waiting::below(waiting().as_deref(), Arc::clone(&asked));
        let work = waiting_for(
            Arc::clone(&chain),
            attended_as(unattended, async move { this.refresh(now).await }),
        );
        let (result, abort): (BoxFuture<FlightResult>, _) =
            match tokio::runtime::Handle::try_current() {
                Ok(handle) => {
                    let task = handle.spawn(work);
                    let abort = task.abort_handle();
                    let cache = Arc::downgrade(self);
                    let joined = task.map(move |r| r.unwrap_or_else(|e| Err(abandoned(&cache, e))));
                    (Box::pin(joined), Some(abort))
                }
                // No runtime to run it on: the first waiter drives it.
                Err(_) => (Box::pin(work), None),
            };
        let result = result.shared();
        ctl.flight = Some(Flight {
            result: result.clone(),
            abort,
            asked,
            chain,
        });
        result
    }

    /// One STS call, and the bookkeeping after it.
    async fn refresh(self: Arc<Self>, started: SystemTime) -> FlightResult {
        let mut ctx = FetchContext {
            first: !self.loaded.load(Ordering::Acquire),
            avoid: Vec::new(),
            now: shift(started, self.skew_ms.load(Ordering::Acquire)),
        };
        if let Some(current) = self.current.load().as_ref() {
            ctx.avoid
                .push(current.credentials.access_key_id().to_owned());
        }
        if let Some(rejected) = self.control().rejected.clone() {
            ctx.avoid.push(rejected);
        }
        // A panic in what the fetch runs (a credentials source, a cache) is a failure like any
        // other: recorded, reported, and retried on schedule, never a provider stuck for good.
        let outcome = AssertUnwindSafe(Arc::clone(&self.fetch).fetch(ctx))
            .catch_unwind()
            .await
            .unwrap_or(Err(Error::Panicked));
        let now = self.clock.now();
        let took = now.duration_since(started).unwrap_or_default();
        let outcome = outcome.and_then(|fetched| self.expiry_on_stss_clock(fetched, now, took));
        let mut ctl = self.control();
        ctl.flight = None;
        match outcome {
            Ok((credentials, expiry)) => {
                self.needs_person.store(false, Ordering::Release);
                let schedule = self.policy.schedule(now, expiry, self.random());
                let cached = Arc::new(Cached::new(credentials, schedule));
                self.current.store(Some(Arc::clone(&cached)));
                self.loaded.store(true, Ordering::Release);
                ctl.failure = None;
                self.advisory_gate.store(0, Ordering::Release);
                self.arm(&mut ctl, schedule.refresh_at);
                event!(
                    info,
                    self.subject(),
                    expires_in = ?expiry.duration_since(now).unwrap_or_default(),
                    refresh_in = ?schedule.refresh_at.duration_since(now).unwrap_or_default(),
                    took = ?took,
                    "refreshed credentials"
                );
                Ok(cached)
            }
            Err(error) if error.needs_person() => {
                // Nobody was there to answer for an MFA code. Nothing was asked of STS, and
                // nothing is gained by trying again with nobody there: no timer is set. The
                // next caller's load asks (in the background while the credentials held are
                // valid, which callers are served meanwhile).
                self.needs_person.store(true, Ordering::Release);
                let error = SharedError::new(error);
                event!(
                    info,
                    self.subject(),
                    error = %error,
                    "refresh put off: it needs a person to answer for an MFA code, and no caller is waiting; the next caller's load asks"
                );
                let consecutive = ctl.failure.as_ref().map_or(0, |f| f.consecutive);
                ctl.failure = Some(Failure {
                    error: error.clone(),
                    retry_at: now + self.policy.error_ttl,
                    consecutive,
                    needs_person: true,
                });
                if let Some(timer) = ctl.timer.take() {
                    timer.abort();
                }
                ctl.timer_number += 1;
                self.advisory_gate.store(0, Ordering::Release);
                Err(error)
            }
            Err(error) => {
                let consecutive = ctl.failure.as_ref().map_or(0, |f| f.consecutive) + 1;
                // The credentials held, while they are valid: they set how long to wait.
                let valid = self
                    .current
                    .load()
                    .as_ref()
                    .map(|c| c.schedule)
                    .filter(|schedule| schedule.expiry > now);
                let retry = self.policy.plan_retry(
                    now,
                    consecutive,
                    error.is_retryable(),
                    valid,
                    ctl.last_try_for,
                    || self.random(),
                );
                if retry.is_last_try {
                    ctl.last_try_for = valid.map(|schedule| schedule.expiry);
                }
                let (retry_at, last_try) = (retry.at, retry.last_try);
                let delay = retry_at.duration_since(now).unwrap_or_default();
                let error = SharedError::new(error);
                event!(
                    warn,
                    self.subject(),
                    error = %error,
                    code = error.sts_code().map(|c| c.as_str()),
                    retryable = error.is_retryable(),
                    consecutive,
                    retry_in = ?delay,
                    "refresh failed"
                );
                ctl.failure = Some(Failure {
                    error: error.clone(),
                    retry_at,
                    consecutive,
                    needs_person: false,
                });
                self.advisory_gate
                    .store(millis(retry_at), Ordering::Release);
                // While the credentials are valid, the timer retries with the backoff (for a
                // non-retryable failure too: its short memory is for callers, not for a timer
                // that would call STS every few seconds).
                if valid.is_some() {
                    let backoff = self.policy.backoff_delay(consecutive, true, self.random());
                    // `retry_at` is at most the last try, when there is one.
                    let at = retry_at.max(now + backoff);
                    self.arm(&mut ctl, last_try.map_or(at, |last| at.min(last)));
                }
                Err(error)
            }
        }
    }

    /// Forgets the cached credentials and any remembered failure; with `only`, only if the
    /// current credentials have that access key ID (else nothing changes). Whether it did.
    pub(crate) fn invalidate(&self, only: Option<&str>) -> bool {
        let mut ctl = self.control();
        if let Some(key) = only {
            let current = self.current.load();
            if current
                .as_ref()
                .is_none_or(|c| c.credentials.access_key_id() != key)
            {
                return false;
            }
        }
        if let Some(current) = self.current.swap(None) {
            ctl.rejected = Some(current.credentials.access_key_id().to_owned());
        }
        if let Some(timer) = ctl.timer.take() {
            timer.abort();
        }
        ctl.timer_number += 1;
        ctl.failure = None;
        if ctl.flight.is_none() {
            self.advisory_gate.store(0, Ordering::Release);
        }
        true
    }

    /// Still-valid cached credentials, if any.
    pub(crate) fn valid(&self, now: SystemTime) -> Option<Credentials> {
        self.current
            .load()
            .as_ref()
            .filter(|c| now < c.schedule.expiry)
            .map(|c| c.credentials.clone())
    }

    pub(crate) fn status(&self) -> super::Status {
        let ctl = self.control();
        let current = self.current.load();
        super::Status {
            now: self.clock.now(),
            expiry: current.as_ref().map(|c| c.schedule.expiry),
            refresh_at: current.as_ref().map(|c| c.schedule.refresh_at),
            mandatory_at: current.as_ref().map(|c| c.schedule.mandatory_at),
            refreshing: ctl.flight.is_some(),
            last_error: ctl.failure.as_ref().map(|f| f.error.clone()),
            retry_at: ctl.failure.as_ref().map(|f| f.retry_at),
            consecutive_failures: ctl.failure.as_ref().map_or(0, |f| f.consecutive),
        }
    }

    /// Cancels a refresh in flight and the timer; called when the last provider clone is
    /// dropped.
    pub(crate) fn cancel(&self) {
        if let Some(timer) = self.control().timer.take() {
            timer.abort();
        }
        if let Some(flight) = self.control().flight.take()
            && let Some(abort) = flight.abort
        {
            abort.abort();
            event!(
                debug,
                self.subject(),
                "provider dropped; refresh in flight cancelled"
            );
        }
    }
}

/// The error for a refresh task that ended without finishing (its runtime shut down, or the
/// bookkeeping after the fetch panicked), and the clean-up it never did, run by the first
/// waiter to see it: the flight is cleared, so the next load starts a new refresh. (Until then
/// the flight is this one: no other can start while it is recorded.)
fn abandoned(cache: &Weak<Cache>, e: tokio::task::JoinError) -> SharedError {
    let error = if e.is_panic() {
        Error::Panicked
    } else {
        Error::Cancelled
    };
    if let Some(cache) = cache.upgrade() {
        cache.control().flight = None;
        cache.advisory_gate.store(0, Ordering::Release);
    }
    Arc::new(error)
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Cache");
        self.subject().field(&mut d);
        d.field(
            "expiry",
            &self.current.load().as_ref().map(|c| c.schedule.expiry),
        )
        .field("policy", &self.policy)
        .finish_non_exhaustive()
    }
}
