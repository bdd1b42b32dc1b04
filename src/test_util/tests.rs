//! The mock STS driven through a real `aws_sdk_sts::Client`.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_sts::Client;
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role::{AssumeRoleError, AssumeRoleOutput};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

const ROLE: &str = "arn:aws:iam::123456789012:role/demo";
const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

type AssumeResult = Result<AssumeRoleOutput, SdkError<AssumeRoleError, HttpResponse>>;

/// A client that signs with `credentials` (the source credentials when `None`) and never
/// retries, so each call is exactly one request.
fn client(mock: &MockSts, credentials: Option<Credentials>) -> Client {
    let mut config = aws_sdk_sts::config::Builder::from(&mock.sdk_config())
        .retry_config(RetryConfig::disabled());
    if let Some(credentials) = credentials {
        config = config.credentials_provider(credentials);
    }
    Client::from_conf(config.build())
}

async fn assume(client: &Client, session: &str) -> AssumeResult {
    client
        .assume_role()
        .role_arn(ROLE)
        .role_session_name(session)
        .send()
        .await
}

async fn assume_with_mfa(client: &Client, mock: &MockSts, code: &str) -> AssumeResult {
    client
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("mfa")
        .serial_number(mock.mfa_serial_number())
        .token_code(code)
        .send()
        .await
}

fn to_credentials(out: &AssumeRoleOutput) -> Credentials {
    let c = out.credentials().expect("credentials in the response");
    Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        None,
        "test",
    )
}

