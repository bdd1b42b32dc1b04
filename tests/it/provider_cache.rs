//! A provider with a credential cache: what one process stores another reuses without STS or a
//! prompt, entries near their end are not served, and credentials being replaced or rejected
//! never come back from the cache.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::ProvideCredentials;
use serde_json::Value;
use sts_assume_role::cache::{
    CacheError, CachedCredentials, CredentialCache, FileCache, cli_cache_key,
};
use sts_assume_role::mfa::TokenCode;
use sts_assume_role::mfa::{self, MfaContext, MfaError};
use sts_assume_role::test_util::{Action, ManualClock, MockSts};
use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest, RefreshPolicy};

const ROLE: &str = "arn:aws:iam::123456789012:role/cached";
const MIN: Duration = Duration::from_secs(60);

fn request() -> AssumeRoleRequest {
    AssumeRoleRequest::builder(ROLE, "cached").build().unwrap()
}

fn provider(mock: &MockSts, request: AssumeRoleRequest, cache: FileCache) -> AssumeRoleProvider {
    AssumeRoleProvider::builder(request, &mock.sdk_config())
        .cache(cache)
        .build()
        .unwrap()
}

/// An entry as the AWS CLI writes it: fractional seconds and a `+00:00` offset.
fn cli_entry(access_key_id: &str, expires_in: Duration, mock: &MockSts) -> String {
    let expiry = time::OffsetDateTime::from(mock.now() + expires_in);
    let expiration = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000000+00:00",
        expiry.year(),
        u8::from(expiry.month()),
        expiry.day(),
        expiry.hour(),
        expiry.minute(),
        expiry.second()
    );
    serde_json::json!({
        "Credentials": {
            "AccessKeyId": access_key_id,
            "SecretAccessKey": "cli-secret",
            "SessionToken": "cli-token",
            "Expiration": expiration,
        },
        "AssumedRoleUser": {
            "AssumedRoleId": "AROAEXAMPLE:cached",
            "Arn": "arn:aws:sts::123456789012:assumed-role/cached/cached",
        },
        "ResponseMetadata": {"RequestId": "cli-request"},
    })
    .to_string()
}

