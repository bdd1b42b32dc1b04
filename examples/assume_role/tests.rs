//! The CLI end to end against the crate's mock STS, with buffers for stdin, stdout and stderr
//! and a configuration that reads nothing from the machine.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use aws_config::{BehaviorVersion, ConfigLoader};
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use clap::{CommandFactory, Parser};
use serde_json::Value;
use sts_assume_role::AssumeRoleRequest;
use sts_assume_role::cache::{FileCache, cli_cache_key};
use sts_assume_role::profile::Environment;
use sts_assume_role::test_util::{Action, ManualClock, MockSts};
use tempfile::TempDir;

use super::{Args, Host, Io, Terminal, request_from, run};

const ROLE: &str = "arn:aws:iam::123456789012:role/deploy";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/mock-user";
const PROVIDER: &str = "arn:aws:iam::aws:contextProvider/IdentityCenter";

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

#[test]
fn the_flag_definitions_are_consistent() {
    Args::command().debug_assert();
}

#[test]
fn every_flag_is_read_into_the_request() {
    let path = std::env::temp_dir().join(format!("assume-role-policy-{}.json", std::process::id()));
    let policy = concat!(
        r#"{"Version":"2012-10-17","Statement":"#,
        r#"[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
    );
    std::fs::write(&path, policy).expect("write the policy file");
    let policy_flag = format!("file://{}", path.display());
    let args = args(&[
        "--role-arn",
        ROLE,
        "--role-session-name",
        "alice",
        "--policy-arns",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn=arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        "--policy",
        &policy_flag,
        "--duration-seconds",
        "1800",
        "--tags",
        "Key=team,Value=platform",
        "Key=cost center,Value='4 2'",
        r#"[{"Key": "env", "Value": "prod"}]"#,
        "--transitive-tag-keys",
        "team",
        "env",
        "--external-id",
        "ext-123",
        "--serial-number",
        SERIAL,
        "--token-code",
        "123456",
        "--source-identity",
        "alice@example.com",
        "--provided-contexts",
        &format!("ProviderArn={PROVIDER},ContextAssertion=c2lnbmVk=="),
        "--profile",
        "dev",
        "--output",
        "credential-process",
    ]);
    assert_eq!(args.profile.as_deref(), Some("dev"));
    assert_eq!(args.output, super::Output::CredentialProcess);

    let request = request_from(&args);
    std::fs::remove_file(&path).expect("remove the policy file");
    let request = request.expect("a valid request");
    assert_eq!(request.role_arn().as_str(), ROLE);
    assert_eq!(request.session_name().as_str(), "alice");
    let arns: Vec<&str> = request.policy_arns().iter().map(|a| a.as_str()).collect();
    assert_eq!(
        arns,
        [
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
        ]
    );
    assert_eq!(request.policy().map(|p| p.as_str()), Some(policy));
    assert_eq!(request.duration().map(|d| d.as_secs()), Some(1800));
    let tags: Vec<(&str, &str)> = request
        .tags()
        .iter()
        .map(|t| (t.key().as_str(), t.value().as_str()))
        .collect();
    assert_eq!(
        tags,
        [
            ("team", "platform"),
            ("cost center", "4 2"),
            ("env", "prod")
        ]
    );
    let transitive: Vec<&str> = request
        .transitive_tag_keys()
        .iter()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(transitive, ["team", "env"]);
    assert_eq!(request.external_id().map(|v| v.as_str()), Some("ext-123"));
    assert_eq!(request.serial_number().map(|v| v.as_str()), Some(SERIAL));
    assert_eq!(request.token_code().map(|v| v.expose()), Some("123456"));
    assert_eq!(
        request.source_identity().map(|v| v.as_str()),
        Some("alice@example.com")
    );
    let contexts: Vec<(&str, &str)> = request
        .provided_contexts()
        .iter()
        .map(|c| (c.provider_arn().as_str(), c.context_assertion().as_str()))
        .collect();
    assert_eq!(contexts, [(PROVIDER, "c2lnbmVk==")]);
}

#[test]
fn output_defaults_to_json_and_takes_the_cli_names() {
    let base = ["--role-arn", ROLE, "--role-session-name", "s1"];
    assert_eq!(args(&base).output, super::Output::Json);
    for (name, output) in [
        ("json", super::Output::Json),
        ("env", super::Output::Env),
        ("credential-process", super::Output::CredentialProcess),
    ] {
        let mut argv = base.to_vec();
        argv.extend(["--output", name]);
        assert_eq!(args(&argv).output, output);
    }
}

