//! Providers from named profiles: every key reaching the wire, chains of profiles, credential
//! sources, profile selection, and an error naming file, profile and key for each mistake.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_types::os_shim_internal::{Env, Fs};
use sts_assume_role::Parameter;
use sts_assume_role::cache::{FileCache, cache_key_for_args};
use sts_assume_role::mfa::{self, MfaContext, MfaError};
use sts_assume_role::profile::{
    ProfileError, ProfileProviderBuilder, SourceKind, from_env_profile, from_profile,
};
use sts_assume_role::request::TokenCode;
use sts_assume_role::test_util::{Action, MockSts};
use tempfile::TempDir;

const DEV: &str = "arn:aws:iam::123456789012:role/dev";
const OPS: &str = "arn:aws:iam::123456789012:role/ops";
const MFA_SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

/// A config and a credentials file in a temporary directory, and the variables pointing at
/// them (the process environment is never touched: tests run in parallel).
struct Files {
    dir: TempDir,
    vars: HashMap<String, String>,
}

impl Files {
    fn new(config: &str, credentials: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path.to_str().unwrap().to_owned()
        };
        let vars = HashMap::from([
            ("AWS_CONFIG_FILE".to_owned(), write("config", config)),
            (
                "AWS_SHARED_CREDENTIALS_FILE".to_owned(),
                write("credentials", credentials),
            ),
        ]);
        Self { dir, vars }
    }

    /// Files whose credentials file gives the mock's source keys to profile `base`.
    fn with_base(mock: &MockSts, config: &str) -> Self {
        Self::new(config, &base_keys(mock, "base"))
    }

    fn var(mut self, name: &str, value: &str) -> Self {
        self.vars.insert(name.to_owned(), value.to_owned());
        self
    }

    fn env(&self) -> Env {
        Env::from(self.vars.clone())
    }

    fn config_path(&self) -> String {
        self.path("config")
    }

    fn credentials_path(&self) -> String {
        self.path("credentials")
    }

    fn path(&self, name: &str) -> String {
        Path::new(self.dir.path())
            .join(name)
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// A builder for `profile` reading these files, reaching STS at `mock`.
    fn builder(&self, profile: &str, mock: &MockSts) -> ProfileProviderBuilder {
        from_profile(profile)
            .env(self.env())
            .sdk_config(&mock.sdk_config())
    }
}

/// A credentials-file section with the mock's source keys.
fn base_keys(mock: &MockSts, profile: &str) -> String {
    let keys = mock.source_credentials();
    format!(
        "[{profile}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        keys.access_key_id(),
        keys.secret_access_key()
    )
}

fn code_123456() -> impl mfa::TokenSource {
    mfa::from_fn(|_: &MfaContext| TokenCode::new("123456").map_err(MfaError::failed))
}

async fn build_err(builder: ProfileProviderBuilder) -> ProfileError {
    builder.build().await.unwrap_err()
}

#[tokio::test]
async fn every_role_key_reaches_the_wire() {
    let mock = MockSts::start().await;
    let files = Files::with_base(
        &mock,
        &format!(
            "[profile dev]\nrole_arn = {DEV}\nsource_profile = base\nexternal_id = ext-123456\n\
             role_session_name = alice-dev\nduration_seconds = 1800\nmfa_serial = {MFA_SERIAL}\n"
        ),
    );
    let provider = files
        .builder("dev", &mock)
        .mfa(code_123456())
        .build()
        .await
        .unwrap();
    let creds = provider.prefetch().await.unwrap();

    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(sent.action, Some(Action::AssumeRole));
    assert_eq!(sent.param("RoleArn"), Some(DEV));
    assert_eq!(sent.param("ExternalId"), Some("ext-123456"));
    assert_eq!(sent.param("RoleSessionName"), Some("alice-dev"));
    assert_eq!(sent.param("DurationSeconds"), Some("1800"));
    assert_eq!(sent.param("SerialNumber"), Some(MFA_SERIAL));
    assert_eq!(sent.param("TokenCode"), Some("123456"));
    let source = mock.source_credentials();
    assert_eq!(sent.access_key_id.as_deref(), Some(source.access_key_id()));
    assert_eq!(creds.access_key_id(), mock.issued()[0].access_key_id);
}

