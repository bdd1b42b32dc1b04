//! Refresh with no caller, in virtual time (issue #11).
//!
//! Real providers on a `ManualClock` (their refresh timers sleep on it too), with an STS
//! client whose HTTP client answers in-process (no sockets), which can be made to fail with
//! `503 ServiceUnavailable`:
//!
//! - **Idle**: one provider nobody calls, for twelve lifetimes of one-hour credentials: STS
//!   calls per lifetime.
//! - **Idle fleet**: providers loaded in the same second and never called again: the busiest
//!   second of STS calls over the next lifetimes, with the default jitter and with jitter off.
//! - **Outage**: one provider called every 10 s; STS fails from the start of the advisory
//!   window until the credentials expire: requests that failed while the credentials were
//!   valid, and STS calls during the outage.
//! - **Skewed clock**: this machine's clock two hours ahead of STS's, one caller every 10 s
//!   for three hours: STS calls per minute, with STS's `Date` in its answers and without.
//!
//! `cargo bench --features test-util --bench quiet`

#![allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]

mod support;

use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_async::time::SharedTimeSource;
use sts_assume_role::test_util::ManualClock;
use sts_assume_role::{AssumeRoleProvider, RefreshPolicy};
use support::{InProcessSts, Mode};

const HOUR: Duration = Duration::from_secs(3600);
const SEC: Duration = Duration::from_secs(1);

fn provider(
    sts: &InProcessSts,
    clock: &ManualClock,
    policy: RefreshPolicy,
    seed: u64,
) -> AssumeRoleProvider {
    AssumeRoleProvider::builder(support::request("quiet"), &sts.sdk_config())
        .time_source(clock.clone())
        .sleep_impl(clock.clone())
        .refresh_policy(policy)
        .jitter_seed(seed)
        .build()
        .expect("valid provider")
}

/// Lets every task the last clock move woke (timers, the refreshes they start) run to the end.
async fn settle(providers: &[AssumeRoleProvider]) {
    loop {
        for _ in 0..4 {
            tokio::task::yield_now().await;
        }
        if providers.iter().all(|p| !p.status().is_refreshing()) {
            return;
        }
    }
}

/// The next moment after `now` at which some provider's timer is due: its refresh, or its
/// retry after a failure.
fn next_due(providers: &[AssumeRoleProvider], now: SystemTime) -> Option<SystemTime> {
    providers
        .iter()
        .filter_map(|p| {
            let s = p.status();
            s.retry_at().filter(|t| *t > now).or(s.refresh_at())
        })
        .filter(|t| *t > now)
        .min()
}

struct Idle {
    lifetimes: u32,
    calls: u64,
}

async fn idle(lifetimes: u32) -> Idle {
    let clock = ManualClock::default();
    let sts = InProcessSts::new(SharedTimeSource::new(clock.clone()));
    let p = provider(&sts, &clock, RefreshPolicy::default(), 1);
    p.prefetch().await.expect("first load");
    let start_calls = sts.calls();
    let end = clock.now() + HOUR * lifetimes;
    // Minute by minute: nothing but the timer can start a refresh.
    while clock.now() < end {
        clock.advance(60 * SEC);
        settle(std::slice::from_ref(&p)).await;
    }
    Idle {
        lifetimes,
        calls: sts.calls() - start_calls,
    }
}

struct Fleet {
    providers: usize,
    jitter: bool,
    calls: u64,
    peak_per_second: u64,
    seconds_with_calls: usize,
}

