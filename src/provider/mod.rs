//! The providers: [`AssumeRoleProvider`] and [`MfaSession`], each a fetch behind one cache that
//! serves, refreshes ahead of expiry and remembers failures, each with its builder; the
//! settings every builder shares are written once ([`builder`]).

pub(crate) mod builder;
mod disk;
mod expiry;
pub(crate) mod fetch;
mod mfa;
mod policy;
mod refresh;
mod rejection;
pub(crate) mod role;
pub(crate) mod server_time;
pub(crate) mod session;
mod timer;

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};

pub use policy::{RefreshPolicy, ScheduledRefresh};
pub use rejection::HealOnRejection;
pub use session::{MfaSession, MfaSessionBuilder};

use crate::cache::cli_cache_key;
use crate::error::{Error, credentials_error};
use crate::mfa::TokenSource;
use crate::request::{
    AssumeRoleRequest, InvalidParameter, Parameter, SessionDuration, ValidationErrors,
};
use aws_types::SdkConfig;
use fetch::CredentialsOf;
use refresh::{Cache, WarmPath};
use role::StsFetch;

/// Credentials for a role, cached, and refreshed in the background before they expire.
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
/// let request = AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/reader", "reader")
///     .build()?;
/// let provider = AssumeRoleProvider::builder(request, &base).build()?;
///
/// let config = aws_config::defaults(BehaviorVersion::latest())
///     .credentials_provider(provider)
///     // The provider caches and refreshes by itself; the SDK's cache would only add a load
///     // timeout (21.6 s with the default retry and timeout settings), too short for a
///     // person finding their phone to type an MFA code.
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
/// goes. Shared by [`AssumeRoleProvider`] and [`MfaSession`]. Made only by
/// [`builder::Options::handle`].
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
    fn new(cache: Cache) -> Self {
        Handle(Arc::new(Inner {
            cache: Arc::new(cache),
        }))
    }

    pub(crate) fn provide(&self) -> provider::future::ProvideCredentials<'_> {
        let cache = &self.0.cache;
        match cache.warm_path() {
            WarmPath::Serve(c) => provider::future::ProvideCredentials::ready(Ok(c)),
            WarmPath::Wait => provider::future::ProvideCredentials::new(async move {
                cache.wait_for_refresh().await.map_err(credentials_error)
            }),
        }
    }

    /// Loads as `provide` does, with this crate's error.
    pub(crate) async fn load(&self) -> Result<Credentials, Arc<Error>> {
        let cache = &self.0.cache;
        match cache.warm_path() {
            WarmPath::Serve(c) => Ok(c),
            WarmPath::Wait => cache.wait_for_refresh().await,
        }
    }

    pub(crate) fn fallback(&self) -> Option<Credentials> {
        let cache = &self.0.cache;
        cache.valid(cache.clock.now())
    }

    pub(crate) fn invalidate(&self) {
        fetch::event!(debug, self.0.cache.subject(), "credentials invalidated");
        self.0.cache.invalidate(None);
    }

    /// Invalidates the credentials with access key ID `key` if they are the current ones.
    pub(crate) fn invalidate_if(&self, key: &str) -> bool {
        let done = self.0.cache.invalidate(Some(key));
        if done {
            fetch::event!(
                info,
                self.0.cache.subject(),
                "a service rejected the credentials; they are invalidated and replaced"
            );
        }
        done
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

/// A snapshot of a provider's state, for health checks and tests: are its credentials fresh,
/// when do they expire, what was the last failure.
#[derive(Clone, Debug)]
pub struct Status {
    pub(crate) now: SystemTime,
    pub(crate) expiry: Option<SystemTime>,
    pub(crate) refresh_at: Option<SystemTime>,
    pub(crate) mandatory_at: Option<SystemTime>,
    pub(crate) refreshing: bool,
    pub(crate) last_error: Option<Arc<Error>>,
    pub(crate) retry_at: Option<SystemTime>,
    pub(crate) consecutive_failures: u32,
}

impl Status {
    /// Whether the provider holds credentials it serves at once, with no refresh due: before
    /// the advisory window (see [`RefreshPolicy`]).
    pub fn is_fresh(&self) -> bool {
        self.refresh_at.is_some_and(|at| self.now < at)
    }

    /// Whether the provider holds credentials that have not expired.
    pub fn is_valid(&self) -> bool {
        self.expiry.is_some_and(|at| self.now < at)
    }

    /// When the credentials held expire by this machine's clock, as the provider judges it
    /// (on STS's clock, see [`docs::refresh`](crate::docs::refresh)), if it holds any: never
    /// later than their true expiry, so it may be up to a second and a round trip, and a
    /// thousandth of their life (kept for this machine's clock drifting), before the
    /// credentials' own `expiry()` when the clocks agree.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expiry
    }

    /// When a refresh is due, in the background (the start of the advisory window).
    pub fn refresh_at(&self) -> Option<SystemTime> {
        self.refresh_at
    }

    /// From when callers wait for a refresh (the start of the mandatory window), unless the
    /// provider's refresh may ask a person for an MFA code.
    pub fn mandatory_at(&self) -> Option<SystemTime> {
        self.mandatory_at
    }

    /// Whether a refresh is in flight.
    pub fn is_refreshing(&self) -> bool {
        self.refreshing
    }

    /// The last refresh failure, while it is remembered.
    pub fn last_error(&self) -> Option<&Error> {
        self.last_error.as_deref()
    }

    /// When the provider will next try STS after that failure.
    pub fn retry_at(&self) -> Option<SystemTime> {
        self.retry_at
    }

    /// Failed refreshes in a row.
    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }
}

