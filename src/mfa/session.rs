//! An MFA session: GetSessionToken with one code, then role credentials without prompts.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_async::time::{SharedTimeSource, TimeSource};
use aws_types::SdkConfig;

use super::{Device, MfaOptions, TokenSource, with_code};
use crate::assume::{from_sdk_error, sdk_credentials};
use crate::cache::{CredentialCache, cache_key_for_args};
use crate::clock::Clock;
use crate::provider::fetch::{BoxFuture, DiskCache, Fetch, FetchContext, MfaConfig};
use crate::provider::{Handle, RefreshPolicy, Status, client_with_source};
use crate::request::{IntoParam, SerialNumber};
use crate::{Error, InvalidParameter, Parameter, ValidationErrors};

/// Session credentials from STS `GetSessionToken`, obtained with one MFA code and kept for
/// hours (default 12), renewed with one new code shortly before they end.
///
/// Use it as the source credentials of any number of
/// [`AssumeRoleProvider`](crate::AssumeRoleProvider)s: roles whose trust policy requires
/// `aws:MultiFactorAuthPresent` then refresh hourly with no prompt while the session lives, as
/// aws-vault does. Assuming a role from an MFA session is not role chaining.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use sts_assume_role::mfa::{MfaSession, TerminalPrompt};
/// use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest};
///
/// let base = aws_config::load_from_env().await; // long-term IAM user keys
/// let session = MfaSession::builder("arn:aws:iam::123456789012:mfa/alice", TerminalPrompt::new())
///     .sdk_config(&base)
///     .build()?;
/// let admin = AssumeRoleProvider::builder(
///     AssumeRoleRequest::builder()
///         .role_arn("arn:aws:iam::123456789012:role/admin")
///         .role_session_name("alice")
///         .build()?,
/// )
/// .sdk_config(&base)
/// .source_credentials(session.clone())
/// .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct MfaSession {
    handle: Handle,
}

/// Builds an [`MfaSession`].
#[derive(Debug)]
#[must_use]
pub struct MfaSessionBuilder {
    serial: Result<SerialNumber, InvalidParameter>,
    source: Arc<dyn TokenSource>,
    client: Option<aws_sdk_sts::Client>,
    credentials: Option<SharedCredentialsProvider>,
    duration: Duration,
    max_mfa_age: Option<Duration>,
    options: MfaOptions,
    policy: RefreshPolicy,
    time_source: Option<SharedTimeSource>,
    store: Option<Arc<dyn CredentialCache>>,
}

/// GetSessionToken's `DurationSeconds` range: 15 minutes to 36 hours.
const SESSION_RANGE: (u64, u64) = (900, 129_600);

impl MfaSession {
    /// Starts a builder for the MFA device `serial_number`, asking `source` for codes.
    pub fn builder(
        serial_number: impl IntoParam<SerialNumber>,
        source: impl TokenSource + 'static,
    ) -> MfaSessionBuilder {
        MfaSessionBuilder {
            serial: serial_number.into_param(),
            source: Arc::new(source),
            client: None,
            credentials: None,
            duration: Duration::from_secs(12 * 3600),
            max_mfa_age: None,
            options: MfaOptions::default(),
            policy: RefreshPolicy::default(),
            time_source: None,
            store: None,
        }
    }

    /// Loads the session now (asking for a code) unless one is cached.
    pub async fn prefetch(&self) -> Result<Credentials, provider::error::CredentialsError> {
        self.handle.provide().await
    }

    /// Forgets the session; the next use asks for a code again.
    pub fn invalidate(&self) {
        self.handle.invalidate();
    }

    /// A snapshot of the session's state.
    pub fn status(&self) -> Status {
        self.handle.status()
    }
}

impl ProvideCredentials for MfaSession {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        self.handle.provide()
    }

    fn fallback_on_interrupt(&self) -> Option<Credentials> {
        self.handle.fallback()
    }
}

impl MfaSessionBuilder {
    /// Reach STS with a client made from this config; its credentials (long-term IAM user
    /// keys: GetSessionToken refuses session credentials) call GetSessionToken.
    pub fn sdk_config(mut self, config: &SdkConfig) -> Self {
        self.client = Some(aws_sdk_sts::Client::new(config));
        self
    }

