//! `AssumeRoleWithWebIdentity` on the mock STS, through the real SDK and through aws-config's
//! `WebIdentityTokenCredentialsProvider` (what a Kubernetes pod with a service account uses).

use std::time::{Duration, SystemTime};

use aws_config::provider_config::ProviderConfig;
use aws_config::web_identity_token::{StaticConfiguration, WebIdentityTokenCredentialsProvider};
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_sts::Client;
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role_with_web_identity::{
    AssumeRoleWithWebIdentityError, AssumeRoleWithWebIdentityOutput,
};
use aws_sdk_sts::types::PolicyDescriptorType;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_types::region::Region;
use sts_assume_role::test_util::{Action, Fault, IssuedKind, ManualClock, MockSts};

const ROLE: &str = "arn:aws:iam::123456789012:role/pod-role";
const TOKEN: &str = "opaque-service-account-token";
const ISSUER: &str = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";

type WebIdentityResult =
    Result<AssumeRoleWithWebIdentityOutput, SdkError<AssumeRoleWithWebIdentityError, HttpResponse>>;

/// A JWT with these claims and a stand-in signature, shaped like a projected service account
/// token.
fn jwt(claims: serde_json::Value) -> String {
    let part = |json: String| {
        aws_smithy_types::base64::encode(json)
            .trim_end_matches('=')
            .replace('+', "-")
            .replace('/', "_")
    };
    format!(
        "{}.{}.c2lnbmF0dXJl",
        part(r#"{"alg":"RS256","kid":"k1"}"#.to_owned()),
        part(claims.to_string())
    )
}

fn pod_token() -> String {
    jwt(serde_json::json!({
        "iss": ISSUER,
        "sub": "system:serviceaccount:default:my-app",
        "aud": ["sts.amazonaws.com"],
        "exp": 1_767_229_200,
        "https://aws.amazon.com/source_identity": "my-app",
    }))
}

/// A client for the mock that never retries, so each call is exactly one request.
fn client(mock: &MockSts) -> Client {
    let config = aws_sdk_sts::config::Builder::from(&mock.sdk_config())
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// A client signing with `credentials`, never retrying.
fn signed_with(mock: &MockSts, credentials: Credentials) -> Client {
    let config = aws_sdk_sts::config::Builder::from(&mock.sdk_config())
        .retry_config(RetryConfig::disabled())
        .credentials_provider(credentials)
        .build();
    Client::from_conf(config)
}

async fn web_identity(client: &Client, token: &str) -> WebIdentityResult {
    client
        .assume_role_with_web_identity()
        .role_arn(ROLE)
        .role_session_name("pod")
        .web_identity_token(token)
        .send()
        .await
}

/// The error code and message, and the HTTP status.
fn failure(
    error: &SdkError<AssumeRoleWithWebIdentityError, HttpResponse>,
) -> (String, String, u16) {
    (
        error.code().unwrap_or_default().to_owned(),
        error.message().unwrap_or_default().to_owned(),
        error.raw_response().map_or(0, |raw| raw.status().as_u16()),
    )
}

#[tokio::test]
async fn the_sdk_assumes_a_role_with_a_jwt_unsigned_and_parses_every_field() {
    let clock = ManualClock::default();
    let mock = MockSts::builder().time_source(clock.clone()).start().await;
    let out = mock
        .client()
        .assume_role_with_web_identity()
        .role_arn(ROLE)
        .role_session_name("pod")
        .web_identity_token(pod_token())
        .policy(r#"{"Version":"2012-10-17","Statement":[]}"#)
        .duration_seconds(900)
        .send()
        .await
        .expect("the call succeeds");

    let credentials = out.credentials().expect("credentials");
    assert!(credentials.access_key_id().starts_with("ASIA"));
    assert_eq!(credentials.secret_access_key().len(), 40);
    assert_eq!(
        SystemTime::try_from(*credentials.expiration()).unwrap(),
        clock.now() + Duration::from_secs(900)
    );
    assert_eq!(
        out.subject_from_web_identity_token(),
        Some("system:serviceaccount:default:my-app")
    );
    let user = out.assumed_role_user().expect("assumed role user");
    assert_eq!(
        user.arn(),
        "arn:aws:sts::123456789012:assumed-role/pod-role/pod"
    );
    assert!(user.assumed_role_id().starts_with("AROA"));
    assert!(user.assumed_role_id().ends_with(":pod"));
    assert_eq!(
        out.provider(),
        Some(
            "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
        )
    );
    assert_eq!(out.audience(), Some("sts.amazonaws.com"));
    assert_eq!(out.source_identity(), Some("my-app"));
    #[allow(deprecated)] // still sent by STS
    let packed = out.packed_policy_size();
    assert!(packed.is_some_and(|size| size >= 1));
    let token_size = usize::try_from(out.session_token_size().unwrap()).unwrap();
    assert_eq!(token_size, credentials.session_token().len());

    let issued = mock.issued();
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].access_key_id, credentials.access_key_id());
    assert_eq!(
        issued[0].kind,
        IssuedKind::WebIdentity {
            role_arn: ROLE.to_owned(),
            session_name: "pod".to_owned()
        }
    );
    assert_eq!(mock.calls(Action::AssumeRoleWithWebIdentity), 1);
    let request = &mock.requests()[0];
    assert_eq!(request.action, Some(Action::AssumeRoleWithWebIdentity));
    assert_eq!(request.access_key_id, None, "the SDK sends it unsigned");
    assert_eq!(
        request.param("WebIdentityToken"),
        Some(pod_token().as_str())
    );
}

#[tokio::test]
async fn an_opaque_token_names_the_provider_id_and_has_no_claims() {
    let mock = MockSts::start().await;
    let out = mock
        .client()
        .assume_role_with_web_identity()
        .role_arn(ROLE)
        .role_session_name("app-user")
        .web_identity_token(TOKEN)
        .provider_id("www.amazon.com")
        .minimum_session_token_size(2000)
        .send()
        .await
        .expect("the call succeeds");
    assert_eq!(out.provider(), Some("www.amazon.com"));
    assert!(out.credentials().unwrap().session_token().len() >= 2000);
    assert_eq!(
        out.subject_from_web_identity_token(),
        Some("mock-web-identity-subject")
    );
    assert_eq!(out.audience(), None);
    assert_eq!(out.source_identity(), None);
    #[allow(deprecated)] // still sent by STS
    let packed = out.packed_policy_size();
    assert_eq!(packed, None);
    let expiry = SystemTime::try_from(*out.credentials().unwrap().expiration()).unwrap();
    let lifetime = expiry.duration_since(mock.now()).unwrap();
    assert!(
        lifetime > Duration::from_secs(3590) && lifetime <= Duration::from_secs(3600),
        "{lifetime:?}: an hour by default"
    );
}

#[tokio::test]
async fn credential_lifetime_and_max_session_duration_apply_to_web_identity() {
    let clock = ManualClock::default();
    let mock = MockSts::builder()
        .time_source(clock.clone())
        .credential_lifetime(Duration::from_secs(120))
        .start()
        .await;
    let out = web_identity(&client(&mock), TOKEN).await.unwrap();
    let expiry = SystemTime::try_from(*out.credentials().unwrap().expiration()).unwrap();
    assert_eq!(expiry, clock.now() + Duration::from_secs(120));

    mock.max_session_duration(ROLE, Duration::from_secs(3600));
    let error = client(&mock)
        .assume_role_with_web_identity()
        .role_arn(ROLE)
        .role_session_name("pod")
        .web_identity_token(TOKEN)
        .duration_seconds(3601)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        failure(&error),
        (
            "ValidationError".to_owned(),
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                .to_owned(),
            400
        )
    );
}

