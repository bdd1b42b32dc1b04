//! One schedule: time moves step by step, callers come, the harness invalidates, revokes,
//! restarts and suspends, and after every step the invariants are checked.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_types::error::display::DisplayErrorContext;
use sts_assume_role::Status;

use crate::check::{self, Checker, Violation, Violations};
use crate::clock::{Clocks, diff_ns};
use crate::logs;
use crate::net::Shared;
use crate::plan::{Plan, log_uniform};
use crate::world::{Asks, Prov, World};

const SEC: Duration = Duration::from_secs(1);
const MIN: Duration = Duration::from_secs(60);

/// What a schedule did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub violations: Vec<Violation>,
    pub provider_hours: f64,
    pub steps: usize,
    pub sts_calls: usize,
    pub loads: usize,
    pub failed_loads: usize,
    pub questions: usize,
    /// Credentials served past their true expiry within the engine's known limits.
    pub within_limits: usize,
    /// The last events, to read a failure by.
    pub trace: Vec<String>,
    pub plan: String,
    /// Every STS call and the log, for `SIM_SEED` runs.
    pub calls: String,
    pub log: String,
    /// The plan's clock and network settings, in one line.
    pub summary: String,
}

#[derive(Default)]
struct Stats {
    loads: usize,
    failed: usize,
    /// Credentials served past their true expiry, but within the engine's known limits.
    within_limits: usize,
}

/// How far past their true expiry a provider may serve credentials, by what its clock cannot
/// know (the known limits in `tests/simulation.rs`): the engine judges on this machine's
/// clock, so a clock set back after STS's last answer stretches its credentials by as much;
/// and a new process reading the file cache before any answer of STS's cannot tell that its
/// clock is behind STS's, so an entry can last it up to that much longer (never more than a
/// full session).
fn known_limit(clocks: &Clocks, shared: &Shared, key: &str, reads_cache: bool) -> Duration {
    let mut limit = clocks.set_back();
    let behind = u64::try_from(clocks.skew_ns()).unwrap_or(0);
    if reads_cache
        && behind > 0
        && !shared
            .calls()
            .iter()
            .any(|c| c.key.as_deref() == Some(key) && c.http_status == Some(200))
    {
        limit += Duration::from_nanos(behind);
    }
    limit
}

/// Runs schedule `seed` on a runtime of its own, whose timers are paused and moved by the
/// harness together with STS's clock.
pub fn run(seed: u64) -> Outcome {
    let capture = logs::capture();
    let _ = capture.take();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a runtime");
    let outcome = runtime.block_on(async move {
        let plan = Plan::new(seed);
        let world = World::new(plan.clone()).await;
        let mut sim = Sim {
            watchdog: Watchdog::start(),
            rng: fastrand::Rng::with_seed(seed ^ 0x6861_726e_6573_7300),
            checker: Checker::default(),
            stats: Arc::new(Mutex::new(Stats::default())),
            trace: Vec::new(),
            step: 0,
            log_text: String::new(),
            capture,
            last_dt: Duration::ZERO,
            world,
        };
        sim.run().await
    });
    runtime.shutdown_background();
    outcome
}

/// Ends a step that does not end in real time. A refresh loop in zero virtual time keeps the
/// runtime busy, so its clock never moves and the step would never end: after `limit` of real
/// time, the receiver `arm` returned is sent to.
#[derive(Clone, Default)]
struct Watchdog(Arc<Mutex<Option<Armed>>>);

/// When to bark, and where.
type Armed = (std::time::Instant, tokio::sync::oneshot::Sender<()>);

