//! One cache entry: the AssumeRole answer in the AWS CLI's JSON form.

use std::fmt;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;

use super::CacheError;
use super::wire::format_expiration;
use crate::assume::{AssumedRole, AssumedRoleUser, PROVIDER_NAME, account_of};
use crate::request::AssumeRoleRequest;

/// Cached temporary credentials, in the form the AWS CLI keeps in `~/.aws/cli/cache`: the
/// AssumeRole answer as JSON.
///
/// ```json
/// {"Credentials": {"AccessKeyId": "ASIA…", "SecretAccessKey": "…", "SessionToken": "…",
///                  "Expiration": "2026-11-28T03:49:02Z", "AccountId": "111111111111"},
///  "AssumedRoleUser": {"AssumedRoleId": "AROA…:session", "Arn": "arn:aws:sts::…"},
///  "PackedPolicySize": 6, "ResponseMetadata": {"RequestId": "…"}}
/// ```
///
/// Only `Credentials` (without `AccountId`) is required. `Expiration` is read with or without
/// fractional seconds, with `Z`, any `±hh:mm` offset or botocore's `UTC` suffix, and written
/// in UTC with `Z` (fractional seconds, to the microsecond, only when there are some). Unknown
/// fields are ignored. Its `Serialize` and `Deserialize` implementations read and write this
/// format.
///
/// `Debug` shows the access key ID and the expiry; the secret key and the session token are
/// redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct CachedCredentials {
    pub(super) access_key_id: String,
    pub(super) secret_access_key: String,
    pub(super) session_token: String,
    pub(super) expiration: SystemTime,
    pub(super) account_id: Option<String>,
    pub(super) assumed_role_user: Option<AssumedRoleUser>,
    pub(super) packed_policy_size: Option<u32>,
    pub(super) session_token_size: Option<u32>,
    pub(super) session_token_utilization: Option<u32>,
    pub(super) source_identity: Option<String>,
    /// `ResponseMetadata.RequestId`: all of `ResponseMetadata` this crate keeps (the AWS CLI
    /// also writes the HTTP status and headers of the answer, which nothing reads back).
    pub(super) request_id: Option<String>,
    /// `CacheKey`: the key a [`FileCache`](super::FileCache) stored the entry under, so that
    /// an entry moved or linked to another key's name is refused. Not part of the AWS CLI's
    /// format (which ignores it); set and checked by the file cache only.
    pub(super) cache_key: Option<String>,
}

impl fmt::Debug for CachedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("CachedCredentials");
        d.field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field("session_token", &"** redacted **");
        match format_expiration(self.expiration) {
            Ok(text) => d.field("expiration", &text),
            Err(_) => d.field("expiration", &self.expiration),
        };
        if let Some(v) = self.account_id() {
            d.field("account_id", &v);
        }
        if let Some(v) = &self.assumed_role_user {
            d.field("assumed_role_user", v);
        }
        if let Some(v) = &self.packed_policy_size {
            d.field("packed_policy_size", v);
        }
        if let Some(v) = &self.session_token_size {
            d.field("session_token_size", v);
        }
        if let Some(v) = &self.session_token_utilization {
            d.field("session_token_utilization", v);
        }
        if let Some(v) = &self.source_identity {
            d.field("source_identity", v);
        }
        if let Some(v) = self.request_id() {
            d.field("request_id", &v);
        }
        if let Some(v) = &self.cache_key {
            d.field("cache_key", v);
        }
        d.finish()
    }
}

