//! Providers from named profiles: every key reaching the wire, chains of profiles, credential
//! sources, profile selection, and an error naming file, profile and key for each mistake.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::cache::{FileCache, cli_cache_key};
use crate::mfa::TokenCode;
use crate::mfa::{self, MfaContext, MfaDevices, MfaError};
use crate::profile::ProfileBuilder;
use crate::profile::{
    Environment, ProfileError, ProfileErrorKind, SourceKind, from_env_profile, from_profile,
};
use crate::test_util::{Action, MockSts};
use crate::{AssumeRoleRequest, InvalidParameter, Parameter};
use aws_config::BehaviorVersion;
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

    fn env(&self) -> Environment {
        Environment::from_vars(self.vars.clone())
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

    /// A builder for `profile` reading these files, reaching STS at `mock`, with MFA devices
    /// of its own (so tests running in parallel can share a serial number).
    fn builder(&self, profile: &str, mock: &MockSts) -> ProfileBuilder {
        from_profile(profile)
            .environment(self.env())
            .mfa_devices(MfaDevices::new())
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

async fn build_err(builder: ProfileBuilder) -> ProfileError {
    builder.build().await.unwrap_err()
}

/// The AWS CLI's cache key for a role a profile assumes with a generated session name.
fn key_of(role_arn: &str, serial: Option<&str>) -> String {
    let mut request = AssumeRoleRequest::builder_with_generated_name(role_arn);
    if let Some(serial) = serial {
        request = request.serial_number(serial);
    }
    cli_cache_key(&request.build().unwrap())
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
    let serial = MFA_SERIAL;
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
    let mut builder = files.builder("dev", &mock);
    let chain = builder.resolve().await.unwrap();
    assert!(chain.roles()[0].request().session_name_generated);

    builder.build().await.unwrap().prefetch().await.unwrap();
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
    let mut builder = from_profile("ops")
        .environment(files.env())
        .sdk_config(&base);
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
    let mut builder = files.builder("ops", &mock);
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
    let mut builder = files.builder("ops", &mock);
    let chain = builder.resolve().await.unwrap();
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
    let mut builder = files.builder("dev", &mock);
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
        let mut builder = files.builder("dev", &mock);
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
        .environment(files.env())
        .sdk_config(&mock.sdk_config())
        .build()
        .await
        .unwrap();
    provider.prefetch().await.unwrap();
    assert_eq!(mock.requests()[0].param("RoleArn"), Some(DEV));

    // Without AWS_PROFILE, `default`.
    let mut builder = from_env_profile().environment(Environment::from_vars(picked));
    let chain = builder.resolve().await.unwrap();
    assert_eq!(chain.profile(), "default");
    assert_eq!(chain.roles()[0].request().role_arn(), OPS);
}

#[tokio::test]
async fn an_in_memory_file_system_can_stand_in_for_the_real_one() {
    let environment = Environment::from_vars([("HOME", "/home/alice")]).with_files([(
        "/home/alice/.aws/config",
        format!(
            "[profile dev]\nrole_arn = {DEV}\ncredential_source = Environment\nregion = eu-north-1\n"
        ),
    )]);
    let mut builder = from_profile("dev").environment(environment);
    let chain = builder.resolve().await.unwrap();
    assert_eq!(chain.region().map(|r| r.as_ref()), Some("eu-north-1"));
    assert_eq!(chain.roles()[0].request().role_arn(), DEV);
}

// ---- errors ----

/// Which file a location names.
#[derive(Clone, Copy, Debug)]
enum In {
    Config,
    Credentials,
}

/// One mistake in the files: what the resolver must say about it.
struct Case {
    name: &'static str,
    /// The config file (`$DEV`, `$OPS` stand for role ARNs).
    config: &'static str,
    /// The credentials file.
    credentials: &'static str,
    profile: &'static str,
    kind: ProfileErrorKind,
    /// The profile, key and file of the location, if there is one.
    at: Option<(&'static str, Option<&'static str>, In)>,
    /// Text the message must show.
    shows: &'static [&'static str],
    /// Text the message must not show.
    hides: &'static [&'static str],
    /// The parameter of the rule broken, for an invalid value.
    parameter: Option<Parameter>,
}

const KEYS: &str = "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n";

