//! A machine clock that disagrees with STS's, in virtual time: credentials are judged on STS's
//! clock (from the `Date` of its answers), so a clock ahead of STS's by hours neither finds
//! fresh credentials dead nor refreshes in a storm, and one behind refreshes before STS expires
//! them; when STS's time cannot be known, credentials dead by this machine's clock are never
//! served, and STS is called again only with the backoff.

use crate::common;

use std::time::Duration;

use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_sts::config::retry::RetryConfig;
use sts_assume_role::test_util::{Action, Fault, ManualClock, MockSts};
use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest, Error, RefreshPolicy};

use common::Capture;

const ROLE: &str = "arn:aws:iam::123456789012:role/skewed";
const HOUR: Duration = Duration::from_secs(3600);
const MIN: Duration = Duration::from_secs(60);
const SEC: Duration = Duration::from_secs(1);

fn request() -> AssumeRoleRequest {
    AssumeRoleRequest::builder(ROLE, "skew").build().unwrap()
}

/// A provider on `local` (this machine's clock, timer included) reaching `mock`, whose STS
/// client does not retry.
fn provider(mock: &MockSts, local: &ManualClock) -> AssumeRoleProvider {
    let config = mock
        .sdk_config_builder()
        .retry_config(RetryConfig::disabled())
        .build();
    AssumeRoleProvider::builder(request(), &config)
        .time_source(local.clone())
        .sleep_impl(local.clone())
        .refresh_policy(RefreshPolicy::default().jitter(0.0))
        .jitter_seed(3)
        .build()
        .unwrap()
}

/// Moves both clocks, STS's and this machine's, by `d`.
fn advance(clocks: &[&ManualClock], d: Duration) {
    for clock in clocks {
        clock.advance(d);
    }
}

async fn settle(p: &AssumeRoleProvider) {
    for _ in 0..1000 {
        tokio::time::sleep(Duration::from_millis(2)).await;
        if !p.status().is_refreshing() {
            return;
        }
    }
    panic!("the refresh did not end");
}

/// How long credentials granted for `life` are judged to last with the clocks agreeing: less
/// the second of uncertainty of a `Date` truncated to the second, and a thousandth of the rest
/// kept for this machine's clock drifting.
fn judged(life: Duration) -> Duration {
    let remaining = life - SEC;
    remaining - remaining / 1000
}

fn capture() -> (Capture, tracing::subscriber::DefaultGuard) {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(capture.clone())
        .with_ansi(false)
        .finish();
    (capture, tracing::subscriber::set_default(subscriber))
}

#[tokio::test]
async fn a_clock_two_hours_ahead_of_sts_neither_storms_nor_finds_fresh_credentials_dead() {
    let (logs, _guard) = capture();
    let sts = ManualClock::default();
    let local = ManualClock::new(sts.now() + 2 * HOUR);
    let mock = MockSts::builder()
        .time_source(sts.clone())
        .credential_lifetime(HOUR)
        .start()
        .await;
    let p = provider(&mock, &local);

    // By this machine's clock they expired an hour ago; by STS's they have an hour to go.
    let creds = p.provide_credentials().await.unwrap();
    assert!(creds.expiry().unwrap() < local.now());
    // Less the second of uncertainty of a `Date` truncated to the second, and the drift kept.
    assert_eq!(p.status().expiry(), Some(local.now() + judged(HOUR)));

    // Ten callers, a minute apart: all served, no further STS call.
    for _ in 0..10 {
        advance(&[&sts, &local], MIN);
        p.provide_credentials().await.unwrap();
    }
    assert_eq!(mock.calls(Action::AssumeRole), 1);

    // Six hours, idle: one refresh per lifetime, by the timer.
    for _ in 0..(6 * 60) {
        advance(&[&sts, &local], MIN);
        tokio::task::yield_now().await;
        settle(&p).await;
    }
    let calls = mock.calls(Action::AssumeRole);
    assert!((7..=9).contains(&calls), "{calls} STS calls in 6 h 10 min");

    let said = logs.text();
    assert_eq!(said.matches("ahead of STS's").count(), 1, "{said}");
    assert!(
        said.contains("skew=7199s"),
        "the skew surely there (2 h less the Date's second of uncertainty) is logged: {said}"
    );
}

