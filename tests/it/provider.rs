//! The auto-refreshing provider against the mock STS, in virtual time: single flight, the
//! advisory and mandatory windows, failure handling, chaining, invalidation and dropping.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use aws_sdk_sts::config::retry::RetryConfig;
use sts_assume_role::mfa::{self, MfaContext, MfaDevices, MfaError};
use sts_assume_role::test_util::{Action, Fault, ManualClock, MockSts};
use sts_assume_role::{
    AssumeRoleProvider, AssumeRoleRequest, Error, Parameter, RefreshPolicy, StsErrorCode,
};

const ROLE: &str = "arn:aws:iam::123456789012:role/demo";
const HOUR: Duration = Duration::from_secs(3600);
const MIN: Duration = Duration::from_secs(60);

fn request(role: &str) -> AssumeRoleRequest {
    AssumeRoleRequest::builder(role, "provider-test")
        .build()
        .unwrap()
}

async fn mock(clock: &ManualClock) -> MockSts {
    MockSts::builder()
        .time_source(clock.clone())
        .credential_lifetime(HOUR)
        .start()
        .await
}

/// A provider whose STS client does not retry, so every STS call is one the provider made.
fn provider(mock: &MockSts, clock: &ManualClock) -> AssumeRoleProvider {
    provider_with(mock, clock, RefreshPolicy::default().jitter(0.0))
}

fn provider_with(mock: &MockSts, clock: &ManualClock, policy: RefreshPolicy) -> AssumeRoleProvider {
    let config = mock
        .sdk_config_builder()
        .retry_config(RetryConfig::disabled())
        .build();
    AssumeRoleProvider::builder(request(ROLE), &config)
        .time_source(clock.clone())
        .refresh_policy(policy)
        .build()
        .unwrap()
}

async fn key(p: &AssumeRoleProvider) -> String {
    p.provide_credentials()
        .await
        .unwrap()
        .access_key_id()
        .to_owned()
}

/// Waits (in real time, briefly) until no refresh is in flight.
async fn settle(p: &AssumeRoleProvider) {
    for _ in 0..500 {
        if !p.status().is_refreshing() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("refresh did not finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_callers_at_expiry_cause_one_assume_role_call() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let provider = provider(&mock, &clock);
    let first = key(&provider).await;
    clock.advance(HOUR + MIN); // expired
    mock.set_latency(Action::AssumeRole, Duration::from_millis(200));
    let calls_before = mock.calls(Action::AssumeRole);
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let p = provider.clone();
            tokio::spawn(async move { key(&p).await })
        })
        .collect();
    let mut keys = std::collections::HashSet::new();
    for t in tasks {
        keys.insert(t.await.unwrap());
    }
    assert_eq!(mock.calls(Action::AssumeRole) - calls_before, 1);
    assert_eq!(keys.len(), 1, "every caller got the same fresh credentials");
    assert!(!keys.contains(&first));
    // The mock's `Drop` blocks on a tokio lock inside a nested executor; after joining 1,000
    // tasks the test's cooperative budget may be spent, so yield to refill it first.
    tokio::task::yield_now().await;
}

#[tokio::test]
async fn in_the_advisory_window_callers_get_cached_credentials_while_sts_is_slow() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let provider = provider(&mock, &clock);
    let first = key(&provider).await;
    clock.advance(HOUR - 10 * MIN); // inside the 15-minute advisory window
    mock.set_latency(Action::AssumeRole, Duration::from_secs(2));
    for _ in 0..100 {
        // Had any of these waited for STS, it would have returned the new credentials.
        assert_eq!(key(&provider).await, first);
    }
    assert!(provider.status().is_refreshing());
    settle(&provider).await;
    assert_eq!(
        mock.calls(Action::AssumeRole),
        2,
        "one background refresh for all callers"
    );
    assert_ne!(key(&provider).await, first);
}