/// The error code and message of a failed call.
fn code_and_message<E: ProvideErrorMetadata>(
    error: &SdkError<E, HttpResponse>,
) -> (String, String) {
    (
        error.code().unwrap_or_default().to_owned(),
        error.message().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn assume_role_success_parses_through_the_sdk_with_unique_credentials() {
    let clock = ManualClock::default();
    let mock = MockSts::builder().time_source(clock.clone()).start().await;
    let client = mock.client();

    let first = assume(&client, "s1").await.expect("first call succeeds");
    let second = assume(&client, "s1").await.expect("second call succeeds");

    let (a, b) = (first.credentials().unwrap(), second.credentials().unwrap());
    assert!(a.access_key_id().starts_with("ASIA"));
    assert_eq!(a.access_key_id().len(), 20);
    assert_eq!(a.secret_access_key().len(), 40);
    assert_ne!(a.access_key_id(), b.access_key_id());
    assert_ne!(a.secret_access_key(), b.secret_access_key());
    assert_ne!(a.session_token(), b.session_token());
    let expected_expiry = clock.now() + Duration::from_secs(3600);
    assert_eq!(
        SystemTime::try_from(*a.expiration()).unwrap(),
        expected_expiry
    );

    let user = first.assumed_role_user().unwrap();
    assert_eq!(user.arn(), "arn:aws:sts::123456789012:assumed-role/demo/s1");
    assert!(user.assumed_role_id().starts_with("AROA"));
    assert!(user.assumed_role_id().ends_with(":s1"));
    #[allow(deprecated)] // still sent by STS
    let packed = first.packed_policy_size();
    assert_eq!(packed, None);
    let token_size = usize::try_from(first.session_token_size().unwrap()).unwrap();
    assert_eq!(token_size, a.session_token().len());
    assert_eq!(first.source_identity(), None);

    let issued = mock.issued();
    assert_eq!(issued.len(), 2);
    assert_eq!(issued[0].access_key_id, a.access_key_id());
    assert_eq!(issued[0].expiration, expected_expiry);
    assert_eq!(
        issued[0].kind,
        IssuedKind::AssumedRole {
            role_arn: ROLE.to_owned(),
            session_name: "s1".to_owned()
        }
    );
    assert_eq!(mock.calls(Action::AssumeRole), 2);
}

#[tokio::test]
async fn assume_role_echoes_source_identity_and_reports_packed_policy_size() {
    let mock = MockSts::start().await;
    let out = mock
        .client()
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/path/RoleB")
        .role_session_name("sess")
        .source_identity("Alice")
        .policy(r#"{"Version":"2012-10-17","Statement":[]}"#)
        .send()
        .await
        .expect("call succeeds");
    assert_eq!(out.source_identity(), Some("Alice"));
    #[allow(deprecated)] // still sent by STS
    let packed = out.packed_policy_size();
    assert!(packed.is_some_and(|size| size >= 1));
    assert_eq!(
        out.assumed_role_user().unwrap().arn(),
        "arn:aws:sts::111111111111:assumed-role/RoleB/sess"
    );
}

#[tokio::test]
async fn duration_seconds_and_credential_lifetime_set_the_expiry() {
    let clock = ManualClock::default();
    let mock = MockSts::builder().time_source(clock.clone()).start().await;
    let out = mock
        .client()
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("sess")
        .duration_seconds(900)
        .send()
        .await
        .unwrap();
    let expiry = SystemTime::try_from(*out.credentials().unwrap().expiration()).unwrap();
    assert_eq!(expiry, clock.now() + Duration::from_secs(900));

    let short = MockSts::builder()
        .time_source(clock.clone())
        .credential_lifetime(Duration::from_secs(60))
        .start()
        .await;
    let out = assume(&short.client(), "sess").await.unwrap();
    let expiry = SystemTime::try_from(*out.credentials().unwrap().expiration()).unwrap();
    assert_eq!(expiry, clock.now() + Duration::from_secs(60));
}

#[tokio::test]
async fn get_caller_identity_names_the_assumed_role_or_the_user() {
    let mock = MockSts::start().await;
    let me = mock.client().get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some(mock.user_arn().as_str()));
    assert_eq!(me.arn(), Some("arn:aws:iam::123456789012:user/mock-user"));
    assert_eq!(me.account(), Some("123456789012"));
    assert!(me.user_id().unwrap().starts_with("AIDA"));

    let out = assume(&mock.client(), "who").await.unwrap();
    let role_client = client(&mock, Some(to_credentials(&out)));
    let role = role_client.get_caller_identity().send().await.unwrap();
    assert_eq!(
        role.arn(),
        Some("arn:aws:sts::123456789012:assumed-role/demo/who")
    );
    assert_eq!(
        role.user_id(),
        Some(out.assumed_role_user().unwrap().assumed_role_id())
    );
    assert_eq!(mock.calls(Action::GetCallerIdentity), 2);
}

#[tokio::test]
async fn each_sts_error_fault_reaches_the_sdk_with_its_code_once() {
    let mock = MockSts::start().await;
    let client = client(&mock, None);
    let region_disabled = Fault::Error {
        status: 403,
        code: "RegionDisabledException".to_owned(),
        message: "STS is not activated in this region".to_owned(),
    };
    let cases = [
        (Fault::Throttling, "Throttling", 400),
        (Fault::InternalFailure, "InternalFailure", 500),
        (Fault::ServiceUnavailable, "ServiceUnavailable", 503),
        (Fault::IdpCommunicationError, "IDPCommunicationError", 400),
        (Fault::AccessDenied("nope".to_owned()), "AccessDenied", 403),
        (Fault::MfaDenied, "AccessDenied", 403),
        (region_disabled, "RegionDisabledException", 403),
    ];
    for (fault, code, status) in cases {
        mock.push_fault(Action::AssumeRole, fault.clone());
        let error = assume(&client, "sess")
            .await
            .expect_err("the fault answers");
        assert_eq!(code_and_message(&error).0, code, "{fault:?}");
        let raw = error.raw_response().expect("an HTTP response");
        assert_eq!(raw.status().as_u16(), status, "{fault:?}");
        assume(&client, "sess").await.expect("the fault is used up");
    }
    assert_eq!(mock.calls(Action::AssumeRole), 14);
}

#[tokio::test]
async fn mfa_denied_fault_carries_the_sts_message() {
    let mock = MockSts::start().await;
    mock.push_fault(Action::AssumeRole, Fault::MfaDenied);
    let error = assume(&client(&mock, None), "sess").await.unwrap_err();
    assert_eq!(
        code_and_message(&error),
        ("AccessDenied".to_owned(), MFA_FAILED_MESSAGE.to_owned())
    );
}

#[tokio::test]
async fn a_bare_server_error_reaches_the_sdk_with_its_status() {
    let mock = MockSts::start().await;
    mock.push_fault(Action::GetCallerIdentity, Fault::ServerError(503));
    let error = client(&mock, None)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    let raw = error.raw_response().expect("an HTTP response");
    assert_eq!(raw.status().as_u16(), 503);
}

#[tokio::test]
async fn a_malformed_body_fails_to_parse() {
    let mock = MockSts::start().await;
    let client = client(&mock, None);
    mock.push_fault(Action::AssumeRole, Fault::MalformedBody);
    let error = assume(&client, "sess")
        .await
        .expect_err("the body does not parse");
    assert_eq!(error.raw_response().unwrap().status().as_u16(), 200);
    assert_eq!(error.code(), None, "{error:?}");

    mock.push_fault(Action::GetCallerIdentity, Fault::MalformedBody);
    let error = client.get_caller_identity().send().await.unwrap_err();
    assert_eq!(error.code(), None, "{error:?}");
    assert!(mock.issued().is_empty(), "faults issue nothing");
}

/// The error code (if any) and HTTP status of a failed call.
fn failed<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> (Option<&str>, u16) {
    let status = error.raw_response().map_or(0, |raw| raw.status().as_u16());
    (error.code(), status)
}

/// The SDK's lenient decoder may fail, or hand back what it read before the cut.
fn assert_cut_off(result: Result<Option<&aws_sdk_sts::types::Credentials>, (Option<&str>, u16)>) {
    match result {
        Err((code, status)) => {
            assert_eq!(code, None);
            assert_eq!(status, 200);
        }
        Ok(credentials) => {
            let credentials = credentials.expect("the cut is after AccessKeyId");
            assert!(credentials.access_key_id().starts_with("ASIA"));
            assert!(!credentials.session_token().ends_with("Token"));
            assert_eq!(
                SystemTime::try_from(*credentials.expiration()).unwrap(),
                SystemTime::UNIX_EPOCH
            );
        }
    }
}

#[tokio::test]
async fn a_truncated_body_fails_or_yields_incomplete_credentials() {
    let mock = MockSts::start().await;
    let client = client(&mock, None);
    mock.push_fault(Action::AssumeRole, Fault::TruncatedBody);
    let result = assume(&client, "sess").await;
    assert_cut_off(result.as_ref().map(|o| o.credentials()).map_err(failed));

    mock.push_fault(Action::GetSessionToken, Fault::TruncatedBody);
    let result = client.get_session_token().send().await;
    assert_cut_off(result.as_ref().map(|o| o.credentials()).map_err(failed));

    mock.push_fault(Action::GetCallerIdentity, Fault::TruncatedBody);
    match client.get_caller_identity().send().await {
        Err(error) => assert_eq!(error.code(), None),
        Ok(out) => assert_eq!(out.account(), None, "the cut is before Account"),
    }
    assert!(mock.issued().is_empty(), "faults issue nothing");
}

#[tokio::test]
async fn faults_of_one_action_apply_first_in_first_out() {
    let mock = MockSts::start().await;
    let client = client(&mock, None);
    mock.push_fault(Action::AssumeRole, Fault::Throttling);
    mock.push_fault(Action::AssumeRole, Fault::AccessDenied("second".to_owned()));
    client
        .get_caller_identity()
        .send()
        .await
        .expect("other actions are untouched");
    let first = assume(&client, "sess").await.unwrap_err();
    let second = assume(&client, "sess").await.unwrap_err();
    assert_eq!(code_and_message(&first).0, "Throttling");
    assert_eq!(
        code_and_message(&second),
        ("AccessDenied".to_owned(), "second".to_owned())
    );
    assume(&client, "sess").await.unwrap();
}

#[tokio::test]
async fn the_sdk_retries_a_throttled_call_by_default() {
    let mock = MockSts::start().await;
    mock.push_fault(Action::AssumeRole, Fault::Throttling);
    assume(&mock.client(), "sess")
        .await
        .expect("the retry succeeds");
    assert_eq!(mock.calls(Action::AssumeRole), 2);
}

#[tokio::test]
async fn latency_delays_responses() {
    let mock = MockSts::start().await;
    let client = client(&mock, None);
    mock.push_fault(
        Action::AssumeRole,
        Fault::Latency(Duration::from_millis(300)),
    );
    let started = tokio::time::Instant::now();
    assume(&client, "sess")
        .await
        .expect("answers after the delay");
    assert!(started.elapsed() >= Duration::from_millis(300));

    mock.set_latency(Action::GetCallerIdentity, Duration::from_millis(200));
    for _ in 0..2 {
        let started = tokio::time::Instant::now();
        client.get_caller_identity().send().await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(200));
    }
    // Clearing it is not timed here: an upper bound on a shared machine would be flaky.
    mock.set_latency(Action::GetCallerIdentity, Duration::ZERO);
    client.get_caller_identity().send().await.unwrap();
}

#[tokio::test]
async fn a_fixed_mfa_code_is_accepted_once_then_rejected_as_reused() {
    let mock = MockSts::builder().mfa_code("123456").start().await;
    let client = client(&mock, None);
    let wrong = assume_with_mfa(&client, &mock, "654321").await.unwrap_err();
    assert_eq!(
        code_and_message(&wrong),
        ("AccessDenied".to_owned(), MFA_FAILED_MESSAGE.to_owned())
    );
    assume_with_mfa(&client, &mock, "123456")
        .await
        .expect("first use");
    let reused = assume_with_mfa(&client, &mock, "123456").await.unwrap_err();
    assert_eq!(
        code_and_message(&reused),
        ("AccessDenied".to_owned(), MFA_FAILED_MESSAGE.to_owned())
    );
    mock.set_mfa_code("111111");
    assume_with_mfa(&client, &mock, "111111")
        .await
        .expect("the new code");
}

#[tokio::test]
async fn totp_codes_follow_the_manual_clock() {
    let clock = ManualClock::default();
    let mock = MockSts::builder()
        .time_source(clock.clone())
        .totp_secret_base32(TOTP_SECRET)
        .start()
        .await;
    let client = client(&mock, None);
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(TOTP_SECRET).unwrap())
        .build()
        .unwrap();
    let code_at = |t: SystemTime| {
        let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        totp.generate(secs).to_string()
    };

    let code = code_at(clock.now());
    assert_eq!(mock.current_totp_code(), Some(code.clone()));
    clock.advance(Duration::from_secs(90));
    let stale = assume_with_mfa(&client, &mock, &code).await.unwrap_err();
    assert_eq!(code_and_message(&stale).1, MFA_FAILED_MESSAGE);

    let fresh = code_at(clock.now());
    assume_with_mfa(&client, &mock, &fresh)
        .await
        .expect("the current code");
    clock.advance(Duration::from_secs(30));
    let reused = assume_with_mfa(&client, &mock, &fresh).await.unwrap_err();
    assert_eq!(code_and_message(&reused).1, MFA_FAILED_MESSAGE);
}