#[tokio::test]
async fn in_a_chain_only_the_roles_with_mfa_serial_send_a_code() {
    // The crate remembers used codes per device in the whole process, so each test that sends
    // the fixed code uses a device of its own.
    let serial = "arn:aws:iam::123456789012:mfa/chain";
    let mock = MockSts::start().await;
    let files = Files::with_base(
        &mock,
        &format!(
            "[profile ops]\nrole_arn = {OPS}\nsource_profile = dev\n\
             [profile dev]\nrole_arn = {DEV}\nsource_profile = base\nmfa_serial = {serial}\n"
        ),
    );
    files
        .builder("ops", &mock)
        .mfa(code_123456())
        .build()
        .await
        .unwrap()
        .prefetch()
        .await
        .unwrap();
    let requests = mock.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].param("RoleArn"), Some(DEV));
    assert_eq!(requests[0].param("SerialNumber"), Some(serial));
    assert_eq!(requests[0].param("TokenCode"), Some("123456"));
    assert_eq!(requests[1].param("RoleArn"), Some(OPS));
    assert_eq!(requests[1].param("SerialNumber"), None);
    assert_eq!(requests[1].param("TokenCode"), None);
}

#[tokio::test]
async fn without_role_session_name_a_generated_name_is_sent() {
    let mock = MockSts::start().await;
    let files = Files::with_base(
        &mock,
        &format!("[profile dev]\nrole_arn = {DEV}\nsource_profile = base\n"),
    );
    let chain = files.builder("dev", &mock).resolve().await.unwrap();
    assert!(chain.roles()[0].request().session_name_generated());

    files
        .builder("dev", &mock)
        .build()
        .await
        .unwrap()
        .prefetch()
        .await
        .unwrap();
    let name = mock.requests()[0]
        .param("RoleSessionName")
        .unwrap()
        .to_owned();
    assert!(name.starts_with("sts-assume-role-"), "{name}");
}

/// An STS stand-in that answers every call with the same credentials, so a test can read the
/// signing region from the `Authorization` header.
async fn region_recording_sts() -> wiremock::MockServer {
    const BODY: &str = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/dev/test</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:test</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>AQoDYXdzEPT//////////wEXAMPLE</SessionToken>
      <Expiration>2099-11-09T13:34:41Z</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>"#;
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_raw(BODY, "text/xml"))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn the_selected_profiles_region_signs_every_call_of_the_chain() {
    let sts = region_recording_sts().await;
    let mock = MockSts::start().await; // only for its source keys
    let files = Files::with_base(
        &mock,
        &format!(
            "[profile ops]\nrole_arn = {OPS}\nsource_profile = dev\nregion = eu-west-3\n\
             [profile dev]\nrole_arn = {DEV}\nsource_profile = base\nregion = ap-south-1\n"
        ),
    );
    let base = mock
        .sdk_config_builder()
        .endpoint_url(sts.uri())
        .time_source(aws_smithy_async::time::SystemTimeSource::new())
        .build();
    let builder = from_profile("ops").env(files.env()).sdk_config(&base);
    let chain = builder.resolve().await.unwrap();
    assert_eq!(chain.region().map(|r| r.as_ref()), Some("eu-west-3"));

    builder.build().await.unwrap().prefetch().await.unwrap();
    let received = sts.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    for request in received {
        let auth = request
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(auth.contains("/eu-west-3/sts/aws4_request"), "{auth}");
    }
}