#[tokio::test]
async fn aws_configs_web_identity_provider_gets_its_credentials_from_the_mock() {
    let mock = MockSts::start().await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, pod_token()).unwrap();

    // The provider's STS client comes from the `ProviderConfig`, whose endpoint cannot be set
    // but whose HTTP client can: the mock's sends every request to the mock.
    let config = ProviderConfig::without_region()
        .with_region(Some(Region::new("us-east-1")))
        .with_http_client(mock.http_client());
    let provider = WebIdentityTokenCredentialsProvider::builder()
        .configure(&config)
        .static_configuration(StaticConfiguration {
            web_identity_token_file: token_file.clone(),
            role_arn: ROLE.to_owned(),
            session_name: "k8s-pod".to_owned(),
        })
        .build();
    let credentials = provider.provide_credentials().await.expect("credentials");

    let issued = mock.issued();
    assert_eq!(issued.len(), 1);
    assert_eq!(credentials.access_key_id(), issued[0].access_key_id);
    let expected = issued[0].credentials();
    assert_eq!(
        credentials.secret_access_key(),
        expected.secret_access_key()
    );
    assert_eq!(credentials.session_token(), expected.session_token());
    assert_eq!(
        credentials.account_id().map(|id| id.as_str()),
        Some("123456789012"),
        "from the assumed-role ARN"
    );
    assert_eq!(credentials.expiry(), Some(issued[0].expiration));
    assert_eq!(mock.calls(Action::AssumeRoleWithWebIdentity), 1);
    let request = &mock.requests()[0];
    assert_eq!(request.param("RoleSessionName"), Some("k8s-pod"));
    assert_eq!(
        request.param("WebIdentityToken"),
        Some(pod_token().as_str())
    );
    assert_eq!(request.access_key_id, None);

    // The token rotates: the old one is refused, the provider reads the new file next time.
    mock.set_web_identity_token("rotated-token");
    let error = provider
        .provide_credentials()
        .await
        .expect_err("the old token is refused");
    let printed = format!("{error:?} {error}");
    assert!(!printed.contains(&pod_token()), "{printed}");
    std::fs::write(&token_file, "rotated-token").unwrap();
    provider
        .provide_credentials()
        .await
        .expect("the rotated token");
    assert_eq!(mock.calls(Action::AssumeRoleWithWebIdentity), 3);
}

