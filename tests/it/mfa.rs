//! MFA against the mock STS in TOTP mode, in virtual time: single-use codes, rejected codes,
//! one prompt per device, MFA sessions, role chaining, MFA age, timeouts and cancellation.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_types::error::display::DisplayErrorContext;
use sts_assume_role::cache::{CredentialCache, FileCache, session_cache_key};
use sts_assume_role::mfa::TokenCode;
use sts_assume_role::mfa::{self, MfaContext, MfaDevices, MfaError, MfaReason, TokenSource, Totp};
use sts_assume_role::test_util::{Action, ManualClock, MockSts};
use sts_assume_role::{
    AssumeRoleProvider, AssumeRoleRequest, Error, MfaSession, Parameter, RefreshPolicy,
};

const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const ROLE: &str = "arn:aws:iam::123456789012:role/locked";
const MIN: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const SEC: Duration = Duration::from_secs(1);

async fn totp_mock(clock: &ManualClock) -> MockSts {
    let mock = MockSts::builder()
        .time_source(clock.clone())
        .totp_secret_base32(SECRET)
        .start()
        .await;
    mock.require_mfa(ROLE);
    mock
}

/// The mock's config, without SDK timers that paused tokio time would fire during real I/O.
fn config(mock: &MockSts) -> aws_types::SdkConfig {
    mock.sdk_config_builder()
        .timeout_config(TimeoutConfig::disabled())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .build()
}

/// A token source that counts its questions and records their contexts.
#[derive(Debug)]
struct Counted<S> {
    inner: Arc<S>,
    asked: Arc<Mutex<Vec<(MfaReason, u32)>>>,
}

impl<S> Clone for Counted<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            asked: self.asked.clone(),
        }
    }
}

impl<S> Counted<S> {
    fn new(inner: S) -> Self {
        Self {
            inner: Arc::new(inner),
            asked: Arc::default(),
        }
    }
    fn count(&self) -> usize {
        self.asked.lock().unwrap().len()
    }
    fn reasons(&self) -> Vec<MfaReason> {
        self.asked.lock().unwrap().iter().map(|(r, _)| *r).collect()
    }
}

impl<S: TokenSource> TokenSource for Counted<S> {
    fn token_code<'a>(&'a self, ctx: &'a MfaContext) -> mfa::TokenFuture<'a> {
        self.asked
            .lock()
            .unwrap()
            .push((ctx.reason(), ctx.attempt()));
        self.inner.token_code(ctx)
    }
}

fn totp(clock: &ManualClock) -> Counted<Totp> {
    Counted::new(
        Totp::from_base32(SECRET)
            .unwrap()
            .time_source(clock.clone()),
    )
}

fn role_request(role: &str, serial: Option<&str>) -> AssumeRoleRequest {
    let b = AssumeRoleRequest::builder(role, "mfa-test");
    match serial {
        Some(s) => b.serial_number(s).build().unwrap(),
        None => b.build().unwrap(),
    }
}

/// Each test its own MFA device: these tests use the process-wide device registry (the
/// default) and run in parallel. `providers_share_the_device_rules_through_one_registry_only`
/// shows the other way, a registry of one's own.
fn serial(test: &str) -> String {
    format!(
        "arn:aws:iam::123456789012:mfa/{}",
        &test[..test.len().min(40)]
    )
}

fn codes_sent(mock: &MockSts) -> Vec<String> {
    mock.requests()
        .iter()
        .filter_map(|r| r.param("TokenCode").map(str::to_owned))
        .collect()
}

