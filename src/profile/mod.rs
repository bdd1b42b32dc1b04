//! Providers from named profiles of the shared config files (`~/.aws/config` and
//! `~/.aws/credentials`), as the AWS CLI reads them.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use aws_config::BehaviorVersion;
//! use aws_config::identity::IdentityCache;
//! use sts_assume_role::mfa::TerminalPrompt;
//!
//! // ~/.aws/config
//! //   [profile admin]
//! //   role_arn = arn:aws:iam::222222222222:role/admin
//! //   source_profile = default
//! //   mfa_serial = arn:aws:iam::111111111111:mfa/alice
//! //   region = eu-west-1
//! let provider = sts_assume_role::profile::from_profile("admin")
//!     .mfa(TerminalPrompt::new())
//!     .build()
//!     .await?;
//! let config = aws_config::defaults(BehaviorVersion::latest())
//!     .credentials_provider(provider)
//!     .identity_cache(IdentityCache::no_cache()) // the provider caches by itself
//!     .load()
//!     .await;
//! # Ok(()) }
//! ```
//!
//! # What is read
//!
//! The files are found and parsed by the SDK's own parser ([`aws_config::profile::load`]):
//! `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` override their locations and
//! `AWS_PROFILE` picks the profile for [`from_env_profile`]. In a role profile:
//!
//! | key | use |
//! |---|---|
//! | `role_arn` | `RoleArn` |
//! | `source_profile` | the profile whose credentials assume this role: keys, another role (to any depth), or itself when it holds keys |
//! | `credential_source` | `Environment`, `Ec2InstanceMetadata` or `EcsContainer`, instead of `source_profile` |
//! | `role_session_name` | `RoleSessionName`; else a generated `sts-assume-role-<unix seconds>` |
//! | `external_id` | `ExternalId` |
//! | `duration_seconds` | `DurationSeconds` (at most 3600 for a role assumed with another role's credentials) |
//! | `mfa_serial` | `SerialNumber`; codes come from the builder's [`mfa`](ProfileProviderBuilder::mfa) source |
//! | `region` | of the selected profile: the region of every STS call of the chain |
//!
//! A source profile gives `aws_access_key_id`, `aws_secret_access_key` and optionally
//! `aws_session_token`. As in the SDK, a source profile holding both keys is used for its keys
//! even if it also has a `role_arn`. SSO, `credential_process`, `web_identity_token_file` and
//! `login_session` sources are refused with [`ProfileError::UnsupportedSource`].
//!
//! Each role of the chain becomes an [`AssumeRoleProvider`] whose source credentials are the
//! provider below it, so each caches and refreshes on its own.
//!
//! By default a role with `mfa_serial` asks for a code on every AssumeRole, as the AWS CLI
//! does. [`mfa_session`](ProfileProviderBuilder::mfa_session) asks once per MFA session
//! instead (aws-vault's way), and [`cache`](ProfileProviderBuilder::cache) keeps sessions
//! across processes, in the AWS CLI's own cache if you like.

mod chain;
mod env;
mod error;

use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::ecs::EcsCredentialsProvider;
use aws_config::imds::credentials::ImdsCredentialsProvider;
use aws_config::profile::ProfileSet;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_smithy_async::time::{SharedTimeSource, TimeSource};
use aws_types::SdkConfig;
use aws_types::os_shim_internal::{Env, Fs};
use aws_types::region::Region;

pub use chain::{ChainRole, ChainSource, ResolvedChain, SourceKind};
pub use error::{Location, ProfileError};

use crate::cache::CredentialCache;
use crate::mfa::{MfaOptions, MfaSession, TokenSource};
use crate::request::SerialNumber;
use crate::{AssumeRoleProvider, InvalidParameter, Parameter, RefreshPolicy};
use chain::{Origin, key};
use env::EnvCredentials;

/// Starts a builder for the provider of profile `name`.
pub fn from_profile(name: impl Into<String>) -> ProfileProviderBuilder {
    ProfileProviderBuilder::new(Some(name.into()))
}

/// Starts a builder for the provider of the profile `AWS_PROFILE` names, or `default`.
pub fn from_env_profile() -> ProfileProviderBuilder {
    ProfileProviderBuilder::new(None)
}

/// Builds an [`AssumeRoleProvider`] from a named profile. Start with [`from_profile`] or
/// [`from_env_profile`].
///
/// The files are read when [`build`](Self::build) (or [`resolve`](Self::resolve)) runs, not
/// before; nothing calls STS until credentials are first asked for.
#[must_use]
pub struct ProfileProviderBuilder {
    profile: Option<String>,
    mfa: Option<Arc<dyn TokenSource>>,
    mfa_options: MfaOptions,
    base: Option<SdkConfig>,
    policy: RefreshPolicy,
    time_source: Option<SharedTimeSource>,
    fs: Option<Fs>,
    env: Option<Env>,
    cache: Option<Arc<dyn CredentialCache>>,
    mfa_session: Option<Duration>,
}

