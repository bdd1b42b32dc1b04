//! The signed STS actions, answered from the mock's state, and what they share with
//! `AssumeRoleWithWebIdentity` (see `web_identity`).

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use super::faults::StsError;
use super::records::IssuedKind;
use super::state::{Config, RolePolicy, State};
use super::xml::{self, Xml};
use crate::request::{AssumeRoleRequest, InvalidParameter, Parameter, ValidationErrors};

/// One hour: the cap on role chaining, and the default AssumeRole duration.
pub(super) const ONE_HOUR: u64 = 3600;
/// The default GetSessionToken duration (12 hours).
const SESSION_DEFAULT: u64 = 43_200;
/// The GetSessionToken range (15 minutes to 36 hours).
const SESSION_RANGE: std::ops::RangeInclusive<u64> = 900..=129_600;
/// The plaintext budget of inline and managed session policies, in characters.
const POLICY_BUDGET: usize = 2048;

pub(super) type Params = BTreeMap<String, String>;

/// Who signed the request.
#[derive(Debug, Clone)]
pub(super) struct Caller {
    pub(super) arn: String,
    pub(super) user_id: String,
    pub(super) account: String,
    pub(super) kind: CallerKind,
}

/// Which credentials signed the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CallerKind {
    /// The long-term IAM user keys ([`MockSts::source_credentials`](super::MockSts::source_credentials)).
    User,
    /// Role credentials the mock issued.
    Role,
    /// Session credentials the mock issued, with the time MFA was accepted, if it was.
    Session { mfa_at: Option<SystemTime> },
}

/// The account of a role ARN, or the mock's own.
pub(super) fn role_account<'a>(config: &'a Config, role_arn: &'a str) -> &'a str {
    match role_arn.split(':').nth(4) {
        Some(account) if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) => {
            account
        }
        _ => &config.account_id,
    }
}

/// `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`, NAME being the role ARN's last segment.
pub(super) fn assumed_role_arn(config: &Config, role_arn: &str, session: &str) -> String {
    let name = role_arn.rsplit('/').next().unwrap_or(role_arn);
    let account = role_account(config, role_arn);
    format!("arn:aws:sts::{account}:assumed-role/{name}/{session}")
}

/// Checks the request with the crate's own AssumeRole rules.
fn validate_assume_role(params: &Params) -> Result<(), String> {
    parse_assume_role(params)
        .map(drop)
        .map_err(|errors| errors.to_string())
}

/// Parses a request from its query-protocol parameters (`RoleArn`, `Tags.member.1.Key`, …),
/// applying every rule the request builder applies. `Action`, `Version` and unknown names are
/// ignored.
pub(crate) fn parse_assume_role(params: &Params) -> Result<AssumeRoleRequest, ValidationErrors> {
    let get = |k: &str| params.get(k).map(String::as_str);
    let list = |prefix: &str, suffix: &str| -> Vec<&str> {
        (1..)
            .map_while(|i| get(&format!("{prefix}.member.{i}{suffix}")))
            .collect()
    };
    // Problems the builder cannot see: required values left out, a duration that is no number.
    let mut extra = Vec::new();
    let mut required = |name: &str, parameter: Parameter, stand_in: &'static str| match get(name) {
        Some(v) => v.to_owned(),
        None => {
            extra.push(InvalidParameter::new(parameter, "is required", "nothing"));
            stand_in.to_owned()
        }
    };
    let role_arn = required(
        "RoleArn",
        Parameter::RoleArn,
        "arn:aws:iam::000000000000:role/x",
    );
    let session = required("RoleSessionName", Parameter::RoleSessionName, "stand-in");
    let mut b = AssumeRoleRequest::builder(role_arn, session);
    for arn in list("PolicyArns", ".arn") {
        b = b.policy_arn(arn);
    }
    if let Some(p) = get("Policy") {
        b = b.policy(p);
    }
    if let Some(d) = get("DurationSeconds") {
        match d.parse::<u32>() {
            Ok(secs) => b = b.duration(std::time::Duration::from_secs(u64::from(secs))),
            Err(_) => extra.push(InvalidParameter::new(
                Parameter::DurationSeconds,
                "must be 900-43200 seconds",
                format!("{d:?}"),
            )),
        }
    }
    for (i, key) in list("Tags", ".Key").into_iter().enumerate() {
        let value = get(&format!("Tags.member.{}.Value", i + 1)).unwrap_or("");
        b = b.tag(key, value);
    }
    for key in list("TransitiveTagKeys", "") {
        b = b.transitive_tag_key(key);
    }
    if let Some(v) = get("ExternalId") {
        b = b.external_id(v);
    }
    if let Some(v) = get("SerialNumber") {
        b = b.serial_number(v);
    }
    if let Some(v) = get("TokenCode") {
        b = b.token_code(v);
    }
    if let Some(v) = get("SourceIdentity") {
        b = b.source_identity(v);
    }
    if let Some(v) = get("MinimumSessionTokenSize") {
        match v.parse::<u32>() {
            Ok(bytes) => b = b.minimum_session_token_size(bytes),
            Err(_) => extra.push(InvalidParameter::new(
                Parameter::MinimumSessionTokenSize,
                "must be 0-4096 bytes",
                format!("{v:?}"),
            )),
        }
    }
    for (i, arn) in list("ProvidedContexts", ".ProviderArn")
        .into_iter()
        .enumerate()
    {
        let key = format!("ProvidedContexts.member.{}.ContextAssertion", i + 1);
        b = b.provided_context(arn, get(&key).unwrap_or(""));
    }
    let built = b.build();
    if extra.is_empty() {
        return built;
    }
    if let Err(errors) = built {
        extra.extend(errors.iter().cloned());
    }
    Err(ValidationErrors::from_vec(extra).unwrap_or_else(|| unreachable!("not empty")))
}