#[tokio::test]
async fn require_mfa_denies_without_a_code_or_an_mfa_session() {
    let mock = MockSts::start().await;
    mock.require_mfa(ROLE);
    let source = client(&mock, None);

    let denied = assume(&source, "sess").await.unwrap_err();
    assert_eq!(
        code_and_message(&denied),
        (
            "AccessDenied".to_owned(),
            format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {ROLE}",
                mock.user_arn()
            )
        )
    );
    assume_with_mfa(&source, &mock, "123456")
        .await
        .expect("a code in the request");

    let plain = source.get_session_token().send().await.unwrap();
    let plain = plain.credentials().unwrap();
    let plain = Credentials::new(
        plain.access_key_id(),
        plain.secret_access_key(),
        Some(plain.session_token().to_owned()),
        None,
        "test",
    );
    let without_mfa = assume(&client(&mock, Some(plain)), "sess")
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&without_mfa).0, "AccessDenied");

    let session = mfa_session(&mock).await;
    assume(&client(&mock, Some(session.credentials())), "sess")
        .await
        .expect("an MFA session satisfies the role");
    // As STS does, the mock limits a role assumed with session credentials to an hour, as it
    // limits role chaining.
    let long = client(&mock, Some(session.credentials()))
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("long")
        .duration_seconds(7200)
        .send()
        .await
        .unwrap_err();
    let (code, message) = code_and_message(&long);
    assert_eq!(code, "ValidationError");
    assert!(message.contains("1 hour session limit"), "{message}");
}

