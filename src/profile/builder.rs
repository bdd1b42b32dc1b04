//! [`ProfileBuilder`]: the builder of a named profile's chain.

use std::sync::Arc;
use std::time::Duration;

use aws_types::SdkConfig;

use super::{Environment, ResolvedChain};
use crate::mfa::TokenSource;
use crate::provider::builder::{self, Options};

/// Builds the providers of a named profile's chain: from [`from_profile`](super::from_profile)
/// or [`from_env_profile`](super::from_env_profile).
///
/// The files are read when [`build`](Self::build) or
/// [`build_default_chain`](Self::build_default_chain) runs, not before, and only once; nothing
/// calls STS until credentials are first asked for.
///
/// STS is reached as [`sdk_config`](Self::sdk_config) says (HTTP client, retries, timeouts,
/// endpoint; the selected profile's `region`, when set, replaces the config's; its credentials
/// are never used, as each role is assumed with the credentials below it). Without it, the
/// settings come from `aws_config::defaults` for the selected profile, read from the process
/// environment, with no credentials, and the region from the profile, else `AWS_REGION` /
/// `AWS_DEFAULT_REGION` of the [`Environment`], else the SDK's region chain.
///
/// Every shared setting ([`refresh_policy`](Self::refresh_policy),
/// [`cache`](Self::cache), ...) applies to every provider of the chain.
#[must_use]
pub struct ProfileBuilder {
    pub(super) profile: Option<String>,
    pub(super) environment: Environment,
    pub(super) mfa: Option<Arc<dyn TokenSource>>,
    pub(super) mfa_session: Option<Duration>,
    pub(super) resolved: Option<ResolvedChain>,
    pub(super) sts: Option<aws_sdk_sts::Client>,
    pub(super) options: Options,
}

impl ProfileBuilder {
    pub(super) fn new(profile: Option<String>) -> Self {
        Self {
            profile,
            environment: Environment::process(),
            mfa: None,
            mfa_session: None,
            resolved: None,
            sts: None,
            options: Options::default(),
        }
    }

    /// Reach STS with a client made from this config: its region (unless the profile has
    /// one), endpoint, HTTP client, retries and timeouts. Its credentials are not used.
    pub fn sdk_config(mut self, config: &SdkConfig) -> Self {
        self.sts = Some(aws_sdk_sts::Client::new(config));
        self
    }

    builder::shared_settings!();
}

impl std::fmt::Debug for ProfileBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileBuilder")
            .field("profile", &self.profile)
            .field("environment", &self.environment)
            .field("mfa", &self.mfa)
            .field("mfa_session", &self.mfa_session)
            .field(
                "resolved",
                &self.resolved.as_ref().map(ResolvedChain::profile),
            )
            .field("sts", &self.sts.as_ref().map(|_| "given"))
            .field("options", &self.options)
            .finish()
    }
}
