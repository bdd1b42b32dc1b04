//! The AWS CLI's cache file format, as JSON: what [`CachedCredentials`] reads and writes
//! through `Serialize` and `Deserialize`, and its `Expiration` dates.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::CachedCredentials;
use crate::assume::AssumedRoleUser;

// The public type keeps its fields private and its secrets out of `Debug`; these mirror the
// JSON.

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
    use std::time::Duration;

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
}
