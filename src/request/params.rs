//! One type per AssumeRole parameter. Each can only hold a value that passes the STS rules.

use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;

use super::{InvalidParameter, Parameter};

/// Characters of the `[\w+=,.@-]` class used by session names and source identities.
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | '-')
}

/// Characters STS allows in ARNs: `[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]`.
fn is_arn_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7E}' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Characters STS allows in an inline session policy: `[\u0009\u000A\u000D\u0020-\u00FF]`.
fn is_policy_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}')
}

/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]`: letters, separators and numbers of any script, plus a few marks.
static TAG_CHARS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$").expect("the tag pattern is a valid regex")
});

fn chars_word(n: usize) -> &'static str {
    if n == 1 { "character" } else { "characters" }
}

/// Checks a value against a length range (in characters) and a character class; on failure the
/// error says which, without echoing the value when `secret` is set.
fn check(
    parameter: Parameter,
    value: &str,
    (min, max): (usize, usize),
    class: &'static str,
    allowed: impl Fn(char) -> bool,
    secret: bool,
) -> Result<(), InvalidParameter> {
    let rule = if class.is_empty() {
        format!("must be {min}-{max} characters")
    } else {
        format!("must be {min}-{max} characters of {class}")
    };
    let len = value.chars().count();
    if len < min || len > max {
        return Err(InvalidParameter::new(
            parameter,
            rule,
            format!("{len} {}", chars_word(len)),
        ));
    }
    if let Some((pos, c)) = value.chars().enumerate().find(|&(_, c)| !allowed(c)) {
        let found = if secret {
            format!("a character outside the class at position {}", pos + 1)
        } else {
            format!("{c:?} at position {}", pos + 1)
        };
        return Err(InvalidParameter::new(parameter, rule, found));
    }
    Ok(())
}

/// Declares a validated string newtype with `new`, `as_str`, `Display` and `Debug`.
macro_rules! string_param {
    ($(#[$meta:meta])* $name:ident, $validate:expr) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub(crate) struct $name(String);

        impl $name {
            /// Parses and validates the value.
            pub(crate) fn new(value: impl Into<String>) -> Result<Self, InvalidParameter> {
                let value = value.into();
                let validate: fn(&str) -> Result<(), InvalidParameter> = $validate;
                validate(&value)?;
                Ok(Self(value))
            }

            /// The value as sent to STS.
            pub(crate) fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }
    };
}

fn validate_arn(parameter: Parameter, value: &str) -> Result<(), InvalidParameter> {
    check(parameter, value, (20, 2048), "", is_arn_char, false)?;
    if !value.starts_with("arn:") {
        return Err(InvalidParameter::new(
            parameter,
            "must be an ARN starting with \"arn:\"",
            format!("{:?}", value.chars().take(8).collect::<String>()),
        ));
    }
    Ok(())
}

/// The shape of an IAM role's ARN, the first part of it that is wrong, and what was found
/// there.
fn role_arn_shape(value: &str) -> Result<(), (&'static str, String)> {
    const SHAPE: &str = "must be a role ARN, arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME";
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts[..] else {
        let colons = value.matches(':').count();
        return Err((SHAPE, format!("{colons} of its 5 colons")));
    };
    if arn != "arn" {
        return Err((SHAPE, format!("{arn:?} where \"arn\" goes")));
    }
    // `aws`, then any number of `-word` of lowercase letters: aws-cn, aws-us-gov, aws-iso-b.
    let partition_ok = partition.strip_prefix("aws").is_some_and(|rest| {
        rest.split('-').enumerate().all(|(i, word)| {
            (i == 0 && word.is_empty())
                || (i > 0 && !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase()))
        })
    });
    if !partition_ok {
        return Err((
            "must name an AWS partition (aws, aws-cn, aws-us-gov, ...)",
            format!("{partition:?}"),
        ));
    }
    if service != "iam" {
        return Err(("must name the service iam", format!("{service:?}")));
    }
    if !region.is_empty() {
        return Err((
            "must have an empty region (IAM is global): arn:PARTITION:iam::ACCOUNT:...",
            format!("{region:?}"),
        ));
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err((
            "must name a 12-digit account ID",
            format!(
                "{account:?} ({} {})",
                account.chars().count(),
                chars_word(account.chars().count())
            ),
        ));
    }
    let Some(path_and_name) = resource.strip_prefix("role/") else {
        return Err((
            "must name a role: role/[PATH/]NAME after the account ID",
            format!("{:?}", resource.chars().take(16).collect::<String>()),
        ));
    };
    let (path, name) = path_and_name
        .rsplit_once('/')
        .unwrap_or(("", path_and_name));
    let len = name.chars().count();
    if !(1..=64).contains(&len) || !name.chars().all(is_name_char) {
        return Err((
            r"must end with a role name of 1-64 characters of [\w+=,.@-]",
            format!("{name:?}"),
        ));
    }
    if path.len() > 510 || !path.chars().all(|c| ('\u{21}'..='\u{7E}').contains(&c)) {
        return Err((
            "must have a path of at most 512 characters of ! to ~ between role/ and the name",
            format!(
                "{} {}",
                path.chars().count(),
                chars_word(path.chars().count())
            ),
        ));
    }
    Ok(())
}

string_param!(
    /// `RoleArn`: the ARN of an IAM role, checked for its shape,
    /// `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`, in every partition (`aws`, `aws-cn`,
    /// `aws-us-gov`, ...): a 12-digit account ID, an empty region, a path of printable ASCII
    /// and a name of 1-64 characters of `[\w+=,.@-]`. Nothing checks that the role exists or
    /// that you may assume it: STS does.
    RoleArn,
    |v| {
        role_arn_shape(v)
            .map_err(|(rule, found)| InvalidParameter::new(Parameter::RoleArn, rule, found))?;
        validate_arn(Parameter::RoleArn, v)
    }
);

string_param!(
    /// `RoleSessionName`: 2-64 characters of `[\w+=,.@-]`.
    ///
    /// Use [`SessionName::generated`] when you have no name of your own.
    SessionName,
    |v| check(Parameter::RoleSessionName, v, (2, 64), r"[\w+=,.@-]", is_name_char, false)
);

impl SessionName {
    /// A session name of the form `sts-assume-role-<unix seconds>`, like botocore's
    /// `botocore-session-<unix seconds>`.
    pub(crate) fn generated(now: std::time::SystemTime) -> Self {
        let secs = now
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        Self(format!("sts-assume-role-{secs}"))
    }
}

string_param!(
    /// One of `PolicyArns.member.N.arn`: a managed policy ARN, 20-2048 characters.
    PolicyArn,
    |v| validate_arn(Parameter::PolicyArn(None), v)
);

string_param!(
    /// `Policy`: an inline session policy. It must be a JSON object of at most 2048 characters
    /// in `[\u0009\u000A\u000D\u0020-\u00FF]`.
    Policy,
    |v| {
        check(Parameter::Policy, v, (1, 2048), r"[\t\n\r\x20-\xFF]", is_policy_char, false)?;
        match serde_json::from_str::<serde_json::Value>(v) {
            Ok(serde_json::Value::Object(_)) => Ok(()),
            Ok(other) => Err(InvalidParameter::new(
                Parameter::Policy,
                "must be a JSON object",
                format!("a JSON {}", json_kind(&other)),
            )),
            Err(e) => Err(InvalidParameter::new(
                Parameter::Policy,
                "must be a JSON object",
                format!("invalid JSON at line {} column {}", e.line(), e.column()),
            )),
        }
    }
);

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

impl Policy {
    /// The policy parsed as JSON (it is always an object).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.0).unwrap_or(serde_json::Value::Null)
    }
}

string_param!(
    /// `Tags.member.N.Key`: 1-128 characters of `[\p{L}\p{Z}\p{N}_.:/=+\-@]`.
    ///
    /// Lengths count characters (Unicode scalar values), as the STS API model's length
    /// constraints do: a character outside the Basic Multilingual Plane, such as `𐐀`, is one
    /// character although UTF-16 spends two units on it.
    ///
    /// STS treats keys as case-insensitive ("you cannot have separate `Department` and
    /// `department` tag keys"); a request's keys must differ by more than case. Case is
    /// compared character by character with Unicode's simple case folding, which never
    /// changes a key's length: `𐐀` and `𐐨`, `ẞ` and `ß`, `Σ`, `σ` and `ς`, or `K` (Kelvin)
    /// and `k` are the same key, while `ß` and `SS` (equal only under full folding, which
    /// changes the length) and `İ` and `i` (equal only under Turkish rules) are not. AWS does
    /// not document how STS folds letters beyond ASCII; keys this rule lets through that STS
    /// takes for the same are refused by STS itself.
    TagKey,
    |v| check(Parameter::TagKey(None), v, (1, 128), r"[\p{L}\p{Z}\p{N}_.:/=+\-@]", tag_char, false)
);

string_param!(
    /// `Tags.member.N.Value`: 0-256 characters of `[\p{L}\p{Z}\p{N}_.:/=+\-@]`.
    TagValue,
    |v| check(Parameter::TagValue(None), v, (0, 256), r"[\p{L}\p{Z}\p{N}_.:/=+\-@]", tag_char, false)
);

impl TagKey {
    /// The key under Unicode simple case folding: keys equal here are one key to STS.
    pub(crate) fn case_folded(&self) -> String {
        self.0.chars().map(fold_case).collect()
    }
}

/// Unicode simple case folding of one character (`CaseFolding.txt`, statuses C and S), built
/// from the simple case mappings std exposes: the lowercase of the uppercase, each taken only
/// when it is a single character. The dotless `ı` folds to itself (only the Turkic mappings,
/// status T, fold it), and `İ`, whose lowercase is two characters, keeps itself too.
pub(crate) fn fold_case(c: char) -> char {
    fn single(mut chars: impl Iterator<Item = char>) -> Option<char> {
        let first = chars.next()?;
        chars.next().is_none().then_some(first)
    }
    if c == 'ı' {
        return c;
    }
    let upper = single(c.to_uppercase()).unwrap_or(c);
    single(upper.to_lowercase()).unwrap_or(upper)
}

fn tag_char(c: char) -> bool {
    let mut buf = [0u8; 4];
    TAG_CHARS.is_match(c.encode_utf8(&mut buf))
}

string_param!(
    /// `ExternalId`: 2-1224 characters of `[\w+=,.@:/-]`.
    ExternalId,
    |v| check(Parameter::ExternalId, v, (2, 1224), r"[\w+=,.@:/-]", |c| is_name_char(c) || matches!(c, ':' | '/'), false)
);

string_param!(
    /// `SerialNumber`: the MFA device, an ARN or a hardware serial, 9-256 characters of
    /// `[\w+=/:,.@-]`.
    SerialNumber,
    |v| check(Parameter::SerialNumber, v, (9, 256), r"[\w+=/:,.@-]", |c| is_name_char(c) || matches!(c, ':' | '/'), false)
);

string_param!(
    /// `SourceIdentity`: 2-64 characters of `[\w+=,.@-]`, not starting with the reserved `aws:`.
    SourceIdentity,
    |v| {
        if v.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
            return Err(InvalidParameter::new(
                Parameter::SourceIdentity,
                "must not start with the reserved prefix \"aws:\"",
                format!("{v:?}"),
            ));
        }
        check(Parameter::SourceIdentity, v, (2, 64), r"[\w+=,.@-]", is_name_char, false)
    }
);

string_param!(
    /// `ProvidedContexts.member.N.ProviderArn`: 20-2048 characters.
    ProviderArn,
    |v| check(Parameter::ProviderArn(None), v, (20, 2048), "", is_arn_char, false)
);

string_param!(
    /// `ProvidedContexts.member.N.ContextAssertion`: 4-2048 characters.
    ContextAssertion,
    |v| check(Parameter::ContextAssertion(None), v, (4, 2048), "", is_arn_char, false)
);

/// `TokenCode`: a one-time MFA code, exactly six digits.
///
/// The code is a secret: `Debug` prints `TokenCode(** redacted **)`, there is no `Display`, and
/// errors about it never echo it. Read it with [`TokenCode::expose`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenCode(String);

impl TokenCode {
    /// Parses and validates a code. Surrounding whitespace (a typed newline) is trimmed.
    pub fn new(value: impl Into<String>) -> Result<Self, InvalidParameter> {
        let value = value.into();
        let trimmed = value.trim();
        check(
            Parameter::TokenCode,
            trimmed,
            (6, 6),
            "digits",
            |c| c.is_ascii_digit(),
            true,
        )
        .map_err(|e| e.with_rule("must be exactly 6 digits"))?;
        Ok(Self(trimmed.to_owned()))
    }

    /// The code itself. Only pass it to STS.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenCode(** redacted **)")
    }
}

/// `DurationSeconds`: how long the role session lasts, 900-43200 seconds (15 minutes to 12
/// hours). STS also caps it at the role's maximum session duration, and at 3600 seconds when
/// the caller is itself an assumed role (role chaining).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct SessionDuration(u32);

impl SessionDuration {
    /// The shortest session STS grants: 15 minutes.
    const MIN: u64 = 900;
    /// The longest session AssumeRole grants: 12 hours.
    const MAX: u64 = 43_200;
    /// What STS grants when `DurationSeconds` is left out: 1 hour.
    pub(crate) const DEFAULT: SessionDuration = SessionDuration(3600);
    /// The most STS allows when the caller is an assumed role: 1 hour.
    pub(crate) const ROLE_CHAINING_MAX: SessionDuration = SessionDuration(3600);

    /// Validates a number of seconds.
    pub(crate) fn from_secs(secs: u64) -> Result<Self, InvalidParameter> {
        if !(Self::MIN..=Self::MAX).contains(&secs) {
            return Err(InvalidParameter::new(
                Parameter::DurationSeconds,
                "must be 900-43200 seconds",
                format!("{secs}"),
            ));
        }
        Ok(Self(secs as u32))
    }

    /// Validates a duration; it must be whole seconds.
    pub(crate) fn new(duration: Duration) -> Result<Self, InvalidParameter> {
        if duration.subsec_nanos() != 0 {
            return Err(InvalidParameter::new(
                Parameter::DurationSeconds,
                "must be whole seconds",
                format!("{duration:?}"),
            ));
        }
        Self::from_secs(duration.as_secs())
    }

    /// The number of seconds.
    pub(crate) fn as_secs(self) -> u32 {
        self.0
    }

    /// As a [`Duration`].
    pub(crate) fn as_duration(self) -> Duration {
        Duration::from_secs(u64::from(self.0))
    }
}

/// `MinimumSessionTokenSize`: the least size, in bytes, of the session token STS issues, 0 to
/// 4096. STS pads the token to at least this size (0 leaves it as it is), so a client that
/// must reserve room for the token (a header, a cookie, an environment variable) can plan for
/// the size the session will have at its largest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct MinimumSessionTokenSize(u16);

impl MinimumSessionTokenSize {
    /// The most STS allows: 4,096 bytes.
    pub(crate) const MAX: MinimumSessionTokenSize = MinimumSessionTokenSize(4096);

    /// Validates a number of bytes.
    pub(crate) fn new(bytes: u32) -> Result<Self, InvalidParameter> {
        u16::try_from(bytes)
            .ok()
            .filter(|b| *b <= Self::MAX.0)
            .map(Self)
            .ok_or_else(|| {
                InvalidParameter::new(
                    Parameter::MinimumSessionTokenSize,
                    "must be 0-4096 bytes",
                    bytes.to_string(),
                )
            })
    }

    /// The number of bytes.
    pub(crate) fn as_bytes(self) -> u32 {
        u32::from(self.0)
    }
}

/// A session tag: `Tags.member.N.Key` and `Tags.member.N.Value`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Tag {
    key: TagKey,
    value: TagValue,
}

impl Tag {
    pub(crate) fn from_parts(key: TagKey, value: TagValue) -> Self {
        Self { key, value }
    }

    /// The tag's key.
    pub(crate) fn key(&self) -> &TagKey {
        &self.key
    }

    /// The tag's value.
    pub(crate) fn value(&self) -> &TagValue {
        &self.value
    }
}

/// A provided context: `ProvidedContexts.member.N.ProviderArn` and `.ContextAssertion`, a
/// context assertion signed by a trusted context provider (for example IAM Identity Center's
/// trusted identity propagation).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ProvidedContext {
    provider_arn: ProviderArn,
    context_assertion: ContextAssertion,
}

impl ProvidedContext {
    pub(crate) fn from_parts(
        provider_arn: ProviderArn,
        context_assertion: ContextAssertion,
    ) -> Self {
        Self {
            provider_arn,
            context_assertion,
        }
    }

    /// The context provider's ARN.
    pub(crate) fn provider_arn(&self) -> &ProviderArn {
        &self.provider_arn
    }

    /// The signed context assertion.
    pub(crate) fn context_assertion(&self) -> &ContextAssertion {
        &self.context_assertion
    }
}
