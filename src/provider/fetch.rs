//! How a cache gets new credentials: AssumeRole (with or without an MFA code) here, or
//! GetSessionToken ([`super::session`]).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_async::time::SharedTimeSource;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::date_time::{DateTime, Format};

use crate::assume::AssumedRole;
use crate::cache::read::{IssuedFor, Refusal, serve};
use crate::cache::{CacheError, CachedCredentials, CredentialCache};
use crate::error::Error;
use crate::mfa::{Device, MfaContext, MfaOptions, MfaReason, TokenSource, with_code};
use crate::request::{
    AssumeRoleRequest, InvalidParameter, Parameter, RoleArn, SerialNumber, SessionDuration,
};

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What a provider fetches, for logs and `Debug`: a role, or an MFA session of a device.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Subject {
    Role(RoleArn),
    MfaSession(SerialNumber),
}

impl fmt::Debug for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Role(arn) => write!(f, "role_arn: {:?}", arn.as_str()),
            Subject::MfaSession(serial) => write!(f, "serial_number: {:?}", serial.as_str()),
        }
    }
}

impl Subject {
    /// Adds the subject as a field named for what it is: `role_arn` or `serial_number`.
    pub(crate) fn field(&self, d: &mut fmt::DebugStruct<'_, '_>) {
        match self {
            Subject::Role(arn) => d.field("role_arn", &arn.as_str()),
            Subject::MfaSession(serial) => d.field("serial_number", &serial.as_str()),
        };
    }
}

/// A `tracing` event about a provider, with its subject as the field `role_arn` (a role) or
/// `serial_number` (an MFA session): the same vocabulary as the MFA logs.
macro_rules! event {
    ($level:ident, $subject:expr, $($rest:tt)+) => {
        match $subject {
            $crate::provider::fetch::Subject::Role(arn) => {
                tracing::$level!(role_arn = arn.as_str(), $($rest)+)
            }
            $crate::provider::fetch::Subject::MfaSession(serial) => {
                tracing::$level!(serial_number = serial.as_str(), $($rest)+)
            }
        }
    };
}
pub(crate) use event;

tokio::task_local! {
    /// Set in a refresh no caller asked for (started by a timer), and in the refreshes of the
    /// sources it loads: no person is waiting, so none is asked for a code.
    static UNATTENDED: bool;
}

/// Whether the current refresh has no caller behind it.
pub(crate) fn unattended() -> bool {
    UNATTENDED.try_with(|u| *u).unwrap_or(false)
}

/// `work`, marked unattended (or not) for the fetches it runs.
pub(crate) fn attended_as<F: Future>(unattended: bool, work: F) -> impl Future<Output = F::Output> {
    UNATTENDED.scope(unattended, work)
}

/// What a fetch needs to know about the cache asking for it.
#[derive(Debug)]
pub(crate) struct FetchContext {
    /// No credentials were ever loaded (for the MFA prompt's reason).
    pub(crate) first: bool,
    /// Access key IDs not to serve from a credential store: the ones the cache holds now (a
    /// refresh wants newer ones) and the ones a service rejected ([`invalidate`]).
    ///
    /// [`invalidate`]: crate::AssumeRoleProvider::invalidate
    pub(crate) avoid: Vec<String>,
    /// When the refresh started, by the provider's clock: the one clock that judges the
    /// credential store's entries too.
    pub(crate) now: SystemTime,
}

/// What a fetch got: the credentials, and what STS's answer said of its clock, when they came
/// from STS and it said.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) credentials: Credentials,
    pub(crate) server_time: Option<ServerTime>,
}

impl From<Credentials> for Fetched {
    fn from(credentials: Credentials) -> Self {
        Self {
            credentials,
            server_time: None,
        }
    }
}

/// Fetches a fresh set of credentials. Runs on a spawned task, so the future is `'static`.
pub(crate) trait Fetch: Send + Sync + fmt::Debug + 'static {
    fn fetch(self: Arc<Self>, ctx: FetchContext) -> BoxFuture<Result<Fetched, Error>>;

    /// What is fetched, for logs.
    fn subject(&self) -> &Subject;

    /// How long a fresh set lives when all goes as asked (the requested duration), which sets
    /// the windows by which an answer is judged too short-lived to serve.
    fn nominal_lifetime(&self) -> Duration;

    /// Whether a fetch may ask a person for a code. Such caches never make callers wait while
    /// cached credentials are valid, and refresh on a timer only with
    /// [`ScheduledRefresh::Always`](super::policy::ScheduledRefresh::Always).
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
    pub(crate) fn context(&self, role_arn: Option<&str>, first: bool) -> MfaContext {
        let reason = if first {
            MfaReason::FirstLoad
        } else {
            MfaReason::Refresh
        };
        MfaContext::new(self.serial.as_str(), role_arn.map(str::to_owned), reason, 1)
    }

    /// Runs `call` with a fresh code, asking again when STS rejects one. A refresh with no
    /// caller behind it (see [`unattended`]) does not ask an interactive source.
    pub(crate) async fn with_code<T, F, Fut>(&self, ctx: MfaContext, call: F) -> Result<T, Error>
    where
        F: FnMut(crate::request::TokenCode) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        if unattended() && self.source.interactive() {
            return Err(Error::Mfa(crate::mfa::MfaError::Unattended));
        }
        with_code(
            &self.device,
            &*self.source,
            &self.options,
            &self.clock,
            ctx,
            Error::is_mfa_rejected,
            call,
        )
        .await
    }
}

