//! Profile mode over each base the SDK resolves: `credential_process`, a web identity token
//! and SSO. Each time the role above asks for its MFA code once, and a second run answers from
//! the cache without a prompt or an STS call.

use std::path::Path;
use std::process::ExitCode;

use sts_assume_role::test_util::{Action, MockSts};

use super::{Profiles, ROLE, SERIAL, credential_process_answer};

const ARGV: [&str; 2] = ["--output", "credential-process"];

/// Runs `--profile admin` twice with a cache: the first run reads `654321` from stdin, the
/// second nothing. Returns the access key both printed.
async fn twice(profiles: &Profiles, mock: &MockSts) -> String {
    let cache_dir = profiles.cache_dir();
    let cache = cache_dir.to_str().expect("utf-8");
    let mut argv = vec!["--cache-dir", cache];
    argv.extend(ARGV);
    let first = profiles.run(mock, &argv, "654321\n").await;
    assert_eq!(first.code, ExitCode::SUCCESS, "{}", first.stderr);
    assert_eq!(
        first.stderr,
        format!("MFA code for {SERIAL} (to assume {ROLE}): ")
    );
    let access_key = credential_process_answer(&first.stdout, mock.now());
    let sent = mock.requests().pop().expect("a request");
    assert_eq!(sent.param("RoleArn"), Some(ROLE));
    assert_eq!(sent.param("TokenCode"), Some("654321"));
    assert_eq!(mock.calls(Action::AssumeRole), 1);

    let second = profiles.run(mock, &argv, "").await;
    assert_eq!(second.code, ExitCode::SUCCESS, "{}", second.stderr);
    assert_eq!(second.stderr, "", "no prompt");
    assert_eq!(mock.calls(Action::AssumeRole), 1, "no second STS call");
    assert_eq!(
        credential_process_answer(&second.stdout, mock.now()),
        access_key
    );
    access_key
}

async fn mfa_mock() -> MockSts {
    let mock = MockSts::builder().mfa_code("654321").start().await;
    mock.require_mfa(ROLE);
    mock
}

#[tokio::test]
async fn profile_mode_works_over_credential_process() {
    let mock = mfa_mock().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let keys = mock.source_credentials();
    let runs = dir.path().join("runs");
    let script = dir.path().join("creds.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho run >> '{}'\n\
             echo '{{\"Version\": 1, \"AccessKeyId\": \"{}\", \"SecretAccessKey\": \"{}\"}}'\n",
            runs.display(),
            keys.access_key_id(),
            keys.secret_access_key()
        ),
    )
    .expect("write the script");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700))
            .expect("make it executable");
    }
    let profiles = Profiles::with_base(
        &format!("mfa_serial = {SERIAL}"),
        &format!("credential_process = {}", script.display()),
    );
    twice(&profiles, &mock).await;
    let ran = std::fs::read_to_string(&runs).expect("it ran");
    assert_eq!(
        ran.lines().count(),
        1,
        "the process ran once, for the first run"
    );
}

#[tokio::test]
async fn profile_mode_works_over_a_web_identity_token() {
    let mock = mfa_mock().await;
    mock.set_web_identity_token("pod-token");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let token = dir.path().join("token");
    std::fs::write(&token, "pod-token").expect("write the token");
    let profiles = Profiles::with_base(
        &format!("mfa_serial = {SERIAL}"),
        &format!(
            "role_arn = arn:aws:iam::123456789012:role/pod\nweb_identity_token_file = {}\n\
             region = us-east-1\nendpoint_url = {}",
            token.display(),
            mock.endpoint_url()
        ),
    );
    let access_key = twice(&profiles, &mock).await;
    assert_eq!(mock.calls(Action::AssumeRoleWithWebIdentity), 1);
    assert_ne!(access_key, "");
}

fn sha1_hex(text: &str) -> String {
    use sha1::Digest;
    sha1::Sha1::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Set in the child process [`profile_mode_works_over_sso`] runs itself in.
const SSO_CHILD: &str = "STS_ASSUME_ROLE_SSO_CHILD";

/// aws-config's SSO provider finds the token `aws sso login` cached under `HOME` of the
/// process environment, which a test running beside others must not change: the test runs
/// itself again, alone, in a child process with `HOME` a temporary directory.
#[tokio::test]
async fn profile_mode_works_over_sso() {
    let Some(home) = std::env::var_os(SSO_CHILD) else {
        let home = tempfile::tempdir().expect("a temporary directory");
        let exe = std::env::current_exe().expect("the test binary");
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "tests::profile_sources::profile_mode_works_over_sso",
                "--test-threads=1",
                "--nocapture",
            ])
            .env(SSO_CHILD, home.path())
            .env("HOME", home.path())
            .output()
            .expect("the child runs");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{said}");
        assert!(said.contains("1 passed"), "{said}");
        return;
    };
    let home = Path::new(&home);
    let mock = mfa_mock().await;
    let portal = wiremock::MockServer::start().await;
    let keys = mock.source_credentials();
    let expiration = mock.now() + std::time::Duration::from_secs(3600);
    let millis = expiration
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis();
    wiremock::Mock::given(wiremock::matchers::path("/federation/credentials"))
        .and(wiremock::matchers::header(
            "x-amz-sso_bearer_token",
            "sso-token",
        ))
        .respond_with(
            wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "roleCredentials": {
                    "accessKeyId": keys.access_key_id(),
                    "secretAccessKey": keys.secret_access_key(),
                    "sessionToken": "sso-session-token",
                    "expiration": millis,
                }
            })),
        )
        .expect(1)
        .mount(&portal)
        .await;
    // What `aws sso login --sso-session corp` leaves: `~/.aws/sso/cache/<sha1("corp")>.json`.
    let cache = home.join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).expect("the SSO cache");
    let expires_at =
        aws_smithy_types::DateTime::from(mock.now() + std::time::Duration::from_secs(8 * 3600))
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .expect("a date");
    std::fs::write(
        cache.join(format!("{}.json", sha1_hex("corp"))),
        format!("{{\"accessToken\": \"sso-token\", \"expiresAt\": \"{expires_at}\"}}"),
    )
    .expect("write the token");
    let profiles = Profiles::with_base(
        &format!("mfa_serial = {SERIAL}"),
        &format!(
            "sso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Reader\n\
             endpoint_url = {}\n\n[sso-session corp]\nsso_region = us-east-1\n\
             sso_start_url = https://corp.awsapps.com/start",
            portal.uri()
        ),
    );
    twice(&profiles, &mock).await;
}
