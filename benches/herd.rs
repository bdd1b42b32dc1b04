//! Herd at expiry (issue #6, part 3).
//!
//! 1,000 callers arrive together once the cached credentials are in the mandatory window,
//! and again once they have expired, while the mock STS takes 200 ms per AssumeRole. Reports
//! the AssumeRole calls they caused (the goal is exactly one) and their latency.
//!
//! `cargo bench --features test-util --bench herd`

#![allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_sts::config::retry::RetryConfig;
use sts_assume_role::AssumeRoleProvider;
use sts_assume_role::test_util::{Action, ManualClock, MockSts};
use support::{Latency, Mode, ms};

const HOUR: Duration = Duration::from_secs(3600);

#[derive(Clone, Copy)]
enum Moment {
    /// Two minutes before expiry: inside the 5-minute mandatory window of 1-hour credentials.
    Mandatory,
    /// One minute after expiry.
    Expired,
}

struct Outcome {
    sts_calls: usize,
    distinct_keys: usize,
    latency: Latency,
}

/// The outcome, and the mock, for the caller to drop outside the runtime: wiremock's
/// `MockServer` blocks on a tokio lock in `Drop`, which can spin for ever inside a task whose
/// cooperative budget the 1,000 joins have used up.
async fn herd(moment: Moment, callers: usize, sts_latency: Duration) -> (Outcome, MockSts) {
    let clock = ManualClock::default();
    let mock = MockSts::builder()
        .time_source(clock.clone())
        .credential_lifetime(HOUR)
        .start()
        .await;
    // No SDK retries: every AssumeRole the mock counts is one the provider asked for.
    let config = mock
        .sdk_config_builder()
        .retry_config(RetryConfig::disabled())
        .build();
    let provider = AssumeRoleProvider::builder(support::request("herd"), &config)
        .time_source(clock.clone())
        .build()
        .expect("valid provider");
    provider.prefetch().await.expect("prefetch");
    clock.advance(match moment {
        Moment::Mandatory => HOUR - Duration::from_secs(120),
        Moment::Expired => HOUR + Duration::from_secs(60),
    });
    mock.set_latency(Action::AssumeRole, sts_latency);
    let before = mock.calls(Action::AssumeRole);

    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let p = provider.clone();
            tokio::spawn(async move {
                let start = Instant::now();
                let creds = p.provide_credentials().await.expect("credentials");
                (start.elapsed(), creds.access_key_id().to_owned())
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(callers);
    let mut keys = HashSet::new();
    for t in tasks {
        let (took, key) = t.await.expect("caller");
        latencies.push(took);
        keys.insert(key);
    }
    let outcome = Outcome {
        sts_calls: mock.calls(Action::AssumeRole) - before,
        distinct_keys: keys.len(),
        latency: Latency::of(&latencies),
    };
    (outcome, mock)
}

fn main() {
    let mode = Mode::from_env();
    let callers = mode.pick(50, 1_000, 1_000);
    let sts_latency = Duration::from_millis(mode.pick(20, 200, 200));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "## Herd ({mode} run): {callers} callers, AssumeRole takes {} at the mock\n",
        ms(sts_latency)
    );
    println!(
        "| callers arrive | AssumeRole calls | distinct credentials served | p50 | p99 | max |"
    );
    println!("|---|---|---|---|---|---|");
    let mut failed = false;
    for (name, moment) in [
        ("in the mandatory window", Moment::Mandatory),
        ("after expiry", Moment::Expired),
    ] {
        let (o, mock) = rt.block_on(herd(moment, callers, sts_latency));
        drop(mock);
        println!(
            "| {name} | {} | {} | {} | {} | {} |",
            o.sts_calls,
            o.distinct_keys,
            ms(o.latency.p50),
            ms(o.latency.p99),
            ms(o.latency.max)
        );
        failed |= o.sts_calls != 1 || o.distinct_keys != 1;
    }
    assert!(!failed, "a herd caused more than one AssumeRole call");
}