const CASES: &[Case] = &[
    Case {
        name: "a missing source profile",
        config: "[profile dev]\nrole_arn = $DEV\nsource_profile = gone\n",
        credentials: KEYS,
        profile: "dev",
        kind: ProfileErrorKind::MissingProfile,
        at: Some(("dev", Some("source_profile"), In::Config)),
        shows: &["`gone`", "`dev`"],
        hides: &[],
        parameter: None,
    },
    Case {
        name: "a loop of source profiles",
        config: "[profile a]\nrole_arn = $DEV\nsource_profile = b\n\
                 [profile b]\nrole_arn = $DEV\nsource_profile = c\n\
                 [profile c]\nrole_arn = $DEV\nsource_profile = a\n",
        credentials: KEYS,
        profile: "a",
        kind: ProfileErrorKind::Loop,
        at: Some(("c", Some("source_profile"), In::Config)),
        shows: &["a -> b -> c -> a"],
        hides: &[],
        parameter: None,
    },
    Case {
        name: "both source_profile and credential_source",
        config: "[profile dev]\nrole_arn = $DEV\nsource_profile = base\ncredential_source = Environment\n",
        credentials: KEYS,
        profile: "dev",
        kind: ProfileErrorKind::BothSources,
        at: Some(("dev", Some("credential_source"), In::Config)),
        shows: &["source_profile", "credential_source", "`dev`"],
        hides: &[],
        parameter: None,
    },
    Case {
        name: "neither source_profile nor credential_source",
        config: "[profile dev]\nrole_arn = $DEV\n",
        credentials: KEYS,
        profile: "dev",
        kind: ProfileErrorKind::NoSource,
        at: Some(("dev", Some("role_arn"), In::Config)),
        shows: &["neither"],
        hides: &[],
        parameter: None,
    },
    Case {
        name: "a source profile without keys",
        config: "[profile dev]\nrole_arn = $DEV\nsource_profile = empty\n[profile empty]\nregion = us-east-1\n",
        credentials: KEYS,
        profile: "dev",
        kind: ProfileErrorKind::NoCredentials,
        at: Some(("empty", Some("aws_access_key_id"), In::Config)),
        shows: &["`aws_access_key_id`"],
        hides: &[],
        parameter: None,
    },
    Case {
        name: "a source profile with half its keys, in the credentials file",
        config: "[profile half]\nrole_arn = $DEV\nsource_profile = halfkeys\n",
        credentials: "[halfkeys]\naws_access_key_id = AKIAHALF\n",
        profile: "half",
        kind: ProfileErrorKind::NoCredentials,
        at: Some(("halfkeys", Some("aws_secret_access_key"), In::Credentials)),
        shows: &["`aws_secret_access_key`"],
        hides: &["AKIAHALF"],
        parameter: None,
    },
    Case {
        name: "an unknown credential_source",
        config: "[profile dev]\nrole_arn = $DEV\ncredential_source = Ec2\n",
        credentials: KEYS,
        profile: "dev",
        kind: ProfileErrorKind::UnknownCredentialSource,
        at: Some(("dev", Some("credential_source"), In::Config)),
        shows: &["`Ec2`"],
        hides: &[],
        parameter: None,
    },
    Case {
        name: "an invalid role_arn",
        config: "[profile dev]\nrole_arn = not-an-arn\nsource_profile = base\n",
        credentials: KEYS,
        profile: "dev",
        kind: ProfileErrorKind::InvalidValue,
        at: Some(("dev", Some("role_arn"), In::Config)),
        shows: &["`role_arn`", "`dev`"],
        hides: &[],
        parameter: Some(Parameter::RoleArn),
    },
    Case {
        name: "an invalid role_session_name",
        config: "[profile dev]\nrole_arn = $DEV\nsource_profile = base\nrole_session_name = a b\n",
        credentials: KEYS,
        profile: "dev",
        kind: ProfileErrorKind::InvalidValue,
        at: Some(("dev", Some("role_session_name"), In::Config)),
        shows: &["`role_session_name`"],
        hides: &[],
        parameter: Some(Parameter::RoleSessionName),
    },
    Case {
        name: "an invalid external_id",
        config: "[profile dev]\nrole_arn = $DEV\nsource_profile = base\nexternal_id = x\n",
        credentials: KEYS,
        profile: "dev",
        kind: ProfileErrorKind::InvalidValue,
        at: Some(("dev", Some("external_id"), In::Config)),
        shows: &["`external_id`"],
        hides: &[],
        parameter: Some(Parameter::ExternalId),
    },
    Case {
        name: "a duration_seconds that is no number",
        config: "[profile dev]\nrole_arn = $DEV\nsource_profile = base\nduration_seconds = an hour\n",
        credentials: KEYS,
        profile: "dev",
        kind: ProfileErrorKind::InvalidValue,
        at: Some(("dev", Some("duration_seconds"), In::Config)),
        shows: &["`duration_seconds`"],
        hides: &[],
        parameter: Some(Parameter::DurationSeconds),
    },
    Case {
        name: "a duration_seconds out of range",
        config: "[profile dev]\nrole_arn = $DEV\nsource_profile = base\nduration_seconds = 60\n",
        credentials: KEYS,
        profile: "dev",
        kind: ProfileErrorKind::InvalidValue,
        at: Some(("dev", Some("duration_seconds"), In::Config)),
        shows: &["`duration_seconds`"],
        hides: &[],
        parameter: Some(Parameter::DurationSeconds),
    },
    Case {
        name: "an invalid mfa_serial",
        config: "[profile dev]\nrole_arn = $DEV\nsource_profile = base\nmfa_serial = short\n",
        credentials: KEYS,
        profile: "dev",
        kind: ProfileErrorKind::InvalidValue,
        at: Some(("dev", Some("mfa_serial"), In::Config)),
        shows: &["`mfa_serial`"],
        hides: &[],
        parameter: Some(Parameter::SerialNumber),
    },
    Case {
        // The first role is assumed with keys, so 7200 is fine there; only `ops` is chained.
        name: "role chaining over one hour",
        config: "[profile ops]\nrole_arn = $OPS\nsource_profile = dev\nduration_seconds = 7200\n\
                 [profile dev]\nrole_arn = $DEV\nsource_profile = base\nduration_seconds = 7200\n",
        credentials: KEYS,
        profile: "ops",
        kind: ProfileErrorKind::InvalidValue,
        at: Some(("ops", Some("duration_seconds"), In::Config)),
        shows: &["`duration_seconds`", "`ops`"],
        hides: &[],
        parameter: Some(Parameter::DurationSeconds),
    },
    Case {
        name: "a profile without role_arn",
        config: "",
        credentials: KEYS,
        profile: "base",
        kind: ProfileErrorKind::NotARole,
        at: Some(("base", Some("role_arn"), In::Credentials)),
        shows: &["`role_arn`"],
        hides: &["base-secret"],
        parameter: None,
    },
    Case {
        name: "an empty mfa_process",
        config: "[profile dev]\nrole_arn = $DEV\nsource_profile = base\n\
                 mfa_serial = arn:aws:iam::123456789012:mfa/alice\nmfa_process =  \n",
        credentials: KEYS,
        profile: "dev",
        kind: ProfileErrorKind::InvalidValue,
        at: Some(("dev", Some("mfa_process"), In::Config)),
        shows: &["`mfa_process`", "`dev`"],
        hides: &[],
        parameter: None,
    },
    Case {
        name: "a web identity profile selected: the SDK's role, not ours",
        config: "[profile pod]\nrole_arn = $DEV\nweb_identity_token_file = /var/run/token\n",
        credentials: KEYS,
        profile: "pod",
        kind: ProfileErrorKind::NotARole,
        at: Some(("pod", Some("web_identity_token_file"), In::Config)),
        shows: &["`web_identity_token_file`", "`source_profile = pod`"],
        hides: &["/var/run/token"],
        parameter: None,
    },
];

