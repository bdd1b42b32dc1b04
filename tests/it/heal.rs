//! Self-healing: SDK clients with `heal_on_rejection` make the provider replace credentials a
//! service rejected, once for a storm of rejections, and never serve them again.

use std::time::Duration;

use aws_credential_types::provider::ProvideCredentials;
use sts_assume_role::test_util::{Action, ManualClock, MockSts};
use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest};

const ROLE: &str = "arn:aws:iam::123456789012:role/healed";

fn provider(mock: &MockSts, clock: &ManualClock) -> AssumeRoleProvider {
    AssumeRoleProvider::builder(
        AssumeRoleRequest::builder(ROLE, "heal").build().unwrap(),
        &mock.sdk_config(),
    )
    .time_source(clock.clone())
    .build()
    .unwrap()
}

/// A service client (the mock's GetCallerIdentity stands in for any service) signing with
/// `provider`, healing it, and retrying what was rejected when `retry`.
fn service(mock: &MockSts, provider: &AssumeRoleProvider, retry: bool) -> aws_sdk_sts::Client {
    let heal = provider.heal_on_rejection();
    let mut config = aws_sdk_sts::config::Builder::from(&mock.sdk_config())
        .credentials_provider(provider.clone())
        .identity_cache(aws_sdk_sts::config::IdentityCache::no_cache())
        .interceptor(heal.clone());
    if retry {
        config = config.retry_classifier(heal);
    }
    aws_sdk_sts::Client::from_conf(config.build())
}

async fn storm(client: &aws_sdk_sts::Client, n: usize) -> (usize, usize) {
    let calls = (0..n).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.get_caller_identity().send().await.is_ok() })
    });
    let results = futures_util::future::join_all(calls).await;
    let ok = results.into_iter().filter(|r| *r.as_ref().unwrap()).count();
    (ok, n - ok)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_a_thousand_rejected_requests_causes_one_refresh() {
    let clock = ManualClock::default();
    let mock = MockSts::builder().time_source(clock.clone()).start().await;
    let provider = provider(&mock, &clock);
    let client = service(&mock, &provider, false);
    let revoked = provider.prefetch().await.unwrap();
    mock.revoke(revoked.access_key_id());

    let (ok, failed) = storm(&client, 1000).await;
    assert!(
        failed >= 1,
        "requests signed with the revoked credentials fail"
    );
    assert_eq!(ok + failed, 1000);
    let (ok, failed) = storm(&client, 1000).await;
    assert_eq!((ok, failed), (1000, 0), "the provider healed itself");
    assert_eq!(
        mock.calls(Action::AssumeRole),
        2,
        "one refresh for the whole storm"
    );

    // The revoked credentials are never served again: every request after the storm was
    // signed with the new ones.
    let new_key = mock.issued()[1].access_key_id.clone();
    let signed: Vec<String> = mock
        .requests()
        .into_iter()
        .filter(|r| r.action == Some(Action::GetCallerIdentity))
        .filter_map(|r| r.access_key_id)
        .collect();
    assert_eq!(signed.len(), 2000);
    assert!(signed[1000..].iter().all(|k| *k == new_key));
    let now = provider.provide_credentials().await.unwrap();
    assert_eq!(now.access_key_id(), new_key);
    tokio::task::yield_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_retry_classifier_rejected_requests_are_retried_with_new_credentials() {
    let clock = ManualClock::default();
    let mock = MockSts::builder().time_source(clock.clone()).start().await;
    let provider = provider(&mock, &clock);
    let client = service(&mock, &provider, true);
    let revoked = provider.prefetch().await.unwrap();
    mock.revoke(revoked.access_key_id());

    // Within the client's retry quota (the standard strategy's token bucket), each rejected
    // request is retried once, with the new credentials: the caller sees no error.
    let (ok, failed) = storm(&client, 40).await;
    assert_eq!((ok, failed), (40, 0));
    assert_eq!(mock.calls(Action::AssumeRole), 2, "one refresh");
    tokio::task::yield_now().await;
}

#[tokio::test]
async fn a_late_rejection_of_old_credentials_never_drops_the_new_ones() {
    let clock = ManualClock::default();
    let mock = MockSts::builder().time_source(clock.clone()).start().await;
    let provider = provider(&mock, &clock);
    let old = provider.prefetch().await.unwrap();
    provider.invalidate();
    let new = provider.prefetch().await.unwrap();
    assert_ne!(old.access_key_id(), new.access_key_id());
    // A request signed with the old credentials, rejected only now.
    mock.revoke(old.access_key_id());
    let stale = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(&mock.sdk_config())
            .credentials_provider(old)
            .interceptor(provider.heal_on_rejection())
            .build(),
    );
    assert!(stale.get_caller_identity().send().await.is_err());
    let still = provider.provide_credentials().await.unwrap();
    assert_eq!(still.access_key_id(), new.access_key_id());
    assert_eq!(mock.calls(Action::AssumeRole), 2);
    tokio::time::sleep(Duration::from_millis(1)).await;
}
