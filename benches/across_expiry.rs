//! Across expiry, side by side with aws-config (issue #6, part 4).
//!
//! Two aws-sdk-sts clients call `GetCallerIdentity` back to back, at the same time, for the
//! same window, each against its own mock STS that issues 20-second credentials and takes
//! 300 ms per AssumeRole, so the window crosses several credential turnovers:
//!
//! - aws-config's `sts::AssumeRoleProvider` under the SDK's default identity cache;
//! - this crate's `AssumeRoleProvider` with `IdentityCache::no_cache()`.
//!
//! Reports per client the AssumeRole calls, request latency, and how many requests were
//! slower than 50 ms or took at least the 300 ms of an AssumeRole (they waited for STS).
//!
//! `cargo bench --features test-util --bench across_expiry`

#![allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]

mod support;

use std::time::{Duration, Instant};

use aws_sdk_sts::config::IdentityCache;
use sts_assume_role::AssumeRoleProvider;
use sts_assume_role::test_util::{Action, MockSts};
use support::{Latency, Mode, ms};

const LIFETIME: Duration = Duration::from_secs(20);
const STS_LATENCY: Duration = Duration::from_millis(300);
const SLOW: Duration = Duration::from_millis(50);

async fn mock() -> MockSts {
    let mock = MockSts::builder()
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
    // The SDK's default identity cache, as a user gets it.
    let config = aws_sdk_sts::config::Builder::from(&mock.sdk_config())
        .credentials_provider(provider)
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

fn our_client(mock: &MockSts) -> aws_sdk_sts::Client {
    let provider = AssumeRoleProvider::builder(support::request("ours"), &mock.sdk_config())
        .build()
        .expect("valid provider");
    let config = aws_sdk_sts::config::Builder::from(&mock.sdk_config())
        .credentials_provider(provider)
        .identity_cache(IdentityCache::no_cache())
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

/// `GetCallerIdentity` back to back until `deadline`; the latency of each.
async fn drive(client: aws_sdk_sts::Client, deadline: Instant) -> Vec<Duration> {
    let mut latencies = Vec::new();
    while Instant::now() < deadline {
        let start = Instant::now();
        client
            .get_caller_identity()
            .send()
            .await
            .expect("GetCallerIdentity");
        latencies.push(start.elapsed());
    }
    latencies
}

struct Row {
    name: &'static str,
    assume_role_calls: usize,
    latency: Latency,
    slower_than_50ms: usize,
    waited_for_sts: usize,
}

/// The rows, and the mocks, for the caller to drop outside the runtime: wiremock's
/// `MockServer` blocks on a tokio lock in `Drop`, which can spin for ever inside a task whose
/// cooperative budget is used up.
async fn run(window: Duration) -> (Vec<Row>, [MockSts; 2]) {
    let (mock_a, mock_b) = (mock().await, mock().await);
    let (theirs, ours) = (aws_config_client(&mock_a).await, our_client(&mock_b));
    // Both start warm: credentials loaded before the window opens.
    for client in [&theirs, &ours] {
        client.get_caller_identity().send().await.expect("warm-up");
    }
    let before = [
        mock_a.calls(Action::AssumeRole),
        mock_b.calls(Action::AssumeRole),
    ];
    let deadline = Instant::now() + window;
    let a = tokio::spawn(drive(theirs, deadline));
    let b = tokio::spawn(drive(ours, deadline));
    let (a, b) = (a.await.expect("driver"), b.await.expect("driver"));
    let row = |name, mock: &MockSts, before: usize, samples: &[Duration]| Row {
        name,
        assume_role_calls: mock.calls(Action::AssumeRole) - before,
        latency: Latency::of(samples),
        slower_than_50ms: samples.iter().filter(|d| **d > SLOW).count(),
        waited_for_sts: samples.iter().filter(|d| **d >= STS_LATENCY).count(),
    };
    let rows = vec![
        row(
            "aws-config AssumeRoleProvider + default identity cache",
            &mock_a,
            before[0],
            &a,
        ),
        row(
            "sts-assume-role AssumeRoleProvider + no_cache",
            &mock_b,
            before[1],
            &b,
        ),
    ];
    (rows, [mock_a, mock_b])
}

fn main() {
    let mode = Mode::from_env();
    // The smallest run still spans a turnover: 20-second credentials are refreshed 12.5 to
    // 15 s after they arrive.
    let window = Duration::from_secs(mode.pick(18, 20, 90));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (rows, mocks) = rt.block_on(run(window));
    drop(mocks);
    println!(
        "## Across expiry ({mode} run): {}s window, {}s credentials, AssumeRole takes {}\n",
        window.as_secs(),
        LIFETIME.as_secs(),
        ms(STS_LATENCY)
    );
    println!(
        "| client | AssumeRole calls | requests | p50 | p99 | max | > 50 ms | >= 300 ms (waited for STS) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.name,
            r.assume_role_calls,
            r.latency.count,
            ms(r.latency.p50),
            ms(r.latency.p99),
            ms(r.latency.max),
            r.slower_than_50ms,
            r.waited_for_sts
        );
    }
    // The promise (BENCHMARKS.md, part 4): across turnovers, no request of ours waits for STS.
    let ours = rows.last().expect("our row");
    assert!(
        ours.assume_role_calls >= 1,
        "the run spanned no credential turnover (no AssumeRole call after the warm-up)"
    );
    assert_eq!(
        ours.waited_for_sts, 0,
        "promise broken: {} of {} requests waited for STS across a turnover",
        ours.waited_for_sts, ours.latency.count
    );
}
