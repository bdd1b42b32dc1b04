//! A simulation of the refresh engine (issue 18): providers of every kind (plain roles, roles
//! over roles, roles over an MFA session, roles with their own MFA, profiles with a file cache)
//! driven through random but reproducible schedules in virtual time, with the invariants
//! checked after every step.
//!
//! A schedule is drawn from one `u64` seed: traffic from bursts to one caller per credential
//! lifetime, STS latency, every fault of the mock and dropped connections, outages of seconds
//! to hours, this machine's clock off STS's by up to ±3 h or by less than a second, drifting or
//! jumping, `Date` sent or not, MFA codes from people (slow, wrong, repeating themselves,
//! cancelling, silent), from TOTP or from nobody, timers that wake late and machines that
//! sleep through the credentials' expiry, `invalidate()`, and credentials revoked at STS and
//! reported by `invalidate` or by a service call through `heal_on_rejection`.
//!
//! Time is virtual, a discrete-event simulation on tokio's paused clock: the runtime moves its
//! clock from one timer to the next whenever every task waits, so a provider's refresh timer,
//! a request's latency, a person's answer, an MFA prompt timeout and an SDK retry each happen
//! at their moment. Real exchanges with the mock (wiremock, over HTTP) run on blocking threads,
//! one at a time, which stops the clock while they run; the mock's `ManualClock` is set to
//! STS's time before each. STS's clock is tokio's plus the time the machine spent suspended
//! (tokio's timers do not count it); this machine's clock, the providers' and the SDK's time
//! source, is STS's minus the skew; the providers' timers sleep on tokio's clock, late as the
//! schedule says. Between steps the harness waits until nothing can happen without time moving,
//! then checks.
//!
//! The invariants (`simulation/check.rs` names them; each failure says which broke):
//!
//! 1. no credentials served past their true expiry: STS's `Expiration` is later than STS's
//!    clock when a load returns, and for what `fallback_on_interrupt` would serve;
//! 2. no caller error while the provider holds credentials it judges valid (`status().expiry()`
//!    ahead of this machine's clock);
//! 3. a caller whose provider holds credentials before their mandatory window completes on its
//!    first poll; one of a provider with its own interactive MFA, whenever they are valid; and a
//!    caller of a role over an MFA session never waits on the person answering for the session
//!    while the role's credentials are valid;
//! 4. one STS call in flight per provider;
//! 5. STS calls bounded by the policy's backoff: the first call of a refresh after a failure
//!    comes at least the least backoff for the failures so far after the last call (the valid
//!    backoff while credentials are held, but for one last try per set of credentials and from
//!    their expiry on; the expired backoff with none; `error_ttl` after a failure retrying
//!    cannot help);
//! 6. a person is asked only when the provider needs a code (no credentials, or due for a
//!    refresh), one question at a time per device, and a caller that needs a code is never told
//!    that nobody was asked;
//! 7. no MFA code is sent to STS twice for one device;
//! 8. no secret (secret keys, session tokens, MFA codes, the TOTP seed) in any log line;
//! 9. a provider refreshed on a timer does not sit on expired credentials, no refresh started
//!    and no failure remembered, once its timer had a minute to notice (a machine that woke
//!    after the expiry, a clock that jumped);
//! 10. the engine settles: a step's virtual time moves within 30 s of real time.
//!
//! Known limits, which invariant 1 allows for and the run counts ("loads past expiry within
//! the known limits"): the engine judges expiries on this machine's clock, corrected by what
//! STS's `Date` told, so (a) a clock set back after STS's last answer stretches credentials by
//! as much as it was set back, and (b) a new process that reads the file cache before any
//! answer of STS's cannot know that its clock is behind STS's, and may serve an entry up to
//! that much past its expiry (never judged to last longer than the duration asked for). The
//! AWS CLI, botocore and the SDKs judge cache entries on this machine's clock alone.
//!
//! Runs: `cargo test --all-features --test simulation` runs the regression seeds, then 1,000
//! schedules (seeds 0..1000, mixed). `SIM_SCHEDULES=N` runs N; `SIM_FIRST=K` starts at K;
//! `SIM_KEEP_GOING=1` reports every failing schedule, not the first five; `SIM_SEED=S` runs only
//! schedule S and prints its plan and last steps (`SIM_VERBOSE=1`: every STS call, the log and
//! each person's questions too). A failing schedule prints the command that replays it.
//!
//! Why a seeded generator (`fastrand`, already a dependency) and not proptest or shuttle:
//! a schedule is a long timed history against real SDK clients and a real HTTP mock, so
//! shrinking would replay whole schedules (slow, and the interesting failures need their long
//! prefix), and shuttle explores thread interleavings, while the engine's decisions hang on
//! virtual time, which the harness owns.

#[path = "simulation/check.rs"]
mod check;
#[path = "simulation/clock.rs"]
mod clock;
#[path = "common/mod.rs"]
mod common;
#[path = "simulation/logs.rs"]
mod logs;
#[path = "simulation/net.rs"]
mod net;
#[path = "simulation/person.rs"]
mod person;
#[path = "simulation/plan.rs"]
mod plan;
#[path = "simulation/run.rs"]
mod run;
#[path = "simulation/world.rs"]
mod world;

use std::time::Instant;

