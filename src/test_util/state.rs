//! The mock's settings and everything it remembers between requests.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use aws_smithy_async::time::SharedTimeSource;

use super::faults::Fault;
use super::ids::IdGen;
use super::mfa::MfaVerifier;
use super::records::{Action, IssuedCredentials, IssuedKind, RecordedRequest};
use super::web_identity::WebIdentityTokens;
use super::xml::whole_seconds;

/// Settings fixed when the mock starts.
pub(super) struct Config {
    pub(super) region: String,
    pub(super) account_id: String,
    pub(super) time_source: SharedTimeSource,
    pub(super) credential_lifetime: Option<Duration>,
    /// Whether answers carry the mock's time as `Date`.
    pub(super) date: bool,
    pub(super) source_access_key_id: String,
    pub(super) source_secret_access_key: String,
    /// The `AIDA…` id of the IAM user owning the source credentials.
    pub(super) user_id: String,
}

impl Config {
    /// `arn:aws:iam::ACCOUNT:user/mock-user`, the owner of the source credentials.
    pub(super) fn user_arn(&self) -> String {
        format!("arn:aws:iam::{}:user/mock-user", self.account_id)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("region", &self.region)
            .field("account_id", &self.account_id)
            .field("credential_lifetime", &self.credential_lifetime)
            .field("source_access_key_id", &self.source_access_key_id)
            .field("source_secret_access_key", &"** redacted **")
            .finish_non_exhaustive()
    }
}

/// The trust policy conditions of one role.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct RolePolicy {
    /// `aws:MultiFactorAuthPresent` must be true.
    pub(super) require_mfa: bool,
    /// `aws:MultiFactorAuthAge` must be less than this, when MFA is present.
    pub(super) max_mfa_age: Option<Duration>,
    /// The role's `MaxSessionDuration`.
    pub(super) max_session_duration: Option<Duration>,
}

/// What the mock remembers between requests.
#[derive(Debug)]
pub(super) struct State {
    pub(super) requests: Vec<RecordedRequest>,
    pub(super) calls: HashMap<Action, usize>,
    pub(super) faults: HashMap<Action, VecDeque<Fault>>,
    pub(super) latency: HashMap<Action, Duration>,
    pub(super) roles: HashMap<String, RolePolicy>,
    pub(super) issued: Vec<IssuedCredentials>,
    /// The stable `AROA…` id of each role seen.
    pub(super) role_ids: HashMap<String, String>,
    pub(super) mfa: MfaVerifier,
    pub(super) ids: IdGen,
    /// Access key IDs of issued credentials that were revoked.
    pub(super) revoked: std::collections::HashSet<String>,
    /// Which `AssumeRoleWithWebIdentity` tokens pass.
    pub(super) web_identity: WebIdentityTokens,
}

impl State {
    pub(super) fn new(mfa: MfaVerifier, ids: IdGen) -> Self {
        Self {
            requests: Vec::new(),
            calls: HashMap::new(),
            faults: HashMap::new(),
            latency: HashMap::new(),
            roles: HashMap::new(),
            issued: Vec::new(),
            role_ids: HashMap::new(),
            mfa,
            ids,
            revoked: std::collections::HashSet::new(),
            web_identity: WebIdentityTokens::default(),
        }
    }

    /// The stable `AROA…` id of `role_arn`.
    pub(super) fn role_id(&mut self, role_arn: &str) -> String {
        let ids = &mut self.ids;
        self.role_ids
            .entry(role_arn.to_owned())
            .or_insert_with(|| ids.key_id("AROA"))
            .clone()
    }

    /// Issues fresh credentials valid for `lifetime` from `now` and remembers them.
    pub(super) fn issue(
        &mut self,
        kind: IssuedKind,
        now: SystemTime,
        lifetime: Duration,
        minimum_token_bytes: usize,
    ) -> IssuedCredentials {
        let mut session_token = self.ids.session_token();
        // Padded, as STS pads it, to `MinimumSessionTokenSize`.
        while session_token.len() < minimum_token_bytes {
            session_token.push('A');
        }
        let issued = IssuedCredentials {
            access_key_id: self.ids.unique_key_id("ASIA"),
            kind,
            issued_at: now,
            expiration: whole_seconds(now) + lifetime,
            secret_access_key: self.ids.secret_key(),
            session_token,
        };
        self.issued.push(issued.clone());
        issued
    }
}

/// Settings and state, shared by the mock's handle and its HTTP responder.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) config: Config,
    state: Mutex<State>,
}

impl Shared {
    pub(super) fn new(config: Config, state: State) -> Self {
        Self {
            config,
            state: Mutex::new(state),
        }
    }

    /// The state; a panic elsewhere while holding it does not make it unusable.
    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
