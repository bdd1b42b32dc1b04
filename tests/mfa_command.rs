//! `mfa::CommandSource` with real processes: a script that prints a code, one that hangs, one
//! that fails with a message on its stderr, one that prints garbage, and `ykman`.
//!
//! Where the test must see the process's own stderr or `PATH`, it runs itself again as a
//! child (the same test, with a variable naming the scripts' directory) and reads the child's
//! stderr: the parent's would need the whole test process's file descriptor 2.
#![cfg(unix)]

mod common;

use std::error::Error as StdError;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_smithy_types::error::display::DisplayErrorContext;
use sts_assume_role::AssumeRoleProvider;
use sts_assume_role::AssumeRoleRequest;
use sts_assume_role::mfa::{
    CommandError, CommandSource, MfaContext, MfaDevices, MfaError, MfaReason, TokenSource,
};
use sts_assume_role::test_util::{Action, MockSts};
use tempfile::TempDir;

use common::Capture;

const ROLE: &str = "arn:aws:iam::123456789012:role/yubikey";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";
const CODE: &str = "482913";
/// Set in a child run of a test: the directory of its scripts.
const CHILD: &str = "STS_ASSUME_ROLE_MFA_COMMAND_CHILD";
const NO_ARGS: [&str; 0] = [];

/// A directory of scripts, each counting its runs in `runs`.
struct Scripts {
    dir: TempDir,
}

impl Scripts {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// An executable shell script; each run appends a line to `runs`.
    fn script(&self, name: &str, body: &str) -> PathBuf {
        write_script(&self.path(name), &self.path("runs"), body)
    }

    fn runs(&self) -> usize {
        std::fs::read_to_string(self.path("runs"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }
}

fn write_script(path: &Path, runs: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(
        path,
        format!("#!/bin/sh\necho run >> '{}'\n{body}\n", runs.display()),
    )
    .unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).unwrap();
    path.to_owned()
}

fn ctx() -> MfaContext {
    MfaContext::new(SERIAL, Some(ROLE.to_owned()), MfaReason::FirstLoad, 1)
}

/// The [`CommandError`] of a token source's error.
fn command_error(err: &MfaError) -> &CommandError {
    match err {
        MfaError::Failed(source) => source.downcast_ref().expect("a CommandError"),
        other => panic!("not a failure of the command: {other:?}"),
    }
}

/// The [`CommandError`] somewhere in `err`'s source chain.
fn find_command_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a CommandError> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<CommandError>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}

/// Runs `test` again in a child process with `CHILD` set to `dir` and `envs`; its output.
fn run_child(test: &str, dir: &Path, envs: &[(&str, String)]) -> std::process::Output {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    child
        .args(["--exact", test, "--nocapture", "--test-threads", "1"])
        .env(CHILD, dir);
    for (name, value) in envs {
        child.env(name, value);
    }
    child.output().unwrap()
}

/// A subscriber keeping every log line (TRACE) of this thread in `capture`.
fn capture_logs() -> (Capture, tracing::subscriber::DefaultGuard) {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .with_ansi(false)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    (capture, guard)
}