#[tokio::test]
async fn the_flags_reach_sts_on_the_wire() {
    let mock = MockSts::start().await;
    let provided = format!("ProviderArn={PROVIDER},ContextAssertion=c2lnbmVk");
    let out = run_against(
        &mock,
        &[
            "--role-arn",
            ROLE,
            "--role-session-name",
            "alice",
            "--policy-arns",
            "arn=arn:aws:iam::aws:policy/ReadOnlyAccess",
            "--tags",
            "Key=team,Value=platform",
            "--transitive-tag-keys",
            "team",
            "--duration-seconds",
            "900",
            "--external-id",
            "ext-123",
            "--source-identity",
            "alice",
            "--provided-contexts",
            &provided,
        ],
        "",
    )
    .await;
    assert_eq!(out.code, ExitCode::SUCCESS, "{}", out.stderr);
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    for (name, value) in [
        ("RoleArn", ROLE),
        ("RoleSessionName", "alice"),
        (
            "PolicyArns.member.1.arn",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
        ),
        ("Tags.member.1.Key", "team"),
        ("Tags.member.1.Value", "platform"),
        ("TransitiveTagKeys.member.1", "team"),
        ("DurationSeconds", "900"),
        ("ExternalId", "ext-123"),
        ("SourceIdentity", "alice"),
        ("ProvidedContexts.member.1.ProviderArn", PROVIDER),
        ("ProvidedContexts.member.1.ContextAssertion", "c2lnbmVk"),
    ] {
        assert_eq!(sent.param(name), Some(value), "{name}");
    }
}

#[tokio::test]
async fn invalid_input_exits_2_naming_every_parameter_and_sends_nothing() {
    let mock = MockSts::start().await;
    let out = run_against(
        &mock,
        &[
            "--role-arn",
            ROLE,
            "--role-session-name",
            "x",
            "--duration-seconds",
            "60",
            "--tags",
            "Key=team,Value=platform",
            "--transitive-tag-keys",
            "env",
        ],
        "",
    )
    .await;
    assert_eq!(out.code, ExitCode::from(2));
    assert_eq!(out.stdout, "");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines[0], "assume-role: invalid request:");
    assert_eq!(lines.len(), 4, "{}", out.stderr);
    assert!(lines[1].contains("RoleSessionName: "), "{}", lines[1]);
    assert!(lines[2].contains("DurationSeconds: "), "{}", lines[2]);
    assert!(
        lines[3].contains("TransitiveTagKeys.member.1: "),
        "{}",
        lines[3]
    );
    assert_eq!(mock.calls(Action::AssumeRole), 0);
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn unreadable_flag_values_exit_2_naming_the_flag_and_send_nothing() {
    let mock = MockSts::start().await;
    let cases: [(&[&str], &str); 5] = [
        (
            &["--tags", "Key=team"],
            "assume-role: --tags: value 1: missing Value=",
        ),
        (
            &["--tags", "Key=a,Value=b", "team"],
            "assume-role: --tags: value 2: ",
        ),
        (
            &["--provided-contexts", "ProviderArn=arn:aws:iam::aws:x"],
            "assume-role: --provided-contexts: value 1: missing ContextAssertion=",
        ),
        (
            &["--policy-arns", "ReadOnlyAccess"],
            "assume-role: --policy-arns: value 1: ",
        ),
        (
            &["--policy", "file://does/not/exist.json"],
            "assume-role: --policy: cannot read file://does/not/exist.json: ",
        ),
    ];
    for (extra, expected) in cases {
        let mut argv = vec!["--role-arn", ROLE, "--role-session-name", "alice"];
        argv.extend_from_slice(extra);
        let out = run_against(&mock, &argv, "").await;
        assert_eq!(out.code, ExitCode::from(2), "{extra:?}");
        assert!(
            out.stderr.starts_with(expected),
            "{extra:?}: {}",
            out.stderr
        );
        assert_eq!(out.stdout, "");
    }
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn json_output_is_the_aws_clis_key_for_key() {
    let mock = MockSts::builder()
        .time_source(ManualClock::default())
        .start()
        .await;
    let out = run_against(
        &mock,
        &[
            "--role-arn",
            ROLE,
            "--role-session-name",
            "alice",
            "--policy-arns",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "--source-identity",
            "alice",
        ],
        "",
    )
    .await;
    assert_eq!(out.code, ExitCode::SUCCESS, "{}", out.stderr);
    let issued = mock
        .issued()
        .pop()
        .expect("credentials issued")
        .credentials();
    let value = json(&out.stdout);
    let user = &value["AssumedRoleUser"];
    let packed = value["PackedPolicySize"]
        .as_u64()
        .expect("PackedPolicySize");
    let expected = format!(
        r#"{{
    "Credentials": {{
        "AccessKeyId": "{}",
        "SecretAccessKey": "{}",
        "SessionToken": "{}",
        "Expiration": "2026-01-01T01:00:00+00:00"
    }},
    "AssumedRoleUser": {{
        "AssumedRoleId": "{}",
        "Arn": "arn:aws:sts::123456789012:assumed-role/deploy/alice"
    }},
    "PackedPolicySize": {packed},
    "SourceIdentity": "alice"
}}
"#,
        issued.access_key_id(),
        issued.secret_access_key(),
        issued.session_token().expect("a session token"),
        user["AssumedRoleId"].as_str().expect("AssumedRoleId"),
    );
    assert_eq!(out.stdout, expected);
    assert!(
        user["AssumedRoleId"]
            .as_str()
            .is_some_and(|id| id.ends_with(":alice"))
    );
    assert_eq!(out.stderr, "");
}

