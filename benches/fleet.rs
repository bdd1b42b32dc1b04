//! A fleet in virtual time (issue #6, part 5).
//!
//! 10,000 providers start in the same second with 1-hour credentials and run for 24 virtual
//! hours; how many AssumeRole calls reach STS in the busiest second, with the default
//! jitter and with jitter off?
//!
//! The providers are real, on one shared `ManualClock`, with an STS client whose HTTP client
//! answers in-process (a socket per call would make ~600,000 calls far too slow). The clock
//! is not stepped second by second: it jumps to the last instant of the next second in which some
//! provider's refresh is due (`status().refresh_at()`), as if every provider were called at
//! least once a second; the due providers are called, which starts their background
//! refresh, and the calls that reach STS are counted in that second.
//!
//! `cargo bench --features test-util --bench fleet`

#![allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]

mod support;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_async::time::SharedTimeSource;
use sts_assume_role::test_util::ManualClock;
use sts_assume_role::{AssumeRoleProvider, RefreshPolicy};
use support::{InProcessSts, Mode};

struct Outcome {
    /// AssumeRole calls in each virtual second since the start.
    per_second: Vec<u32>,
    took: Duration,
}

impl Outcome {
    fn total(&self) -> u64 {
        self.per_second.iter().map(|&n| u64::from(n)).sum()
    }

    /// The busiest second after the start (the first, if several tie), and when it was.
    fn peak_after_start(&self) -> (u32, usize) {
        self.per_second
            .iter()
            .enumerate()
            .skip(1)
            .max_by_key(|&(s, &n)| (n, Reverse(s)))
            .map(|(s, &n)| (n, s))
            .unwrap_or_default()
    }

    fn peak_in_last_hours(&self, hours: usize) -> u32 {
        let from = self.per_second.len().saturating_sub(hours * 3600);
        self.per_second[from..].iter().copied().max().unwrap_or(0)
    }

    fn busy_seconds(&self) -> usize {
        self.per_second.iter().skip(1).filter(|&&n| n > 0).count()
    }
}

/// `providers` providers on one `ManualClock`, provider `i` with `jitter_seed(i)`, all reaching
/// one in-process STS.
fn fleet(
    providers: usize,
    policy: &RefreshPolicy,
) -> (ManualClock, InProcessSts, Vec<AssumeRoleProvider>) {
    let clock = ManualClock::default();
    let sts = InProcessSts::new(SharedTimeSource::new(clock.clone()));
    let config = sts.sdk_config();
    let fleet = (0..providers)
        .map(|i| {
            AssumeRoleProvider::builder(support::request("fleet"), &config)
                .time_source(clock.clone())
                .refresh_policy(policy.clone())
                .jitter_seed(i as u64)
                .build()
                .expect("valid provider")
        })
        .collect();
    (clock, sts, fleet)
}

async fn simulate(providers: usize, hours: u64, policy: RefreshPolicy) -> Outcome {
    let wall = Instant::now();
    let (clock, sts, fleet) = fleet(providers, &policy);
    let start = clock.now();
    let end = start + Duration::from_secs(hours * 3600);
    let mut per_second = vec![0u32; (hours * 3600) as usize];

    // Everyone starts in the same second.
    for p in &fleet {
        p.prefetch().await.expect("first load");
    }
    per_second[0] = u32::try_from(sts.calls()).expect("count");

    let due_at = |p: &AssumeRoleProvider| p.status().refresh_at().expect("credentials cached");
    let mut queue: BinaryHeap<Reverse<(SystemTime, usize)>> = fleet
        .iter()
        .enumerate()
        .map(|(i, p)| Reverse((due_at(p), i)))
        .collect();
    let mut due = Vec::new();
    while let Some(&Reverse((next, _))) = queue.peek() {
        if next >= end {
            break;
        }
        let second = next.duration_since(start).expect("after start").as_secs();
        // The last instant of that second: every refresh due in it is due now.
        let now = start + Duration::from_secs(second + 1) - Duration::from_nanos(1);
        clock.set(now);
        due.clear();
        while let Some(&Reverse((at, i))) = queue.peek() {
            if at > now {
                break;
            }
            queue.pop();
            due.push(i);
        }
        let before = sts.calls();
        for &i in &due {
            // Inside the advisory window: answers with the cached credentials at once and
            // starts the background refresh.
            fleet[i].provide_credentials().await.expect("credentials");
        }
        for &i in &due {
            while fleet[i].status().is_refreshing() {
                tokio::task::yield_now().await;
            }
            queue.push(Reverse((due_at(&fleet[i]), i)));
        }
        per_second[second as usize] += u32::try_from(sts.calls() - before).expect("count");
    }
    Outcome {
        per_second,
        took: wall.elapsed(),
    }
}

