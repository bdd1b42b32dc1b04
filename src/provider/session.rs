//! An MFA session: GetSessionToken with one code, then role credentials without prompts. A
//! second kind of fetch behind the provider's cache.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};

use super::builder;
use super::disk::{DiskCache, Expect};
use super::fetch::{BoxFuture, CredentialsOf, Fetch, FetchContext, Fetched};
use super::mfa::MfaConfig;
use super::role::{load_source, signing_with};
use super::server_time::{ServerDate, ServerTime};
use super::{Handle, Status};
use crate::assume::{from_sdk_error, sdk_credentials};
use crate::cache::session_cache_key;
use crate::error::Error;
use crate::mfa::TokenSource;
use crate::request::{
    InvalidParameter, MinimumSessionTokenSize, Parameter, SerialNumber, ValidationErrors,
};
use aws_types::SdkConfig;

/// Session credentials from STS `GetSessionToken`, obtained with one MFA code and kept for
/// hours (default 12), renewed with one new code shortly before they end.
///
/// Use it as the source credentials of any number of
/// [`AssumeRoleProvider`](crate::AssumeRoleProvider)s: roles whose trust policy requires
/// `aws:MultiFactorAuthPresent` then refresh hourly with no prompt while the session lives, as
/// aws-vault does. AWS limits a role assumed with an MFA session's credentials to one hour, as
/// for role chaining: a provider over a session refuses a `DurationSeconds` over 3600.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use sts_assume_role::mfa::TerminalPrompt;
/// use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest, MfaSession};
///
/// // Long-term IAM user keys.
/// let base = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
/// let serial = "arn:aws:iam::123456789012:mfa/alice";
/// let session = MfaSession::builder(serial, TerminalPrompt::new(), &base).build()?;
/// let request = AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/admin", "alice")
///     .build()?;
/// let admin = AssumeRoleProvider::builder(request, &base)
///     .source_credentials(session.clone())
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct MfaSession {
    handle: Handle,
}

/// Builds an [`MfaSession`]: from [`MfaSession::builder`], with the MFA device, the source
/// of its codes and STS access it requires.
///
/// ```compile_fail
/// use sts_assume_role::MfaSession;
/// use sts_assume_role::mfa::TerminalPrompt;
/// // No SdkConfig: GetSessionToken has to be reached somehow.
/// let session = MfaSession::builder("arn:aws:iam::123456789012:mfa/alice", TerminalPrompt::new())
///     .build();
/// ```
#[must_use]
pub struct MfaSessionBuilder {
    serial: Result<SerialNumber, InvalidParameter>,
    source: Arc<dyn TokenSource>,
    sts: aws_sdk_sts::Client,
    credentials: Option<SharedCredentialsProvider>,
    duration: Duration,
    max_mfa_age: Option<Duration>,
    minimum_token: Option<Result<MinimumSessionTokenSize, InvalidParameter>>,
    options: builder::Options,
}

impl std::fmt::Debug for MfaSessionBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaSessionBuilder")
            .field("serial", &self.serial)
            .field("source", &self.source)
            .field("credentials", &self.credentials)
            .field("duration", &self.duration)
            .field("max_mfa_age", &self.max_mfa_age)
            .field("minimum_token", &self.minimum_token)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// GetSessionToken's `DurationSeconds` range: 15 minutes to 36 hours.
pub(crate) const SESSION_RANGE: (u64, u64) = (900, 129_600);

/// The rule for a GetSessionToken duration, broken or not.
pub(crate) fn session_duration_rule(duration: Duration) -> Option<InvalidParameter> {
    let secs = duration.as_secs();
    (duration.subsec_nanos() != 0 || secs < SESSION_RANGE.0 || secs > SESSION_RANGE.1).then(|| {
        InvalidParameter::new(
            Parameter::DurationSeconds,
            "must be 900-129600 whole seconds for GetSessionToken",
            format!("{duration:?}"),
        )
    })
}

impl MfaSession {
    /// Starts a builder for the MFA device `serial_number` (its ARN, or a hardware device's
    /// serial), asking `source` for codes, reaching STS with a client made from `sts`, whose
    /// credentials (long-term IAM user keys: GetSessionToken refuses session credentials) sign
    /// the calls unless the builder is given
    /// [`source_credentials`](MfaSessionBuilder::source_credentials).
    pub fn builder(
        serial_number: impl Into<String>,
        source: impl TokenSource + 'static,
        sts: &SdkConfig,
    ) -> MfaSessionBuilder {
        MfaSessionBuilder::with_client(
            SerialNumber::new(serial_number),
            Arc::new(source),
            aws_sdk_sts::Client::new(sts),
        )
    }

    /// Loads the session now (asking for a code) unless one is cached.
    ///
    /// # Errors
    ///
    /// Why the load failed, as this crate's [`Error`], as for
    /// [`AssumeRoleProvider::prefetch`](crate::AssumeRoleProvider::prefetch).
    pub async fn prefetch(&self) -> Result<Credentials, Arc<Error>> {
        self.handle.load().await
    }

    /// Forgets the session; the next use asks for a code again.
    pub fn invalidate(&self) {
        self.handle.invalidate();
    }