    /// Reach STS with this client.
    pub fn client(mut self, client: aws_sdk_sts::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Call GetSessionToken with these credentials instead of the client's own.
    pub fn source_credentials(mut self, source: impl ProvideCredentials + 'static) -> Self {
        self.credentials = Some(SharedCredentialsProvider::new(source));
        self
    }

    /// How long the session lasts: 15 minutes to 36 hours (12 hours by default; STS caps the
    /// root user at 1 hour).
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = duration;
        self
    }

    /// Renew the session (with a new code) before its MFA is `max` old, to match a trust
    /// policy's `"NumericLessThan": {"aws:MultiFactorAuthAge": "<max seconds>"}`.
    pub fn max_mfa_age(mut self, max: Duration) -> Self {
        self.max_mfa_age = Some(max);
        self
    }

    /// How the token source is used: prompt timeout, attempts.
    pub fn mfa_options(mut self, options: MfaOptions) -> Self {
        self.options = options;
        self
    }

    /// When to renew. The default renews up to 22.5 minutes before the session ends.
    pub fn refresh_policy(mut self, policy: RefreshPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The clock (the system clock unless set).
    pub fn time_source(mut self, time_source: impl TimeSource + 'static) -> Self {
        self.time_source = Some(SharedTimeSource::new(time_source));
        self
    }

    /// Keep the session in `cache` too, so the next run of a program (or another process)
    /// reuses it without asking for a code: a tool run many times a day asks once per session
    /// (12 hours by default), as aws-vault does. Off by default.
    ///
    /// The entry's key is [`session_cache_key`] (the device, the duration and any
    /// [`max_mfa_age`](Self::max_mfa_age)), so it never meets an AWS CLI entry in the same
    /// directory. An entry is served only with more than the advisory window of a full session
    /// left, never the session being replaced, and never one invalidated; with
    /// `max_mfa_age`, the stored expiry is the MFA age limit, so a reused session is renewed
    /// on time too. Cache failures are logged and count as misses.
    ///
    /// **The entry is a bearer credential:** until it expires, anyone who can read it can act
    /// as the IAM user, MFA included, and assume the roles that require MFA. Keep the
    /// directory private ([`FileCache`](crate::cache::FileCache) writes 0600 files in a 0700
    /// directory, and refuses files others could have written).
    pub fn cache(mut self, cache: impl CredentialCache + 'static) -> Self {
        self.store = Some(Arc::new(cache));
        self
    }

    /// Builds the session. Nothing is asked until it is first used or prefetched.
    ///
    /// # Errors
    ///
    /// An invalid serial number, a duration outside 900–129600 whole seconds, or no STS
    /// access (neither `sdk_config` nor `client`).
    pub fn build(self) -> Result<MfaSession, ValidationErrors> {
        let mut errors = Vec::new();
        let secs = self.duration.as_secs();
        if self.duration.subsec_nanos() != 0 || secs < SESSION_RANGE.0 || secs > SESSION_RANGE.1 {
            errors.push(InvalidParameter::new(
                Parameter::DurationSeconds,
                "must be 900-129600 whole seconds for GetSessionToken",
                format!("{:?}", self.duration),
            ));
        }
        let serial = self.serial.map_err(|e| errors.push(e)).ok();
        if self.client.is_none() {
            errors.push(InvalidParameter::new(
                Parameter::SerialNumber,
                "needs STS access: call sdk_config or client on the MfaSession builder",
                "neither",
            ));
        }
        let (Some(serial), Some(client), None) = (
            serial,
            self.client,
            ValidationErrors::from_vec(errors.clone()),
        ) else {
            return Err(ValidationErrors::from_vec(errors)
                .unwrap_or_else(|| unreachable!("errors were pushed")));
        };
        let clock = Clock::from_injected(self.time_source);
        let label = format!("MFA session of {serial}");
        let disk = self.store.map(|store| DiskCache {
            store,
            key: session_cache_key(&serial, self.duration, self.max_mfa_age),
            min_remaining: self.policy.windows(self.duration).0,
        });
        let fetch = Arc::new(SessionFetch {
            disk,
            client: client_with_source(client, self.credentials),
            duration_secs: secs as i32,
            max_mfa_age: self.max_mfa_age,
            mfa: MfaConfig {
                source: self.source,
                options: self.options,
                device: Device::get(serial.as_str()),
                serial,
                clock: clock.shared(),
            },
            label,
        });
        Ok(MfaSession {
            handle: Handle::new(fetch, clock, self.policy, None),
        })
    }
}

#[derive(Debug)]
struct SessionFetch {
    disk: Option<DiskCache>,
    client: aws_sdk_sts::Client,
    duration_secs: i32,
    max_mfa_age: Option<Duration>,
    mfa: MfaConfig,
    label: String,
}

impl Fetch for SessionFetch {
    fn fetch(self: Arc<Self>, ctx: FetchContext) -> BoxFuture<Result<Credentials, Error>> {
        Box::pin(async move {
            let mfa = &self.mfa;
            if let Some(disk) = &self.disk
                && let Some(credentials) = disk.load(mfa.clock.now(), &ctx.avoid).await
            {
                return Ok(credentials);
            }
            let reason = if ctx.first {
                super::MfaReason::FirstLoad
            } else {
                super::MfaReason::Refresh
            };
            let ctx = super::MfaContext::new(mfa.serial.clone(), None, reason, 1);
            let (credentials, accepted_at) = with_code(
                &mfa.device,
                &*mfa.source,
                &mfa.options,
                &mfa.clock,
                ctx,
                |code| {
                    let op = self
                        .client
                        .get_session_token()
                        .duration_seconds(self.duration_secs)
                        .serial_number(mfa.serial.as_str())
                        .token_code(code.expose());
                    let clock = mfa.clock.clone();
                    async move {
                        let out = op.send().await.map_err(from_sdk_error)?;
                        let creds = out
                            .credentials
                            .ok_or(Error::IncompleteResponse("Credentials"))?;
                        Ok((sdk_credentials(creds, None)?, clock.now()))
                    }
                },
            )
            .await?;
            let credentials = cap_expiry(credentials, accepted_at, self.max_mfa_age);
            if let Some(disk) = &self.disk {
                disk.store_credentials(&credentials).await;
            }
            Ok(credentials)
        })
    }