#[tokio::test]
async fn warm_calls_make_no_sts_call() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let provider = provider(&mock, &clock);
    let first = key(&provider).await;
    for _ in 0..44 {
        clock.advance(MIN);
        assert_eq!(key(&provider).await, first);
    }
    assert_eq!(mock.calls(Action::AssumeRole), 1);
}

#[tokio::test]
async fn sts_faults_in_the_advisory_window_keep_credentials_and_back_off() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    // The doubling backoff of 0.1 (the default waits 300 to 600 s from the first failure).
    let provider = provider_with(
        &mock,
        &clock,
        RefreshPolicy::default()
            .jitter(0.0)
            .backoff(Duration::from_secs(1), Duration::from_secs(60)),
    );
    let first = key(&provider).await;
    clock.advance(HOUR - 14 * MIN);
    for fault in [
        Fault::Throttling,
        Fault::ServerError(500),
        Fault::MalformedBody,
    ] {
        mock.push_fault(Action::AssumeRole, fault);
    }
    let mut expected_calls = 1;
    for attempt in 1..=3u32 {
        let calls = mock.calls(Action::AssumeRole);
        // Many callers: all served the valid credentials; one STS call.
        for _ in 0..50 {
            assert_eq!(key(&provider).await, first);
        }
        settle(&provider).await;
        expected_calls += 1;
        assert_eq!(
            mock.calls(Action::AssumeRole),
            expected_calls,
            "attempt {attempt}"
        );
        assert_eq!(calls + 1, expected_calls);
        let status = provider.status();
        assert_eq!(status.consecutive_failures(), attempt);
        // Still inside the backoff: no new STS call however often callers ask.
        for _ in 0..50 {
            assert_eq!(key(&provider).await, first);
        }
        settle(&provider).await;
        assert_eq!(
            mock.calls(Action::AssumeRole),
            expected_calls,
            "backoff respected"
        );
        // Move past the backoff (at most 1, 2, 4 s; step past the longest).
        let wait = status
            .retry_at()
            .unwrap()
            .duration_since(clock.now())
            .unwrap();
        assert!(wait <= Duration::from_secs(1 << (attempt - 1)), "{wait:?}");
        clock.advance(wait + Duration::from_millis(1));
    }
    // STS answers again: recovery.
    assert_eq!(key(&provider).await, first);
    settle(&provider).await;
    assert_eq!(mock.calls(Action::AssumeRole), expected_calls + 1);
    assert_ne!(key(&provider).await, first);
    assert_eq!(provider.status().consecutive_failures(), 0);
}

#[tokio::test]
async fn by_default_a_failure_with_valid_credentials_is_retried_after_five_to_ten_minutes() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let provider = provider(&mock, &clock);
    let first = key(&provider).await;
    clock.advance(HOUR - 15 * MIN);
    mock.push_fault(Action::AssumeRole, Fault::ServerError(503));
    assert_eq!(key(&provider).await, first);
    settle(&provider).await;
    let status = provider.status();
    assert_eq!(status.consecutive_failures(), 1);
    let wait = status
        .retry_at()
        .unwrap()
        .duration_since(clock.now())
        .unwrap();
    assert!(
        (5 * MIN..=10 * MIN).contains(&wait),
        "{wait:?} is not 300 to 600 s"
    );
    // Callers in the meantime are served from memory, with no STS call.
    clock.advance(wait - Duration::from_secs(1));
    assert_eq!(key(&provider).await, first);
    settle(&provider).await;
    assert_eq!(mock.calls(Action::AssumeRole), 2);
    clock.advance(Duration::from_secs(2));
    assert_eq!(key(&provider).await, first);
    settle(&provider).await;
    assert_eq!(mock.calls(Action::AssumeRole), 3);
    assert_ne!(key(&provider).await, first);
}

