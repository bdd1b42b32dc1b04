//! `assume-role`: `aws sts assume-role` with every parameter checked before anything is sent.
//!
//! ```text
//! cargo run --example assume-role -- \
//!     --role-arn arn:aws:iam::123456789012:role/deploy --role-session-name alice \
//!     --tags Key=team,Value=platform --transitive-tag-keys team \
//!     --serial-number arn:aws:iam::123456789012:mfa/alice \
//!     --output env
//! ```
//!
//! The flags are those of the AWS CLI, shorthand syntax and `file://` included. It signs with
//! the default credential chain (`--profile`, `--region` and `--endpoint-url` adjust it) and
//! asks for an MFA code when `--serial-number` comes without `--token-code`: on the terminal
//! when stdin is one (so a caller capturing stderr does not hide the prompt), else on stderr,
//! reading the code from stdin.
//!
//! # Profile mode
//!
//! With `--profile NAME` and no `--role-arn`, it assumes the role that profile of the AWS
//! config files describes, as the AWS CLI would (`role_arn`, `source_profile` or
//! `credential_source`, `mfa_serial`, `external_id`, `duration_seconds`, `role_session_name`,
//! `region`; chains of roles too), through `sts_assume_role::profile`:
//!
//! ```text
//! cargo run --example assume-role -- --profile admin-mfa --output credential-process
//! ```
//!
//! Sessions are kept in the AWS CLI's cache (`~/.aws/cli/cache`, shared with the CLI both
//! ways; `--cache-dir DIR` picks another directory, `--no-cache` none), so the MFA code of
//! `mfa_serial` is asked for (as above) only when the cache holds no session
//! with enough time left (more than 15 minutes, for a one-hour session). The flags that describe a request (`--policy`, `--tags`,
//! `--serial-number`, `--token-code`, ...) are refused in this mode: the profile describes it.
//! `--region` and `--endpoint-url` still apply (the profile's `region` wins over `--region`).
//! With `--output credential-process`, the program can be an AWS profile's
//! `credential_process` (see the README).
//!
//! # Exec
//!
//! `assume-role exec [role or profile options] [--server | --env] -- COMMAND ARGS...` runs a
//! command with the role's credentials: by default from a local credentials endpoint that keeps
//! them fresh for as long as it runs (MFA asked on this terminal only when needed), or, with
//! `--env`, as environment variables. Signals are passed on, and the command's exit status is
//! this program's.
//!
//! ```text
//! cargo run --example assume-role -- exec --profile admin-mfa --mfa-session 43200 -- \
//!     aws sts get-caller-identity
//! ```
//!
//! Credentials go to stdout, everything else to stderr. Exit status: 0 on success, 1 when
//! STS fails, 2 for invalid input (nothing is sent then): bad flags, a profile that cannot be
//! used, or no MFA code.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use aws_config::{BehaviorVersion, ConfigLoader, Region};
use clap::Parser;
use sts_assume_role::AssumeRoleRequest;
use sts_assume_role::cache::FileCache;
use sts_assume_role::mfa::MfaDevices;
use sts_assume_role::mfa::TokenCode;
use sts_assume_role::profile::{Environment, ProfileError};

#[path = "assume_role/exec.rs"]
mod exec;
#[path = "assume_role/output.rs"]
mod output;
#[path = "assume_role/profile.rs"]
mod profile;
#[path = "assume_role/shorthand.rs"]
mod shorthand;
#[cfg(test)]
#[path = "assume_role/tests/mod.rs"]
mod tests;

use output::Output;
use shorthand::FlagError;

