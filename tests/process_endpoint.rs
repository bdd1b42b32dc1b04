//! The credentials endpoint and the exports for child processes (#20), with real children: the
//! AWS CLI, and a Rust SDK program (`examples/child_identity.rs`) using the default chain.
//!
//! The AWS CLI is found through `STS_ASSUME_ROLE_AWS_CLI` (which `.ci/run` sets after installing
//! it into `target/aws-cli`) or on `PATH`. Without it these tests fail, saying how to install
//! it, unless `STS_ASSUME_ROLE_SKIP_AWS_CLI=1`: then they run with the Rust child only.

mod common;
#[path = "common/example_binary.rs"]
mod example_binary;

use std::collections::BTreeSet;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_async::time::{SystemTimeSource, TimeSource};
use common::Capture;
use sts_assume_role::mfa::TokenCode;
use sts_assume_role::mfa::{self, MfaContext, MfaError};
use sts_assume_role::process::{ChildEnv, CredentialsEndpoint};
use sts_assume_role::test_util::{Action, ManualClock, MockSts};
use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest, MfaSession};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::TcpStream;
use tokio::process::{ChildStdin, ChildStdout, Command};

const ROLE: &str = "arn:aws:iam::123456789012:role/deploy";
const ROLE_USER: &str = "arn:aws:sts::123456789012:assumed-role/deploy/child-test";

// ---------------------------------------------------------------------------------------------
// Children

/// The AWS CLI, or `None` when it is missing and `STS_ASSUME_ROLE_SKIP_AWS_CLI=1`.
fn aws_cli() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("STS_ASSUME_ROLE_AWS_CLI") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "STS_ASSUME_ROLE_AWS_CLI={} is not a file",
            path.display()
        );
        return Some(path);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("aws"))
            .find(|candidate| candidate.is_file())
    });
    if on_path.is_some() {
        return on_path;
    }
    if std::env::var("STS_ASSUME_ROLE_SKIP_AWS_CLI").as_deref() == Ok("1") {
        eprintln!(
            "AWS CLI not found: its half of this test is skipped (STS_ASSUME_ROLE_SKIP_AWS_CLI=1)"
        );
        return None;
    }
    panic!(
        "these tests run the AWS CLI as a child process, and it was not found. Install it with \
         `python3 -m venv target/aws-cli && target/aws-cli/bin/pip install awscli` and set \
         STS_ASSUME_ROLE_AWS_CLI=$PWD/target/aws-cli/bin/aws (as .ci/run does), or put `aws` on \
         PATH; or set STS_ASSUME_ROLE_SKIP_AWS_CLI=1 to run them with the Rust child only"
    );
}

/// The Rust child, `examples/child_identity.rs`, built once by cargo with this test's features.
fn rust_child() -> &'static Path {
    static CHILD: OnceLock<PathBuf> = OnceLock::new();
    CHILD.get_or_init(|| example_binary::build("child_identity"))
}

/// What a child's call said: `Ok(arn)` or `Err(message)`.
type Answer = Result<String, String>;

/// A hermetic environment for children: the mock as STS, empty profile files in a temporary
/// home, no instance metadata; then whatever a test adds.
struct Sandbox {
    home: tempfile::TempDir,
    sts_url: String,
}