fn write_entry(dir: &std::path::Path, key: &str, json: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(format!("{key}.json"));
    std::fs::write(&path, json).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

#[tokio::test]
async fn a_second_provider_on_the_same_cache_reuses_the_credentials_without_sts() {
    let mock = MockSts::start().await;
    let dir = tempfile::tempdir().unwrap();

    let first = provider(&mock, request(), FileCache::new(dir.path()));
    let issued = first.prefetch().await.unwrap();
    assert_eq!(mock.calls(Action::AssumeRole), 1);

    // Another process: nothing shared but the directory.
    let second = provider(&mock, request(), FileCache::new(dir.path()));
    let reused = second.provide_credentials().await.unwrap();
    assert_eq!(mock.calls(Action::AssumeRole), 1, "served from the cache");
    assert_eq!(reused.access_key_id(), issued.access_key_id());
    assert_eq!(reused.secret_access_key(), issued.secret_access_key());
    assert_eq!(reused.session_token(), issued.session_token());
    assert_eq!(reused.expiry(), issued.expiry());
    assert_eq!(
        reused.account_id().map(|a| a.as_str()),
        Some("123456789012")
    );
}

#[tokio::test]
async fn the_stored_entry_is_the_aws_cli_format_under_the_aws_cli_key() {
    let mock = MockSts::start().await;
    let dir = tempfile::tempdir().unwrap();
    let issued = provider(&mock, request(), FileCache::new(dir.path()))
        .prefetch()
        .await
        .unwrap();

    let path = dir
        .path()
        .join(format!("{}.json", cli_cache_key(&request())));
    let json: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let creds = &json["Credentials"];
    assert_eq!(creds["AccessKeyId"], issued.access_key_id());
    assert_eq!(creds["SecretAccessKey"], issued.secret_access_key());
    assert_eq!(creds["SessionToken"], issued.session_token().unwrap());
    assert_eq!(creds["AccountId"], "123456789012");
    let expiration = creds["Expiration"].as_str().unwrap();
    assert!(expiration.ends_with('Z'), "{expiration}");
    assert!(
        json["AssumedRoleUser"]["Arn"]
            .as_str()
            .unwrap()
            .contains(":assumed-role/cached/cached"),
        "{json}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn an_entry_the_aws_cli_wrote_is_served_without_calling_sts() {
    let mock = MockSts::start().await;
    let dir = tempfile::tempdir().unwrap();
    let key = cli_cache_key(&request());
    write_entry(
        dir.path(),
        &key,
        &cli_entry("ASIACLIWROTE", 50 * MIN, &mock),
    );

    let creds = provider(&mock, request(), FileCache::new(dir.path()))
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "ASIACLIWROTE");
    assert_eq!(creds.secret_access_key(), "cli-secret");
    assert_eq!(
        creds.account_id().map(|a| a.as_str()),
        Some("123456789012"),
        "taken from AssumedRoleUser.Arn, as botocore does"
    );
    assert_eq!(mock.calls(Action::AssumeRole), 0);
}

#[tokio::test]
async fn entries_inside_the_refresh_window_of_a_full_session_are_not_served() {
    let mock = MockSts::start().await;
    let dir = tempfile::tempdir().unwrap();

    // One-hour sessions (the default): the window is 15 minutes, as the AWS CLI's.
    let key = cli_cache_key(&request());
    write_entry(dir.path(), &key, &cli_entry("ASIATOOLATE", 14 * MIN, &mock));
    let creds = provider(&mock, request(), FileCache::new(dir.path()))
        .provide_credentials()
        .await
        .unwrap();
    assert_ne!(creds.access_key_id(), "ASIATOOLATE");
    assert_eq!(mock.calls(Action::AssumeRole), 1);
    // The fresh credentials replaced the entry.
    let stored = FileCache::new(dir.path()).load(&key).unwrap().unwrap();
    assert_eq!(stored.access_key_id(), creds.access_key_id());

    // 15-minute sessions: the window is 3:45, so 14 minutes left is plenty.
    let short = AssumeRoleRequest::builder(ROLE, "cached")
        .duration(Duration::from_secs(900))
        .build()
        .unwrap();
    let short_key = cli_cache_key(&short);
    assert_ne!(short_key, key);
    write_entry(
        dir.path(),
        &short_key,
        &cli_entry("ASIASTILLGOOD", 14 * MIN, &mock),
    );
    let creds = provider(&mock, short, FileCache::new(dir.path()))
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(creds.access_key_id(), "ASIASTILLGOOD");
    assert_eq!(mock.calls(Action::AssumeRole), 1);
}

#[tokio::test]
async fn invalidated_credentials_are_not_served_again_from_the_cache() {
    let mock = MockSts::start().await;
    let dir = tempfile::tempdir().unwrap();
    let provider = provider(&mock, request(), FileCache::new(dir.path()));
    let rejected = provider.prefetch().await.unwrap();

    // A service answered ExpiredToken: the entry on disk is the same rejected session.
    provider.invalidate();
    let fresh = provider.provide_credentials().await.unwrap();
    assert_ne!(fresh.access_key_id(), rejected.access_key_id());
    assert_eq!(mock.calls(Action::AssumeRole), 2);
    let stored = FileCache::new(dir.path())
        .load(&cli_cache_key(&request()))
        .unwrap()
        .unwrap();
    assert_eq!(stored.access_key_id(), fresh.access_key_id());
}

/// The mock's config, without SDK timers that a manual clock would confuse.
fn config(mock: &MockSts) -> aws_types::SdkConfig {
    mock.sdk_config_builder()
        .timeout_config(TimeoutConfig::disabled())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .build()
}

#[tokio::test]
async fn a_refresh_calls_sts_instead_of_reloading_the_credentials_it_replaces() {
    let clock = ManualClock::new(std::time::UNIX_EPOCH + Duration::from_secs(1_800_000_000));
    let mock = MockSts::builder().time_source(clock.clone()).start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = || FileCache::new(dir.path());

    // Full jitter puts the background refresh 15 to 30 minutes before expiry; pick a seed
    // that puts it more than 15 minutes before, where the entry on disk (the credentials
    // being replaced) is still good enough to be served.
    let (provider, first) = 'seed: {
        for seed in 0..64 {
            let provider = AssumeRoleProvider::builder(request(), &config(&mock))
                .cache(cache())
                .time_source(clock.clone())
                .refresh_policy(RefreshPolicy::default().jitter(1.0))
                .jitter_seed(seed)
                .build()
                .unwrap();
            let first = provider.prefetch().await.unwrap();
            let status = provider.status();
            if status.refresh_at().unwrap() < status.expiry().unwrap() - 16 * MIN {
                break 'seed (provider, first);
            }
        }
        panic!("no seed placed the refresh early enough");
    };
    let calls = mock.calls(Action::AssumeRole);
    let refresh_at = provider.status().refresh_at().unwrap();
    clock.set(refresh_at + Duration::from_secs(1));

    // The advisory window: served at once, refreshed in the background.
    let served = provider.provide_credentials().await.unwrap();
    assert_eq!(served.access_key_id(), first.access_key_id());
    for _ in 0..500 {
        if !provider.status().is_refreshing() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!provider.status().is_refreshing(), "the refresh finished");
    assert_eq!(mock.calls(Action::AssumeRole), calls + 1);
    let next = provider.provide_credentials().await.unwrap();
    assert_ne!(next.access_key_id(), first.access_key_id());
}