impl CachedCredentials {
    /// An entry with the four required fields.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: impl Into<String>,
        expiration: SystemTime,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: session_token.into(),
            expiration,
            account_id: None,
            assumed_role_user: None,
            packed_policy_size: None,
            session_token_size: None,
            session_token_utilization: None,
            source_identity: None,
            request_id: None,
            cache_key: None,
        }
    }

    /// Sets `Credentials.AccountId`.
    #[must_use]
    pub fn with_account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = Some(account_id.into());
        self
    }

    /// Sets `AssumedRoleUser`, and `Credentials.AccountId` from its ARN if not set yet.
    #[must_use]
    pub fn with_assumed_role_user(mut self, user: AssumedRoleUser) -> Self {
        self.assumed_role_user = Some(user);
        self.fill_account_id();
        self
    }

    /// Takes the account ID from `AssumedRoleUser.Arn` when there is none, as botocore does
    /// (AWS CLI versions before it stored none).
    pub(super) fn fill_account_id(&mut self) {
        if self.account_id.is_none() {
            self.account_id = self
                .assumed_role_user
                .as_ref()
                .and_then(|u| account_of(&u.arn))
                .map(str::to_owned);
        }
    }

    /// Sets `PackedPolicySize`.
    #[must_use]
    pub fn with_packed_policy_size(mut self, percent: u32) -> Self {
        self.packed_policy_size = Some(percent);
        self
    }

    /// Sets `SourceIdentity`.
    #[must_use]
    pub fn with_source_identity(mut self, source_identity: impl Into<String>) -> Self {
        self.source_identity = Some(source_identity.into());
        self
    }

    /// `Credentials.AccessKeyId`.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// `Credentials.Expiration`.
    pub fn expiration(&self) -> SystemTime {
        self.expiration
    }

    /// `Credentials.AccountId`, or else the account of `AssumedRoleUser.Arn` (as botocore
    /// derives it; older AWS CLI versions did not store it).
    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    /// `AssumedRoleUser`.
    pub fn assumed_role_user(&self) -> Option<&AssumedRoleUser> {
        self.assumed_role_user.as_ref()
    }

    /// `PackedPolicySize`.
    pub fn packed_policy_size(&self) -> Option<u32> {
        self.packed_policy_size
    }

    /// `SessionTokenSize`.
    pub fn session_token_size(&self) -> Option<u32> {
        self.session_token_size
    }

    /// `SessionTokenUtilization`.
    pub fn session_token_utilization(&self) -> Option<u32> {
        self.session_token_utilization
    }

    /// `SourceIdentity`.
    pub fn source_identity(&self) -> Option<&str> {
        self.source_identity.as_deref()
    }

    /// `ResponseMetadata.RequestId`: the STS request that issued the credentials, when the
    /// writer recorded it (the AWS CLI does).
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// Whether this entry can be the answer to `request`: its `AssumedRoleUser.Arn`
    /// (`arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION`) names the request's role (the
    /// same partition and account, and the role's name, which IAM compares ignoring ASCII
    /// case; a role's path is not in the ARN) and, when the request's session name was
    /// configured rather than generated, the same session name. An entry without
    /// `AssumedRoleUser` (or with an ARN of another shape) answers no request.
    ///
    /// Both the AWS CLI's entries and this crate's carry that ARN, so
    /// [`load_for`](super::load_for) and a provider with a
    /// [cache](crate::AssumeRoleProviderBuilder::cache) serve an entry only when it passes
    /// this check: an entry of role A found under role B's key (linked, renamed or copied
    /// there) is refused. Requests for the same role and session that differ only in other
    /// parameters (duration, policies, tags, external ID) are told apart by their key alone;
    /// a [`FileCache`](super::FileCache) stamps its own entries with the key they were
    /// stored under to check that too.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use sts_assume_role::{AssumeRoleRequest, AssumedRoleUser};
    /// use sts_assume_role::cache::CachedCredentials;
    ///
    /// let request = AssumeRoleRequest::builder("arn:aws:iam::111111111111:role/team/RoleB", "alice")
    ///     .build()?;
    /// let entry = |arn: &str| {
    ///     CachedCredentials::new("ASIAEXAMPLE", "secret", "token", UNIX_EPOCH + Duration::from_secs(1))
    ///         .with_assumed_role_user(AssumedRoleUser {
    ///             arn: arn.into(),
    ///             assumed_role_id: "AROAEXAMPLE:alice".into(),
    ///         })
    /// };
    /// assert!(entry("arn:aws:sts::111111111111:assumed-role/RoleB/alice").is_for(&request));
    /// assert!(!entry("arn:aws:sts::111111111111:assumed-role/RoleA/alice").is_for(&request));
    /// assert!(!entry("arn:aws:sts::111111111111:assumed-role/RoleB/bob").is_for(&request));
    /// assert!(!entry("arn:aws:sts::222222222222:assumed-role/RoleB/alice").is_for(&request));
    /// # Ok::<(), sts_assume_role::ValidationErrors>(())
    /// ```
    pub fn is_for(&self, request: &AssumeRoleRequest) -> bool {
        let Some(user) = &self.assumed_role_user else {
            return false;
        };
        let (Some(issued), Some(role)) = (
            arn_parts(&user.arn, "sts", "assumed-role/"),
            arn_parts(request.role_arn.as_str(), "iam", "role/"),
        ) else {
            return false;
        };
        let Some((issued_role, issued_session)) = issued.resource.split_once('/') else {
            return false;
        };
        let role_name = role.resource.rsplit('/').next().unwrap_or(role.resource);
        issued.partition == role.partition
            && issued.account == role.account
            && issued_role.eq_ignore_ascii_case(role_name)
            && (request.session_name_generated || issued_session == request.session_name.as_str())
    }

    /// Whether the entry is an MFA session's (GetSessionToken credentials, stored by an
    /// [`MfaSession`](crate::MfaSession)): it names no assumed role.
    pub(crate) fn is_session(&self) -> bool {
        self.assumed_role_user.is_none()
    }

    /// The key a file cache stamped the entry with.
    pub(crate) fn cache_key(&self) -> Option<&str> {
        self.cache_key.as_deref()
    }

    /// The entry stamped with (or, with `None`, cleared of) the key it is stored under.
    pub(crate) fn with_cache_key(mut self, key: Option<&str>) -> Self {
        self.cache_key = key.map(str::to_owned);
        self
    }

    /// Whether the credentials are still good for more than `min_remaining` at `now`. The AWS
    /// CLI serves an entry only with more than
    /// [`AWS_CLI_MIN_REMAINING`](super::AWS_CLI_MIN_REMAINING) left.
    pub fn is_valid_at(&self, now: SystemTime, min_remaining: Duration) -> bool {
        self.expiration
            .duration_since(now)
            .is_ok_and(|left| left > min_remaining)
    }

    /// The credentials, with their expiry and account ID, for the SDK: unchecked, so not
    /// public. Entries read from a cache reach users only through
    /// [`load_for`](super::load_for), which converts one only if it [`is_for`](Self::is_for)
    /// the request and [`is_valid_at`](Self::is_valid_at) the reader's time.
    pub(crate) fn to_credentials(&self) -> Credentials {
        let mut builder = Credentials::builder()
            .access_key_id(&self.access_key_id)
            .secret_access_key(&self.secret_access_key)
            .session_token(&self.session_token)
            .expiry(self.expiration)
            .provider_name(PROVIDER_NAME);
        if let Some(account) = self.account_id() {
            builder = builder.account_id(account);
        }
        builder.build()
    }
}