#[tokio::test]
async fn each_mistake_in_the_files_is_named_by_kind_file_profile_and_key() {
    for case in CASES {
        let config = case.config.replace("$DEV", DEV).replace("$OPS", OPS);
        let files = Files::new(&config, case.credentials);
        let mut builder = from_profile(case.profile).environment(files.env());
        let err = builder.resolve().await.unwrap_err();
        let name = case.name;
        assert_eq!(err.kind(), case.kind, "{name}: {err:?}");
        match case.at {
            Some((profile, key, file)) => {
                let at = err
                    .location()
                    .unwrap_or_else(|| panic!("{name}: no location"));
                assert_eq!(at.profile(), profile, "{name}");
                assert_eq!(at.key(), key, "{name}");
                let path = match file {
                    In::Config => files.config_path(),
                    In::Credentials => files.credentials_path(),
                };
                assert_eq!(at.file(), path, "{name}");
            }
            None => assert!(err.location().is_none(), "{name}"),
        }
        let shown = err.to_string();
        for text in case.shows {
            assert!(shown.contains(text), "{name}: {shown}");
        }
        for text in case.hides {
            let all = format!(
                "{shown} / {err:?} / {}",
                aws_smithy_types::error::display::DisplayErrorContext(&err)
            );
            assert!(!all.contains(text), "{name}: {all}");
        }
        if let Some(parameter) = case.parameter {
            let rule = std::error::Error::source(&err)
                .and_then(|s| s.downcast_ref::<InvalidParameter>())
                .unwrap_or_else(|| panic!("{name}: the rule broken is the source"));
            assert_eq!(rule.parameter(), parameter, "{name}");
        }
    }
}