    /// An interceptor (and retry classifier) for SDK clients that use the session directly:
    /// when a service rejects its credentials, the session is renewed. See
    /// [`HealOnRejection`](crate::HealOnRejection).
    pub fn heal_on_rejection(&self) -> super::HealOnRejection {
        super::HealOnRejection::new(self.handle.clone())
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
    /// A builder reaching STS through `client`, as it is configured.
    pub(crate) fn with_client(
        serial: Result<SerialNumber, InvalidParameter>,
        source: Arc<dyn TokenSource>,
        client: aws_sdk_sts::Client,
    ) -> Self {
        Self {
            serial,
            source,
            sts: client,
            credentials: None,
            duration: Duration::from_secs(12 * 3600),
            max_mfa_age: None,
            minimum_token: None,
            options: builder::Options::default(),
        }
    }

    /// Every shared setting at once, for a builder made inside another (a profile's chain).
    pub(crate) fn with_options(mut self, options: builder::Options) -> Self {
        self.options = options;
        self
    }

    builder::shared_settings!();

    /// Call GetSessionToken with these credentials instead of the config's or client's own
    /// (long-term IAM user keys: GetSessionToken refuses session credentials).
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

    /// `MinimumSessionTokenSize` of GetSessionToken: the least size, in bytes, of the
    /// session's token (0 to 4096); STS pads the token to it.
    pub fn minimum_session_token_size(mut self, bytes: u32) -> Self {
        self.minimum_token = Some(MinimumSessionTokenSize::new(bytes));
        self
    }

    /// Builds the session. Nothing is asked until it is first used or prefetched.
    ///
    /// With [`cache`](MfaSessionBuilder::cache), the session is kept under
    /// [`session_cache_key`] (the device, the duration and any
    /// [`max_mfa_age`](Self::max_mfa_age)), so the next run of a program reuses it without
    /// asking for a code, as aws-vault does; with `max_mfa_age`, the stored expiry is the MFA
    /// age limit, so a reused session is renewed on time too. **The entry is a bearer
    /// credential:** until it expires, anyone who can read it can act as the IAM user, MFA
    /// included. Keep the directory private ([`FileCache`](crate::cache::FileCache) writes
    /// 0600 files in a 0700 directory, and refuses files others could have written).
    ///
    /// # Errors
    ///
    /// An invalid serial number, a duration outside 900–129600 whole seconds, or a
    /// `MinimumSessionTokenSize` over 4096.
    pub fn build(self) -> Result<MfaSession, ValidationErrors> {
        let Self {
            serial,
            source,
            sts,
            credentials,
            duration,
            max_mfa_age,
            minimum_token,
            options,
        } = self;
        let mut errors: Vec<InvalidParameter> =
            session_duration_rule(duration).into_iter().collect();
        let serial = serial.map_err(|e| errors.push(e)).ok();
        let minimum_token = minimum_token.and_then(|r| r.map_err(|e| errors.push(e)).ok());
        if let Some(errors) = ValidationErrors::from_vec(errors) {
            return Err(errors);
        }
        let Some(serial) = serial else {
            unreachable!("an invalid serial number pushed an error");
        };
        let clock = options.clock();
        let disk = options.disk(
            session_cache_key(serial.as_str(), duration, max_mfa_age),
            Expect::Session,
            duration,
        );
        let server_date = ServerDate::new(clock.shared());
        let fetch = Arc::new(SessionFetch {
            disk,
            client: server_date.on(sts),
            server_date,
            source: credentials,
            duration_secs: i32::try_from(duration.as_secs()).unwrap_or(i32::MAX),
            max_mfa_age,
            minimum_token,
            subject: CredentialsOf::MfaSession(serial.clone()),
            mfa: options.mfa(source, serial, &clock),
        });
        Ok(MfaSession {
            handle: options.handle(fetch, clock),
        })
    }
}

#[derive(Debug)]
struct SessionFetch {
    disk: Option<DiskCache>,
    client: aws_sdk_sts::Client,
    /// The credentials that sign the call, when not the client's own.
    source: Option<SharedCredentialsProvider>,
    duration_secs: i32,
    max_mfa_age: Option<Duration>,
    minimum_token: Option<MinimumSessionTokenSize>,
    subject: CredentialsOf,
    mfa: MfaConfig,
    /// Where the client records STS's time.
    server_date: ServerDate,
}

impl Fetch for SessionFetch {
    fn fetch(self: Arc<Self>, ctx: FetchContext) -> BoxFuture<Result<Fetched, Error>> {
        Box::pin(async move {
            let mfa = &self.mfa;
            if let Some(disk) = &self.disk
                && let Some(credentials) = disk.load(ctx.now, &ctx.avoid).await
            {
                return Ok(credentials.into());
            }
            let client = match &self.source {
                Some(source) => signing_with(&self.client, load_source(source).await?),
                None => self.client.clone(),
            };
            self.server_date.clear();
            let question = mfa.context(None, ctx.first);
            let credentials = mfa
                .with_code(question, |code| {
                    let op = client
                        .get_session_token()
                        .duration_seconds(self.duration_secs)
                        .set_minimum_session_token_size(
                            self.minimum_token
                                .map(|m| i32::try_from(m.as_bytes()).unwrap_or(i32::MAX)),
                        )
                        .serial_number(mfa.serial.as_str())
                        .token_code(code.expose());
                    async move {
                        // The code is good for one call: no retry of the SDK's sends it again.
                        let out =
                            op.customize()
                                .config_override(aws_sdk_sts::config::Builder::new().retry_config(
                                    aws_sdk_sts::config::retry::RetryConfig::disabled(),
                                ))
                                .send()
                                .await
                                .map_err(from_sdk_error)?;
                        let creds = out
                            .credentials
                            .ok_or(Error::IncompleteResponse("Credentials"))?;
                        sdk_credentials(creds, None)
                    }
                })
                .await?;
            let server_time = self.server_date.take();
            let credentials = cap_expiry(
                credentials,
                self.duration_secs,
                server_time.as_ref(),
                self.max_mfa_age,
            );
            if let Some(disk) = &self.disk {
                disk.store_credentials(&credentials).await;
            }
            Ok(Fetched {
                credentials,
                server_time,
            })
        })
    }

