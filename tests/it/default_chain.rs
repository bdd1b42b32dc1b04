//! `build_default_chain`: the SDK's default chain in its order, with a role profile served by
//! this crate (MFA, cache) and everything else by aws-config. Each case is answered before the
//! chain reaches instance metadata, so no test touches the network.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_credential_types::provider::ProvideCredentials;
use sts_assume_role::mfa::TokenCode;
use sts_assume_role::mfa::{self, MfaContext, MfaDevices, MfaError};
use sts_assume_role::profile::{Environment, ProfileErrorKind, from_env_profile};
use sts_assume_role::test_util::{Action, MockSts};
use tempfile::TempDir;

const DEV: &str = "arn:aws:iam::123456789012:role/dev";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

struct Setup {
    dir: TempDir,
    mock: MockSts,
    prompts: Arc<AtomicUsize>,
}

impl Setup {
    async fn new() -> Self {
        let mock = MockSts::builder().mfa_code("123456").start().await;
        mock.require_mfa(DEV);
        let keys = mock.source_credentials();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config"),
            format!(
                "[profile dev]\nrole_arn = {DEV}\nsource_profile = base\nmfa_serial = {SERIAL}\n\
                 [profile plain]\naws_access_key_id = AKIAPLAINPROFILE\naws_secret_access_key = plain-secret\n\
                 [profile broken]\nrole_arn = {DEV}\nsource_profile = nowhere\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("credentials"),
            format!(
                "[base]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                keys.access_key_id(),
                keys.secret_access_key()
            ),
        )
        .unwrap();
        Self {
            dir,
            mock,
            prompts: Arc::default(),
        }
    }

    fn env(&self, extra: &[(&str, &str)]) -> Environment {
        let path = |name: &str| self.dir.path().join(name).to_str().unwrap().to_owned();
        let mut vars = vec![
            ("AWS_CONFIG_FILE".to_owned(), path("config")),
            (
                "AWS_SHARED_CREDENTIALS_FILE".to_owned(),
                path("credentials"),
            ),
        ];
        vars.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        Environment::from_vars(vars)
    }

    async fn chain(
        &self,
        extra: &[(&str, &str)],
    ) -> Result<sts_assume_role::profile::DefaultChain, sts_assume_role::profile::ProfileError>
    {
        let prompts = Arc::clone(&self.prompts);
        from_env_profile()
            .environment(self.env(extra))
            .mfa_devices(MfaDevices::new())
            .mfa(mfa::from_fn(move |_: &MfaContext| {
                prompts.fetch_add(1, Ordering::SeqCst);
                TokenCode::new("123456").map_err(MfaError::failed)
            }))
            .sdk_config(&self.mock.sdk_config())
            .build_default_chain()
            .await
    }
}

#[tokio::test]
async fn a_role_profile_is_this_crates_provider_with_its_mfa() {
    let setup = Setup::new().await;
    let chain = setup.chain(&[("AWS_PROFILE", "dev")]).await.unwrap();
    assert_eq!(chain.profile(), "dev");
    assert!(chain.role_provider().is_some());
    let first = chain.provide_credentials().await.unwrap();
    let again = chain.provide_credentials().await.unwrap();
    assert_eq!(first.access_key_id(), again.access_key_id());
    assert_eq!(setup.prompts.load(Ordering::SeqCst), 1);
    assert_eq!(setup.mock.calls(Action::AssumeRole), 1);
    let sent = setup.mock.requests().pop().unwrap();
    assert_eq!(sent.param("SerialNumber"), Some(SERIAL));
    // The role provider is the one that served, from its own cache.
    let role = chain.role_provider().unwrap();
    let held = role.provide_credentials().await.unwrap();
    assert_eq!(held.access_key_id(), first.access_key_id());
    assert_eq!(setup.mock.calls(Action::AssumeRole), 1);
}

