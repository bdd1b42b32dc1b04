//! [`AssumeRoleProvider`]: credentials for a role, cached and refreshed ahead of expiry.

mod cache;
pub(crate) mod fetch;
mod policy;

use std::any::Any;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_async::time::{SharedTimeSource, TimeSource};
use aws_types::SdkConfig;

pub use policy::RefreshPolicy;

use crate::cache::{CredentialCache, cli_cache_key};
use crate::clock::Clock;
use crate::mfa::{Device, MfaOptions, TokenSource};
use crate::request::SessionDuration;
use crate::{AssumeRoleRequest, Error, InvalidParameter, Parameter, ValidationErrors};
use cache::{Cache, Fast};
use fetch::{DiskCache, Fetch, MfaConfig, StsFetch};

/// Credentials for a role, cached, and refreshed before they expire without stalling callers.
///
/// It implements [`ProvideCredentials`], so it plugs into `aws_config` loaders and service
/// client configs. Clones are cheap and share one cache. When the cache holds valid
/// credentials, [`provide_credentials`](ProvideCredentials::provide_credentials) returns them at
/// once: no I/O, no lock, no allocation beyond cloning the credentials. See
/// [`RefreshPolicy`] for when it refreshes and what it does when STS fails.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use aws_config::BehaviorVersion;
/// use aws_config::identity::IdentityCache;
/// use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest};
///
/// let base = aws_config::load_defaults(BehaviorVersion::latest()).await;
/// let request = AssumeRoleRequest::builder()
///     .role_arn("arn:aws:iam::123456789012:role/reader")
///     .role_session_name("reader")
///     .build()?;
/// let provider = AssumeRoleProvider::builder(request).sdk_config(&base).build()?;
///
/// let config = aws_config::defaults(BehaviorVersion::latest())
///     .credentials_provider(provider)
///     // The provider caches and refreshes by itself; the SDK's cache would only add a load
///     // timeout of 5 seconds, too short for a person typing an MFA code.
///     .identity_cache(IdentityCache::no_cache())
///     .load()
///     .await;
/// let s3_or_any_client = aws_sdk_sts::Client::new(&config);
/// # Ok(()) }
/// ```
///
/// # Dropping
///
/// When the last clone is dropped, a refresh still in flight is cancelled: nothing could use
/// its result.
#[derive(Clone)]
pub struct AssumeRoleProvider {
    handle: Handle,
}

/// A cache behind a cheap-to-clone handle; cancels a refresh in flight when the last handle
/// goes. Shared by [`AssumeRoleProvider`] and [`MfaSession`](crate::mfa::MfaSession).
#[derive(Clone)]
pub(crate) struct Handle(Arc<Inner>);

struct Inner {
    cache: Arc<Cache>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.cache.cancel();
    }
}

impl Handle {
    pub(crate) fn new(
        fetch: Arc<dyn Fetch>,
        clock: Clock,
        policy: RefreshPolicy,
        seed: Option<u64>,
    ) -> Self {
        Handle(Arc::new(Inner {
            cache: Arc::new(Cache::new(fetch, clock, policy, seed)),
        }))
    }

    pub(crate) fn provide(&self) -> provider::future::ProvideCredentials<'_> {
        let cache = &self.0.cache;
        match cache.fast() {
            Fast::Ready(c) => provider::future::ProvideCredentials::ready(Ok(c)),
            Fast::Slow => provider::future::ProvideCredentials::new(async move {
                cache.slow().await.map_err(CredentialsError::from)
            }),
        }
    }

    pub(crate) fn fallback(&self) -> Option<Credentials> {
        let cache = &self.0.cache;
        cache.valid(cache.clock.now())
    }

    pub(crate) fn invalidate(&self) {
        tracing::debug!(label = self.0.cache.role_arn(), "credentials invalidated");
        self.0.cache.invalidate();
    }

    pub(crate) fn status(&self) -> Status {
        self.0.cache.status()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0.cache, f)
    }
}

