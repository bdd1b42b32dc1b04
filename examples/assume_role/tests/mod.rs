//! The CLI end to end against the crate's mock STS, with buffers for stdin, stdout and stderr
//! and a configuration that reads nothing from the machine. This module holds what the tests
//! share; the tests are in its children, by behaviour.

#[path = "../../../tests/common/example_binary.rs"]
mod example_binary;
mod exec;
mod flags;
mod mfa;
mod output;
mod profile_mode;
mod profile_sources;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use aws_config::{BehaviorVersion, ConfigLoader};
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use clap::Parser;
use serde_json::Value;
use sts_assume_role::cache::FileCache;
use sts_assume_role::mfa::MfaDevices;
use sts_assume_role::profile::Environment;
use sts_assume_role::test_util::MockSts;
use tempfile::TempDir;

// `Output` and `request_from` are for the children (`super::Output`, `request_from`).
use super::{Args, Host, Io, Output, Terminal, request_from, run};

const ROLE: &str = "arn:aws:iam::123456789012:role/deploy";
/// The MFA device of every test. Each run has an MFA device registry of its own
/// ([`MfaDevices::new`]), as each process of the program has, so tests running in parallel
/// do not share the codes used or the turn to ask.
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/mock-user";

/// What a run printed, and how it ended.
struct Outcome {
    code: ExitCode,
    stdout: String,
    stderr: String,
}

/// Signs with the mock's source credentials; no environment variable or file of this machine
/// is read. `profiles` is the content of the AWS config file.
fn config(mock: &MockSts, profiles: &str) -> ConfigLoader {
    let files = EnvConfigFiles::builder()
        .with_contents(EnvConfigFileKind::Config, profiles)
        .build();
    aws_config::defaults(BehaviorVersion::latest())
        .empty_test_environment()
        .profile_files(files)
        .credentials_provider(mock.source_credentials())
}

fn args(argv: &[&str]) -> Args {
    Args::try_parse_from(std::iter::once("assume-role").chain(argv.iter().copied()))
        .expect("the arguments parse")
}

/// Runs the CLI with `argv` against the mock (by `--endpoint-url`), `stdin` as its input.
async fn run_against(mock: &MockSts, argv: &[&str], stdin: &str) -> Outcome {
    let url = mock.endpoint_url();
    let mut all = vec!["--endpoint-url", &url, "--region", "us-east-1"];
    all.extend_from_slice(argv);
    run_with(args(&all), config(mock, "[default]\n"), stdin).await
}

/// Runs with `config` and nothing else of the machine: no environment variable, no cache.
async fn run_with(args: Args, config: ConfigLoader, stdin: &str) -> Outcome {
    let host = Host {
        config,
        env: Environment::from_vars::<&str, &str>([]),
        default_cache: None,
        devices: MfaDevices::new(),
    };
    run_on(args, host, stdin).await
}

async fn run_on(args: Args, host: Host, stdin: &str) -> Outcome {
    run_at_terminal(args, host, stdin, None).await.0
}

/// Runs with `terminal` as the terminal MFA codes are asked for on (its input, and what the
/// program showed on it), or none.
async fn run_at_terminal(
    args: Args,
    host: Host,
    stdin: &str,
    terminal: Option<&str>,
) -> (Outcome, String) {
    let (mut stdout, mut stderr, mut shown) = (Vec::new(), Vec::new(), Vec::new());
    let mut terminal_input = terminal.unwrap_or_default().as_bytes();
    let code = run(
        args,
        host,
        &mut Io {
            stdin: &mut stdin.as_bytes(),
            stdout: &mut stdout,
            stderr: &mut stderr,
            terminal: terminal.map(|_| Terminal {
                input: &mut terminal_input,
                output: &mut shown,
            }),
        },
    )
    .await;
    let outcome = Outcome {
        code,
        stdout: String::from_utf8(stdout).expect("utf-8"),
        stderr: String::from_utf8(stderr).expect("utf-8"),
    };
    (outcome, String::from_utf8(shown).expect("utf-8"))
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("stdout is JSON")
}

/// A config file in a temporary directory with a role profile `admin`, assumed with the keys
/// of profile `base` (the mock's source credentials), and the environment that points the
/// profile reader at it. `Host::default_cache` is a directory of its own, `default-cache`.
struct Profiles {
    dir: TempDir,
    contents: String,
    env: Environment,
}

impl Profiles {
    fn new(mock: &MockSts, admin: &str) -> Self {
        let keys = mock.source_credentials();
        Self::with_base(
            admin,
            &format!(
                "aws_access_key_id = {}\naws_secret_access_key = {}\n",
                keys.access_key_id(),
                keys.secret_access_key(),
            ),
        )
    }

    /// Role profile `admin` (with `admin` added) over profile `base`, which holds `base`.
    fn with_base(admin: &str, base: &str) -> Self {
        let contents = format!(
            "[profile admin]\nrole_arn = {ROLE}\nsource_profile = base\n{admin}\n\n\
             [profile base]\n{base}\n"
        );
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = dir.path().join("config");
        std::fs::write(&config, &contents).expect("write the config file");
        let credentials = dir.path().join("credentials"); // never created
        let env = Environment::from_vars([
            ("AWS_CONFIG_FILE", config.to_str().expect("utf-8")),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                credentials.to_str().expect("utf-8"),
            ),
        ]);
        Self { dir, contents, env }
    }

    /// A directory for `--cache-dir`.
    fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    fn default_cache_dir(&self) -> PathBuf {
        self.dir.path().join("default-cache")
    }

    /// Runs `--profile admin` and `argv` against the mock, `stdin` as input.
    async fn run(&self, mock: &MockSts, argv: &[&str], stdin: &str) -> Outcome {
        let url = mock.endpoint_url();
        let mut all = vec![
            "--endpoint-url",
            &url,
            "--region",
            "us-east-1",
            "--profile",
            "admin",
        ];
        all.extend_from_slice(argv);
        let host = Host {
            config: config(mock, &self.contents),
            env: self.env.clone(),
            default_cache: Some(FileCache::new(self.default_cache_dir())),
            devices: MfaDevices::new(),
        };
        run_on(args(&all), host, stdin).await
    }
}

/// The `credential_process` answer on `stdout`, checked: exactly its five members, Version 1,
/// and an RFC 3339 expiry after `now`. Returns the access key ID.
fn credential_process_answer(stdout: &str, now: SystemTime) -> String {
    let value = json(stdout);
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "AccessKeyId",
            "Expiration",
            "SecretAccessKey",
            "SessionToken",
            "Version"
        ]
    );
    assert_eq!(value["Version"], 1);
    let expiration = value["Expiration"]
        .as_str()
        .expect("Expiration is a string");
    let expiration = DateTime::from_str(expiration, Format::DateTime).expect("RFC 3339");
    let expiration = SystemTime::try_from(expiration).expect("a system time");
    assert!(expiration > now, "Expiration {expiration:?} is in the past");
    for member in ["SecretAccessKey", "SessionToken"] {
        assert!(
            value[member].as_str().is_some_and(|v| !v.is_empty()),
            "{member}"
        );
    }
    value["AccessKeyId"]
        .as_str()
        .expect("AccessKeyId")
        .to_owned()
}
