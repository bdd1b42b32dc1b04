//! [`ProviderBuilder`]: one builder for every kind of provider, with the settings they share
//! written once.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_smithy_async::rt::sleep::{AsyncSleep, SharedAsyncSleep, TokioSleep};
use aws_smithy_async::time::{SharedTimeSource, TimeSource};
use aws_types::SdkConfig;

use super::cache::Cache;
use super::fetch::{DiskCache, Fetch, MfaConfig};
use super::{Handle, RefreshPolicy};
use crate::cache::CredentialCache;
use crate::clock::Clock;
use crate::mfa::{MfaDevices, MfaOptions, TokenSource};
use crate::request::SerialNumber;

/// Builds a provider of any kind: an [`AssumeRoleProvider`](crate::AssumeRoleProvider)
/// ([`AssumeRoleProvider::builder`](crate::AssumeRoleProvider::builder), kind
/// [`ForRole`](crate::builder::ForRole)), an [`MfaSession`](crate::MfaSession)
/// ([`MfaSession::builder`](crate::MfaSession::builder), kind
/// [`ForMfaSession`](crate::builder::ForMfaSession)) or a named profile's chain
/// ([`profile::from_profile`](crate::profile::from_profile), kind
/// [`ForProfile`](crate::builder::ForProfile)).
///
/// The settings every kind shares are set the same way on all of them: where STS is reached
/// ([`sdk_config`](Self::sdk_config) or [`client`](Self::client)), when to refresh
/// ([`refresh_policy`](Self::refresh_policy), [`jitter_seed`](Self::jitter_seed)), the clock
/// ([`time_source`](Self::time_source)), a credential store shared with other processes
/// ([`cache`](Self::cache)), and how MFA codes are asked for
/// ([`mfa_options`](Self::mfa_options), [`mfa_devices`](Self::mfa_devices)). A profile's chain
/// hands them to every provider it builds.
///
/// The second type parameter says whether STS access is chosen yet. A role provider and an MFA
/// session build only once it is, so forgetting it is a compile error:
///
/// ```compile_fail
/// use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest};
/// let request = AssumeRoleRequest::builder()
///     .role_arn("arn:aws:iam::123456789012:role/demo")
///     .role_session_name("demo")
///     .build()
///     .unwrap();
/// // No `sdk_config` or `client`: `build` does not exist on this builder.
/// let provider = AssumeRoleProvider::builder(request).build();
/// ```
///
/// ```compile_fail
/// use sts_assume_role::MfaSession;
/// use sts_assume_role::mfa::TerminalPrompt;
/// // The same for an MFA session.
/// let session = MfaSession::builder("arn:aws:iam::123456789012:mfa/alice", TerminalPrompt::new())
///     .build();
/// ```
///
/// A profile's chain can build without it: its STS settings then come from the environment
/// and the profile, as the AWS CLI's do (see [`ForProfile`](crate::builder::ForProfile)).
///
/// Building never reads the environment for a role provider or an MFA session: everything
/// comes from what you pass in.
#[must_use]
pub struct ProviderBuilder<K, S = NoSts> {
    pub(crate) kind: K,
    pub(crate) sts: S,
    pub(crate) options: Options,
}

/// Builder state: no STS access chosen yet.
#[derive(Debug, Clone, Copy)]
pub struct NoSts;

/// Builder state: STS is reached through this client.
#[derive(Debug, Clone)]
pub struct WithSts(pub(crate) aws_sdk_sts::Client);

/// The settings every kind of provider shares.
#[derive(Clone)]
pub(crate) struct Options {
    pub(crate) policy: RefreshPolicy,
    pub(crate) time_source: Option<SharedTimeSource>,
    pub(crate) sleep: Option<SharedAsyncSleep>,
    pub(crate) jitter_seed: Option<u64>,
    pub(crate) mfa_options: MfaOptions,
    pub(crate) cache: Option<Arc<dyn CredentialCache>>,
    pub(crate) devices: MfaDevices,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            policy: RefreshPolicy::default(),
            time_source: None,
            sleep: None,
            jitter_seed: None,
            mfa_options: MfaOptions::default(),
            cache: None,
            devices: MfaDevices::process_wide(),
        }
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("refresh_policy", &self.policy)
            .field(
                "time_source",
                &if self.time_source.is_some() {
                    "given"
                } else {
                    "system"
                },
            )
            .field(
                "sleep_impl",
                &if self.sleep.is_some() {
                    "given"
                } else {
                    "tokio"
                },
            )
            .field("jitter_seed", &self.jitter_seed)
            .field("mfa_options", &self.mfa_options)
            .field("cache", &self.cache)
            .field("mfa_devices", &self.devices)
            .finish()
    }
}

impl Options {
    /// The clock every decision of one provider is made with.
    pub(crate) fn clock(&self) -> Clock {
        Clock::from_injected(self.time_source.clone())
    }

    /// The one constructor of a provider's cache handle.
    pub(crate) fn handle(&self, fetch: Arc<dyn Fetch>, clock: Clock) -> Handle {
        Handle::new(Cache::new(
            fetch,
            clock,
            self.policy.clone(),
            self.jitter_seed,
            self.timer_sleep(),
        ))
    }

    /// What the refresh timer sleeps with: the given sleep, else tokio's with the system clock.
    /// An injected clock with no sleep of its own has no timer: tokio's sleep would not follow
    /// it.
    fn timer_sleep(&self) -> Option<SharedAsyncSleep> {
        match (&self.sleep, &self.time_source) {
            (Some(sleep), _) => Some(sleep.clone()),
            (None, None) => Some(SharedAsyncSleep::new(TokioSleep::new())),
            (None, Some(_)) => None,
        }
    }