#[tokio::test]
async fn a_clock_behind_sts_refreshes_before_sts_expires_the_credentials() {
    // Every test of this file logs into a subscriber of its own: a test without one would let
    // tracing cache the skew warning's call site as unwanted for the others.
    let (_logs, _guard) = capture();
    let sts = ManualClock::default();
    let local = ManualClock::new(sts.now() - 30 * MIN);
    let mock = MockSts::builder()
        .time_source(sts.clone())
        .credential_lifetime(HOUR)
        .start()
        .await;
    let p = provider(&mock, &local);
    let creds = p.provide_credentials().await.unwrap();
    // STS says an hour; this machine's clock would have said an hour and a half.
    assert_eq!(creds.expiry(), Some(sts.now() + HOUR));
    assert_eq!(p.status().expiry(), Some(local.now() + judged(HOUR)));
    let refresh_at = p.status().refresh_at().unwrap();
    // A quarter of the lifetime before the expiry, as this machine's clock judges both.
    assert_eq!(refresh_at, local.now() + judged(HOUR) * 3 / 4);
    // The refresh comes while STS still honours the credentials.
    advance(&[&sts, &local], 45 * MIN + SEC);
    settle(&p).await;
    for _ in 0..100 {
        if mock.calls(Action::AssumeRole) == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(mock.calls(Action::AssumeRole), 2);
    assert!(sts.now() < creds.expiry().unwrap());
}

#[tokio::test]
async fn with_sts_time_unknown_credentials_dead_by_this_clock_are_refused_with_backoff() {
    let (_logs, _guard) = capture();
    let sts = ManualClock::default();
    let local = ManualClock::new(sts.now() + 2 * HOUR);
    // Answers whose Date says nothing: the skew cannot be measured.
    let mock = MockSts::builder()
        .time_source(sts.clone())
        .credential_lifetime(HOUR)
        .date_header(false)
        .start()
        .await;
    let p = provider(&mock, &local);
    let mut callers = 0;
    for _ in 0..60 {
        callers += 1;
        let err = p.provide_credentials().await.unwrap_err();
        let error = Error::find_in(&err).unwrap();
        assert!(
            matches!(error, Error::ExpiredOnArrival { remaining, .. } if remaining.is_zero()),
            "{error:?}"
        );
        assert!(error.is_retryable());
        advance(&[&sts, &local], 10 * SEC);
    }
    // One caller every 10 s for 10 minutes: without the check, each would have been an STS
    // call, and each would have been handed dead credentials.
    let calls = mock.calls(Action::AssumeRole);
    assert!(calls <= 20, "{calls} STS calls for {callers} callers");
    assert!(p.status().expiry().is_none(), "nothing was served or kept");
}

#[tokio::test]
async fn short_lived_credentials_are_served_when_sts_time_is_known() {
    let (_logs, _guard) = capture();
    let clock = ManualClock::default();
    let mock = MockSts::builder()
        .time_source(clock.clone())
        .credential_lifetime(4 * MIN)
        .start()
        .await;
    let p = provider(&mock, &clock);
    let creds = p.provide_credentials().await.unwrap();
    assert_eq!(creds.expiry(), Some(clock.now() + 4 * MIN));
    assert_eq!(p.status().expiry(), Some(clock.now() + judged(4 * MIN)));
}

/// Every way STS can fail a refresh, short of answering.
fn every_fault() -> Vec<Fault> {
    vec![
        Fault::Throttling,
        Fault::ServerError(500),
        Fault::ServerError(503),
        Fault::InternalFailure,
        Fault::ServiceUnavailable,
        Fault::IdpCommunicationError,
        Fault::MalformedBody,
        Fault::TruncatedBody,
    ]
}

#[tokio::test]
async fn nothing_is_served_past_its_expiry_while_sts_fails_with_a_date_truncated_to_the_second() {
    let (_logs, _guard) = capture();
    for fault in every_fault() {
        // Both clocks agree, 999 ms into a second: STS's `Date` says the second began, nearly
        // a second before the true time. Read as exact, it would put STS's clock 999 ms behind
        // this machine's and stretch every expiry by as much.
        let sts = ManualClock::new(ManualClock::default().now() + Duration::from_millis(999));
        let mock = MockSts::builder()
            .time_source(sts.clone())
            .credential_lifetime(15 * MIN)
            .start()
            .await;
        let p = provider(&mock, &sts);
        let creds = p.provide_credentials().await.unwrap();
        let expiry = creds.expiry().unwrap();
        let status = p.status().expiry().unwrap();
        assert!(
            status <= expiry,
            "{fault:?}: status().expiry() {status:?} is after the credentials' {expiry:?}"
        );
        // From here on STS fails every call.
        for _ in 0..500 {
            mock.push_fault(Action::AssumeRole, fault.clone());
        }
        // Through the advisory and mandatory windows, quickly, then past the expiry in steps
        // of 50 ms.
        advance(&[&sts], 14 * MIN);
        settle(&p).await;
        p.provide_credentials().await.unwrap();
        settle(&p).await;
        advance(&[&sts], expiry.duration_since(sts.now()).unwrap() - 3 * SEC);
        settle(&p).await;
        let (mut served, mut refused) = (0, 0);
        while sts.now() < expiry + 2 * SEC {
            advance(&[&sts], Duration::from_millis(50));
            tokio::task::yield_now().await;
            match p.provide_credentials().await {
                Ok(c) => {
                    served += 1;
                    assert!(
                        sts.now() < c.expiry().unwrap(),
                        "{fault:?}: served credentials {:?} past their expiry",
                        sts.now()
                            .duration_since(c.expiry().unwrap())
                            .unwrap_or_default()
                    );
                }
                Err(_) => refused += 1,
            }
            settle(&p).await;
        }
        assert!(served > 0, "{fault:?}: valid credentials were served");
        assert!(refused > 0, "{fault:?}: expired ones were not");
        // The load, the timer's refresh, one last try before expiry, and the expired backoff's
        // (0.5-1 s, doubling) in the 2 s after: the failures did not turn loads into calls.
        let calls = mock.calls(Action::AssumeRole);
        assert!((3..=6).contains(&calls), "{fault:?}: {calls} STS calls");
    }
}