impl TryFrom<&Credentials> for CachedCredentials {
    type Error = CacheError;

    /// Fails with [`CacheError::Incomplete`] for credentials without a session token or an
    /// expiry: long-term keys do not belong in this cache.
    fn try_from(creds: &Credentials) -> Result<Self, CacheError> {
        let token = creds
            .session_token()
            .ok_or(CacheError::Incomplete("session token"))?;
        let expiry = creds.expiry().ok_or(CacheError::Incomplete("expiry"))?;
        let mut entry = Self::new(
            creds.access_key_id(),
            creds.secret_access_key(),
            token,
            expiry,
        );
        entry.account_id = creds.account_id().map(|a| a.as_str().to_owned());
        Ok(entry)
    }
}

impl TryFrom<&AssumedRole> for CachedCredentials {
    type Error = CacheError;

    /// Keeps the credentials (with their account ID), `AssumedRoleUser`, `PackedPolicySize`,
    /// `SessionTokenSize`, `SessionTokenUtilization` and `SourceIdentity`.
    fn try_from(role: &AssumedRole) -> Result<Self, CacheError> {
        let mut entry = Self::try_from(role.credentials())?;
        entry.assumed_role_user = Some(role.assumed_role_user().clone());
        entry.fill_account_id();
        entry.packed_policy_size = role.packed_policy_size();
        entry.session_token_size = role.session_token_size();
        entry.session_token_utilization = role.session_token_utilization();
        entry.source_identity = role.source_identity().map(str::to_owned);
        Ok(entry)
    }
}