#[tokio::test]
async fn environment_keys_come_first_as_in_the_sdk() {
    let setup = Setup::new().await;
    let chain = setup
        .chain(&[
            ("AWS_PROFILE", "dev"),
            ("AWS_ACCESS_KEY_ID", "AKIAFROMENVIRONMENT"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
        ])
        .await
        .unwrap();
    let credentials = chain.provide_credentials().await.unwrap();
    assert_eq!(credentials.access_key_id(), "AKIAFROMENVIRONMENT");
    assert_eq!(setup.prompts.load(Ordering::SeqCst), 0);
    assert_eq!(setup.mock.calls(Action::AssumeRole), 0);
}

#[tokio::test]
async fn a_profile_that_is_not_a_role_is_the_sdks() {
    let setup = Setup::new().await;
    let chain = setup.chain(&[("AWS_PROFILE", "plain")]).await.unwrap();
    assert!(chain.role_provider().is_none());
    let credentials = chain.provide_credentials().await.unwrap();
    assert_eq!(credentials.access_key_id(), "AKIAPLAINPROFILE");
    assert_eq!(setup.mock.calls(Action::AssumeRole), 0);
}

#[tokio::test]
async fn the_default_profile_is_used_when_none_is_named() {
    let setup = Setup::new().await;
    std::fs::write(
        setup.dir.path().join("credentials"),
        "[default]\naws_access_key_id = AKIADEFAULTPROFILE\naws_secret_access_key = s\n",
    )
    .unwrap();
    let chain = setup.chain(&[]).await.unwrap();
    assert_eq!(chain.profile(), "default");
    let credentials = chain.provide_credentials().await.unwrap();
    assert_eq!(credentials.access_key_id(), "AKIADEFAULTPROFILE");
}

#[tokio::test]
async fn a_broken_role_profile_is_reported_when_the_chain_is_built() {
    let setup = Setup::new().await;
    let err = setup.chain(&[("AWS_PROFILE", "broken")]).await.unwrap_err();
    assert_eq!(err.kind(), ProfileErrorKind::MissingProfile);
    assert_eq!(err.missing_profile(), Some("nowhere"));
    let err = from_env_profile()
        .environment(setup.env(&[("AWS_PROFILE", "dev")]))
        .sdk_config(&setup.mock.sdk_config())
        .build_default_chain()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ProfileErrorKind::MfaSourceMissing);
}

#[tokio::test]
async fn a_selected_web_identity_profile_is_the_sdks_even_without_sts_settings() {
    let setup = Setup::new().await;
    setup.mock.set_web_identity_token("pod-token");
    let token = setup.dir.path().join("token");
    std::fs::write(&token, "pod-token").unwrap();
    std::fs::write(
        setup.dir.path().join("config"),
        format!(
            "[profile pod]\nrole_arn = arn:aws:iam::123456789012:role/pod\n\
             web_identity_token_file = {}\nregion = eu-west-1\nendpoint_url = {}\n",
            token.display(),
            setup.mock.endpoint_url()
        ),
    )
    .unwrap();
    // A role the SDK assumes with the token: not ours, though it has a `role_arn`.
    let chain = from_env_profile()
        .environment(setup.env(&[("AWS_PROFILE", "pod")]))
        .build_default_chain()
        .await
        .unwrap();
    assert!(chain.role_provider().is_none());
    chain.provide_credentials().await.unwrap();
    assert_eq!(setup.mock.calls(Action::AssumeRoleWithWebIdentity), 1);
}

#[tokio::test]
async fn a_selected_profile_in_no_file_passes_to_the_next_source() {
    let setup = Setup::new().await;
    // As in the SDK, a profile that is nowhere is no error: the environment's keys serve.
    let chain = setup
        .chain(&[
            ("AWS_PROFILE", "nowhere"),
            ("AWS_ACCESS_KEY_ID", "AKIAFROMENVIRONMENT"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
        ])
        .await
        .unwrap();
    assert_eq!(chain.profile(), "nowhere");
    assert!(chain.role_provider().is_none());
    let credentials = chain.provide_credentials().await.unwrap();
    assert_eq!(credentials.access_key_id(), "AKIAFROMENVIRONMENT");
}