/// Assume an IAM role and print its temporary credentials, like `aws sts assume-role`.
#[derive(Debug, Parser)]
#[command(name = "assume-role", version)]
struct Args {
    /// The ARN of the role to assume. Without it, `--profile` names the role to assume.
    #[arg(
        long,
        value_name = "ARN",
        required_unless_present = "profile",
        requires = "role_session_name"
    )]
    role_arn: Option<String>,

    /// A name for the session: 2-64 characters of [A-Za-z0-9_+=,.@-]. Required with
    /// `--role-arn`; in profile mode, the profile's `role_session_name` or a generated one.
    #[arg(long, value_name = "NAME")]
    role_session_name: Option<String>,

    /// Managed policies that limit the session: ARNs, `arn=ARN`, or JSON `[{"arn": ARN}]`.
    #[arg(long, value_name = "ARN", num_args = 1..)]
    policy_arns: Vec<String>,

    /// An inline session policy: JSON text, or `file://PATH` to read it from a file.
    #[arg(long, value_name = "JSON")]
    policy: Option<String>,

    /// How long the credentials last, 900-43200 seconds (at most the role's maximum).
    #[arg(long, value_name = "SECONDS")]
    duration_seconds: Option<u32>,

    /// Session tags: `Key=k,Value=v ...`, or JSON `[{"Key": k, "Value": v}]`.
    #[arg(long, value_name = "Key=K,Value=V", num_args = 1..)]
    tags: Vec<String>,

    /// Keys of the session tags that carry over to roles assumed by this session.
    #[arg(long, value_name = "KEY", num_args = 1..)]
    transitive_tag_keys: Vec<String>,

    /// The external ID the role's trust policy expects.
    #[arg(long, value_name = "ID")]
    external_id: Option<String>,

    /// The MFA device: its ARN, or a hardware device's serial number.
    #[arg(long, value_name = "SERIAL")]
    serial_number: Option<String>,

    /// The six-digit MFA code. Asked for on stderr when `--serial-number` is given without it.
    #[arg(long, value_name = "CODE")]
    token_code: Option<String>,

    /// Who is behind the session; it stays with the session through role chaining.
    #[arg(long, value_name = "IDENTITY")]
    source_identity: Option<String>,

    /// Trusted contexts: `ProviderArn=ARN,ContextAssertion=A ...`, or JSON.
    #[arg(long, value_name = "ProviderArn=ARN,ContextAssertion=A", num_args = 1..)]
    provided_contexts: Vec<String>,

    /// The least size of the session token, in bytes (0-4096); STS pads the token to it.
    #[arg(long, value_name = "BYTES")]
    minimum_session_token_size: Option<u32>,

    /// Send requests to this URL instead of the STS endpoint.
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,

    /// The region to call STS in. In profile mode, the profile's `region` wins.
    #[arg(long, value_name = "REGION")]
    region: Option<String>,

    /// The profile of the AWS config files: with `--role-arn`, the one to sign with; alone
    /// (profile mode), the role profile to assume.
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,

    /// Profile mode: keep sessions in this directory instead of the AWS CLI's cache
    /// (`~/.aws/cli/cache`).
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    cache_dir: Option<PathBuf>,

    /// Profile mode: neither read nor write cached sessions; always call STS.
    #[arg(long)]
    no_cache: bool,

    /// Profile mode: ask for the MFA code once per MFA session of this many seconds
    /// (900-129600; GetSessionToken) instead of once per role session, as aws-vault does. With
    /// the cache, the session outlives this process.
    #[arg(long, value_name = "SECONDS")]
    mfa_session: Option<u64>,

    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Output::Json)]
    output: Output,
}

/// Where the program reads and writes, so tests can use buffers.
struct Io<'a> {
    stdin: &'a mut dyn BufRead,
    stdout: &'a mut dyn Write,
    stderr: &'a mut dyn Write,
    /// Where MFA codes are asked for instead of stderr and stdin: the terminal itself.
    terminal: Option<Terminal<'a>>,
}

/// A terminal to ask for MFA codes on.
struct Terminal<'a> {
    input: &'a mut dyn BufRead,
    output: &'a mut dyn Write,
}