impl fmt::Debug for AssumeRoleProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssumeRoleProvider")
            .field("cache", &self.handle)
            .finish()
    }
}

/// A snapshot of a provider's state, for health checks and tests.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Status {
    /// When the cached credentials expire, if any are cached.
    pub expiry: Option<SystemTime>,
    /// When a background refresh is due.
    pub refresh_at: Option<SystemTime>,
    /// When callers start waiting for a refresh.
    pub mandatory_at: Option<SystemTime>,
    /// Whether a refresh is in flight.
    pub refreshing: bool,
    /// The last refresh failure, while it is remembered.
    pub last_error: Option<SharedError>,
    /// When the provider will next try STS after that failure.
    pub retry_at: Option<SystemTime>,
    /// Failures in a row.
    pub consecutive_failures: u32,
}

impl AssumeRoleProvider {
    /// Starts a builder for a provider of `request`'s role. Choose where STS is reached with
    /// [`sdk_config`](ProviderBuilder::sdk_config) or [`client`](ProviderBuilder::client).
    pub fn builder(request: AssumeRoleRequest) -> ProviderBuilder<NoSts> {
        ProviderBuilder {
            request,
            sts: NoSts,
            source: None,
            chained: false,
            mfa: None,
            mfa_options: MfaOptions::default(),
            policy: RefreshPolicy::default(),
            time_source: None,
            seed: None,
            store: None,
        }
    }

    /// Forgets the cached credentials, for when a service rejected them (`ExpiredToken`,
    /// `InvalidClientTokenId`). The next call fetches fresh ones.
    pub fn invalidate(&self) {
        self.handle.invalidate();
    }

    /// Loads credentials now unless valid ones are cached, and returns them. Call it at service
    /// start so a first slow load (or MFA prompt) happens there, not inside a request.
    pub async fn prefetch(&self) -> Result<Credentials, CredentialsError> {
        self.handle.provide().await
    }

    /// A snapshot of the provider's state.
    pub fn status(&self) -> Status {
        self.handle.status()
    }
}

impl ProvideCredentials for AssumeRoleProvider {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        self.handle.provide()
    }

    /// Still-valid cached credentials, for an SDK whose load timeout cut a refresh short.
    fn fallback_on_interrupt(&self) -> Option<Credentials> {
        self.handle.fallback()
    }
}

/// Builder state: no STS access chosen yet.
#[derive(Debug, Clone, Copy)]
pub struct NoSts;

/// Builder state: STS is reached through this client.
#[derive(Debug, Clone)]
pub struct WithSts(aws_sdk_sts::Client);

/// Builds an [`AssumeRoleProvider`]. Building never reads the environment: everything comes
/// from what you pass in.
#[derive(Debug)]
#[must_use]
pub struct ProviderBuilder<S> {
    request: AssumeRoleRequest,
    sts: S,
    source: Option<SharedCredentialsProvider>,
    chained: bool,
    mfa: Option<Arc<dyn TokenSource>>,
    mfa_options: MfaOptions,
    policy: RefreshPolicy,
    time_source: Option<SharedTimeSource>,
    seed: Option<u64>,
    store: Option<Arc<dyn CredentialCache>>,
}

impl<S> ProviderBuilder<S> {
    /// Reach STS with a client made from this config (region, endpoint, HTTP client, retries,
    /// and its credentials as the source unless [`source_credentials`](Self::source_credentials)
    /// is set).
    pub fn sdk_config(self, config: &SdkConfig) -> ProviderBuilder<WithSts> {
        self.with_client(aws_sdk_sts::Client::new(config))
    }

    /// Reach STS with this client, as it is configured.
    pub fn client(self, client: aws_sdk_sts::Client) -> ProviderBuilder<WithSts> {
        self.with_client(client)
    }

