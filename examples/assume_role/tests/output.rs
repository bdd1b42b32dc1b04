//! What goes to stdout: `--output json` (the AWS CLI's answer key for key), `env` (exports
//! for a shell) and `credential-process` (version 1), with `--role-arn` and in profile mode.

use std::process::ExitCode;

use sts_assume_role::test_util::{ManualClock, MockSts};

use super::{Profiles, ROLE, credential_process_answer, json, run_against};

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
    let utilization = value["SessionTokenUtilization"]
        .as_u64()
        .expect("SessionTokenUtilization");
    let token_size = issued.session_token().expect("a session token").len();
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
    "SourceIdentity": "alice",
    "SessionTokenUtilization": {utilization},
    "SessionTokenSize": {token_size}
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
    let keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    // No session policy and no source identity were sent: neither `PackedPolicySize` nor
    // `SourceIdentity` is printed. STS reports the token's size and utilization always.
    // (serde_json's map sorts its keys; the order printed is checked above.)
    assert_eq!(
        keys,
        [
            "AssumedRoleUser",
            "Credentials",
            "SessionTokenSize",
            "SessionTokenUtilization"
        ]
    );
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
    let quote = crate::output::sh_quote;
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