#[tokio::test]
async fn a_token_other_than_the_accepted_one_is_invalid_identity_token() {
    let mock = MockSts::start().await;
    mock.set_web_identity_token("the-good-token");
    let error = web_identity(&client(&mock), "a-forged-token")
        .await
        .unwrap_err();
    let (code, message, status) = failure(&error);
    assert_eq!((code.as_str(), status), ("InvalidIdentityToken", 400));
    assert!(
        message.starts_with("Couldn't retrieve verification key"),
        "{message}"
    );
    assert!(!format!("{error:?}").contains("a-forged-token"));
    assert!(
        error
            .into_service_error()
            .is_invalid_identity_token_exception()
    );

    web_identity(&client(&mock), "the-good-token")
        .await
        .expect("the accepted token");
    assert_eq!(mock.issued().len(), 1, "a refused token issues nothing");
}

#[tokio::test]
async fn an_expired_token_is_expired_token_exception_even_when_accepted() {
    let mock = MockSts::start().await;
    mock.set_web_identity_token(TOKEN);
    mock.expire_web_identity_token(TOKEN);
    let error = web_identity(&client(&mock), TOKEN).await.unwrap_err();
    let (code, message, status) = failure(&error);
    assert_eq!((code.as_str(), status), ("ExpiredTokenException", 400));
    assert!(message.contains("expired or is not valid"), "{message}");
    assert!(error.into_service_error().is_expired_token_exception());

    // Other tokens keep their standing: this one is not the accepted one.
    let error = web_identity(&client(&mock), "another-token")
        .await
        .unwrap_err();
    assert!(
        error
            .into_service_error()
            .is_invalid_identity_token_exception()
    );
    assert!(mock.issued().is_empty());
}

#[tokio::test]
async fn invalid_input_is_a_validation_error_naming_the_parameter() {
    let mock = MockSts::start().await;
    let client = client(&mock);
    let base = || {
        client
            .assume_role_with_web_identity()
            .role_arn(ROLE)
            .role_session_name("pod")
            .web_identity_token(TOKEN)
    };
    let arn = |i: usize| {
        PolicyDescriptorType::builder()
            .arn(format!("arn:aws:iam::aws:policy/Policy{i:04}"))
            .build()
    };
    let cases = [
        (
            base().role_arn("arn:aws:iam::1:r"),
            "RoleArn: must name a 12-digit account ID",
        ),
        (
            base().role_session_name("not valid!"),
            "RoleSessionName: must be",
        ),
        (
            base().web_identity_token("abc"),
            "WebIdentityToken: must be 4-20000 characters, got 3 characters",
        ),
        (
            base().web_identity_token("t".repeat(20_001)),
            "WebIdentityToken: must be 4-20000 characters, got 20001 characters",
        ),
        (
            base().provider_id("abc"),
            "ProviderId: must be 4-2048 characters",
        ),
        (
            base().set_policy_arns(Some((0..11).map(arn).collect())),
            "PolicyArns: must be at most 10 ARNs, got 11",
        ),
        (base().policy("[]"), "Policy: must be a JSON object"),
        (
            base().duration_seconds(899),
            "DurationSeconds: must be 900-43200",
        ),
        (
            base().duration_seconds(43_201),
            "DurationSeconds: must be 900-43200",
        ),
    ];
    for (request, expected) in cases {
        let error = request.send().await.expect_err(expected);
        let (code, message, status) = failure(&error);
        assert_eq!(
            (code.as_str(), status),
            ("ValidationError", 400),
            "{message}"
        );
        assert!(
            message.contains(expected),
            "{message} should say {expected}"
        );
        assert!(!message.contains(TOKEN), "{message}");
    }
    assert!(mock.issued().is_empty());
}