/// Session credentials from `GetSessionToken` with an MFA code.
async fn mfa_session(mock: &MockSts) -> IssuedCredentials {
    mock.client()
        .get_session_token()
        .serial_number(mock.mfa_serial_number())
        .token_code("246810")
        .send()
        .await
        .expect("GetSessionToken with MFA");
    let session = mock.issued().pop().unwrap();
    assert!(matches!(
        session.kind,
        IssuedKind::Session { mfa_at: Some(_) }
    ));
    session
}

#[tokio::test]
async fn max_mfa_age_denies_an_mfa_session_that_is_too_old() {
    let clock = ManualClock::default();
    let mock = MockSts::builder().time_source(clock.clone()).start().await;
    mock.require_mfa(ROLE);
    mock.max_mfa_age(ROLE, Duration::from_secs(3600));
    let session = mfa_session(&mock).await;
    let client = client(&mock, Some(session.credentials()));

    clock.advance(Duration::from_secs(3599));
    assume(&client, "young")
        .await
        .expect("MFA age under the limit");
    clock.advance(Duration::from_secs(1));
    let old = assume(&client, "old").await.unwrap_err();
    assert_eq!(code_and_message(&old).0, "AccessDenied");
}

#[tokio::test]
async fn get_session_token_defaults_to_twelve_hours_and_checks_its_range() {
    let clock = ManualClock::default();
    let mock = MockSts::builder().time_source(clock.clone()).start().await;
    let client = client(&mock, None);
    let out = client.get_session_token().send().await.unwrap();
    let expiry = SystemTime::try_from(*out.credentials().unwrap().expiration()).unwrap();
    assert_eq!(expiry, clock.now() + Duration::from_secs(43_200));
    assert!(matches!(
        mock.issued()[0].kind,
        IssuedKind::Session { mfa_at: None }
    ));

    let error = client
        .get_session_token()
        .duration_seconds(129_601)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&error).0, "ValidationError");

    let session = mock.issued()[0].credentials();
    let error = self::client(&mock, Some(session))
        .get_session_token()
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&error).0, "AccessDenied");
}

