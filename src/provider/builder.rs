//! What every provider's builder shares: the [`Options`] value, and the macro that writes its
//! setters once for each builder.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_async::time::SharedTimeSource;

use super::disk::DiskCache;
use super::fetch::Fetch;
use super::mfa::MfaConfig;
use super::refresh::Cache;
use super::{Handle, RefreshPolicy};
use crate::cache::CredentialCache;
use crate::clock::Clock;
use crate::mfa::{MfaDevices, MfaOptions, TokenSource};
use crate::request::SerialNumber;

/// The setters of the settings every provider shares, written once and given to each builder
/// (a role's, an MFA session's, a profile's): each builder's page shows them beside its own.
/// The builder must have a field `options: Options`.
macro_rules! shared_settings {
    () => {
        /// When to refresh and how to back off. Defaults to
        /// [`RefreshPolicy::default`](crate::provider::RefreshPolicy::default).
        pub fn refresh_policy(mut self, policy: $crate::provider::RefreshPolicy) -> Self {
            self.options.policy = policy;
            self
        }

        /// Seeds the jitter of the refresh schedule and the backoff, for reproducible schedules
        /// in tests and simulations. Unseeded by default.
        pub fn jitter_seed(mut self, seed: u64) -> Self {
            self.options.jitter_seed = Some(seed);
            self
        }

        /// The clock every decision is made with: when to refresh, whether an entry of the
        /// [`cache`](Self::cache) is fresh enough, when an MFA code was used. Defaults to the
        /// system clock; tests pass a manual one to run hours in milliseconds.
        pub fn time_source(
            mut self,
            time_source: impl aws_smithy_async::time::TimeSource + 'static,
        ) -> Self {
            self.options.time_source =
                Some(aws_smithy_async::time::SharedTimeSource::new(time_source));
            self
        }

        /// What the refresh timer (see [`RefreshPolicy`](crate::provider::RefreshPolicy)) sleeps with.
        /// Defaults to tokio's sleep, which follows the system clock; give one that follows
        /// your [`time_source`](Self::time_source) when you inject a clock (a test's
        /// `ManualClock` is both), or the provider refreshes only on demand.
        pub fn sleep_impl(
            mut self,
            sleep: impl aws_smithy_async::rt::sleep::AsyncSleep + 'static,
        ) -> Self {
            self.options.sleep = Some(aws_smithy_async::rt::sleep::SharedAsyncSleep::new(sleep));
            self
        }

        /// How long one question to the MFA token source may take before the load fails with
        /// [`MfaError::TimedOut`](crate::mfa::MfaError::TimedOut). Default 5 minutes.
        pub fn mfa_prompt_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.options.mfa_options.prompt_timeout = timeout;
            self
        }

        /// How many codes to try per load when STS rejects them (at least 1). Default 3.
        pub fn mfa_attempts(mut self, attempts: u32) -> Self {
            self.options.mfa_options.attempts = attempts.max(1);
            self
        }

        /// The registry of MFA devices the provider coordinates with (one question at a time
        /// per device, no code sent twice). Defaults to
        /// [`MfaDevices::process_wide`](crate::mfa::MfaDevices::process_wide).
        pub fn mfa_devices(mut self, devices: $crate::mfa::MfaDevices) -> Self {
            self.options.devices = devices;
            self
        }

        /// Keep the credentials in `cache` too, so other processes (and, with
        /// [`FileCache::aws_cli`](crate::cache::FileCache::aws_cli), the AWS CLI) reuse them.
        /// Off by default.
        ///
        /// A role's credentials are kept under the AWS CLI's key for its request
        /// ([`cli_cache_key`](crate::cache::cli_cache_key)), an MFA session's under a key of
        /// its device and duration. Before each call to STS, and before asking for an MFA
        /// code, the provider looks in the cache. It serves an entry only with more than the
        /// advisory window of a full-length session left (15 minutes for one-hour sessions, as
        /// the AWS CLI does; see [`RefreshPolicy`](crate::provider::RefreshPolicy)), judged with the
        /// provider's [clock](Self::time_source); never the credentials it is replacing, never
        /// ones invalidated, and never an entry issued for another role or session (the check
        /// of [`cache::load_for`](crate::cache::load_for); an MFA session's entry must name no
        /// role). After STS answers, it writes the entry. Cache failures are logged and count
        /// as misses; they never fail a load.
        pub fn cache(mut self, cache: impl $crate::cache::CredentialCache + 'static) -> Self {
            self.options.cache = Some(std::sync::Arc::new(cache));
            self
        }
    };
}
pub(crate) use shared_settings;

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
        expect: crate::provider::disk::Expect,
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