    fn with_client(self, client: aws_sdk_sts::Client) -> ProviderBuilder<WithSts> {
        ProviderBuilder {
            request: self.request,
            sts: WithSts(client),
            source: self.source,
            chained: self.chained,
            mfa: self.mfa,
            mfa_options: self.mfa_options,
            policy: self.policy,
            time_source: self.time_source,
            seed: self.seed,
            store: self.store,
        }
    }

    /// Call STS with these credentials instead of the config's or client's own. Any
    /// [`ProvideCredentials`] works, including an [`MfaSession`](crate::mfa::MfaSession) or
    /// another `AssumeRoleProvider` (role chaining, which STS caps at one hour). They are used
    /// as they are, without the SDK's identity cache or its load timeout.
    pub fn source_credentials<P: ProvideCredentials + 'static>(mut self, source: P) -> Self {
        self.chained = (&source as &dyn Any).is::<AssumeRoleProvider>();
        self.source = Some(SharedCredentialsProvider::new(source));
        self
    }

    /// Ask this source for a fresh MFA code on every AssumeRole call. The request must carry a
    /// [`serial_number`](crate::request::AssumeRoleBuilder::serial_number) and no token code.
    pub fn mfa(mut self, source: impl TokenSource + 'static) -> Self {
        self.mfa = Some(Arc::new(source));
        self
    }

    /// How the MFA source is used: prompt timeout, attempts.
    pub fn mfa_options(mut self, options: MfaOptions) -> Self {
        self.mfa_options = options;
        self
    }

    /// When to refresh and how to back off. Defaults to [`RefreshPolicy::default`].
    pub fn refresh_policy(mut self, policy: RefreshPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The clock that decides when credentials need a refresh. Defaults to the system clock;
    /// tests pass a manual one to run hours in milliseconds.
    pub fn time_source(mut self, time_source: impl TimeSource + 'static) -> Self {
        self.time_source = Some(SharedTimeSource::new(time_source));
        self
    }

    /// Keep the credentials in `cache` too, under the AWS CLI's key for the request
    /// ([`cli_cache_key`](crate::cache::cli_cache_key)), so other processes (and the AWS CLI,
    /// with [`FileCache::aws_cli`](crate::cache::FileCache::aws_cli)) reuse them. Off by
    /// default.
    ///
    /// Before each call to STS, and before asking for an MFA code, the provider looks in the
    /// cache. It serves an entry only with more than the advisory window of a full-length
    /// session left (15 minutes for one-hour sessions, as the AWS CLI does; see
    /// [`RefreshPolicy`]), never the credentials it is replacing, and never ones
    /// [`invalidate`](AssumeRoleProvider::invalidate)d. After STS answers, it writes the entry.
    /// Cache failures are logged and count as misses; they never fail a load.
    ///
    /// ```no_run
    /// # fn demo(request: sts_assume_role::AssumeRoleRequest, config: &aws_types::SdkConfig)
    /// # -> Result<(), Box<dyn std::error::Error>> {
    /// use sts_assume_role::AssumeRoleProvider;
    /// use sts_assume_role::cache::FileCache;
    ///
    /// let cache = FileCache::aws_cli().ok_or("no home directory")?;
    /// let provider = AssumeRoleProvider::builder(request)
    ///     .sdk_config(config)
    ///     .cache(cache)
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn cache(mut self, cache: impl CredentialCache + 'static) -> Self {
        self.store = Some(Arc::new(cache));
        self
    }

    /// Seeds the jitter, for reproducible schedules in tests and simulations.
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
}

/// A client that calls STS with `source` instead of its own credentials, with no identity
/// cache of the SDK's in between.
pub(crate) fn client_with_source(
    client: aws_sdk_sts::Client,
    source: Option<SharedCredentialsProvider>,
) -> aws_sdk_sts::Client {
    match source {
        Some(source) => aws_sdk_sts::Client::from_conf(
            client
                .config()
                .to_builder()
                .credentials_provider(source)
                .identity_cache(aws_sdk_sts::config::IdentityCache::no_cache())
                .build(),
        ),
        None => client,
    }
}

