//! Refresh on a timer, in virtual time: a provider refreshes at the start of its advisory
//! window with no caller at all, once per lifetime when idle, retries failures while its
//! credentials are valid, leaves prompting sources alone unless told, and leaves no task behind
//! when dropped.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use aws_sdk_sts::config::retry::RetryConfig;
use aws_smithy_async::rt::sleep::{AsyncSleep, Sleep};
use sts_assume_role::mfa::TokenCode;
use sts_assume_role::mfa::{self, MfaContext, MfaDevices, MfaError};
use sts_assume_role::test_util::{Action, Fault, ManualClock, MockSts};
use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest, RefreshPolicy, ScheduledRefresh};

const ROLE: &str = "arn:aws:iam::123456789012:role/quiet";
const HOUR: Duration = Duration::from_secs(3600);
const SEC: Duration = Duration::from_secs(1);

async fn mock(clock: &ManualClock) -> MockSts {
    MockSts::builder()
        .time_source(clock.clone())
        .credential_lifetime(HOUR)
        .start()
        .await
}

fn request() -> AssumeRoleRequest {
    AssumeRoleRequest::builder(ROLE, "timer").build().unwrap()
}

/// A provider on the manual clock, timer included, whose STS client does not retry.
fn provider(mock: &MockSts, clock: &ManualClock, policy: RefreshPolicy) -> AssumeRoleProvider {
    let config = mock
        .sdk_config_builder()
        .retry_config(RetryConfig::disabled())
        .build();
    AssumeRoleProvider::builder(request(), &config)
        .time_source(clock.clone())
        .sleep_impl(clock.clone())
        .refresh_policy(policy)
        .jitter_seed(7)
        .build()
        .unwrap()
}

/// Waits, in real time and briefly, until `done` holds: the timer and the refresh it starts run
/// on the runtime, with real I/O to the mock.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Moves the clock to the provider's refresh moment (plus a second).
fn to_refresh(clock: &ManualClock, p: &AssumeRoleProvider) {
    let at = p.status().refresh_at().expect("credentials are cached");
    clock.set(at + SEC);
}

async fn scheduled_refresh_with_no_caller() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let p = provider(&mock, &clock, RefreshPolicy::default());
    let first = p.prefetch().await.unwrap();
    let first_expiry = p.status().expiry().unwrap();

    to_refresh(&clock, &p);
    until("the scheduled refresh", || {
        mock.calls(Action::AssumeRole) == 2 && p.status().expiry() != Some(first_expiry)
    })
    .await;
    // Nobody asked: the provider refreshed on its own, and holds the new credentials.
    let status = p.status();
    assert!(status.expiry().unwrap() > first_expiry);
    assert!(!status.is_refreshing());
    let issued = mock.issued();
    assert_eq!(issued[0].access_key_id, first.access_key_id());
    assert_ne!(issued[1].access_key_id, first.access_key_id());
}

#[tokio::test]
async fn a_scheduled_refresh_happens_with_no_caller_on_a_current_thread_runtime() {
    scheduled_refresh_with_no_caller().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_refresh_happens_with_no_caller_on_a_multi_thread_runtime() {
    scheduled_refresh_with_no_caller().await;
}

#[tokio::test]
async fn an_idle_provider_calls_sts_once_per_credential_lifetime() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let p = provider(&mock, &clock, RefreshPolicy::default());
    p.prefetch().await.unwrap();
    for lifetime in 1..=12 {
        let before = p.status().expiry();
        // Half-way through the credentials' life: nothing happens.
        clock.set(p.status().refresh_at().unwrap() - 10 * 60 * SEC);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(mock.calls(Action::AssumeRole), lifetime);
        to_refresh(&clock, &p);
        until("the refresh of this lifetime", || {
            p.status().expiry() != before && !p.status().is_refreshing()
        })
        .await;
        assert_eq!(mock.calls(Action::AssumeRole), lifetime + 1);
    }
}