/// What a fleet sees when STS fails from the start of the earliest advisory window until the
/// credentials expire.
struct Outage {
    calls_in_outage: u64,
    outage_seconds: u64,
    peak_per_second: u64,
    failed_while_valid: u64,
    failed_after_expiry: u64,
    recovered_after: Duration,
    took: Duration,
}

/// `providers` loaded in the same second, each called once a (virtual) second; STS fails with
/// 503 from 37.5 minutes (the earliest jittered refresh of 1-hour credentials) to `extra`
/// after 60 (when they all expire), then answers again; the run goes on until every provider
/// holds fresh credentials.
async fn outage(providers: usize, policy: RefreshPolicy, extra: Duration) -> Outage {
    let wall = Instant::now();
    let (clock, sts, fleet) = fleet(providers, &policy);
    let start = clock.now();
    for p in &fleet {
        p.prefetch().await.expect("first load");
    }
    let (down_from, up_at) = (
        start + Duration::from_secs(2250),
        start + Duration::from_secs(3600) + extra,
    );
    let mut out = Outage {
        calls_in_outage: 0,
        outage_seconds: 0,
        peak_per_second: 0,
        failed_while_valid: 0,
        failed_after_expiry: 0,
        recovered_after: Duration::ZERO,
        took: Duration::ZERO,
    };
    clock.set(down_from - Duration::from_secs(1));
    loop {
        clock.advance(Duration::from_secs(1));
        let now = clock.now();
        let down = now >= down_from && now < up_at;
        sts.set_down(down);
        let before = sts.calls();
        let mut fresh = 0;
        for p in &fleet {
            let valid = p.status().expiry().is_some_and(|e| now < e);
            match p.provide_credentials().await {
                Ok(_) => {}
                Err(_) if valid => out.failed_while_valid += 1,
                Err(_) => out.failed_after_expiry += 1,
            }
        }
        // Let the refreshes those calls started run to their end.
        for p in &fleet {
            while p.status().is_refreshing() {
                tokio::task::yield_now().await;
            }
            if p.status().expiry().is_some_and(|e| e > up_at) {
                fresh += 1;
            }
        }
        let calls = sts.calls() - before;
        if down {
            out.calls_in_outage += calls;
            out.outage_seconds += 1;
            out.peak_per_second = out.peak_per_second.max(calls);
        }
        if now >= up_at && fresh == providers {
            out.recovered_after = now.duration_since(up_at).unwrap_or_default();
            break;
        }
    }
    sts.set_down(false);
    out.took = wall.elapsed();
    out
}

