//! The mock STS: a wiremock server and the handle tests steer it with.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_sts::config::BehaviorVersion;
use aws_smithy_async::time::{SharedTimeSource, TimeSource};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_types::SdkConfig;
use aws_types::region::Region;
use aws_types::sdk_config;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

use super::faults::Fault;
use super::handler::Responder;
use super::http::ToMock;
use super::ids::IdGen;
use super::mfa::{MfaMode, MfaVerifier};
use super::records::{Action, IssuedCredentials, RecordedRequest};
use super::state::{Config, RolePolicy, Shared, State};

const REDACTED: &str = "** redacted **";

/// A mock AWS STS speaking the real query protocol over HTTP, for tests.
///
/// Point an `aws_sdk_sts::Client` at [`endpoint_url`](Self::endpoint_url) (or take
/// [`client`](Self::client) / [`sdk_config`](Self::sdk_config)) and sign with
/// [`source_credentials`](Self::source_credentials) or with credentials the mock issued.
/// It answers `AssumeRole`, `GetSessionToken`, `GetCallerIdentity` and (unsigned)
/// `AssumeRoleWithWebIdentity`, validates input as STS does, checks MFA codes and web identity
/// tokens, expires what it issued by its own time source, and can be told to fail
/// ([`push_fault`](Self::push_fault)) or be slow ([`set_latency`](Self::set_latency)).
///
/// Where a client's endpoint cannot be set, as for the STS client inside aws-config's
/// `WebIdentityTokenCredentialsProvider`, give it [`http_client`](Self::http_client).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use sts_assume_role::test_util::{Action, MockSts};
///
/// let mock = MockSts::start().await;
/// let out = mock
///     .client()
///     .assume_role()
///     .role_arn("arn:aws:iam::123456789012:role/demo")
///     .role_session_name("test")
///     .send()
///     .await
///     .unwrap();
/// assert!(out.credentials().unwrap().access_key_id().starts_with("ASIA"));
/// assert_eq!(mock.calls(Action::AssumeRole), 1);
/// # }
/// ```
pub struct MockSts {
    server: MockServer,
    shared: Arc<Shared>,
}

impl fmt::Debug for MockSts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.shared.config;
        f.debug_struct("MockSts")
            .field("endpoint_url", &self.server.uri())
            .field("region", &config.region)
            .field("account_id", &config.account_id)
            .field("source_access_key_id", &config.source_access_key_id)
            .field("source_secret_access_key", &REDACTED)
            .field("mfa", &self.shared.state().mfa.mode)
            .finish_non_exhaustive()
    }
}

/// Settings for a [`MockSts`]; start it with [`start`](Self::start).
pub struct MockStsBuilder {
    time_source: SharedTimeSource,
    credential_lifetime: Option<Duration>,
    region: String,
    account_id: String,
    mfa_code: Option<String>,
    totp_secret_base32: Option<String>,
    date: bool,
}

impl fmt::Debug for MockStsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |set: bool| if set { Some(REDACTED) } else { None };
        f.debug_struct("MockStsBuilder")
            .field("time_source", &self.time_source)
            .field("credential_lifetime", &self.credential_lifetime)
            .field("region", &self.region)
            .field("account_id", &self.account_id)
            .field("mfa_code", &redacted(self.mfa_code.is_some()))
            .field(
                "totp_secret_base32",
                &redacted(self.totp_secret_base32.is_some()),
            )
            .finish()
    }
}

impl Default for MockStsBuilder {
    fn default() -> Self {
        Self {
            time_source: SharedTimeSource::default(),
            credential_lifetime: None,
            region: "us-east-1".to_owned(),
            account_id: "123456789012".to_owned(),
            mfa_code: None,
            totp_secret_base32: None,
            date: true,
        }
    }
}

impl MockStsBuilder {
    /// The clock for issued credentials' expiry and TOTP steps; the real clock by default.
    /// A [`ManualClock`](super::ManualClock) puts the test in charge.
    #[must_use]
    pub fn time_source(mut self, time_source: impl TimeSource + 'static) -> Self {
        self.time_source = SharedTimeSource::new(time_source);
        self
    }