    /// How codes for `serial` are asked for.
    pub(crate) fn mfa(
        &self,
        source: Arc<dyn TokenSource>,
        serial: SerialNumber,
        clock: &Clock,
    ) -> MfaConfig {
        MfaConfig {
            source,
            options: self.mfa_options.clone(),
            device: self.devices.device(serial.as_str()),
            serial,
            clock: clock.shared(),
        }
    }

    /// The credential store in front of STS, under `key`, for sessions that last `full`;
    /// an entry is served only if `expect` holds for it.
    pub(crate) fn disk(
        &self,
        key: String,
        expect: crate::provider::fetch::Expect,
        full: Duration,
    ) -> Option<DiskCache> {
        self.cache.as_ref().map(|store| DiskCache {
            store: Arc::clone(store),
            key,
            expect,
            warned: std::sync::atomic::AtomicBool::new(false),
            min_remaining: self.policy.windows(full).0,
        })
    }
}

impl<K: fmt::Debug, S: fmt::Debug> fmt::Debug for ProviderBuilder<K, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderBuilder")
            .field("kind", &self.kind)
            .field("sts", &self.sts)
            .field("options", &self.options)
            .finish()
    }
}

impl<K> ProviderBuilder<K, NoSts> {
    pub(crate) fn new(kind: K) -> Self {
        Self {
            kind,
            sts: NoSts,
            options: Options::default(),
        }
    }
}

impl<K, S> ProviderBuilder<K, S> {
    /// Reach STS with a client made from this config: its region, endpoint, HTTP client,
    /// retries and timeouts. Its credentials sign the calls to STS unless the builder has a
    /// source of its own (a role provider's or an MFA session's
    /// `source_credentials`; a profile always has one: the profile's source).
    pub fn sdk_config(self, config: &SdkConfig) -> ProviderBuilder<K, WithSts> {
        self.client(aws_sdk_sts::Client::new(config))
    }

    /// Reach STS with this client, as it is configured (its credentials as with
    /// [`sdk_config`](Self::sdk_config)).
    pub fn client(self, client: aws_sdk_sts::Client) -> ProviderBuilder<K, WithSts> {
        ProviderBuilder {
            kind: self.kind,
            sts: WithSts(client),
            options: self.options,
        }
    }

    /// When to refresh and how to back off. Defaults to [`RefreshPolicy::default`].
    pub fn refresh_policy(mut self, policy: RefreshPolicy) -> Self {
        self.options.policy = policy;
        self
    }

    /// Seeds the jitter of the refresh schedule and the backoff, for reproducible schedules in
    /// tests and simulations. Unseeded by default.
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.options.jitter_seed = Some(seed);
        self
    }

    /// The clock every decision is made with: when to refresh, whether an entry of the
    /// [`cache`](Self::cache) is fresh enough, when an MFA code was used. Defaults to the
    /// system clock; tests pass a manual one to run hours in milliseconds.
    pub fn time_source(mut self, time_source: impl TimeSource + 'static) -> Self {
        self.options.time_source = Some(SharedTimeSource::new(time_source));
        self
    }

    /// What the refresh timer (see [`RefreshPolicy`]) sleeps with. Defaults to tokio's sleep,
    /// which follows the system clock; give one that follows your
    /// [`time_source`](Self::time_source) when you inject a clock (a test's `ManualClock` is
    /// both), or the provider refreshes only on demand.
    pub fn sleep_impl(mut self, sleep: impl AsyncSleep + 'static) -> Self {
        self.options.sleep = Some(SharedAsyncSleep::new(sleep));
        self
    }

    /// How MFA codes are asked for: prompt timeout, attempts. Defaults to
    /// [`MfaOptions::default`].
    pub fn mfa_options(mut self, options: MfaOptions) -> Self {
        self.options.mfa_options = options;
        self
    }

    /// The registry of MFA devices the provider coordinates with (one question at a time per
    /// device, no code sent twice). Defaults to [`MfaDevices::process_wide`].
    pub fn mfa_devices(mut self, devices: MfaDevices) -> Self {
        self.options.devices = devices;
        self
    }

    /// Keep the credentials in `cache` too, so other processes (and, with
    /// [`FileCache::aws_cli`](crate::cache::FileCache::aws_cli), the AWS CLI) reuse them. Off
    /// by default.
    ///
    /// A role's credentials are kept under the AWS CLI's key for its request
    /// ([`cli_cache_key`](crate::cache::cli_cache_key)), an MFA session's under
    /// [`session_cache_key`](crate::cache::session_cache_key). Before each call to STS, and
    /// before asking for an MFA code, the provider looks in the cache. It serves an entry only
    /// with more than the advisory window of a full-length session left (15 minutes for
    /// one-hour sessions, as the AWS CLI does; see [`RefreshPolicy`]), judged with the
    /// provider's [clock](Self::time_source); never the credentials it is replacing, and never
    /// ones invalidated, and never an entry issued for another role or session (see
    /// [`CachedCredentials::is_for`](crate::cache::CachedCredentials::is_for); an MFA
    /// session's entry must name no role). After STS answers, it writes the entry. Cache
    /// failures are logged and count as misses; they never fail a load.
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
        self.options.cache = Some(Arc::new(cache));
        self
    }

    /// Every shared setting at once, for a builder made inside another (a profile's chain).
    pub(crate) fn with_options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }
}
