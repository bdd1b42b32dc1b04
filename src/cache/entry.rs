//! One cache entry: the AssumeRole answer in the AWS CLI's JSON form.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::CacheError;
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
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: SystemTime,
    account_id: Option<String>,
    assumed_role_user: Option<AssumedRoleUser>,
    packed_policy_size: Option<u32>,
    session_token_size: Option<u32>,
    session_token_utilization: Option<u32>,
    source_identity: Option<String>,
    /// `ResponseMetadata.RequestId`: all of `ResponseMetadata` this crate keeps (the AWS CLI
    /// also writes the HTTP status and headers of the answer, which nothing reads back).
    request_id: Option<String>,
    /// `CacheKey`: the key a [`FileCache`](super::FileCache) stored the entry under, so that
    /// an entry moved or linked to another key's name is refused. Not part of the AWS CLI's
    /// format (which ignores it); set and checked by the file cache only.
    cache_key: Option<String>,
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
    fn fill_account_id(&mut self) {
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

// The file format. The public type above keeps its fields private and its secrets out of
// `Debug`; these mirror the JSON.

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Wire {
    credentials: WireCredentials,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    assumed_role_user: Option<WireUser>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    packed_policy_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session_token_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session_token_utilization: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_identity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Read whatever it holds (only its `RequestId` is kept); written as `{"RequestId": …}`.
    response_metadata: Option<serde_json::Value>,
    /// Last, so the positions of the fields before it do not change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cache_key: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireUser {
    assumed_role_id: String,
    arn: String,
}

impl Serialize for CachedCredentials {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let expiration = format_expiration(self.expiration).map_err(serde::ser::Error::custom)?;
        Wire {
            credentials: WireCredentials {
                access_key_id: self.access_key_id.clone(),
                secret_access_key: self.secret_access_key.clone(),
                session_token: self.session_token.clone(),
                expiration,
                account_id: self.account_id.clone(),
            },
            assumed_role_user: self.assumed_role_user.as_ref().map(|u| WireUser {
                assumed_role_id: u.assumed_role_id.clone(),
                arn: u.arn.clone(),
            }),
            packed_policy_size: self.packed_policy_size,
            session_token_size: self.session_token_size,
            session_token_utilization: self.session_token_utilization,
            source_identity: self.source_identity.clone(),
            response_metadata: self
                .request_id
                .as_ref()
                .map(|id| serde_json::json!({ "RequestId": id })),
            cache_key: self.cache_key.clone(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CachedCredentials {
    /// Errors name the field at fault, never its value.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let w = Wire::deserialize(deserializer)?;
        let c = w.credentials;
        for (name, value) in [
            ("Credentials.AccessKeyId", &c.access_key_id),
            ("Credentials.SecretAccessKey", &c.secret_access_key),
            ("Credentials.SessionToken", &c.session_token),
        ] {
            if value.is_empty() {
                return Err(D::Error::custom(format_args!("{name} is empty")));
            }
        }
        let expiration = parse_expiration(&c.expiration).ok_or_else(|| {
            D::Error::custom("Credentials.Expiration is not an RFC 3339 date-time")
        })?;
        let mut entry = Self {
            access_key_id: c.access_key_id,
            secret_access_key: c.secret_access_key,
            session_token: c.session_token,
            expiration,
            account_id: c.account_id.filter(|a| !a.is_empty()),
            assumed_role_user: w.assumed_role_user.map(|u| AssumedRoleUser {
                arn: u.arn,
                assumed_role_id: u.assumed_role_id,
            }),
            packed_policy_size: w.packed_policy_size,
            session_token_size: w.session_token_size,
            session_token_utilization: w.session_token_utilization,
            source_identity: w.source_identity,
            request_id: w
                .response_metadata
                .as_ref()
                .and_then(|m| m.get("RequestId"))
                .and_then(|id| id.as_str())
                .map(str::to_owned),
            cache_key: w.cache_key,
        };
        entry.fill_account_id();
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

/// Reads an `Expiration`: RFC 3339 with any offset and optional fractional seconds, or
/// botocore's `strftime('%Y-%m-%dT%H:%M:%S%Z')` form ending in `UTC`.
///
/// Read as it is written back: to the microsecond (Python's precision; finer digits are
/// dropped), and only a moment that has a year 0000 to 9999 in UTC, the range RFC 3339 can
/// write. So every entry read can be stored again unchanged.
pub(crate) fn parse_expiration(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let parsed = match text.strip_suffix("UTC") {
        Some(base) => OffsetDateTime::parse(&format!("{base}Z"), &Rfc3339),
        None => OffsetDateTime::parse(text, &Rfc3339),
    };
    let utc = parsed.ok()?.checked_to_offset(time::UtcOffset::UTC)?;
    if !(0..=9999).contains(&utc.year()) {
        return None;
    }
    let micros = utc
        .replace_nanosecond(utc.nanosecond() / 1000 * 1000)
        .ok()?;
    Some(SystemTime::from(micros))
}

/// Writes an `Expiration` in UTC with `Z`, truncated to the microsecond (Python's precision).
pub(crate) fn format_expiration(t: SystemTime) -> Result<String, time::error::Format> {
    let nanos: i128 = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_nanos() / 1000 * 1000) as i128,
        Err(e) => -(e.duration().as_nanos().div_ceil(1000) as i128 * 1000),
    };
    let utc = OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .map_err(|_| time::error::Format::InvalidComponent("year"))?;
    utc.format(&Rfc3339)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    // 2026-11-28T03:49:02Z
    const T: u64 = 1_795_837_742;

    #[test]
    fn expiration_reads_every_offset_form() {
        for (text, want) in [
            ("2026-11-28T03:49:02Z", at(T, 0)),
            ("2026-11-28T03:49:02.051703Z", at(T, 51_703_000)),
            ("2026-11-28T03:49:02+00:00", at(T, 0)),
            ("2026-11-28T03:49:02.051703+00:00", at(T, 51_703_000)),
            ("2026-11-28T05:49:02+02:00", at(T, 0)),
            ("2026-11-27T22:49:02-05:00", at(T, 0)),
            ("2026-11-28T03:49:02UTC", at(T, 0)),
            ("2026-11-28t03:49:02z", at(T, 0)),
        ] {
            assert_eq!(parse_expiration(text), Some(want), "{text}");
        }
        for bad in [
            "",
            "2026-11-28",
            "2026-11-28T03:49:02",
            "tomorrow",
            "1795837742",
            // Out of RFC 3339's years once in UTC: they could not be written back.
            "9999-12-31T23:59:59-01:00",
            "0000-01-01T00:00:00+01:00",
        ] {
            assert_eq!(parse_expiration(bad), None, "{bad}");
        }
        // Digits past the microsecond are dropped, as the writer drops them.
        assert_eq!(
            parse_expiration("2026-11-28T03:49:02.0051703Z"),
            Some(at(T, 5_170_000))
        );
    }

    #[test]
    fn expiration_writes_utc_with_z() {
        assert_eq!(format_expiration(at(T, 0)).unwrap(), "2026-11-28T03:49:02Z");
        assert_eq!(
            format_expiration(at(T, 51_703_999)).unwrap(),
            "2026-11-28T03:49:02.051703Z"
        );
        assert_eq!(
            format_expiration(UNIX_EPOCH - Duration::from_nanos(1)).unwrap(),
            "1969-12-31T23:59:59.999999Z"
        );
    }

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
