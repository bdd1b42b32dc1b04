//! The provider plugged into the SDK both ways a user does it, making real calls through an
//! aws-sdk-sts client against the mock STS; and a slow credential load that the SDK's default
//! identity cache would cut off.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::identity::IdentityCache;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, future};
use aws_sdk_sts::config::Region;
use sts_assume_role::test_util::{Action, MockSts};
use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest};

const ROLE: &str = "arn:aws:iam::123456789012:role/app";
const ASSUMED: &str = "arn:aws:sts::123456789012:assumed-role/app/sdk-test";

fn provider(mock: &MockSts) -> AssumeRoleProvider {
    let request = AssumeRoleRequest::builder()
        .role_arn(ROLE)
        .role_session_name("sdk-test")
        .build()
        .unwrap();
    AssumeRoleProvider::builder(request)
        .sdk_config(&mock.sdk_config())
        .build()
        .unwrap()
}

#[tokio::test]
async fn plugs_into_aws_config_defaults_loader() {
    let mock = MockSts::start().await;
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(mock.endpoint_url())
        .credentials_provider(provider(&mock))
        .identity_cache(IdentityCache::no_cache())
        .load()
        .await;
    let client = aws_sdk_sts::Client::new(&config);
    for _ in 0..3 {
        let who = client.get_caller_identity().send().await.unwrap();
        assert_eq!(who.arn(), Some(ASSUMED));
    }
    assert_eq!(
        mock.calls(Action::AssumeRole),
        1,
        "the provider cached the credentials"
    );
    assert_eq!(mock.calls(Action::GetCallerIdentity), 3);
}

#[tokio::test]
async fn plugs_into_a_service_config_builder() {
    let mock = MockSts::start().await;
    let sdk_config = mock.sdk_config();
    let config = aws_sdk_sts::config::Builder::from(&sdk_config)
        .credentials_provider(provider(&mock))
        .identity_cache(IdentityCache::no_cache())
        .build();
    let client = aws_sdk_sts::Client::from_conf(config);
    let who = client.get_caller_identity().send().await.unwrap();
    assert_eq!(who.arn(), Some(ASSUMED));
}

#[tokio::test]
async fn plugs_in_under_the_sdk_default_identity_cache_too() {
    let mock = MockSts::start().await;
    let config = aws_sdk_sts::config::Builder::from(&mock.sdk_config())
        .credentials_provider(provider(&mock))
        .build();
    let client = aws_sdk_sts::Client::from_conf(config);
    let who = client.get_caller_identity().send().await.unwrap();
    assert_eq!(who.arn(), Some(ASSUMED));
}

/// Source credentials that take 35 seconds to load, like a person typing an MFA code.
#[derive(Debug)]
struct Slow(Credentials);

impl ProvideCredentials for Slow {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            tokio::time::sleep(Duration::from_secs(35)).await;
            Ok(self.0.clone())
        })
    }
}

async fn slow_client(
    mock: &MockSts,
    cache: Option<aws_smithy_runtime_api::client::identity::SharedIdentityCache>,
) -> aws_sdk_sts::Client {
    let request = AssumeRoleRequest::builder()
        .role_arn(ROLE)
        .role_session_name("sdk-test")
        .build()
        .unwrap();
    let provider = AssumeRoleProvider::builder(request)
        .sdk_config(&mock.sdk_config())
        .source_credentials(Slow(mock.source_credentials()))
        .build()
        .unwrap();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(mock.endpoint_url())
        .credentials_provider(provider)
        // Time is paused in these tests; keep the SDK's own timers out of the way of real I/O.
        .timeout_config(TimeoutConfig::disabled())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled());
    if let Some(cache) = cache {
        loader = loader.identity_cache(cache);
    }
    aws_sdk_sts::Client::new(&loader.load().await)
}

#[tokio::test(start_paused = true)]
async fn a_slow_credential_load_of_35_seconds_completes_with_the_one_line() {
    let mock = MockSts::start().await;
    let client = slow_client(&mock, Some(IdentityCache::no_cache())).await;
    let who = client.get_caller_identity().send().await.unwrap();
    assert_eq!(who.arn(), Some(ASSUMED));
}

#[tokio::test(start_paused = true)]
async fn without_the_line_the_sdk_cache_cuts_the_slow_load_off() {
    let mock = MockSts::start().await;
    let client = slow_client(&mock, None).await;
    let err = client.get_caller_identity().send().await.unwrap_err();
    let text = format!(
        "{:?}",
        aws_smithy_types::error::display::DisplayErrorContext(&err)
    );
    assert!(text.contains("TimedOutError"), "{text}");
    assert_eq!(mock.calls(Action::GetCallerIdentity), 0);
}
