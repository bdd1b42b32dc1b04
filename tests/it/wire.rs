//! What reaches the wire: every parameter under its query-protocol name, and every STS error
//! code mapped to the right error. Uses a bare wiremock server so the checks do not depend on
//! the crate's own mock STS.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_sts::config::{BehaviorVersion, Region};
use sts_assume_role::{AssumeRoleRequest, Error, StsErrorCode};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const SUCCESS: &str = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>Alice</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>AQoDYXdzEPT//////////wEXAMPLE</SessionToken>
      <Expiration>2019-11-09T13:34:41Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
    <SessionTokenUtilization>7</SessionTokenUtilization>
    <SessionTokenSize>29</SessionTokenSize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>"#;

fn client(server: &MockServer) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(server.uri())
        .credentials_provider(Credentials::for_tests())
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

fn form(body: &[u8]) -> BTreeMap<String, String> {
    let text = std::str::from_utf8(body).unwrap();
    text.split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Percent-decoding for the test's own inspection of the body (`+` is not used by the SDK).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn every_parameter_reaches_the_wire_under_its_query_name() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(SUCCESS))
        .mount(&server)
        .await;
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let request = AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/demo", "TestAR")
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .policy_arn("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
        .policy(policy)
        .duration(Duration::from_secs(1800))
        .tag("Project", "Unicorn")
        .tag("Cost Center", "12345")
        .transitive_tag_key("Project")
        .external_id("partner-123")
        .serial_number("arn:aws:iam::123456789012:mfa/alice")
        .token_code("123456")
        .source_identity("Alice")
        .provided_context(
            "arn:aws:iam::aws:contextProvider/IdentityCenter",
            "assertion-1",
        )
        .minimum_session_token_size(2048)
        .build()
        .unwrap();
    let assumed = request.send(&client(&server)).await.unwrap();

    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    let got = form(&received[0].body);
    let expected: BTreeMap<String, String> = [
        ("Action", "AssumeRole"),
        ("Version", "2011-06-15"),
        ("RoleArn", "arn:aws:iam::123456789012:role/demo"),
        ("RoleSessionName", "TestAR"),
        (
            "PolicyArns.member.1.arn",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
        ),
        (
            "PolicyArns.member.2.arn",
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        ),
        ("Policy", policy),
        ("DurationSeconds", "1800"),
        ("Tags.member.1.Key", "Project"),
        ("Tags.member.1.Value", "Unicorn"),
        ("Tags.member.2.Key", "Cost Center"),
        ("Tags.member.2.Value", "12345"),
        ("TransitiveTagKeys.member.1", "Project"),
        ("ExternalId", "partner-123"),
        ("SerialNumber", "arn:aws:iam::123456789012:mfa/alice"),
        ("TokenCode", "123456"),
        ("SourceIdentity", "Alice"),
        (
            "ProvidedContexts.member.1.ProviderArn",
            "arn:aws:iam::aws:contextProvider/IdentityCenter",
        ),
        ("ProvidedContexts.member.1.ContextAssertion", "assertion-1"),
        ("MinimumSessionTokenSize", "2048"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(got, expected);

    // The parsed answer.
    let creds = assumed.credentials();
    assert_eq!(creds.access_key_id(), "ASIAIOSFODNN7EXAMPLE");
    assert_eq!(creds.session_token(), Some("AQoDYXdzEPT//////////wEXAMPLE"));
    assert_eq!(creds.account_id().map(|a| a.as_str()), Some("123456789012"));
    assert_eq!(
        creds.expiry(),
        Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_573_306_481))
    );
    assert_eq!(
        assumed.assumed_role_user().arn,
        "arn:aws:sts::123456789012:assumed-role/demo/TestAR"
    );
    assert_eq!(
        assumed.assumed_role_user().assumed_role_id,
        "ARO123EXAMPLE123:TestAR"
    );
    assert_eq!(assumed.packed_policy_size(), Some(6));
    assert_eq!(assumed.session_token_utilization(), Some(7));
    assert_eq!(assumed.session_token_size(), Some(29));
    assert_eq!(assumed.source_identity(), Some("Alice"));
    let debug = format!("{assumed:?}");
    assert!(!debug.contains("wJalrXUtnFEMI"), "{debug}");
    assert!(!debug.contains("AQoDYXdzEPT"), "{debug}");
}

#[tokio::test]
async fn optional_parameters_are_absent_from_the_wire_when_unset() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string(SUCCESS))
        .mount(&server)
        .await;
    let request = AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/demo", "TestAR")
        .build()
        .unwrap();
    request.send(&client(&server)).await.unwrap();
    let received = server.received_requests().await.unwrap();
    let keys: Vec<String> = form(&received[0].body).into_keys().collect();
    assert_eq!(keys, ["Action", "RoleArn", "RoleSessionName", "Version"]);
}

fn error_body(code: &str, message: &str) -> String {
    format!(
        r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>
  <RequestId>2d8a4f6f-7dba-42fe-828c-0696b15429e4</RequestId>
</ErrorResponse>"#
    )
}

async fn answer_with(status: u16, code: &str, message: &str) -> Error {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(status)
                .insert_header("x-amzn-RequestId", "2d8a4f6f-7dba-42fe-828c-0696b15429e4")
                .set_body_string(error_body(code, message)),
        )
        .mount(&server)
        .await;
    AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/demo", "TestAR")
        .build()
        .unwrap()
        .send(&client(&server))
        .await
        .unwrap_err()
}