/// Checks `SerialNumber` + `TokenCode` when both are sent. `Ok(true)`: a good code was sent.
fn check_mfa(state: &mut State, params: &Params, now: SystemTime) -> Result<bool, StsError> {
    match (params.get("SerialNumber"), params.get("TokenCode")) {
        (Some(serial), Some(code)) if state.mfa.verify(serial, code, now) => Ok(true),
        (Some(_), Some(_)) => Err(StsError::mfa_failed()),
        _ => Ok(false),
    }
}

/// `PackedPolicySize`: the percentage of the session policy budget used, when any was sent.
pub(super) fn packed_policy_size(params: &Params) -> Option<usize> {
    let sizes: Vec<usize> = params
        .iter()
        .filter(|(name, _)| {
            *name == "Policy" || (name.starts_with("PolicyArns.member.") && name.ends_with(".arn"))
        })
        .map(|(_, value)| value.chars().count())
        .collect();
    if sizes.is_empty() {
        return None;
    }
    let total: usize = sizes.iter().sum();
    Some((total * 100).div_ceil(POLICY_BUDGET).max(1))
}

/// A `DurationSeconds` beyond the role's maximum session duration is refused, as STS refuses it.
pub(super) fn within_max_session(policy: &RolePolicy, duration: u64) -> Result<(), StsError> {
    if policy
        .max_session_duration
        .is_some_and(|max| duration > max.as_secs())
    {
        return Err(StsError::validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    Ok(())
}

/// `SessionTokenSize`: the session token's length in bytes.
pub(super) fn session_token_size(token: &str) -> Xml {
    Xml::text("SessionTokenSize", token.len().to_string())
}

/// The largest session token the mock issues, its stand-in for STS's (unpublished) limit.
const MAX_TOKEN_BYTES: usize = 8192;

/// `SessionTokenUtilization`: the token's size in percent of [`MAX_TOKEN_BYTES`], or the
/// session policies' share of their budget when that is more (as policies and tags fill the
/// token).
pub(super) fn session_token_utilization(token: &str, params: &Params) -> Xml {
    let of_token = (token.len() * 100).div_ceil(MAX_TOKEN_BYTES);
    let percent = of_token.max(packed_policy_size(params).unwrap_or(0));
    Xml::text("SessionTokenUtilization", percent.to_string())
}

/// `MinimumSessionTokenSize`, as validated.
pub(super) fn minimum_token(params: &Params) -> usize {
    params
        .get("MinimumSessionTokenSize")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0)
}

pub(super) fn assume_role(
    config: &Config,
    state: &mut State,
    caller: &Caller,
    params: &Params,
    now: SystemTime,
) -> Result<Vec<Xml>, StsError> {
    validate_assume_role(params).map_err(StsError::validation)?;
    let role_arn = params.get("RoleArn").map_or("", String::as_str);
    let session = params.get("RoleSessionName").map_or("", String::as_str);
    let duration = params
        .get("DurationSeconds")
        .and_then(|d| d.parse::<u64>().ok())
        .unwrap_or(ONE_HOUR);
    let policy = state.roles.get(role_arn).copied().unwrap_or_default();

    // A role assumed with temporary credentials lasts at most an hour: another role's (role
    // chaining), or an MFA session's from GetSessionToken.
    let temporary = matches!(caller.kind, CallerKind::Role | CallerKind::Session { .. });
    if temporary && duration > ONE_HOUR {
        return Err(StsError::validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining",
        ));
    }
    within_max_session(&policy, duration)?;

    let mfa_age = if check_mfa(state, params, now)? {
        Some(Duration::ZERO)
    } else if let CallerKind::Session { mfa_at: Some(at) } = caller.kind {
        Some(now.duration_since(at).unwrap_or_default())
    } else {
        None
    };
    let denied = || StsError::not_authorized(&caller.arn, "AssumeRole", role_arn);
    if policy.require_mfa && mfa_age.is_none() {
        return Err(denied());
    }
    if let (Some(max), Some(age)) = (policy.max_mfa_age, mfa_age)
        && age >= max
    {
        return Err(denied());
    }

    let role_id = state.role_id(role_arn);
    let kind = IssuedKind::AssumedRole {
        role_arn: role_arn.to_owned(),
        session_name: session.to_owned(),
    };
    let lifetime = config
        .credential_lifetime
        .unwrap_or(Duration::from_secs(duration));
    let issued = state.issue(kind, now, lifetime, minimum_token(params));

    let mut result = Vec::new();
    if let Some(source_identity) = params.get("SourceIdentity") {
        result.push(Xml::text("SourceIdentity", source_identity.as_str()));
    }
    result.push(Xml::Node(
        "AssumedRoleUser",
        vec![
            Xml::text("Arn", assumed_role_arn(config, role_arn, session)),
            Xml::text("AssumedRoleId", format!("{role_id}:{session}")),
        ],
    ));
    result.push(xml::credentials(
        &issued.access_key_id,
        &issued.secret_access_key,
        &issued.session_token,
        issued.expiration,
    ));
    if let Some(size) = packed_policy_size(params) {
        result.push(Xml::text("PackedPolicySize", size.to_string()));
    }
    result.push(session_token_size(&issued.session_token));
    result.push(session_token_utilization(&issued.session_token, params));
    Ok(result)
}

