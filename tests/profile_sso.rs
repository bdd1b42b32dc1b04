//! A role over an SSO profile: aws-config's SSO provider gets the base, from a token in a
//! temporary SSO cache and a portal (GetRoleCredentials) served by wiremock; this crate assumes
//! the role above it, with MFA and its cache.
//!
//! The SDK finds the SSO token cache under `HOME` of the process environment (its provider
//! takes no environment of ours), so this binary holds one test, which sets `HOME` before any
//! other thread runs.

#[path = "common/sources.rs"]
mod sources;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_types::error::display::DisplayErrorContext;
use sha1::{Digest, Sha1};
use sources::{counting_code, source_error};
use sts_assume_role::cache::FileCache;
use sts_assume_role::mfa::MfaDevices;
use sts_assume_role::profile::{Environment, SourceKind, from_profile};
use sts_assume_role::test_util::{Action, MockSts};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DEV: &str = "arn:aws:iam::123456789012:role/dev";
const OPS: &str = "arn:aws:iam::123456789012:role/ops";
/// The start URL of a profile with the legacy SSO keys (no `sso_session`).
const LEGACY_URL: &str = "https://legacy.awsapps.com/start";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";
const ACCESS_TOKEN: &str = "sso-access-token-secret";

fn rfc3339(at: SystemTime) -> String {
    aws_smithy_types::DateTime::from(at)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap()
}