    /// Issue every credential for this long, whatever `DurationSeconds` asks. By default the
    /// request's `DurationSeconds` (default 3600 for `AssumeRole`, 43200 for
    /// `GetSessionToken`).
    #[must_use]
    pub fn credential_lifetime(mut self, lifetime: Duration) -> Self {
        self.credential_lifetime = Some(lifetime);
        self
    }

    /// The region of [`sdk_config`](MockSts::sdk_config); `us-east-1` by default.
    #[must_use]
    pub fn region(mut self, region: &str) -> Self {
        self.region = region.to_owned();
        self
    }

    /// The mock's account; `123456789012` by default.
    #[must_use]
    pub fn account_id(mut self, account_id: &str) -> Self {
        self.account_id = account_id.to_owned();
        self
    }

    /// Accept only this MFA code (once per device). Takes precedence over
    /// [`totp_secret_base32`](Self::totp_secret_base32). Without either, any six digits pass.
    #[must_use]
    pub fn mfa_code(mut self, code: &str) -> Self {
        self.mfa_code = Some(code.to_owned());
        self
    }

    /// Whether answers tell the mock's time in a `Date` header, as STS's do (the default).
    /// With `false` they carry a `Date` that says nothing (`unknown`), as behind a proxy that
    /// mangles it, so a client cannot learn STS's time.
    #[must_use]
    pub fn date_header(mut self, send: bool) -> Self {
        self.date = send;
        self
    }

    /// Check MFA codes as RFC 6238 TOTP (SHA-1, 6 digits, 30 s steps, one step of skew)
    /// from this base32 secret, at the time of the mock's time source.
    #[must_use]
    pub fn totp_secret_base32(mut self, secret: &str) -> Self {
        self.totp_secret_base32 = Some(secret.to_owned());
        self
    }

    /// Starts the mock's HTTP server.
    ///
    /// # Panics
    ///
    /// When the TOTP secret is not base32 or is shorter than 128 bits (the message does not
    /// show it).
    pub async fn start(self) -> MockSts {
        let mode = match (self.mfa_code, self.totp_secret_base32) {
            (Some(code), _) => MfaMode::Fixed(code),
            (None, Some(secret)) => MfaMode::totp(&secret),
            (None, None) => MfaMode::AnyCode,
        };
        let mut ids = IdGen::new();
        let config = Config {
            region: self.region,
            account_id: self.account_id,
            time_source: self.time_source,
            credential_lifetime: self.credential_lifetime,
            date: self.date,
            source_access_key_id: ids.key_id("AKIA"),
            source_secret_access_key: ids.secret_key(),
            user_id: ids.key_id("AIDA"),
        };
        let shared = Arc::new(Shared::new(config, State::new(MfaVerifier::new(mode), ids)));
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(Responder {
                shared: Arc::clone(&shared),
            })
            .mount(&server)
            .await;
        MockSts { server, shared }
    }
}

impl MockSts {
    /// Starts a mock with the default settings.
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    /// Settings for a mock.
    #[must_use]
    pub fn builder() -> MockStsBuilder {
        MockStsBuilder::default()
    }

    /// The base URL to send requests to, e.g. `http://127.0.0.1:40123`.
    #[must_use]
    pub fn endpoint_url(&self) -> String {
        self.server.uri()
    }

    /// Long-term keys (`AKIA…`) of the IAM user `arn:aws:iam::ACCOUNT:user/mock-user`, which
    /// the mock accepts as a caller.
    #[must_use]
    pub fn source_credentials(&self) -> Credentials {
        let config = &self.shared.config;
        Credentials::new(
            &config.source_access_key_id,
            &config.source_secret_access_key,
            None,
            None,
            "MockSts",
        )
    }