impl ProviderBuilder<WithSts> {
    /// Builds the provider. Nothing is fetched until credentials are first asked for (or
    /// [`prefetch`](AssumeRoleProvider::prefetch) is called).
    ///
    /// # Errors
    ///
    /// - Role chaining (the source is another `AssumeRoleProvider`) with `DurationSeconds`
    ///   over 3600: STS would refuse every call, so the provider is refused up front rather
    ///   than silently given a shorter session.
    /// - A token code in the request: a provider refreshes, and a code is good once. Give it
    ///   an MFA source with [`mfa`](Self::mfa) instead.
    /// - An MFA source without a serial number in the request.
    pub fn build(self) -> Result<AssumeRoleProvider, ValidationErrors> {
        let mut errors = Vec::new();
        let max = SessionDuration::ROLE_CHAINING_MAX;
        if self.chained && self.request.duration().is_some_and(|d| d > max) {
            errors.push(InvalidParameter::new(
                Parameter::DurationSeconds,
                "must be at most 3600 seconds when the source credentials are an assumed role (role chaining)",
                self.request.duration().map(|d| d.as_secs()).unwrap_or_default().to_string(),
            ));
        }
        if self.request.token_code().is_some() {
            errors.push(InvalidParameter::new(
                Parameter::TokenCode,
                "must not be fixed in a provider's request, which refreshes; give the provider an MFA token source",
                "a code",
            ));
        }
        if self.mfa.is_some() && self.request.serial_number().is_none() {
            errors.push(InvalidParameter::new(
                Parameter::SerialNumber,
                "is required with an MFA token source",
                "none",
            ));
        }
        if let Some(errors) = ValidationErrors::from_vec(errors) {
            return Err(errors);
        }
        let clock = Clock::from_injected(self.time_source);
        let mfa = match (self.mfa, self.request.serial_number()) {
            (Some(source), Some(serial)) => Some(MfaConfig {
                source,
                options: self.mfa_options,
                device: Device::get(serial.as_str()),
                serial: serial.clone(),
                clock: clock.shared(),
            }),
            _ => None,
        };
        let disk = self.store.map(|store| {
            let full = self
                .request
                .duration()
                .unwrap_or(SessionDuration::DEFAULT)
                .as_duration();
            DiskCache {
                store,
                key: cli_cache_key(&self.request),
                min_remaining: self.policy.windows(full).0,
            }
        });
        let client = client_with_source(self.sts.0, self.source);
        let fetch = Arc::new(StsFetch {
            client,
            request: self.request,
            mfa,
            disk,
            clock: clock.shared(),
        });
        Ok(AssumeRoleProvider {
            handle: Handle::new(fetch, clock, self.policy, self.seed),
        })
    }
}

/// A refresh failure, shared by every caller that waited for that refresh. It wraps the crate's
/// [`Error`]; `Display` and `source` are that error's.
#[derive(Clone)]
pub struct SharedError(Arc<Error>, bool);

impl SharedError {
    fn new(e: Error) -> Self {
        Self(Arc::new(e), false)
    }

    fn cancelled(e: tokio::task::JoinError) -> Self {
        Self(Arc::new(Error::Dispatch(Box::new(e))), true)
    }

    /// The error.
    pub fn inner(&self) -> &Error {
        &self.0
    }
}

impl fmt::Debug for SharedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for SharedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.1 {
            f.write_str("refresh task cancelled: ")?;
        }
        fmt::Display::fmt(&self.0, f)
    }
}

impl StdError for SharedError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.source()
    }
}

impl From<SharedError> for CredentialsError {
    fn from(e: SharedError) -> Self {
        if e.inner().is_configuration() {
            CredentialsError::invalid_configuration(e)
        } else {
            CredentialsError::provider_error(e)
        }
    }
}
