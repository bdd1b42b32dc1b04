//! Sparse traffic, side by side with aws-config (issue #11).
//!
//! A quiet service: one `GetCallerIdentity` every half credential lifetime, for twelve
//! lifetimes of one-hour credentials, each client against its own mock STS that takes 300 ms
//! per AssumeRole:
//!
//! - aws-config's `sts::AssumeRoleProvider` under the SDK's default identity cache;
//! - this crate's `AssumeRoleProvider` with `IdentityCache::no_cache()`.
//!
//! Time is virtual for the hours (a `ManualClock` drives the mocks, the SDK's identity cache,
//! and this crate's provider and refresh timer) and real for STS's 300 ms: the clock moves a
//! minute at a time, and between moves any refresh a provider started on its own finishes in
//! real time, as it would in the minutes of a real quiet hour. Both clients start warm (one
//! request, not counted, loads their credentials). Counts the requests that waited for STS
//! (more than 100 ms).
//!
//! `cargo bench --features test-util --bench sparse`

#![allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]

mod support;

use std::time::{Duration, Instant};

use aws_sdk_sts::config::IdentityCache;
use sts_assume_role::AssumeRoleProvider;
use sts_assume_role::test_util::{Action, ManualClock, MockSts};
use support::{Latency, Mode, ms};

const LIFETIME: Duration = Duration::from_secs(3600);
const STS_LATENCY: Duration = Duration::from_millis(300);
const WAITED: Duration = Duration::from_millis(100);
const STEP: Duration = Duration::from_secs(60);

async fn mock(clock: &ManualClock) -> MockSts {
    let mock = MockSts::builder()
        .time_source(clock.clone())
        .credential_lifetime(LIFETIME)
        .start()
        .await;
    mock.set_latency(Action::AssumeRole, STS_LATENCY);
    mock
}

async fn aws_config_client(mock: &MockSts) -> aws_sdk_sts::Client {
    let provider = aws_config::sts::AssumeRoleProvider::builder(support::ROLE)
        .session_name("aws-config")
        .configure(&mock.sdk_config())
        .build()
        .await;
    // The SDK's default identity cache, as a user gets it (on the mock's clock).
    let config = aws_sdk_sts::config::Builder::from(&mock.sdk_config())
        .credentials_provider(provider)
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

fn our_client(mock: &MockSts, clock: &ManualClock) -> (aws_sdk_sts::Client, AssumeRoleProvider) {
    let provider = AssumeRoleProvider::builder(support::request("ours"), &mock.sdk_config())
        .time_source(clock.clone())
        .sleep_impl(clock.clone())
        .build()
        .expect("valid provider");
    let config = aws_sdk_sts::config::Builder::from(&mock.sdk_config())
        .credentials_provider(provider.clone())
        .identity_cache(IdentityCache::no_cache())
        .build();
    (aws_sdk_sts::Client::from_conf(config), provider)
}

async fn timed(client: &aws_sdk_sts::Client) -> Duration {
    let start = Instant::now();
    client
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity");
    start.elapsed()
}

struct Row {
    name: &'static str,
    assume_role_calls: usize,
    latency: Latency,
    waited: usize,
}

async fn run(lifetimes: u32) -> (Vec<Row>, [MockSts; 2]) {
    let clock = ManualClock::default();
    let (mock_a, mock_b) = (mock(&clock).await, mock(&clock).await);
    let theirs = aws_config_client(&mock_a).await;
    let (ours, provider) = our_client(&mock_b, &clock);
    let requests = lifetimes * 2;
    let every = LIFETIME / 2;
    // Both start warm: credentials loaded before the first measured request.
    timed(&theirs).await;
    timed(&ours).await;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let mut next_request = clock.now();
    let end = clock.now() + LIFETIME * lifetimes;
    while clock.now() < end {
        if clock.now() >= next_request && a.len() < requests as usize {
            a.push(timed(&theirs).await);
            b.push(timed(&ours).await);
            next_request += every;
        }
        clock.advance(STEP);
        // A refresh this crate's timer starts runs meanwhile, in real time: a millisecond lets
        // the timer's task start it, then the minute does not end before it does.
        tokio::time::sleep(Duration::from_millis(1)).await;
        while provider.status().is_refreshing() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let row = |name, mock: &MockSts, samples: &[Duration]| Row {
        name,
        assume_role_calls: mock.calls(Action::AssumeRole),
        latency: Latency::of(samples),
        waited: samples.iter().filter(|d| **d > WAITED).count(),
    };
    let rows = vec![
        row(
            "aws-config AssumeRoleProvider + default identity cache",
            &mock_a,
            &a,
        ),
        row("sts-assume-role AssumeRoleProvider + no_cache", &mock_b, &b),
    ];
    (rows, [mock_a, mock_b])
}

fn main() {
    let mode = Mode::from_env();
    let lifetimes = mode.pick(2, 12, 12);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (rows, mocks) = rt.block_on(run(lifetimes));
    drop(mocks);
    println!(
        "## Sparse traffic ({mode} run): one request every 30 min for {lifetimes} lifetimes of 1-hour credentials, AssumeRole takes {}\n",
        ms(STS_LATENCY)
    );
    println!("| client | AssumeRole calls | requests | p50 | max | waited > 100 ms |");
    println!("|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            r.name,
            r.assume_role_calls,
            r.latency.count,
            ms(r.latency.p50),
            ms(r.latency.max),
            r.waited
        );
    }
    // The promises (BENCHMARKS.md): with a request every 30 minutes none waits for STS, and
    // the provider calls STS about once per set of credentials, not per request.
    let ours = rows.last().expect("our row");
    assert_eq!(
        ours.waited, 0,
        "promise broken: {} of {} sparse requests waited for STS",
        ours.waited, ours.latency.count
    );
    // One-hour credentials are refreshed 15 to 22.5 minutes before they expire (the advisory
    // window and its jitter), so at most every 37.5 minutes: the first load, then one call per
    // 37.5 minutes at most.
    let bound = 1 + (u64::from(lifetimes) * 60 * 2).div_ceil(75) as usize;
    assert!(
        ours.assume_role_calls <= bound,
        "{} AssumeRole calls for {lifetimes} credential lifetimes (at most {bound})",
        ours.assume_role_calls
    );
}
