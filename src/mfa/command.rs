//! A token source that runs a command and reads the code from its standard output: a YubiKey
//! through `ykman`, a password manager's command-line tool, a profile's `mfa_process`.

use std::ffi::OsString;
use std::fmt;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, SystemTime};

use aws_smithy_async::time::SharedTimeSource;
use tokio::io::AsyncReadExt;

use super::{MfaContext, MfaError, MfaReason, TokenFuture, TokenSource};
use crate::request::TokenCode;

/// How long a command may take unless told otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The most output kept: a code is six digits and a newline; more is not a code.
const MAX_OUTPUT: u64 = 1024;
/// The step of AWS's TOTP codes (virtual and hardware MFA devices alike).
const STEP: u64 = 30;
/// Waited beyond the next step, so a device whose clock trails a little has moved on too.
const STEP_MARGIN: Duration = Duration::from_secs(1);

/// MFA codes from a command's standard output: a YubiKey's OATH account through `ykman`, a
/// password manager's command-line tool, or any program that prints a code.
///
/// The command runs without a shell ([`new`](Self::new)), or as a command line under `sh -c`
/// ([`shell`](Self::shell); `cmd /C` on Windows), which is how a profile's `mfa_process` runs
/// (see [`profile`](crate::profile)). Each time a code is needed:
///
/// - the command runs with the process's environment and working directory; its standard
///   input is empty (`/dev/null`), so a command that would wait there for an answer ends
///   instead; its standard error is the process's own, so what it says to the person ("Touch
///   your YubiKey", "vault is locked") reaches them as it is written, and is never logged;
/// - its standard output, with surrounding whitespace trimmed, must be a code (six digits);
/// - it is killed when it takes longer than the [`timeout`](Self::timeout) (60 s unless set),
///   or when the provider stops waiting for it. Only the process started is killed, not
///   processes it started in turn (common shells run a lone command of `sh -c` in their own
///   place, so `sh -c 'op item get …'` kills `op`; a script's children live on);
/// - asked again for a code the device has just used, it first waits for the next 30-second
///   step, as a code from a TOTP device changes only then.
///
/// Failures are [`MfaError::Failed`] with a [`CommandError`] as the source: the command could
/// not start, exited unsuccessfully (its exit status), timed out, or printed no code. No error,
/// log line or `Debug` output shows what the command printed (it may hold a code) nor its
/// arguments (a TOTP seed can be one, as in `oathtool --totp -b SEED`); they name the
/// program only.
///
/// # Interactive or not
///
/// A command may wait on a person (a tap on a YubiKey, a vault's password or fingerprint), so
/// the source says it is [interactive](TokenSource::interactive) and a provider using it does
/// not run it on a timer while nobody waits for credentials. For a command that answers by
/// itself (a vault already unlocked, a code computed from a seed), say so with
/// [`unattended`](Self::unattended): the provider then refreshes as one without MFA does.
///
/// # Examples
///
/// A YubiKey holding the MFA device as an OATH account (`ykman oath accounts add`); ykman
/// asks for a tap on its standard error when the account was added with `--touch`:
///
/// ```
/// use sts_assume_role::mfa::CommandSource;
///
/// let yubikey = CommandSource::ykman("arn:aws:iam::123456789012:mfa/alice");
/// ```
///
/// 1Password's `op` (signed in, or through the desktop app's integration), with the item
/// holding the one-time password:
///
/// ```
/// use sts_assume_role::mfa::CommandSource;
///
/// let onepassword = CommandSource::new("op", ["item", "get", "AWS", "--otp"]);
/// ```
///
/// Bitwarden's `bw`, with a vault unlocked beforehand (`bw unlock`, then `BW_SESSION` in the
/// environment): without it, `bw` would ask for the master password on a standard input it
/// does not have, and fail. It answers by itself once unlocked:
///
/// ```
/// use std::time::Duration;
/// use sts_assume_role::mfa::CommandSource;
///
/// let bitwarden = CommandSource::new("bw", ["get", "totp", "AWS"])
///     .timeout(Duration::from_secs(20))
///     .unattended();
/// ```
///
/// A command line, as in a profile's `mfa_process`:
///
/// ```
/// use sts_assume_role::mfa::CommandSource;
///
/// let pass = CommandSource::shell("pass otp aws/alice");
/// ```
#[derive(Clone)]
pub struct CommandSource {
    program: OsString,
    args: Vec<OsString>,
    /// What errors and logs call the command: the program, never its arguments.
    name: String,
    timeout: Duration,
    interactive: bool,
    clock: SharedTimeSource,
}

impl fmt::Debug for CommandSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The arguments may hold a secret (a TOTP seed): only their number is shown.
        f.debug_struct("CommandSource")
            .field("command", &self.name)
            .field("args", &self.args.len())
            .field("timeout", &self.timeout)
            .field("interactive", &self.interactive)
            .finish()
    }
}