impl AssumeRoleProvider {
    /// Starts a builder for a provider of `request`'s role, reaching STS with a client made
    /// from `sts`: its region, endpoint, HTTP client, retries and timeouts. Its credentials
    /// sign the calls to STS unless the builder is given
    /// [`source_credentials`](AssumeRoleProviderBuilder::source_credentials).
    pub fn builder(request: AssumeRoleRequest, sts: &SdkConfig) -> AssumeRoleProviderBuilder {
        AssumeRoleProviderBuilder::with_client(request, aws_sdk_sts::Client::new(sts))
    }

    /// Forgets the cached credentials, for when a service rejected them (`ExpiredToken`,
    /// `InvalidClientTokenId`). The next call fetches fresh ones. SDK clients can do it by
    /// themselves: see [`heal_on_rejection`](Self::heal_on_rejection).
    pub fn invalidate(&self) {
        self.handle.invalidate();
    }

    /// An interceptor (and retry classifier) for SDK clients that use this provider: when a
    /// service rejects the credentials, the provider replaces them. See [`HealOnRejection`].
    pub fn heal_on_rejection(&self) -> HealOnRejection {
        HealOnRejection::new(self.handle.clone())
    }

    /// Loads credentials now unless valid ones are cached, and returns them. Call it at service
    /// start so a first slow load (or MFA prompt) happens there, not inside a request.
    ///
    /// # Errors
    ///
    /// Why the load failed, as this crate's [`Error`] (shared with every caller that waited
    /// for the same refresh), whose message says what happened: `STS returned AccessDenied
    /// (HTTP 403): ...`, not the SDK's `an error occurred while loading credentials`. Print
    /// its whole chain with `aws_smithy_types::error::display::DisplayErrorContext`.
    pub async fn prefetch(&self) -> Result<Credentials, Arc<Error>> {
        self.handle.load().await
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

/// Builds an [`AssumeRoleProvider`]: from [`AssumeRoleProvider::builder`].
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use aws_config::BehaviorVersion;
/// use sts_assume_role::mfa::TerminalPrompt;
/// use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest};
///
/// let base = aws_config::load_defaults(BehaviorVersion::latest()).await;
/// let request = AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/admin", "alice")
///     .serial_number("arn:aws:iam::123456789012:mfa/alice")
///     .build()?;
/// let provider = AssumeRoleProvider::builder(request, &base)
///     .mfa(TerminalPrompt::new()) // a fresh code for each AssumeRole
///     .build()?;
/// # Ok(()) }
/// ```
///
/// STS access is required: there is no builder without it.
///
/// ```compile_fail
/// use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest};
/// let request = AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/demo", "demo")
///     .build()
///     .unwrap();
/// // No SdkConfig.
/// let provider = AssumeRoleProvider::builder(request).build();
/// ```
#[must_use]
pub struct AssumeRoleProviderBuilder {
    request: AssumeRoleRequest,
    sts: aws_sdk_sts::Client,
    source: Option<SharedCredentialsProvider>,
    mfa: Option<Arc<dyn TokenSource>>,
    utilization_warning: u32,
    options: builder::Options,
}

impl fmt::Debug for AssumeRoleProviderBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssumeRoleProviderBuilder")
            .field("request", &self.request)
            .field("source", &self.source)
            .field("mfa", &self.mfa)
            .field("utilization_warning", &self.utilization_warning)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// By default, a provider warns when the session token uses this much of the largest STS
/// allows, in percent.
const DEFAULT_UTILIZATION_WARNING: u32 = 90;

impl AssumeRoleProviderBuilder {
    /// A builder reaching STS through `client`, as it is configured.
    pub(crate) fn with_client(request: AssumeRoleRequest, client: aws_sdk_sts::Client) -> Self {
        Self {
            request,
            sts: client,
            source: None,
            mfa: None,
            utilization_warning: DEFAULT_UTILIZATION_WARNING,
            options: builder::Options::default(),
        }
    }

    /// Every shared setting at once, for a builder made inside another (a profile's chain).
    pub(crate) fn with_options(mut self, options: builder::Options) -> Self {
        self.options = options;
        self
    }

    builder::shared_settings!();

    /// Call STS with these credentials instead of the config's or client's own. Any
    /// [`ProvideCredentials`] works: an [`MfaSession`], another `AssumeRoleProvider` (role
    /// chaining), the SDK's providers, your own. They are loaded before each call to STS,
    /// without the SDK's identity cache or its load timeout.
    ///
    /// The one-hour limit STS puts on a role assumed with temporary credentials is judged on
    /// the credentials themselves, not on the type of the source: when they carry a session
    /// token (another role's session: role chaining, whether from an `AssumeRoleProvider`, the
    /// SDK's AssumeRole, web identity, SAML or SSO providers, or an instance or container role;
    /// or an [`MfaSession`]'s), however wrapped, a `DurationSeconds` over 3600 is refused
    /// before STS is called, with [`Error::InvalidRequest`], as STS would refuse it. Long-term
    /// IAM user keys have no session token and no such limit.
    pub fn source_credentials(mut self, source: impl ProvideCredentials + 'static) -> Self {
        self.source = Some(SharedCredentialsProvider::new(source));
        self
    }

    /// Ask this source for a fresh MFA code on every AssumeRole call. The request must carry a
    /// [`serial_number`](crate::AssumeRoleRequestBuilder::serial_number) and no token code.
    pub fn mfa(mut self, source: impl TokenSource + 'static) -> Self {
        self.mfa = Some(Arc::new(source));
        self
    }

    /// Warn (once, in the log) when STS says the session token uses `percent` or more of the
    /// largest it allows (`SessionTokenUtilization`, or `PackedPolicySize` from an STS that
    /// sends only that): session policies and tags fill it, and past 100 % STS refuses the
    /// request with `PackedPolicyTooLarge`. Default 90.
    pub fn token_utilization_warning(mut self, percent: u32) -> Self {
        self.utilization_warning = percent;
        self
    }

    /// Builds the provider. Nothing is fetched until credentials are first asked for (or
    /// [`prefetch`](AssumeRoleProvider::prefetch) is called).
    ///
    /// # Errors
    ///
    /// - A token code in the request: a provider refreshes, and a code is good once. Give it
    ///   an MFA source with [`mfa`](Self::mfa) instead.
    /// - An MFA source without a serial number in the request.
    pub fn build(self) -> Result<AssumeRoleProvider, ValidationErrors> {
        let Self {
            request,
            sts,
            source,
            mfa,
            utilization_warning,
            options,
        } = self;
        let mut errors = Vec::new();
        if request.token_code.is_some() {
            errors.push(InvalidParameter::new(
                Parameter::TokenCode,
                "must not be fixed in a provider's request, which refreshes; give the provider an MFA token source",
                "a code",
            ));
        }
        if mfa.is_some() && request.serial_number.is_none() {
            errors.push(InvalidParameter::new(
                Parameter::SerialNumber,
                "is required with an MFA token source",
                "none",
            ));
        }
        if let Some(errors) = ValidationErrors::from_vec(errors) {
            return Err(errors);
        }
        let clock = options.clock();
        let mfa = match (mfa, &request.serial_number) {
            (Some(source), Some(serial)) => Some(options.mfa(source, serial.clone(), &clock)),
            _ => None,
        };
        let full = request
            .duration
            .unwrap_or(SessionDuration::DEFAULT)
            .as_duration();
        let disk = options.disk(
            cli_cache_key(&request),
            disk::Expect::Role(Box::new(request.clone())),
            full,
        );
        let server_date = server_time::ServerDate::new(clock.shared());
        let fetch = Arc::new(StsFetch {
            client: server_date.on(sts),
            server_date,
            source,
            subject: CredentialsOf::Role(request.role_arn.clone()),
            request,
            mfa,
            disk,
            utilization_warning,
            warned: std::sync::atomic::AtomicBool::new(false),
        });
        Ok(AssumeRoleProvider {
            handle: options.handle(fetch, clock),
        })
    }
}