#[tokio::test]
async fn json_output_leaves_out_what_sts_did_not_send() {
    let mock = MockSts::start().await;
    let out = run_against(
        &mock,
        &["--role-arn", ROLE, "--role-session-name", "alice"],
        "",
    )
    .await;
    assert_eq!(out.code, ExitCode::SUCCESS, "{}", out.stderr);
    let value = json(&out.stdout);
    let keys: Vec<&String> = value.as_object().expect("an object").keys().collect();
    assert_eq!(keys.len(), 2);
    assert!(value.get("Credentials").is_some() && value.get("AssumedRoleUser").is_some());
}

#[tokio::test]
async fn credential_process_output_is_version_1_with_the_issued_credentials() {
    let mock = MockSts::builder()
        .time_source(ManualClock::default())
        .start()
        .await;
    let out = run_against(
        &mock,
        &[
            "--role-arn",
            ROLE,
            "--role-session-name",
            "alice",
            "--duration-seconds",
            "900",
            "--output",
            "credential-process",
        ],
        "",
    )
    .await;
    assert_eq!(out.code, ExitCode::SUCCESS, "{}", out.stderr);
    let issued = mock
        .issued()
        .pop()
        .expect("credentials issued")
        .credentials();
    let value = json(&out.stdout);
    let keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 5, "{keys:?}");
    assert_eq!(value["Version"], 1);
    assert_eq!(value["AccessKeyId"], issued.access_key_id());
    assert_eq!(value["SecretAccessKey"], issued.secret_access_key());
    assert_eq!(
        value["SessionToken"],
        issued.session_token().expect("a session token")
    );
    assert_eq!(value["Expiration"], "2026-01-01T00:15:00Z");
}

#[tokio::test]
async fn env_output_exports_the_credentials_for_a_shell() {
    let mock = MockSts::builder()
        .time_source(ManualClock::default())
        .start()
        .await;
    let out = run_against(
        &mock,
        &[
            "--role-arn",
            ROLE,
            "--role-session-name",
            "alice",
            "--output",
            "env",
        ],
        "",
    )
    .await;
    assert_eq!(out.code, ExitCode::SUCCESS, "{}", out.stderr);
    let issued = mock
        .issued()
        .pop()
        .expect("credentials issued")
        .credentials();
    let quote = super::output::sh_quote;
    let expected = format!(
        "export AWS_ACCESS_KEY_ID={}\n\
         export AWS_SECRET_ACCESS_KEY={}\n\
         export AWS_SESSION_TOKEN={}\n\
         export AWS_CREDENTIAL_EXPIRATION=2026-01-01T01:00:00Z\n",
        quote(issued.access_key_id()),
        quote(issued.secret_access_key()),
        quote(issued.session_token().expect("a session token")),
    );
    assert_eq!(out.stdout, expected);
}

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
async fn an_sts_error_exits_1_with_the_error_and_its_causes_on_stderr() {
    let mock = MockSts::start().await;
    mock.require_mfa(ROLE);
    let out = run_against(
        &mock,
        &["--role-arn", ROLE, "--role-session-name", "alice"],
        "",
    )
    .await;
    assert_eq!(out.code, ExitCode::FAILURE);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .starts_with("assume-role: STS returned AccessDenied (HTTP 403)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("\n  caused by: "), "{}", out.stderr);
}

#[tokio::test]
async fn the_profile_flag_picks_the_profile_from_the_config_files() {
    let mock = MockSts::start().await;
    let profiles = format!(
        "[default]\nregion = eu-west-1\n\n[profile mock]\nregion = us-east-1\nendpoint_url = {}\n",
        mock.endpoint_url()
    );
    let argv = ["--role-arn", ROLE, "--role-session-name", "alice"];
    let mut with_profile = argv.to_vec();
    with_profile.extend(["--profile", "mock"]);
    let out = run_with(args(&with_profile), config(&mock, &profiles), "").await;
    assert_eq!(out.code, ExitCode::SUCCESS, "{}", out.stderr);
    assert_eq!(mock.calls(Action::AssumeRole), 1);
}

#[test]
fn role_arn_needs_a_session_name_and_one_of_role_arn_or_profile_is_needed() {
    let parse = |argv: &[&str]| {
        Args::try_parse_from(std::iter::once("assume-role").chain(argv.iter().copied()))
    };
    for argv in [
        &["--role-arn", ROLE][..],
        &[],
        &["--role-session-name", "alice"],
    ] {
        let error = parse(argv).expect_err("refused");
        assert_eq!(error.exit_code(), 2, "{argv:?}");
        assert!(error.to_string().contains("required"), "{argv:?}: {error}");
    }
    let error =
        parse(&["--profile", "admin", "--cache-dir", "c", "--no-cache"]).expect_err("refused");
    assert_eq!(error.exit_code(), 2);
    let profile_mode = parse(&["--profile", "admin"]).expect("profile mode parses");
    assert!(profile_mode.role_arn.is_none() && profile_mode.role_session_name.is_none());
}

// Profile mode. Each test has its own MFA device: the crate remembers used codes per device
// for the whole process, and the tests run in parallel in one.

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
        let contents = format!(
            "[profile admin]\nrole_arn = {ROLE}\nsource_profile = base\n{admin}\n\n\
             [profile base]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            keys.access_key_id(),
            keys.secret_access_key(),
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
        };
        run_on(args(&all), host, stdin).await
    }
}

