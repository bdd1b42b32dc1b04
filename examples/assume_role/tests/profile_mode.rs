//! Profile mode: the role a profile describes, the AWS CLI's cache in front of STS (the MFA
//! code asked for only when the cache cannot answer), MFA sessions, and missing profiles.

use std::path::Path;
use std::process::ExitCode;

use sts_assume_role::AssumeRoleRequest;
use sts_assume_role::cache::cli_cache_key;
use sts_assume_role::mfa::MfaDevices;
use sts_assume_role::test_util::{Action, MockSts};

use super::{Host, Profiles, ROLE, SERIAL, args, config, credential_process_answer, run_on};

/// The files in `dir`, or none if it does not exist.
fn files_in(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| {
                e.expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test]
async fn profile_mode_asks_for_the_mfa_code_once_then_serves_the_cache() {
    let mock = MockSts::builder().mfa_code("654321").start().await;
    mock.require_mfa(ROLE);
    let profiles = Profiles::new(&mock, &format!("mfa_serial = {SERIAL}"));
    let cache_dir = profiles.cache_dir();
    let cache_flag = cache_dir.to_str().expect("utf-8");
    let argv = ["--cache-dir", cache_flag, "--output", "credential-process"];

    let first = profiles.run(&mock, &argv, "654321\n").await;
    assert_eq!(first.code, ExitCode::SUCCESS, "{}", first.stderr);
    assert_eq!(
        first.stderr,
        format!("MFA code for {SERIAL} (to assume {ROLE}): ")
    );
    assert!(!first.stdout.contains("MFA code"));
    assert!(!first.stdout.contains("654321") && !first.stderr.contains("654321"));
    let sent = mock.requests().pop().expect("one request");
    assert_eq!(sent.param("RoleArn"), Some(ROLE));
    assert_eq!(sent.param("SerialNumber"), Some(SERIAL));
    assert_eq!(sent.param("TokenCode"), Some("654321"));
    let issued = mock
        .issued()
        .pop()
        .expect("credentials issued")
        .credentials();
    let access_key = credential_process_answer(&first.stdout, mock.now());
    assert_eq!(access_key, issued.access_key_id());

    // The entry is where the AWS CLI would look for this profile's role.
    let request = AssumeRoleRequest::builder_with_generated_name(ROLE)
        .serial_number(SERIAL)
        .build()
        .expect("a valid request");
    let key = cli_cache_key(&request);
    assert_eq!(files_in(&cache_dir), [format!("{key}.json")]);
    assert!(files_in(&profiles.default_cache_dir()).is_empty());

    // Another process, as it were: a fresh provider, nothing to read on stdin.
    let requests_before = mock.requests().len();
    let second = profiles.run(&mock, &argv, "").await;
    assert_eq!(second.code, ExitCode::SUCCESS, "{}", second.stderr);
    assert_eq!(second.stderr, "");
    assert_eq!(mock.calls(Action::AssumeRole), 1);
    assert_eq!(mock.requests().len(), requests_before);
    assert_eq!(
        credential_process_answer(&second.stdout, mock.now()),
        access_key
    );
}

#[tokio::test]
async fn profile_mode_uses_the_default_cache_unless_told_otherwise() {
    let mock = MockSts::start().await;
    let profiles = Profiles::new(&mock, "");

    let out = profiles.run(&mock, &["--no-cache"], "").await;
    assert_eq!(out.code, ExitCode::SUCCESS, "{}", out.stderr);
    assert!(files_in(&profiles.default_cache_dir()).is_empty());

    let out = profiles.run(&mock, &[], "").await;
    assert_eq!(out.code, ExitCode::SUCCESS, "{}", out.stderr);
    assert_eq!(files_in(&profiles.default_cache_dir()).len(), 1);
    assert_eq!(mock.calls(Action::AssumeRole), 2);

    // `--no-cache` does not read it either.
    let out = profiles.run(&mock, &["--no-cache"], "").await;
    assert_eq!(out.code, ExitCode::SUCCESS, "{}", out.stderr);
    assert_eq!(mock.calls(Action::AssumeRole), 3);
    assert!(files_in(&profiles.cache_dir()).is_empty());
}

#[tokio::test]
async fn profile_mode_with_an_mfa_session_asks_once_for_many_role_sessions() {
    let mock = MockSts::builder().mfa_code("112233").start().await;
    mock.require_mfa(ROLE);
    let profiles = Profiles::new(&mock, &format!("mfa_serial = {SERIAL}"));
    let cache_dir = profiles.cache_dir();
    let cache_flag = cache_dir.to_str().expect("utf-8");
    let argv = [
        "--cache-dir",
        cache_flag,
        "--mfa-session",
        "43200",
        "--output",
        "credential-process",
    ];

    let first = profiles.run(&mock, &argv, "112233\n").await;
    assert_eq!(first.code, ExitCode::SUCCESS, "{}", first.stderr);
    assert_eq!(first.stderr, format!("MFA code for {SERIAL}: "));
    assert_eq!(mock.calls(Action::GetSessionToken), 1);

    // The role session is over (its entry gone); the MFA session is not.
    let role_entry = cache_dir.join(format!(
        "{}.json",
        cli_cache_key(
            &AssumeRoleRequest::builder_with_generated_name(ROLE)
                .build()
                .expect("a valid request")
        )
    ));
    std::fs::remove_file(&role_entry).expect("the role session was cached");
    let second = profiles.run(&mock, &argv, "").await;
    assert_eq!(second.code, ExitCode::SUCCESS, "{}", second.stderr);
    assert_eq!(second.stderr, "", "no prompt");
    assert_eq!(mock.calls(Action::GetSessionToken), 1);
    assert_eq!(mock.calls(Action::AssumeRole), 2);
    credential_process_answer(&second.stdout, mock.now());
}

#[tokio::test]
async fn an_mfa_session_too_short_is_invalid_input() {
    let mock = MockSts::start().await;
    let profiles = Profiles::new(&mock, "");
    let out = profiles.run(&mock, &["--mfa-session", "60"], "").await;
    assert_eq!(out.code, ExitCode::from(2), "{}", out.stderr);
    assert!(out.stderr.contains("mfa_session"), "{}", out.stderr);
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn a_missing_profile_exits_2_naming_it_and_sends_nothing() {
    let mock = MockSts::start().await;
    let profiles = Profiles::new(&mock, "");
    let url = mock.endpoint_url();
    let host = Host {
        config: config(&mock, &profiles.contents),
        env: profiles.env.clone(),
        default_cache: None,
        devices: MfaDevices::new(),
    };
    let argv = ["--endpoint-url", &url, "--profile", "nope", "--no-cache"];
    let out = run_on(args(&argv), host, "").await;
    assert_eq!(out.code, ExitCode::from(2));
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .starts_with("assume-role: profile `nope` is not defined in "),
        "{}",
        out.stderr
    );
    assert!(mock.requests().is_empty());
}
