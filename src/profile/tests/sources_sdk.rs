//! Chains whose base is a source the SDK resolves (`credential_process` here, web identity
//! below, SSO in `profile_sso.rs`): the SDK's provider gets the base, this crate assumes the
//! roles above it with its MFA and cache, and failures name the file, the profile and the key.

use super::sources;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::cache::FileCache;
use crate::mfa::MfaDevices;
use crate::profile::ProfileBuilder;
use crate::profile::{Environment, SourceKind, from_profile};
use crate::test_util::{Action, MockSts};
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_types::error::display::DisplayErrorContext;
use sources::{counting_code, source_error};
use tempfile::TempDir;

const DEV: &str = "arn:aws:iam::123456789012:role/dev";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

/// A directory with a config file, the variables naming it, and a cache directory.
struct Setup {
    dir: TempDir,
}

impl Setup {
    fn new(config: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config"), config).unwrap();
        std::fs::write(dir.path().join("credentials"), "").unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn env(&self) -> Environment {
        let path = |name: &str| self.path(name).to_str().unwrap().to_owned();
        Environment::from_vars([
            ("AWS_CONFIG_FILE", path("config")),
            ("AWS_SHARED_CREDENTIALS_FILE", path("credentials")),
            ("HOME", path("home")),
        ])
    }

    fn builder(&self, profile: &str, mock: &MockSts) -> ProfileBuilder {
        from_profile(profile)
            .environment(self.env())
            .mfa_devices(MfaDevices::new())
            .sdk_config(&mock.sdk_config())
    }

    /// An executable shell script; each run appends a line to `runs`.
    fn script(&self, name: &str, body: &str) -> String {
        let path = self.path(name);
        let runs = self.path("runs");
        std::fs::write(
            &path,
            format!("#!/bin/sh\necho run >> '{}'\n{body}\n", runs.display()),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        path.to_str().unwrap().to_owned()
    }

    fn runs(&self) -> usize {
        std::fs::read_to_string(self.path("runs"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }
}

/// A `credential_process` answer with the mock's source keys.
fn process_answer(mock: &MockSts) -> String {
    let keys = mock.source_credentials();
    format!(
        "cat <<'EOF'\n{{\"Version\": 1, \"AccessKeyId\": \"{}\", \"SecretAccessKey\": \"{}\"}}\nEOF",
        keys.access_key_id(),
        keys.secret_access_key()
    )
}

fn role_over(source_profile: &str, base: &str) -> String {
    format!(
        "[profile dev]\nrole_arn = {DEV}\nsource_profile = {source_profile}\nmfa_serial = {SERIAL}\n{base}"
    )
}

#[tokio::test]
async fn a_role_over_credential_process_asks_once_and_a_second_process_uses_the_cache() {
    let mock = MockSts::builder().mfa_code("123456").start().await;
    mock.require_mfa(DEV);
    let setup = Setup::new("");
    let command = setup.script("creds.sh", &process_answer(&mock));
    std::fs::write(
        setup.path("config"),
        role_over(
            "proc",
            &format!("[profile proc]\ncredential_process = {command} --user alice\n"),
        ),
    )
    .unwrap();
    let cache_dir = setup.path("cache");
    let prompts = Arc::new(AtomicUsize::new(0));
    let run = || {
        setup
            .builder("dev", &mock)
            .mfa(counting_code(&prompts))
            .cache(FileCache::new(&cache_dir))
    };

    let mut first = run();
    let chain = first.resolve().await.unwrap();
    assert_eq!(chain.source().kind(), SourceKind::CredentialProcess);
    assert!(chain.source().is_resolved_by_sdk());
    let first = first.build().await.unwrap().prefetch().await.unwrap();
    assert_eq!(setup.runs(), 1, "the process ran once");
    assert_eq!(prompts.load(Ordering::SeqCst), 1, "one prompt");
    assert_eq!(mock.calls(Action::AssumeRole), 1);
    let sent = mock.requests().pop().unwrap();
    // Signed with the keys the process printed, and sent with the code.
    assert_eq!(
        sent.access_key_id.as_deref(),
        Some(mock.source_credentials().access_key_id())
    );
    assert_eq!(sent.param("SerialNumber"), Some(SERIAL));
    assert_eq!(sent.param("TokenCode"), Some("123456"));

    // A second process: a fresh builder over the same files and cache.
    let second = run().build().await.unwrap().prefetch().await.unwrap();
    assert_eq!(second.access_key_id(), first.access_key_id());
    assert_eq!(prompts.load(Ordering::SeqCst), 1, "no second prompt");
    assert_eq!(mock.calls(Action::AssumeRole), 1, "no second STS call");
    assert_eq!(setup.runs(), 1, "the process did not run again");
}

/// What a role over a `credential_process` running `body` fails with: the error shown whole,
/// and the kind, profile and key of its `SourceError`. The messages and `Debug` are checked
/// for the secrets the process printed, and STS must not have been called.
async fn process_failure(body: &str) -> (String, Option<(SourceKind, String, Option<String>)>) {
    let mock = MockSts::start().await;
    let setup = Setup::new("");
    let command = setup.script("creds.sh", body);
    std::fs::write(
        setup.path("config"),
        role_over(
            "proc",
            &format!("[profile proc]\ncredential_process = {command}\n"),
        ),
    )
    .unwrap();
    let provider = setup
        .builder("dev", &mock)
        .mfa(counting_code(&Arc::default()))
        .build()
        .await
        .unwrap();
    let err = provider.provide_credentials().await.unwrap_err();
    let shown = format!("{} / {err:?}", DisplayErrorContext(&err));
    for secret in ["AKIAOUTPUTLEAK", "output-secret"] {
        assert!(!shown.contains(secret), "stdout shown: {shown}");
    }
    assert_eq!(mock.calls(Action::AssumeRole), 0, "STS was not called");
    let found = source_error(&err).map(|found| {
        assert!(found.file().ends_with("config"), "{shown}");
        (
            found.kind(),
            found.profile().to_owned(),
            found.key().map(str::to_owned),
        )
    });
    (shown, found)
}

/// Prints credentials with `extra` members, on stdout.
const PRINTED: &str = "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIAOUTPUTLEAK\", \"SecretAccessKey\": \"output-secret\"EXTRA}'";

#[tokio::test]
async fn a_failed_credential_process_shows_its_status_and_stderr_never_its_stdout() {
    let body = format!(
        "{}\necho 'vault is locked: run unlock' >&2\nexit 3",
        PRINTED.replace("EXTRA", "")
    );
    let (shown, found) = process_failure(&body).await;
    assert_eq!(
        found,
        Some((
            SourceKind::CredentialProcess,
            "proc".to_owned(),
            Some("credential_process".to_owned())
        )),
        "{shown}"
    );
    assert!(shown.contains("exit status: 3"), "{shown}");
    assert!(shown.contains("vault is locked: run unlock"), "{shown}");
}

#[tokio::test]
async fn unreadable_credential_process_output_is_named_not_shown() {
    let body = PRINTED.replace("EXTRA", ", \"Expiration\": \"output-secret-date\"");
    let (shown, found) = process_failure(&body).await;
    assert!(found.is_some(), "{shown}");
    assert!(shown.contains("`Expiration`"), "{shown}");
}

#[tokio::test]
async fn a_credential_process_is_the_base_only_where_the_sdk_would_pick_it() {
    // As for the SDK, `credential_process` in a profile whose keys are complete is not the
    // source: a source profile with both keys is used for its keys.
    let mock = MockSts::start().await;
    let keys = mock.source_credentials();
    let setup = Setup::new(&role_over(
        "both",
        &format!(
            "[profile both]\naws_access_key_id = {}\naws_secret_access_key = {}\ncredential_process = /bin/false\n",
            keys.access_key_id(),
            keys.secret_access_key()
        ),
    ));
    let mut builder = setup.builder("dev", &mock);
    assert_eq!(
        builder.resolve().await.unwrap().source().kind(),
        SourceKind::StaticKeys
    );
}

#[tokio::test]
async fn a_role_over_web_identity_asks_once_and_a_second_process_uses_the_cache() {
    const POD: &str = "arn:aws:iam::123456789012:role/pod";
    let mock = MockSts::builder().mfa_code("123456").start().await;
    mock.require_mfa(DEV);
    mock.set_web_identity_token("eyJ.pod-token.sig");
    let setup = Setup::new("");
    std::fs::write(setup.path("token"), "eyJ.pod-token.sig").unwrap();
    // The base is the SDK's: `role_arn` with `web_identity_token_file`; its STS client finds
    // the mock through the profile's `endpoint_url`.
    std::fs::write(
        setup.path("config"),
        role_over(
            "pod",
            &format!(
                "[profile pod]\nrole_arn = {POD}\nweb_identity_token_file = {}\n\
                 role_session_name = pod-session\nregion = us-east-1\nendpoint_url = {}\n",
                setup.path("token").display(),
                mock.endpoint_url()
            ),
        ),
    )
    .unwrap();
    let cache_dir = setup.path("cache");
    let prompts = Arc::new(AtomicUsize::new(0));
    let run = || {
        setup
            .builder("dev", &mock)
            .mfa(counting_code(&prompts))
            .cache(FileCache::new(&cache_dir))
    };

    let mut first = run();
    let chain = first.resolve().await.unwrap();
    assert_eq!(chain.source().kind(), SourceKind::WebIdentityToken);
    assert_eq!(
        chain.roles().len(),
        1,
        "the pod role is the SDK's, not ours"
    );
    let first = first.build().await.unwrap().prefetch().await.unwrap();
    assert_eq!(mock.calls(Action::AssumeRoleWithWebIdentity), 1);
    assert_eq!(mock.calls(Action::AssumeRole), 1);
    assert_eq!(prompts.load(Ordering::SeqCst), 1);
    let requests = mock.requests();
    let web = requests
        .iter()
        .find(|r| r.action == Some(Action::AssumeRoleWithWebIdentity))
        .unwrap();
    assert_eq!(web.param("RoleArn"), Some(POD));
    assert_eq!(web.param("RoleSessionName"), Some("pod-session"));
    let role = requests.last().unwrap();
    assert_eq!(role.param("RoleArn"), Some(DEV));
    assert_eq!(role.param("TokenCode"), Some("123456"));
    // Signed with the credentials the web identity call issued: role chaining.
    let issued = mock.issued();
    assert_eq!(
        role.access_key_id.as_deref(),
        Some(issued[0].credentials().access_key_id())
    );

    let second = run().build().await.unwrap().prefetch().await.unwrap();
    assert_eq!(second.access_key_id(), first.access_key_id());
    assert_eq!(prompts.load(Ordering::SeqCst), 1, "no second prompt");
    assert_eq!(mock.calls(Action::AssumeRole), 1, "no second AssumeRole");
    assert_eq!(mock.calls(Action::AssumeRoleWithWebIdentity), 1);
}

#[tokio::test]
async fn a_rejected_web_identity_token_names_the_profile_and_key() {
    let mock = MockSts::start().await;
    mock.set_web_identity_token("the-valid-token");
    let setup = Setup::new("");
    std::fs::write(setup.path("token"), "a-stale-token").unwrap();
    std::fs::write(
        setup.path("config"),
        role_over(
            "pod",
            &format!(
                "[profile pod]\nrole_arn = arn:aws:iam::123456789012:role/pod\n\
                 web_identity_token_file = {}\nregion = us-east-1\nendpoint_url = {}\n",
                setup.path("token").display(),
                mock.endpoint_url()
            ),
        ),
    )
    .unwrap();
    let provider = setup
        .builder("dev", &mock)
        .mfa(counting_code(&Arc::default()))
        .build()
        .await
        .unwrap();
    let err = provider.provide_credentials().await.unwrap_err();
    let shown = DisplayErrorContext(&err).to_string();
    let found = source_error(&err).unwrap_or_else(|| panic!("{shown}"));
    assert_eq!(found.kind(), SourceKind::WebIdentityToken);
    assert_eq!(found.profile(), "pod");
    assert_eq!(found.key(), Some("web_identity_token_file"));
    assert!(shown.contains("InvalidIdentityToken"), "{shown}");
    assert!(!shown.contains("a-stale-token"), "{shown}");
    assert_eq!(mock.calls(Action::AssumeRole), 0);
}

#[tokio::test]
async fn a_source_error_keeps_the_sdks_meaning_configuration_or_retryable() {
    use crate::Error;
    let mock = MockSts::start().await;
    // An SSO profile naming a session that has no `[sso-session]` section: configuration.
    let setup = Setup::new(&role_over(
        "sso",
        "[profile sso]\nsso_session = nowhere\nsso_account_id = 111111111111\nsso_role_name = Reader\n",
    ));
    let err = setup
        .builder("dev", &mock)
        .mfa(counting_code(&Arc::default()))
        .build()
        .await
        .unwrap()
        .provide_credentials()
        .await
        .unwrap_err();
    let shown = DisplayErrorContext(&err).to_string();
    assert!(source_error(&err).is_some(), "{shown}");
    let ours = Error::find_in(&err).unwrap_or_else(|| panic!("{shown}"));
    assert!(ours.is_configuration(), "{shown}");
    assert!(!ours.is_retryable(), "{shown}");

    // A process that fails: the SDK's provider error, which may pass.
    let setup = Setup::new("");
    let command = setup.script("fails.sh", "exit 1");
    std::fs::write(
        setup.path("config"),
        role_over(
            "proc",
            &format!("[profile proc]\ncredential_process = {command}\n"),
        ),
    )
    .unwrap();
    let err = setup
        .builder("dev", &mock)
        .mfa(counting_code(&Arc::default()))
        .build()
        .await
        .unwrap()
        .provide_credentials()
        .await
        .unwrap_err();
    let ours = Error::find_in(&err).unwrap();
    assert!(ours.is_retryable(), "{}", DisplayErrorContext(&err));
    assert!(!ours.is_configuration());
}

#[tokio::test]
async fn the_sdks_provider_reads_the_files_this_crate_read_even_in_memory() {
    let mock = MockSts::start().await;
    let setup = Setup::new("");
    let command = setup.script("creds.sh", &process_answer(&mock));
    // No file on disk: the config exists only in the Environment given.
    let environment = Environment::from_vars([("HOME", "/home/nobody")]).with_files([(
        "/home/nobody/.aws/config",
        format!(
            "[profile dev]\nrole_arn = {DEV}\nsource_profile = proc\n\
             [profile proc]\ncredential_process = {command}\n"
        ),
    )]);
    let credentials = from_profile("dev")
        .environment(environment)
        .mfa_devices(MfaDevices::new())
        .sdk_config(&mock.sdk_config())
        .build()
        .await
        .unwrap()
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(
        setup.runs(),
        1,
        "the SDK's provider ran the in-memory profile's command"
    );
    assert_eq!(mock.calls(Action::AssumeRole), 1);
    assert!(!credentials.access_key_id().is_empty());
}