#[tokio::test]
async fn issued_credentials_expire_by_the_mock_clock() {
    let clock = ManualClock::default();
    let mock = MockSts::builder().time_source(clock.clone()).start().await;
    let out = assume(&mock.client(), "sess").await.unwrap();
    let role_client = client(&mock, Some(to_credentials(&out)));
    role_client
        .get_caller_identity()
        .send()
        .await
        .expect("still valid");

    clock.advance(Duration::from_secs(3600));
    let error = role_client.get_caller_identity().send().await.unwrap_err();
    assert_eq!(
        code_and_message(&error),
        (
            "ExpiredToken".to_owned(),
            "The security token included in the request is expired".to_owned()
        )
    );
    assert_eq!(error.raw_response().unwrap().status().as_u16(), 400);
}

#[tokio::test]
async fn unknown_keys_and_wrong_session_tokens_are_invalid_client_token_ids() {
    let mock = MockSts::start().await;
    let stranger = Credentials::new("AKIASTRANGER0000000", "secret", None, None, "test");
    let error = client(&mock, Some(stranger))
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&error),
        (
            "InvalidClientTokenId".to_owned(),
            "The security token included in the request is invalid.".to_owned()
        )
    );
    assert_eq!(error.raw_response().unwrap().status().as_u16(), 403);

    let out = assume(&mock.client(), "sess").await.unwrap();
    let c = out.credentials().unwrap();
    let forged = Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some("not-the-token".to_owned()),
        None,
        "test",
    );
    let error = client(&mock, Some(forged))
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&error).0, "InvalidClientTokenId");
}