    /// The ARN of the IAM user owning [`source_credentials`](Self::source_credentials).
    #[must_use]
    pub fn user_arn(&self) -> String {
        self.shared.config.user_arn()
    }

    /// A serial number for the user's virtual MFA device, `arn:aws:iam::ACCOUNT:mfa/mock-user`.
    /// The mock accepts any serial number; this one is just convenient.
    #[must_use]
    pub fn mfa_serial_number(&self) -> String {
        format!(
            "arn:aws:iam::{}:mfa/mock-user",
            self.shared.config.account_id
        )
    }

    /// The SDK settings for talking to the mock, to adjust before building (e.g. retries or
    /// timeouts): region, endpoint URL, latest behavior version, the source credentials and
    /// the mock's time source.
    #[must_use]
    pub fn sdk_config_builder(&self) -> sdk_config::Builder {
        let config = &self.shared.config;
        SdkConfig::builder()
            .region(Region::new(config.region.clone()))
            .endpoint_url(self.endpoint_url())
            .behavior_version(BehaviorVersion::latest())
            .credentials_provider(SharedCredentialsProvider::new(self.source_credentials()))
            .time_source(config.time_source.clone())
    }

    /// [`sdk_config_builder`](Self::sdk_config_builder), built.
    #[must_use]
    pub fn sdk_config(&self) -> SdkConfig {
        self.sdk_config_builder().build()
    }

    /// An HTTP client that sends every request to the mock, whatever URL the SDK resolved
    /// (path and query are kept). For SDK clients whose endpoint a test cannot set, such as the
    /// STS client aws-config builds from a `ProviderConfig`:
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use aws_config::provider_config::ProviderConfig;
    /// use aws_config::web_identity_token::{StaticConfiguration, WebIdentityTokenCredentialsProvider};
    /// use aws_credential_types::provider::ProvideCredentials;
    /// use aws_types::region::Region;
    /// use sts_assume_role::test_util::MockSts;
    ///
    /// let mock = MockSts::start().await;
    /// let dir = tempfile::tempdir().unwrap();
    /// let token_file = dir.path().join("token");
    /// std::fs::write(&token_file, "a-projected-service-account-token").unwrap();
    ///
    /// let config = ProviderConfig::without_region()
    ///     .with_region(Some(Region::new("us-east-1")))
    ///     .with_http_client(mock.http_client());
    /// let provider = WebIdentityTokenCredentialsProvider::builder()
    ///     .configure(&config)
    ///     .static_configuration(StaticConfiguration {
    ///         web_identity_token_file: token_file,
    ///         role_arn: "arn:aws:iam::123456789012:role/pod".to_owned(),
    ///         session_name: "pod-session".to_owned(),
    ///     })
    ///     .build();
    /// let credentials = provider.provide_credentials().await.unwrap();
    /// assert!(credentials.access_key_id().starts_with("ASIA"));
    /// # }
    /// ```
    #[must_use]
    pub fn http_client(&self) -> SharedHttpClient {
        SharedHttpClient::new(ToMock::new(&self.endpoint_url()))
    }

