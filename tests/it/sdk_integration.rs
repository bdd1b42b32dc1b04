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
const SEC: Duration = Duration::from_secs(1);
const MS: Duration = Duration::from_millis(1);

fn provider(mock: &MockSts) -> AssumeRoleProvider {
    let request = AssumeRoleRequest::builder(ROLE, "sdk-test")
        .build()
        .unwrap();
    AssumeRoleProvider::builder(request, &mock.sdk_config())
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

/// Source credentials that take a while to load, like a person finding their phone to type an
/// MFA code.
#[derive(Debug)]
struct Slow(Duration, Credentials);

impl ProvideCredentials for Slow {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            tokio::time::sleep(self.0).await;
            Ok(self.1.clone())
        })
    }
}

/// A client whose credentials come from `provider`.
async fn client_of(
    mock: &MockSts,
    provider: impl ProvideCredentials + 'static,
    cache: Option<aws_smithy_runtime_api::client::identity::SharedIdentityCache>,
) -> aws_sdk_sts::Client {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(mock.endpoint_url())
        .credentials_provider(provider)
        // Time is paused in these tests; keep the SDK's own timers out of the way of real I/O.
        // (The cache's load timeout floors the connect timeout at its default, 3.1 s, so it is
        // the same as with the default timeout settings.)
        .timeout_config(TimeoutConfig::disabled())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled());
    if let Some(cache) = cache {
        loader = loader.identity_cache(cache);
    }
    aws_sdk_sts::Client::new(&loader.load().await)
}

async fn who(client: &aws_sdk_sts::Client) -> Result<String, String> {
    match client.get_caller_identity().send().await {
        Ok(who) => Ok(who.arn().unwrap_or_default().to_owned()),
        Err(err) => Err(format!(
            "{:?}",
            aws_smithy_types::error::display::DisplayErrorContext(&err)
        )),
    }
}

#[tokio::test(start_paused = true)]
async fn with_the_one_line_a_load_of_ten_minutes_completes() {
    let mock = MockSts::start().await;
    let request = AssumeRoleRequest::builder(ROLE, "sdk-test")
        .build()
        .unwrap();
    let provider = AssumeRoleProvider::builder(request, &mock.sdk_config())
        .source_credentials(Slow(10 * 60 * SEC, mock.source_credentials()))
        .build()
        .unwrap();
    let client = client_of(&mock, provider, Some(IdentityCache::no_cache())).await;
    assert_eq!(who(&client).await.unwrap(), ASSUMED);
}

/// The SDK's identity cache (aws-smithy-runtime 1.16) cuts a load off after a timeout it derives
/// from the client's retry and timeout settings: with three attempts, an initial backoff of 1 s
/// and a connect timeout of 3.1 s, `1 + 2 + 3 × (2 × 3.1)` = 21.6 s. The load here is a timer
/// alone (no I/O, during which paused time would jump to the next timer), so virtual time
/// tells exactly which side of the limit it ends on.
#[tokio::test(start_paused = true)]
async fn without_the_line_the_sdk_cache_cuts_a_load_off_after_21_6_seconds() {
    let mock = MockSts::start().await;
    let keys = mock.source_credentials();
    let client = client_of(&mock, Slow(21_500 * MS, keys.clone()), None).await;
    assert_eq!(
        who(&client).await.unwrap(),
        mock.user_arn(),
        "21.5 s: in time"
    );

    let client = client_of(&mock, Slow(21_700 * MS, keys), None).await;
    let err = who(&client).await.unwrap_err();
    assert!(
        err.contains("TimedOutError(21.6s)"),
        "21.7 s: cut off: {err}"
    );
    assert_eq!(mock.calls(Action::GetCallerIdentity), 1);
}
