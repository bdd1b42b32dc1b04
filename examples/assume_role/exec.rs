//! `assume-role exec [role or profile options] [--server | --env] -- COMMAND ARGS...`: runs a
//! command with the role's credentials.
//!
//! With `--server` (the default) the command gets a local credentials endpoint
//! (`sts_assume_role::process::CredentialsEndpoint`) that serves the provider, so it has fresh
//! credentials for as long as it runs, however many role sessions that takes; an MFA code is
//! asked for on this program's terminal only when the provider needs one. With `--env` it gets
//! the credentials of the moment as environment variables, which expire. Either way the
//! variables that would make its SDK look elsewhere first (`AWS_PROFILE`, static keys, ...)
//! are removed from its environment, the signals this program receives (interrupt, terminate,
//! hang-up, quit) are passed on to it, and this program exits with its status (128 plus the
//! signal's number when a signal ended it, as shells report it).

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;
use sts_assume_role::AssumeRoleProvider;
use sts_assume_role::mfa::TokenSource;
use sts_assume_role::process::{ChildEnv, CredentialsEndpoint};
use sts_assume_role::profile::from_profile;

use super::{Args, Host, Invalid, Io, fail, report_invalid, request_from, with_flags};

/// Run a command with the role's credentials, kept fresh.
#[derive(Debug, Parser)]
#[command(name = "assume-role exec")]
pub(crate) struct ExecArgs {
    #[command(flatten)]
    pub(crate) args: Args,

    /// Serve credentials to the command from a local endpoint that keeps them fresh (the
    /// default): every AWS SDK and the AWS CLI read it.
    #[arg(long, conflicts_with = "env")]
    server: bool,

    /// Give the command the credentials of the moment as environment variables instead; they
    /// expire with the role session.
    #[arg(long)]
    env: bool,

    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<OsString>,
}

/// Whether `argv` (without the program's name) asks for `exec`.
pub(crate) fn wanted(argv: &[OsString]) -> bool {
    argv.first().is_some_and(|a| a == "exec")
}

/// The provider the flags describe: a profile's chain, or the role of `--role-arn`, with
/// `mfa` asked for codes when they are needed (at start, and when a session ends).
async fn provider(
    args: &Args,
    host: Host,
    mfa: impl TokenSource + 'static,
) -> Result<AssumeRoleProvider, Invalid> {
    if args.role_arn.is_none() {
        let Some(profile) = args.profile.clone() else {
            return Err(Invalid::NoRole);
        };
        let mut builder = from_profile(&profile)
            .environment(host.env)
            .mfa(mfa)
            .mfa_devices(host.devices);
        let cache = match (&args.cache_dir, args.no_cache) {
            (_, true) => None,
            (Some(dir), false) => Some(sts_assume_role::cache::FileCache::new(dir)),
            (None, false) => host.default_cache,
        };
        if let Some(cache) = cache {
            builder = builder.cache(cache);
        }
        if let Some(secs) = args.mfa_session {
            builder = builder.mfa_session(std::time::Duration::from_secs(secs));
        }
        let base = with_flags(host.config, args).no_credentials().load().await;
        return builder
            .sdk_config(&base)
            .build()
            .await
            .map_err(Invalid::Profile);
    }
    if args.token_code.is_some() {
        // A code is good once; the provider refreshes.
        return Err(Invalid::Request(vec![
            "TokenCode: not with exec, whose credentials refresh: give --serial-number alone, \
             and each code is asked for when one is needed"
                .to_owned(),
        ]));
    }
    let request = request_from(args, None)?;
    let has_serial = request.serial_number().is_some();
    let config = with_flags(host.config, args).load().await;
    let mut builder = AssumeRoleProvider::builder(request, &config).mfa_devices(host.devices);
    if has_serial {
        builder = builder.mfa(mfa);
    }
    builder
        .build()
        .map_err(|errors| Invalid::Request(errors.iter().map(ToString::to_string).collect()))
}

/// Runs `exec`: loads the credentials (asking for a code now, if one is needed), starts the
/// command with them and waits for it.
pub(crate) async fn run(
    exec: ExecArgs,
    host: Host,
    mfa: impl TokenSource + 'static,
    io: &mut Io<'_>,
) -> ExitCode {
    let provider = match provider(&exec.args, host, mfa).await {
        Ok(provider) => provider,
        Err(invalid) => return report_invalid(&invalid, io),
    };
    // Any prompt comes now, before the command owns the terminal; a load that fails says why
    // before anything starts.
    let credentials = match provider.prefetch().await {
        Ok(credentials) => credentials,
        Err(e) => return fail(&*e, io),
    };
    let (child_env, endpoint) = if exec.env {
        match ChildEnv::from_credentials(&credentials) {
            Ok(env) => (env, None),
            Err(e) => return fail(&e, io),
        }
    } else {
        match CredentialsEndpoint::start(provider.clone()) {
            Ok(endpoint) => (endpoint.child_env(), Some(endpoint)),
            Err(e) => return fail(&e, io),
        }
    };
    let (program, arguments) = exec.command.split_first().expect("clap requires a command");
    let mut command = tokio::process::Command::new(program);
    command.args(arguments);
    child_env.apply(command.as_std_mut());
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            let _ = writeln!(
                io.stderr,
                "assume-role: cannot run {}: {e}",
                program.to_string_lossy()
            );
            return ExitCode::from(127);
        }
    };
    let status = match wait_forwarding_signals(&mut child).await {
        Ok(status) => status,
        Err(e) => return fail(&e, io),
    };
    // The endpoint stops with the command, its port closed before this program exits.
    if let Some(endpoint) = endpoint {
        endpoint.shutdown().await;
    }
    exit_code(status, io)
}

/// The command's status as this program's: its exit code, or 128 plus the signal that ended
/// it, said on stderr.
fn exit_code(status: std::process::ExitStatus, io: &mut Io<'_>) -> ExitCode {
    if let Some(code) = status.code() {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let _ = writeln!(
                io.stderr,
                "assume-role: the command was killed by signal {signal}"
            );
            return ExitCode::from(128u8.saturating_add(u8::try_from(signal).unwrap_or(0)));
        }
    }
    ExitCode::FAILURE
}

/// Waits for the child, passing on the signals a terminal or a supervisor sends this program.
#[cfg(unix)]
async fn wait_forwarding_signals(
    child: &mut tokio::process::Child,
) -> std::io::Result<std::process::ExitStatus> {
    use tokio::signal::unix::{SignalKind, signal};
    let kinds = [
        SignalKind::interrupt(),
        SignalKind::terminate(),
        SignalKind::hangup(),
        SignalKind::quit(),
    ];
    let mut streams = Vec::new();
    for kind in kinds {
        streams.push((kind, signal(kind)?));
    }
    loop {
        let received =
            futures_util::future::select_all(streams.iter_mut().map(|(kind, stream)| {
                Box::pin(async move { stream.recv().await.map(|()| *kind) })
            }));
        tokio::select! {
            status = child.wait() => return status,
            (got, _, _) = received => {
                if let (Some(kind), Some(pid)) = (got, child.id()) {
                    // SAFETY: `kill` with a pid this program started and has not reaped (its
                    // `wait` has not returned) and a valid signal number; it only sends it.
                    let _ = unsafe { libc::kill(pid as libc::pid_t, kind.as_raw_value()) };
                }
            }
        }
    }
}

#[cfg(not(unix))]
async fn wait_forwarding_signals(
    child: &mut tokio::process::Child,
) -> std::io::Result<std::process::ExitStatus> {
    child.wait().await
}
