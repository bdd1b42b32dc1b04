//! `assume-role exec`: real child processes (`sh`, `python3`) started with the role's
//! credentials, from the endpoint or as variables; their exit status and signals.

#![cfg(unix)]

use std::process::ExitCode;

use sts_assume_role::mfa::{self, MfaContext, MfaError, TokenCode};
use sts_assume_role::test_util::{Action, MockSts};
use tempfile::TempDir;

use super::super::exec::{ExecArgs, run};
use super::{Host, Io, ROLE, config};
use clap::Parser;
use sts_assume_role::mfa::MfaDevices;
use sts_assume_role::profile::Environment;

/// Runs `exec` against the mock with `argv` (role flags, then `--`, then the command), an MFA
/// source that must not be asked, and buffers for stdout and stderr.
async fn exec(mock: &MockSts, argv: &[&str]) -> (ExitCode, String) {
    let url = mock.endpoint_url();
    let mut all = vec![
        "assume-role exec",
        "--endpoint-url",
        &url,
        "--region",
        "us-east-1",
        "--role-arn",
        ROLE,
        "--role-session-name",
        "exec",
    ];
    all.extend_from_slice(argv);
    let exec_args = ExecArgs::try_parse_from(all).expect("the arguments parse");
    let host = Host {
        config: config(mock, "[default]\n"),
        env: Environment::from_vars::<&str, &str>([]),
        default_cache: None,
        devices: MfaDevices::new(),
    };
    let nobody = mfa::from_fn(|_: &MfaContext| -> Result<TokenCode, MfaError> {
        panic!("no MFA code is needed")
    });
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = run(
        exec_args,
        host,
        nobody,
        &mut Io {
            stdin: &mut &b""[..],
            stdout: &mut stdout,
            stderr: &mut stderr,
            terminal: None,
        },
    )
    .await;
    (code, String::from_utf8(stderr).expect("utf-8"))
}

fn read(dir: &TempDir, name: &str) -> String {
    std::fs::read_to_string(dir.path().join(name)).expect("the child wrote it")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_commands_exit_status_is_the_programs() {
    let mock = MockSts::start().await;
    let (code, stderr) = exec(&mock, &["--", "sh", "-c", "exit 7"]).await;
    assert_eq!(code, ExitCode::from(7), "{stderr}");
    let (code, stderr) = exec(&mock, &["--", "true"]).await;
    assert_eq!(code, ExitCode::SUCCESS, "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_killed_by_a_signal_is_reported_as_such() {
    let mock = MockSts::start().await;
    let (code, stderr) = exec(&mock, &["--", "sh", "-c", "kill -TERM $$"]).await;
    assert_eq!(code, ExitCode::from(128 + 15), "{stderr}");
    assert!(stderr.contains("killed by signal 15"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_reads_the_roles_credentials_from_the_endpoint_which_closes_after() {
    let mock = MockSts::start().await;
    let dir = TempDir::new().unwrap();
    // A child with no SDK at all: the container credentials protocol by hand.
    let script = format!(
        r#"import json, os, urllib.request
url = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
request = urllib.request.Request(url, headers={{"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]}})
key = json.load(urllib.request.urlopen(request))["AccessKeyId"]
open("{dir}/key", "w").write(key)
open("{dir}/url", "w").write(url)
open("{dir}/keys", "w").write(os.environ.get("AWS_ACCESS_KEY_ID", "unset"))
"#,
        dir = dir.path().display()
    );
    let (code, stderr) = exec(&mock, &["--server", "--", "python3", "-c", &script]).await;
    assert_eq!(code, ExitCode::SUCCESS, "{stderr}");
    let issued: Vec<String> = mock.issued().into_iter().map(|c| c.access_key_id).collect();
    assert_eq!(
        issued,
        [read(&dir, "key")],
        "the role's credentials, served"
    );
    assert_eq!(
        read(&dir, "keys"),
        "unset",
        "no static keys beside the endpoint"
    );
    assert_eq!(mock.calls(Action::AssumeRole), 1);
    // The parent is done: the endpoint is gone with it.
    let url = read(&dir, "url");
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "the endpoint {addr} still accepts connections"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_env_the_command_gets_the_credentials_as_variables() {
    let mock = MockSts::start().await;
    let dir = TempDir::new().unwrap();
    let script = format!(
        "printf '%s' \"$AWS_ACCESS_KEY_ID\" > {dir}/key; \
         printf '%s' \"${{AWS_CONTAINER_CREDENTIALS_FULL_URI-unset}}\" > {dir}/url",
        dir = dir.path().display()
    );
    let (code, stderr) = exec(&mock, &["--env", "--", "sh", "-c", &script]).await;
    assert_eq!(code, ExitCode::SUCCESS, "{stderr}");
    assert_eq!(read(&dir, "key"), mock.issued()[0].access_key_id);
    assert_eq!(read(&dir, "url"), "unset");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_that_cannot_start_is_exit_127_and_a_fixed_code_is_refused() {
    let mock = MockSts::start().await;
    let (code, stderr) = exec(&mock, &["--", "/nonexistent/command"]).await;
    assert_eq!(code, ExitCode::from(127), "{stderr}");
    assert!(
        stderr.contains("cannot run /nonexistent/command"),
        "{stderr}"
    );
    let (code, stderr) = exec(
        &mock,
        &[
            "--serial-number",
            super::SERIAL,
            "--token-code",
            "123456",
            "--",
            "true",
        ],
    )
    .await;
    assert_eq!(code, ExitCode::from(2), "{stderr}");
    assert!(stderr.contains("TokenCode"), "{stderr}");
    assert!(
        !stderr.contains("123456"),
        "the code is not echoed: {stderr}"
    );
}

/// The example's own executable, built by cargo (once) for the tests that start it.
fn program() -> std::path::PathBuf {
    static PROGRAM: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    PROGRAM
        .get_or_init(|| super::example_binary::build("assume-role"))
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_to_the_program_reaches_the_command() {
    let mock = MockSts::start().await;
    let dir = TempDir::new().unwrap();
    let ready = dir.path().join("ready");
    // The command says it is ready, then waits; it exits 42 when it gets SIGTERM.
    let script = format!(
        "trap 'exit 42' TERM; touch {ready}; while :; do sleep 0.05; done",
        ready = ready.display()
    );
    let source = mock.source_credentials();
    let mut parent = std::process::Command::new(program())
        .args(["exec", "--env", "--endpoint-url"])
        .arg(mock.endpoint_url())
        .args(["--region", "us-east-1", "--role-arn", ROLE])
        .args(["--role-session-name", "signals", "--", "sh", "-c", &script])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("AWS_ACCESS_KEY_ID", source.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", source.secret_access_key())
        .spawn()
        .unwrap();
    for _ in 0..400 {
        if ready.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(ready.exists(), "the command did not start");
    // SAFETY: a signal to the child this test started and has not reaped.
    unsafe { libc::kill(parent.id() as libc::pid_t, libc::SIGTERM) };
    let status = parent.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(42),
        "the command's own exit, after the signal"
    );
}
