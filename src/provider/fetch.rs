//! How a cache gets new credentials: AssumeRole (with or without an MFA code) or
//! GetSessionToken.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use aws_credential_types::Credentials;
use aws_smithy_async::time::SharedTimeSource;

use crate::mfa::{Device, MfaContext, MfaOptions, MfaReason, TokenSource, with_code};
use crate::request::SerialNumber;
use crate::{AssumeRoleRequest, Error};

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Fetches a fresh set of credentials. Runs on a spawned task, so the future is `'static`.
pub(crate) trait Fetch: Send + Sync + fmt::Debug + 'static {
    /// `first`: no credentials were ever loaded (for the MFA prompt's reason).
    fn fetch(self: Arc<Self>, first: bool) -> BoxFuture<Result<Credentials, Error>>;

    /// What is fetched, for logs: the role ARN, or the MFA device of a session.
    fn label(&self) -> &str;

    /// Whether a fetch may ask a person for a code. Such caches never make callers wait while
    /// cached credentials are valid.
    fn prompts(&self) -> bool;
}

/// An MFA token source and the rules it is used under.
#[derive(Debug, Clone)]
pub(crate) struct MfaConfig {
    pub(crate) source: Arc<dyn TokenSource>,
    pub(crate) options: MfaOptions,
    pub(crate) device: Arc<Device>,
    pub(crate) serial: SerialNumber,
    pub(crate) clock: SharedTimeSource,
}

impl MfaConfig {
    fn context(&self, role_arn: Option<&str>, first: bool) -> MfaContext {
        let reason = if first {
            MfaReason::FirstLoad
        } else {
            MfaReason::Refresh
        };
        MfaContext::new(self.serial.clone(), role_arn.map(str::to_owned), reason, 1)
    }
}

/// AssumeRole through an STS client, with a fresh MFA code per call when configured.
#[derive(Debug)]
pub(crate) struct StsFetch {
    pub(crate) client: aws_sdk_sts::Client,
    pub(crate) request: AssumeRoleRequest,
    pub(crate) mfa: Option<MfaConfig>,
}

impl Fetch for StsFetch {
    fn fetch(self: Arc<Self>, first: bool) -> BoxFuture<Result<Credentials, Error>> {
        Box::pin(async move {
            let assumed = match &self.mfa {
                None => self.request.send(&self.client).await?,
                Some(mfa) => {
                    let ctx = mfa.context(Some(self.request.role_arn().as_str()), first);
                    with_code(
                        &mfa.device,
                        &*mfa.source,
                        &mfa.options,
                        &mfa.clock,
                        ctx,
                        |code| {
                            let request = self.request.with_token_code(code);
                            let client = self.client.clone();
                            async move { request.send(&client).await }
                        },
                    )
                    .await?
                }
            };
            Ok(assumed.into_credentials())
        })
    }

    fn label(&self) -> &str {
        self.request.role_arn().as_str()
    }

    fn prompts(&self) -> bool {
        self.mfa.is_some()
    }
}