#[tokio::test]
async fn with_no_valid_credentials_the_backoff_starts_under_a_second() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let provider = provider(&mock, &clock);
    mock.push_fault(Action::AssumeRole, Fault::ServerError(503));
    assert!(provider.provide_credentials().await.is_err());
    let wait = provider
        .status()
        .retry_at()
        .unwrap()
        .duration_since(clock.now())
        .unwrap();
    assert!(wait <= Duration::from_secs(1), "{wait:?}");
    clock.advance(wait);
    key(&provider).await;
    assert_eq!(mock.calls(Action::AssumeRole), 2);
}

#[tokio::test]
async fn non_retryable_errors_are_returned_and_remembered_not_retried_per_call() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let provider = provider(&mock, &clock);
    mock.push_fault(
        Action::AssumeRole,
        Fault::AccessDenied("User: x is not authorized".into()),
    );
    for _ in 0..100 {
        let err = provider.provide_credentials().await.unwrap_err();
        assert!(matches!(err, CredentialsError::ProviderError(_)), "{err:?}");
    }
    assert_eq!(mock.calls(Action::AssumeRole), 1);
    clock.advance(Duration::from_secs(11)); // past the 10 s error TTL
    key(&provider).await;
    assert_eq!(mock.calls(Action::AssumeRole), 2);
}

#[tokio::test]
async fn configuration_errors_become_invalid_configuration() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let provider = provider(&mock, &clock);
    mock.push_fault(
        Action::AssumeRole,
        Fault::Error {
            status: 400,
            code: "MalformedPolicyDocument".into(),
            message: "bad".into(),
        },
    );
    let err = provider.provide_credentials().await.unwrap_err();
    assert!(
        matches!(err, CredentialsError::InvalidConfiguration(_)),
        "{err:?}"
    );
}

#[tokio::test]
async fn expired_credentials_with_sts_down_give_an_error_not_stale_credentials() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let provider = provider(&mock, &clock);
    key(&provider).await;
    clock.advance(HOUR + Duration::from_secs(1));
    for _ in 0..3 {
        mock.push_fault(Action::AssumeRole, Fault::ServiceUnavailable);
    }
    let err = provider.provide_credentials().await.unwrap_err();
    assert!(matches!(err, CredentialsError::ProviderError(_)), "{err:?}");
    // Callers during the backoff get the remembered error, without an STS call each.
    let calls = mock.calls(Action::AssumeRole);
    assert!(provider.provide_credentials().await.is_err());
    assert_eq!(mock.calls(Action::AssumeRole), calls);
    assert!(provider.fallback_on_interrupt().is_none());
}

#[tokio::test]
async fn a_failed_refresh_in_the_mandatory_window_serves_still_valid_credentials() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let provider = provider(&mock, &clock);
    let first = key(&provider).await;
    clock.advance(HOUR - 2 * MIN); // mandatory window, still valid
    mock.push_fault(Action::AssumeRole, Fault::ServiceUnavailable);
    assert_eq!(key(&provider).await, first);
    assert_eq!(mock.calls(Action::AssumeRole), 2);
    assert!(provider.status().last_error().is_some());
}

#[tokio::test]
async fn role_chaining_works_through_two_hops() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let hop1 = provider(&mock, &clock);
    let hop2 = AssumeRoleProvider::builder(
        request("arn:aws:iam::123456789012:role/second"),
        &mock.sdk_config(),
    )
    .source_credentials(hop1.clone())
    .time_source(clock.clone())
    .build()
    .unwrap();
    let hop1_key = key(&hop1).await;
    let creds = hop2.provide_credentials().await.unwrap();
    let requests = mock.requests();
    let second = requests
        .iter()
        .rev()
        .find(|r| r.action == Some(Action::AssumeRole))
        .unwrap();
    assert_eq!(
        second.param("RoleArn"),
        Some("arn:aws:iam::123456789012:role/second")
    );
    assert_eq!(
        second.access_key_id.as_deref(),
        Some(hop1_key.as_str()),
        "signed with hop 1"
    );
    let client = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(&mock.sdk_config())
            .credentials_provider(creds)
            .build(),
    );
    let who = client.get_caller_identity().send().await.unwrap();
    assert_eq!(
        who.arn(),
        Some("arn:aws:sts::123456789012:assumed-role/second/provider-test")
    );
}

