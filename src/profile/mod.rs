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
//!     .await?; // errors name the file, the profile and the key at fault
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
//! The files are found and parsed by the SDK's own parser ([`aws_config::profile::load`]),
//! each once: `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` override their locations and
//! `AWS_PROFILE` picks the profile for [`from_env_profile`] (from the process environment, or
//! an [`Environment`] of your own). In a role profile:
//!
//! | key | use |
//! |---|---|
//! | `role_arn` | `RoleArn` |
//! | `source_profile` | the profile whose credentials assume this role: keys, another role (to any depth), or itself when it holds keys |
//! | `credential_source` | `Environment`, `Ec2InstanceMetadata` or `EcsContainer`, instead of `source_profile` |
//! | `role_session_name` | `RoleSessionName`; else a generated `sts-assume-role-<unix seconds>` |
//! | `external_id` | `ExternalId` |
//! | `duration_seconds` | `DurationSeconds` (at most 3600 for a role assumed with another role's credentials, or with an MFA session's under [`mfa_session`](ProfileBuilder::mfa_session)) |
//! | `mfa_serial` | `SerialNumber`; codes come from `mfa_process`, else the builder's [`mfa`](ProfileBuilder::mfa) source |
//! | `mfa_process` | aws-vault's: with `mfa_serial`, a command line run with `sh -c` whose standard output is the code ([`CommandSource::shell`](crate::mfa::CommandSource::shell)); it wins over the builder's source for this role |
//! | `region` | of the selected profile: the region of every STS call of the chain |
//!
//! At the bottom of the chain, the source, looked for in the SDK's order (aws-config's
//! `profile::credentials::repr`): after the selected profile, a profile holding both keys is
//! used for its keys even if it also has a `role_arn`; otherwise
//!
//! | key | source | resolved by |
//! |---|---|---|
//! | `credential_source` | `Environment` (the [`Environment`]'s variables), `Ec2InstanceMetadata`, `EcsContainer` | this crate; aws-config's IMDS and container providers |
//! | `web_identity_token_file` (with `role_arn`, `role_session_name`) | that role, assumed with the token (`AssumeRoleWithWebIdentity`) | aws-config's web identity provider |
//! | `sso_session` (and its `[sso-session]` section), or `sso_start_url`, `sso_region`, `sso_account_id`, `sso_role_name` | IAM Identity Center, from the token `aws sso login` cached | aws-config's SSO provider |
//! | `login_session` | an AWS Sign-In session (`aws login`) | aws-config's login provider, with this crate's `login-session` feature (aws-config's `credentials-login`); without it, refused with [`ProfileErrorKind::UnsupportedSource`] |
//! | `credential_process` | the command's JSON output | aws-config's `CredentialProcessProvider` |
//! | `aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`, `aws_account_id` | static keys | this crate |
//!
//! A source aws-config resolves is handed to its `ProfileFileCredentialsProvider` for that
//! profile alone, with the file texts this crate read (so an [`Environment`]'s files in
//! memory are what it reads too); the roles above it are this crate's, with their MFA, refresh
//! and cache. aws-config's providers read the rest of the process environment themselves:
//! `HOME` for the SSO token cache, `AWS_ENDPOINT_URL_*`, and the settings of an `endpoint_url`
//! in the source profile. When one fails, the error above it holds a [`SourceError`] naming
//! the file, the profile and the key; an SSO failure says which `aws sso login` command starts
//! a new session, and a failed `credential_process` shows its exit status and stderr, never
//! its output (which holds the secrets).
//!
//! [`build_default_chain`](ProfileBuilder::build_default_chain) puts all this in the SDK's
//! default chain: environment, profile, web identity, container, instance metadata, with a
//! role profile served by this crate ([`DefaultChain`]).
//!
//! Each role of the chain becomes an [`AssumeRoleProvider`] whose source credentials are the
//! provider below it, so each caches and refreshes on its own.
//!
//! By default a role with `mfa_serial` asks for a code on every AssumeRole, as the AWS CLI
//! does. [`mfa_session`](ProfileBuilder::mfa_session) asks once per MFA session
//! instead (aws-vault's way), and [`cache`](ProfileBuilder::cache) keeps sessions
//! across processes, in the AWS CLI's own cache if you like. Every setting of the builder
//! ([`refresh_policy`](ProfileBuilder::refresh_policy),
//! [`time_source`](ProfileBuilder::time_source), ...) applies to every provider of the chain.

mod builder;
mod chain;
mod default_chain;
mod env;
mod error;
mod files;
mod sdk_source;

use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::ecs::EcsCredentialsProvider;
use aws_config::imds::credentials::ImdsCredentialsProvider;
use aws_credential_types::provider::SharedCredentialsProvider;

pub use builder::ProfileBuilder;
pub use chain::SourceKind;
pub(crate) use chain::{ChainRole, ChainSource, ResolvedChain};
pub use default_chain::DefaultChain;
pub use env::Environment;
pub use error::{ProfileError, ProfileErrorKind};
pub use sdk_source::SourceError;