#[tokio::test]
async fn a_chain_of_three_profiles_signs_each_call_with_the_credentials_below_it() {
    let mock = MockSts::start().await;
    let files = Files::with_base(
        &mock,
        &format!(
            "[profile ops]\nrole_arn = {OPS}\nsource_profile = dev\nrole_session_name = ops\n\
             [profile dev]\nrole_arn = {DEV}\nsource_profile = base\nrole_session_name = dev\n"
        ),
    );
    let builder = files.builder("ops", &mock);
    let chain = builder.resolve().await.unwrap();
    assert_eq!(chain.profile(), "ops");
    assert_eq!(chain.source().profile(), "base");
    assert_eq!(chain.source().kind(), SourceKind::StaticKeys);
    let order: Vec<_> = chain.roles().iter().map(|r| r.profile()).collect();
    assert_eq!(order, ["dev", "ops"]);

    let creds = builder.build().await.unwrap().prefetch().await.unwrap();
    let requests = mock.requests();
    let issued = mock.issued();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].param("RoleArn"), Some(DEV));
    assert_eq!(
        requests[0].access_key_id.as_deref(),
        Some(mock.source_credentials().access_key_id())
    );
    assert_eq!(requests[1].param("RoleArn"), Some(OPS));
    assert_eq!(
        requests[1].access_key_id.as_deref(),
        Some(issued[0].access_key_id.as_str())
    );
    assert_eq!(creds.access_key_id(), issued[1].access_key_id);
}

#[tokio::test]
async fn a_source_profile_with_keys_gives_its_keys_even_with_a_role_arn_as_the_sdk_does() {
    let mock = MockSts::start().await;
    let files = Files::new(
        &format!(
            "[profile ops]\nrole_arn = {OPS}\nsource_profile = base\n[profile base]\nrole_arn = {DEV}\nsource_profile = nowhere\n"
        ),
        &base_keys(&mock, "base"),
    );
    let chain = files.builder("ops", &mock).resolve().await.unwrap();
    assert_eq!(chain.roles().len(), 1);
    assert_eq!(chain.source().profile(), "base");
    assert_eq!(
        chain.source().access_key_id(),
        Some(mock.source_credentials().access_key_id())
    );
}

#[tokio::test]
async fn a_role_profile_that_is_its_own_source_profile_uses_its_own_keys() {
    let mock = MockSts::start().await;
    let files = Files::new(
        &format!("[profile me]\nrole_arn = {DEV}\nsource_profile = me\n"),
        &base_keys(&mock, "me"),
    );
    files
        .builder("me", &mock)
        .build()
        .await
        .unwrap()
        .prefetch()
        .await
        .unwrap();
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].param("RoleArn"), Some(DEV));
    assert_eq!(
        requests[0].access_key_id.as_deref(),
        Some(mock.source_credentials().access_key_id())
    );
}

#[tokio::test]
async fn credential_source_environment_takes_the_keys_from_the_builders_env() {
    let mock = MockSts::start().await;
    let keys = mock.source_credentials();
    let files = Files::new(
        &format!("[profile dev]\nrole_arn = {DEV}\ncredential_source = Environment\n"),
        "",
    )
    .var("AWS_ACCESS_KEY_ID", keys.access_key_id())
    .var("AWS_SECRET_ACCESS_KEY", keys.secret_access_key());
    let builder = files.builder("dev", &mock);
    let chain = builder.resolve().await.unwrap();
    assert_eq!(chain.source().kind(), SourceKind::Environment);
    assert_eq!(chain.source().profile(), "dev");

    builder.build().await.unwrap().prefetch().await.unwrap();
    assert_eq!(
        mock.requests()[0].access_key_id.as_deref(),
        Some(keys.access_key_id())
    );
}