    /// An STS client for the mock, signing with the source credentials.
    #[must_use]
    pub fn client(&self) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::new(&self.sdk_config())
    }

    /// How many requests for `action` arrived, faulted ones included.
    #[must_use]
    pub fn calls(&self, action: Action) -> usize {
        self.shared.state().calls.get(&action).copied().unwrap_or(0)
    }

    /// Every request received, in order.
    #[must_use]
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.state().requests.clone()
    }

    /// Queues `fault` for the next request of `action` not yet claimed by an earlier fault.
    /// Faults queued for one action are used first in, first out, one per request.
    pub fn push_fault(&self, action: Action, fault: Fault) {
        self.shared
            .state()
            .faults
            .entry(action)
            .or_default()
            .push_back(fault);
    }

    /// Delays every response to `action` by `latency` (real time) until changed;
    /// `Duration::ZERO` removes the delay.
    pub fn set_latency(&self, action: Action, latency: Duration) {
        let mut state = self.shared.state();
        if latency.is_zero() {
            state.latency.remove(&action);
        } else {
            state.latency.insert(action, latency);
        }
    }

    /// Revokes issued credentials: from now on, a request signed with them gets
    /// `InvalidClientTokenId`, as STS answers for a session revoked (or for keys it does not
    /// know). Any service call (`GetCallerIdentity`) stands in for a service rejecting them.
    pub fn revoke(&self, access_key_id: &str) {
        self.shared.state().revoked.insert(access_key_id.to_owned());
    }

    /// Gives `role_arn` a trust policy condition `aws:MultiFactorAuthPresent = true`:
    /// `AssumeRole` needs a good `SerialNumber` + `TokenCode`, or a signature with session
    /// credentials obtained with MFA; otherwise `AccessDenied`. `AssumeRoleWithWebIdentity`,
    /// which carries no MFA, is always `AccessDenied` for such a role.
    pub fn require_mfa(&self, role_arn: &str) {
        self.role_policy(role_arn, |policy| policy.require_mfa = true);
    }

    /// Gives `role_arn` a trust policy condition `aws:MultiFactorAuthAge` less than `max`:
    /// `AssumeRole` signed by MFA session credentials whose code was accepted `max` or more
    /// ago is `AccessDenied`. A code in the request itself counts as age zero. Combine with
    /// [`require_mfa`](Self::require_mfa) to also deny callers without MFA.
    pub fn max_mfa_age(&self, role_arn: &str, max: Duration) {
        self.role_policy(role_arn, |policy| policy.max_mfa_age = Some(max));
    }

    /// Sets the role's `MaxSessionDuration`: a longer `DurationSeconds` (of `AssumeRole` or
    /// `AssumeRoleWithWebIdentity`) is a `ValidationError`.
    /// By default any duration STS allows (up to 12 hours) is accepted.
    pub fn max_session_duration(&self, role_arn: &str, max: Duration) {
        self.role_policy(role_arn, |policy| policy.max_session_duration = Some(max));
    }

    fn role_policy(&self, role_arn: &str, change: impl FnOnce(&mut RolePolicy)) {
        change(
            self.shared
                .state()
                .roles
                .entry(role_arn.to_owned())
                .or_default(),
        );
    }

    /// From now on accept only `code` as MFA code (once per device), e.g. to let a test
    /// with a fixed code make a second MFA call.
    pub fn set_mfa_code(&self, code: &str) {
        self.shared.state().mfa.mode = MfaMode::Fixed(code.to_owned());
    }

    /// From now on accept only `token` as `WebIdentityToken` (replacing an earlier one):
    /// `AssumeRoleWithWebIdentity` with any other token gets 400 `InvalidIdentityToken`, as
    /// STS answers for a token its identity provider did not sign. By default every token of
    /// 4-20000 characters is accepted. Set a new one to rotate the token, as a Kubernetes
    /// projected service account token rotates.
    pub fn set_web_identity_token(&self, token: &str) {
        self.shared.state().web_identity.accepted = Some(token.to_owned());
    }

    /// Makes `token` count as expired: `AssumeRoleWithWebIdentity` with it gets 400
    /// `ExpiredTokenException`, as STS answers for a token past its `exp`. Accepted or not,
    /// an expired token is refused first.
    pub fn expire_web_identity_token(&self, token: &str) {
        self.shared
            .state()
            .web_identity
            .expired
            .insert(token.to_owned());
    }

    /// The TOTP code for the mock's current time, when it checks codes as TOTP.
    #[must_use]
    pub fn current_totp_code(&self) -> Option<String> {
        let now = self.now();
        self.shared.state().mfa.totp_code(now)
    }

    /// The current time of the mock's time source.
    #[must_use]
    pub fn now(&self) -> SystemTime {
        self.shared.config.time_source.now()
    }

    /// Every credential issued, in order.
    #[must_use]
    pub fn issued(&self) -> Vec<IssuedCredentials> {
        self.shared.state().issued.clone()
    }
}
