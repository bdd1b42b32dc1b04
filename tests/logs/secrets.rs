//! No secret key, session token, MFA code or TOTP seed reaches a log line (at TRACE level),
//! a `Debug` or `Display`, or an error message.

use crate::common;

use std::time::Duration;

use aws_credential_types::provider::ProvideCredentials;
use sts_assume_role::cache::{CredentialCache, FileCache};
use sts_assume_role::mfa::TokenCode;
use sts_assume_role::mfa::{self, TokenSource};
use sts_assume_role::test_util::{Action, Fault, ManualClock, MockSts};
use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest, RefreshPolicy};

use common::Capture;

const ROLE: &str = "arn:aws:iam::123456789012:role/secretive";
const MFA_CODE: &str = "246813";
const TOTP_SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// Asserts that `text` holds none of `secrets` (nor a 12-character piece of one).
fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(!text.contains(secret.as_str()), "{what} leaks a secret");
        let chars: Vec<char> = secret.chars().collect();
        if chars.len() > 12 {
            for piece in chars.windows(12) {
                let piece: String = piece.iter().collect();
                assert!(
                    !text.contains(&piece),
                    "{what} leaks part of a secret: {piece}"
                );
            }
        }
    }
}

#[tokio::test]
async fn no_secret_in_trace_logs_debug_display_or_errors() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let clock = ManualClock::default();
    let mock = MockSts::builder()
        .time_source(clock.clone())
        .credential_lifetime(Duration::from_secs(3600))
        .mfa_code(MFA_CODE)
        .start()
        .await;
    mock.require_mfa(ROLE);
    let mut debug_and_display = Vec::new();

    // One-shot with an MFA code, then the same code again (rejected as reused).
    let request = AssumeRoleRequest::builder(ROLE, "leak-test")
        .serial_number(mock.mfa_serial_number())
        .token_code(MFA_CODE)
        .build()
        .unwrap();
    let assumed = request.send(&mock.client()).await.unwrap();
    let reused = request.send(&mock.client()).await.unwrap_err();
    debug_and_display.push(format!("{request:?} {assumed:?} {reused:?} {reused}"));
    debug_and_display.push(format!("{:?}", TokenCode::new(MFA_CODE).unwrap()));
    let bad_code = AssumeRoleRequest::builder(ROLE, "leak-test")
        .token_code("24681")
        .build()
        .unwrap_err();
    debug_and_display.push(format!("{bad_code:?} {bad_code}"));

    // A provider through success, an advisory refresh, failures and chaining.
    let open_role = "arn:aws:iam::123456789012:role/open";
    let provider = AssumeRoleProvider::builder(
        AssumeRoleRequest::builder(open_role, "leak-test")
            .build()
            .unwrap(),
        &mock.sdk_config(),
    )
    .time_source(clock.clone())
    .refresh_policy(RefreshPolicy::default().jitter(0.0))
    .build()
    .unwrap();
    let creds = provider.provide_credentials().await.unwrap();
    debug_and_display.push(format!("{creds:?} {provider:?} {:?}", provider.status()));
    clock.advance(Duration::from_secs(50 * 60));
    mock.push_fault(Action::AssumeRole, Fault::Throttling);
    provider.provide_credentials().await.unwrap();
    for _ in 0..100 {
        if !provider.status().is_refreshing() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    debug_and_display.push(format!("{:?}", provider.status()));
    provider.invalidate();
    mock.push_fault(Action::AssumeRole, Fault::AccessDenied("denied".into()));
    let err = provider.provide_credentials().await.unwrap_err();
    debug_and_display.push(format!("{err:?} {err} {:?}", provider.status()));
    let chained = AssumeRoleProvider::builder(
        AssumeRoleRequest::builder(open_role, "hop-two")
            .build()
            .unwrap(),
        &mock.sdk_config(),
    )
    .source_credentials(mock.source_credentials())
    .time_source(clock.clone())
    .build()
    .unwrap();
    let chained_creds = chained.provide_credentials().await.unwrap();
    debug_and_display.push(format!("{chained_creds:?} {chained:?}"));

    // MFA: a TOTP source and an MFA session asking it, a channel, a prompt, contexts, errors.
    let totp_mock = MockSts::builder()
        .time_source(clock.clone())
        .totp_secret_base32(TOTP_SEED)
        .start()
        .await;
    let totp = mfa::Totp::from_base32(TOTP_SEED)
        .unwrap()
        .time_source(clock.clone());
    debug_and_display.push(format!("{totp:?}"));
    // Kept in a file cache, and read back by a second session (as another process would).
    let dir = tempfile::tempdir().unwrap();
    let file_cache = || FileCache::new(dir.path());
    let session = sts_assume_role::MfaSession::builder(
        "arn:aws:iam::123456789012:mfa/leak-test",
        totp,
        &totp_mock.sdk_config(),
    )
    .time_source(clock.clone())
    .cache(file_cache())
    .build()
    .unwrap();
    let session_creds = session.prefetch().await.unwrap();
    let reread = sts_assume_role::MfaSession::builder(
        "arn:aws:iam::123456789012:mfa/leak-test",
        mfa::from_fn(|_: &mfa::MfaContext| Err(mfa::MfaError::Cancelled)),
        &totp_mock.sdk_config(),
    )
    .time_source(clock.clone())
    .cache(file_cache())
    .build()
    .unwrap();
    let reread_creds = reread.prefetch().await.unwrap();
    assert_eq!(reread_creds.access_key_id(), session_creds.access_key_id());
    let cached_role = AssumeRoleProvider::builder(
        AssumeRoleRequest::builder(open_role, "cached")
            .build()
            .unwrap(),
        &mock.sdk_config(),
    )
    .time_source(clock.clone())
    .cache(file_cache())
    .build()
    .unwrap();
    cached_role.prefetch().await.unwrap();
    cached_role.invalidate();
    cached_role.prefetch().await.unwrap();
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 2, "the session and the role");
    for path in &entries {
        let key = path.file_stem().unwrap().to_str().unwrap();
        let entry = file_cache().load(key).unwrap().unwrap();
        debug_and_display.push(format!("{entry:?}"));
    }
    debug_and_display.push(format!(
        "{session:?} {session_creds:?} {:?} {reread:?} {cached_role:?} {:?}",
        session.status(),
        file_cache()
    ));
    let (channel, sender) = mfa::ChannelSource::new();
    sender.send(MFA_CODE).unwrap();
    let prompt = mfa::TerminalPrompt::with_io(
        std::io::Cursor::new(format!("{MFA_CODE}\n")),
        std::io::sink(),
    );
    let ctx = mfa::MfaContext::new(
        "arn:aws:iam::123456789012:mfa/leak-test",
        Some(ROLE.to_owned()),
        mfa::MfaReason::Refresh,
        1,
    );
    let from_prompt = prompt.token_code(&ctx).await.unwrap();
    debug_and_display.push(format!(
        "{channel:?} {sender:?} {prompt:?} {ctx:?} {from_prompt:?}"
    ));
    let bad_secret = mfa::Totp::from_base32("SHORT").unwrap_err();
    debug_and_display.push(format!("{bad_secret:?} {bad_secret}"));
    let mfa_errors = [
        mfa::MfaError::Cancelled,
        mfa::MfaError::TimedOut(Duration::from_secs(1)),
        mfa::MfaError::failed(TokenCode::new("12").unwrap_err()),
    ];
    debug_and_display.push(format!("{mfa_errors:?}"));
    // The mock's own types.
    debug_and_display.push(format!(
        "{mock:?} {:?} {:?}",
        mock.requests(),
        mock.issued()
    ));
    debug_and_display.push(format!(
        "{:?}",
        MockSts::builder()
            .totp_secret_base32(TOTP_SEED)
            .mfa_code(MFA_CODE)
    ));

    let mut secrets = vec![MFA_CODE.to_owned(), TOTP_SEED.to_owned()];
    let mut issued = mock.issued();
    issued.extend(totp_mock.issued());
    assert!(issued.len() >= 3);
    for i in &issued {
        let c = i.credentials();
        secrets.push(c.secret_access_key().to_owned());
        secrets.push(c.session_token().unwrap().to_owned());
    }
    let source = mock.source_credentials();
    secrets.push(source.secret_access_key().to_owned());

    let logs = capture.text();
    assert!(
        logs.contains("refreshed credentials"),
        "TRACE output was captured"
    );
    assert!(logs.contains("refresh failed"));
    assert_clean("TRACE logs", &logs, &secrets);
    for (i, text) in debug_and_display.iter().enumerate() {
        assert_clean(&format!("Debug/Display #{i}"), text, &secrets);
    }
}