#[tokio::test]
async fn instance_metadata_and_container_sources_resolve_and_build_without_network() {
    let mock = MockSts::start().await;
    for (value, kind) in [
        ("Ec2InstanceMetadata", SourceKind::Ec2InstanceMetadata),
        ("EcsContainer", SourceKind::EcsContainer),
    ] {
        let files = Files::new(
            &format!("[profile dev]\nrole_arn = {DEV}\ncredential_source = {value}\n"),
            "",
        );
        let builder = files.builder("dev", &mock);
        assert_eq!(builder.resolve().await.unwrap().source().kind(), kind);
        builder.build().await.unwrap();
    }
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn aws_profile_in_the_env_selects_the_profile() {
    let mock = MockSts::start().await;
    let files = Files::with_base(
        &mock,
        &format!(
            "[default]\nrole_arn = {OPS}\nsource_profile = base\n\
             [profile dev]\nrole_arn = {DEV}\nsource_profile = base\n"
        ),
    );
    let picked = files.vars.clone();
    let files = files.var("AWS_PROFILE", "dev");
    let provider = from_env_profile()
        .env(files.env())
        .sdk_config(&mock.sdk_config())
        .build()
        .await
        .unwrap();
    provider.prefetch().await.unwrap();
    assert_eq!(mock.requests()[0].param("RoleArn"), Some(DEV));

    // Without AWS_PROFILE, `default`.
    let chain = from_env_profile()
        .env(Env::from(picked))
        .resolve()
        .await
        .unwrap();
    assert_eq!(chain.profile(), "default");
    assert_eq!(chain.roles()[0].request().role_arn().as_str(), OPS);
}

#[tokio::test]
async fn an_in_memory_file_system_can_stand_in_for_the_real_one() {
    let fs = Fs::from_map(HashMap::from([(
        "/home/alice/.aws/config".to_owned(),
        format!(
            "[profile dev]\nrole_arn = {DEV}\ncredential_source = Environment\nregion = eu-north-1\n"
        ),
    )]));
    let chain = from_profile("dev")
        .fs(fs)
        .env(Env::from_slice(&[("HOME", "/home/alice")]))
        .resolve()
        .await
        .unwrap();
    assert_eq!(chain.region().map(|r| r.as_ref()), Some("eu-north-1"));
    assert_eq!(chain.roles()[0].request().role_arn().as_str(), DEV);
}

// ---- errors ----

#[tokio::test]
async fn without_overriding_variables_errors_name_the_default_files() {
    let fs = Fs::from_map(HashMap::from([(
        "/home/alice/.aws/config".to_owned(),
        format!("[profile dev]\nrole_arn = {DEV}\n"),
    )]));
    let builder = from_profile("dev")
        .fs(fs)
        .env(Env::from_slice(&[("HOME", "/home/alice")]));
    let err = builder.resolve().await.unwrap_err();
    assert_eq!(err.file(), Some("~/.aws/config"));
    let err = from_profile("other")
        .fs(Fs::from_map(HashMap::<String, Vec<u8>>::new()))
        .env(Env::from_slice(&[("HOME", "/home/alice")]))
        .resolve()
        .await
        .unwrap_err();
    assert_eq!(err.file(), Some("~/.aws/config or ~/.aws/credentials"));
}

#[tokio::test]
async fn a_missing_selected_profile_is_named_with_the_files_looked_in() {
    let mock = MockSts::start().await;
    let files = Files::with_base(&mock, "");
    let err = build_err(files.builder("nope", &mock)).await;
    let ProfileError::MissingProfile {
        profile,
        referenced_by: None,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(profile, "nope");
    let files_named = err.file().unwrap();
    assert!(files_named.contains(&files.config_path()), "{err}");
    assert!(files_named.contains(&files.credentials_path()), "{err}");
}

#[tokio::test]
async fn a_missing_source_profile_names_the_profile_whose_source_profile_names_it() {
    let mock = MockSts::start().await;
    let files = Files::with_base(
        &mock,
        &format!("[profile dev]\nrole_arn = {DEV}\nsource_profile = gone\n"),
    );
    let err = build_err(files.builder("dev", &mock)).await;
    let ProfileError::MissingProfile {
        profile,
        referenced_by: Some(at),
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(profile, "gone");
    assert_eq!(at.profile(), "dev");
    assert_eq!(at.key(), Some("source_profile"));
    assert_eq!(at.file(), files.config_path());
    let shown = err.to_string();
    assert!(
        shown.contains("`gone`") && shown.contains("`dev`"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_source_profile_loop_lists_the_chain() {
    let mock = MockSts::start().await;
    let files = Files::with_base(
        &mock,
        &format!(
            "[profile a]\nrole_arn = {DEV}\nsource_profile = b\n\
             [profile b]\nrole_arn = {DEV}\nsource_profile = c\n\
             [profile c]\nrole_arn = {DEV}\nsource_profile = a\n"
        ),
    );
    let err = build_err(files.builder("a", &mock)).await;
    let ProfileError::Loop { chain, at } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(chain, &["a", "b", "c", "a"]);
    assert_eq!(at.profile(), "c");
    assert_eq!(at.key(), Some("source_profile"));
    assert_eq!(at.file(), files.config_path());
    assert!(err.to_string().contains("a -> b -> c -> a"), "{err}");
}

#[tokio::test]
async fn both_source_profile_and_credential_source_is_refused() {
    let mock = MockSts::start().await;
    let files = Files::with_base(
        &mock,
        &format!(
            "[profile dev]\nrole_arn = {DEV}\nsource_profile = base\ncredential_source = Environment\n"
        ),
    );
    let err = build_err(files.builder("dev", &mock)).await;
    assert!(matches!(err, ProfileError::BothSources { .. }), "{err:?}");
    assert_eq!(err.profile(), Some("dev"));
    assert_eq!(err.key(), Some("credential_source"));
    assert_eq!(err.file(), Some(files.config_path().as_str()));
    let shown = err.to_string();
    assert!(
        shown.contains("source_profile") && shown.contains("credential_source"),
        "{shown}"
    );
}

#[tokio::test]
async fn neither_source_profile_nor_credential_source_is_refused() {
    let mock = MockSts::start().await;
    let files = Files::with_base(&mock, &format!("[profile dev]\nrole_arn = {DEV}\n"));
    let err = build_err(files.builder("dev", &mock)).await;
    assert!(matches!(err, ProfileError::NoSource { .. }), "{err:?}");
    assert_eq!(err.profile(), Some("dev"));
    assert_eq!(err.key(), Some("role_arn"));
    assert_eq!(err.file(), Some(files.config_path().as_str()));
}

#[tokio::test]
async fn a_source_profile_without_keys_names_the_missing_key_and_its_file() {
    let mock = MockSts::start().await;
    let files = Files::new(
        &format!(
            "[profile dev]\nrole_arn = {DEV}\nsource_profile = empty\n[profile empty]\nregion = us-east-1\n\
             [profile half]\nrole_arn = {DEV}\nsource_profile = halfkeys\n"
        ),
        "[halfkeys]\naws_access_key_id = AKIAHALF\n",
    );
    let err = build_err(files.builder("dev", &mock)).await;
    assert!(matches!(err, ProfileError::NoCredentials { .. }), "{err:?}");
    assert_eq!(err.profile(), Some("empty"));
    assert_eq!(err.key(), Some("aws_access_key_id"));
    assert_eq!(err.file(), Some(files.config_path().as_str()));

    let err = build_err(files.builder("half", &mock)).await;
    assert!(matches!(err, ProfileError::NoCredentials { .. }), "{err:?}");
    assert_eq!(err.profile(), Some("halfkeys"));
    assert_eq!(err.key(), Some("aws_secret_access_key"));
    assert_eq!(err.file(), Some(files.credentials_path().as_str()));
}

#[tokio::test]
async fn an_unknown_credential_source_is_refused() {
    let mock = MockSts::start().await;
    let files = Files::with_base(
        &mock,
        &format!("[profile dev]\nrole_arn = {DEV}\ncredential_source = Ec2\n"),
    );
    let err = build_err(files.builder("dev", &mock)).await;
    let ProfileError::UnknownCredentialSource { at, value } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(value, "Ec2");
    assert_eq!(at.profile(), "dev");
    assert_eq!(at.key(), Some("credential_source"));
    assert_eq!(at.file(), files.config_path());
}

#[tokio::test]
async fn an_invalid_value_names_its_key_and_keeps_the_rule_broken_as_source() {
    let mock = MockSts::start().await;
    let cases = [
        ("role_arn", "not-an-arn", Parameter::RoleArn),
        ("role_session_name", "a b", Parameter::RoleSessionName),
        ("external_id", "x", Parameter::ExternalId),
        ("duration_seconds", "an hour", Parameter::DurationSeconds),
        ("duration_seconds", "60", Parameter::DurationSeconds),
        ("mfa_serial", "short", Parameter::SerialNumber),
    ];
    for (key, value, parameter) in cases {
        let mut config = format!("[profile dev]\nsource_profile = base\n{key} = {value}\n");
        if key != "role_arn" {
            config.push_str(&format!("role_arn = {DEV}\n"));
        }
        let files = Files::with_base(&mock, &config);
        let err = build_err(files.builder("dev", &mock).mfa(code_123456())).await;
        let ProfileError::InvalidValue { at, source } = &err else {
            panic!("{key}: {err:?}")
        };
        assert_eq!(at.key(), Some(key));
        assert_eq!(at.profile(), "dev");
        assert_eq!(at.file(), files.config_path());
        assert_eq!(source.parameter(), parameter, "{key}");
        let shown = err.to_string();
        assert!(shown.contains(key) && shown.contains("`dev`"), "{shown}");
        assert!(std::error::Error::source(&err).is_some());
    }
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn role_chaining_over_one_hour_is_refused_naming_duration_seconds() {
    let mock = MockSts::start().await;
    let files = Files::with_base(
        &mock,
        &format!(
            "[profile ops]\nrole_arn = {OPS}\nsource_profile = dev\nduration_seconds = 7200\n\
             [profile dev]\nrole_arn = {DEV}\nsource_profile = base\nduration_seconds = 7200\n"
        ),
    );
    // The first role is assumed with keys, so 7200 is fine there; only `ops` is chained.
    let builder = files.builder("ops", &mock);
    builder.resolve().await.unwrap();
    let err = build_err(builder).await;
    let ProfileError::InvalidValue { at, source } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(at.profile(), "ops");
    assert_eq!(at.key(), Some("duration_seconds"));
    assert_eq!(at.file(), files.config_path());
    assert_eq!(source.parameter(), Parameter::DurationSeconds);
    assert!(source.rule().contains("role chaining"), "{source}");
}

#[tokio::test]
async fn mfa_serial_without_a_token_source_is_refused() {
    let mock = MockSts::start().await;
    let files = Files::with_base(
        &mock,
        &format!(
            "[profile dev]\nrole_arn = {DEV}\nsource_profile = base\nmfa_serial = {MFA_SERIAL}\n"
        ),
    );
    let err = build_err(files.builder("dev", &mock)).await;
    assert!(
        matches!(err, ProfileError::MfaSourceMissing { .. }),
        "{err:?}"
    );
    assert_eq!(err.profile(), Some("dev"));
    assert_eq!(err.key(), Some("mfa_serial"));
    assert_eq!(err.file(), Some(files.config_path().as_str()));
}

#[tokio::test]
async fn a_profile_without_role_arn_is_not_a_role() {
    let mock = MockSts::start().await;
    let files = Files::with_base(&mock, "");
    let err = build_err(files.builder("base", &mock)).await;
    assert!(matches!(err, ProfileError::NotARole { .. }), "{err:?}");
    assert_eq!(err.profile(), Some("base"));
    assert_eq!(err.key(), Some("role_arn"));
    assert_eq!(err.file(), Some(files.credentials_path().as_str()));
}

#[tokio::test]
async fn sources_this_crate_does_not_resolve_are_named() {
    let mock = MockSts::start().await;
    let files = Files::with_base(
        &mock,
        &format!(
            "[profile dev]\nrole_arn = {DEV}\nsource_profile = proc\n\
             [profile proc]\ncredential_process = /bin/creds --user alice\n"
        ),
    );
    let err = build_err(files.builder("dev", &mock)).await;
    assert!(
        matches!(err, ProfileError::UnsupportedSource { .. }),
        "{err:?}"
    );
    assert_eq!(err.profile(), Some("proc"));
    assert_eq!(err.key(), Some("credential_process"));
    // The command line is not echoed.
    assert!(!err.to_string().contains("alice"), "{err}");
}

#[tokio::test]
async fn no_secret_reaches_an_error_or_debug_output() {
    let mock = MockSts::start().await;
    let secret = mock.source_credentials().secret_access_key().to_owned();
    let files = Files::with_base(
        &mock,
        &format!(
            "[profile dev]\nrole_arn = {DEV}\nsource_profile = base\n\
             [profile bad]\nrole_arn = {DEV}\nsource_profile = base\nduration_seconds = 5\n"
        ),
    )
    .var("AWS_SECRET_ACCESS_KEY", &secret);

    let builder = files.builder("dev", &mock).mfa(code_123456());
    let chain = builder.resolve().await.unwrap();
    for shown in [format!("{builder:?}"), format!("{chain:?}")] {
        assert!(!shown.contains(&secret), "{shown}");
    }
    let err = build_err(files.builder("bad", &mock)).await;
    let shown = format!(
        "{err} / {err:?} / {}",
        aws_smithy_types::error::display::DisplayErrorContext(&err)
    );
    assert!(!shown.contains(&secret), "{shown}");
    assert!(!shown.contains(&secret[..8]), "{shown}");
}

#[tokio::test]
async fn with_a_file_cache_a_second_process_neither_prompts_nor_calls_sts() {
    let serial = "arn:aws:iam::123456789012:mfa/profile-cache";
    let mock = MockSts::start().await;
    let files = Files::with_base(
        &mock,
        &format!(
            "[profile ops]\nrole_arn = {OPS}\nsource_profile = dev\n\
             [profile dev]\nrole_arn = {DEV}\nsource_profile = base\nmfa_serial = {serial}\n"
        ),
    );
    let cache_dir = files.dir.path().join("cli").join("cache");
    let prompts = Arc::new(AtomicUsize::new(0));
    let run = || {
        let prompts = Arc::clone(&prompts);
        files
            .builder("ops", &mock)
            .mfa(mfa::from_fn(move |_: &MfaContext| {
                prompts.fetch_add(1, Ordering::SeqCst);
                TokenCode::new("975310").map_err(MfaError::failed)
            }))
            .cache(FileCache::new(&cache_dir))
            .build()
    };

    let first = run().await.unwrap().prefetch().await.unwrap();
    assert_eq!(prompts.load(Ordering::SeqCst), 1);
    assert_eq!(mock.calls(Action::AssumeRole), 2);
    // Each role of the chain is cached under the AWS CLI's key for its profile: the generated
    // session name is left out, as the CLI leaves out its own.
    for args in [
        serde_json::json!({"RoleArn": DEV, "SerialNumber": serial}),
        serde_json::json!({"RoleArn": OPS}),
    ] {
        let path = cache_dir.join(format!("{}.json", cache_key_for_args(&args)));
        assert!(path.is_file(), "{args} cached at its AWS CLI key");
    }

    // A second process: a fresh builder, the same files and cache directory.
    let second = run().await.unwrap().prefetch().await.unwrap();
    assert_eq!(prompts.load(Ordering::SeqCst), 1, "no second prompt");
    assert_eq!(mock.calls(Action::AssumeRole), 2, "no second STS call");
    assert_eq!(second.access_key_id(), first.access_key_id());
}

#[tokio::test]
async fn with_mfa_session_the_code_goes_to_get_session_token_and_the_role_sends_none() {
    let serial = "arn:aws:iam::123456789012:mfa/profile-session";
    let mock = MockSts::start().await;
    mock.require_mfa(DEV);
    let files = Files::with_base(
        &mock,
        &format!("[profile dev]\nrole_arn = {DEV}\nsource_profile = base\nmfa_serial = {serial}\n"),
    );
    files
        .builder("dev", &mock)
        .mfa(code_123456())
        .mfa_session(std::time::Duration::from_secs(8 * 3600))
        .build()
        .await
        .unwrap()
        .prefetch()
        .await
        .unwrap();
    let requests = mock.requests();
    assert_eq!(requests.len(), 2);
    let (session, role) = (&requests[0], &requests[1]);
    assert_eq!(session.action, Some(Action::GetSessionToken));
    assert_eq!(session.param("SerialNumber"), Some(serial));
    assert_eq!(session.param("TokenCode"), Some("123456"));
    assert_eq!(session.param("DurationSeconds"), Some("28800"));
    assert_eq!(role.action, Some(Action::AssumeRole));
    assert_eq!(role.param("SerialNumber"), None);
    assert_eq!(role.param("TokenCode"), None);
    // Signed with the session's credentials, which carry the MFA.
    assert_eq!(
        role.access_key_id.as_deref(),
        Some(mock.issued()[0].access_key_id.as_str())
    );
}

#[tokio::test]
async fn a_cached_mfa_session_lets_a_later_process_assume_the_role_again_without_a_prompt() {
    let serial = "arn:aws:iam::123456789012:mfa/profile-session-cache";
    let mock = MockSts::start().await;
    mock.require_mfa(DEV);
    let files = Files::with_base(
        &mock,
        &format!("[profile dev]\nrole_arn = {DEV}\nsource_profile = base\nmfa_serial = {serial}\n"),
    );
    let cache_dir = files.dir.path().join("cache");
    let prompts = Arc::new(AtomicUsize::new(0));
    let run = || {
        let prompts = Arc::clone(&prompts);
        files
            .builder("dev", &mock)
            .mfa(mfa::from_fn(move |_: &MfaContext| {
                prompts.fetch_add(1, Ordering::SeqCst);
                TokenCode::new("864209").map_err(MfaError::failed)
            }))
            .mfa_session(std::time::Duration::from_secs(12 * 3600))
            .cache(FileCache::new(&cache_dir))
            .build()
    };
    run().await.unwrap().prefetch().await.unwrap();
    assert_eq!(prompts.load(Ordering::SeqCst), 1);

    // The role's own entry is gone (as when its hour is up); the session's is not.
    let role_entry = cache_dir.join(format!(
        "{}.json",
        cache_key_for_args(&serde_json::json!({"RoleArn": DEV}))
    ));
    std::fs::remove_file(&role_entry).expect("the role was cached without a serial number");
    run().await.unwrap().prefetch().await.unwrap();
    assert_eq!(prompts.load(Ordering::SeqCst), 1, "no second prompt");
    assert_eq!(mock.calls(Action::GetSessionToken), 1);
    assert_eq!(mock.calls(Action::AssumeRole), 2);
}

#[tokio::test]
async fn an_mfa_session_duration_out_of_range_is_an_invalid_option() {
    let mock = MockSts::start().await;
    let files = Files::with_base(
        &mock,
        &format!("[profile dev]\nrole_arn = {DEV}\nsource_profile = base\n"),
    );
    let err = build_err(
        files
            .builder("dev", &mock)
            .mfa_session(std::time::Duration::from_secs(60)),
    )
    .await;
    assert!(
        matches!(
            err,
            ProfileError::InvalidOption {
                option: "mfa_session",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("mfa_session"), "{err}");
    assert!(err.location().is_none());
}