impl CommandSource {
    /// Runs `program` with `args`, without a shell. The program is looked for in `PATH`
    /// unless it is a path.
    pub fn new<I, S>(program: impl Into<OsString>, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let program = program.into();
        let name = format!("`{}`", program.to_string_lossy());
        Self {
            program,
            args: args.into_iter().map(Into::into).collect(),
            name,
            timeout: DEFAULT_TIMEOUT,
            interactive: true,
            clock: crate::clock::system(),
        }
    }

    /// Runs a command line with `sh -c` (`cmd /C` on Windows), as aws-vault runs a profile's
    /// `mfa_process`: pipes, quotes and variables work as in a shell.
    pub fn shell(command_line: impl Into<OsString>) -> Self {
        let (shell, flag) = if cfg!(windows) {
            ("cmd", "/C")
        } else {
            ("sh", "-c")
        };
        let mut source = Self::new(shell, [OsString::from(flag), command_line.into()]);
        source.name = format!("the `{shell} {flag}` command");
        source
    }

    /// Runs `ykman oath accounts code --single ACCOUNT` (ykman 4 or later), which prints the
    /// code of a YubiKey's OATH account. The account is the name given to
    /// `ykman oath accounts add`, often the MFA device's ARN. With several YubiKeys plugged
    /// in, name one with [`new`](Self::new): `ykman --device SERIAL oath accounts code …`.
    pub fn ykman(account: impl Into<OsString>) -> Self {
        let mut args: Vec<OsString> = ["oath", "accounts", "code", "--single"]
            .into_iter()
            .map(OsString::from)
            .collect();
        args.push(account.into());
        Self::new("ykman", args)
    }

    /// How long the command may take before it is killed and the question fails: 60 seconds
    /// unless set. The provider's own [`mfa_prompt_timeout`](crate::AssumeRoleProviderBuilder::mfa_prompt_timeout)
    /// still applies around it.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Says the command answers by itself, with no person involved: the source is then not
    /// [interactive](TokenSource::interactive), and a provider using it refreshes on a timer.
    #[must_use]
    pub fn unattended(mut self) -> Self {
        self.interactive = false;
        self
    }

    /// Names the command in errors and logs (for a profile's `mfa_process`: the key, the
    /// profile and the file).
    pub(crate) fn named(mut self, name: String) -> Self {
        self.name = name;
        self
    }

    #[cfg(test)]
    fn time_source(mut self, clock: SharedTimeSource) -> Self {
        self.clock = clock;
        self
    }

    fn error(&self, kind: Kind, source: Option<std::io::Error>) -> CommandError {
        CommandError {
            command: self.name.clone(),
            kind,
            source,
        }
    }

    /// Runs the command once and reads a code from its output.
    async fn run(&self) -> Result<TokenCode, CommandError> {
        tracing::debug!(command = %self.name, "running a command for an MFA code");
        let mut child = tokio::process::Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| self.error(Kind::Start, Some(e)))?;
        let Some(mut stdout) = child.stdout.take() else {
            let missing = std::io::Error::other("no standard output");
            return Err(self.error(Kind::Read, Some(missing)));
        };
        let work = async {
            let mut out = Vec::new();
            (&mut stdout)
                .take(MAX_OUTPUT + 1)
                .read_to_end(&mut out)
                .await?;
            if out.len() as u64 > MAX_OUTPUT {
                return Ok(Ran::TooMuch);
            }
            Ok(Ran::Exited(out, child.wait().await?))
        };
        let ran = tokio::time::timeout(self.timeout, work).await;
        let (out, status) = match ran {
            Ok(Ok(Ran::Exited(out, status))) => (out, status),
            Ok(Ok(Ran::TooMuch)) => {
                // Killed and reaped: nothing it prints afterwards matters.
                let _ = child.kill().await;
                return Err(self.error(Kind::NotACode { empty: false }, None));
            }
            Ok(Err(e)) => {
                let _ = child.kill().await;
                return Err(self.error(Kind::Read, Some(e)));
            }
            Err(_) => {
                let _ = child.kill().await;
                return Err(self.error(Kind::TimedOut(self.timeout), None));
            }
        };
        if !status.success() {
            return Err(self.error(Kind::Exit(status), None));
        }
        let text = std::str::from_utf8(&out).unwrap_or_default();
        TokenCode::new(text).map_err(|_| {
            let empty = out.iter().all(u8::is_ascii_whitespace);
            self.error(Kind::NotACode { empty }, None)
        })
    }
}

/// What a run of the command came to, before the timeout.
enum Ran {
    Exited(Vec<u8>, ExitStatus),
    TooMuch,
}