fn provider(mock: &MockSts, source: CommandSource) -> AssumeRoleProvider {
    let request = AssumeRoleRequest::builder(ROLE, "command-test")
        .serial_number(SERIAL)
        .build()
        .unwrap();
    AssumeRoleProvider::builder(request, &mock.sdk_config())
        .mfa(source)
        .mfa_devices(MfaDevices::new())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_script_that_prints_a_code_runs_once_without_a_shell_and_its_code_reaches_sts() {
    let mock = MockSts::builder().mfa_code(CODE).start().await;
    mock.require_mfa(ROLE);
    let scripts = Scripts::new();
    // The arguments arrive as given: no shell splits or expands them.
    let script = scripts.script(
        "code.sh",
        &format!(
            "printf '%s\\n' \"$@\" > '{}'\necho '  {CODE}  '",
            scripts.path("args").display()
        ),
    );
    let source = CommandSource::new(&script, ["two words", "$HOME", "*"]);

    let credentials = provider(&mock, source).prefetch().await.unwrap();

    assert_eq!(scripts.runs(), 1, "the command ran once");
    assert_eq!(
        std::fs::read_to_string(scripts.path("args")).unwrap(),
        "two words\n$HOME\n*\n"
    );
    let sent = mock.requests().pop().unwrap();
    assert_eq!(sent.action, Some(Action::AssumeRole));
    assert_eq!(sent.param("TokenCode"), Some(CODE), "trimmed, and sent");
    assert_eq!(credentials.access_key_id(), mock.issued()[0].access_key_id);
}

#[tokio::test]
async fn a_command_line_runs_under_sh() {
    let source = CommandSource::shell("code=48; echo \"$code 29 13\" | tr -d ' '");
    let code = source.token_code(&ctx()).await.unwrap();
    assert_eq!(code.expose(), CODE);
}

#[tokio::test]
async fn a_command_that_hangs_is_killed_at_its_timeout_with_a_typed_error() {
    let scripts = Scripts::new();
    let pid_file = scripts.path("pid");
    let script = scripts.script(
        "hang.sh",
        &format!(
            "echo $$ > '{}'\nwhile :; do sleep 1; done",
            pid_file.display()
        ),
    );
    let source = CommandSource::new(&script, NO_ARGS).timeout(Duration::from_secs(3));

    let err = source.token_code(&ctx()).await.unwrap_err();

    let command = command_error(&err);
    assert!(command.is_timeout(), "{command:?}");
    assert_eq!(command.exit_status(), None);
    assert!(command.to_string().contains("within 3s"), "{command}");
    // Killed, and reaped: no such process any more (not even a zombie).
    let pid = std::fs::read_to_string(&pid_file).expect("the script started");
    let alive = std::process::Command::new("sh")
        .args(["-c", &format!("kill -0 {} 2>/dev/null", pid.trim())])
        .status()
        .unwrap();
    assert!(!alive.success(), "the command still runs after its timeout");
}

const FAILS: &str = "echo 'vault is locked: run op signin first' >&2\nexit 3";

#[tokio::test]
async fn a_command_that_fails_gives_its_exit_status_and_its_stderr_reaches_the_person_not_the_logs()
{
    let test =
        "a_command_that_fails_gives_its_exit_status_and_its_stderr_reaches_the_person_not_the_logs";
    if let Some(dir) = std::env::var_os(CHILD) {
        // The child: its stderr is what a person at the terminal would see. Its logs are
        // captured: the error carries the exit status, not the message, and nothing logs it.
        let (logs, _guard) = capture_logs();
        let script = Path::new(&dir).join("fails.sh");
        let err = CommandSource::new(&script, NO_ARGS)
            .token_code(&ctx())
            .await
            .unwrap_err();
        let command = command_error(&err);
        let status = command.exit_status().expect("an exit status");
        assert_eq!(status.code(), Some(3));
        assert!(!command.is_timeout() && !command.is_not_a_code());
        let shown = format!("{} {err:?}", DisplayErrorContext(&err));
        assert!(shown.contains("exit status: 3"), "{shown}");
        assert!(
            shown.contains(&format!("`{}`", script.display())),
            "{shown}"
        );
        assert!(logs.text().contains("running a command for an MFA code"));
        for text in [shown, logs.text()] {
            assert!(!text.contains("vault is locked"), "{text}");
        }
        return;
    }
    let scripts = Scripts::new();
    scripts.script("fails.sh", FAILS);

    let child = run_child(test, scripts.dir.path(), &[]);

    let stderr = String::from_utf8_lossy(&child.stderr);
    assert!(child.status.success(), "the child test failed: {stderr}");
    assert!(
        stderr.contains("vault is locked: run op signin first"),
        "the command's stderr did not reach the terminal: {stderr:?}"
    );
    assert_eq!(scripts.runs(), 1);
}

#[tokio::test]
async fn a_command_that_prints_garbage_is_refused_and_the_garbage_appears_nowhere() {
    let (logs, _guard) = capture_logs();
    let mock = MockSts::start().await;
    mock.require_mfa(ROLE);
    let scripts = Scripts::new();
    let garbage = scripts.script("garbage.sh", "echo 'hunter2 987654 Touch your key'");

    let err = provider(&mock, CommandSource::new(&garbage, NO_ARGS))
        .prefetch()
        .await
        .unwrap_err();

    let command = find_command_error(&err).expect("the command's error");
    assert!(command.is_not_a_code(), "{command:?}");
    assert_eq!(command.exit_status(), None);
    assert_eq!(
        mock.calls(Action::AssumeRole),
        0,
        "STS is not called without a code"
    );
    let shown = format!("{} {err:?} {command}", DisplayErrorContext(&err));
    assert!(shown.contains("other than an MFA code"), "{shown}");
    for text in [&shown, &logs.text()] {
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains("987654"), "{text}");
    }

    // Nothing at all, and endless output (refused once the output is longer than a code can
    // be, not left to run until its timeout).
    let empty = scripts.script("empty.sh", "true");
    let err = CommandSource::new(&empty, NO_ARGS)
        .token_code(&ctx())
        .await
        .unwrap_err();
    assert!(command_error(&err).is_not_a_code());
    assert!(
        err.source()
            .unwrap()
            .to_string()
            .contains("printed nothing")
    );
    let endless = scripts.script("endless.sh", "yes 987654");
    let err = CommandSource::new(&endless, NO_ARGS)
        .timeout(Duration::from_secs(20))
        .token_code(&ctx())
        .await
        .unwrap_err();
    assert!(command_error(&err).is_not_a_code(), "{err:?}");
    assert!(!format!("{err:?} {}", DisplayErrorContext(&err)).contains("987654"));
}