#[tokio::test]
async fn role_chaining_is_capped_at_one_hour() {
    let mock = MockSts::start().await;
    let out = assume(&mock.client(), "first").await.unwrap();
    let chained = client(&mock, Some(to_credentials(&out)));
    let error = chained
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("second")
        .duration_seconds(3601)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&error),
        (
            "ValidationError".to_owned(),
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining".to_owned()
        )
    );
    assume(&chained, "second").await.expect("an hour is fine");
}

#[tokio::test]
async fn max_session_duration_caps_duration_seconds() {
    let mock = MockSts::start().await;
    mock.max_session_duration(ROLE, Duration::from_secs(3600));
    let error = mock
        .client()
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("sess")
        .duration_seconds(7200)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&error).0, "ValidationError");
}

#[tokio::test]
async fn invalid_input_is_a_validation_error_and_issues_nothing() {
    let mock = MockSts::start().await;
    let error = assume(&client(&mock, None), "not a valid name!")
        .await
        .unwrap_err();
    let (code, message) = code_and_message(&error);
    assert_eq!(code, "ValidationError");
    assert!(!message.is_empty());
    assert_eq!(error.raw_response().unwrap().status().as_u16(), 400);
    assert!(mock.issued().is_empty());
}

#[tokio::test]
async fn requests_are_recorded_in_order_and_debug_masks_the_token_code() {
    let mock = MockSts::start().await;
    let client = client(&mock, None);
    assume_with_mfa(&client, &mock, "987654").await.unwrap();
    client.get_caller_identity().send().await.unwrap();

    let requests = mock.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].action, Some(Action::AssumeRole));
    assert_eq!(requests[0].param("RoleArn"), Some(ROLE));
    assert_eq!(requests[0].param("TokenCode"), Some("987654"));
    assert_eq!(
        requests[0].access_key_id.as_deref(),
        Some(mock.source_credentials().access_key_id())
    );
    assert_eq!(requests[1].action, Some(Action::GetCallerIdentity));
    let printed = format!("{:?}", requests[0]);
    assert!(!printed.contains("987654"), "{printed}");
    assert!(printed.contains("** redacted **"));
    assert!(printed.contains("RoleSessionName"));
}

#[tokio::test]
async fn debug_output_never_shows_a_secret() {
    let mock = MockSts::builder().mfa_code("135790").start().await;
    let out = assume(&mock.client(), "sess").await.unwrap();
    let c = out.credentials().unwrap();
    let source = mock.source_credentials();
    let printed = format!(
        "{mock:?} {:?} {:?} {:?}",
        mock.issued(),
        MockSts::builder()
            .mfa_code("135790")
            .totp_secret_base32(TOTP_SECRET),
        mock.requests()
    );
    for secret in [
        c.secret_access_key(),
        c.session_token(),
        source.secret_access_key(),
        "135790",
        TOTP_SECRET,
    ] {
        assert!(!printed.contains(secret), "{printed}");
    }
}

/// Sends one raw HTTP request and returns the response text.
async fn raw_post(mock: &MockSts, body: &str, authorization: Option<&str>) -> String {
    let address = mock.endpoint_url().trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n{auth}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test]