#[tokio::test]
async fn the_timer_retries_a_failed_refresh_while_the_credentials_are_valid() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let p = provider(&mock, &clock, RefreshPolicy::default());
    p.prefetch().await.unwrap();
    let first_expiry = p.status().expiry().unwrap();
    mock.push_fault(Action::AssumeRole, Fault::ServiceUnavailable);
    mock.push_fault(Action::AssumeRole, Fault::ServiceUnavailable);

    to_refresh(&clock, &p);
    for failures in 1..=2 {
        until("a failure", || {
            p.status().consecutive_failures() == failures
        })
        .await;
        let retry_at = p.status().retry_at().unwrap();
        // Nothing before the backoff is over.
        clock.set(retry_at - SEC);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(mock.calls(Action::AssumeRole), 1 + failures as usize);
        clock.set(retry_at + SEC);
    }
    until("the retry that works", || {
        p.status().expiry() != Some(first_expiry) && !p.status().is_refreshing()
    })
    .await;
    assert_eq!(mock.calls(Action::AssumeRole), 4);
    assert!(p.status().last_error().is_none());
}

#[tokio::test]
async fn with_scheduled_refresh_off_nothing_happens_without_a_caller() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let p = provider(
        &mock,
        &clock,
        RefreshPolicy::default().scheduled(ScheduledRefresh::Off),
    );
    p.prefetch().await.unwrap();
    to_refresh(&clock, &p);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(mock.calls(Action::AssumeRole), 1);
    // A caller in the advisory window still starts one, in the background.
    p.prefetch().await.unwrap();
    until("the refresh a caller started", || {
        mock.calls(Action::AssumeRole) == 2
    })
    .await;
}

#[tokio::test]
async fn a_prompting_source_is_asked_ahead_only_when_told_to() {
    let serial = "arn:aws:iam::123456789012:mfa/alice";
    for (scheduled, asked_by_timer) in [
        (ScheduledRefresh::Unattended, false),
        (ScheduledRefresh::Always, true),
    ] {
        let clock = ManualClock::default();
        let mock = mock(&clock).await;
        mock.require_mfa(ROLE);
        let asked = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&asked);
        let codes = AtomicU32::new(100_000);
        let p = AssumeRoleProvider::builder(
            AssumeRoleRequest::builder(ROLE, "timer")
                .serial_number(serial)
                .build()
                .unwrap(),
            &mock.sdk_config(),
        )
        .mfa(mfa::from_fn(move |_: &MfaContext| {
            counter.fetch_add(1, Ordering::SeqCst);
            TokenCode::new(codes.fetch_add(1, Ordering::SeqCst).to_string())
                .map_err(MfaError::failed)
        }))
        .mfa_devices(MfaDevices::new())
        .time_source(clock.clone())
        .sleep_impl(clock.clone())
        .refresh_policy(RefreshPolicy::default().scheduled(scheduled))
        .build()
        .unwrap();
        p.prefetch().await.unwrap();
        assert_eq!(asked.load(Ordering::SeqCst), 1);
        to_refresh(&clock, &p);
        if asked_by_timer {
            until("the prompt ahead of expiry", || {
                mock.calls(Action::AssumeRole) == 2
            })
            .await;
            assert_eq!(asked.load(Ordering::SeqCst), 2, "{scheduled:?}");
        } else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            assert_eq!(
                asked.load(Ordering::SeqCst),
                1,
                "an idle tool does not prompt"
            );
            assert_eq!(mock.calls(Action::AssumeRole), 1);
        }
    }
}

/// The manual clock's sleep, counting the sleeps alive: the timer task is alive exactly while
/// its sleep is (it holds nothing else between moments).
#[derive(Debug, Clone)]
struct CountedSleep {
    clock: ManualClock,
    alive: Arc<AtomicUsize>,
}

struct Counted {
    sleep: Sleep,
    alive: Arc<AtomicUsize>,
}

impl Future for Counted {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.sleep).poll(cx)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.alive.fetch_sub(1, Ordering::SeqCst);
    }
}

impl AsyncSleep for CountedSleep {
    fn sleep(&self, duration: Duration) -> Sleep {
        self.alive.fetch_add(1, Ordering::SeqCst);
        Sleep::new(Counted {
            sleep: self.clock.sleep(duration),
            alive: Arc::clone(&self.alive),
        })
    }
}

#[tokio::test]
async fn a_dropped_provider_leaves_no_task_running() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let alive = Arc::new(AtomicUsize::new(0));
    let p = AssumeRoleProvider::builder(request(), &mock.sdk_config())
        .time_source(clock.clone())
        .sleep_impl(CountedSleep {
            clock: clock.clone(),
            alive: Arc::clone(&alive),
        })
        .build()
        .unwrap();
    p.prefetch().await.unwrap();
    until("the timer", || alive.load(Ordering::SeqCst) == 1).await;
    let clone = p.clone();
    drop(p);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        alive.load(Ordering::SeqCst),
        1,
        "a clone keeps the provider and its timer"
    );
    drop(clone);
    until("the timer to go", || alive.load(Ordering::SeqCst) == 0).await;
    // Had it lived on, its moment would have started an STS call.
    clock.advance(2 * HOUR);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(mock.calls(Action::AssumeRole), 1);
}