/// A user's own wrapper around a provider: it hands on whatever the inner one returns.
#[derive(Debug)]
struct Logged<P>(P);

impl<P: ProvideCredentials> ProvideCredentials for Logged<P> {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        self.0.provide_credentials()
    }
}

/// A user's wrapper that rebuilds the credentials from their parts: whatever was kept beside
/// the keys (the SDK's property map) is gone, the session token is not.
#[derive(Debug)]
struct Rebuilt<P>(P);

impl<P: ProvideCredentials> ProvideCredentials for Rebuilt<P> {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let c = self.0.provide_credentials().await?;
            Ok(Credentials::new(
                c.access_key_id(),
                c.secret_access_key(),
                c.session_token().map(str::to_owned),
                c.expiry(),
                "Rebuilt",
            ))
        })
    }
}

#[tokio::test]
async fn a_wrapped_role_provider_as_source_still_gets_the_one_hour_chaining_check() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let hop1 = provider(&mock, &clock);
    let two_hours = AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/second", "chained")
        .duration(Duration::from_secs(7200))
        .build()
        .unwrap();
    let sources: [(&str, SharedCredentialsProvider); 5] = [
        ("as itself", SharedCredentialsProvider::new(hop1.clone())),
        (
            "in a SharedCredentialsProvider",
            SharedCredentialsProvider::new(SharedCredentialsProvider::new(hop1.clone())),
        ),
        (
            "in a wrapper of the user's",
            SharedCredentialsProvider::new(Logged(Logged(hop1.clone()))),
        ),
        (
            "rebuilt from its parts by a wrapper of the user's",
            SharedCredentialsProvider::new(Rebuilt(hop1.clone())),
        ),
        (
            // An instance or container role's credentials, from a provider not of this crate.
            "temporary credentials from elsewhere",
            SharedCredentialsProvider::new(Credentials::new(
                "ASIAINSTANCEROLE0000",
                "instance-role-secret",
                Some("instance-role-session-token".to_owned()),
                None,
                "Imds",
            )),
        ),
    ];
    for (how, source) in sources {
        let hop2 = AssumeRoleProvider::builder(two_hours.clone(), &mock.sdk_config())
            .source_credentials(source)
            .time_source(clock.clone())
            .build()
            .unwrap();
        let err = hop2.provide_credentials().await.unwrap_err();
        assert!(
            matches!(err, CredentialsError::InvalidConfiguration(_)),
            "{how}: {err:?}"
        );
        let Some(Error::InvalidRequest(errors)) = Error::find_in(&err) else {
            panic!("{how}: {err:?}")
        };
        assert!(errors.contains(Parameter::DurationSeconds), "{how}");
        assert!(
            errors.to_string().contains("role chaining"),
            "{how}: {errors}"
        );
    }
    assert_eq!(
        mock.calls(Action::AssumeRole),
        1,
        "only hop 1 reached STS: the second hop was refused locally each time"
    );
}

#[tokio::test]
async fn static_keys_as_source_are_not_role_chaining() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let two_hours = AssumeRoleRequest::builder(ROLE, "long")
        .duration(Duration::from_secs(7200))
        .build()
        .unwrap();
    let provider = AssumeRoleProvider::builder(two_hours, &mock.sdk_config())
        .source_credentials(Logged(mock.source_credentials()))
        .time_source(clock.clone())
        .build()
        .unwrap();
    provider.provide_credentials().await.unwrap();
    let sent = mock.requests().pop().unwrap();
    assert_eq!(sent.param("DurationSeconds"), Some("7200"));
}

