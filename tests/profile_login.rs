//! A role over a `login_session` profile (feature `login-session`): aws-config's login provider
//! gets the base, from the credentials `aws login` cached, and this crate assumes the role
//! above it with MFA and its cache.
//!
//! aws-config finds the login cache through `AWS_LOGIN_CACHE_DIRECTORY` (else `HOME`) of the
//! process environment, so this binary holds one test, which sets it before any other thread
//! runs. The cached credentials are valid for hours, so the provider does not refresh them and
//! no Sign-In endpoint is needed.
#![cfg(feature = "login-session")]

#[path = "common/sources.rs"]
mod sources;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_types::error::display::DisplayErrorContext;
use sources::{counting_code, source_error};
use sts_assume_role::cache::FileCache;
use sts_assume_role::mfa::MfaDevices;
use sts_assume_role::profile::{Environment, SourceKind, from_profile};
use sts_assume_role::test_util::{Action, MockSts};

const DEV: &str = "arn:aws:iam::123456789012:role/dev";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";
const SESSION: &str = "arn:aws:iam::111111111111:user/alice";

/// `~/.aws/login/cache/<sha256(login_session)>.json`, as `aws login` leaves it.
fn write_login_cache(dir: &std::path::Path, mock: &MockSts, expires_at: std::time::SystemTime) {
    use sha2::Digest;
    let name: String = sha2::Sha256::digest(SESSION.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let keys = mock.source_credentials();
    let expires_at = aws_smithy_types::DateTime::from(expires_at)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap();
    let entry = serde_json::json!({
        "accessToken": {
            "accessKeyId": keys.access_key_id(),
            "secretAccessKey": keys.secret_access_key(),
            "sessionToken": "login-session-token",
            "accountId": "111111111111",
            "expiresAt": expires_at,
        },
        "tokenType": "aws_sigv4",
        "refreshToken": "login-refresh-token",
        "clientId": "arn:aws:signin:::devtools/same-device",
        "dpopKey": "not read unless the credentials are refreshed",
    });
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(format!("{name}.json")), entry.to_string()).unwrap();
}

#[tokio::test]
async fn a_role_over_a_login_session_asks_once_and_a_second_process_uses_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let login_cache = dir.path().join("login-cache");
    // SAFETY: the only test of this binary, before it starts any thread of its own; aws-config's
    // login provider reads the variable from the process environment.
    unsafe { std::env::set_var("AWS_LOGIN_CACHE_DIRECTORY", &login_cache) };

    let mock = MockSts::builder().mfa_code("123456").start().await;
    mock.require_mfa(DEV);
    write_login_cache(
        &login_cache,
        &mock,
        mock.now() + Duration::from_secs(8 * 3600),
    );
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!(
            "[profile dev]\nrole_arn = {DEV}\nsource_profile = console\nmfa_serial = {SERIAL}\n\
             [profile console]\nlogin_session = {SESSION}\nregion = us-east-1\n"
        ),
    )
    .unwrap();
    let env = Environment::from_vars([("AWS_CONFIG_FILE", config.to_str().unwrap())]);
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

    let first = builder(true)
        .build()
        .await
        .unwrap()
        .prefetch()
        .await
        .unwrap();
    assert_eq!(prompts.load(Ordering::SeqCst), 1);
    assert_eq!(mock.calls(Action::AssumeRole), 1);
    let sent = mock.requests().pop().unwrap();
    assert_eq!(
        sent.access_key_id.as_deref(),
        Some(mock.source_credentials().access_key_id())
    );
    assert_eq!(sent.param("TokenCode"), Some("123456"));

    let second = builder(true)
        .build()
        .await
        .unwrap()
        .prefetch()
        .await
        .unwrap();
    assert_eq!(second.access_key_id(), first.access_key_id());
    assert_eq!(prompts.load(Ordering::SeqCst), 1, "no second prompt");
    assert_eq!(mock.calls(Action::AssumeRole), 1, "no second STS call");

    // No cached session: the error names the profile and the key.
    std::fs::remove_dir_all(&login_cache).unwrap();
    let err = builder(false)
        .build()
        .await
        .unwrap()
        .provide_credentials()
        .await
        .unwrap_err();
    let shown = DisplayErrorContext(&err).to_string();
    let found = source_error(&err).unwrap_or_else(|| panic!("{shown}"));
    assert_eq!(found.kind(), SourceKind::LoginSession);
    assert_eq!(found.profile(), "console");
    assert_eq!(found.key(), Some("login_session"));
    assert!(
        found.hint().is_some_and(|h| h.contains("aws login")),
        "{shown}"
    );
    assert_eq!(mock.calls(Action::AssumeRole), 1);
}