use crate::mfa::{CommandSource, TokenSource};
use crate::provider::role::chaining_rule;
use crate::provider::session::session_duration_rule;
use crate::provider::{AssumeRoleProvider, AssumeRoleProviderBuilder, MfaSessionBuilder};
use chain::{Files, Origin, key};
use env::EnvCredentials;

/// Starts a builder for the provider of profile `name`.
pub fn from_profile(name: impl Into<String>) -> ProfileBuilder {
    ProfileBuilder::new(Some(name.into()))
}

/// Starts a builder for the provider of the profile `AWS_PROFILE` names, or `default`.
pub fn from_env_profile() -> ProfileBuilder {
    ProfileBuilder::new(None)
}

impl ProfileBuilder {
    /// Where MFA codes come from, for every role of the chain that has an `mfa_serial` and no
    /// `mfa_process`. Required when one has.
    ///
    /// A role whose profile has `mfa_process` runs that command instead, with `sh -c`, as
    /// aws-vault does (where `mfa_process` also wins over the prompt chosen on the command
    /// line): the profile names how codes for that device are had, which a program asking
    /// for every profile alike does not know. The command is
    /// [interactive](crate::mfa::TokenSource::interactive); to say it answers by itself, give
    /// the same command here as [`CommandSource::shell`](crate::mfa::CommandSource::shell)`(…)`
    /// `.`[`unattended`](crate::mfa::CommandSource::unattended)`()` and leave `mfa_process`
    /// out of the profile.
    pub fn mfa(mut self, source: impl TokenSource + 'static) -> Self {
        self.mfa = Some(Arc::new(source));
        self
    }

    /// Ask for MFA once per `duration` (900 s to 36 h) instead of once per role session, as
    /// aws-vault does: the first role of the chain, when it has an `mfa_serial`, is assumed
    /// with an [`MfaSession`](crate::MfaSession) made with that serial over the chain's source (long-term keys:
    /// `aws_access_key_id` / `aws_secret_access_key` or `credential_source = Environment`), and
    /// sends no code itself. Roles with an `mfa_serial` higher in the chain keep sending codes:
    /// `GetSessionToken` needs long-term keys. With [`cache`](ProfileBuilder::cache), the
    /// session is cached too, so it outlives the process.
    ///
    /// The trust policy's `aws:MultiFactorAuthPresent` is satisfied by the session; a
    /// `aws:MultiFactorAuthAge` limit counts from when the session was made. AWS limits a role
    /// assumed with an MFA session's credentials to one hour: that role's `duration_seconds`
    /// over 3600 is refused by [`build`](ProfileBuilder::build), naming the key.
    pub fn mfa_session(mut self, duration: Duration) -> Self {
        self.mfa_session = Some(duration);
        self
    }