async fn unknown_actions_and_unsigned_requests_get_sts_errors() {
    let mock = MockSts::start().await;
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={}/20260101/us-east-1/sts/aws4_request, \
         SignedHeaders=host, Signature=0",
        mock.source_credentials().access_key_id()
    );
    let unknown = raw_post(
        &mock,
        "Action=DescribeRoles&Version=2011-06-15",
        Some(&auth),
    )
    .await;
    assert!(unknown.starts_with("HTTP/1.1 400"), "{unknown}");
    assert!(unknown.contains("<Code>InvalidAction</Code>"), "{unknown}");
    assert!(unknown.contains("</Error><RequestId>"), "{unknown}");

    let old = raw_post(
        &mock,
        "Action=GetCallerIdentity&Version=2010-01-01",
        Some(&auth),
    )
    .await;
    assert!(old.contains("<Code>InvalidAction</Code>"), "{old}");

    let unsigned = raw_post(&mock, "Action=GetCallerIdentity&Version=2011-06-15", None).await;
    assert!(unsigned.starts_with("HTTP/1.1 403"), "{unsigned}");
    assert!(unsigned.contains("<Code>MissingAuthenticationToken</Code>"));
    assert_eq!(mock.calls(Action::GetCallerIdentity), 2);
    assert_eq!(mock.requests()[0].action, None);
}

#[test]
fn the_mock_parses_query_params_with_the_request_builders_rules() {
    let params = [
        ("Action", "AssumeRole"),
        ("RoleArn", "arn:aws:iam::123456789012:role/demo"),
        ("RoleSessionName", "s"),
        ("Tags.member.1.Key", "a"),
        ("Tags.member.1.Value", "b"),
        ("TransitiveTagKeys.member.1", "zzz"),
        ("DurationSeconds", "abc"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let err = super::actions::parse_assume_role(&params).unwrap_err();
    let params: Vec<String> = err.iter().map(|e| e.parameter().to_string()).collect();
    assert_eq!(
        params,
        [
            "RoleSessionName",
            "DurationSeconds",
            "TransitiveTagKeys.member.1"
        ]
    );
    let missing = super::actions::parse_assume_role(&Default::default()).unwrap_err();
    assert_eq!(
        missing.to_string(),
        "RoleArn: is required, got nothing; RoleSessionName: is required, got nothing"
    );
}

#[tokio::test]
async fn web_identity_needs_no_signature_and_answers_the_sts_document() {
    let mock = MockSts::start().await;
    let token = super::web_identity::jwt(&serde_json::json!({"sub": "subject-1"}));
    let body = format!(
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn={ROLE}\
         &RoleSessionName=pod&WebIdentityToken={token}&SerialNumber=x&Tags.member.1.Key="
    );
    // AssumeRole's other parameters are no part of this action: not checked (here invalid).
    let answer = raw_post(&mock, &body, None).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let document = &answer[answer.find("<AssumeRoleWithWebIdentityResponse").unwrap()..];
    assert!(
        document.starts_with(
            "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
             <AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIA"
        ),
        "{document}"
    );
    assert!(
        document.contains(
            "</Credentials><SubjectFromWebIdentityToken>subject-1</SubjectFromWebIdentityToken>\
             <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/demo/pod</Arn>"
        ),
        "{document}"
    );
    assert!(
        document.contains("</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>"),
        "{document}"
    );

    let missing = raw_post(
        &mock,
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleSessionName=pod",
        None,
    )
    .await;
    assert!(missing.starts_with("HTTP/1.1 400"), "{missing}");
    assert!(
        missing.contains(
            "<Message>RoleArn: is required, got nothing; WebIdentityToken: is required, got nothing</Message>"
        ),
        "{missing}"
    );
    // The other actions still need a signature.
    let unsigned = raw_post(&mock, "Action=AssumeRole&Version=2011-06-15", None).await;
    assert!(
        unsigned.contains("<Code>MissingAuthenticationToken</Code>"),
        "{unsigned}"
    );
    assert_eq!(mock.requests()[0].access_key_id, None);
}

#[tokio::test]
async fn assume_role_refuses_session_policies_over_their_budget_naming_both() {
    let mock = MockSts::start().await;
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{}"}}]}}"#,
        "s".repeat(1990)
    );
    let error = client(&mock, None)
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("sess")
        .policy(policy)
        .policy_arns(
            aws_sdk_sts::types::PolicyDescriptorType::builder()
                .arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    // The plaintext budget is a rule of the request, which the mock applies as the crate does.
    let (code, message) = code_and_message(&error);
    assert_eq!(code, "ValidationError");
    assert!(message.contains("Policy and PolicyArns"), "{message}");
    assert!(mock.issued().is_empty());
}