pub(super) fn get_session_token(
    config: &Config,
    state: &mut State,
    caller: &Caller,
    params: &Params,
    now: SystemTime,
) -> Result<Vec<Xml>, StsError> {
    if caller.kind != CallerKind::User {
        return Err(StsError::access_denied(
            "Cannot call GetSessionToken with session credentials",
        ));
    }
    let duration = match params.get("DurationSeconds") {
        None => SESSION_DEFAULT,
        Some(raw) => match raw.parse::<u64>() {
            Ok(secs) if SESSION_RANGE.contains(&secs) => secs,
            _ => {
                return Err(StsError::validation(format!(
                    "1 validation error detected: Value '{raw}' at 'durationSeconds' failed to \
                     satisfy constraint: Member must have value between {} and {}",
                    SESSION_RANGE.start(),
                    SESSION_RANGE.end()
                )));
            }
        },
    };
    if params.contains_key("TokenCode") && !params.contains_key("SerialNumber") {
        return Err(StsError::validation(
            "SerialNumber is required when TokenCode is given",
        ));
    }
    let mfa_at = check_mfa(state, params, now)?.then_some(now);
    let lifetime = config
        .credential_lifetime
        .unwrap_or(Duration::from_secs(duration));
    if minimum_token(params) > 4096 {
        return Err(StsError::validation(
            "1 validation error detected: Value at 'minimumSessionTokenSize' failed to satisfy constraint: Member must have value less than or equal to 4096",
        ));
    }
    let issued = state.issue(
        IssuedKind::Session { mfa_at },
        now,
        lifetime,
        minimum_token(params),
    );
    Ok(vec![
        xml::credentials(
            &issued.access_key_id,
            &issued.secret_access_key,
            &issued.session_token,
            issued.expiration,
        ),
        session_token_size(&issued.session_token),
        session_token_utilization(&issued.session_token, params),
    ])
}

pub(super) fn get_caller_identity(caller: &Caller) -> Vec<Xml> {
    vec![
        Xml::text("Arn", caller.arn.as_str()),
        Xml::text("UserId", caller.user_id.as_str()),
        Xml::text("Account", caller.account.as_str()),
    ]
}

/// The caller behind issued credentials of `kind`.
pub(super) fn issued_caller(config: &Config, state: &mut State, kind: &IssuedKind) -> Caller {
    match kind {
        IssuedKind::AssumedRole {
            role_arn,
            session_name,
        }
        | IssuedKind::WebIdentity {
            role_arn,
            session_name,
        } => Caller {
            arn: assumed_role_arn(config, role_arn, session_name),
            user_id: format!("{}:{session_name}", state.role_id(role_arn)),
            account: role_account(config, role_arn).to_owned(),
            kind: CallerKind::Role,
        },
        IssuedKind::Session { mfa_at } => Caller {
            kind: CallerKind::Session { mfa_at: *mfa_at },
            ..user_caller(config)
        },
    }
}

/// The IAM user owning the source credentials.
pub(super) fn user_caller(config: &Config) -> Caller {
    Caller {
        arn: config.user_arn(),
        user_id: config.user_id.clone(),
        account: config.account_id.clone(),
        kind: CallerKind::User,
    }
}