    fn subject(&self) -> &CredentialsOf {
        &self.subject
    }

    fn nominal_lifetime(&self) -> Duration {
        let duration = Duration::from_secs(u64::try_from(self.duration_secs).unwrap_or_default());
        self.max_mfa_age.map_or(duration, |max| duration.min(max))
    }

    fn prompts(&self) -> bool {
        self.mfa.source.interactive()
    }
}

/// Shortens the credentials' life to the MFA age limit, so they are renewed before roles
/// whose trust policy limits `aws:MultiFactorAuthAge` start refusing them.
///
/// The limit is put on STS's clock, as the `Expiration` it shortens, from the earliest moment
/// the code can have been accepted: no earlier than `Expiration - duration`, as STS grants at
/// most the duration asked for; and with a `Date`, no earlier than it less the round trip.
/// This machine's clock, which may be hours off STS's, is not used.
fn cap_expiry(
    credentials: Credentials,
    duration_secs: i32,
    server_time: Option<&ServerTime>,
    max_age: Option<Duration>,
) -> Credentials {
    let (Some(max), Some(expiry)) = (max_age, credentials.expiry()) else {
        return credentials;
    };
    let duration = Duration::from_secs(u64::try_from(duration_secs).unwrap_or_default());
    let mut accepted = expiry
        .checked_sub(duration)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    if let Some(server) = server_time {
        let round_trip = server
            .received
            .duration_since(server.sent)
            .unwrap_or_default();
        if let Some(earliest) = server.date.checked_sub(round_trip) {
            accepted = accepted.max(earliest);
        }
    }
    let limit = (accepted + max).min(expiry);
    if limit == expiry {
        return credentials;
    }
    let mut capped = credentials;
    *capped.expiry_mut() = Some(limit);
    capped
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use aws_credential_types::Credentials;

    use super::cap_expiry;
    use crate::provider::server_time::ServerTime;

    fn expiring_at(expiry: SystemTime) -> Credentials {
        Credentials::new("AKID", "secret", Some("token".into()), Some(expiry), "test")
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    const MAX_AGE: Option<Duration> = Some(Duration::from_secs(1289));

    #[test]
    fn without_a_date_the_mfa_age_limit_is_put_on_stss_clock_by_the_duration_granted() {
        // Accepted at STS's 2_000_000_000 for 4056 s; this machine's clock plays no part.
        let capped = cap_expiry(expiring_at(at(2_000_004_056)), 4056, None, MAX_AGE);
        assert_eq!(capped.expiry(), Some(at(2_000_001_289)));
    }

    #[test]
    fn with_a_date_a_session_granted_less_than_asked_keeps_its_mfa_age() {
        // The root user asks for 12 hours and is granted 1; the `Date` (less the round trip)
        // tells when the code was accepted, on STS's clock, whatever this machine's says.
        let server = ServerTime {
            date: at(2_000_000_000),
            sent: at(1_000),
            received: at(1_001),
        };
        let capped = cap_expiry(
            expiring_at(at(2_000_003_600)),
            43_200,
            Some(&server),
            MAX_AGE,
        );
        assert_eq!(capped.expiry(), Some(at(1_999_999_999 + 1289)));
    }

    #[test]
    fn an_mfa_age_limit_past_the_session_leaves_its_expiry_alone() {
        let expiry = at(2_000_003_600);
        let capped = cap_expiry(
            expiring_at(expiry),
            3600,
            None,
            Some(Duration::from_secs(7200)),
        );
        assert_eq!(capped.expiry(), Some(expiry));
        assert_eq!(
            cap_expiry(expiring_at(expiry), 3600, None, None).expiry(),
            Some(expiry)
        );
    }

    #[test]
    fn an_absurd_expiry_does_not_panic() {
        let capped = cap_expiry(expiring_at(at(5)), 3600, None, MAX_AGE);
        assert!(capped.expiry() < Some(at(5)));
    }
}