/// Shows which settings are given, never the contents of an overriding `Env` or `Fs`.
impl std::fmt::Debug for ProfileProviderBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let given = |set: bool| if set { "given" } else { "default" };
        f.debug_struct("ProfileProviderBuilder")
            .field("profile", &self.profile)
            .field("mfa", &self.mfa)
            .field("mfa_options", &self.mfa_options)
            .field("sdk_config", &given(self.base.is_some()))
            .field("refresh_policy", &self.policy)
            .field("time_source", &given(self.time_source.is_some()))
            .field("fs", &given(self.fs.is_some()))
            .field("env", &given(self.env.is_some()))
            .field("cache", &self.cache)
            .field("mfa_session", &self.mfa_session)
            .finish()
    }
}

impl ProfileProviderBuilder {
    fn new(profile: Option<String>) -> Self {
        Self {
            profile,
            mfa: None,
            mfa_options: MfaOptions::default(),
            base: None,
            policy: RefreshPolicy::default(),
            time_source: None,
            fs: None,
            env: None,
            cache: None,
            mfa_session: None,
        }
    }

    /// Where MFA codes come from, for every role of the chain that has an `mfa_serial`.
    /// Required when one has.
    pub fn mfa(mut self, source: impl TokenSource + 'static) -> Self {
        self.mfa = Some(Arc::new(source));
        self
    }

    /// How the MFA source is used: prompt timeout, attempts.
    pub fn mfa_options(mut self, options: MfaOptions) -> Self {
        self.mfa_options = options;
        self
    }

    /// The SDK settings for the STS clients: HTTP client, retries, timeouts, endpoint, time
    /// source. The selected profile's `region`, when set, replaces the config's. The config's
    /// credentials are not used: each role is assumed with the credentials below it.
    ///
    /// Without it, settings come from `aws_config::defaults` for the selected profile (read
    /// from the process environment, whatever [`env`](Self::env) says), with no credentials,
    /// and the region from the profile, else `AWS_REGION` / `AWS_DEFAULT_REGION`, else the
    /// SDK's region chain.
    pub fn sdk_config(mut self, base: &SdkConfig) -> Self {
        self.base = Some(base.clone());
        self
    }

    /// Keep each role's credentials in `cache`, as the AWS CLI does with its own cache: with
    /// [`FileCache::aws_cli`](crate::cache::FileCache::aws_cli), a role assumed (and an MFA
    /// code typed) in the AWS CLI or another process is reused without a prompt, and the other
    /// way round. Off by default. See
    /// [`ProviderBuilder::cache`](crate::ProviderBuilder::cache) for what is served.
    pub fn cache(mut self, cache: impl CredentialCache + 'static) -> Self {
        self.cache = Some(Arc::new(cache));
        self
    }

    /// Ask for MFA once per `duration` (900 s to 36 h) instead of once per role session, as
    /// aws-vault does: a role whose `mfa_serial` is used with long-term keys (the first role of
    /// the chain, above `aws_access_key_id` / `aws_secret_access_key` or
    /// `credential_source = Environment`) is assumed with an [`MfaSession`] made with that
    /// serial, and sends no code itself. Roles with an `mfa_serial` higher in the chain keep
    /// sending codes: `GetSessionToken` needs long-term keys. With [`cache`](Self::cache), the
    /// session is cached too (see [`MfaSessionBuilder::cache`](crate::mfa::MfaSessionBuilder::cache)),
    /// so it outlives the process.
    ///
    /// The trust policy's `aws:MultiFactorAuthPresent` is satisfied by the session; a
    /// `aws:MultiFactorAuthAge` limit counts from when the session was made.
    pub fn mfa_session(mut self, duration: Duration) -> Self {
        self.mfa_session = Some(duration);
        self
    }