impl Watchdog {
    /// Starts its thread, which ends when the watchdog is dropped.
    fn start() -> Self {
        let dog = Watchdog::default();
        let weak = Arc::downgrade(&dog.0);
        std::thread::spawn(move || {
            while let Some(armed) = weak.upgrade() {
                #[allow(clippy::disallowed_methods, reason = "a watchdog on real time")]
                let now = std::time::Instant::now();
                let mut armed = armed.lock().unwrap();
                if armed.as_ref().is_some_and(|(deadline, _)| now > *deadline)
                    && let Some((_, bark)) = armed.take()
                {
                    let _ = bark.send(());
                }
                drop(armed);
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        dog
    }

    fn arm(&self, limit: Duration) -> tokio::sync::oneshot::Receiver<()> {
        let (bark, heard) = tokio::sync::oneshot::channel();
        #[allow(clippy::disallowed_methods, reason = "a watchdog on real time")]
        let deadline = std::time::Instant::now() + limit;
        *self.0.lock().unwrap() = Some((deadline, bark));
        heard
    }

    fn disarm(&self) {
        *self.0.lock().unwrap() = None;
    }
}

/// How long a step may take in real time.
const STEP_LIMIT: Duration = Duration::from_secs(30);

struct Sim {
    world: World,
    watchdog: Watchdog,
    rng: fastrand::Rng,
    checker: Checker,
    stats: Arc<Mutex<Stats>>,
    trace: Vec<String>,
    step: usize,
    log_text: String,
    capture: logs::Capture,
    /// How far time moved in the last step (with the machine awake).
    last_dt: Duration,
}

/// Whether `err` tells a caller no person was asked for a code because no caller waited:
/// what a caller must never be told.
fn unattended(err: &CredentialsError) -> bool {
    check::put_off(err)
        || DisplayErrorContext(err)
            .to_string()
            .contains("no caller is waiting")
}

/// What a load's end is checked against.
#[derive(Clone)]
struct LoadEnd {
    name: String,
    /// The provider's key, and whether it reads the file cache (a profile's).
    key: String,
    reads_cache: bool,
    shared: Arc<Shared>,
    prov: Prov,
    clocks: Clocks,
    violations: Violations,
    stats: Arc<Mutex<Stats>>,
    /// For a provider whose source may ask a person, while its credentials were valid: how
    /// many of its source's loads had waited on the person when the load began.
    watch: Option<(Arc<AtomicUsize>, usize)>,
}

impl LoadEnd {
    fn finish(&self, result: Result<Credentials, CredentialsError>) {
        if let Some((waited, before)) = &self.watch
            && waited.load(Ordering::SeqCst) > *before
        {
            self.violations.add(
                check::WAIT_OUTSIDE_MANDATORY,
                format!(
                    "a caller of {} waited while its source waited on a person to answer for an MFA code, though its credentials were valid",
                    self.name,
                ),
            );
        }
        let sts = self.clocks.sts_now();
        let local = self.clocks.local_now();
        let status = self.prov.status();
        let mut stats = self.stats.lock().unwrap();
        stats.loads += 1;
        match result {
            Ok(credentials) => match credentials.expiry() {
                Some(expiry) if expiry > sts => {}
                Some(expiry)
                    if sts.duration_since(expiry).unwrap_or_default()
                        < known_limit(&self.clocks, &self.shared, &self.key, self.reads_cache) =>
                {
                    stats.within_limits += 1;
                }
                Some(expiry) => self.violations.add(
                    check::PAST_EXPIRY,
                    format!(
                        "{} served credentials {:?} after their expiry (STS's clock)",
                        self.name,
                        sts.duration_since(expiry).unwrap_or_default()
                    ),
                ),
                None => self.violations.add(
                    check::PAST_EXPIRY,
                    format!("{} served credentials without an expiry", self.name),
                ),
            },
            Err(error) => {
                stats.failed += 1;
                if let Some(expiry) = status.expiry()
                    && expiry > local
                {
                    self.violations.add(
                        check::ERROR_WHILE_VALID,
                        format!(
                            "a caller of {} got an error while it held credentials valid for {:?} more: {}",
                            self.name,
                            expiry.duration_since(local).unwrap_or_default(),
                            DisplayErrorContext(&error)
                        ),
                    );
                }
                if unattended(&error) {
                    self.violations.add(
                        check::PERSON,
                        format!(
                            "a caller of {} needed a code and was told nobody was asked: {}",
                            self.name,
                            DisplayErrorContext(&error)
                        ),
                    );
                }
            }
        }
    }
}

type LoadFuture = Pin<Box<dyn Future<Output = Result<Credentials, CredentialsError>> + Send>>;

impl Sim {
    fn note(&mut self, what: String) {
        let at = self
            .world
            .sts_now()
            .duration_since(self.world.plan.start)
            .unwrap_or_default();
        self.trace.push(format!(
            "step {:>3} t+{:>10.3}s skew {:>+12.3}s  {what}",
            self.step,
            at.as_secs_f64(),
            self.world.clocks.skew_ns() as f64 / 1e9
        ));
    }

    async fn run(&mut self) -> Outcome {
        let plan = self.world.plan.clone();
        let end = plan.start + plan.horizon;
        self.settle().await;
        while self.step < plan.max_steps
            && self.world.sts_now() < end
            && self.world.violations.is_empty()
        {
            self.step += 1;
            self.move_time().await;
            self.settle().await;
            self.look(false);
            if !self.world.violations.is_empty() {
                break;
            }
            self.act().await;
            self.settle().await;
            self.look(true);
        }
        // The providers' status closures hold the providers, whose STS clients hold the
        // network that holds the closures: break the cycle, so the schedule's mock (a server
        // thread of wiremock's pool) is freed.
        self.world.subjects.lock().unwrap().clear();
        let elapsed = self
            .world
            .sts_now()
            .duration_since(plan.start)
            .unwrap_or_default();
        let stats = self.stats.lock().unwrap();
        Outcome {
            violations: self.world.violations.list(),
            provider_hours: elapsed.as_secs_f64() / 3600.0 * self.world.nodes.len() as f64,
            steps: self.step,
            sts_calls: self.world.net.shared.call_count(),
            loads: stats.loads,
            failed_loads: stats.failed,
            within_limits: stats.within_limits,
            questions: self.world.persons.iter().map(|p| p.asked()).sum(),
            trace: self.trace.split_off(self.trace.len().saturating_sub(80)),
            plan: format!("{plan:#?}"),
            calls: self
                .world
                .net
                .shared
                .calls()
                .iter()
                .map(|c| format!("{c:?}\n"))
                .collect(),
            log: {
                let mut log = std::mem::take(&mut self.log_text);
                for person in &self.world.persons {
                    log.push_str(&format!("{person:?}\n"));
                    for q in person.questions() {
                        let at = |t: SystemTime| {
                            t.duration_since(plan.start)
                                .unwrap_or_default()
                                .as_secs_f64()
                        };
                        log.push_str(&format!(
                            "  t+{:.3} {} {:?} attempt {} -> {:?} {:?}\n",
                            at(q.sts_at),
                            q.subject,
                            q.reason,
                            q.attempt,
                            q.answer,
                            q.answered.map(|(t, code)| (at(t), code))
                        ));
                    }
                }
                log
            },
            summary: format!(
                "Date {}, skew {:+.3}s, drift {:+.3}s/h, jumps {:?}, suspends {:?}, late {:?}, SDK retries {}",
                if plan.date_header { "sent" } else { "absent" },
                plan.skew_ns as f64 / 1e9,
                plan.drift_ns_per_hour as f64 / 1e9,
                plan.jump,
                plan.suspend,
                plan.late,
                plan.sdk_retries
            ),
        }
    }

    /// Waits until nothing can happen without time moving: every task that can run has run,
    /// and no blocking work (a real exchange with the mock, the file cache) is under way. A
    /// paused runtime moves its clock only when it is idle and no blocking work is pending, so
    /// a one-nanosecond sleep ends exactly then; twice in a row with no progress seen, and
    /// the providers are settled.
    async fn settle(&mut self) {
        let (net, progress, stats) = (
            Arc::clone(&self.world.net.shared),
            Arc::clone(&self.world.progress),
            Arc::clone(&self.stats),
        );
        let quiet = async move {
            let mut last = None;
            let mut quiet = 0;
            while quiet < 2 {
                tokio::time::sleep(Duration::from_nanos(1)).await;
                let mark = (
                    net.progress.load(Ordering::SeqCst),
                    progress.load(Ordering::SeqCst),
                    stats.lock().unwrap().loads,
                );
                if last == Some(mark) {
                    quiet += 1;
                } else {
                    quiet = 0;
                    last = Some(mark);
                }
            }
        };
        let heard = self.watchdog.arm(STEP_LIMIT);
        tokio::select! {
            () = quiet => {}
            _ = heard => self.world.violations.add(
                check::SETTLES,
                format!("the providers were still busy after {STEP_LIMIT:?} of real time with virtual time stopped (a refresh loop, or an exchange that never ended)"),
            ),
        }
        self.watchdog.disarm();
    }

    /// Moments that matter now: the providers' refresh, mandatory, expiry and retry times (on
    /// STS's clock) and the outages' edges.
    fn targets(&self) -> Vec<SystemTime> {
        let now = self.world.sts_now();
        let mut moments = self.world.net.shared.outage_edges();
        for node in &self.world.nodes {
            let s = node.prov.status();
            for local in [s.refresh_at(), s.mandatory_at(), s.expiry(), s.retry_at()]
                .into_iter()
                .flatten()
            {
                moments.push(self.world.clocks.to_sts(local));
            }
        }
        moments.retain(|m| *m > now);
        moments
    }

    async fn move_time(&mut self) {
        let plan = self.world.plan.clone();
        let rng = &mut self.rng;
        if rng.f64() < plan.suspend.0 {
            let d = log_uniform(rng, MIN, plan.suspend.1);
            self.world.clocks.suspend(d);
            self.last_dt = Duration::ZERO;
            self.note(format!("machine suspended for {d:?}"));
            return;
        }
        let mut targets = self.targets();
        targets.sort();
        let rng = &mut self.rng;
        let dt = if !targets.is_empty() && rng.f64() < plan.targeted_p {
            // Mostly the nearest moments: far ones come by themselves.
            let mut k = 0;
            while k + 1 < targets.len() && rng.bool() {
                k += 1;
            }
            let target = targets[k];
            let offset_ms: i64 = match rng.u32(0..4) {
                0 => 0,
                1 => -(rng.i64(1..1500)),
                2 => rng.i64(1..1500),
                _ => 1,
            };
            let at = crate::clock::shift(target, offset_ms as i128 * 1_000_000);
            let ns = diff_ns(at, self.world.sts_now()).max(1_000_000);
            Duration::from_nanos(ns as u64)
        } else {
            log_uniform(rng, Duration::from_millis(1), 30 * MIN)
        };
        if plan.drift_ns_per_hour != 0 {
            let drift = plan.drift_ns_per_hour * dt.as_nanos() as i128 / 3_600_000_000_000;
            let skew = self.world.clocks.skew_ns() + drift;
            self.world.clocks.set_skew(skew, false);
        }
        let heard = self.watchdog.arm(STEP_LIMIT);
        tokio::select! {
            () = self.world.clocks.advance(dt) => {}
            _ = heard => self.world.violations.add(
                check::SETTLES,
                format!("virtual time could not move {dt:?} in {STEP_LIMIT:?} of real time: the providers never stopped (a refresh loop?)"),
            ),
        }
        self.watchdog.disarm();
        self.last_dt = dt;
        self.note(format!("time moves {dt:?}"));
        if self.rng.f64() < plan.jump.0 {
            let by = crate::plan::log_uniform(&mut self.rng, Duration::from_millis(1), plan.jump.1);
            let by = if self.rng.bool() {
                by.as_nanos() as i128
            } else {
                -(by.as_nanos() as i128)
            };
            let skew = self.world.clocks.skew_ns() + by;
            self.world.clocks.set_skew(skew, true);
            self.note(format!(
                "this machine's clock jumps by {:+.3}s",
                -by as f64 / 1e9
            ));
        }
    }

    /// Callers, and what else the step does.
    async fn act(&mut self) {
        let dt = self.last_dt;
        for n in 0..self.world.nodes.len() {
            let traffic = self.world.nodes[n].traffic.clone();
            let p = 1.0 - (-dt.as_secs_f64() / traffic.interval.as_secs_f64()).exp();
            if self.rng.f64() < p {
                let burst = self.rng.u32(traffic.burst.0..=traffic.burst.1);
                for _ in 0..burst {
                    self.load(n).await;
                }
                let name = self.world.nodes[n].name.clone();
                self.note(format!("{burst} caller(s) of {name}"));
            }
        }
        let plan = self.world.plan.clone();
        let count = self.world.nodes.len();
        if self.rng.f64() < plan.invalidate_p {
            let n = self.rng.usize(..count);
            self.world.nodes[n].prov.invalidate();
            let name = self.world.nodes[n].name.clone();
            self.note(format!("{name} invalidated"));
        }
        if self.rng.f64() < plan.revoke_p {
            let n = self.rng.usize(..count);
            let prov = self.world.nodes[n].prov.clone();
            if let Some(credentials) = prov.fallback() {
                self.world.mock.revoke(credentials.access_key_id());
                let name = self.world.nodes[n].name.clone();
                if self.rng.bool() {
                    prov.invalidate();
                    self.note(format!("{name}'s credentials revoked; invalidated"));
                } else {
                    let heal = prov.heal();
                    let client = aws_sdk_sts::Client::from_conf(
                        aws_sdk_sts::config::Builder::from(&self.world.config)
                            .credentials_provider(prov.shared())
                            .identity_cache(aws_sdk_sts::config::IdentityCache::no_cache())
                            .interceptor(heal.clone())
                            .retry_classifier(heal)
                            .build(),
                    );
                    tokio::spawn(async move {
                        let _ = client.get_caller_identity().send().await;
                    });
                    self.note(format!(
                        "{name}'s credentials revoked; a service call heals"
                    ));
                }
            }
        }
        if self.rng.f64() < plan.restart_p {
            let profiles: Vec<usize> = (0..count)
                .filter(|n| self.world.nodes[*n].profile.is_some())
                .collect();
            if !profiles.is_empty() {
                let n = profiles[self.rng.usize(..profiles.len())];
                self.world.restart(n).await;
                let name = self.world.nodes[n].name.clone();
                self.note(format!(
                    "{name} restarted (a new process, the same file cache)"
                ));
            }
        }
    }

    /// One caller of node `n`: checked at its start (invariant 3) and its end (1, 2, 3, 6).
    async fn load(&mut self, n: usize) {
        let node = &self.world.nodes[n];
        let before: Status = node.prov.status();
        let local = self.world.clocks.local_now();
        let (valid, before_mandatory) = match (before.expiry(), before.mandatory_at()) {
            (Some(expiry), Some(mandatory)) => (local < expiry, local < mandatory),
            _ => (false, false),
        };
        // 3: a caller waits for STS only in the mandatory window; one of a provider whose own
        // MFA asks a person never waits while its credentials are valid, and one of a provider
        // whose source may ask a person never waits on that person while they are valid.
        let (must_be_ready, why) = match &node.asks {
            Asks::Itself => (
                valid,
                "its refresh may ask a person, and its credentials were valid",
            ),
            _ => (
                before_mandatory,
                "its credentials were valid and before their mandatory window",
            ),
        };
        let watch = match &node.asks {
            Asks::ThroughSource(waited) if valid => {
                Some((Arc::clone(waited), waited.load(Ordering::SeqCst)))
            }
            _ => None,
        };
        let scheduled = node.scheduled;
        let end = LoadEnd {
            name: node.name.clone(),
            key: node.key.clone(),
            reads_cache: node.profile.is_some(),
            shared: Arc::clone(&self.world.net.shared),
            prov: node.prov.clone(),
            clocks: self.world.clocks.clone(),
            violations: self.world.violations.clone(),
            stats: Arc::clone(&self.stats),
            watch,
        };
        let shared = node.prov.shared();
        let mut future: LoadFuture = Box::pin(async move { shared.provide_credentials().await });
        let first = std::future::poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx))).await;
        match first {
            Poll::Ready(result) => end.finish(result),
            Poll::Pending => {
                if must_be_ready {
                    self.world.violations.add(
                        check::WAIT_OUTSIDE_MANDATORY,
                        format!(
                            "a caller of {} ({scheduled:?}) waited: {why} (expiry in {:?}, mandatory window in {:?})",
                            end.name,
                            before.expiry().and_then(|e| e.duration_since(local).ok()),
                            before.mandatory_at().and_then(|m| m.duration_since(local).ok()),
                        ),
                    );
                }
                tokio::spawn(async move {
                    let result = future.await;
                    end.finish(result);
                });
            }
        }
    }

