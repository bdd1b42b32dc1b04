//! What `assume-role` prints on stdout: the AWS CLI's JSON, shell `export` lines, or a
//! `credential_process` answer.

use std::io::{self, Write};
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use serde::Serialize;
use serde_json::ser::PrettyFormatter;
use sts_assume_role::AssumedRole;
use sts_assume_role::process::{ChildEnv, credential_process_json};

/// The output formats of `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Output {
    /// The response as `aws sts assume-role --output json` prints it. In profile mode, only
    /// its `Credentials`: the provider hands over credentials, not the whole response.
    Json,
    /// `export AWS_ACCESS_KEY_ID=...` lines for a POSIX shell.
    Env,
    /// The JSON a `credential_process` in an AWS config profile answers with (Version 1).
    CredentialProcess,
}

/// Writes `assumed` to `out` in `format`.
pub(crate) fn write(format: Output, assumed: &AssumedRole, out: &mut dyn Write) -> io::Result<()> {
    write_session(
        format,
        assumed.credentials(),
        assumed.expiration(),
        Some(assumed),
        out,
    )
}

/// Writes the credentials of profile mode, which come from the provider (STS or the cache)
/// without the rest of an AssumeRole response.
pub(crate) fn write_credentials(
    format: Output,
    credentials: &Credentials,
    out: &mut dyn Write,
) -> io::Result<()> {
    let expiration = credentials
        .expiry()
        .ok_or_else(|| io::Error::other("the credentials have no expiry"))?;
    write_session(format, credentials, expiration, None, out)
}

/// Writes `credentials`, and with `Json` what `assumed` tells about the session if known.
fn write_session(
    format: Output,
    credentials: &Credentials,
    expiration: SystemTime,
    assumed: Option<&AssumedRole>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let secret_access_key = credentials.secret_access_key();
    let session_token = credentials.session_token().unwrap_or_default();
    let expiration = expiration_utc(expiration)?;
    match format {
        Output::Json => write_json(
            out,
            &CliResponse {
                credentials: CliCredentials {
                    access_key_id: credentials.access_key_id(),
                    secret_access_key,
                    session_token,
                    // The CLI prints Python's `isoformat()` of an aware datetime.
                    expiration: format!("{}+00:00", expiration.trim_end_matches('Z')),
                },
                assumed_role_user: assumed.map(|a| CliAssumedRoleUser {
                    assumed_role_id: &a.assumed_role_user().assumed_role_id,
                    arn: &a.assumed_role_user().arn,
                }),
                packed_policy_size: assumed.and_then(AssumedRole::packed_policy_size),
                source_identity: assumed.and_then(AssumedRole::source_identity),
                session_token_utilization: assumed.and_then(AssumedRole::session_token_utilization),
                session_token_size: assumed.and_then(AssumedRole::session_token_size),
            },
        ),
        Output::Env => {
            let env = ChildEnv::from_credentials(credentials).map_err(io::Error::other)?;
            for (name, value) in env.vars() {
                writeln!(out, "export {name}={}", sh_quote(value))?;
            }
            Ok(())
        }
        Output::CredentialProcess => {
            let json = credential_process_json(credentials).map_err(io::Error::other)?;
            writeln!(out, "{json}")
        }
    }
}

/// `aws sts assume-role` output, member for member and in the same order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CliResponse<'a> {
    credentials: CliCredentials<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assumed_role_user: Option<CliAssumedRoleUser<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    packed_policy_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_identity: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_token_utilization: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_token_size: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CliCredentials<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: &'a str,
    expiration: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CliAssumedRoleUser<'a> {
    assumed_role_id: &'a str,
    arn: &'a str,
}

/// JSON with a 4-space indent, like the AWS CLI's, and a final newline.
fn write_json(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    let formatter = PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, formatter);
    value.serialize(&mut serializer)?;
    writeln!(out)
}

/// The expiry in whole seconds, RFC 3339 in UTC: `2026-11-28T03:49:02Z`.
fn expiration_utc(expiration: SystemTime) -> io::Result<String> {
    let whole_seconds = DateTime::from_secs(DateTime::from(expiration).secs());
    whole_seconds
        .fmt(Format::DateTime)
        .map_err(io::Error::other)
}

/// Quotes `value` for a POSIX shell, as Python's `shlex.quote` does: left alone when made
/// only of safe characters, otherwise in single quotes.
pub(crate) fn sh_quote(value: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c);
    if !value.is_empty() && value.chars().all(safe) {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::sh_quote;

    #[test]
    fn sh_quote_leaves_safe_values_and_quotes_the_rest() {
        assert_eq!(sh_quote("ASIAAAAA/x+y=="), "ASIAAAAA/x+y==");
        assert_eq!(sh_quote(""), "''");
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's $HOME"), r"'it'\''s $HOME'");
    }
}