async fn fleet(n: usize, lifetimes: u32, jitter: bool) -> Fleet {
    let clock = ManualClock::default();
    let sts = InProcessSts::new(SharedTimeSource::new(clock.clone()));
    let policy = if jitter {
        RefreshPolicy::default()
    } else {
        RefreshPolicy::default().jitter(0.0)
    };
    let providers: Vec<_> = (0..n)
        .map(|i| provider(&sts, &clock, policy.clone(), i as u64))
        .collect();
    for p in &providers {
        p.prefetch().await.expect("first load");
    }
    let start = clock.now();
    let loaded = sts.calls();
    let end = start + HOUR * lifetimes;
    let mut per_second = std::collections::BTreeMap::<u64, u64>::new();
    while let Some(due) = next_due(&providers, clock.now()) {
        if due > end {
            break;
        }
        // The last instant of the second the next timer falls in.
        let second = due.duration_since(start).expect("after start").as_secs();
        let last_instant = start + Duration::from_secs(second + 1) - Duration::from_nanos(1);
        clock.set(last_instant.max(due));
        let before = sts.calls();
        settle(&providers).await;
        *per_second.entry(second).or_default() += sts.calls() - before;
    }
    Fleet {
        providers: n,
        jitter,
        calls: sts.calls() - loaded,
        peak_per_second: per_second.values().copied().max().unwrap_or(0),
        seconds_with_calls: per_second.values().filter(|&&c| c > 0).count(),
    }
}

struct Outage {
    requests: u64,
    failed_while_valid: u64,
    calls_during_outage: u64,
    outage: Duration,
}

async fn outage() -> Outage {
    let clock = ManualClock::default();
    let sts = InProcessSts::new(SharedTimeSource::new(clock.clone()));
    let p = provider(&sts, &clock, RefreshPolicy::default(), 5);
    let creds = p.prefetch().await.expect("first load");
    let expiry = creds.expiry().expect("an expiry");
    let down_from = p.status().refresh_at().expect("a schedule");
    let (mut requests, mut failed_while_valid, mut calls_at_start) = (0, 0, None);
    while clock.now() < expiry {
        requests += 1;
        if p.provide_credentials().await.is_err() {
            failed_while_valid += 1;
        }
        // Ten seconds, a second at a time: the timer's retries fall where they are due. STS
        // goes down just before the refresh is due.
        for _ in 0..10 {
            if calls_at_start.is_none() && clock.now() + SEC >= down_from {
                sts.set_down(true);
                calls_at_start = Some(sts.calls());
            }
            clock.advance(SEC);
            settle(std::slice::from_ref(&p)).await;
        }
    }
    Outage {
        requests,
        failed_while_valid,
        calls_during_outage: sts.calls() - calls_at_start.unwrap_or_default(),
        outage: expiry.duration_since(down_from).unwrap_or_default(),
    }
}

struct Skew {
    date: bool,
    calls: u64,
    minutes: u64,
    peak_per_minute: u64,
    served: u64,
    requests: u64,
}

async fn skew(date: bool, hours: u32) -> Skew {
    let sts_clock = ManualClock::default();
    let local = ManualClock::new(sts_clock.now() + 2 * HOUR);
    let mut sts = InProcessSts::new(SharedTimeSource::new(sts_clock.clone()));
    if !date {
        sts = sts.without_date();
    }
    let p = provider(&sts, &local, RefreshPolicy::default(), 9);
    let (mut requests, mut served) = (0, 0);
    let mut per_minute = Vec::new();
    for _minute in 0..(u64::from(hours) * 60) {
        let before = sts.calls();
        for _ in 0..6 {
            requests += 1;
            if p.provide_credentials().await.is_ok() {
                served += 1;
            }
            for _ in 0..10 {
                sts_clock.advance(SEC);
                local.advance(SEC);
                settle(std::slice::from_ref(&p)).await;
            }
        }
        per_minute.push(sts.calls() - before);
    }
    Skew {
        date,
        calls: sts.calls(),
        minutes: per_minute.len() as u64,
        peak_per_minute: per_minute.iter().copied().max().unwrap_or(0),
        served,
        requests,
    }
}