    /// The environment variables and files to resolve the profile from, instead of the
    /// process's.
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self.resolved = None;
        self
    }

    /// Reads the files and resolves the selected profile's chain, once; `build` then uses
    /// this chain without reading the files again.
    pub(crate) async fn resolve(&mut self) -> Result<&ResolvedChain, ProfileError> {
        let chain = match self.resolved.take() {
            Some(chain) => chain,
            None => {
                let files = Files::load(&self.environment, self.profile.as_deref()).await?;
                chain::resolve(&files)?
            }
        };
        Ok(self.resolved.insert(chain))
    }

    /// The chain, resolved now unless it was already.
    async fn chain(&mut self) -> Result<ResolvedChain, ProfileError> {
        self.resolve().await?;
        Ok(self
            .resolved
            .take()
            .unwrap_or_else(|| unreachable!("resolve keeps the chain")))
    }

    /// The builder's own settings, checked against the chain.
    fn check(&self, chain: &ResolvedChain) -> Result<(), ProfileError> {
        if let Some(broken) = self.mfa_session.and_then(session_duration_rule) {
            return Err(ProfileError::invalid_option(
                "mfa_session",
                crate::request::ValidationErrors::from(broken),
            ));
        }
        // The first role with an `mfa_serial` is assumed with an MFA session's credentials
        // under `mfa_session`, which AWS limits to an hour as it limits role chaining.
        if let (Some(_), Some(first)) = (self.mfa_session, chain.roles().first())
            && first.request().serial_number.is_some()
            && (self.mfa.is_some() || first.mfa_process().is_some())
            && let Some(broken) = first.request().duration.and_then(chaining_rule)
        {
            return Err(ProfileError::invalid_value(
                first.location(key::DURATION_SECONDS),
                broken,
            ));
        }
        if self.mfa.is_none()
            && let Some(role) = chain
                .roles()
                .iter()
                .find(|r| r.request().serial_number.is_some() && r.mfa_process().is_none())
        {
            return Err(ProfileError::at(
                ProfileErrorKind::MfaSourceMissing,
                role.location(key::MFA_SERIAL),
            ));
        }
        Ok(())
    }

    /// One provider per role, each with the one below as its source, all reaching STS
    /// through `sts`.
    fn assemble(
        self,
        chain: ResolvedChain,
        sts: aws_sdk_sts::Client,
    ) -> Result<AssumeRoleProvider, ProfileError> {
        let ProfileBuilder {
            environment,
            mfa,
            mfa_session,
            ..
        } = self;
        let options = self.options;
        let sts = match chain.region() {
            Some(region) => aws_sdk_sts::Client::from_conf(
                sts.config().to_builder().region(region.clone()).build(),
            ),
            None => sts,
        };
        let (source, roles, texts) = chain.into_parts();
        let mut below = source_provider(&source, &environment, &texts, &sts);
        let mut top = None;
        for (i, role) in roles.into_iter().enumerate() {
            let at = role.location(key::ROLE_ARN);
            let mfa = role_mfa(&role, mfa.as_ref());
            let (_, mut request) = role.into_parts();
            if let (0, Some(duration), Some(serial), Some(mfa)) =
                (i, mfa_session, request.serial_number.as_ref(), &mfa)
            {
                let session = MfaSessionBuilder::with_client(
                    Ok(serial.clone()),
                    Arc::clone(mfa),
                    sts.clone(),
                )
                .with_options(options.clone())
                .source_credentials(below)
                .duration(duration)
                .build()
                .map_err(|errors| ProfileError::invalid_option("mfa_session", errors))?;
                below = SharedCredentialsProvider::new(session);
                request = request.without_mfa();
            }
            let has_serial = request.serial_number.as_ref().is_some();
            let mut builder = AssumeRoleProviderBuilder::with_client(request, sts.clone())
                .with_options(options.clone())
                .source_credentials(below);
            // Only roles with an `mfa_serial` ask for codes.
            if let (Some(mfa), true) = (&mfa, has_serial) {
                builder = builder.mfa(Arc::clone(mfa));
            }
            let provider = builder
                .build()
                .map_err(|errors| ProfileError::invalid_value(at, errors))?;
            below = SharedCredentialsProvider::new(provider.clone());
            top = Some(provider);
        }
        // A resolved chain has at least one role.
        top.ok_or_else(|| unreachable!("a resolved chain has a role"))
    }
}

impl ProfileBuilder {
    /// Reads the files, resolves the chain and builds its providers: one
    /// [`AssumeRoleProvider`] per role, each with the one below as its source.
    ///
    /// # Errors
    ///
    /// A [`ProfileError`] naming the file, the profile and the key at fault.
    pub async fn build(mut self) -> Result<AssumeRoleProvider, ProfileError> {
        let chain = self.chain().await?;
        self.check(&chain)?;
        let sts = match self.sts.clone() {
            Some(sts) => sts,
            None => {
                let region = chain.region().cloned().or_else(|| {
                    ["AWS_REGION", "AWS_DEFAULT_REGION"]
                        .iter()
                        .find_map(|name| self.environment.var(name))
                        .map(aws_types::region::Region::new)
                });
                // The sources are set on each provider; the config must not load any of its
                // own.
                let mut loader = aws_config::defaults(BehaviorVersion::latest())
                    .no_credentials()
                    .profile_name(chain.profile());
                if let Some(region) = region {
                    loader = loader.region(region);
                }
                aws_sdk_sts::Client::new(&loader.load().await)
            }
        };
        self.assemble(chain, sts)
    }
}

/// Where a role's codes come from: its profile's `mfa_process` (as aws-vault runs it, with
/// `sh -c`), else the builder's source. Only roles with an `mfa_serial` ask for codes.
fn role_mfa(
    role: &ChainRole,
    builder_source: Option<&Arc<dyn TokenSource>>,
) -> Option<Arc<dyn TokenSource>> {
    match role.mfa_process() {
        Some(command_line) => Some(Arc::new(
            CommandSource::shell(command_line).named(role.location(key::MFA_PROCESS).to_string()),
        )),
        None => builder_source.cloned(),
    }
}

/// The provider of the chain's source credentials.
fn source_provider(
    source: &ChainSource,
    environment: &Environment,
    texts: &chain::Texts,
    sts: &aws_sdk_sts::Client,
) -> SharedCredentialsProvider {
    match source.origin() {
        Origin::Sdk(delegated) => SharedCredentialsProvider::new(sdk_source::SdkSource::new(
            source.profile(),
            delegated,
            texts,
            sts,
        )),
        Origin::Keys(keys) => SharedCredentialsProvider::new(keys.clone()),
        Origin::Named(SourceKind::Ec2InstanceMetadata) => {
            SharedCredentialsProvider::new(ImdsCredentialsProvider::builder().build())
        }
        Origin::Named(SourceKind::EcsContainer) => {
            SharedCredentialsProvider::new(EcsCredentialsProvider::builder().build())
        }
        Origin::Named(_) => SharedCredentialsProvider::new(EnvCredentials(environment.clone())),
    }
}

#[cfg(all(test, feature = "test-util"))]
mod tests;