/// The controlling terminal, when stdin is one. A tool running this as `credential_process`
/// (the AWS CLI, boto3) captures stderr, so a prompt there would go unseen; the terminal
/// reaches the person at the keyboard whatever the tool does with stderr. When stdin is not a
/// terminal (a code piped in, or no stdin), stdin and stderr are used as they are.
fn open_terminal() -> Option<(io::BufReader<std::fs::File>, std::fs::File)> {
    use std::io::IsTerminal;
    if !cfg!(unix) || !io::stdin().is_terminal() {
        return None;
    }
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()?;
    let output = tty.try_clone().ok()?;
    Some((io::BufReader::new(tty), output))
}

/// What the program takes from the machine besides its flags and streams, so tests can
/// replace all of it.
struct Host {
    /// The SDK configuration: the caller's own identity with `--role-arn`; in profile mode,
    /// the HTTP client, endpoint and region base of the STS clients. `--profile`, `--region`
    /// and `--endpoint-url` are applied to it.
    config: ConfigLoader,
    /// The environment variables profile mode finds and reads the config files by
    /// (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, `HOME`, ...).
    env: Environment,
    /// Profile mode's cache without `--cache-dir` or `--no-cache`: the AWS CLI's, when a home
    /// directory is known.
    default_cache: Option<FileCache>,
    /// The MFA devices profile mode's providers coordinate through (one question at a time per
    /// device, no code sent twice): the process-wide registry, or one of a test's own.
    devices: MfaDevices,
}

/// Exit status for invalid input: nothing was sent.
const INVALID_INPUT: u8 = 2;

#[tokio::main]
async fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let exec = exec::wanted(&argv).then(|| {
        exec::ExecArgs::parse_from(
            std::iter::once("assume-role exec".into()).chain(argv[1..].iter().cloned()),
        )
    });
    let args = match exec {
        Some(_) => None,
        None => Some(Args::parse()),
    };
    let mut terminal = open_terminal();
    let mut io = Io {
        stdin: &mut io::stdin().lock(),
        stdout: &mut io::stdout().lock(),
        stderr: &mut io::stderr(),
        terminal: terminal
            .as_mut()
            .map(|(input, output)| Terminal { input, output }),
    };
    let host = Host {
        config: aws_config::defaults(BehaviorVersion::latest()),
        env: Environment::process(),
        default_cache: FileCache::aws_cli(),
        devices: MfaDevices::process_wide(),
    };
    match (exec, args) {
        (Some(exec), _) => {
            exec::run(
                exec,
                host,
                sts_assume_role::mfa::TerminalPrompt::new(),
                &mut io,
            )
            .await
        }
        (None, Some(args)) => run(args, host, &mut io).await,
        (None, None) => unreachable!("one of the two parsed"),
    }
}

/// Checks the input, asks for an MFA code if needed, calls STS AssumeRole and prints the
/// credentials: with `--role-arn`, the role the flags describe; without, the role of
/// `--profile` (see [`profile::run`]).
async fn run(args: Args, host: Host, io: &mut Io<'_>) -> ExitCode {
    if args.role_arn.is_none() {
        return profile::run(args, host, io).await;
    }
    let profile_only = profile::profile_only_flags(&args);
    if !profile_only.is_empty() {
        return report_invalid(&Invalid::ProfileModeOnly(profile_only), io);
    }
    // Everything is checked before any configuration is loaded or request sent.
    let request = match request_from(&args, None) {
        Ok(request) => request,
        Err(invalid) => return report_invalid(&invalid, io),
    };
    // A device and no code: the code is asked for once the rest is known to be valid.
    let request = match (request.serial_number(), &args.token_code) {
        (Some(serial), None) => match ask_token_code(serial, io) {
            Ok(code) => match request_from(&args, Some(code.expose())) {
                Ok(request) => request,
                Err(invalid) => return report_invalid(&invalid, io),
            },
            Err(invalid) => return report_invalid(&invalid, io),
        },
        _ => request,
    };

    let sdk_config = with_flags(host.config, &args).load().await;
    let sts = aws_sdk_sts::Client::new(&sdk_config);
    let assumed = match request.send(&sts).await {
        Ok(assumed) => assumed,
        Err(e) => return fail(&e, io),
    };
    let printed = output::write(args.output, &assumed, io.stdout).and_then(|()| io.stdout.flush());
    match printed {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e, io),
    }
}

