//! The 13th parameter and its outputs: `MinimumSessionTokenSize` reaches STS from a provider
//! and an MFA session, `SessionTokenSize` and `SessionTokenUtilization` reach `AssumedRole`
//! and the credential cache (still an AWS CLI entry), and a provider warns once when the token
//! nears the largest STS allows.

use crate::common;

use std::time::Duration;

use aws_credential_types::provider::ProvideCredentials;
use sts_assume_role::cache::{CredentialCache, FileCache, cli_cache_key};
use sts_assume_role::mfa::TokenCode;
use sts_assume_role::mfa::{self, MfaContext, MfaDevices, MfaError};
use sts_assume_role::test_util::{Action, ManualClock, MockSts};
use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest, MfaSession};

use common::Capture;

const ROLE: &str = "arn:aws:iam::123456789012:role/big-token";

fn request(bytes: u32) -> AssumeRoleRequest {
    AssumeRoleRequest::builder(ROLE, "tokens")
        .minimum_session_token_size(bytes)
        .build()
        .unwrap()
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
async fn a_provider_warns_once_when_the_token_nears_the_largest_sts_allows() {
    let (logs, _guard) = capture();
    let clock = ManualClock::default();
    let mock = MockSts::builder().time_source(clock.clone()).start().await;
    // The mock pads the token to 4,096 bytes: half of its 8,192-byte stand-in for STS's limit.
    let warned = AssumeRoleProvider::builder(request(4096), &mock.sdk_config())
        .time_source(clock.clone())
        .token_utilization_warning(40)
        .build()
        .unwrap();
    for _ in 0..3 {
        let creds = warned.provide_credentials().await.unwrap();
        assert!(creds.session_token().unwrap().len() >= 4096);
        warned.invalidate();
    }
    assert_eq!(mock.calls(Action::AssumeRole), 3);
    let said = logs.text();
    assert_eq!(
        said.matches("of the largest STS allows").count(),
        1,
        "{said}"
    );
    assert!(said.contains("utilization=50"), "{said}");
    assert!(said.contains("threshold=40"), "{said}");

    // The default threshold, 90 %, is not reached.
    let quiet = AssumeRoleProvider::builder(request(4096), &mock.sdk_config())
        .time_source(clock.clone())
        .build()
        .unwrap();
    quiet.provide_credentials().await.unwrap();
    assert_eq!(logs.text().matches("of the largest STS allows").count(), 1);
}

#[tokio::test]
async fn token_size_and_utilization_are_cached_in_an_aws_cli_entry() {
    let (_logs, _guard) = capture();
    let clock = ManualClock::default();
    let mock = MockSts::builder().time_source(clock.clone()).start().await;
    let dir = tempfile::tempdir().unwrap();
    let provider = AssumeRoleProvider::builder(request(1024), &mock.sdk_config())
        .time_source(clock.clone())
        .cache(FileCache::new(dir.path()))
        .build()
        .unwrap();
    let creds = provider.provide_credentials().await.unwrap();
    let token = creds.session_token().unwrap().len() as u32;
    let cache = FileCache::new(dir.path());
    let key = cli_cache_key(&request(1024));
    let entry = cache.load(&key).unwrap().expect("cached");
    assert_eq!(entry.session_token_size(), Some(token));
    assert_eq!(entry.session_token_utilization(), Some(13)); // 1,024 bytes of 8,192
    // Still what the AWS CLI reads: the credentials under `Credentials`, the rest beside them.
    let text = std::fs::read_to_string(dir.path().join(format!("{key}.json"))).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        json["Credentials"]["AccessKeyId"].as_str(),
        Some(creds.access_key_id())
    );
    assert_eq!(json["SessionTokenSize"].as_u64(), Some(u64::from(token)));
    assert_eq!(json["SessionTokenUtilization"].as_u64(), Some(13));
    // The parameter is part of the key, as boto3 would hash it.
    assert_ne!(key, cli_cache_key(&request(2048)));
}

#[tokio::test]
async fn an_mfa_session_asks_for_its_minimum_token_size_too() {
    let clock = ManualClock::default();
    let mock = MockSts::builder().time_source(clock.clone()).start().await;
    let session = MfaSession::builder(
        "arn:aws:iam::123456789012:mfa/alice",
        mfa::from_fn(|_: &MfaContext| TokenCode::new("123456").map_err(MfaError::failed)),
        &mock.sdk_config(),
    )
    .minimum_session_token_size(3000)
    .mfa_devices(MfaDevices::new())
    .time_source(clock.clone())
    .build()
    .unwrap();
    let creds = session.prefetch().await.unwrap();
    assert!(creds.session_token().unwrap().len() >= 3000);
    let sent = mock.requests().pop().unwrap();
    assert_eq!(sent.action, Some(Action::GetSessionToken));
    assert_eq!(sent.param("MinimumSessionTokenSize"), Some("3000"));

    let err = MfaSession::builder(
        "arn:aws:iam::123456789012:mfa/alice",
        mfa::from_fn(|_: &MfaContext| Err(MfaError::Cancelled)),
        &mock.sdk_config(),
    )
    .minimum_session_token_size(4097)
    .build()
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "MinimumSessionTokenSize: must be 0-4096 bytes, got 4097"
    );
    tokio::time::sleep(Duration::from_millis(1)).await;
}