/// A [`CredentialCache`] in front of STS: read before calling STS (and before asking for an
/// MFA code), written after.
#[derive(Debug)]
pub(crate) struct DiskCache {
    pub(crate) store: Arc<dyn CredentialCache>,
    pub(crate) key: String,
    /// What an entry under the key must be to be served.
    pub(crate) expect: Expect,
    /// Whether a refused entry was logged at `warn` yet: once per provider.
    pub(crate) warned: AtomicBool,
    /// An entry is served only with more than this left: the advisory window of a full-length
    /// session, so what comes from the store is not due for a refresh at once.
    pub(crate) min_remaining: Duration,
}

/// What a cache entry must be to be served for a provider: the key alone does not prove it
/// (a file can be linked or renamed to another key's name).
#[derive(Debug)]
pub(crate) enum Expect {
    /// An answer to this AssumeRole request ([`CachedCredentials::is_for`]).
    Role(Box<crate::request::AssumeRoleRequest>),
    /// An MFA session's credentials: no assumed-role user.
    Session,
}

impl Expect {
    fn issued_for(&self) -> IssuedFor<'_> {
        match self {
            Expect::Role(request) => IssuedFor::Role(request),
            Expect::Session => IssuedFor::Session,
        }
    }
}

impl DiskCache {
    pub(crate) async fn load(&self, now: SystemTime, avoid: &[String]) -> Option<Credentials> {
        let (store, key) = (Arc::clone(&self.store), self.key.clone());
        let entry = match blocking(move || Some(store.load(&key))).await? {
            Ok(Some(entry)) => entry,
            Ok(None) => return None,
            Err(error) => {
                tracing::warn!(key = self.key, %error, "credential cache unreadable; treated as a miss");
                return None;
            }
        };
        let credentials = match serve(&entry, self.expect.issued_for(), now, self.min_remaining) {
            Ok(credentials) => credentials,
            Err(Refusal::IssuedForAnother) => {
                // The role and session the entry names, never its credentials.
                let issued_to = entry.assumed_role_user().map(|u| u.arn.as_str());
                if self.warned.swap(true, Ordering::Relaxed) {
                    tracing::debug!(
                        key = self.key,
                        issued_to,
                        "cached credentials refused again"
                    );
                } else {
                    tracing::warn!(
                        key = self.key,
                        issued_to,
                        "cached credentials refused: the entry under this key was issued for \
                         another role or session (linked, renamed or copied there); calling STS"
                    );
                }
                return None;
            }
            Err(Refusal::ExpiresTooSoon) => {
                tracing::debug!(
                    key = self.key,
                    "cached credentials expire too soon to be served"
                );
                return None;
            }
        };
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

/// What one answer of STS says of its clock: the `Date` it was stamped with, and when, by this
/// machine's clock, the request that got it was sent and the answer received.
///
/// `Date` has a resolution of one second and is truncated, not rounded, and STS stamps it at
/// some moment between the two local readings. So STS's clock minus this machine's was, at
/// that moment, somewhere in `[date - received, date + 1 s - sent]`: a range, never a point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ServerTime {
    /// The answer's `Date`.
    pub(crate) date: SystemTime,
    /// When the request was sent, by this machine's clock.
    pub(crate) sent: SystemTime,
    /// When the answer arrived, by this machine's clock.
    pub(crate) received: SystemTime,
}

/// `a - b` in nanoseconds, signed, saturating.
fn signed_nanos(a: SystemTime, b: SystemTime) -> i128 {
    match a.duration_since(b) {
        Ok(d) => i128::try_from(d.as_nanos()).unwrap_or(i128::MAX),
        Err(e) => -i128::try_from(e.duration().as_nanos()).unwrap_or(i128::MAX),
    }
}

impl ServerTime {
    /// The smallest and largest values of STS's clock minus this machine's that agree with
    /// what was observed, in nanoseconds.
    pub(crate) fn skew_range(&self) -> (i128, i128) {
        let resolution = Duration::from_secs(1).as_nanos() as i128;
        (
            signed_nanos(self.date, self.received),
            signed_nanos(self.date, self.sent) + resolution,
        )
    }

    /// The skew to judge expiries with: the largest the observation allows, in whole
    /// milliseconds rounded up. STS's clock ahead of this machine's means credentials die
    /// earlier by this machine's clock, so the largest skew is the careful one: an expiry judged
    /// with it is never later than the true one, whatever moment of the range STS's clock was
    /// really at. When the clocks agree, that is up to a second and the round trip early.
    pub(crate) fn careful_skew_ms(&self) -> i64 {
        let (_, most) = self.skew_range();
        let ms = most.div_euclid(1_000_000) + i128::from(most.rem_euclid(1_000_000) != 0);
        i64::try_from(ms).unwrap_or(if ms < 0 { i64::MIN } else { i64::MAX })
    }