fn main() {
    let mode = Mode::from_env();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    let idle = rt.block_on(idle(mode.pick(2, 12, 12)));
    let fleet_size = mode.pick(20, 200, 1000);
    let jittered = rt.block_on(fleet(fleet_size, mode.pick(1, 2, 3), true));
    let unjittered = rt.block_on(fleet(fleet_size, 1, false));
    let outage = rt.block_on(outage());
    let hours = mode.pick(1, 3, 3);
    let skewed = [
        rt.block_on(skew(true, hours)),
        rt.block_on(skew(false, hours)),
    ];

    println!(
        "## Refresh with no caller ({mode} run, {:.1} s)\n",
        started.elapsed().as_secs_f64()
    );
    println!(
        "| idle provider, 1-hour credentials | hours | STS calls | per hour | minutes between calls |"
    );
    println!("|---|---|---|---|---|");
    println!(
        "| nobody calls it | {} | {} | {:.2} | {:.1} |\n",
        idle.lifetimes,
        idle.calls,
        idle.calls as f64 / f64::from(idle.lifetimes),
        f64::from(idle.lifetimes) * 60.0 / idle.calls.max(1) as f64
    );
    println!(
        "| idle fleet, loaded in one second | providers | STS calls | busiest second | seconds with calls |"
    );
    println!("|---|---|---|---|---|");
    for f in [&jittered, &unjittered] {
        println!(
            "| {} | {} | {} | {}/s | {} |",
            if f.jitter {
                "default jitter"
            } else {
                "jitter off"
            },
            f.providers,
            f.calls,
            f.peak_per_second,
            f.seconds_with_calls
        );
    }
    println!(
        "\n| outage from the advisory window to expiry ({} min) | requests every 10 s | failed while valid | STS calls in the outage |",
        outage.outage.as_secs() / 60
    );
    println!("|---|---|---|---|");
    println!(
        "| one provider, 1-hour credentials | {} | {} | {} |\n",
        outage.requests, outage.failed_while_valid, outage.calls_during_outage
    );
    println!(
        "| clock 2 h ahead of STS, a caller every 10 s | minutes | STS calls | busiest minute | requests served |"
    );
    println!("|---|---|---|---|---|");
    for s in &skewed {
        println!(
            "| {} | {} | {} | {}/min | {} of {} |",
            if s.date {
                "STS's Date in its answers"
            } else {
                "no usable Date"
            },
            s.minutes,
            s.calls,
            s.peak_per_minute,
            s.served,
            s.requests
        );
    }

    // The promises (BENCHMARKS.md, issue #11), asserted in every run; timings are not.
    // An idle provider: one STS call per set of credentials, with no caller. One-hour
    // credentials are refreshed 15 to 22.5 minutes early, so every 37.5 to 45 minutes.
    let most = 1 + (u64::from(idle.lifetimes) * 60 * 2).div_ceil(75);
    assert!(
        (u64::from(idle.lifetimes)..=most).contains(&idle.calls),
        "promise broken: an idle provider made {} STS calls in {} hours (expected {} to {most})",
        idle.calls,
        idle.lifetimes,
        idle.lifetimes
    );
    // A fleet loaded together spreads its refreshes: the jitter spreads each provider's over
    // half of a 15-minute window, so no second holds a tenth of the fleet.
    assert!(
        jittered.peak_per_second * 10 < jittered.providers as u64,
        "promise broken: {} of {} providers refreshed in one second with jitter",
        jittered.peak_per_second,
        jittered.providers
    );
    // An outage through the advisory window: nothing fails while the credentials are valid,
    // and STS is called at most once per 300 s (the shortest backoff while valid), plus the
    // first failure and one last try before expiry.
    assert_eq!(
        outage.failed_while_valid, 0,
        "promise broken: requests failed while the credentials were valid"
    );
    let most = 2 + outage.outage.as_secs().div_ceil(300);
    assert!(
        outage.calls_during_outage <= most,
        "promise broken: {} STS calls in a {} s outage (at most {most})",
        outage.calls_during_outage,
        outage.outage.as_secs()
    );
    // A clock 2 hours ahead: with STS's Date, one call per set of credentials; without it, the
    // backoff with nothing valid (0.5 s doubling) allows at most 7 calls in any minute, and
    // nothing dead is served.
    let [with_date, without_date] = &skewed;
    let most = 1 + (u64::from(hours) * 60 * 2).div_ceil(75);
    assert!(
        with_date.calls <= most && with_date.served == with_date.requests,
        "promise broken: with STS's Date, {} calls in {hours} h (at most {most}), {} of {} served",
        with_date.calls,
        with_date.served,
        with_date.requests
    );
    assert!(
        without_date.peak_per_minute <= 7,
        "promise broken: {} STS calls in one minute with no usable Date",
        without_date.peak_per_minute
    );
}