async fn settle(p: &AssumeRoleProvider) {
    for _ in 0..1000 {
        if !p.status().is_refreshing() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("refresh did not finish");
}

#[tokio::test(start_paused = true)]
async fn a_reused_code_is_never_sent_to_sts() {
    let clock = ManualClock::default();
    let mock = totp_mock(&clock).await;
    let source = totp(&clock);
    let serial = serial("a_reused_code_is_never_sent_to_sts");
    // Two providers on one device load within the same 30-second TOTP step.
    let build = |role: &str| {
        AssumeRoleProvider::builder(role_request(role, Some(&serial)), &config(&mock))
            .mfa(source.clone())
            .time_source(clock.clone())
            .build()
            .unwrap()
    };
    mock.require_mfa("arn:aws:iam::123456789012:role/other");
    let a = build(ROLE);
    let b = build("arn:aws:iam::123456789012:role/other");
    a.provide_credentials().await.unwrap();
    b.provide_credentials().await.unwrap();
    let sent = codes_sent(&mock);
    assert_eq!(sent.len(), 2, "both accepted first time");
    assert_ne!(sent[0], sent[1], "the second waited for the next TOTP step");

    // A source that repeats itself is asked again rather than sending the repeat.
    let repeating = Counted::new(mfa::from_fn({
        let calls = AtomicU32::new(0);
        move |_: &MfaContext| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            TokenCode::new(if n < 2 { "111111" } else { "222222" }).map_err(MfaError::failed)
        }
    }));
    let plain = MockSts::builder().time_source(clock.clone()).start().await; // any code
    plain.require_mfa(ROLE);
    let p = AssumeRoleProvider::builder(
        role_request(ROLE, Some("arn:aws:iam::123456789012:mfa/repeat")),
        &config(&plain),
    )
    .mfa(repeating.clone())
    .time_source(clock.clone())
    .build()
    .unwrap();
    p.provide_credentials().await.unwrap();
    p.invalidate();
    p.provide_credentials().await.unwrap();
    assert_eq!(codes_sent(&plain), ["111111", "222222"]);
    assert_eq!(
        repeating.reasons(),
        [
            MfaReason::FirstLoad,
            MfaReason::Refresh,
            MfaReason::CodeReused
        ]
    );
}

#[tokio::test]
async fn providers_share_the_device_rules_through_one_registry_only() {
    let clock = ManualClock::default();
    let serial = "arn:aws:iam::123456789012:mfa/alice";
    let build = |mock: &MockSts, devices: MfaDevices| {
        AssumeRoleProvider::builder(role_request(ROLE, Some(serial)), &config(mock))
            .mfa(mfa::from_fn(|_: &MfaContext| {
                TokenCode::new("111111").map_err(MfaError::failed)
            }))
            .mfa_devices(devices)
            .time_source(clock.clone())
            .build()
            .unwrap()
    };
    let mock = MockSts::builder().time_source(clock.clone()).start().await; // any code
    mock.require_mfa(ROLE);

    // One registry: the second provider never sends the code the first one used.
    let shared = MfaDevices::new();
    build(&mock, shared.clone())
        .provide_credentials()
        .await
        .unwrap();
    let err = build(&mock, shared)
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(
        matches!(
            Error::find_in(&err),
            Some(Error::Mfa(MfaError::OnlyReusedCodes(_)))
        ),
        "{err:?}"
    );
    assert_eq!(codes_sent(&mock), ["111111"]);

    // A registry of its own (another test, say, with its own STS): nothing is shared, even
    // with the same serial number in the same process.
    let other = MockSts::builder().time_source(clock.clone()).start().await;
    other.require_mfa(ROLE);
    build(&other, MfaDevices::new())
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(codes_sent(&other), ["111111"]);
}

#[tokio::test]
async fn a_rejected_code_leads_to_a_new_prompt_up_to_the_configured_attempts() {
    let clock = ManualClock::default();
    let mock = MockSts::builder()
        .time_source(clock.clone())
        .mfa_code("424242")
        .start()
        .await;
    mock.require_mfa(ROLE);
    let wrong = Counted::new(mfa::from_fn({
        let n = AtomicU32::new(0);
        move |_: &MfaContext| {
            let i = n.fetch_add(1, Ordering::SeqCst);
            TokenCode::new(format!("00000{i}")).map_err(MfaError::failed)
        }
    }));
    let p = AssumeRoleProvider::builder(
        role_request(
            ROLE,
            Some(&serial(
                "a_rejected_code_leads_to_a_new_prompt_up_to_the_configured_attempts",
            )),
        ),
        &mock.sdk_config(),
    )
    .mfa(wrong.clone())
    .mfa_attempts(3)
    .time_source(clock.clone())
    .build()
    .unwrap();
    let err = p.provide_credentials().await.unwrap_err();
    let CredentialsError::ProviderError(e) = &err else {
        panic!("{err:?}")
    };
    let shared = Error::find_in(&err).unwrap();
    assert!(shared.is_mfa_rejected(), "{e:?}");
    assert_eq!(wrong.count(), 3);
    assert_eq!(mock.calls(Action::AssumeRole), 3);
    assert_eq!(
        wrong.reasons(),
        [
            MfaReason::FirstLoad,
            MfaReason::Rejected,
            MfaReason::Rejected
        ]
    );

    // Wrong, then right: success on the second code.
    let answers = Mutex::new(vec!["424242", "999999"]);
    let p = AssumeRoleProvider::builder(
        role_request(ROLE, Some("arn:aws:iam::123456789012:mfa/second")),
        &mock.sdk_config(),
    )
    .mfa(mfa::from_fn(move |_: &MfaContext| {
        TokenCode::new(answers.lock().unwrap().pop().unwrap()).map_err(MfaError::failed)
    }))
    .time_source(clock.clone())
    .build()
    .unwrap();
    p.provide_credentials().await.unwrap();
    assert_eq!(mock.calls(Action::AssumeRole), 5);
}

