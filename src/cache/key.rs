//! The AWS CLI's cache key: a SHA-1 of the AssumeRole arguments as Python's `json.dumps` writes
//! them.

use std::fmt::Write as _;

use serde_json::{Map, Number, Value};
use sha1::{Digest, Sha1};

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

/// `value` as Python's `json.dumps(value, sort_keys=True)` writes it, byte for byte (see
/// [`cache_key_for_args`]).
pub(crate) fn python_json_dumps(value: &Value) -> String {
    let mut out = String::new();
    dump(value, &mut out);
    out
}

fn dump(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => dump_number(n, out),
        Value::String(s) => dump_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                dump(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Sorted here whatever order the map keeps (serde_json's `preserve_order` feature
            // may be on in the dependency graph). `str` order is code point order, as Python's.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                dump_string(k, out);
                out.push_str(": ");
                dump(v, out);
            }
            out.push('}');
        }
    }
}

fn dump_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

fn dump_number(n: &Number, out: &mut String) {
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(f) = n.as_f64() {
        python_float_repr(f, out);
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip, in positional notation when the
/// decimal exponent is in `-4..16`, else as `d.ddde±XX`.
fn python_float_repr(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str("NaN");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    // Rust's `{:e}` also gives the shortest round-trip digits: `1.5e-5`, `-2e16`, `0e0`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    // The value is 0.DIGITS × 10^point.
    let point = exp + 1;
    out.push_str(sign);
    if (-4 < point) && (point <= 16) {
        let n = digits.len() as i32;
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(&digits);
        } else if point >= n {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', (point - n) as usize));
            out.push_str(".0");
        } else {
            let (int, frac) = digits.split_at(point as usize);
            out.push_str(int);
            out.push('.');
            out.push_str(frac);
        }
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
    }
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

    fn repr(f: f64) -> String {
        let mut s = String::new();
        python_float_repr(f, &mut s);
        s
    }

    /// Each expected string is what CPython 3 prints for `repr(float)`.
    #[test]
    fn floats_print_as_python_repr() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (100.0, "100.0"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000123, "0.000123"),
            (0.0000123, "1.23e-05"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345.6, "123456789012345.6"),
            (1e100, "1e+100"),
            (1e-100, "1e-100"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (1.0 / 3.0, "0.3333333333333333"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (f, want) in cases {
            assert_eq!(repr(*f), *want, "repr of {f:?}");
        }
    }

    #[test]
    fn strings_escape_as_python_ensure_ascii() {
        let v = Value::String("a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f} ~é€😀/".into());
        assert_eq!(
            python_json_dumps(&v),
            r#""a\"b\\c\n\r\t\b\f\u0001\u001f\u007f ~\u00e9\u20ac\ud83d\ude00/""#
        );
    }

    #[test]
    fn keys_sort_by_code_point_at_every_level() {
        let v = serde_json::json!({
            "b": {"z": 1, "Z": 2, "é": 3, "e": 4},
            "a": [],
            "B": {},
            "😀": true,
            "\u{ffff}": false,
        });
        assert_eq!(
            python_json_dumps(&v),
            r#"{"B": {}, "a": [], "b": {"Z": 2, "e": 4, "z": 1, "\u00e9": 3}, "\uffff": false, "\ud83d\ude00": true}"#
        );
    }

    #[test]
    fn nested_values_use_python_separators() {
        let v = serde_json::json!({"b": [1, 2.5, "é\n", [], {}], "a": null, "c": true});
        assert_eq!(
            python_json_dumps(&v),
            r#"{"a": null, "b": [1, 2.5, "\u00e9\n", [], {}], "c": true}"#
        );
    }

    #[test]
    fn integers_stay_integers() {
        let v = serde_json::json!([0, -1, 900, i64::MIN, u64::MAX]);
        assert_eq!(
            python_json_dumps(&v),
            "[0, -1, 900, -9223372036854775808, 18446744073709551615]"
        );
    }
}
