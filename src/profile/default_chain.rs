//! The SDK's default credentials chain, with a role profile served by this crate.

use std::fmt;

use aws_config::ecs::EcsCredentialsProvider;
use aws_config::imds::credentials::ImdsCredentialsProvider;
use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::web_identity_token::WebIdentityTokenCredentialsProvider;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider, future};
use aws_types::region::Region;

use super::builder::ProfileBuilder;
use super::chain::{self, Files, Texts};
use super::env::EnvCredentials;
use super::{Environment, ProfileError, ProfileErrorKind};
use crate::provider::AssumeRoleProvider;

/// Credentials found as aws-config's default chain finds them, in its order, except that a
/// role profile is this crate's [`AssumeRoleProvider`] (with its MFA source, MFA session,
/// refresh and cache). Built by
/// [`build_default_chain`](ProfileBuilder::build_default_chain).
///
/// | order | source | resolved by |
/// |---|---|---|
/// | 1 | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` | this crate, from the builder's [`Environment`] |
/// | 2 | the profile (`AWS_PROFILE`, else `default`; `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`) | a role profile: this crate; any other (keys, SSO, `credential_process`, a web identity role): aws-config's profile provider |
/// | 3 | `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN` | aws-config |
/// | 4 | the ECS / EKS Pod Identity container endpoint | aws-config |
/// | 5 | EC2 instance metadata | aws-config |
///
/// As in aws-config, every load tries the sources in order, and a source with nothing
/// configured passes to the next. aws-config's own providers (2 for profiles that are not
/// roles, 3, 4, 5) read the process environment, not the builder's [`Environment`]: aws-config
/// 1.13.0 lets no environment be given to them. One deliberate difference: a role profile
/// this crate cannot use (a bad value, a missing source profile, `mfa_serial` without an MFA
/// source) is an error when the chain is built, rather than a failure on every load.
#[derive(Clone)]
pub struct DefaultChain {
    chain: SharedCredentialsProvider,
    role: Option<AssumeRoleProvider>,
    profile: String,
}

impl DefaultChain {
    /// The selected profile's role provider, when the selected profile is a role this crate
    /// assumes: for [`prefetch`](AssumeRoleProvider::prefetch), [`status`](AssumeRoleProvider::status)
    /// or [`heal_on_rejection`](AssumeRoleProvider::heal_on_rejection).
    pub fn role_provider(&self) -> Option<&AssumeRoleProvider> {
        self.role.as_ref()
    }

    /// The selected profile (which may be in no file).
    pub fn profile(&self) -> &str {
        &self.profile
    }
}

impl fmt::Debug for DefaultChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefaultChain")
            .field("profile", &self.profile)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl ProvideCredentials for DefaultChain {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let result: provider::Result = self.chain.provide_credentials().await;
            result
        })
    }
}

/// What the selected profile is, for the chain.
enum Selected {
    /// A role profile: this crate's.
    Role,
    /// Anything else, or no profile at all: aws-config's.
    Other,
}

/// A failed resolution the SDK's profile provider should judge instead: the selected profile
/// is no role of ours, or is in no file.
fn judge(result: Result<(), ProfileError>) -> Result<Selected, ProfileError> {
    match result {
        Ok(()) => Ok(Selected::Role),
        Err(e) if e.kind() == ProfileErrorKind::NotARole => Ok(Selected::Other),
        Err(e) if e.kind() == ProfileErrorKind::MissingProfile && e.location().is_none() => {
            Ok(Selected::Other)
        }
        Err(e) => Err(e),
    }
}

/// The selected profile's name, the files as read, and what the profile is: the files are
/// read once, or not at all when the chain was already resolved (a chain resolved is a
/// role's). A role's chain is kept for `build`.
async fn select(builder: &mut ProfileBuilder) -> Result<(String, Texts, Selected), ProfileError> {
    if let Some(chain) = &builder.resolved {
        return Ok((
            chain.profile().to_owned(),
            chain.texts().clone(),
            Selected::Role,
        ));
    }
    let files = Files::load(&builder.environment, builder.profile.as_deref()).await?;
    let resolved = chain::resolve(&files).map(|chain| {
        builder.resolved = Some(chain);
    });
    Ok((
        files.selected_name().to_owned(),
        files.texts.clone(),
        judge(resolved)?,
    ))
}

/// The chain around the profile link.
fn assemble(
    environment: &Environment,
    profile: String,
    texts: &Texts,
    role: Option<AssumeRoleProvider>,
    provider_config: ProviderConfig,
) -> DefaultChain {
    let profile_link = match &role {
        Some(role) => SharedCredentialsProvider::new(role.clone()),
        None => SharedCredentialsProvider::new(
            ProfileFileCredentialsProvider::builder()
                .configure(&provider_config)
                .profile_files(texts.env_config_files())
                .profile_name(&profile)
                .build(),
        ),
    };
    let chain =
        CredentialsProviderChain::first_try("Environment", EnvCredentials(environment.clone()))
            .or_else("Profile", profile_link)
            .or_else(
                "WebIdentityToken",
                WebIdentityTokenCredentialsProvider::builder()
                    .configure(&provider_config)
                    .build(),
            )
            .or_else(
                "EcsContainer",
                EcsCredentialsProvider::builder()
                    .configure(&provider_config)
                    .build(),
            )
            .or_else(
                "Ec2InstanceMetadata",
                ImdsCredentialsProvider::builder()
                    .configure(&provider_config)
                    .build(),
            );
    DefaultChain {
        chain: SharedCredentialsProvider::new(chain),
        role,
        profile,
    }
}

/// The region for aws-config's providers: the STS client's, else the `Environment`'s.
fn env_region(environment: &Environment) -> Option<Region> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|name| environment.var(name))
        .map(Region::new)
}

impl ProfileBuilder {
    /// Builds the SDK's default credentials chain with this crate in it: see
    /// [`DefaultChain`]. A selected role profile becomes this builder's provider (as
    /// [`build`](Self::build) makes it); any other profile, and every other source, is
    /// aws-config's. Replaces `aws_config::load_defaults`' credentials in one line:
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use aws_config::BehaviorVersion;
    /// use sts_assume_role::mfa::TerminalPrompt;
    ///
    /// let config = aws_config::defaults(BehaviorVersion::latest())
    ///     .credentials_provider(
    ///         sts_assume_role::profile::from_env_profile()
    ///             .mfa(TerminalPrompt::new())
    ///             .build_default_chain()
    ///             .await?,
    ///     )
    ///     .load()
    ///     .await;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// A [`ProfileError`] when the files cannot be read, or the selected profile is a role
    /// profile this crate cannot use.
    ///
    /// With [`sdk_config`](Self::sdk_config), aws-config's providers use the given config's
    /// HTTP client, sleep, time source and region.
    pub async fn build_default_chain(mut self) -> Result<DefaultChain, ProfileError> {
        let environment = self.environment.clone();
        let given = self.sts.as_ref().map(super::sdk_source::provider_config);
        let (profile, texts, selected) = select(&mut self).await?;
        let (role, region) = match selected {
            Selected::Role => {
                let region = self.resolved.as_ref().and_then(|c| c.region()).cloned();
                (Some(self.build().await?), region)
            }
            Selected::Other => (None, None),
        };
        let provider_config = given.unwrap_or_else(|| {
            ProviderConfig::without_region()
                .with_region(region.or_else(|| env_region(&environment)))
        });
        Ok(assemble(
            &environment,
            profile,
            &texts,
            role,
            provider_config,
        ))
    }
}