fn session(mock: &MockSts, clock: &ManualClock, source: Counted<Totp>, name: &str) -> MfaSession {
    MfaSession::builder(serial(name), source, &config(mock))
        .time_source(clock.clone())
        .refresh_policy(RefreshPolicy::default().jitter(0.0))
        .build()
        .unwrap()
}

fn role_on_session(
    mock: &MockSts,
    clock: &ManualClock,
    session: &MfaSession,
    i: usize,
) -> AssumeRoleProvider {
    let role = format!("arn:aws:iam::123456789012:role/team{i}");
    mock.require_mfa(&role);
    AssumeRoleProvider::builder(role_request(&role, None), &config(mock))
        .source_credentials(session.clone())
        .time_source(clock.clone())
        .refresh_policy(RefreshPolicy::default().jitter(0.0))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_refreshes_across_five_providers_on_one_device_cost_one_prompt() {
    let clock = ManualClock::default();
    let mock = totp_mock(&clock).await;
    let source = totp(&clock);
    let session = session(&mock, &clock, source.clone(), "hundred");
    let providers: Vec<_> = (0..5)
        .map(|i| role_on_session(&mock, &clock, &session, i))
        .collect();
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let p = providers[i % 5].clone();
            tokio::spawn(async move {
                p.provide_credentials()
                    .await
                    .map(|c| c.access_key_id().to_owned())
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(source.count(), 1);
    assert_eq!(mock.calls(Action::GetSessionToken), 1);
    assert_eq!(mock.calls(Action::AssumeRole), 5);
}

#[tokio::test]
async fn an_mfa_session_serves_three_roles_for_eight_hours_with_one_prompt() {
    let clock = ManualClock::default();
    let mock = totp_mock(&clock).await;
    let source = totp(&clock);
    let session = session(&mock, &clock, source.clone(), "eight-hours");
    let providers: Vec<_> = (0..3)
        .map(|i| role_on_session(&mock, &clock, &session, i))
        .collect();
    for _ in 0..8 * 60 {
        for p in &providers {
            let creds = p.provide_credentials().await.unwrap();
            assert!(creds.expiry().unwrap() > clock.now());
            settle(p).await;
        }
        clock.advance(MIN);
    }
    assert_eq!(source.count(), 1, "one prompt in eight hours");
    assert_eq!(
        mock.calls(Action::GetSessionToken),
        1,
        "the 12-hour session outlives the run"
    );
    // Each provider: the first load, then a refresh every 45 minutes (1-hour credentials,
    // refreshed 15 minutes early, jitter off) at 45, 90, ..., 450 minutes: 1 + 10 = 11.
    assert_eq!(mock.calls(Action::AssumeRole), 3 * 11);
}

#[tokio::test]
async fn direct_mfa_prompts_once_per_refresh_and_callers_never_wait_on_a_prompt() {
    let clock = ManualClock::default();
    let mock = totp_mock(&clock).await;
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let totp = Arc::new(
        Totp::from_base32(SECRET)
            .unwrap()
            .time_source(clock.clone()),
    );
    let source = Counted::new(mfa::from_async_fn({
        let gate = gate.clone();
        move |ctx: MfaContext| {
            let gate = gate.clone();
            let totp = totp.clone();
            async move {
                // The person takes their time: the test lets them answer.
                gate.acquire().await.unwrap().forget();
                totp.token_code(&ctx).await
            }
        }
    }));
    let p = AssumeRoleProvider::builder(
        role_request(
            ROLE,
            Some(&serial(
                "direct_mfa_prompts_once_per_refresh_and_callers_never_wait_on_a_prompt",
            )),
        ),
        &mock.sdk_config(),
    )
    .mfa(source.clone())
    .time_source(clock.clone())
    .refresh_policy(RefreshPolicy::default().jitter(0.0))
    .build()
    .unwrap();
    gate.add_permits(1);
    let mut current = p.provide_credentials().await.unwrap();
    let mut refreshes = 0;
    for _ in 0..8 * 60 {
        clock.advance(MIN);
        let quick = tokio::time::timeout(Duration::from_secs(1), p.provide_credentials()).await;
        let creds = quick.expect("a caller waited on a prompt").unwrap();
        if p.status().is_refreshing() {
            // The prompt is pending: callers keep the cached credentials, even deep into the
            // last minutes before expiry.
            assert_eq!(creds.access_key_id(), current.access_key_id());
            clock.advance(12 * MIN);
            let again = tokio::time::timeout(Duration::from_secs(1), p.provide_credentials()).await;
            assert_eq!(
                again.expect("waited").unwrap().access_key_id(),
                current.access_key_id()
            );
            assert!(current.expiry().unwrap() > clock.now());
            gate.add_permits(1);
            settle(&p).await;
            refreshes += 1;
            let next = p.provide_credentials().await.unwrap();
            assert_ne!(next.access_key_id(), current.access_key_id());
            current = next;
        }
    }
    assert!(refreshes >= 8, "{refreshes}");
    assert_eq!(source.count(), 1 + refreshes, "one prompt per load");
    assert_eq!(mock.calls(Action::AssumeRole) as usize, 1 + refreshes);
}

#[tokio::test]
async fn no_role_is_assumed_for_more_than_an_hour_from_a_role_or_an_mfa_session() {
    let clock = ManualClock::default();
    let mock = totp_mock(&clock).await;
    let hop1 = AssumeRoleProvider::builder(
        role_request("arn:aws:iam::123456789012:role/hop1", None),
        &mock.sdk_config(),
    )
    .build()
    .unwrap();
    let hop2 = |seconds| {
        AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/hop2", "chain")
            .duration(Duration::from_secs(seconds))
            .build()
            .unwrap()
    };
    let long = hop2(7200);
    // Refused when the source's credentials turn out to be a role session, before STS is
    // called for the second hop.
    let err = AssumeRoleProvider::builder(long.clone(), &mock.sdk_config())
        .source_credentials(hop1.clone())
        .build()
        .unwrap()
        .provide_credentials()
        .await
        .unwrap_err();
    let Some(Error::InvalidRequest(errors)) = Error::find_in(&err) else {
        panic!("{err:?}")
    };
    assert!(errors.contains(Parameter::DurationSeconds));
    assert!(errors.to_string().contains("role chaining"), "{errors}");
    assert_eq!(mock.calls(Action::AssumeRole), 1, "only the first hop");
    let ok = hop2(3600);
    let chained = AssumeRoleProvider::builder(ok, &mock.sdk_config())
        .source_credentials(hop1)
        .build()
        .unwrap();
    chained.provide_credentials().await.unwrap();

    // From an MFA session, as from a role: AWS limits the role to an hour. No path gets more,
    // the session as itself or wrapped; an hour is fine.
    let session = session(&mock, &clock, totp(&clock), "chaining");
    mock.require_mfa("arn:aws:iam::123456789012:role/hop2");
    let sources = [
        aws_credential_types::provider::SharedCredentialsProvider::new(session.clone()),
        aws_credential_types::provider::SharedCredentialsProvider::new(
            aws_credential_types::provider::SharedCredentialsProvider::new(session.clone()),
        ),
    ];
    let calls = mock.calls(Action::AssumeRole);
    for source in sources {
        let err = AssumeRoleProvider::builder(long.clone(), &config(&mock))
            .source_credentials(source)
            .time_source(clock.clone())
            .build()
            .unwrap()
            .provide_credentials()
            .await
            .unwrap_err();
        let Some(Error::InvalidRequest(errors)) = Error::find_in(&err) else {
            panic!("{err:?}")
        };
        assert!(errors.to_string().contains("MFA session"), "{errors}");
    }
    assert_eq!(mock.calls(Action::AssumeRole), calls, "refused before STS");
    let hour = hop2(3600);
    let from_session = AssumeRoleProvider::builder(hour, &config(&mock))
        .source_credentials(session)
        .time_source(clock.clone())
        .build()
        .unwrap();
    let creds = from_session.provide_credentials().await.unwrap();
    assert_eq!(creds.expiry().unwrap(), clock.now() + HOUR);
}

#[tokio::test]
async fn the_mfa_age_option_renews_the_session_before_the_limit() {
    let clock = ManualClock::default();
    let mock = totp_mock(&clock).await;
    let source = totp(&clock);
    let role = "arn:aws:iam::123456789012:role/team0";
    mock.max_mfa_age(role, HOUR);
    let session = MfaSession::builder(
        serial("the_mfa_age_option_renews_the_session_before_the_limit"),
        source.clone(),
        &config(&mock),
    )
    .time_source(clock.clone())
    .max_mfa_age(HOUR)
    .refresh_policy(RefreshPolicy::default().jitter(0.0))
    .build()
    .unwrap();
    let p = role_on_session(&mock, &clock, &session, 0);
    // The role provider keeps refreshing (every 45 minutes) through the run; each AssumeRole
    // must find the session's MFA younger than an hour.
    for _ in 0..3 * 60 {
        p.provide_credentials().await.unwrap();
        settle(&p).await;
        for _ in 0..100 {
            if !session.status().is_refreshing() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        clock.advance(MIN);
    }
    // The session is capped at one hour of MFA age and renewed 15 minutes before: prompts at
    // 0, 45, 90 and 135 minutes.
    assert_eq!(source.count(), 4);
    assert_eq!(mock.calls(Action::GetSessionToken), 4);
    assert_eq!(mock.calls(Action::AssumeRole), 4);
}

#[tokio::test(start_paused = true)]
async fn a_prompt_that_times_out_gives_a_typed_error_and_no_sts_call() {
    let clock = ManualClock::default();
    let mock = totp_mock(&clock).await;
    let p = AssumeRoleProvider::builder(
        role_request(
            ROLE,
            Some(&serial(
                "a_prompt_that_times_out_gives_a_typed_error_and_no_sts_call",
            )),
        ),
        &config(&mock),
    )
    .mfa(mfa::from_async_fn(|_ctx| std::future::pending()))
    .mfa_prompt_timeout(Duration::from_secs(30))
    .time_source(clock.clone())
    .build()
    .unwrap();
    let err = p.provide_credentials().await.unwrap_err();
    let shared = Error::find_in(&err).unwrap();
    assert!(
        matches!(shared, Error::Mfa(MfaError::TimedOut(d)) if *d == Duration::from_secs(30)),
        "{shared:?}"
    );
    assert_eq!(mock.calls(Action::AssumeRole), 0);
}

#[tokio::test]
async fn a_cancelled_prompt_gives_a_typed_error_and_no_sts_call() {
    let clock = ManualClock::default();
    let mock = totp_mock(&clock).await;
    let p = AssumeRoleProvider::builder(
        role_request(
            ROLE,
            Some(&serial(
                "a_cancelled_prompt_gives_a_typed_error_and_no_sts_call",
            )),
        ),
        &mock.sdk_config(),
    )
    .mfa(mfa::from_fn(|_: &MfaContext| Err(MfaError::Cancelled)))
    .time_source(clock.clone())
    .build()
    .unwrap();
    let err = p.provide_credentials().await.unwrap_err();
    let shared = Error::find_in(&err).unwrap();
    assert!(
        matches!(shared, Error::Mfa(MfaError::Cancelled)),
        "{shared:?}"
    );
    assert_eq!(mock.calls(Action::AssumeRole), 0);
}

#[tokio::test]
async fn terminal_prompt_asks_on_its_output_and_reads_its_input() {
    let clock = ManualClock::default();
    let mock = totp_mock(&clock).await;
    let code = mock.current_totp_code().unwrap();
    let output = SharedBuf::default();
    let prompt =
        mfa::TerminalPrompt::with_io(std::io::Cursor::new(format!("{code}\n")), output.clone());
    let p = AssumeRoleProvider::builder(
        role_request(
            ROLE,
            Some(&serial(
                "terminal_prompt_asks_on_its_output_and_reads_its_input",
            )),
        ),
        &mock.sdk_config(),
    )
    .mfa(prompt)
    .time_source(clock.clone())
    .build()
    .unwrap();
    p.provide_credentials().await.unwrap();
    let asked = String::from_utf8(output.0.lock().unwrap().clone()).unwrap();
    assert_eq!(
        asked,
        format!(
            "MFA code for {} (to assume {ROLE}): ",
            serial("terminal_prompt_asks_on_its_output_and_reads_its_input")
        )
    );
    // End of input is a cancellation, not an empty code.
    let eof = mfa::TerminalPrompt::with_io(std::io::Cursor::new(""), std::io::sink());
    let ctx = MfaContext::new(
        serial("terminal_prompt_asks_on_its_output_and_reads_its_input"),
        None,
        MfaReason::FirstLoad,
        1,
    );
    assert!(matches!(
        eof.token_code(&ctx).await,
        Err(MfaError::Cancelled)
    ));
}

#[tokio::test]
async fn channel_source_hands_over_codes_pushed_from_elsewhere() {
    let clock = ManualClock::default();
    let mock = totp_mock(&clock).await;
    let (source, sender) = mfa::ChannelSource::new();
    let mut requests = sender.requests();
    let code = mock.current_totp_code().unwrap();
    let gui = tokio::spawn(async move {
        loop {
            let wanted = requests.next().await;
            if let Some(ctx) = wanted {
                assert_eq!(ctx.role_arn(), Some(ROLE));
                sender.send(&code).unwrap();
                return;
            }
        }
    });
    let p = AssumeRoleProvider::builder(
        role_request(
            ROLE,
            Some(&serial(
                "channel_source_hands_over_codes_pushed_from_elsewhere",
            )),
        ),
        &mock.sdk_config(),
    )
    .mfa(source)
    .time_source(clock.clone())
    .build()
    .unwrap();
    p.provide_credentials().await.unwrap();
    gui.await.unwrap();
}

#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn provider_refuses_a_fixed_token_code_or_a_source_without_serial() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mock = rt.block_on(MockSts::start());
    let fixed = AssumeRoleRequest::builder(ROLE, "x1")
        .serial_number("arn:aws:iam::123456789012:mfa/u")
        .token_code("123456")
        .build()
        .unwrap();
    let err = AssumeRoleProvider::builder(fixed, &mock.sdk_config())
        .build()
        .unwrap_err();
    assert!(err.contains(Parameter::TokenCode));
    let err = AssumeRoleProvider::builder(role_request(ROLE, None), &mock.sdk_config())
        .mfa(mfa::from_fn(|_: &MfaContext| Err(MfaError::Cancelled)))
        .build()
        .unwrap_err();
    assert!(err.contains(Parameter::SerialNumber));
}

#[tokio::test]
async fn a_cached_mfa_session_spares_the_next_process_its_prompt() {
    let name = "a_cached_mfa_session_spares_the_next_process";
    let clock = ManualClock::default();
    let mock = totp_mock(&clock).await;
    let dir = tempfile::tempdir().unwrap();
    let build = |source: Counted<Totp>| {
        MfaSession::builder(serial(name), source, &config(&mock))
            .time_source(clock.clone())
            .cache(FileCache::new(dir.path()))
            .build()
            .unwrap()
    };

    let first_source = totp(&clock);
    let first = build(first_source.clone());
    role_on_session(&mock, &clock, &first, 0)
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(first_source.count(), 1);
    assert_eq!(mock.calls(Action::GetSessionToken), 1);
    let key = session_cache_key(&serial(name), 12 * HOUR, None);
    assert!(dir.path().join(format!("{key}.json")).is_file());

    // The next run of the program, an hour later: the session is on disk.
    clock.advance(HOUR);
    let second_source = totp(&clock);
    let second = build(second_source.clone());
    role_on_session(&mock, &clock, &second, 1)
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(second_source.count(), 0, "no prompt");
    assert_eq!(mock.calls(Action::GetSessionToken), 1);
    assert_eq!(mock.calls(Action::AssumeRole), 2);

    // Ten minutes before the session ends it is inside its renewal window: not reused.
    clock.advance(11 * HOUR - 10 * MIN);
    let third_source = totp(&clock);
    build(third_source.clone()).prefetch().await.unwrap();
    assert_eq!(third_source.count(), 1);
    assert_eq!(mock.calls(Action::GetSessionToken), 2);
}

#[tokio::test]
async fn a_cached_mfa_session_keeps_its_mfa_age_limit_as_its_expiry() {
    let name = "a_cached_mfa_session_keeps_its_mfa_age_limit";
    let clock = ManualClock::default();
    let mock = totp_mock(&clock).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = FileCache::new(dir.path());
    let start = clock.now();
    MfaSession::builder(serial(name), totp(&clock), &config(&mock))
        .time_source(clock.clone())
        .max_mfa_age(HOUR)
        .cache(FileCache::new(dir.path()))
        .build()
        .unwrap()
        .prefetch()
        .await
        .unwrap();
    let serial = serial(name);
    let key = session_cache_key(&serial, 12 * HOUR, Some(HOUR));
    let entry = cache.load(&key).unwrap().expect("stored");
    assert_eq!(entry.expiration(), start + HOUR);
    assert!(
        cache
            .load(&session_cache_key(&serial, 12 * HOUR, None))
            .unwrap()
            .is_none(),
        "a session without the limit never gets it"
    );
}

/// A person at a terminal, in a test: answers at once with a code never given before, and
/// counts the questions.
fn person(asked: &Arc<AtomicU32>) -> impl TokenSource + 'static {
    let asked = Arc::clone(asked);
    mfa::from_fn(move |_: &MfaContext| {
        let n = asked.fetch_add(1, Ordering::SeqCst);
        TokenCode::new(format!("{:06}", 100_000 + n)).map_err(MfaError::failed)
    })
}

/// What [`over_a_session`] saw.
#[derive(Debug)]
struct SessionRun {
    loads: usize,
    failed: Vec<String>,
    asked: u32,
    sessions: usize,
}

/// `roles` MFA-only roles (`aws:MultiFactorAuthAge` under `mfa_age`) over one session asking
/// a person, whose MFA age is capped at `mfa_age`; credentials that live `life`; the roles
/// refreshed on their timers; a caller loading every role each `every`, for `run`.
async fn over_a_session(
    name: &str,
    roles: usize,
    life: Duration,
    mfa_age: Duration,
    every: Duration,
    run: Duration,
) -> SessionRun {
    let clock = ManualClock::default();
    let mock = MockSts::builder()
        .time_source(clock.clone())
        .credential_lifetime(life)
        .start()
        .await; // any code, each once
    let asked = Arc::new(AtomicU32::new(0));
    let session = MfaSession::builder(serial(name), person(&asked), &config(&mock))
        .max_mfa_age(mfa_age)
        .mfa_devices(MfaDevices::new())
        .time_source(clock.clone())
        .sleep_impl(clock.clone())
        .build()
        .unwrap();
    let roles: Vec<AssumeRoleProvider> = (0..roles)
        .map(|i| {
            let role = format!("arn:aws:iam::123456789012:role/{name}{i}");
            mock.require_mfa(&role);
            mock.max_mfa_age(&role, mfa_age);
            AssumeRoleProvider::builder(role_request(&role, None), &config(&mock))
                .source_credentials(session.clone())
                .time_source(clock.clone())
                .sleep_impl(clock.clone())
                .jitter_seed(i as u64)
                .build()
                .unwrap()
        })
        .collect();
    let (mut loads, mut failed) = (0, Vec::new());
    let end = clock.now() + run;
    while clock.now() < end {
        // The timers come first, as they do when time really passes: whatever they start ends
        // before the next caller comes.
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        for role in &roles {
            settle(role).await;
        }
        for role in &roles {
            loads += 1;
            match role.provide_credentials().await {
                Ok(c) => assert!(clock.now() < c.expiry().unwrap()),
                Err(e) => failed.push(format!("{}", DisplayErrorContext(&e))),
            }
        }
        clock.advance(every);
    }
    SessionRun {
        loads,
        failed,
        asked: asked.load(Ordering::SeqCst),
        sessions: mock.calls(Action::GetSessionToken),
    }
}

#[tokio::test]
async fn roles_over_an_mfa_session_ask_the_person_once_per_session_when_a_caller_needs_it() {
    // Two roles and their session, all on 20-second credentials (the session ends before the
    // roles' second refresh, with less of their life left than a failure is remembered), a
    // caller every half second for two session lifetimes.
    let two = over_a_session(
        "two-roles",
        2,
        20 * SEC,
        HOUR,
        Duration::from_millis(500),
        40 * SEC,
    )
    .await;
    // One role whose trust policy wants MFA under 15 s old, a caller every 200 ms, until
    // before the role's third refresh.
    let aged = over_a_session(
        "mfa-age",
        1,
        20 * SEC,
        15 * SEC,
        Duration::from_millis(200),
        34 * SEC,
    )
    .await;
    for run in [two, aged] {
        assert!(
            run.failed.is_empty(),
            "{} of {} loads failed: {:?}",
            run.failed.len(),
            run.loads,
            run.failed
        );
        assert_eq!(run.asked, 2, "one question per session: {run:?}");
        assert_eq!(run.sessions, 2, "two sessions: {run:?}");
    }
}

#[tokio::test]
async fn callers_of_a_role_are_not_held_up_while_its_mfa_session_waits_on_a_person() {
    use sts_assume_role::{RefreshPolicy, ScheduledRefresh};
    // 20-second credentials; the session's MFA may be 10 s old, so the session has ended while
    // the role's credentials, in their last seconds, are still valid. No timers: the role's
    // refresh is a caller's, which waits on the person asked for the session.
    let clock = ManualClock::default();
    let mock = MockSts::builder()
        .time_source(clock.clone())
        .credential_lifetime(20 * SEC)
        .start()
        .await;
    let asked = Arc::new(AtomicU32::new(0));
    let answer = Arc::new(tokio::sync::Notify::new());
    let person = {
        let (asked, answer) = (Arc::clone(&asked), Arc::clone(&answer));
        mfa::from_async_fn(move |_: MfaContext| {
            let (asked, answer) = (Arc::clone(&asked), Arc::clone(&answer));
            async move {
                let n = asked.fetch_add(1, Ordering::SeqCst);
                if n > 0 {
                    answer.notified().await; // a person finding their phone
                }
                TokenCode::new(format!("{:06}", 200_000 + n)).map_err(MfaError::failed)
            }
        })
    };
    let off = RefreshPolicy::default().scheduled(ScheduledRefresh::Off);
    let session = MfaSession::builder(serial("not-held-up"), person, &config(&mock))
        .max_mfa_age(10 * SEC)
        .mfa_devices(MfaDevices::new())
        .time_source(clock.clone())
        .refresh_policy(off.clone())
        .build()
        .unwrap();
    let role = AssumeRoleProvider::builder(role_request(ROLE, None), &config(&mock))
        .source_credentials(session)
        .time_source(clock.clone())
        .refresh_policy(off)
        .build()
        .unwrap();
    let first = role.provide_credentials().await.unwrap();
    clock.advance(18 * SEC); // the role's mandatory window; the session has ended
    let load = tokio::time::timeout(Duration::from_secs(30), role.provide_credentials());
    let served = load
        .await
        .expect("a caller waited on the person while the role's credentials were valid")
        .unwrap();
    assert_eq!(served.access_key_id(), first.access_key_id());
    assert!(clock.now() < served.expiry().unwrap());
    assert_eq!(asked.load(Ordering::SeqCst), 2, "the person is being asked");
    // The person answers; the refresh the caller started completes.
    answer.notify_one();
    for _ in 0..200 {
        if mock.calls(Action::AssumeRole) == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(mock.calls(Action::GetSessionToken), 2);
    assert_eq!(mock.calls(Action::AssumeRole), 2);
}

#[tokio::test]
async fn the_sdk_never_retries_a_call_that_carries_an_mfa_code() {
    // The SDK's standard retries are on (the mock's config), and STS throttles the first call:
    // a retry by the SDK would send the same code again, which STS may have used already.
    let clock = ManualClock::default();
    let mock = totp_mock(&clock).await;
    let serial = serial("sdk-retries");
    let request = AssumeRoleRequest::builder(ROLE, "retries")
        .serial_number(&serial)
        .build()
        .unwrap();
    let provider = AssumeRoleProvider::builder(request, &config(&mock))
        .mfa(totp(&clock))
        .mfa_devices(MfaDevices::new())
        .time_source(clock.clone())
        .build()
        .unwrap();
    mock.push_fault(
        Action::AssumeRole,
        sts_assume_role::test_util::Fault::Throttling,
    );
    let err = provider.provide_credentials().await.unwrap_err();
    assert_eq!(
        Error::find_in(&err)
            .and_then(Error::sts_code)
            .map(|c| c.as_str()),
        Some("Throttling"),
        "{err:?}"
    );
    assert_eq!(mock.calls(Action::AssumeRole), 1, "the SDK did not retry");
    // The next load, after the backoff and the next TOTP step, sends a new code.
    clock.advance(31 * SEC);
    provider.provide_credentials().await.unwrap();
    let sent = codes_sent(&mock);
    assert_eq!(sent.len(), 2);
    assert_ne!(sent[0], sent[1], "no code sent twice");
}