/// How long until the next TOTP step of `now` has begun (plus a margin).
fn until_next_step(now: SystemTime) -> Duration {
    let since_epoch = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let next = Duration::from_secs((since_epoch.as_secs() / STEP + 1) * STEP);
    next.saturating_sub(since_epoch) + STEP_MARGIN
}

impl TokenSource for CommandSource {
    fn token_code<'a>(&'a self, ctx: &'a MfaContext) -> TokenFuture<'a> {
        Box::pin(async move {
            if ctx.reason() == MfaReason::CodeReused {
                // The device's code of this step is spent; its next one comes with the next step.
                let wait = until_next_step(self.clock.now());
                tracing::debug!(command = %self.name, ?wait, "waiting for the next 30-second step: the command's last code was already used");
                tokio::time::sleep(wait).await;
            }
            self.run().await.map_err(MfaError::failed)
        })
    }

    /// `true` unless [`unattended`](Self::unattended): see [`CommandSource`].
    fn interactive(&self) -> bool {
        self.interactive
    }
}

/// Why a [`CommandSource`] gave no code: the command could not start, exited unsuccessfully,
/// timed out, or printed no code. It names the command (the program, or the profile key it
/// comes from), never its arguments nor what it printed.
#[derive(Debug)]
pub struct CommandError {
    command: String,
    kind: Kind,
    source: Option<std::io::Error>,
}

#[derive(Debug)]
enum Kind {
    Start,
    Read,
    Exit(ExitStatus),
    TimedOut(Duration),
    NotACode { empty: bool },
}

impl CommandError {
    /// The command, as errors name it: `` `ykman` ``, or for a profile's `mfa_process` the key,
    /// the profile and the file.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// How the command ended, when it ran to its end without success (an exit code, or on
    /// Unix a signal). What it said on its standard error went to the person, not here.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        match self.kind {
            Kind::Exit(status) => Some(status),
            _ => None,
        }
    }

    /// Whether the command was killed for taking longer than its timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, Kind::TimedOut(_))
    }

    /// Whether the command succeeded but its output was not a six-digit code.
    pub fn is_not_a_code(&self) -> bool {
        matches!(self.kind, Kind::NotACode { .. })
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let command = &self.command;
        match &self.kind {
            Kind::Start => write!(f, "could not start {command} for an MFA code"),
            Kind::Read => write!(f, "could not read the output of {command}"),
            Kind::Exit(status) => write!(f, "{command} failed ({status})"),
            Kind::TimedOut(timeout) => write!(
                f,
                "{command} printed no MFA code within {timeout:?} and was killed"
            ),
            Kind::NotACode { empty: true } => write!(
                f,
                "{command} succeeded but printed nothing; an MFA code (6 digits) was expected"
            ),
            Kind::NotACode { empty: false } => write!(
                f,
                "{command} printed something other than an MFA code (6 digits); the output is not shown, as it may hold a code"
            ),
        }
    }
}

impl std::error::Error for CommandError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use aws_smithy_async::time::TimeSource;

    /// A clock stopped at one moment.
    #[derive(Debug)]
    struct At(SystemTime);

    impl TimeSource for At {
        fn now(&self) -> SystemTime {
            self.0
        }
    }

    #[test]
    fn the_next_step_begins_at_the_next_multiple_of_thirty_seconds() {
        let at = |secs: f64| SystemTime::UNIX_EPOCH + Duration::from_secs_f64(secs);
        assert_eq!(until_next_step(at(60.0)), Duration::from_secs(31));
        assert_eq!(until_next_step(at(89.5)), Duration::from_millis(1500));
        assert_eq!(until_next_step(at(75.0)), Duration::from_secs(16));
    }

    /// Asked again for a code the device just used, it waits for the next step before it runs
    /// the command; asked for the first time, it runs it at once. (Virtual time: the command
    /// cannot start, so nothing runs while the clock is paused.)
    #[tokio::test(start_paused = true)]
    async fn asked_again_for_a_reused_code_it_waits_for_the_next_step() {
        let clock = At(SystemTime::UNIX_EPOCH + Duration::from_millis(59_800));
        let source = CommandSource::new("/nonexistent/mfa-command", ["arg"])
            .time_source(SharedTimeSource::new(clock));
        let serial = "arn:aws:iam::111111111111:mfa/a";
        let first = MfaContext::new(serial, None, MfaReason::FirstLoad, 1);
        for (ctx, waited) in [
            (first.clone(), Duration::ZERO),
            (first.next(MfaReason::Rejected), Duration::ZERO),
            (
                first.next(MfaReason::CodeReused),
                Duration::from_millis(1200),
            ),
        ] {
            let start = tokio::time::Instant::now();
            let err = source.token_code(&ctx).await.unwrap_err();
            assert!(matches!(err, MfaError::Failed(_)), "{err:?}");
            assert_eq!(start.elapsed(), waited, "{:?}", ctx.reason());
        }
    }
}