#[tokio::test]
async fn a_command_that_cannot_start_is_named_without_its_arguments() {
    // A TOTP seed on a command line (`oathtool --totp -b SEED`) is a secret.
    let seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let source = CommandSource::new("/nonexistent/oathtool", ["--totp", "-b", seed]);
    let err = source.token_code(&ctx()).await.unwrap_err();
    let command = command_error(&err);
    let io = command
        .source()
        .and_then(|e| e.downcast_ref::<std::io::Error>())
        .expect("the I/O error");
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    assert_eq!(command.command(), "`/nonexistent/oathtool`");
    let shown = format!("{} {err:?} {source:?}", DisplayErrorContext(&err));
    assert!(
        shown.contains("could not start `/nonexistent/oathtool`"),
        "{shown}"
    );
    assert!(!shown.contains(seed), "{shown}");
    let line = CommandSource::shell(format!("oathtool --totp -b {seed}"));
    assert!(!format!("{line:?}").contains(seed));
}

#[tokio::test]
async fn ykman_asks_for_the_code_of_one_oath_account() {
    let test = "ykman_asks_for_the_code_of_one_oath_account";
    if std::env::var_os(CHILD).is_some() {
        // The child: `ykman` is the fake one first in its PATH.
        let code = CommandSource::ykman(SERIAL)
            .token_code(&ctx())
            .await
            .unwrap();
        assert_eq!(code.expose(), CODE);
        return;
    }
    let scripts = Scripts::new();
    let bin = scripts.path("bin");
    std::fs::create_dir(&bin).unwrap();
    write_script(
        &bin.join("ykman"),
        &scripts.path("runs"),
        &format!(
            "printf '%s\\n' \"$@\" > '{}'\necho 'Touch your YubiKey...' >&2\necho {CODE}",
            scripts.path("args").display()
        ),
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let child = run_child(test, scripts.dir.path(), &[("PATH", path)]);

    let stderr = String::from_utf8_lossy(&child.stderr);
    assert!(child.status.success(), "the child test failed: {stderr}");
    assert!(stderr.contains("Touch your YubiKey..."), "{stderr}");
    assert_eq!(scripts.runs(), 1);
    assert_eq!(
        std::fs::read_to_string(scripts.path("args")).unwrap(),
        format!("oath\naccounts\ncode\n--single\n{SERIAL}\n")
    );
}

#[test]
fn a_command_is_interactive_unless_said_to_answer_by_itself() {
    assert!(CommandSource::new("op", ["item", "get", "AWS", "--otp"]).interactive());
    assert!(CommandSource::shell("pass otp aws").interactive());
    assert!(CommandSource::ykman(SERIAL).interactive());
    assert!(
        !CommandSource::shell("pass otp aws")
            .unattended()
            .interactive()
    );
}