fn serial(device: &str) -> String {
    format!("arn:aws:iam::123456789012:mfa/{device}")
}

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

#[tokio::test]
async fn profile_mode_asks_for_the_mfa_code_once_then_serves_the_cache() {
    let serial = serial("profile-cache");
    let mock = MockSts::builder().mfa_code("654321").start().await;
    mock.require_mfa(ROLE);
    let profiles = Profiles::new(&mock, &format!("mfa_serial = {serial}"));
    let cache_dir = profiles.cache_dir();
    let cache_flag = cache_dir.to_str().expect("utf-8");
    let argv = ["--cache-dir", cache_flag, "--output", "credential-process"];

    let first = profiles.run(&mock, &argv, "654321\n").await;
    assert_eq!(first.code, ExitCode::SUCCESS, "{}", first.stderr);
    assert_eq!(
        first.stderr,
        format!("MFA code for {serial} (to assume {ROLE}): ")
    );
    assert!(!first.stdout.contains("MFA code"));
    assert!(!first.stdout.contains("654321") && !first.stderr.contains("654321"));
    let sent = mock.requests().pop().expect("one request");
    assert_eq!(sent.param("RoleArn"), Some(ROLE));
    assert_eq!(sent.param("SerialNumber"), Some(serial.as_str()));
    assert_eq!(sent.param("TokenCode"), Some("654321"));
    let issued = mock
        .issued()
        .pop()
        .expect("credentials issued")
        .credentials();
    let access_key = credential_process_answer(&first.stdout, mock.now());
    assert_eq!(access_key, issued.access_key_id());

    // The entry is where the AWS CLI would look for this profile's role.
    let request = AssumeRoleRequest::builder()
        .role_arn(ROLE)
        .generated_session_name()
        .serial_number(serial.as_str())
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
async fn profile_mode_credential_process_output_is_version_1_and_nothing_else() {
    let mock = MockSts::start().await;
    let profiles = Profiles::new(&mock, "duration_seconds = 900");
    let out = profiles
        .run(&mock, &["--no-cache", "--output", "credential-process"], "")
        .await;
    assert_eq!(out.code, ExitCode::SUCCESS, "{}", out.stderr);
    assert_eq!(out.stderr, "");
    let issued = mock
        .issued()
        .pop()
        .expect("credentials issued")
        .credentials();
    let value = json(&out.stdout);
    assert_eq!(
        credential_process_answer(&out.stdout, mock.now()),
        issued.access_key_id()
    );
    assert_eq!(value["SecretAccessKey"], issued.secret_access_key());
    assert_eq!(
        value["SessionToken"],
        issued.session_token().expect("a session token")
    );
    let sent = mock.requests().pop().expect("one request");
    assert_eq!(sent.param("DurationSeconds"), Some("900"));
    assert!(
        sent.param("RoleSessionName")
            .is_some_and(|name| name.starts_with("sts-assume-role-"))
    );
}

#[tokio::test]
async fn profile_mode_json_output_has_the_credentials_only() {
    let mock = MockSts::start().await;
    let profiles = Profiles::new(&mock, "role_session_name = alice");
    let out = profiles.run(&mock, &["--no-cache"], "").await;
    assert_eq!(out.code, ExitCode::SUCCESS, "{}", out.stderr);
    let value = json(&out.stdout);
    let keys: Vec<&String> = value.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["Credentials"]);
    let issued = mock
        .issued()
        .pop()
        .expect("credentials issued")
        .credentials();
    assert_eq!(value["Credentials"]["AccessKeyId"], issued.access_key_id());
    assert!(
        value["Credentials"]["Expiration"]
            .as_str()
            .is_some_and(|e| e.ends_with("+00:00"))
    );
    let sent = mock.requests().pop().expect("one request");
    assert_eq!(sent.param("RoleSessionName"), Some("alice"));
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

// On several threads, as `main` runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_mode_asks_again_when_sts_rejects_the_code() {
    let serial = serial("profile-rejected");
    let mock = MockSts::builder().mfa_code("654321").start().await;
    mock.require_mfa(ROLE);
    let profiles = Profiles::new(&mock, &format!("mfa_serial = {serial}"));
    let out = profiles
        .run(&mock, &["--no-cache"], "111111\n654321\n")
        .await;
    assert_eq!(out.code, ExitCode::SUCCESS, "{}", out.stderr);
    let question = format!("MFA code for {serial} (to assume {ROLE}): ");
    assert_eq!(
        out.stderr,
        format!("{question}STS rejected that code. {question}")
    );
    assert_eq!(mock.calls(Action::AssumeRole), 2);
}