/// Schedules that failed once, run first, always, with what each caught.
const REGRESSIONS: &[(u64, &str)] = &[
    // The three regressions of issue 18, each failing here when brought back into the engine
    // (checked again after the last engine change: the judged skew's unsafe end, a failure for
    // want of a person holding back callers, a late timer doing nothing).
    (
        9070587492826488163,
        "#18: skew judged from a Date truncated to the second, in the unsafe direction: credentials served 749 ms past their expiry",
    ),
    (
        16294208416658607535,
        "#18: a caller of an MFA session that had ended was told 'no MFA code asked for: no caller is waiting'",
    ),
    (
        8288105064287199793,
        "#18: a timer that fired after the credentials expired (the machine asleep) did nothing",
    ),
    // Where the first two were found; since the drift margin and the code memory changed
    // what happens in them, they no longer reproduce those regressions, but stay as cases.
    (
        13679457532755275413,
        "#18: skew judged in the unsafe direction: 120 ms past their expiry while STS failed (before the drift margin)",
    ),
    (
        15037995407070714543,
        "#18: a caller of an ended MFA session told nobody was asked (before the code memory grew)",
    ),
    // Found by the simulation (the open ones fail until the engine changes).
    (
        10902710238276814474,
        "the SDK's standard retry sent an MFA code a second time (GetSessionToken after a 503); fixed",
    ),
    (
        11409396526365357622,
        "no Date and this machine's clock 45 min behind STS's: credentials served up to 15 min past their expiry; fixed (no credentials judged to last longer than the duration asked for)",
    ),
    (
        4620587223201936811,
        "this machine's clock drifting 1.9 s/h after the last answer: credentials served 238 ms past their expiry; fixed (a thousandth of the remaining life kept for drift)",
    ),
    (
        11734127987246357168,
        "this machine's clock set back 315 s after the last answer: credentials served 64 s past their expiry; a known limit",
    ),
    (
        8346100818921284029,
        "a new process reading the file cache with its clock 1.6 h behind STS's (skew not yet known): credentials served 446 s past their expiry; a known limit, now bounded by the duration asked for",
    ),
    (
        6939333445358923724,
        "a person typing the same code again and again: sent to STS a second time 94 s after the first (the device remembered used codes for 90 s); fixed (12 h, the newest 256)",
    ),
    (
        6762955539682377832,
        "roles over an MFA session: a caller in the role's mandatory window waited on the person answering for the session, the role's credentials valid (fixed); then a code typed again and again, sent a second time 112 s after the first; fixed",
    ),
    (
        5889095580826608901,
        "an MFA session's age limit put on this machine's clock, 87 min behind STS's with no Date: its credentials served with an expiry 3,931 s past; fixed (the limit is put on STS's clock)",
    ),
    (
        12071791127623681792,
        "no Date, this machine's clock 2.2 h behind STS's: an MFA session judged to last its full duration from when its answer came, 2.4 s past its true expiry; fixed (counted from when the refresh began)",
    ),
    (
        5191828191857077265,
        "a new process reading the file cache, its clock 2.2 h behind STS's: an entry served 538 s past its expiry; a known limit",
    ),
];

/// How many schedules `cargo test` runs.
const DEFAULT_SCHEDULES: u64 = 1000;

/// Seed number `i` of the default run, spread over the `u64`s.
fn seed(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

#[test]
fn simulation() {
    let single = env_u64("SIM_SEED");
    let seeds: Vec<u64> = match single {
        Some(seed) => vec![seed],
        None => {
            let first = env_u64("SIM_FIRST").unwrap_or(0);
            let count = env_u64("SIM_SCHEDULES").unwrap_or(DEFAULT_SCHEDULES);
            REGRESSIONS
                .iter()
                .map(|(seed, _)| *seed)
                .chain((first..first + count).map(seed))
                .collect()
        }
    };
    #[allow(clippy::disallowed_methods, reason = "the run reports its wall time")]
    let began = Instant::now();
    let (mut hours, mut calls, mut loads, mut failed_loads, mut questions, mut steps) =
        (0.0, 0, 0, 0, 0, 0);
    let mut within_limits = 0;
    let mut failures = Vec::new();
    for (i, &seed) in seeds.iter().enumerate() {
        let outcome = run::run(seed);
        hours += outcome.provider_hours;
        calls += outcome.sts_calls;
        loads += outcome.loads;
        failed_loads += outcome.failed_loads;
        questions += outcome.questions;
        within_limits += outcome.within_limits;
        steps += outcome.steps;
        if single.is_some() {
            println!("{}", outcome.plan);
            if std::env::var("SIM_VERBOSE").is_ok() {
                println!("{}\n{}", outcome.calls, outcome.log);
            }
            for line in &outcome.trace {
                println!("{line}");
            }
        }
        if !outcome.violations.is_empty() {
            println!(
                "schedule {i} (seed {seed}) broke {} invariant(s):",
                outcome.violations.len()
            );
            if let Some((_, what)) = REGRESSIONS.iter().find(|(s, _)| *s == seed) {
                println!("  a regression case: {what}");
            }
            println!("  {}", outcome.summary);
            for v in outcome.violations.iter().take(3) {
                println!("  {v:?}");
            }
            println!(
                "  reproduce: SIM_SEED={seed} cargo test --all-features --test simulation -- --nocapture"
            );
            failures.push((seed, outcome.violations[0].check));
            if failures.len() >= 5 && std::env::var("SIM_KEEP_GOING").is_err() {
                break;
            }
        }
    }
    let took = began.elapsed();
    println!(
        "simulation: {} schedules, {steps} steps, {hours:.0} simulated provider-hours, {calls} STS calls, {loads} loads ({failed_loads} failed), {questions} MFA questions, {within_limits} loads past expiry within the known limits, in {took:.1?}",
        seeds.len()
    );
    assert!(
        failures.is_empty(),
        "{} schedule(s) broke an invariant: {failures:?}",
        failures.len()
    );
}