#[tokio::test]
async fn a_missing_profile_is_named_with_the_profile_and_the_files_looked_in() {
    let files = Files::new(
        &format!("[profile dev]\nrole_arn = {DEV}\nsource_profile = gone\n"),
        KEYS,
    );
    let mut builder = from_profile("nope").environment(files.env());
    let err = builder.resolve().await.unwrap_err();
    assert_eq!(err.kind(), ProfileErrorKind::MissingProfile);
    assert_eq!(err.missing_profile(), Some("nope"));
    assert_eq!(err.profile(), Some("nope"));
    assert!(
        err.location().is_none(),
        "the selected profile: nobody named it"
    );
    let looked_in = err.file().unwrap();
    assert!(looked_in.contains(&files.config_path()), "{err}");
    assert!(looked_in.contains(&files.credentials_path()), "{err}");

    let mut builder = from_profile("dev").environment(files.env());
    let err = builder.resolve().await.unwrap_err();
    assert_eq!(err.missing_profile(), Some("gone"));
    assert_eq!(err.key(), Some("source_profile"));
}

#[tokio::test]
async fn a_loop_lists_its_profiles_in_the_order_followed() {
    let config = CASES[1].config.replace("$DEV", DEV);
    let files = Files::new(&config, KEYS);
    let mut builder = from_profile("a").environment(files.env());
    let err = builder.resolve().await.unwrap_err();
    assert_eq!(
        err.chain(),
        Some(&["a", "b", "c", "a"].map(String::from)[..])
    );
    let files = Files::new(&CASES[6].config.replace("$DEV", DEV), KEYS);
    let mut builder = from_profile("dev").environment(files.env());
    assert_eq!(builder.resolve().await.unwrap_err().value(), Some("Ec2"));
}

#[tokio::test]
async fn without_overriding_variables_errors_name_the_default_files() {
    let environment = Environment::from_vars([("HOME", "/home/alice")]).with_files([(
        "/home/alice/.aws/config",
        format!("[profile dev]\nrole_arn = {DEV}\n"),
    )]);
    let mut builder = from_profile("dev").environment(environment.clone());
    let err = builder.resolve().await.unwrap_err();
    assert_eq!(err.file(), Some("~/.aws/config"));
    let mut builder = from_profile("other").environment(environment);
    let err = builder.resolve().await.unwrap_err();
    assert_eq!(err.file(), Some("~/.aws/config or ~/.aws/credentials"));
}

/// An STS client that is never called: for builds that must fail before STS.
fn offline_sts() -> aws_types::SdkConfig {
    aws_types::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .build()
}

#[tokio::test]
async fn mistakes_of_the_builder_itself_are_found_by_build() {
    let config = format!(
        "[profile dev]\nrole_arn = {DEV}\nsource_profile = base\nmfa_serial = {MFA_SERIAL}\n"
    );
    let files = Files::new(&config, KEYS);
    let builder = || {
        from_profile("dev")
            .environment(files.env())
            .sdk_config(&offline_sts())
    };

    // `mfa_serial` with no token source to ask.
    let err = builder().build().await.unwrap_err();
    assert_eq!(err.kind(), ProfileErrorKind::MfaSourceMissing, "{err:?}");
    let at = err.location().unwrap();
    assert_eq!(
        (at.profile(), at.key(), at.file()),
        ("dev", Some("mfa_serial"), files.config_path().as_str())
    );

    // An MFA session of 60 seconds.
    let err = builder()
        .mfa(code_123456())
        .mfa_session(std::time::Duration::from_secs(60))
        .build()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ProfileErrorKind::InvalidOption, "{err:?}");
    assert_eq!(err.option(), Some("mfa_session"));
    assert!(err.to_string().contains("mfa_session"), "{err}");
    assert!(err.location().is_none());
}