/// What a caller should do with each code: (code, status, parsed, retryable, configuration).
const CODES: &[(&str, u16, StsErrorCode, bool, bool)] = &[
    ("Throttling", 400, StsErrorCode::Throttling, true, false),
    (
        "ThrottlingException",
        400,
        StsErrorCode::Throttling,
        true,
        false,
    ),
    (
        "InternalFailure",
        500,
        StsErrorCode::InternalFailure,
        true,
        false,
    ),
    (
        "ServiceUnavailable",
        503,
        StsErrorCode::ServiceUnavailable,
        true,
        false,
    ),
    (
        "ServiceUnavailableException",
        503,
        StsErrorCode::ServiceUnavailable,
        true,
        false,
    ),
    (
        "IDPCommunicationError",
        400,
        StsErrorCode::IdpCommunicationError,
        true,
        false,
    ),
    (
        "AccessDenied",
        403,
        StsErrorCode::AccessDenied,
        false,
        false,
    ),
    (
        "AccessDeniedException",
        403,
        StsErrorCode::AccessDenied,
        false,
        false,
    ),
    (
        "ExpiredToken",
        400,
        StsErrorCode::ExpiredToken,
        false,
        false,
    ),
    (
        "ExpiredTokenException",
        400,
        StsErrorCode::ExpiredToken,
        false,
        false,
    ),
    (
        "InvalidClientTokenId",
        403,
        StsErrorCode::InvalidClientTokenId,
        false,
        false,
    ),
    (
        "MalformedPolicyDocument",
        400,
        StsErrorCode::MalformedPolicyDocument,
        false,
        true,
    ),
    (
        "MalformedPolicyDocumentException",
        400,
        StsErrorCode::MalformedPolicyDocument,
        false,
        true,
    ),
    (
        "PackedPolicyTooLarge",
        400,
        StsErrorCode::PackedPolicyTooLarge,
        false,
        true,
    ),
    (
        "PackedPolicyTooLargeException",
        400,
        StsErrorCode::PackedPolicyTooLarge,
        false,
        true,
    ),
    (
        "RegionDisabledException",
        403,
        StsErrorCode::RegionDisabled,
        false,
        true,
    ),
    (
        "ValidationError",
        400,
        StsErrorCode::ValidationError,
        false,
        true,
    ),
];

#[tokio::test]
async fn each_sts_error_code_maps_to_the_right_error() {
    for (code, status, parsed, retryable, configuration) in CODES {
        let err = answer_with(*status, code, "some message").await;
        match &err {
            Error::Sts {
                code: got,
                message,
                request_id,
                status: got_status,
                ..
            } => {
                assert_eq!(got, parsed, "{code}");
                assert_eq!(message.as_deref(), Some("some message"));
                assert_eq!(*got_status, *status);
                assert_eq!(
                    request_id.as_deref(),
                    Some("2d8a4f6f-7dba-42fe-828c-0696b15429e4"),
                    "{code}"
                );
            }
            other => panic!("{code}: expected Error::Sts, got {other:?}"),
        }
        assert_eq!(err.is_retryable(), *retryable, "{code}");
        assert_eq!(err.is_configuration(), *configuration, "{code}");
        assert!(
            std::error::Error::source(&err).is_some(),
            "{code}: cause kept"
        );
        let as_credentials_error = CredentialsError::from(err);
        match (configuration, &as_credentials_error) {
            (true, CredentialsError::InvalidConfiguration(_))
            | (false, CredentialsError::ProviderError(_)) => {}
            _ => panic!("{code}: wrong CredentialsError variant {as_credentials_error:?}"),
        }
    }
}

#[tokio::test]
async fn unknown_codes_are_kept_and_5xx_is_retryable() {
    let err = answer_with(400, "SomethingNew", "m").await;
    assert_eq!(
        err.sts_code(),
        Some(&StsErrorCode::Other("SomethingNew".into()))
    );
    assert!(!err.is_retryable());
    let err = answer_with(502, "SomethingNew", "m").await;
    assert!(err.is_retryable());
}

#[tokio::test]
async fn mfa_rejection_is_recognised() {
    let err = answer_with(
        403,
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
    )
    .await;
    assert!(err.is_mfa_rejected());
    let err = answer_with(
        403,
        "AccessDenied",
        "User: x is not authorized to perform: sts:AssumeRole",
    )
    .await;
    assert!(!err.is_mfa_rejected());
}

#[tokio::test]
async fn malformed_and_truncated_bodies_are_retryable_response_errors() {
    for body in ["this is not xml", &SUCCESS[..SUCCESS.len() / 2]] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
        let err = AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/demo", "TestAR")
            .build()
            .unwrap()
            .send(&client(&server))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Response(_) | Error::IncompleteResponse(_)),
            "{err:?}"
        );
        assert!(err.is_retryable());
    }
}

#[tokio::test]
async fn connection_refused_is_a_retryable_dispatch_error() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .credentials_provider(Credentials::for_tests())
        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
        .build();
    let client = aws_sdk_sts::Client::from_conf(config);
    let err = AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/demo", "TestAR")
        .build()
        .unwrap()
        .send(&client)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Dispatch(_)), "{err:?}");
    assert!(err.is_retryable());
}