fn main() {
    let mode = Mode::from_env();
    let providers = mode.pick(20, 1_000, 10_000);
    let hours = mode.pick(2, 6, 24);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "## Fleet ({mode} run): {providers} providers started in the same second, \
         1-hour credentials, {hours} virtual hours\n"
    );
    println!(
        "| refresh policy | AssumeRole calls | peak calls/s after the start | at | \
         peak calls/s, last {} h | seconds with a call | wall time |",
        hours / 2
    );
    println!("|---|---|---|---|---|---|---|");
    for (name, policy) in [
        ("default (jitter 0.5)", RefreshPolicy::default()),
        ("jitter off", RefreshPolicy::default().jitter(0.0)),
    ] {
        let jittered = name.starts_with("default");
        let o = rt.block_on(simulate(providers, hours, policy));
        let (peak, at) = o.peak_after_start();
        // The promise (BENCHMARKS.md, part 5): a fleet started together does not refresh
        // together. After the start second, no second holds a tenth of the fleet.
        if jittered {
            assert!(
                u64::from(peak) * 10 < providers as u64,
                "promise broken: {peak} of {providers} providers refreshed in one second"
            );
        }
        println!(
            "| {name} | {} | {peak} | {}:{:02}:{:02} | {} | {} | {:.1} s |",
            o.total(),
            at / 3600,
            at / 60 % 60,
            at % 60,
            o.peak_in_last_hours(hours as usize / 2),
            o.busy_seconds(),
            o.took.as_secs_f64()
        );
    }
    println!(
        "\nThe start second itself has {providers} calls either way (every provider's first \
         load)."
    );

    let fleet_size = mode.pick(50, 1_000, 10_000);
    let secs = Duration::from_secs;
    let policies = [
        (
            "1 s doubling to 60 s (0.5-1 s, ..., 30-60 s; 0.1's default)",
            RefreshPolicy::default().backoff(secs(1), secs(60)),
        ),
        (
            "1 s doubling to 300 s (0.5-1 s, ..., 150-300 s)",
            RefreshPolicy::default().backoff(secs(1), secs(300)),
        ),
        (
            "1 s doubling to 600 s (0.5-1 s, ..., 300-600 s)",
            RefreshPolicy::default().backoff(secs(1), secs(600)),
        ),
        (
            "300-600 s from the first failure (the rule in AWS's SDK sources; the default)",
            RefreshPolicy::default(),
        ),
    ];
    for (ends, extra) in [("at expiry", secs(0)), ("10 min after expiry", secs(600))] {
        println!(
            "\n## Outage ({mode} run): {fleet_size} providers, 1-hour credentials, STS failing \
             from 37.5 min (the whole advisory window) until {ends}, each provider called once \
             a second\n"
        );
        println!(
            "| backoff after a failure | STS calls/s in the outage (mean) | busiest second | \
             requests failed while valid | failed after expiry | all fresh again after | wall time |"
        );
        println!("|---|---|---|---|---|---|---|");
        for (name, policy) in &policies {
            let o = rt.block_on(outage(fleet_size, policy.clone(), extra));
            // The promise (part 9): no request fails while the credentials are valid.
            assert_eq!(
                o.failed_while_valid, 0,
                "promise broken: {name}: requests failed while the credentials were valid"
            );
            if name.ends_with("the default)") {
                // 300-600 s between tries while valid, one more before expiry, then the backoff
                // with nothing valid: per provider, at most one call per 300 s of outage plus
                // the last try and the first failure (and, after expiry, one per step of
                // 0.5 s doubling to 30 s).
                let per_provider = 2 + o.outage_seconds.div_ceil(300) + (extra.as_secs() / 30 + 7);
                assert!(
                    o.calls_in_outage <= per_provider * fleet_size as u64,
                    "promise broken: {} STS calls in the outage for {fleet_size} providers \
                     (at most {per_provider} each)",
                    o.calls_in_outage
                );
            }
            println!(
                "| {name} | {:.1} | {} | {} | {} | {} s | {:.1} s |",
                o.calls_in_outage as f64 / o.outage_seconds.max(1) as f64,
                o.peak_per_second,
                o.failed_while_valid,
                o.failed_after_expiry,
                o.recovered_after.as_secs(),
                o.took.as_secs_f64()
            );
        }
    }
    println!(
        "\nEvery row has one more try, at a random moment of the mandatory window, however long \
         the backoff, and from expiry on the backoff with no valid credentials (0.5-1 s doubling \
         to 30-60 s, counting the failures so far; the first retry after expiry at a random \
         moment of that step). This crate never serves expired credentials; aws-config's IMDS \
         provider serves them for 10-15 min more while IMDS is down."
    );
}