#[tokio::test]
async fn under_an_mfa_session_a_role_of_more_than_an_hour_is_refused_naming_duration_seconds() {
    let config = format!(
        "[profile dev]\nrole_arn = {DEV}\nsource_profile = base\nmfa_serial = {MFA_SERIAL}\n\
         duration_seconds = 7200\n"
    );
    let files = Files::new(&config, KEYS);
    let builder = || {
        from_profile("dev")
            .environment(files.env())
            .sdk_config(&offline_sts())
            .mfa(code_123456())
    };
    // Without an MFA session the role sends the code itself and may last two hours.
    builder().build().await.unwrap();
    let err = builder()
        .mfa_session(std::time::Duration::from_secs(12 * 3600))
        .build()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ProfileErrorKind::InvalidValue, "{err:?}");
    let at = err.location().unwrap();
    assert_eq!(
        (at.profile(), at.key(), at.file()),
        (
            "dev",
            Some("duration_seconds"),
            files.config_path().as_str()
        )
    );
    let rule = std::error::Error::source(&err)
        .and_then(|s| s.downcast_ref::<InvalidParameter>())
        .unwrap();
    assert!(rule.rule().contains("MFA session"), "{rule}");
}

#[tokio::test]
async fn build_after_resolve_reads_the_files_once() {
    let mock = MockSts::start().await;
    let files = Files::with_base(
        &mock,
        &format!("[profile dev]\nrole_arn = {DEV}\nsource_profile = base\n"),
    );
    let mut builder = files.builder("dev", &mock);
    builder.resolve().await.unwrap();
    // The files are gone: a second read would fail.
    std::fs::remove_file(files.config_path()).unwrap();
    std::fs::remove_file(files.credentials_path()).unwrap();
    let provider = builder.build().await.unwrap();
    provider.prefetch().await.unwrap();
    assert_eq!(mock.requests()[0].param("RoleArn"), Some(DEV));
}

#[tokio::test]
async fn a_chain_resolved_first_is_the_one_the_default_chain_uses() {
    let mock = MockSts::builder().mfa_code("123456").start().await;
    mock.require_mfa(DEV);
    let files = Files::with_base(
        &mock,
        &format!(
            "[profile dev]\nrole_arn = {DEV}\nsource_profile = base\nmfa_serial = {MFA_SERIAL}\n"
        ),
    )
    .var("AWS_PROFILE", "dev");
    let mut builder = from_env_profile()
        .environment(files.env())
        .mfa_devices(MfaDevices::new())
        .mfa(code_123456())
        .sdk_config(&mock.sdk_config());
    builder.resolve().await.unwrap();
    // The files are gone; the chain resolved from them still serves.
    std::fs::remove_file(files.config_path()).unwrap();
    let chain = builder.build_default_chain().await.unwrap();
    assert_eq!(chain.profile(), "dev");
    assert!(chain.role_provider().is_some());
    aws_credential_types::provider::ProvideCredentials::provide_credentials(&chain)
        .await
        .unwrap();
    assert_eq!(mock.calls(Action::AssumeRole), 1);
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

    let mut builder = files.builder("dev", &mock).mfa(code_123456());
    let chain = format!("{:?}", builder.resolve().await.unwrap());
    for shown in [format!("{builder:?}"), chain] {
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
    let serial = MFA_SERIAL;
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
    for (role, serial) in [(DEV, Some(serial)), (OPS, None)] {
        let path = cache_dir.join(format!("{}.json", key_of(role, serial)));
        assert!(path.is_file(), "{role} cached at its AWS CLI key");
    }

    // A second process: a fresh builder, the same files and cache directory.
    let second = run().await.unwrap().prefetch().await.unwrap();
    assert_eq!(prompts.load(Ordering::SeqCst), 1, "no second prompt");
    assert_eq!(mock.calls(Action::AssumeRole), 2, "no second STS call");
    assert_eq!(second.access_key_id(), first.access_key_id());
}

#[tokio::test]
async fn with_mfa_session_the_code_goes_to_get_session_token_and_the_role_sends_none() {
    let serial = MFA_SERIAL;
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
    let serial = MFA_SERIAL;
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
    let role_entry = cache_dir.join(format!("{}.json", key_of(DEV, None)));
    std::fs::remove_file(&role_entry).expect("the role was cached without a serial number");
    run().await.unwrap().prefetch().await.unwrap();
    assert_eq!(prompts.load(Ordering::SeqCst), 1, "no second prompt");
    assert_eq!(mock.calls(Action::GetSessionToken), 1);
    assert_eq!(mock.calls(Action::AssumeRole), 2);
}

/// `login_session`, in the SDK's order before `credential_process`: aws-config's with the
/// `login-session` feature, refused without it.
const LOGIN: &str = "[profile dev]\nrole_arn = $DEV\nsource_profile = console\n\
                     [profile console]\nlogin_session = arn:aws:iam::123456789012:user/alice\n\
                     credential_process = /bin/creds --user bob\n";

#[cfg(not(feature = "login-session"))]
#[tokio::test]
async fn without_the_login_session_feature_login_session_is_unsupported() {
    let files = Files::new(&LOGIN.replace("$DEV", DEV), "");
    let err = from_profile("dev")
        .environment(files.env())
        .resolve()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ProfileErrorKind::UnsupportedSource);
    let at = err.location().unwrap();
    assert_eq!((at.profile(), at.key()), ("console", Some("login_session")));
    let shown = format!("{err} / {err:?}");
    assert!(shown.contains("`login-session` feature"), "{shown}");
    for hidden in ["alice", "bob"] {
        assert!(!shown.contains(hidden), "{shown}");
    }
}