/// Applies `--profile`, `--region` and `--endpoint-url`.
fn with_flags(mut config: ConfigLoader, args: &Args) -> ConfigLoader {
    if let Some(profile) = &args.profile {
        config = config.profile_name(profile);
    }
    if let Some(region) = &args.region {
        config = config.region(Region::new(region.clone()));
    }
    if let Some(url) = &args.endpoint_url {
        config = config.endpoint_url(url);
    }
    config
}

/// Why the input was rejected.
#[derive(Debug)]
enum Invalid {
    /// A flag's value could not be read (shorthand syntax, JSON, `file://`).
    Flag(FlagError),
    /// The request breaks STS's rules.
    Request(Vec<String>),
    /// No MFA code was entered.
    NoTokenCode,
    /// Flags that describe the request, given in profile mode, where the profile does.
    NeedsRoleArn {
        /// The flags, as typed.
        flags: Vec<&'static str>,
        /// The profile.
        profile: String,
    },
    /// Flags of profile mode, given with `--role-arn`.
    ProfileModeOnly(Vec<&'static str>),
    /// Neither `--role-arn` nor `--profile`.
    NoRole,
    /// The profile cannot be used.
    Profile(ProfileError),
}

/// The request the flags describe, with `code` as its MFA code when one was asked for,
/// checked against every STS rule.
fn request_from(args: &Args, code: Option<&str>) -> Result<AssumeRoleRequest, Invalid> {
    let policy_arns = policy_arns(&args.policy_arns).map_err(Invalid::Flag)?;
    let tags = shorthand::structures("--tags", &args.tags, ["Key", "Value"]);
    let tags = tags.map_err(Invalid::Flag)?;
    let transitive_tag_keys =
        shorthand::strings("--transitive-tag-keys", &args.transitive_tag_keys)
            .map_err(Invalid::Flag)?;
    let provided_contexts = shorthand::structures(
        "--provided-contexts",
        &args.provided_contexts,
        ["ProviderArn", "ContextAssertion"],
    )
    .map_err(Invalid::Flag)?;
    let policy = args
        .policy
        .as_deref()
        .map(read_policy)
        .transpose()
        .map_err(Invalid::Flag)?;

    // Both are required with `--role-arn` (clap checks it); an empty one is reported as
    // invalid like any other bad value.
    let mut builder = AssumeRoleRequest::builder(
        args.role_arn.as_deref().unwrap_or_default(),
        args.role_session_name.as_deref().unwrap_or_default(),
    );
    for arn in policy_arns {
        builder = builder.policy_arn(arn);
    }
    for [key, value] in tags {
        builder = builder.tag(key, value);
    }
    for key in transitive_tag_keys {
        builder = builder.transitive_tag_key(key);
    }
    for [provider_arn, context_assertion] in provided_contexts {
        builder = builder.provided_context(provider_arn, context_assertion);
    }
    if let Some(policy) = policy {
        builder = builder.policy(policy);
    }
    if let Some(seconds) = args.duration_seconds {
        builder = builder.duration(std::time::Duration::from_secs(u64::from(seconds)));
    }
    if let Some(id) = &args.external_id {
        builder = builder.external_id(id);
    }
    if let Some(serial) = &args.serial_number {
        builder = builder.serial_number(serial);
    }
    if let Some(code) = args.token_code.as_deref().or(code) {
        builder = builder.token_code(code);
    }
    if let Some(identity) = &args.source_identity {
        builder = builder.source_identity(identity);
    }
    if let Some(bytes) = args.minimum_session_token_size {
        builder = builder.minimum_session_token_size(bytes);
    }
    builder
        .build()
        .map_err(|errors| Invalid::Request(errors.iter().map(ToString::to_string).collect()))
}

/// `--policy-arns`: bare ARNs, the CLI's shorthand `arn=ARN`, or JSON.
fn policy_arns(values: &[String]) -> Result<Vec<String>, FlagError> {
    let mut arns = Vec::new();
    for (i, value) in values.iter().enumerate() {
        if value.starts_with("arn:") {
            arns.push(value.clone());
        } else {
            let parsed = shorthand::structures_in("--policy-arns", i + 1, value, ["arn"])?;
            arns.extend(parsed.into_iter().map(|[arn]| arn));
        }
    }
    Ok(arns)
}

/// `--policy`: the JSON itself, or `file://PATH`.
fn read_policy(value: &str) -> Result<String, FlagError> {
    match value.strip_prefix("file://") {
        Some(path) => std::fs::read_to_string(path).map_err(|e| FlagError {
            flag: "--policy",
            message: format!("cannot read {value}: {e}"),
        }),
        None => Ok(value.to_owned()),
    }
}

/// Asks for an MFA code on stderr and reads it from stdin (a terminal or a pipe).
fn ask_token_code(serial: &str, io: &mut Io<'_>) -> Result<TokenCode, Invalid> {
    read_token_code(&format!("MFA code for {serial}: "), io)
}

/// Writes `question` to stderr and reads a code from a line of stdin.
fn read_token_code(question: &str, io: &mut Io<'_>) -> Result<TokenCode, Invalid> {
    let (input, output): (&mut dyn BufRead, &mut dyn Write) = match &mut io.terminal {
        Some(terminal) => (&mut *terminal.input, &mut *terminal.output),
        None => (&mut *io.stdin, &mut *io.stderr),
    };
    // A prompt that cannot be written is no reason to stop: the code may come from a pipe.
    let _ = output.write_all(question.as_bytes());
    let _ = output.flush();
    let mut line = String::new();
    match input.read_line(&mut line) {
        Ok(0) | Err(_) => Err(Invalid::NoTokenCode),
        Ok(_) => TokenCode::new(line).map_err(|e| Invalid::Request(vec![e.to_string()])),
    }
}

fn report_invalid(invalid: &Invalid, io: &mut Io<'_>) -> ExitCode {
    let _ = match invalid {
        Invalid::Flag(e) => writeln!(io.stderr, "assume-role: {e}"),
        Invalid::Request(problems) => {
            let mut text = String::from("assume-role: invalid request:\n");
            for problem in problems {
                text.push_str(&format!("  {problem}\n"));
            }
            io.stderr.write_all(text.as_bytes())
        }
        Invalid::NoTokenCode => writeln!(io.stderr, "\nassume-role: no MFA code entered"),
        Invalid::NeedsRoleArn { flags, profile } => writeln!(
            io.stderr,
            "assume-role: {} only with --role-arn; without it, profile `{profile}` describes the role to assume",
            describe_flags(flags),
        ),
        Invalid::ProfileModeOnly(flags) => writeln!(
            io.stderr,
            "assume-role: {} only in profile mode (--profile without --role-arn)",
            describe_flags(flags),
        ),
        Invalid::NoRole => writeln!(io.stderr, "assume-role: give --role-arn or --profile"),
        Invalid::Profile(e) => io.stderr.write_all(error_text(e).as_bytes()),
    };
    ExitCode::from(INVALID_INPUT)
}

/// `--tags applies`, `--tags and --policy apply`, `--tags, --policy and --external-id apply`.
fn describe_flags(flags: &[&str]) -> String {
    match flags {
        [] => String::from("nothing applies"),
        [one] => format!("{one} applies"),
        [init @ .., last] => format!("{} and {last} apply", init.join(", ")),
    }
}

/// Prints `assume-role: ` and the error, then each cause on its own line.
fn fail(error: &dyn std::error::Error, io: &mut Io<'_>) -> ExitCode {
    let _ = io.stderr.write_all(error_text(error).as_bytes());
    ExitCode::FAILURE
}

/// `assume-role: ` and the error, then each cause on its own line.
fn error_text(error: &dyn std::error::Error) -> String {
    let mut text = format!("assume-role: {error}\n");
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!("  caused by: {cause}\n"));
        source = cause.source();
    }
    text
}