impl Sandbox {
    fn new(mock: &MockSts) -> Self {
        let home = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(home.path().join("config"), "").expect("config file");
        std::fs::write(home.path().join("credentials"), "").expect("credentials file");
        Sandbox {
            home,
            sts_url: mock.endpoint_url(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }

    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("AWS_CONFIG_FILE", self.path("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.path("credentials"))
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1") // the AWS CLI v1's name
            .env("AWS_ENDPOINT_URL_STS", &self.sts_url)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// `aws sts get-caller-identity` in `command`'s environment.
    fn cli_command(&self, cli: &Path) -> Command {
        let mut command = self.command(cli);
        command.args([
            "sts",
            "get-caller-identity",
            "--query",
            "Arn",
            "--output",
            "text",
        ]);
        command
    }
}

/// Runs `aws sts get-caller-identity`; `Err` holds its standard error.
async fn run_cli(mut command: Command) -> Answer {
    let output = command.output().await.expect("the AWS CLI runs");
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

/// Runs the Rust child for one call.
async fn run_rust_child(mut command: Command) -> Answer {
    let mut child = command
        .arg("child")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the Rust child starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"\n").await.expect("a line to the child");
    drop(stdin);
    let output = child.wait_with_output().await.expect("the Rust child ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    parse_answer(stdout.trim())
}

fn parse_answer(line: &str) -> Answer {
    match line.split_once(' ') {
        Some(("ok", arn)) => Ok(arn.to_owned()),
        Some(("error", message)) => Err(message.to_owned()),
        _ => Err(format!("unexpected answer {line:?}")),
    }
}

/// A child process that runs until dropped, answering one call per line it is sent.
struct LongChild {
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    _child: tokio::process::Child,
}

impl LongChild {
    fn spawn(mut command: Command) -> Self {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the child starts");
        LongChild {
            stdin: child.stdin.take().expect("stdin"),
            stdout: BufReader::new(child.stdout.take().expect("stdout")).lines(),
            _child: child,
        }
    }

    /// Asks for one round of calls; returns the answers up to the line `end` (or the one line
    /// a Rust child answers).
    async fn ask(&mut self, until_end: bool) -> Vec<Answer> {
        self.stdin
            .write_all(b"\n")
            .await
            .expect("a line to the child");
        self.stdin.flush().await.expect("flushed");
        let mut answers = Vec::new();
        while let Some(line) = self.stdout.next_line().await.expect("the child's output") {
            if line == "end" {
                break;
            }
            answers.push(parse_answer(&line));
            if !until_end {
                break;
            }
        }
        answers
    }
}

/// A shell that runs throughout, and for each line it reads runs the Rust child and (when given)
/// the AWS CLI as its own children, then prints `end`: a script, as a person would start.
fn shell_driver(sandbox: &Sandbox, env: &ChildEnv, cli: Option<&Path>) -> LongChild {
    const SCRIPT: &str = r#"
while read -r _; do
    echo | "$0" child
    if [ -n "$1" ]; then
        if out=$("$1" sts get-caller-identity --query Arn --output text 2>&1); then
            echo "ok $out"
        else
            echo "error $(printf %s "$out" | tr '\n' ' ')"
        fi
    fi
    echo end
done
"#;
    let mut command = sandbox.command(Path::new("/bin/sh"));
    command
        .arg("-c")
        .arg(SCRIPT)
        .arg(rust_child())
        .arg(cli.map(Path::as_os_str).unwrap_or_default());
    env.apply(command.as_std_mut());
    LongChild::spawn(command)
}

// ---------------------------------------------------------------------------------------------
// Providers and HTTP

fn request() -> AssumeRoleRequest {
    AssumeRoleRequest::builder(ROLE, "child-test")
        .build()
        .expect("a valid request")
}

fn role_provider(mock: &MockSts) -> AssumeRoleProvider {
    AssumeRoleProvider::builder(request(), &mock.sdk_config())
        .build()
        .expect("a provider")
}

/// A provider that counts the calls it gets.
#[derive(Debug)]
struct Counting {
    inner: SharedCredentialsProvider,
    calls: Arc<AtomicUsize>,
}

impl Counting {
    fn new(inner: impl ProvideCredentials + 'static) -> (Self, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let counting = Counting {
            inner: SharedCredentialsProvider::new(inner),
            calls: Arc::clone(&calls),
        };
        (counting, calls)
    }
}

impl ProvideCredentials for Counting {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.provide_credentials()
    }
}

/// An MFA token source standing for a person: interactive, answering `123456`, counting the
/// questions.
fn counting_code(questions: &Arc<AtomicUsize>) -> impl mfa::TokenSource + use<> {
    let questions = Arc::clone(questions);
    mfa::from_fn(move |_: &MfaContext| {
        questions.fetch_add(1, Ordering::SeqCst);
        TokenCode::new("123456").map_err(MfaError::failed)
    })
}

fn token_of(endpoint: &CredentialsEndpoint) -> String {
    endpoint
        .child_env()
        .vars()
        .find(|(name, _)| *name == "AWS_CONTAINER_AUTHORIZATION_TOKEN")
        .map(|(_, token)| token.to_owned())
        .expect("the endpoint's token")
}

/// An HTTP/1.1 response, read whole.
struct Http {
    status: u16,
    head: String,
    body: String,
}

impl fmt::Debug for Http {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A 200's body holds credentials: not shown.
        match self.status {
            200 => write!(f, "200 (credentials)"),
            status => write!(f, "{status} {}", self.body),
        }
    }
}

/// Sends one request by hand, as a client that knows nothing of the protocol would.
async fn http(addr: SocketAddr, method: &str, path: &str, authorization: Option<&str>) -> Http {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(value) = authorization {
        request.push_str(&format!("Authorization: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    Http {
        status: head[9..12].parse().expect("a status code"),
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

fn capture_logs() -> (Capture, tracing::subscriber::DefaultGuard) {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .with_ansi(false)
        .finish();
    (
        capture.clone(),
        tracing::subscriber::set_default(subscriber),
    )
}

/// The access key IDs that signed `GetCallerIdentity` calls since request number `from`.
fn identity_keys_since(mock: &MockSts, from: usize) -> Vec<String> {
    mock.requests()
        .into_iter()
        .skip(from)
        .filter(|r| r.action == Some(Action::GetCallerIdentity))
        .filter_map(|r| r.access_key_id)
        .collect()
}

/// Children acting as the role through the endpoint, and what it answers.
mod through_the_endpoint {
    use super::*;

    #[tokio::test]
    async fn the_aws_cli_and_a_rust_sdk_child_act_as_the_role_through_the_endpoint() {
        let mock = MockSts::start().await;
        let provider = role_provider(&mock);
        let endpoint = CredentialsEndpoint::start(provider.clone()).expect("started");
        let sandbox = Sandbox::new(&mock);
        let env = endpoint.child_env();

        let mut rust = sandbox.command(rust_child());
        env.apply(rust.as_std_mut());
        assert_eq!(run_rust_child(rust).await, Ok(ROLE_USER.to_owned()));

        if let Some(cli) = aws_cli() {
            let mut command = sandbox.cli_command(&cli);
            env.apply(command.as_std_mut());
            assert_eq!(run_cli(command).await, Ok(ROLE_USER.to_owned()));
        }

        // Both signed with the provider's credentials, fetched once from STS.
        let current = provider.prefetch().await.expect("credentials");
        let keys = identity_keys_since(&mock, 0);
        assert!(!keys.is_empty());
        assert!(
            keys.iter().all(|key| key == current.access_key_id()),
            "{keys:?}"
        );
        assert_eq!(mock.calls(Action::AssumeRole), 1);
    }

    #[tokio::test]
    async fn the_endpoint_answers_the_providers_credentials_as_the_ecs_agent_writes_them() {
        let mock = MockSts::start().await;
        let provider = role_provider(&mock);
        let endpoint = CredentialsEndpoint::start(provider.clone()).expect("started");
        let token = token_of(&endpoint);

        let answer = http(endpoint.local_addr(), "GET", "/", Some(&token)).await;
        assert_eq!(answer.status, 200, "{answer:?}");
        assert!(
            answer
                .head
                .to_ascii_lowercase()
                .contains("content-type: application/json")
        );
        assert!(
            answer
                .head
                .to_ascii_lowercase()
                .contains("cache-control: no-store")
        );
        let json: serde_json::Value = serde_json::from_str(&answer.body).expect("JSON");
        let held = provider.prefetch().await.expect("credentials");
        assert_eq!(json["AccessKeyId"], held.access_key_id());
        assert_eq!(json["SecretAccessKey"], held.secret_access_key());
        assert_eq!(
            json["Token"],
            held.session_token().expect("a session token")
        );
        assert_eq!(json["AccountId"], "123456789012");
        // ISO 8601 in UTC, whole seconds, never later than the real expiry.
        let expiration = json["Expiration"].as_str().expect("Expiration");
        assert!(
            expiration.len() == 20 && expiration.ends_with('Z'),
            "{expiration}"
        );
        let parsed = aws_smithy_types::DateTime::from_str(
            expiration,
            aws_smithy_types::date_time::Format::DateTime,
        )
        .expect("RFC 3339");
        let expiry = aws_smithy_types::DateTime::from(held.expiry().expect("an expiry"));
        assert!(parsed.secs() <= expiry.secs() && expiry.secs() - parsed.secs() < 1);
        // The URL given to children is this one.
        let url = endpoint
            .child_env()
            .vars()
            .find(|(name, _)| *name == "AWS_CONTAINER_CREDENTIALS_FULL_URI")
            .map(|(_, url)| url.to_owned());
        assert_eq!(url, Some(format!("http://{}/", endpoint.local_addr())));
        assert_eq!(
            mock.calls(Action::AssumeRole),
            1,
            "served from the provider's cache"
        );
    }

    #[tokio::test]
    async fn concurrent_requests_are_all_served_from_the_providers_cache() {
        let mock = MockSts::start().await;
        let (counting, calls) = Counting::new(role_provider(&mock));
        let endpoint = CredentialsEndpoint::start(counting).expect("started");
        let token = token_of(&endpoint);
        let addr = endpoint.local_addr();
        let requests: Vec<_> = (0..50)
            .map(|_| {
                let token = token.clone();
                tokio::spawn(async move { http(addr, "GET", "/", Some(&token)).await })
            })
            .collect();
        let mut keys = BTreeSet::new();
        for request in requests {
            let answer = request.await.expect("served");
            assert_eq!(answer.status, 200, "{answer:?}");
            let json: serde_json::Value = serde_json::from_str(&answer.body).expect("JSON");
            keys.insert(json["AccessKeyId"].as_str().expect("a key").to_owned());
        }
        assert_eq!(keys.len(), 1);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            50,
            "one provider call per request"
        );
        assert_eq!(mock.calls(Action::AssumeRole), 1, "one STS call for all");
    }
}

/// Who gets an answer, what is logged, and when the endpoint is gone.
mod security {
    use super::*;

    #[tokio::test]
    async fn requests_without_the_right_token_are_refused_and_nothing_is_served() {
        let (logs, _guard) = capture_logs();
        let mock = MockSts::start().await;
        let (counting, calls) = Counting::new(role_provider(&mock));
        let endpoint = CredentialsEndpoint::start(counting).expect("started");
        let addr = endpoint.local_addr();
        let token = token_of(&endpoint);
        assert_eq!(token.len(), 64, "256 bits in hex");

        let missing = http(addr, "GET", "/", None).await;
        assert_eq!(missing.status, 401, "{missing:?}");
        // The same length, one digit off.
        let mut near = token.clone();
        near.replace_range(63.., if token.ends_with('0') { "1" } else { "0" });
        let mut sent = vec![
            near,
            String::new(),
            format!("Bearer {token}"),
            token[..32].to_owned(),
        ];
        // A second client guessing: fresh tokens of its own.
        for _ in 0..50 {
            let guess = CredentialsEndpoint::start(Counting::new(mock.source_credentials()).0)
                .expect("started");
            sent.push(token_of(&guess));
        }
        for value in &sent {
            let refused = http(addr, "GET", "/", Some(value)).await;
            assert_eq!(refused.status, 403, "{value:?}: {refused:?}");
            assert!(!refused.body.contains("ASIA"), "{refused:?}");
        }
        // Refused before the route is looked at, too.
        assert_eq!(http(addr, "GET", "/other", None).await.status, 401);
        assert_eq!(http(addr, "POST", "/", Some("wrong")).await.status, 403);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "nothing reached the provider"
        );
        assert_eq!(mock.calls(Action::AssumeRole), 0);

        // With the token: other routes and methods are not served either.
        assert_eq!(http(addr, "GET", "/other", Some(&token)).await.status, 404);
        assert_eq!(http(addr, "POST", "/", Some(&token)).await.status, 405);
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        assert_eq!(http(addr, "GET", "/", Some(&token)).await.status, 200);
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let logged = logs.text();
        assert_eq!(
            logged.matches("refused a request").count(),
            3 + sent.len(),
            "every refusal is logged: {logged}"
        );
        for value in sent.iter().chain([&token]).filter(|v| v.len() >= 8) {
            assert!(
                !logged.contains(value.as_str()),
                "a token reached the log: {logged}"
            );
        }
        let issued = mock.issued().pop().expect("issued").credentials();
        assert!(!logged.contains(issued.secret_access_key()));
        assert!(!logged.contains(issued.session_token().expect("token")));
        assert!(!format!("{endpoint:?}").contains(&token));
        assert!(!format!("{:?}", endpoint.child_env()).contains(&token));
    }

    #[tokio::test]
    async fn the_endpoint_listens_on_loopback_only() {
        let mock = MockSts::start().await;
        let endpoint = CredentialsEndpoint::start(role_provider(&mock)).expect("started");
        assert_eq!(endpoint.local_addr().ip(), Ipv4Addr::LOCALHOST);
        assert_ne!(endpoint.local_addr().port(), 0);
    }

    #[tokio::test]
    async fn a_failing_provider_gives_the_child_an_error_that_says_what_happened_without_secrets() {
        let (logs, _guard) = capture_logs();
        let mock = MockSts::start().await;
        mock.require_mfa(ROLE); // and the provider has no MFA: STS answers AccessDenied
        let endpoint = CredentialsEndpoint::start(role_provider(&mock)).expect("started");
        let token = token_of(&endpoint);

        let answer = http(endpoint.local_addr(), "GET", "/", Some(&token)).await;
        assert_eq!(
            answer.status, 500,
            "AccessDenied is not retryable: {answer:?}"
        );
        let json: serde_json::Value = serde_json::from_str(&answer.body).expect("JSON");
        let message = json["Message"].as_str().expect("a Message");
        assert!(message.contains("AccessDenied"), "{message}");
        assert_eq!(json["Code"], "AccessDenied", "STS's code");

        let sandbox = Sandbox::new(&mock);
        let secret = mock.source_credentials().secret_access_key().to_owned();
        if let Some(cli) = aws_cli() {
            let mut command = sandbox.cli_command(&cli);
            endpoint.child_env().apply(command.as_std_mut());
            let failure = run_cli(command).await.expect_err("the CLI fails");
            eprintln!("the AWS CLI says: {failure}");
            // botocore shows the endpoint's answer.
            assert!(failure.contains("AccessDenied"), "{failure}");
            assert!(!failure.contains(&secret));
            assert!(!failure.contains(&token));
        }
        let mut rust = sandbox.command(rust_child());
        endpoint.child_env().apply(rust.as_std_mut());
        let failure = run_rust_child(rust)
            .await
            .expect_err("the Rust child fails");
        eprintln!("the Rust child says: {failure}");
        // aws-config 1.13 shows only the status of a failed answer.
        assert!(failure.contains("500"), "{failure}");
        assert!(!failure.contains(&secret) && !failure.contains(&token));
        let logged = logs.text();
        assert!(
            logged.contains("AccessDenied"),
            "the failure is logged: {logged}"
        );
        assert!(!logged.contains(&secret) && !logged.contains(&token));
    }

    #[tokio::test]
    async fn dropping_the_endpoint_closes_its_port_and_its_connections() {
        let mock = MockSts::start().await;
        let endpoint = CredentialsEndpoint::start(role_provider(&mock)).expect("started");
        let addr = endpoint.local_addr();
        // A connection held open, idle.
        let mut open = TcpStream::connect(addr).await.expect("connects");
        drop(endpoint);
        // The abort takes effect when the runtime next runs the server task.
        let mut closed = false;
        for _ in 0..100 {
            tokio::task::yield_now().await;
            if TcpStream::connect(addr).await.is_err() {
                closed = true;
                break;
            }
        }
        assert!(closed, "the port still accepts connections");
        let mut rest = Vec::new();
        let read = open.read_to_end(&mut rest).await;
        assert!(
            matches!(read, Ok(0)) || read.is_err(),
            "the open connection is closed"
        );

        let endpoint = CredentialsEndpoint::start(role_provider(&mock)).expect("started");
        let addr = endpoint.local_addr();
        endpoint.shutdown().await;
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "closed once shutdown returns"
        );
    }

    #[test]
    fn starting_outside_a_tokio_runtime_is_an_error_not_a_panic() {
        let credentials = aws_credential_types::Credentials::new(
            "ASIAEXAMPLE",
            "secret",
            Some("t".into()),
            None,
            "test",
        );
        let error = CredentialsEndpoint::start(credentials).expect_err("no runtime");
        assert!(error.to_string().contains("tokio runtime"), "{error}");
    }
}

/// Variables that would make a child look elsewhere, removed; static exports.
mod shadowing {
    use super::*;

    /// The variables of one way a child's SDK finds other credentials, set in the sandbox.
    struct Shadow {
        name: &'static str,
        vars: Vec<(&'static str, String)>,
        /// Which children it misleads when left in place: (Rust, AWS CLI).
        misleads: (bool, bool),
    }

    fn shadows(mock: &MockSts, sandbox: &Sandbox) -> Vec<Shadow> {
        let keys = mock.source_credentials();
        let (id, secret) = (keys.access_key_id(), keys.secret_access_key());
        // A profile with the IAM user's keys, and a legacy EC2 credentials file.
        std::fs::write(
            sandbox.path("credentials"),
            format!("[shadow]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"),
        )
        .expect("credentials file");
        std::fs::write(
            sandbox.path("ec2-credentials"),
            format!("AWSAccessKeyId={id}\nAWSSecretKey={secret}\n"),
        )
        .expect("legacy file");
        std::fs::write(sandbox.path("web-token"), "a-web-identity-token").expect("token file");
        std::fs::write(sandbox.path("wrong-token"), "not-the-endpoints-token").expect("token file");
        let path = |name: &str| sandbox.path(name).display().to_string();
        vec![
            Shadow {
                name: "environment keys",
                vars: vec![
                    ("AWS_ACCESS_KEY_ID", id.to_owned()),
                    ("AWS_SECRET_ACCESS_KEY", secret.to_owned()),
                    ("AWS_SESSION_TOKEN", String::new()),
                    ("AWS_ACCESS_KEY", id.to_owned()),
                    ("AWS_SECRET_KEY", secret.to_owned()),
                    ("AWS_SECURITY_TOKEN", String::new()),
                    ("AWS_ACCOUNT_ID", "210987654321".to_owned()),
                ],
                misleads: (true, true),
            },
            Shadow {
                name: "AWS_PROFILE",
                vars: vec![("AWS_PROFILE", "shadow".to_owned())],
                misleads: (true, true),
            },
            Shadow {
                name: "AWS_DEFAULT_PROFILE",
                vars: vec![("AWS_DEFAULT_PROFILE", "shadow".to_owned())],
                misleads: (false, true),
            },
            Shadow {
                name: "web identity",
                vars: vec![
                    ("AWS_WEB_IDENTITY_TOKEN_FILE", path("web-token")),
                    (
                        "AWS_ROLE_ARN",
                        "arn:aws:iam::123456789012:role/web".to_owned(),
                    ),
                    ("AWS_ROLE_SESSION_NAME", "web".to_owned()),
                ],
                misleads: (true, true),
            },
            Shadow {
                name: "a token file",
                vars: vec![(
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                    path("wrong-token"),
                )],
                misleads: (true, true),
            },
            Shadow {
                name: "botocore's EC2 credentials file",
                vars: vec![("AWS_CREDENTIAL_FILE", path("ec2-credentials"))],
                misleads: (false, true),
            },
            // Not tried left in place: it sends the child to 169.254.170.2, the ECS agent.
            Shadow {
                name: "a relative URI",
                vars: vec![(
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                    "/v2/credentials/x".to_owned(),
                )],
                misleads: (false, false),
            },
        ]
    }

    #[tokio::test]
    async fn every_variable_that_would_shadow_the_endpoint_is_removed_from_the_child() {
        let mock = MockSts::start().await;
        let endpoint = CredentialsEndpoint::start(role_provider(&mock)).expect("started");
        let sandbox = Sandbox::new(&mock);
        let shadows = shadows(&mock, &sandbox);
        let env = endpoint.child_env();
        let cli = aws_cli();
        for shadow in &shadows {
            for (name, _) in &shadow.vars {
                assert!(
                    env.removed().any(|removed| removed == *name),
                    "{name} is not removed"
                );
            }
        }

        // Left in place, each misleads the children it names: the test setup is real.
        for shadow in &shadows {
            let with_shadow = |mut command: Command| {
                command.envs(env.vars()).envs(shadow.vars.iter().cloned());
                command
            };
            if shadow.misleads.0 {
                let answer = run_rust_child(with_shadow(sandbox.command(rust_child()))).await;
                assert_ne!(
                    answer,
                    Ok(ROLE_USER.to_owned()),
                    "{} misleads the Rust child",
                    shadow.name
                );
            }
            if let (true, Some(cli)) = (shadow.misleads.1, &cli) {
                let answer = run_cli(with_shadow(sandbox.cli_command(cli))).await;
                assert_ne!(
                    answer,
                    Ok(ROLE_USER.to_owned()),
                    "{} misleads the AWS CLI",
                    shadow.name
                );
            }
        }

        // All at once in the parent's environment, then the endpoint's environment applied.
        let all: Vec<_> = shadows
            .iter()
            .flat_map(|shadow| shadow.vars.iter().cloned())
            .collect();
        let mut rust = sandbox.command(rust_child());
        rust.envs(all.iter().cloned());
        env.apply(rust.as_std_mut());
        assert_eq!(run_rust_child(rust).await, Ok(ROLE_USER.to_owned()));
        if let Some(cli) = &cli {
            let mut command = sandbox.cli_command(cli);
            command.envs(all);
            env.apply(command.as_std_mut());
            assert_eq!(run_cli(command).await, Ok(ROLE_USER.to_owned()));
        }
    }

    #[tokio::test]
    async fn static_exports_make_the_child_use_the_credentials_whatever_it_inherited() {
        let mock = MockSts::start().await;
        let provider = role_provider(&mock);
        let credentials = provider.prefetch().await.expect("credentials");
        let env = ChildEnv::from_credentials(&credentials).expect("exported");
        let sandbox = Sandbox::new(&mock);
        let all: Vec<_> = shadows(&mock, &sandbox)
            .into_iter()
            .flat_map(|shadow| shadow.vars)
            .collect();

        let mut rust = sandbox.command(rust_child());
        rust.envs(all.iter().cloned());
        env.apply(rust.as_std_mut());
        assert_eq!(run_rust_child(rust).await, Ok(ROLE_USER.to_owned()));
        if let Some(cli) = aws_cli() {
            let mut command = sandbox.cli_command(&cli);
            command.envs(all.iter().cloned());
            env.apply(command.as_std_mut());
            assert_eq!(run_cli(command).await, Ok(ROLE_USER.to_owned()));
        }
        let keys = identity_keys_since(&mock, 0);
        assert!(
            keys.iter().all(|key| key == credentials.access_key_id()),
            "{keys:?}"
        );
    }
}

/// Children running across several role lifetimes.
mod lifetimes {
    use super::*;

    /// Short-lived role credentials on the real clock: the children are real processes with their
    /// own clocks and caches (the Rust SDK's identity cache, botocore's refresh windows), so the
    /// mock, the provider and the children must share one time. A long-running Rust child keeps its
    /// SDK client (and its cache) throughout; the AWS CLI runs once per round.
    #[tokio::test]
    async fn children_running_across_three_role_lifetimes_keep_succeeding_with_each_new_key() {
        const LIFETIME: Duration = Duration::from_secs(20);
        let mock = MockSts::builder()
            .credential_lifetime(LIFETIME)
            .start()
            .await;
        let endpoint = CredentialsEndpoint::start(role_provider(&mock)).expect("started");
        let sandbox = Sandbox::new(&mock);
        let env = endpoint.child_env();
        let cli = aws_cli();
        let mut rust = {
            let mut command = sandbox.command(rust_child());
            command.arg("child");
            env.apply(command.as_std_mut());
            LongChild::spawn(command)
        };

        let start = mock.now();
        let (mut rust_keys, mut cli_keys) = (BTreeSet::new(), BTreeSet::new());
        let (mut rust_failures, mut cli_failures) = (Vec::new(), Vec::new());
        let mut rounds = 0;
        let done = |rust_keys: &BTreeSet<String>, cli_keys: &BTreeSet<String>| {
            let elapsed = mock.now().duration_since(start).unwrap_or_default();
            elapsed >= 3 * LIFETIME
                && rust_keys.len() >= 3
                && (cli.is_none() || cli_keys.len() >= 3)
        };
        while !done(&rust_keys, &cli_keys) && rust_failures.is_empty() && cli_failures.is_empty() {
            rounds += 1;
            let elapsed = mock.now().duration_since(start).unwrap_or_default();
            assert!(
                elapsed < 10 * LIFETIME,
                "three new keys not seen in {elapsed:?}"
            );
            let before = mock.requests().len();
            for answer in rust.ask(false).await {
                match answer {
                    Ok(arn) => assert_eq!(arn, ROLE_USER),
                    Err(message) => rust_failures.push(message),
                }
            }
            rust_keys.extend(identity_keys_since(&mock, before));
            if let Some(cli) = &cli {
                let before = mock.requests().len();
                let mut command = sandbox.cli_command(cli);
                env.apply(command.as_std_mut());
                match run_cli(command).await {
                    Ok(arn) => assert_eq!(arn, ROLE_USER),
                    Err(message) => cli_failures.push(message),
                }
                cli_keys.extend(identity_keys_since(&mock, before));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        eprintln!(
            "{rounds} rounds over {:?} ({} role credentials issued): Rust child {} keys, {} failed; \
             AWS CLI {} keys, {} failed",
            mock.now().duration_since(start).unwrap_or_default(),
            mock.issued().len(),
            rust_keys.len(),
            rust_failures.len(),
            cli_keys.len(),
            cli_failures.len(),
        );
        assert!(rust_failures.is_empty(), "{rust_failures:?}");
        assert!(cli_failures.is_empty(), "{cli_failures:?}");
    }

    /// Issue 20's figure: a child runs for three role lifetimes over an MFA session, with 0 failed
    /// AWS calls and 1 MFA question. The mock, the session and the role share a manual clock set
    /// to the real time; a shell runs throughout, and every ten minutes of that clock runs the
    /// Rust child and the AWS CLI, each a new process, as a script would. (Fresh processes, because
    /// a long-lived SDK client would judge expiry on the real clock, which the manual one leaves
    /// behind.)
    #[tokio::test]
    async fn a_child_runs_three_role_lifetimes_over_an_mfa_session_with_one_question() {
        const STEP: Duration = Duration::from_secs(10 * 60);
        let clock = ManualClock::new(SystemTimeSource::new().now());
        let mock = MockSts::builder().time_source(clock.clone()).start().await;
        mock.require_mfa(ROLE);
        let questions = Arc::new(AtomicUsize::new(0));
        let session = MfaSession::builder(
            mock.mfa_serial_number(),
            counting_code(&questions),
            &mock.sdk_config(),
        )
        .time_source(clock.clone())
        .sleep_impl(clock.clone())
        .build()
        .expect("a session");
        let role = AssumeRoleProvider::builder(request(), &mock.sdk_config())
            .source_credentials(session)
            .time_source(clock.clone())
            .sleep_impl(clock.clone())
            .build()
            .expect("a provider");
        let endpoint = CredentialsEndpoint::start(role).expect("started");
        let sandbox = Sandbox::new(&mock);
        let cli = aws_cli();
        let mut shell = shell_driver(&sandbox, &endpoint.child_env(), cli.as_deref());

        let start = clock.now();
        let (mut calls, mut failures) = (0, Vec::new());
        let before = mock.requests().len();
        while clock.now().duration_since(start).unwrap_or_default() <= 3 * Duration::from_secs(3600)
        {
            for answer in shell.ask(true).await {
                calls += 1;
                match answer {
                    Ok(arn) => assert_eq!(arn, ROLE_USER),
                    Err(message) => failures.push(message),
                }
            }
            clock.advance(STEP);
            tokio::task::yield_now().await;
        }
        let keys: BTreeSet<String> = identity_keys_since(&mock, before).into_iter().collect();
        let roles = mock
            .issued()
            .iter()
            .filter(|issued| {
                matches!(
                    issued.kind,
                    sts_assume_role::test_util::IssuedKind::AssumedRole { .. }
                )
            })
            .count();
        eprintln!(
            "{calls} AWS calls by children over {:?} of role time: {} failed, {} MFA questions, \
             {roles} role credentials issued, {} used",
            clock.now().duration_since(start).unwrap_or_default(),
            failures.len(),
            questions.load(Ordering::SeqCst),
            keys.len(),
        );
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(questions.load(Ordering::SeqCst), 1);
        assert_eq!(mock.calls(Action::GetSessionToken), 1);
        // Calls 0..=180 minutes apart, each signed with credentials that live an hour: at least
        // four different keys.
        assert!(keys.len() >= 4, "{keys:?}");
        assert_eq!(calls, if cli.is_some() { 38 } else { 19 });
    }
}
