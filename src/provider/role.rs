//! The fetch of a role provider: AssumeRole through an STS client, signed with the source
//! credentials when there are some (after the one-hour rule of role chaining is checked against
//! them), with a fresh MFA code per call when configured, behind the credential store.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};

use super::disk::DiskCache;
use super::fetch::{BoxFuture, CredentialsOf, Fetch, FetchContext, Fetched, event};
use super::mfa::MfaConfig;
use super::server_time::ServerDate;
use crate::assume::AssumedRole;
use crate::error::Error;
use crate::request::{AssumeRoleRequest, InvalidParameter, Parameter, SessionDuration};

/// Whether `credentials` limit a role assumed with them to one hour: temporary credentials,
/// which carry a session token. STS applies the limit to every role assumed with temporary
/// credentials: another role's session (role chaining, whether the session came from this
/// crate, the SDK's AssumeRole, web identity or SAML providers, SSO, or an instance or
/// container role) or an MFA session's from `GetSessionToken`. Long-term IAM user keys have no
/// session token.
///
/// The test is the credentials themselves, not a mark beside them: no wrapper can hand them
/// on without the session token, which signs the call to STS. (Marks in the credentials'
/// property map would cost allocations on every clone, on the warm path of every provider
/// above.)
pub(crate) fn caps_at_one_hour(credentials: &Credentials) -> bool {
    credentials.session_token().is_some()
}

/// The rule STS applies to a role assumed with temporary credentials (another role session's:
/// role chaining; or an MFA session's), checked before STS is called: it lasts at most an hour.
pub(crate) fn chaining_rule(duration: SessionDuration) -> Option<InvalidParameter> {
    (duration > SessionDuration::ROLE_CHAINING_MAX).then(|| {
        InvalidParameter::new(
            Parameter::DurationSeconds,
            "must be at most 3600 seconds when the source credentials are temporary (an assumed role's: role chaining; or an MFA session's)",
            duration.as_secs().to_string(),
        )
    })
}

/// A client that calls STS with `credentials` instead of its own, with no identity cache of
/// the SDK's in between.
pub(crate) fn signing_with(
    client: &aws_sdk_sts::Client,
    credentials: Credentials,
) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::from_conf(
        client
            .config()
            .to_builder()
            .credentials_provider(credentials)
            .identity_cache(aws_sdk_sts::config::IdentityCache::no_cache())
            .build(),
    )
}

/// Loads the source credentials, which sign the call to STS.
pub(crate) async fn load_source(source: &SharedCredentialsProvider) -> Result<Credentials, Error> {
    source
        .provide_credentials()
        .await
        .map_err(Error::SourceCredentials)
}

/// AssumeRole through an STS client, with a fresh MFA code per call when configured.
#[derive(Debug)]
pub(crate) struct StsFetch {
    pub(crate) client: aws_sdk_sts::Client,
    /// The credentials that sign the call, when not the client's own.
    pub(crate) source: Option<SharedCredentialsProvider>,
    pub(crate) request: AssumeRoleRequest,
    pub(crate) subject: CredentialsOf,
    pub(crate) mfa: Option<MfaConfig>,
    pub(crate) disk: Option<DiskCache>,
    /// Where the client records STS's time.
    pub(crate) server_date: ServerDate,
    /// `SessionTokenUtilization` (or the older `PackedPolicySize`) at which to warn, in percent.
    pub(crate) utilization_warning: u32,
    /// Whether the warning was given (it is given once).
    pub(crate) warned: AtomicBool,
}

impl StsFetch {
    /// Warns, once, when the session token nears the largest STS allows: the session policies
    /// and tags that fill it will soon be refused.
    fn check_utilization(&self, assumed: &AssumedRole) {
        let used = assumed
            .session_token_utilization()
            .or(assumed.packed_policy_size());
        if let Some(used) = used
            && used >= self.utilization_warning
            && !self.warned.swap(true, Ordering::AcqRel)
        {
            event!(
                warn,
                &self.subject,
                utilization = used,
                threshold = self.utilization_warning,
                "the session token uses {used}% of the largest STS allows: more session policies or tags will be refused (PackedPolicyTooLarge)"
            );
        }
    }

    /// The client to call STS with: signing with the source's credentials when there is a
    /// source, after checking the role chaining rule against them.
    async fn client(&self) -> Result<aws_sdk_sts::Client, Error> {
        let Some(source) = &self.source else {
            return Ok(self.client.clone());
        };
        let credentials = load_source(source).await?;
        if caps_at_one_hour(&credentials)
            && let Some(broken) = self.request.duration.and_then(chaining_rule)
        {
            return Err(Error::InvalidRequest(broken.into()));
        }
        Ok(signing_with(&self.client, credentials))
    }
}

impl Fetch for StsFetch {
    fn fetch(self: Arc<Self>, ctx: FetchContext) -> BoxFuture<Result<Fetched, Error>> {
        Box::pin(async move {
            if let Some(disk) = &self.disk
                && let Some(credentials) = disk.load(ctx.now, &ctx.avoid).await
            {
                return Ok(credentials.into());
            }
            let client = self.client().await?;
            self.server_date.clear();
            let assumed = match &self.mfa {
                None => self.request.send(&client).await?,
                Some(mfa) => {
                    let question = mfa.context(Some(self.request.role_arn.as_str()), ctx.first);
                    mfa.with_code(question, |code| {
                        let request = self.request.with_token_code(code);
                        let client = client.clone();
                        async move { request.send(&client).await }
                    })
                    .await?
                }
            };
            let server_time = self.server_date.take();
            self.check_utilization(&assumed);
            if let Some(disk) = &self.disk {
                disk.store(&assumed).await;
            }
            Ok(Fetched {
                credentials: assumed.into_credentials(),
                server_time,
            })
        })
    }

    fn subject(&self) -> &CredentialsOf {
        &self.subject
    }

    fn nominal_lifetime(&self) -> Duration {
        self.request
            .duration
            .unwrap_or(SessionDuration::DEFAULT)
            .as_duration()
    }

    fn prompts(&self) -> bool {
        self.mfa.as_ref().is_some_and(|m| m.source.interactive())
    }
}
