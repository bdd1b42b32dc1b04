//! Credentials written out for another program: the `credential_process` answer, and the
//! expiry as the SDKs read it.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use serde::Serialize;
use serde_json::ser::PrettyFormatter;

use super::ProcessError;

/// The answer of a `credential_process` command (Version 1) for `credentials`, as JSON with
/// a 4-space indent (as the AWS CLI prints) and no final newline: print it on standard output,
/// and anything for a person on standard error.
///
/// `SessionToken` and `Expiration` are left out when the credentials have none (long-term
/// keys); `Expiration` is in whole seconds, rounded down, in UTC (`2026-11-28T03:49:02Z`).
///
/// # Errors
///
/// [`ProcessError::Expiration`] when the expiry cannot be written as an ISO 8601 date.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use aws_credential_types::Credentials;
/// use sts_assume_role::process::credential_process_json;
///
/// let expiry = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
/// let credentials =
///     Credentials::new("ASIAEXAMPLE", "secret", Some("token".into()), Some(expiry), "demo");
/// let json = credential_process_json(&credentials)?;
/// assert_eq!(
///     json,
///     r#"{
///     "Version": 1,
///     "AccessKeyId": "ASIAEXAMPLE",
///     "SecretAccessKey": "secret",
///     "SessionToken": "token",
///     "Expiration": "2027-01-15T08:00:00Z"
/// }"#
/// );
/// # Ok::<(), sts_assume_role::process::ProcessError>(())
/// ```
pub fn credential_process_json(credentials: &Credentials) -> Result<String, ProcessError> {
    let answer = CredentialProcess {
        version: 1,
        access_key_id: credentials.access_key_id(),
        secret_access_key: credentials.secret_access_key(),
        session_token: credentials.session_token(),
        expiration: credentials.expiry().map(expiration_utc).transpose()?,
    };
    let mut out = Vec::with_capacity(512);
    let formatter = PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    answer
        .serialize(&mut serializer)
        .expect("strings and a number always serialize into a Vec");
    Ok(String::from_utf8(out).expect("serde_json writes UTF-8"))
}

/// The `credential_process` protocol's answer, Version 1.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CredentialProcess<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<String>,
}

/// `expiration` in whole seconds (rounded down: never later than the truth), RFC 3339 in
/// UTC, as the ECS agent and the AWS CLI write it: `2026-11-28T03:49:02Z`.
pub(crate) fn expiration_utc(expiration: SystemTime) -> Result<String, ProcessError> {
    DateTime::from_secs(DateTime::from(expiration).secs())
        .fmt(Format::DateTime)
        .map_err(|_| ProcessError::Expiration)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn expiration_is_rounded_down_to_whole_seconds_in_utc() {
        let at = UNIX_EPOCH + Duration::from_millis(1_800_000_000_999);
        assert_eq!(expiration_utc(at).unwrap(), "2027-01-15T08:00:00Z");
    }

    #[test]
    fn an_expiry_past_year_9999_is_a_typed_error_not_a_panic() {
        let far = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        let credentials = Credentials::new("AKID", "secret", None, Some(far), "test");
        assert!(matches!(
            credential_process_json(&credentials),
            Err(ProcessError::Expiration)
        ));
    }

    #[test]
    fn long_term_keys_have_neither_session_token_nor_expiration() {
        let credentials = Credentials::new("AKIAEXAMPLE", "secret", None, None, "test");
        let json: serde_json::Value =
            serde_json::from_str(&credential_process_json(&credentials).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"Version": 1, "AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "secret"})
        );
    }
}