/// The parts of `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` for one service, with the
/// resource's type prefix removed.
struct ArnParts<'a> {
    partition: &'a str,
    account: &'a str,
    resource: &'a str,
}

fn arn_parts<'a>(arn: &'a str, service: &str, resource_type: &str) -> Option<ArnParts<'a>> {
    let mut fields = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(s), Some(_region), Some(account), Some(resource)) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return None;
    };
    let resource = resource.strip_prefix(resource_type)?;
    (s == service && !partition.is_empty() && !account.is_empty() && !resource.is_empty())
        .then_some(ArnParts {
            partition,
            account,
            resource,
        })
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    fn at(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    // 2026-11-28T03:49:02Z
    const T: u64 = 1_795_837_742;

    #[test]
    fn validity_needs_more_than_min_remaining() {
        let e = CachedCredentials::new("AKID", "SECRET", "TOKEN", at(T, 0));
        let window = Duration::from_secs(900);
        assert!(e.is_valid_at(at(T - 901, 0), window));
        assert!(!e.is_valid_at(at(T - 900, 0), window));
        assert!(!e.is_valid_at(at(T + 1, 0), window));
        assert!(e.is_valid_at(at(T - 1, 0), Duration::ZERO));
        assert!(!e.is_valid_at(at(T, 0), Duration::ZERO));
    }

    #[test]
    fn account_id_falls_back_to_the_assumed_role_arn() {
        let e = CachedCredentials::new("AKID", "SECRET", "TOKEN", at(T, 0)).with_assumed_role_user(
            AssumedRoleUser {
                arn: "arn:aws:sts::111111111111:assumed-role/RoleB/s".into(),
                assumed_role_id: "AROAEXAMPLE:s".into(),
            },
        );
        assert_eq!(e.account_id(), Some("111111111111"));
        assert_eq!(
            e.to_credentials().account_id().map(|a| a.as_str()),
            Some("111111111111")
        );
        let e = e.with_account_id("222222222222");
        assert_eq!(e.account_id(), Some("222222222222"));
    }

    /// Found by the `cache_entry` fuzz target: a `ResponseMetadata` holding an integer beyond
    /// 64 bits came back changed (as a float) after a store.
    #[test]
    fn only_the_request_id_of_response_metadata_is_kept_and_written_back() {
        let json = r#"{"Credentials": {"AccessKeyId": "AKID", "SecretAccessKey": "SECRET",
            "SessionToken": "TOKEN", "Expiration": "2026-11-28T03:49:02Z"},
            "ResponseMetadata": {"RequestId": "req-1", "HTTPStatusCode": 200,
            "N": 3333333333333333333333333333333333333336}}"#;
        let read: CachedCredentials = serde_json::from_str(json).unwrap();
        assert_eq!(read.request_id(), Some("req-1"));
        let written = serde_json::to_value(&read).unwrap();
        assert_eq!(
            written["ResponseMetadata"],
            serde_json::json!({"RequestId": "req-1"})
        );
        let again: CachedCredentials = serde_json::from_value(written).unwrap();
        assert_eq!(again, read);
        let odd = json.replace(r#"{"RequestId": "req-1","#, r#"{"RequestId": 7,"#);
        let read: CachedCredentials = serde_json::from_str(&odd).unwrap();
        assert_eq!(read.request_id(), None);
    }

    #[test]
    fn errors_name_the_field_not_the_value() {
        let json = r#"{"Credentials": {"AccessKeyId": "AKID", "SecretAccessKey": "s3cr3t",
            "SessionToken": "t0k3n", "Expiration": "s3cr3t-ish"}}"#;
        let err = serde_json::from_str::<CachedCredentials>(json)
            .unwrap_err()
            .to_string();
        assert!(err.contains("Credentials.Expiration"), "{err}");
        assert!(!err.contains("s3cr3t") && !err.contains("t0k3n"), "{err}");
    }
}
