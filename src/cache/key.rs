//! The AWS CLI's cache key: a SHA-1 of the AssumeRole arguments as Python's `json.dumps` writes
//! them.

use std::fmt::Write as _;

use serde_json::{Map, Value};
use sha1::{Digest, Sha1};

use super::python_json::python_json_dumps;
use crate::request::AssumeRoleRequest;

/// The file-name key under which the AWS CLI caches credentials for `request`.
///
/// The arguments are those botocore's `AssumeRoleProvider` hashes, named as in the query
/// protocol: `RoleArn`, `RoleSessionName` (left out when the name was
/// [generated](crate::AssumeRoleRequest::builder_with_generated_name), as the CLI leaves
/// out its own `botocore-session-…` names), `ExternalId`, `SerialNumber`, `DurationSeconds`
/// (a number) and `Policy` (parsed, so its keys sort). The parameters the CLI's profiles
/// cannot set go in with the shapes boto3 takes them in, so that two requests that differ only
/// there never share an entry: `PolicyArns` (`[{"arn": …}]`), `Tags`
/// (`[{"Key": …, "Value": …}]`), `TransitiveTagKeys`, `SourceIdentity`, `ProvidedContexts`
/// (`[{"ProviderArn": …, "ContextAssertion": …}]`) and `MinimumSessionTokenSize` (a number).
/// `TokenCode` is never part of the key.
///
/// ```
/// use sts_assume_role::AssumeRoleRequest;
/// use sts_assume_role::cache::cli_cache_key;
///
/// let request = AssumeRoleRequest::builder("arn:aws:iam::111111111111:role/RoleB", "RoleB")
///     .build()?;
/// // The file `~/.aws/cli/cache/<key>.json` the AWS CLI reads for this role.
/// assert_eq!(cli_cache_key(&request), "62c7b921fd0528627faa2fd4db78bad7ec0c1056");
/// # Ok::<(), sts_assume_role::ValidationErrors>(())
/// ```
pub fn cli_cache_key(request: &AssumeRoleRequest) -> String {
    cache_key_for_args(&cli_cache_args(request))
}

/// The arguments [`cli_cache_key`] hashes, as a JSON object.
pub(crate) fn cli_cache_args(request: &AssumeRoleRequest) -> Value {
    let mut args = Map::new();
    let mut put = |name: &str, value: Value| {
        args.insert(name.to_owned(), value);
    };
    put("RoleArn", request.role_arn.as_str().into());
    if !request.session_name_generated {
        put("RoleSessionName", request.session_name.as_str().into());
    }
    if let Some(v) = request.external_id.as_ref() {
        put("ExternalId", v.as_str().into());
    }
    if let Some(v) = request.serial_number.as_ref() {
        put("SerialNumber", v.as_str().into());
    }
    if let Some(v) = request.duration {
        put("DurationSeconds", v.as_secs().into());
    }
    if let Some(v) = request.policy.as_ref() {
        put("Policy", v.to_json());
    }
    if !request.policy_arns.is_empty() {
        let arns = request
            .policy_arns
            .iter()
            .map(|a| object([("arn", a.as_str().into())]))
            .collect();
        put("PolicyArns", Value::Array(arns));
    }
    if !request.tags.is_empty() {
        let tags = request
            .tags
            .iter()
            .map(|t| {
                object([
                    ("Key", t.key().as_str().into()),
                    ("Value", t.value().as_str().into()),
                ])
            })
            .collect();
        put("Tags", Value::Array(tags));
    }
    if !request.transitive_tag_keys.is_empty() {
        let keys = request
            .transitive_tag_keys
            .iter()
            .map(|k| k.as_str().into())
            .collect();
        put("TransitiveTagKeys", Value::Array(keys));
    }
    if let Some(v) = request.source_identity.as_ref() {
        put("SourceIdentity", v.as_str().into());
    }
    if !request.provided_contexts.is_empty() {
        let contexts = request
            .provided_contexts
            .iter()
            .map(|c| {
                object([
                    ("ProviderArn", c.provider_arn().as_str().into()),
                    ("ContextAssertion", c.context_assertion().as_str().into()),
                ])
            })
            .collect();
        put("ProvidedContexts", Value::Array(contexts));
    }
    if let Some(v) = request.minimum_session_token_size {
        put("MinimumSessionTokenSize", v.as_bytes().into());
    }
    Value::Object(args)
}

fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

/// The key under which an [`MfaSession`](crate::MfaSession) with a
/// [cache](crate::MfaSessionBuilder::cache) keeps the session of `serial_number`
/// lasting `duration`, renewed before its MFA is `max_mfa_age` old: the AWS CLI's hashing of
/// `{"Action": "GetSessionToken", "SerialNumber": …, "DurationSeconds": …}`, plus
/// `"MaxMfaAgeSeconds"` when set. No AWS CLI key has an `Action`, so the two never collide in
/// one directory.
///
/// ```
/// use std::time::Duration;
/// use sts_assume_role::cache::session_cache_key;
///
/// let serial = "arn:aws:iam::111111111111:mfa/alice";
/// let day = session_cache_key(serial, Duration::from_secs(12 * 3600), None);
/// let hour_of_mfa = session_cache_key(serial, Duration::from_secs(12 * 3600), Some(Duration::from_secs(3600)));
/// assert_ne!(day, hour_of_mfa);
/// assert_eq!(day.len(), 40);
/// ```
pub fn session_cache_key(
    serial_number: &str,
    duration: std::time::Duration,
    max_mfa_age: Option<std::time::Duration>,
) -> String {
    let mut args = serde_json::json!({
        "Action": "GetSessionToken",
        "SerialNumber": serial_number,
        "DurationSeconds": duration.as_secs(),
    });
    if let Some(max) = max_mfa_age {
        args["MaxMfaAgeSeconds"] = max.as_secs().into();
    }
    cache_key_for_args(&args)
}

/// The AWS CLI's cache key for any arguments: the SHA-1, in lowercase hex, of
/// `json.dumps(args, sort_keys=True)`, with `:` and `/` replaced by `_` as the CLI does (hex
/// has neither).
///
/// The dump is Python's byte for byte: `", "` between items and `": "` after keys; object keys
/// sorted by code point at every level; every character outside printable ASCII escaped as
/// `\uXXXX` in lowercase hex (astral characters as a surrogate pair), except `\b`, `\f`, `\n`,
/// `\r` and `\t`; integers as they are and floats as Python's `repr` prints them (`1.0`,
/// `1e-05`, `1e+16`). Numbers are as precise as [`serde_json::Value`] keeps them: an integer
/// beyond 64 bits (which Python keeps exactly) has become a float, and `-0` has become `-0.0`.
///
pub(crate) fn cache_key_for_args(args: &Value) -> String {
    let digest = Sha1::digest(python_json_dumps(args).as_bytes());
    let mut key = String::with_capacity(2 * digest.len());
    for byte in digest.iter() {
        // Writing to a String cannot fail.
        let _ = write!(key, "{byte:02x}");
    }
    key.replace([':', '/'], "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference's vectors, computed with the AWS CLI's own code.
    #[test]
    fn every_reference_vector_hashes_to_its_key() {
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        let role_b = "arn:aws:iam::111111111111:role/RoleB";
        let vectors = [
            (
                serde_json::json!({"RoleArn": role_b}),
                "c8ddac24797f70ef53df2e89db1960d64b15d6be",
            ),
            (
                serde_json::json!({"RoleArn": role_b, "RoleSessionName": "RoleB"}),
                "62c7b921fd0528627faa2fd4db78bad7ec0c1056",
            ),
            (
                serde_json::json!({"RoleArn": role_b, "RoleSessionName": "RoleB", "ExternalId": "ext-123",
                       "DurationSeconds": 900, "SerialNumber": "arn:aws:iam::123456789012:mfa/user"}),
                "413bdd00e1d72f7b84c77eb4f2b53a414e11c068",
            ),
            (
                // botocore parses `Policy` before hashing so its keys sort.
                serde_json::json!({"RoleArn": role_b,
                       "Policy": serde_json::from_str::<Value>(policy).unwrap()}),
                "fcdb9cbcb986117c7cc7a20dc920a67737a28f1e",
            ),
            (
                serde_json::json!({"RoleArn": "arn:aws:iam::111111111111:role/Rôle", "RoleSessionName": "ünïcode"}),
                "62275a8ae04f90d16b9bf5d269f8630ee1017762",
            ),
        ];
        for (args, want) in &vectors {
            assert_eq!(cache_key_for_args(args), *want, "args {args}");
        }
    }
}