    /// When each provider of the chain refreshes and how it backs off.
    pub fn refresh_policy(mut self, policy: RefreshPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The clock that decides when credentials need a refresh, for every provider of the
    /// chain. Defaults to the system clock.
    pub fn time_source(mut self, time_source: impl TimeSource + 'static) -> Self {
        self.time_source = Some(SharedTimeSource::new(time_source));
        self
    }

    /// The file system the config files are read from, instead of the real one (for tests,
    /// e.g. `Fs::from_map`).
    pub fn fs(mut self, fs: Fs) -> Self {
        self.fs = Some(fs);
        self
    }

    /// The environment variables to read instead of the process's (for tests, e.g.
    /// `Env::from_slice`): `AWS_PROFILE`, `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`,
    /// `HOME`, `AWS_REGION` / `AWS_DEFAULT_REGION`, and the keys for
    /// `credential_source = Environment`. The IMDS and ECS sources still read their settings
    /// from the process environment.
    pub fn env(mut self, env: Env) -> Self {
        self.env = Some(env);
        self
    }

    fn env_or_real(&self) -> Env {
        self.env.clone().unwrap_or_else(Env::real)
    }

    fn fs_or_real(&self) -> Fs {
        self.fs.clone().unwrap_or_else(Fs::real)
    }

    /// Reads the files and resolves the selected profile's chain, without building anything:
    /// to show a chain, or check a profile before use.
    ///
    /// # Errors
    ///
    /// Every [`ProfileError`] but [`MfaSourceMissing`](ProfileError::MfaSourceMissing), and
    /// [`InvalidValue`](ProfileError::InvalidValue) for the role chaining limit on
    /// `duration_seconds`, which [`build`](Self::build) checks.
    pub async fn resolve(&self) -> Result<ResolvedChain, ProfileError> {
        let result = match self.load().await {
            Ok(set) => chain::resolve(&set),
            Err(e) => Err(e),
        };
        self.located(result).await
    }

    /// Reads the files, resolves the chain and builds its providers.
    ///
    /// # Errors
    ///
    /// A [`ProfileError`] naming the file, the profile and the key at fault.
    pub async fn build(self) -> Result<AssumeRoleProvider, ProfileError> {
        let chain = self.resolve().await?;
        let result = self.assemble(chain).await;
        self.located(result).await
    }

    async fn load(&self) -> Result<ProfileSet, ProfileError> {
        aws_config::profile::load(
            &self.fs_or_real(),
            &self.env_or_real(),
            &EnvConfigFiles::default(),
            self.profile.clone().map(Into::into),
        )
        .await
        .map_err(ProfileError::Load)
    }

    /// One provider per role, each with the one below as its source.
    async fn assemble(&self, chain: ResolvedChain) -> Result<AssumeRoleProvider, ProfileError> {
        if let Some(d) = self.mfa_session
            && (d.subsec_nanos() != 0 || !(900..=129_600).contains(&d.as_secs()))
            && let Some(source) = crate::ValidationErrors::from_vec(vec![InvalidParameter::new(
                Parameter::DurationSeconds,
                "must be 900-129600 whole seconds for GetSessionToken",
                format!("{d:?}"),
            )])
        {
            return Err(ProfileError::InvalidOption {
                option: "mfa_session",
                source,
            });
        }
        for role in chain.roles() {
            if role.request().serial_number().is_some() && self.mfa.is_none() {
                return Err(ProfileError::MfaSourceMissing {
                    at: Location::new(role.profile(), key::MFA_SERIAL),
                });
            }
        }
        let sts = self.sts_config(&chain).await;
        let selected = chain.profile().to_owned();
        let (source, roles) = chain.into_parts();
        let mut below = Below::Source(self.source_provider(&source));
        for role in roles {
            let (profile, mut request) = role.into_parts();
            if let (Some(duration), Below::Source(source), Some(serial), Some(mfa)) =
                (self.mfa_session, &below, request.serial_number(), &self.mfa)
            {
                let session = self
                    .session(
                        serial.clone(),
                        Arc::clone(mfa),
                        source.clone(),
                        duration,
                        &sts,
                    )
                    .map_err(|source| ProfileError::InvalidOption {
                        option: "mfa_session",
                        source,
                    })?;
                below = Below::Source(SharedCredentialsProvider::new(session));
                request = request.without_mfa();
            }
            let has_serial = request.serial_number().is_some();
            let mut builder = AssumeRoleProvider::builder(request)
                .sdk_config(&sts)
                .refresh_policy(self.policy.clone())
                .mfa_options(self.mfa_options.clone());
            // Only roles with an `mfa_serial` ask for codes.
            if let (Some(mfa), true) = (&self.mfa, has_serial) {
                builder = builder.mfa(Arc::clone(mfa));
            }
            if let Some(time_source) = &self.time_source {
                builder = builder.time_source(time_source.clone());
            }
            if let Some(cache) = &self.cache {
                builder = builder.cache(Arc::clone(cache));
            }
            // The inner provider is passed as itself so the builder sees role chaining.
            builder = match below {
                Below::Source(p) => builder.source_credentials(p),
                Below::Role(p) => builder.source_credentials(p),
            };
            let provider = builder
                .build()
                .map_err(|errors| chain::invalid_value(&profile, errors.iter().next().cloned()))?;
            below = Below::Role(provider);
        }
        match below {
            Below::Role(provider) => Ok(provider),
            // A resolved chain has at least one role.
            Below::Source(_) => Err(ProfileError::NotARole {
                at: Location::new(&selected, key::ROLE_ARN),
            }),
        }
    }

    /// The MFA session of [`mfa_session`](Self::mfa_session) over `source`.
    fn session(
        &self,
        serial: SerialNumber,
        mfa: Arc<dyn TokenSource>,
        source: SharedCredentialsProvider,
        duration: Duration,
        sts: &SdkConfig,
    ) -> Result<MfaSession, crate::ValidationErrors> {
        let mut builder = MfaSession::builder(serial, mfa)
            .sdk_config(sts)
            .source_credentials(source)
            .duration(duration)
            .mfa_options(self.mfa_options.clone())
            .refresh_policy(self.policy.clone());
        if let Some(time_source) = &self.time_source {
            builder = builder.time_source(time_source.clone());
        }
        if let Some(cache) = &self.cache {
            builder = builder.cache(Arc::clone(cache));
        }
        builder.build()
    }

    fn source_provider(&self, source: &ChainSource) -> SharedCredentialsProvider {
        match source.origin() {
            Origin::Keys(keys) => SharedCredentialsProvider::new(keys.clone()),
            Origin::Named(SourceKind::Ec2InstanceMetadata) => {
                SharedCredentialsProvider::new(ImdsCredentialsProvider::builder().build())
            }
            Origin::Named(SourceKind::EcsContainer) => {
                SharedCredentialsProvider::new(EcsCredentialsProvider::builder().build())
            }
            Origin::Named(SourceKind::Environment | SourceKind::StaticKeys) => {
                SharedCredentialsProvider::new(EnvCredentials(self.env_or_real()))
            }
        }
    }

    /// The SDK settings of every STS client of the chain.
    async fn sts_config(&self, chain: &ResolvedChain) -> SdkConfig {
        if let Some(base) = &self.base {
            return match chain.region() {
                Some(region) => base.to_builder().region(region.clone()).build(),
                None => base.clone(),
            };
        }
        let env = self.env_or_real();
        let region = chain.region().cloned().or_else(|| {
            ["AWS_REGION", "AWS_DEFAULT_REGION"]
                .iter()
                .filter_map(|name| env.get(name).ok())
                .map(|r| r.trim().to_owned())
                .find(|r| !r.is_empty())
                .map(Region::new)
        });
        // The sources are set on each provider; the config must not load any of its own.
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .no_credentials()
            .profile_name(chain.profile());
        if let Some(region) = region {
            loader = loader.region(region);
        }
        loader.load().await
    }

    /// Fills in which file each location is in, reading each file on its own.
    async fn located<T>(&self, result: Result<T, ProfileError>) -> Result<T, ProfileError> {
        let Err(mut e) = result else {
            return result;
        };
        let env = self.env_or_real();
        let names = FileNames::new(&env);
        if let ProfileError::MissingProfile { files, .. } = &mut e {
            *files = format!("{} or {}", names.config, names.credentials);
        }
        if let Some(at) = e.location_mut() {
            let fs = self.fs_or_real();
            let only = |config: bool| {
                EnvConfigFiles::builder()
                    .include_default_config_file(config)
                    .include_default_credentials_file(!config)
                    .build()
            };
            let config = aws_config::profile::load(&fs, &env, &only(true), None).await;
            let credentials = aws_config::profile::load(&fs, &env, &only(false), None).await;
            let has = |set: &Result<ProfileSet, _>, key: Option<&str>| {
                set.as_ref()
                    .ok()
                    .and_then(|s| s.get_profile(&at.profile))
                    .is_some_and(|p| key.is_none_or(|k| p.get(k).is_some()))
            };
            // The credentials file is read last and wins, as in the SDK's merge.
            at.file = if has(&credentials, at.key) {
                names.credentials
            } else if has(&config, at.key) || has(&config, None) {
                names.config
            } else if has(&credentials, None) {
                names.credentials
            } else {
                at.file.clone()
            };
        }
        Err(e)
    }
}

/// What the next role up is assumed with.
enum Below {
    Source(SharedCredentialsProvider),
    Role(AssumeRoleProvider),
}

/// The files as the user knows them: the override variable's value, or the default name.
struct FileNames {
    config: String,
    credentials: String,
}

impl FileNames {
    fn new(env: &Env) -> Self {
        let name = |var: &str, default: &str| {
            env.get(var)
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        Self {
            config: name("AWS_CONFIG_FILE", "~/.aws/config"),
            credentials: name("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
        }
    }
}