/// A store that always fails: loads still work, straight from STS.
#[derive(Debug, Default)]
struct Broken {
    loads: AtomicUsize,
    stores: AtomicUsize,
}

impl CredentialCache for Broken {
    fn load(&self, _key: &str) -> Result<Option<CachedCredentials>, CacheError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        Err(CacheError::InvalidKey { key: "x".into() })
    }

    fn store(&self, _key: &str, _entry: &CachedCredentials) -> Result<(), CacheError> {
        self.stores.fetch_add(1, Ordering::SeqCst);
        Err(CacheError::InvalidKey { key: "x".into() })
    }
}

#[tokio::test]
async fn a_failing_cache_never_fails_a_load() {
    let mock = MockSts::start().await;
    let broken = Arc::new(Broken::default());
    let provider = AssumeRoleProvider::builder(request(), &mock.sdk_config())
        .cache(Arc::clone(&broken))
        .build()
        .unwrap();
    provider.prefetch().await.unwrap();
    assert_eq!(mock.calls(Action::AssumeRole), 1);
    assert_eq!(broken.loads.load(Ordering::SeqCst), 1);
    assert_eq!(broken.stores.load(Ordering::SeqCst), 1);

    // A directory that cannot be created (its parent is a file) is a miss, too.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"").unwrap();
    let provider = provider_with(&mock, FileCache::new(file.join("cache")));
    provider.prefetch().await.unwrap();
    assert_eq!(mock.calls(Action::AssumeRole), 2);
}

fn provider_with(mock: &MockSts, cache: FileCache) -> AssumeRoleProvider {
    provider(mock, request(), cache)
}

#[tokio::test]
async fn with_mfa_a_second_process_finds_the_cached_credentials_and_does_not_prompt() {
    // Each test sending codes uses a device of its own: used codes are remembered per device
    // in the whole process.
    let serial = "arn:aws:iam::123456789012:mfa/cache-test";
    let mock = MockSts::start().await;
    mock.require_mfa(ROLE);
    let dir = tempfile::tempdir().unwrap();
    let request = || {
        AssumeRoleRequest::builder(ROLE, "cached")
            .serial_number(serial)
            .build()
            .unwrap()
    };
    let asked = Arc::new(Mutex::new(Vec::new()));
    let source = |asked: Arc<Mutex<Vec<String>>>| {
        mfa::from_fn(move |ctx: &MfaContext| {
            asked.lock().unwrap().push(ctx.serial_number().to_owned());
            TokenCode::new("246810").map_err(MfaError::failed)
        })
    };
    let build = || {
        AssumeRoleProvider::builder(request(), &mock.sdk_config())
            .mfa(source(Arc::clone(&asked)))
            .cache(FileCache::new(dir.path()))
            .build()
            .unwrap()
    };

    let first = build().prefetch().await.unwrap();
    assert_eq!(asked.lock().unwrap().as_slice(), [serial]);
    assert_eq!(mock.calls(Action::AssumeRole), 1);
    let sent = &mock.requests()[0];
    assert_eq!(sent.param("TokenCode"), Some("246810"));

    let second = build().prefetch().await.unwrap();
    assert_eq!(asked.lock().unwrap().len(), 1, "no second prompt");
    assert_eq!(mock.calls(Action::AssumeRole), 1);
    assert_eq!(second.access_key_id(), first.access_key_id());
}