    /// The checks after a step; with `logs`, of what was logged too.
    fn look(&mut self, logs: bool) {
        let world = &self.world;
        let sts = world.sts_now();
        let local = world.clocks.local_now();
        for node in &world.nodes {
            // 1: what the SDK is served when its load timeout cuts a refresh short.
            if let Some(c) = node.prov.fallback()
                && c.expiry().is_none_or(|e| {
                    e <= sts
                        && sts.duration_since(e).unwrap_or_default()
                            >= known_limit(
                                &world.clocks,
                                &world.net.shared,
                                &node.key,
                                node.profile.is_some(),
                            )
                })
            {
                world.violations.add(
                    check::PAST_EXPIRY,
                    format!(
                        "{}'s fallback_on_interrupt served credentials {:?} after their expiry",
                        node.name,
                        c.expiry().and_then(|e| sts.duration_since(e).ok())
                    ),
                );
            }
            // 9: a provider refreshed on a timer is not left holding dead credentials with no
            // refresh under way, no failure remembered, once its timer had time to look at
            // its clock after the machine woke or the clock jumped.
            if node.timed {
                let s = node.prov.status();
                let (fraction, fixed) = world.plan.late;
                let grace = MIN.mul_f64(1.0 + fraction) + fixed + SEC;
                if let Some(expiry) = s.expiry()
                    && !s.is_refreshing()
                    && s.last_error().is_none()
                    && local > expiry + grace
                    && world.clocks.since_disturbed() > grace
                {
                    world.violations.add(
                        check::LATE_TIMER,
                        format!(
                            "{} (refreshed on a timer) has held credentials expired for {:?} with no refresh started",
                            node.name,
                            local.duration_since(expiry).unwrap_or_default()
                        ),
                    );
                }
            }
        }
        let calls = world.net.shared.calls();
        self.checker
            .calls(&calls, &world.policies, &world.violations);
        if !logs {
            return;
        }
        self.log_text.push_str(&self.capture.take());
        let secrets = world.secrets();
        let codes = world.codes();
        self.checker
            .logs(&self.log_text, &secrets, &codes, &world.violations);
    }
}
