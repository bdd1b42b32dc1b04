//! Reading the flags: what they parse into, what reaches STS on the wire, and what invalid
//! input (or a failure of STS) does: exit 2 naming what is wrong and send nothing, or exit 1.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use sts_assume_role::AssumeRoleRequest;
use sts_assume_role::test_util::{Action, MockSts};

use super::{Args, Profiles, ROLE, SERIAL, args, config, request_from, run_against, run_with};

const PROVIDER: &str = "arn:aws:iam::aws:contextProvider/IdentityCenter";

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
        "--minimum-session-token-size",
        "2048",
        "--profile",
        "dev",
        "--output",
        "credential-process",
    ]);
    assert_eq!(args.profile.as_deref(), Some("dev"));
    assert_eq!(args.output, super::Output::CredentialProcess);

    let request = request_from(&args, None);
    std::fs::remove_file(&path).expect("remove the policy file");
    let request = request.expect("a valid request");
    // The request the flags describe is the one the builder makes from the same values.
    let expected = AssumeRoleRequest::builder(ROLE, "alice")
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .policy_arn("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
        .policy(policy)
        .duration(std::time::Duration::from_secs(1800))
        .tag("team", "platform")
        .tag("cost center", "4 2")
        .tag("env", "prod")
        .transitive_tag_key("team")
        .transitive_tag_key("env")
        .external_id("ext-123")
        .serial_number(SERIAL)
        .token_code("123456")
        .source_identity("alice@example.com")
        .provided_context(PROVIDER, "c2lnbmVk==")
        .minimum_session_token_size(2048)
        .build()
        .unwrap();
    assert_eq!(request, expected);
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
            "--minimum-session-token-size",
            "3000",
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
        ("MinimumSessionTokenSize", "3000"),
    ] {
        assert_eq!(sent.param(name), Some(value), "{name}");
    }
    // STS pads the token to the size asked for.
    let issued = mock.issued().pop().expect("credentials issued");
    assert!(issued.credentials().session_token().expect("a token").len() >= 3000);
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