#[tokio::test]
async fn session_policies_over_their_budget_are_refused_naming_both() {
    let mock = MockSts::start().await;
    let statement = format!(r#"{{"Sid":"{}"}}"#, "s".repeat(1900));
    let policy = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
    let arns = (0..3)
        .map(|i| {
            PolicyDescriptorType::builder()
                .arn(format!(
                    "arn:aws:iam::123456789012:policy/{}{i}",
                    "p".repeat(60)
                ))
                .build()
        })
        .collect();
    let error = client(&mock)
        .assume_role_with_web_identity()
        .role_arn(ROLE)
        .role_session_name("pod")
        .web_identity_token(TOKEN)
        .policy(&policy)
        .set_policy_arns(Some(arns))
        .send()
        .await
        .unwrap_err();
    let (code, message, status) = failure(&error);
    assert_eq!((code.as_str(), status), ("ValidationError", 400));
    assert!(message.contains("Policy and PolicyArns"), "{message}");
}

#[tokio::test]
async fn a_role_that_requires_mfa_denies_every_web_identity() {
    let mock = MockSts::start().await;
    mock.require_mfa(ROLE);
    let error = web_identity(&client(&mock), TOKEN).await.unwrap_err();
    assert_eq!(
        failure(&error),
        (
            "AccessDenied".to_owned(),
            "Not authorized to perform sts:AssumeRoleWithWebIdentity".to_owned(),
            403
        )
    );
}

#[tokio::test]
async fn web_identity_credentials_sign_calls_and_chain_roles_for_at_most_an_hour() {
    let mock = MockSts::start().await;
    web_identity(&client(&mock), TOKEN).await.unwrap();
    let pod = signed_with(&mock, mock.issued()[0].credentials());

    let me = pod.get_caller_identity().send().await.unwrap();
    assert_eq!(
        me.arn(),
        Some("arn:aws:sts::123456789012:assumed-role/pod-role/pod")
    );

    let chained = |duration| {
        pod.assume_role()
            .role_arn("arn:aws:iam::123456789012:role/next")
            .role_session_name("chained")
            .duration_seconds(duration)
            .send()
    };
    let error = chained(3601).await.unwrap_err();
    assert_eq!(error.code(), Some("ValidationError"));
    assert_eq!(
        error.message(),
        Some(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining"
        )
    );
    let out = chained(3600).await.expect("an hour is fine");
    assert_eq!(
        out.assumed_role_user().unwrap().arn(),
        "arn:aws:sts::123456789012:assumed-role/next/chained"
    );
    let request = mock.requests().pop().unwrap();
    assert_eq!(
        request.access_key_id.as_deref(),
        Some(mock.issued()[0].access_key_id.as_str())
    );
}

#[tokio::test]
async fn faults_and_latency_apply_to_web_identity() {
    let mock = MockSts::start().await;
    let client = client(&mock);
    mock.push_fault(
        Action::AssumeRoleWithWebIdentity,
        Fault::IdpCommunicationError,
    );
    mock.push_fault(
        Action::AssumeRoleWithWebIdentity,
        Fault::Error {
            status: 403,
            code: "IDPRejectedClaim".to_owned(),
            message: "Incorrect token audience".to_owned(),
        },
    );
    let error = web_identity(&client, TOKEN).await.unwrap_err();
    assert!(
        error
            .into_service_error()
            .is_idp_communication_error_exception()
    );
    let error = web_identity(&client, TOKEN).await.unwrap_err();
    assert_eq!(failure(&error).2, 403);
    assert!(error.into_service_error().is_idp_rejected_claim_exception());

    mock.push_fault(Action::AssumeRoleWithWebIdentity, Fault::TruncatedBody);
    match web_identity(&client, TOKEN).await {
        Err(error) => assert_eq!(error.code(), None),
        Ok(out) => {
            let credentials = out.credentials().expect("the cut is after AccessKeyId");
            assert!(!credentials.session_token().ends_with("Token"));
        }
    }
    assert!(mock.issued().is_empty(), "faults issue nothing");

    mock.set_latency(
        Action::AssumeRoleWithWebIdentity,
        Duration::from_millis(200),
    );
    let started = tokio::time::Instant::now();
    web_identity(&client, TOKEN).await.expect("answers late");
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(mock.calls(Action::AssumeRoleWithWebIdentity), 4);
}

#[tokio::test]
async fn the_token_never_reaches_debug_or_error_text() {
    let mock = MockSts::start().await;
    let token = pod_token();
    mock.set_web_identity_token(&token);
    mock.expire_web_identity_token("an-expired-secret-token");
    web_identity(&client(&mock), &token).await.unwrap();
    let refused = web_identity(&client(&mock), "an-expired-secret-token")
        .await
        .unwrap_err();
    let too_short = web_identity(&client(&mock), "zq9").await.unwrap_err();

    let requests = mock.requests();
    assert_eq!(requests[0].param("WebIdentityToken"), Some(token.as_str()));
    let printed = format!(
        "{requests:?} {mock:?} {:?} {refused:?} {} {too_short:?}",
        mock.issued(),
        failure(&refused).1
    );
    for secret in [token.as_str(), "an-expired-secret-token", "zq9"] {
        assert!(!printed.contains(secret), "{secret} in {printed}");
    }
    assert!(
        printed.contains("\"WebIdentityToken\": \"** redacted **\""),
        "{printed}"
    );
}