#[tokio::test]
async fn a_panicking_token_source_is_reported_as_a_panic_not_a_retryable_fault() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let serial = "arn:aws:iam::123456789012:mfa/panics";
    let request = AssumeRoleRequest::builder(ROLE, "panics")
        .serial_number(serial)
        .build()
        .unwrap();
    let asked = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counter = Arc::clone(&asked);
    let provider = AssumeRoleProvider::builder(request, &mock.sdk_config())
        .mfa(mfa::from_fn(move |_: &MfaContext| {
            counter.fetch_add(1, Ordering::SeqCst);
            panic!("the dialog crashed");
        }))
        .mfa_devices(MfaDevices::new())
        .time_source(clock.clone())
        .build()
        .unwrap();
    let err = provider.provide_credentials().await.unwrap_err();
    let error = Error::find_in(&err).unwrap();
    assert!(matches!(error, Error::Mfa(MfaError::Panicked)), "{error:?}");
    assert!(!error.is_retryable());
    assert!(err.to_string().contains("no MFA code") || format!("{err:?}").contains("Panicked"));
    assert!(
        !format!("{err:?} {error}").contains("dialog crashed"),
        "the panic's message is not kept"
    );
    assert_eq!(mock.calls(Action::AssumeRole), 0);
    // Remembered like any non-retryable failure, then asked again: the provider is not stuck.
    assert!(provider.provide_credentials().await.is_err());
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    clock.advance(Duration::from_secs(11));
    assert!(provider.provide_credentials().await.is_err());
    assert_eq!(asked.load(Ordering::SeqCst), 2);
}

/// Source credentials whose provider panics.
#[derive(Debug)]
struct Panics;

impl ProvideCredentials for Panics {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async { panic!("source exploded") })
    }
}

#[tokio::test]
async fn a_panicking_source_is_reported_as_a_panic_and_the_provider_recovers() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let provider = AssumeRoleProvider::builder(request(ROLE), &mock.sdk_config())
        .source_credentials(Panics)
        .time_source(clock.clone())
        .build()
        .unwrap();
    for _ in 0..2 {
        let err = provider.provide_credentials().await.unwrap_err();
        let error = Error::find_in(&err).unwrap();
        assert!(matches!(error, Error::Panicked), "{error:?}");
        assert!(!error.is_retryable());
        assert!(
            !provider.status().is_refreshing(),
            "no refresh left hanging"
        );
        clock.advance(Duration::from_secs(11));
    }
    assert_eq!(provider.status().consecutive_failures(), 2);
}

#[tokio::test]
async fn the_sts_error_code_is_found_in_a_credentials_error_and_in_a_client_error() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let provider = provider(&mock, &clock);
    mock.push_fault(
        Action::AssumeRole,
        Fault::Error {
            status: 403,
            code: "AccessDenied".into(),
            message: "not trusted".into(),
        },
    );
    let err = provider.provide_credentials().await.unwrap_err();
    let error = Error::find_in(&err).unwrap();
    assert_eq!(error.sts_code(), Some(&StsErrorCode::AccessDenied));
    assert_eq!(error.sts_message(), Some("not trusted"));
    assert_eq!(error.http_status(), Some(403));
    assert!(error.request_id().is_some());

    // Through a service client that uses the provider: the same error, deeper in the chain.
    clock.advance(Duration::from_secs(11));
    mock.push_fault(
        Action::AssumeRole,
        Fault::Error {
            status: 403,
            code: "AccessDenied".into(),
            message: "not trusted".into(),
        },
    );
    let client = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(&mock.sdk_config())
            .credentials_provider(provider.clone())
            .identity_cache(aws_sdk_sts::config::IdentityCache::no_cache())
            .build(),
    );
    let err = client.get_caller_identity().send().await.unwrap_err();
    let code = Error::find_in(&err).and_then(Error::sts_code);
    assert_eq!(code, Some(&StsErrorCode::AccessDenied), "{err:?}");

    // A chained provider whose source failed reports the source's code too.
    let hop2 = AssumeRoleProvider::builder(
        request("arn:aws:iam::123456789012:role/second"),
        &mock.sdk_config(),
    )
    .source_credentials(provider)
    .time_source(clock.clone())
    .build()
    .unwrap();
    clock.advance(Duration::from_secs(11));
    mock.push_fault(
        Action::AssumeRole,
        Fault::Error {
            status: 403,
            code: "AccessDenied".into(),
            message: "not trusted".into(),
        },
    );
    let err = hop2.provide_credentials().await.unwrap_err();
    let error = Error::find_in(&err).unwrap();
    assert!(matches!(error, Error::SourceCredentials(_)), "{error:?}");
    assert_eq!(error.sts_code(), Some(&StsErrorCode::AccessDenied));
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn invalidate_forces_a_fresh_call() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let provider = provider(&mock, &clock);
    let first = key(&provider).await;
    provider.invalidate();
    let second = key(&provider).await;
    assert_ne!(first, second);
    assert_eq!(mock.calls(Action::AssumeRole), 2);
}