#[test]
fn a_provider_built_outside_any_runtime_refreshes_on_a_timer_inside_one() {
    let clock = ManualClock::default();
    let setup = tokio::runtime::Runtime::new().unwrap();
    let mock = setup.block_on(mock(&clock));
    // No runtime is current here: building needs none.
    let p = provider(&mock, &clock, RefreshPolicy::default());

    let first = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    first.block_on(p.prefetch()).unwrap();
    // That runtime goes, and its timer with it.
    drop(first);
    to_refresh(&clock, &p);

    // On another runtime, a caller in the advisory window starts the refresh, and the timer
    // is set again there.
    let second = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    second.block_on(async {
        use aws_credential_types::provider::ProvideCredentials;
        p.provide_credentials().await.unwrap();
        until("the refresh the caller started", || {
            mock.calls(Action::AssumeRole) == 2 && !p.status().is_refreshing()
        })
        .await;
        to_refresh(&clock, &p);
        until("the timer's refresh", || {
            mock.calls(Action::AssumeRole) == 3
        })
        .await;
    });
    drop(p);
    setup.block_on(async { drop(mock) });
}

#[tokio::test]
async fn a_timer_never_prompts_a_person_through_the_source_of_a_provider() {
    use aws_credential_types::provider::ProvideCredentials;
    use sts_assume_role::{Error, MfaSession};

    let clock = ManualClock::default();
    let mock = MockSts::builder().time_source(clock.clone()).start().await; // any code
    let prompts = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&prompts);
    let codes = AtomicU32::new(200_000);
    // A 15-minute MFA session asking a person, under a role refreshed on a timer.
    let session = MfaSession::builder(
        "arn:aws:iam::123456789012:mfa/alice",
        mfa::from_fn(move |_: &MfaContext| {
            counter.fetch_add(1, Ordering::SeqCst);
            TokenCode::new(codes.fetch_add(1, Ordering::SeqCst).to_string())
                .map_err(MfaError::failed)
        }),
        &mock.sdk_config(),
    )
    .duration(15 * 60 * SEC)
    .mfa_devices(MfaDevices::new())
    .time_source(clock.clone())
    .sleep_impl(clock.clone())
    .build()
    .unwrap();
    let role = AssumeRoleProvider::builder(request(), &mock.sdk_config())
        .source_credentials(session)
        .time_source(clock.clone())
        .sleep_impl(clock.clone())
        .build()
        .unwrap();
    role.prefetch().await.unwrap();
    assert_eq!(prompts.load(Ordering::SeqCst), 1);

    // The role's timer comes when the session has ended: nobody is there to answer.
    to_refresh(&clock, &role);
    until("the timer's refresh to fail", || {
        role.status().last_error().is_some() && !role.status().is_refreshing()
    })
    .await;
    assert_eq!(
        prompts.load(Ordering::SeqCst),
        1,
        "no prompt with no caller"
    );
    let status = role.status();
    let error = status.last_error().unwrap();
    assert!(
        matches!(Error::find_in(error), Some(Error::SourceCredentials(_))),
        "{error:?}"
    );
    assert_eq!(
        role.status().consecutive_failures(),
        0,
        "wanting a person is no STS failure: no backoff grows"
    );
    assert_eq!(mock.calls(Action::GetSessionToken), 1, "STS was not asked");

    // The first caller is somebody: it is served the valid role credentials at once, and its
    // load asks the person, in the background, with no backoff to wait out first.
    role.provide_credentials().await.unwrap();
    until("the prompt a caller's refresh asks", || {
        prompts.load(Ordering::SeqCst) == 2
    })
    .await;
    until("the role refreshed over the renewed session", || {
        role.status().last_error().is_none() && !role.status().is_refreshing()
    })
    .await;
    assert_eq!(mock.calls(Action::GetSessionToken), 2);
}

