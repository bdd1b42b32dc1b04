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
//! asks for an MFA code on stderr when `--serial-number` comes without `--token-code`.
//! Credentials go to stdout, everything else to stderr. Exit status: 0 on success, 1 when
//! STS fails, 2 for invalid input (nothing is sent then).

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use aws_config::{BehaviorVersion, ConfigLoader, Region};
use clap::Parser;
use sts_assume_role::AssumeRoleRequest;
use sts_assume_role::request::TokenCode;

#[path = "assume_role/output.rs"]
mod output;
#[path = "assume_role/shorthand.rs"]
mod shorthand;
#[cfg(test)]
#[path = "assume_role/tests.rs"]
mod tests;

use output::Output;
use shorthand::FlagError;

/// Assume an IAM role and print its temporary credentials, like `aws sts assume-role`.
#[derive(Debug, Parser)]
#[command(name = "assume-role", version)]
struct Args {
    /// The ARN of the role to assume.
    #[arg(long, value_name = "ARN")]
    role_arn: String,

    /// A name for the session: 2-64 characters of [A-Za-z0-9_+=,.@-].
    #[arg(long, value_name = "NAME")]
    role_session_name: String,

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

    /// Send requests to this URL instead of the STS endpoint.
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,

    /// The region to call STS in.
    #[arg(long, value_name = "REGION")]
    region: Option<String>,

    /// The profile of the AWS config files to sign with.
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,

    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Output::Json)]
    output: Output,
}

/// Where the program reads and writes, so tests can use buffers.
struct Io<'a> {
    stdin: &'a mut dyn BufRead,
    stdout: &'a mut dyn Write,
    stderr: &'a mut dyn Write,
}

/// Exit status for invalid input: nothing was sent.
const INVALID_INPUT: u8 = 2;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut io = Io {
        stdin: &mut io::stdin().lock(),
        stdout: &mut io::stdout().lock(),
        stderr: &mut io::stderr(),
    };
    run(
        args,
        aws_config::defaults(BehaviorVersion::latest()),
        &mut io,
    )
    .await
}

/// Checks the input, asks for an MFA code if needed, calls STS AssumeRole and prints the
/// credentials. `config` is where the caller's own configuration comes from (the default
/// chain in `main`; a fixed one in tests); `--profile`, `--region` and `--endpoint-url`
/// are applied to it.
async fn run(args: Args, config: ConfigLoader, io: &mut Io<'_>) -> ExitCode {
    // Everything is checked before any configuration is loaded or request sent.
    let request = match request_from(&args) {
        Ok(request) => request,
        Err(invalid) => return report_invalid(&invalid, io),
    };
    let request = match (request.serial_number(), request.token_code()) {
        (Some(serial), None) => match ask_token_code(serial.as_str(), io) {
            Ok(code) => request.with_token_code(code),
            Err(invalid) => return report_invalid(&invalid, io),
        },
        _ => request,
    };

    let sdk_config = with_flags(config, &args).load().await;
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
}

/// The request the flags describe, checked against every STS rule.
fn request_from(args: &Args) -> Result<AssumeRoleRequest, Invalid> {
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

    let mut builder = AssumeRoleRequest::builder()
        .role_arn(&args.role_arn)
        .role_session_name(&args.role_session_name)
        .policy_arns(policy_arns)
        .tags(tags.into_iter().map(|[key, value]| (key, value)))
        .transitive_tag_keys(transitive_tag_keys);
    for [provider_arn, context_assertion] in provided_contexts {
        builder = builder.provided_context(provider_arn, context_assertion);
    }
    if let Some(policy) = policy {
        builder = builder.policy(policy);
    }
    if let Some(seconds) = args.duration_seconds {
        builder = builder.duration_seconds(seconds);
    }
    if let Some(id) = &args.external_id {
        builder = builder.external_id(id);
    }
    if let Some(serial) = &args.serial_number {
        builder = builder.serial_number(serial);
    }
    if let Some(code) = &args.token_code {
        builder = builder.token_code(code.as_str());
    }
    if let Some(identity) = &args.source_identity {
        builder = builder.source_identity(identity);
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
    // A prompt that cannot be written is no reason to stop: the code may come from a pipe.
    let _ = write!(io.stderr, "MFA code for {serial}: ");
    let _ = io.stderr.flush();
    let mut line = String::new();
    match io.stdin.read_line(&mut line) {
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
    };
    ExitCode::from(INVALID_INPUT)
}

/// Prints `assume-role: ` and the error, then each cause on its own line.
fn fail(error: &dyn std::error::Error, io: &mut Io<'_>) -> ExitCode {
    let mut text = format!("assume-role: {error}\n");
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!("  caused by: {cause}\n"));
        source = cause.source();
    }
    let _ = io.stderr.write_all(text.as_bytes());
    ExitCode::FAILURE
}