    fn label(&self) -> &str {
        &self.label
    }

    fn prompts(&self) -> bool {
        true
    }
}

/// The key under which [`MfaSessionBuilder::cache`] keeps the session of `serial_number`
/// lasting `duration`, renewed before its MFA is `max_mfa_age` old: the AWS CLI's hashing
/// ([`cache_key_for_args`]) of `{"Action": "GetSessionToken", "SerialNumber": …,
/// "DurationSeconds": …}`, plus `"MaxMfaAgeSeconds"` when set. No AWS CLI key has an
/// `Action`, so the two never collide in one directory.
///
/// ```
/// use std::time::Duration;
/// use sts_assume_role::mfa::session_cache_key;
/// use sts_assume_role::request::SerialNumber;
///
/// let serial = SerialNumber::new("arn:aws:iam::111111111111:mfa/alice")?;
/// let day = session_cache_key(&serial, Duration::from_secs(12 * 3600), None);
/// let hour_of_mfa = session_cache_key(&serial, Duration::from_secs(12 * 3600), Some(Duration::from_secs(3600)));
/// assert_ne!(day, hour_of_mfa);
/// assert_eq!(day.len(), 40);
/// # Ok::<(), sts_assume_role::InvalidParameter>(())
/// ```
pub fn session_cache_key(
    serial_number: &SerialNumber,
    duration: Duration,
    max_mfa_age: Option<Duration>,
) -> String {
    let mut args = serde_json::json!({
        "Action": "GetSessionToken",
        "SerialNumber": serial_number.as_str(),
        "DurationSeconds": duration.as_secs(),
    });
    if let Some(max) = max_mfa_age {
        args["MaxMfaAgeSeconds"] = max.as_secs().into();
    }
    cache_key_for_args(&args)
}

/// Shortens the credentials' life to the MFA age limit, so they are renewed before roles
/// whose trust policy limits `aws:MultiFactorAuthAge` start refusing them.
fn cap_expiry(
    credentials: Credentials,
    accepted_at: SystemTime,
    max_age: Option<Duration>,
) -> Credentials {
    let Some(max) = max_age else {
        return credentials;
    };
    let limit = accepted_at + max;
    match credentials.expiry() {
        Some(expiry) if expiry <= limit => credentials,
        _ => {
            let mut capped = credentials;
            *capped.expiry_mut() = Some(limit);
            capped
        }
    }
}