#[tokio::test]
async fn profile_mode_without_or_with_a_malformed_mfa_code_exits_2_and_sends_nothing() {
    let serial = serial("profile-no-code");
    let mock = MockSts::start().await;
    let profiles = Profiles::new(&mock, &format!("mfa_serial = {serial}"));

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

#[tokio::test]
async fn a_missing_profile_exits_2_naming_it_and_sends_nothing() {
    let mock = MockSts::start().await;
    let profiles = Profiles::new(&mock, "");
    let url = mock.endpoint_url();
    let host = Host {
        config: config(&mock, &profiles.contents),
        env: profiles.env.clone(),
        default_cache: None,
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

#[tokio::test]
async fn profile_mode_refuses_the_flags_of_a_request() {
    let mock = MockSts::start().await;
    let profiles = Profiles::new(&mock, "");
    let out = profiles
        .run(&mock, &["--tags", "Key=team,Value=platform"], "")
        .await;
    assert_eq!(out.code, ExitCode::from(2));
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "assume-role: --tags applies only with --role-arn; without it, profile `admin` describes the role to assume\n"
    );

    let out = profiles
        .run(
            &mock,
            &[
                "--role-session-name",
                "alice",
                "--serial-number",
                SERIAL,
                "--token-code",
                "123456",
            ],
            "",
        )
        .await;
    assert_eq!(out.code, ExitCode::from(2));
    assert!(
        out.stderr.starts_with(
            "assume-role: --role-session-name, --serial-number and --token-code apply only with --role-arn"
        ),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("123456"));
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn role_arn_mode_refuses_the_cache_flags() {
    let mock = MockSts::start().await;
    let out = run_against(
        &mock,
        &[
            "--role-arn",
            ROLE,
            "--role-session-name",
            "alice",
            "--cache-dir",
            "somewhere",
        ],
        "",
    )
    .await;
    assert_eq!(out.code, ExitCode::from(2));
    assert_eq!(
        out.stderr,
        "assume-role: --cache-dir applies only in profile mode (--profile without --role-arn)\n"
    );
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

#[tokio::test]
async fn profile_mode_with_an_mfa_session_asks_once_for_many_role_sessions() {
    let serial = serial("profile-mfa-session");
    let mock = MockSts::builder().mfa_code("112233").start().await;
    mock.require_mfa(ROLE);
    let profiles = Profiles::new(&mock, &format!("mfa_serial = {serial}"));
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
    assert_eq!(first.stderr, format!("MFA code for {serial}: "));
    assert_eq!(mock.calls(Action::GetSessionToken), 1);

    // The role session is over (its entry gone); the MFA session is not.
    let role_entry = cache_dir.join(format!(
        "{}.json",
        cli_cache_key(
            &AssumeRoleRequest::builder()
                .role_arn(ROLE)
                .generated_session_name()
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