/// Writes the token `aws sso login --sso-session NAME` would have cached.
fn write_token(home: &Path, session: &str, expires_at: SystemTime) {
    let dir = home.join(".aws/sso/cache");
    std::fs::create_dir_all(&dir).unwrap();
    let name: String = Sha1::digest(session.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let token = format!(
        "{{\"accessToken\": \"{ACCESS_TOKEN}\", \"expiresAt\": \"{}\", \"region\": \"us-east-1\", \
         \"startUrl\": \"https://corp.awsapps.com/start\"}}",
        rfc3339(expires_at)
    );
    std::fs::write(dir.join(format!("{name}.json")), token).unwrap();
}

#[tokio::test]
async fn a_role_over_sso_asks_once_uses_the_cache_and_says_how_to_log_in_again() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    // SAFETY: the only test of this binary, before it starts any thread of its own; the SDK's
    // SSO token provider reads `HOME` from the process environment.
    unsafe { std::env::set_var("HOME", &home) };

    let mock = MockSts::builder().mfa_code("123456").start().await;
    mock.require_mfa(DEV);
    let portal = MockServer::start().await;
    let keys = mock.source_credentials();
    let expiration_ms = (mock.now() + Duration::from_secs(3600))
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    Mock::given(method("GET"))
        .and(path("/federation/credentials"))
        .and(query_param("account_id", "111111111111"))
        .and(query_param("role_name", "Reader"))
        .and(header("x-amz-sso_bearer_token", ACCESS_TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "roleCredentials": {
                "accessKeyId": keys.access_key_id(),
                "secretAccessKey": keys.secret_access_key(),
                "sessionToken": "sso-session-token",
                "expiration": expiration_ms,
            }
        })))
        .mount(&portal)
        .await;
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!(
            "[profile dev]\nrole_arn = {DEV}\nsource_profile = sso\nmfa_serial = {SERIAL}\n\
             [profile sso]\nsso_session = corp\nsso_account_id = 111111111111\n\
             sso_role_name = Reader\nendpoint_url = {0}\n\
             [sso-session corp]\nsso_region = us-east-1\n\
             sso_start_url = https://corp.awsapps.com/start\n\
             [profile ops]\nrole_arn = {OPS}\nsource_profile = legacy\n\
             [profile legacy]\nsso_start_url = {LEGACY_URL}\nsso_region = us-east-1\n\
             sso_account_id = 111111111111\nsso_role_name = Reader\nendpoint_url = {0}\n",
            portal.uri()
        ),
    )
    .unwrap();
    let env = Environment::from_vars([
        ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ("HOME", home.to_str().unwrap()),
    ]);
    let cache_dir = dir.path().join("cache");
    let prompts = Arc::new(AtomicUsize::new(0));
    let builder = |cache: bool| {
        let builder = from_profile("dev")
            .environment(env.clone())
            .mfa_devices(MfaDevices::new())
            .sdk_config(&mock.sdk_config())
            .mfa(counting_code(&prompts));
        if cache {
            builder.cache(FileCache::new(&cache_dir))
        } else {
            builder
        }
    };
    let portal_calls = || async { portal.received_requests().await.unwrap_or_default().len() };

    write_token(&home, "corp", mock.now() + Duration::from_secs(8 * 3600));
    // The SSO portal's GetRoleCredentials (counted below) is the chain's source.
    let first = builder(true)
        .build()
        .await
        .unwrap()
        .prefetch()
        .await
        .unwrap();
    assert_eq!(portal_calls().await, 1, "one GetRoleCredentials");
    assert_eq!(prompts.load(Ordering::SeqCst), 1, "one prompt");
    assert_eq!(mock.calls(Action::AssumeRole), 1);
    let sent = mock.requests().pop().unwrap();
    assert_eq!(sent.access_key_id.as_deref(), Some(keys.access_key_id()));
    assert_eq!(sent.param("TokenCode"), Some("123456"));

    // A second process: no prompt, no STS call, not even the portal.
    let second = builder(true)
        .build()
        .await
        .unwrap()
        .prefetch()
        .await
        .unwrap();
    assert_eq!(second.access_key_id(), first.access_key_id());
    assert_eq!(prompts.load(Ordering::SeqCst), 1);
    assert_eq!(mock.calls(Action::AssumeRole), 1);
    assert_eq!(portal_calls().await, 1);

    // The SSO session expired, then never started: the error says which login fixes it.
    write_token(&home, "corp", mock.now() - Duration::from_secs(60));
    let expired = builder(false).build().await.unwrap();
    let missing_home = home.join(".aws/sso/cache");
    for case in ["expired", "missing"] {
        if case == "missing" {
            std::fs::remove_dir_all(&missing_home).unwrap();
        }
        let provider = if case == "expired" {
            expired.clone()
        } else {
            builder(false).build().await.unwrap()
        };
        let err = provider.provide_credentials().await.unwrap_err();
        let shown = DisplayErrorContext(&err).to_string();
        let found = source_error(&err).unwrap_or_else(|| panic!("{case}: {shown}"));
        assert_eq!(found.kind(), SourceKind::Sso, "{case}");
        assert_eq!(found.profile(), "sso", "{case}");
        assert_eq!(found.key(), Some("sso_session"), "{case}");
        assert_eq!(found.file(), config.to_str().unwrap(), "{case}");
        assert!(
            found
                .hint()
                .is_some_and(|h| h.contains("`aws sso login --sso-session corp`")),
            "{case}: {shown}"
        );
        assert!(
            shown.contains("aws sso login --sso-session corp"),
            "{case}: {shown}"
        );
        assert!(!shown.contains(ACCESS_TOKEN), "{case}: {shown}");
    }
    assert_eq!(
        portal_calls().await,
        1,
        "no portal call without a valid token"
    );
    assert_eq!(mock.calls(Action::AssumeRole), 1);

    // The legacy keys: the token is cached under the start URL, and the login that fixes a
    // missing one names the profile.
    let legacy = || {
        from_profile("ops")
            .environment(env.clone())
            .sdk_config(&mock.sdk_config())
    };
    write_token(
        &home,
        LEGACY_URL,
        mock.now() + Duration::from_secs(8 * 3600),
    );
    legacy().build().await.unwrap().prefetch().await.unwrap();
    assert_eq!(portal_calls().await, 2);
    assert_eq!(mock.calls(Action::AssumeRole), 2);
    std::fs::remove_dir_all(&missing_home).unwrap();
    let err = legacy()
        .build()
        .await
        .unwrap()
        .provide_credentials()
        .await
        .unwrap_err();
    let shown = DisplayErrorContext(&err).to_string();
    let found = source_error(&err).unwrap_or_else(|| panic!("{shown}"));
    assert_eq!(found.profile(), "legacy");
    assert!(
        found
            .hint()
            .is_some_and(|h| h.contains("`aws sso login --profile legacy`")),
        "{shown}"
    );
}