    /// The skew that is surely there: zero when the range holds zero (a difference smaller
    /// than the measurement's uncertainty is no skew), else the end of the range nearest to
    /// zero. For what is said to a person, never for judging expiries.
    pub(crate) fn sure_skew(&self) -> Duration {
        let (least, most) = self.skew_range();
        let nearest = if least > 0 {
            least
        } else if most < 0 {
            -most
        } else {
            0
        };
        Duration::from_nanos(u64::try_from(nearest).unwrap_or(u64::MAX))
    }
}

/// Records what STS's answers say of its clock ([`ServerTime`]), read on the provider's clock.
#[derive(Clone, Debug)]
pub(crate) struct ServerDate {
    clock: SharedTimeSource,
    state: Arc<Mutex<Observed>>,
}

#[derive(Debug, Default)]
struct Observed {
    /// When the last attempt was sent.
    sent: Option<SystemTime>,
    /// The last answer's time, if it had a readable `Date`.
    time: Option<ServerTime>,
}

impl ServerDate {
    /// Readings on `clock`: the provider's, which judges the expiries.
    pub(crate) fn new(clock: SharedTimeSource) -> Self {
        Self {
            clock,
            state: Arc::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Observed> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets the last answer's time, before a call.
    pub(crate) fn clear(&self) {
        *self.state() = Observed::default();
    }

    /// What the last answer said of STS's clock, if it had a readable `Date`.
    pub(crate) fn take(&self) -> Option<ServerTime> {
        self.state().time.take()
    }

    /// `client`, recording the `Date` of its answers here.
    pub(crate) fn on(&self, client: aws_sdk_sts::Client) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::from_conf(
            client
                .config()
                .to_builder()
                .interceptor(self.clone())
                .build(),
        )
    }
}

impl Intercept for ServerDate {
    fn name(&self) -> &'static str {
        "sts_assume_role::ServerDate"
    }

    fn read_before_transmit(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.state().sent = Some(self.clock.now());
        Ok(())
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let received = self.clock.now();
        let date = context
            .response()
            .headers()
            .get("date")
            .and_then(|d| DateTime::from_str(d.trim(), Format::HttpDate).ok())
            .and_then(|d| SystemTime::try_from(d).ok());
        let mut state = self.state();
        if let (Some(date), Some(sent)) = (date, state.sent) {
            state.time = Some(ServerTime {
                date,
                sent,
                received: received.max(sent),
            });
        }
        Ok(())
    }
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
    pub(crate) subject: Subject,
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

    fn subject(&self) -> &Subject {
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

#[cfg(test)]
mod tests {
    use super::*;

    const T: SystemTime = SystemTime::UNIX_EPOCH;

    fn at(ms: u64) -> SystemTime {
        T + Duration::from_millis(ms)
    }

    fn observed(date_s: u64, sent_ms: u64, received_ms: u64) -> ServerTime {
        ServerTime {
            date: T + Duration::from_secs(date_s),
            sent: at(sent_ms),
            received: at(received_ms),
        }
    }

    #[test]
    fn clocks_that_agree_are_judged_carefully_not_as_sts_behind() {
        // Sent at 100.900 s, answered at 101.100 s, stamped `Date: 101 s` (truncated): STS's
        // clock may be anywhere from 101.0 s to 101.999 s at some moment of that round trip.
        let t = observed(101, 100_900, 101_100);
        assert_eq!(t.skew_range(), (-100_000_000, 1_100_000_000));
        assert_eq!(t.careful_skew_ms(), 1_100);
        assert_eq!(t.sure_skew(), Duration::ZERO, "less than the uncertainty");
    }

    #[test]
    fn the_careful_skew_rounds_up_to_the_millisecond() {
        let t = ServerTime {
            date: T + Duration::from_secs(10),
            sent: T + Duration::from_nanos(10_999_000_001),
            received: T + Duration::from_secs(11),
        };
        // 11 s - 10.999000001 s = 0.000999999 s: rounded up, 1 ms.
        assert_eq!(t.careful_skew_ms(), 1);
        let behind = ServerTime {
            date: T + Duration::from_secs(10),
            sent: T + Duration::from_nanos(7_200_500_000_000),
            received: T + Duration::from_nanos(7_200_600_000_000),
        };
        // STS's clock is surely behind, by at least 7,189.5 s: the careful skew is the least
        // it can be behind, so nothing lives longer by this clock than it may.
        assert_eq!(behind.careful_skew_ms(), -7_189_500);
        assert_eq!(behind.sure_skew(), Duration::from_millis(7_189_500));
    }

    #[test]
    fn a_clock_surely_behind_sts_is_said_by_the_least_it_can_be() {
        let t = observed(7_300, 100_000, 100_200);
        assert_eq!(t.sure_skew(), Duration::from_millis(7_199_800));
        assert_eq!(t.careful_skew_ms(), 7_201_000);
    }
}
