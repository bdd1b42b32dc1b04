//! MFA codes: asked for on stderr and read from stdin, or on the terminal when there is one;
//! not asked for when given; refused, with nothing sent, when missing or malformed; asked for
//! again when STS rejects one.

use std::process::ExitCode;

use sts_assume_role::mfa::MfaDevices;
use sts_assume_role::profile::Environment;
use sts_assume_role::test_util::{Action, MockSts};

use super::{
    Host, Profiles, ROLE, SERIAL, args, config, credential_process_answer, json, run_against,
    run_at_terminal,
};

#[tokio::test]
async fn a_missing_token_code_is_asked_for_on_stderr_and_read_from_stdin() {
    let mock = MockSts::builder().mfa_code("654321").start().await;
    mock.require_mfa(ROLE);
    let out = run_against(
        &mock,
        &[
            "--role-arn",
            ROLE,
            "--role-session-name",
            "alice",
            "--serial-number",
            SERIAL,
        ],
        "654321\n",
    )
    .await;
    assert_eq!(out.code, ExitCode::SUCCESS, "{}", out.stderr);
    assert_eq!(out.stderr, format!("MFA code for {SERIAL}: "));
    assert!(!out.stdout.contains("MFA code"));
    assert!(!out.stdout.contains("654321") && !out.stderr.contains("654321"));
    json(&out.stdout);
    let sent = mock.requests().pop().expect("one request");
    assert_eq!(sent.param("SerialNumber"), Some(SERIAL));
    assert_eq!(sent.param("TokenCode"), Some("654321"));
}

#[tokio::test]
async fn a_token_code_on_the_command_line_is_not_asked_for() {
    let mock = MockSts::builder().mfa_code("654321").start().await;
    mock.require_mfa(ROLE);
    let out = run_against(
        &mock,
        &[
            "--role-arn",
            ROLE,
            "--role-session-name",
            "alice",
            "--serial-number",
            SERIAL,
            "--token-code",
            "654321",
        ],
        "",
    )
    .await;
    assert_eq!(out.code, ExitCode::SUCCESS, "{}", out.stderr);
    assert_eq!(out.stderr, "");
}

#[tokio::test]
async fn no_or_a_malformed_mfa_code_exits_2_and_sends_nothing() {
    let mock = MockSts::start().await;
    let argv = [
        "--role-arn",
        ROLE,
        "--role-session-name",
        "alice",
        "--serial-number",
        SERIAL,
    ];
    let out = run_against(&mock, &argv, "").await;
    assert_eq!(out.code, ExitCode::from(2));
    assert!(
        out.stderr.ends_with("assume-role: no MFA code entered\n"),
        "{}",
        out.stderr
    );

    let out = run_against(&mock, &argv, "12ab56\n").await;
    assert_eq!(out.code, ExitCode::from(2));
    assert!(
        out.stderr.contains("invalid request:\n  TokenCode: "),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("12ab56"));
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn with_a_terminal_the_code_is_asked_for_there_not_on_stderr() {
    let mock = MockSts::builder().mfa_code("135790").start().await;
    mock.require_mfa(ROLE);
    let url = mock.endpoint_url();
    let argv = args(&[
        "--endpoint-url",
        &url,
        "--region",
        "us-east-1",
        "--role-arn",
        ROLE,
        "--role-session-name",
        "alice",
        "--serial-number",
        SERIAL,
        "--output",
        "credential-process",
    ]);
    let host = Host {
        config: config(&mock, "[default]\n"),
        env: Environment::from_vars::<&str, &str>([]),
        default_cache: None,
        devices: MfaDevices::new(),
    };
    // A caller's stdin that must not be read: the code comes from the terminal.
    let (out, shown) = run_at_terminal(argv, host, "000000\n", Some("135790\n")).await;
    assert_eq!(out.code, ExitCode::SUCCESS, "{}", out.stderr);
    assert_eq!(shown, format!("MFA code for {SERIAL}: "));
    assert_eq!(out.stderr, "", "a caller capturing stderr hides nothing");
    assert_eq!(mock.requests()[0].param("TokenCode"), Some("135790"));
    let key = credential_process_answer(&out.stdout, mock.now());
    assert_eq!(key, mock.issued()[0].access_key_id);
}

// On several threads, as `main` runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_mode_asks_again_when_sts_rejects_the_code() {
    let mock = MockSts::builder().mfa_code("654321").start().await;
    mock.require_mfa(ROLE);
    let profiles = Profiles::new(&mock, &format!("mfa_serial = {SERIAL}"));
    let out = profiles
        .run(&mock, &["--no-cache"], "111111\n654321\n")
        .await;
    assert_eq!(out.code, ExitCode::SUCCESS, "{}", out.stderr);
    let question = format!("MFA code for {SERIAL} (to assume {ROLE}): ");
    assert_eq!(
        out.stderr,
        format!("{question}STS rejected that code. {question}")
    );
    assert_eq!(mock.calls(Action::AssumeRole), 2);
}

#[tokio::test]
async fn profile_mode_without_or_with_a_malformed_mfa_code_exits_2_and_sends_nothing() {
    let mock = MockSts::start().await;
    let profiles = Profiles::new(&mock, &format!("mfa_serial = {SERIAL}"));

    let out = profiles.run(&mock, &["--no-cache"], "").await;
    assert_eq!(out.code, ExitCode::from(2));
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.ends_with("assume-role: no MFA code entered\n"),
        "{}",
        out.stderr
    );

    let out = profiles.run(&mock, &["--no-cache"], "12ab56\n").await;
    assert_eq!(out.code, ExitCode::from(2));
    assert!(
        out.stderr.contains("invalid request:\n  TokenCode: "),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("12ab56"));
    assert!(mock.requests().is_empty());
}