#[tokio::test]
async fn however_long_the_backoff_one_more_try_comes_before_the_credentials_expire() {
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    // A backoff of 50 to 100 minutes: far past the credentials' end.
    let policy = RefreshPolicy::default().backoff(100 * 60 * SEC, 100 * 60 * SEC);
    let p = provider(&mock, &clock, policy);
    p.prefetch().await.unwrap();
    let expiry = p.status().expiry().unwrap();
    mock.push_fault(Action::AssumeRole, Fault::ServiceUnavailable);
    to_refresh(&clock, &p);
    until("the failure", || p.status().consecutive_failures() == 1).await;
    let status = p.status();
    let retry_at = status.retry_at().unwrap();
    // Brought forward into the mandatory window, before expiry.
    assert!(
        retry_at >= status.mandatory_at().unwrap() && retry_at <= expiry - SEC,
        "{retry_at:?} not in the mandatory window before {expiry:?}"
    );
    clock.set(retry_at);
    until("the last try, which works", || {
        p.status().expiry() != Some(expiry) && !p.status().is_refreshing()
    })
    .await;
    assert_eq!(mock.calls(Action::AssumeRole), 3);
}

#[tokio::test]
async fn once_the_last_try_fails_the_next_comes_no_later_than_the_expired_cap_past_expiry() {
    use aws_credential_types::provider::ProvideCredentials;
    let clock = ManualClock::default();
    let mock = mock(&clock).await;
    let policy = RefreshPolicy::default().backoff(100 * 60 * SEC, 100 * 60 * SEC);
    let p = provider(&mock, &clock, policy);
    p.prefetch().await.unwrap();
    let expiry = p.status().expiry().unwrap();
    mock.push_fault(Action::AssumeRole, Fault::ServiceUnavailable);
    mock.push_fault(Action::AssumeRole, Fault::ServiceUnavailable);
    to_refresh(&clock, &p);
    until("the failure", || p.status().consecutive_failures() == 1).await;
    clock.set(p.status().retry_at().unwrap());
    until("the last try's failure", || {
        p.status().consecutive_failures() == 2
    })
    .await;
    let retry_at = p.status().retry_at().unwrap();
    // Not 50 to 100 minutes away: with nothing valid to serve, callers would fail all along.
    assert!(
        retry_at > expiry && retry_at <= expiry + 60 * SEC,
        "{retry_at:?} not within a minute after {expiry:?}"
    );
    clock.set(expiry);
    assert!(
        p.provide_credentials().await.is_err(),
        "expired, not served"
    );
    clock.set(retry_at);
    p.provide_credentials().await.expect("the next try works");
    assert_eq!(mock.calls(Action::AssumeRole), 4);
}

#[tokio::test]
async fn a_machine_that_slept_through_the_expiry_refreshes_soon_after_waking_with_no_caller() {
    use aws_credential_types::provider::ProvideCredentials;
    use futures_util::FutureExt;

    // The wall clock (the provider's and STS's) and the clock the timer's sleep follows,
    // which stands still while the machine is suspended, as tokio's timers do.
    let wall = ManualClock::default();
    let monotonic = ManualClock::new(wall.now());
    let mock = mock(&wall).await;
    let config = mock
        .sdk_config_builder()
        .retry_config(RetryConfig::disabled())
        .build();
    let p = AssumeRoleProvider::builder(request(), &config)
        .time_source(wall.clone())
        .sleep_impl(monotonic.clone())
        .jitter_seed(7)
        .build()
        .unwrap();
    let first = p.prefetch().await.unwrap();
    // Ten minutes awake, then suspended for two hours: the credentials expire in between.
    for clock in [&wall, &monotonic] {
        clock.advance(600 * SEC);
    }
    tokio::task::yield_now().await;
    wall.advance(2 * HOUR);
    // Awake again: within a minute of the sleep's clock, the timer looks at the wall clock,
    // finds its moment long past, and refreshes, though the credentials it had are dead.
    monotonic.advance(60 * SEC);
    until("the late timer's refresh", || {
        mock.calls(Action::AssumeRole) == 2
    })
    .await;
    until("the refresh to end", || !p.status().is_refreshing()).await;
    // The first request after waking is served at once, with fresh credentials.
    let fresh = p
        .provide_credentials()
        .now_or_never()
        .expect("no wait")
        .unwrap();
    assert_ne!(fresh.access_key_id(), first.access_key_id());
    assert!(fresh.expiry().unwrap() > wall.now());
}
