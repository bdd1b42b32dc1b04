//! Which keys of a role profile reach STS, with aws-config's profile provider and with this
//! crate's, from the same file against the same mock STS. The README's comparison table says
//! what this test measures.

use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_types::region::Region;
use sts_assume_role::mfa::TokenCode;
use sts_assume_role::mfa::{self, MfaContext, MfaDevices, MfaError};
use sts_assume_role::profile::{Environment, from_profile};
use sts_assume_role::test_util::{Action, MockSts, RecordedRequest};

const DEV: &str = "arn:aws:iam::123456789012:role/dev";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

fn config(mock: &MockSts) -> String {
    let keys = mock.source_credentials();
    format!(
        "[profile dev]\nrole_arn = {DEV}\nsource_profile = base\nmfa_serial = {SERIAL}\n\
         external_id = ext-1234\nrole_session_name = alice\nduration_seconds = 1800\n\
         region = us-east-1\nendpoint_url = {}\n\
         [profile base]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        mock.endpoint_url(),
        keys.access_key_id(),
        keys.secret_access_key()
    )
}

/// The AssumeRole request the mock received last.
fn last_assume_role(mock: &MockSts) -> RecordedRequest {
    mock.requests()
        .into_iter()
        .rev()
        .find(|r| r.action == Some(Action::AssumeRole))
        .expect("an AssumeRole request")
}

#[tokio::test]
async fn the_sdk_drops_mfa_serial_and_duration_seconds_and_this_crate_sends_every_key() {
    let mock = MockSts::builder().mfa_code("123456").start().await;
    let text = config(&mock);

    // aws-config 1.13.0's profile provider.
    let sdk = ProfileFileCredentialsProvider::builder()
        .configure(&ProviderConfig::without_region().with_region(Some(Region::new("us-east-1"))))
        .profile_files(
            EnvConfigFiles::builder()
                .with_contents(EnvConfigFileKind::Config, text.clone())
                .build(),
        )
        .profile_name("dev")
        .build();
    sdk.provide_credentials()
        .await
        .expect("the SDK assumes the role");
    let by_sdk = last_assume_role(&mock);

    // This crate's, from the same text.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, &text).unwrap();
    let ours = from_profile("dev")
        .environment(Environment::from_vars([
            ("AWS_CONFIG_FILE", path.to_str().unwrap()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
        ]))
        .mfa_devices(MfaDevices::new())
        .mfa(mfa::from_fn(|_: &MfaContext| {
            TokenCode::new("123456").map_err(MfaError::failed)
        }))
        .sdk_config(&mock.sdk_config())
        .build()
        .await
        .unwrap();
    ours.provide_credentials().await.unwrap();
    let by_us = last_assume_role(&mock);

    // (key, parameter, value) — what each side sent.
    let rows = [
        ("role_arn", "RoleArn", Some(DEV)),
        ("role_session_name", "RoleSessionName", Some("alice")),
        ("external_id", "ExternalId", Some("ext-1234")),
        ("mfa_serial", "SerialNumber", Some(SERIAL)),
        ("duration_seconds", "DurationSeconds", Some("1800")),
    ];
    for (key, parameter, value) in rows {
        assert_eq!(by_us.param(parameter), value, "this crate, `{key}`");
    }
    assert_eq!(by_us.param("TokenCode"), Some("123456"));
    // The SDK honours the first three and drops the other two.
    for (key, parameter, value) in &rows[..3] {
        assert_eq!(by_sdk.param(parameter), *value, "aws-config, `{key}`");
    }
    for (key, parameter, _) in &rows[3..] {
        assert_eq!(by_sdk.param(parameter), None, "aws-config sends `{key}`");
    }
    assert_eq!(by_sdk.param("TokenCode"), None);
    // Both signed with the source profile's keys.
    let source = mock.source_credentials();
    assert_eq!(
        by_sdk.access_key_id.as_deref(),
        Some(source.access_key_id())
    );
    assert_eq!(by_us.access_key_id.as_deref(), Some(source.access_key_id()));
}

#[tokio::test]
async fn with_the_role_requiring_mfa_the_sdk_is_refused_and_this_crate_is_not() {
    let mock = MockSts::builder().mfa_code("123456").start().await;
    mock.require_mfa(DEV);
    let sdk = ProfileFileCredentialsProvider::builder()
        .configure(&ProviderConfig::without_region().with_region(Some(Region::new("us-east-1"))))
        .profile_files(
            EnvConfigFiles::builder()
                .with_contents(EnvConfigFileKind::Config, config(&mock))
                .build(),
        )
        .profile_name("dev")
        .build();
    assert!(sdk.provide_credentials().await.is_err());
    assert_eq!(mock.calls(Action::AssumeRole), 1);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, config(&mock)).unwrap();
    let ours = from_profile("dev")
        .environment(Environment::from_vars([(
            "AWS_CONFIG_FILE",
            path.to_str().unwrap(),
        )]))
        .mfa_devices(MfaDevices::new())
        .mfa(mfa::from_fn(|_: &MfaContext| {
            TokenCode::new("123456").map_err(MfaError::failed)
        }))
        .sdk_config(&mock.sdk_config())
        .build()
        .await
        .unwrap();
    ours.provide_credentials().await.expect("assumed with MFA");
    assert_eq!(mock.calls(Action::AssumeRole), 2);
}