#[tokio::test]
async fn prefetch_loads_ahead_of_time_and_clones_share_the_cache() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let provider = provider(&mock, &clock);
    let prefetched = provider.prefetch().await.unwrap();
    let clone = provider.clone();
    assert_eq!(key(&clone).await, prefetched.access_key_id());
    assert_eq!(mock.calls(Action::AssumeRole), 1);
    // Judged on STS's clock, whose `Date` is truncated to the second, less a thousandth of the
    // hour for this machine's clock drifting: never later than the credentials' own expiry,
    // and at most that second and 3.6 s earlier.
    let (judged, expiry) = (
        provider.status().expiry().unwrap(),
        prefetched.expiry().unwrap(),
    );
    assert!(judged <= expiry && expiry - Duration::from_millis(4600) <= judged);
}

#[tokio::test]
async fn refreshes_follow_the_schedule_over_eight_virtual_hours() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let provider = provider(&mock, &clock);
    let mut last = key(&provider).await;
    let mut changes = 0;
    for _ in 0..8 * 60 {
        clock.advance(MIN);
        let now = key(&provider).await;
        settle(&provider).await;
        if now != last {
            changes += 1;
            last = now;
        }
        let creds = provider.provide_credentials().await.unwrap();
        assert!(
            creds.expiry().unwrap() > clock.now(),
            "never served expired credentials"
        );
    }
    // 1-hour credentials, refreshed 15 minutes before expiry (no jitter here): every 45
    // minutes, so 480 / 45 = 10 refreshes after the first load.
    assert_eq!(mock.calls(Action::AssumeRole), 11);
    assert!(changes >= 10);
}

/// A source whose load never finishes, and that notes when its future is dropped.
#[derive(Debug)]
struct Hanging(Arc<AtomicBool>);

struct DropFlag(Arc<AtomicBool>);
impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl ProvideCredentials for Hanging {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let flag = DropFlag(self.0.clone());
        future::ProvideCredentials::new(async move {
            let _flag = flag;
            std::future::pending::<()>().await;
            Ok(Credentials::for_tests())
        })
    }
}

#[tokio::test]
async fn dropping_the_provider_cancels_a_refresh_in_flight() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let dropped = Arc::new(AtomicBool::new(false));
    let provider = AssumeRoleProvider::builder(request(ROLE), &mock.sdk_config())
        .source_credentials(Hanging(dropped.clone()))
        .time_source(clock.clone())
        .build()
        .unwrap();
    let clone = provider.clone();
    // Start a refresh, and give up waiting on it.
    let waiting = tokio::time::timeout(Duration::from_millis(50), clone.prefetch()).await;
    assert!(waiting.is_err());
    assert!(provider.status().is_refreshing());
    drop(clone);
    tokio::task::yield_now().await;
    assert!(
        !dropped.load(Ordering::SeqCst),
        "a clone is alive: the refresh goes on"
    );
    drop(provider);
    for _ in 0..100 {
        if dropped.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the refresh task outlived the provider");
}

#[test]
fn provider_is_send_sync_clone_and_debug() {
    fn is_send_sync<T: Send + Sync + Clone + std::fmt::Debug>() {}
    is_send_sync::<AssumeRoleProvider>();
}