#[cfg(feature = "login-session")]
#[tokio::test]
async fn with_the_login_session_feature_login_session_is_the_sdks() {
    let files = Files::new(&LOGIN.replace("$DEV", DEV), "");
    let mut builder = from_profile("dev").environment(files.env());
    let source = builder.resolve().await.unwrap().source();
    assert_eq!(source.kind(), SourceKind::LoginSession);
    assert!(source.is_resolved_by_sdk());
    assert_eq!(source.profile(), "console");
}

/// An executable script in `files`' directory that counts its runs in `runs` and prints
/// `code`; its path.
#[cfg(unix)]
fn code_script(files: &Files, name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = files.path(name);
    let runs = files.path("runs");
    std::fs::write(&path, format!("#!/bin/sh\necho run >> '{runs}'\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
    path
}

#[cfg(unix)]
fn runs(files: &Files) -> usize {
    std::fs::read_to_string(files.path("runs"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

#[cfg(unix)]
#[tokio::test]
async fn mfa_process_gives_the_codes_of_its_role_without_a_source_in_code() {
    let mock = MockSts::builder().mfa_code("482913").start().await;
    mock.require_mfa(DEV);
    let files = Files::with_base(&mock, "");
    let script = code_script(&files, "code.sh", "echo \"$1$2\"");
    std::fs::write(
        files.config_path(),
        format!(
            "[profile dev]\nrole_arn = {DEV}\nsource_profile = base\nmfa_serial = {MFA_SERIAL}\n\
             mfa_process = '{script}' 482 913\n"
        ),
    )
    .unwrap();

    let provider = files.builder("dev", &mock).build().await.unwrap();
    provider.prefetch().await.unwrap();

    assert_eq!(
        runs(&files),
        1,
        "the command ran once (with `sh -c`: the arguments split)"
    );
    let sent = mock.requests().pop().unwrap();
    assert_eq!(sent.param("SerialNumber"), Some(MFA_SERIAL));
    assert_eq!(sent.param("TokenCode"), Some("482913"));
    // The chain's Debug says `mfa_process` is set, not what it runs.
    let mut builder = files.builder("dev", &mock);
    let shown = format!("{:?}", builder.resolve().await.unwrap());
    assert!(
        shown.contains("(set)") && !shown.contains("code.sh"),
        "{shown}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn mfa_process_wins_over_the_source_in_code_for_its_role_only() {
    const OPS_SERIAL: &str = "arn:aws:iam::123456789012:mfa/ops-key";
    let mock = MockSts::start().await;
    mock.require_mfa(DEV);
    mock.require_mfa(OPS);
    let files = Files::with_base(&mock, "");
    let script = code_script(&files, "code.sh", "echo 482913");
    std::fs::write(
        files.config_path(),
        format!(
            "[profile ops]\nrole_arn = {OPS}\nsource_profile = dev\nmfa_serial = {OPS_SERIAL}\n\
             [profile dev]\nrole_arn = {DEV}\nsource_profile = base\nmfa_serial = {MFA_SERIAL}\n\
             mfa_process = {script}\n"
        ),
    )
    .unwrap();
    let asked = Arc::new(AtomicUsize::new(0));
    let counted = {
        let asked = Arc::clone(&asked);
        mfa::from_fn(move |_: &MfaContext| {
            asked.fetch_add(1, Ordering::SeqCst);
            TokenCode::new("123456").map_err(MfaError::failed)
        })
    };

    let provider = files
        .builder("ops", &mock)
        .mfa(counted)
        .build()
        .await
        .unwrap();
    provider.prefetch().await.unwrap();

    let requests = mock.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].param("RoleArn"), Some(DEV));
    assert_eq!(
        requests[0].param("TokenCode"),
        Some("482913"),
        "dev's mfa_process"
    );
    assert_eq!(requests[1].param("RoleArn"), Some(OPS));
    assert_eq!(
        requests[1].param("TokenCode"),
        Some("123456"),
        "the source in code"
    );
    assert_eq!((runs(&files), asked.load(Ordering::SeqCst)), (1, 1));
}

#[cfg(unix)]
#[tokio::test]
async fn under_an_mfa_session_mfa_process_gives_the_sessions_code() {
    let mock = MockSts::start().await;
    mock.require_mfa(DEV);
    let files = Files::with_base(&mock, "");
    let script = code_script(&files, "code.sh", "echo 482913");
    std::fs::write(
        files.config_path(),
        format!(
            "[profile dev]\nrole_arn = {DEV}\nsource_profile = base\nmfa_serial = {MFA_SERIAL}\n\
             mfa_process = {script}\n"
        ),
    )
    .unwrap();
    files
        .builder("dev", &mock)
        .mfa_session(std::time::Duration::from_secs(8 * 3600))
        .build()
        .await
        .unwrap()
        .prefetch()
        .await
        .unwrap();
    let requests = mock.requests();
    assert_eq!(requests[0].action, Some(Action::GetSessionToken));
    assert_eq!(requests[0].param("TokenCode"), Some("482913"));
    assert_eq!(requests[1].param("TokenCode"), None);
    assert_eq!(runs(&files), 1);
}

#[cfg(unix)]
#[tokio::test]
async fn a_failing_mfa_process_is_named_by_key_profile_and_file() {
    let mock = MockSts::start().await;
    mock.require_mfa(DEV);
    let files = Files::with_base(&mock, "");
    let script = code_script(&files, "fails.sh", "exit 2");
    std::fs::write(
        files.config_path(),
        format!(
            "[profile dev]\nrole_arn = {DEV}\nsource_profile = base\nmfa_serial = {MFA_SERIAL}\n\
             mfa_process = {script} --seed JBSWY3DPEHPK3PXP\n\
             [profile plain]\nrole_arn = {OPS}\nsource_profile = base\nmfa_process = {script}\n"
        ),
    )
    .unwrap();

    let err = files
        .builder("dev", &mock)
        .build()
        .await
        .unwrap()
        .prefetch()
        .await
        .unwrap_err();

    let shown = aws_smithy_types::error::display::DisplayErrorContext(&err).to_string();
    let at = format!("`mfa_process` of profile `dev` in {}", files.config_path());
    assert!(
        shown.contains(&format!("{at} failed (exit status: 2)")),
        "{shown}"
    );
    assert!(
        !format!("{shown} {err:?}").contains("JBSWY3DPEHPK3PXP"),
        "{shown}"
    );
    assert_eq!(mock.calls(Action::AssumeRole), 0);

    // Without `mfa_serial`, no code is asked for and `mfa_process` never runs.
    files
        .builder("plain", &mock)
        .build()
        .await
        .unwrap()
        .prefetch()
        .await
        .unwrap();
    assert_eq!(mock.requests().pop().unwrap().param("TokenCode"), None);
    assert_eq!(runs(&files), 1, "only dev's run");
}
