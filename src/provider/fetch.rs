//! How a cache gets new credentials: AssumeRole (with or without an MFA code) or
//! GetSessionToken.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_smithy_async::time::SharedTimeSource;

use crate::assume::AssumedRole;
use crate::cache::{CacheError, CachedCredentials, CredentialCache};
use crate::mfa::{Device, MfaContext, MfaOptions, MfaReason, TokenSource, with_code};
use crate::request::SerialNumber;
use crate::{AssumeRoleRequest, Error};

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What a fetch needs to know about the cache asking for it.
#[derive(Debug, Default)]
pub(crate) struct FetchContext {
    /// No credentials were ever loaded (for the MFA prompt's reason).
    pub(crate) first: bool,
    /// Access key IDs not to serve from a credential store: the ones the cache holds now (a
    /// refresh wants newer ones) and the ones a service rejected ([`invalidate`]).
    ///
    /// [`invalidate`]: crate::AssumeRoleProvider::invalidate
    pub(crate) avoid: Vec<String>,
}

/// Fetches a fresh set of credentials. Runs on a spawned task, so the future is `'static`.
pub(crate) trait Fetch: Send + Sync + fmt::Debug + 'static {
    fn fetch(self: Arc<Self>, ctx: FetchContext) -> BoxFuture<Result<Credentials, Error>>;

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

/// A [`CredentialCache`] in front of STS: read before calling STS (and before asking for an
/// MFA code), written after.
#[derive(Debug)]
pub(crate) struct DiskCache {
    pub(crate) store: Arc<dyn CredentialCache>,
    pub(crate) key: String,
    /// An entry is served only with more than this left: the advisory window of a full-length
    /// session, so what comes from the store is not due for a refresh at once.
    pub(crate) min_remaining: Duration,
}

impl DiskCache {
    pub(crate) async fn load(&self, now: SystemTime, avoid: &[String]) -> Option<Credentials> {
        let (store, key, min) = (
            Arc::clone(&self.store),
            self.key.clone(),
            self.min_remaining,
        );
        let credentials = blocking(move || store.load_valid(&key, now, min)).await?;
        if avoid.iter().any(|k| k == credentials.access_key_id()) {
            tracing::debug!(
                key = self.key,
                "credential cache holds the credentials being replaced; calling STS"
            );
            return None;
        }
        tracing::debug!(
            key = self.key,
            "credentials served from the credential cache"
        );
        Some(credentials)
    }

    async fn store(&self, assumed: &AssumedRole) {
        self.write(CachedCredentials::try_from(assumed)).await;
    }

    /// Stores credentials that are not an AssumeRole answer (an MFA session's).
    pub(crate) async fn store_credentials(&self, credentials: &Credentials) {
        self.write(CachedCredentials::try_from(credentials)).await;
    }

    async fn write(&self, entry: Result<CachedCredentials, CacheError>) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                tracing::warn!(key = self.key, %error, "credentials not cached");
                return;
            }
        };
        let (store, key) = (Arc::clone(&self.store), self.key.clone());
        if let Some(Err(error)) = blocking(move || Some(store.store(&key, &entry))).await {
            tracing::warn!(key = self.key, %error, "credential cache not written");
        }
    }
}

/// Runs blocking store I/O off the runtime's worker threads when there is a runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Option<T> + Send + 'static) -> Option<T> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle.spawn_blocking(f).await.ok().flatten(),
        Err(_) => f(),
    }
}

/// AssumeRole through an STS client, with a fresh MFA code per call when configured.
#[derive(Debug)]
pub(crate) struct StsFetch {
    pub(crate) client: aws_sdk_sts::Client,
    pub(crate) request: AssumeRoleRequest,
    pub(crate) mfa: Option<MfaConfig>,
    pub(crate) disk: Option<DiskCache>,
    pub(crate) clock: SharedTimeSource,
}

impl Fetch for StsFetch {
    fn fetch(self: Arc<Self>, ctx: FetchContext) -> BoxFuture<Result<Credentials, Error>> {
        Box::pin(async move {
            if let Some(disk) = &self.disk
                && let Some(credentials) = disk.load(self.clock.now(), &ctx.avoid).await
            {
                return Ok(credentials);
            }
            let assumed = match &self.mfa {
                None => self.request.send(&self.client).await?,
                Some(mfa) => {
                    let ctx = mfa.context(Some(self.request.role_arn().as_str()), ctx.first);
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
            if let Some(disk) = &self.disk {
                disk.store(&assumed).await;
            }
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
