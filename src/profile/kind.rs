//! The builder kind of a profile's chain. Public as `builder::ForProfile` only.

use std::sync::Arc;
use std::time::Duration;

use super::{Environment, ResolvedChain};
use crate::mfa::TokenSource;

/// Builder kind: the chain of a named profile, from [`from_profile`](super::from_profile) or [`from_env_profile`](super::from_env_profile).
///
/// The files are read when [`resolve`](crate::builder::ProviderBuilder::resolve) or
/// [`build`](crate::builder::ProviderBuilder::build) runs, not before, and only once; nothing calls STS until
/// credentials are first asked for.
///
/// STS is reached as [`sdk_config`](crate::builder::ProviderBuilder::sdk_config) or
/// [`client`](crate::builder::ProviderBuilder::client) says (HTTP client, retries, timeouts, endpoint; the
/// selected profile's `region`, when set, replaces the config's; its credentials are never
/// used, as each role is assumed with the credentials below it). Without either, the settings
/// come from `aws_config::defaults` for the selected profile, read from the process
/// environment, with no credentials, and the region from the profile, else `AWS_REGION` /
/// `AWS_DEFAULT_REGION` of the [`Environment`], else the SDK's region chain.
pub struct ForProfile {
    pub(super) profile: Option<String>,
    pub(super) environment: Environment,
    pub(super) mfa: Option<Arc<dyn TokenSource>>,
    pub(super) mfa_session: Option<Duration>,
    pub(super) resolved: Option<ResolvedChain>,
}

impl ForProfile {
    pub(super) fn new(profile: Option<String>) -> Self {
        Self {
            profile,
            environment: Environment::process(),
            mfa: None,
            mfa_session: None,
            resolved: None,
        }
    }
}

impl std::fmt::Debug for ForProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForProfile")
            .field("profile", &self.profile)
            .field("environment", &self.environment)
            .field("mfa", &self.mfa)
            .field("mfa_session", &self.mfa_session)
            .field(
                "resolved",
                &self.resolved.as_ref().map(ResolvedChain::profile),
            )
            .finish()
    }
}
