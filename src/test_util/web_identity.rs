//! `AssumeRoleWithWebIdentity`: which tokens the mock accepts, what it reads from them, and
//! the action itself.

use std::collections::HashSet;
use std::fmt;
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use super::actions::{self, ONE_HOUR, Params};
use super::faults::StsError;
use super::records::IssuedKind;
use super::state::{Config, State};
use super::xml::{self, Xml};

/// `WebIdentityToken`: 4-20000 characters.
const TOKEN_LENGTH: (usize, usize) = (4, 20_000);
/// `ProviderId`: 4-2048 characters.
const PROVIDER_ID_LENGTH: (usize, usize) = (4, 2048);
/// The parameters `AssumeRoleWithWebIdentity` shares with `AssumeRole`, checked by the same
/// rules. Other `AssumeRole` parameters (tags, MFA, …) are not part of this action.
const SHARED: [&str; 6] = [
    "RoleArn",
    "RoleSessionName",
    "PolicyArns.member.",
    "Policy",
    "DurationSeconds",
    "MinimumSessionTokenSize",
];
/// The JWT claim STS reads a source identity from.
const SOURCE_IDENTITY_CLAIM: &str = "https://aws.amazon.com/source_identity";

/// Which web identity tokens pass. By default every well-formed token does.
#[derive(Default)]
pub(super) struct WebIdentityTokens {
    /// Only this token passes, when set.
    pub(super) accepted: Option<String>,
    /// Tokens that count as expired.
    pub(super) expired: HashSet<String>,
}

impl fmt::Debug for WebIdentityTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebIdentityTokens")
            .field(
                "accepted",
                &self.accepted.as_ref().map(|_| "** redacted **"),
            )
            .field("expired", &self.expired.len())
            .finish()
    }
}

impl WebIdentityTokens {
    /// `ExpiredTokenException` for an expired token, `InvalidIdentityToken` for one that is
    /// not the accepted token. Neither error shows the token.
    fn check(&self, token: &str) -> Result<(), StsError> {
        if self.expired.contains(token) {
            return Err(StsError::new(
                400,
                "ExpiredTokenException",
                "The web identity token that was passed is expired or is not valid. Get a new \
                 identity token from the identity provider and then retry the request.",
            ));
        }
        if self
            .accepted
            .as_ref()
            .is_some_and(|accepted| accepted != token)
        {
            return Err(StsError::new(
                400,
                "InvalidIdentityToken",
                "Couldn't retrieve verification key from your identity provider, please \
                 reference AssumeRoleWithWebIdentity documentation for requirements",
            ));
        }
        Ok(())
    }
}

/// What the mock reads from a token that is a JWT (`header.payload.signature`, base64url):
/// the claims of its payload. Other tokens (opaque OAuth 2.0 access tokens) have none.
fn claims(token: &str) -> Map<String, Value> {
    let mut parts = token.split('.');
    let payload = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(payload), Some(_), None) => payload,
        _ => return Map::new(),
    };
    let mut standard: String = payload
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !standard.len().is_multiple_of(4) {
        standard.push('=');
    }
    aws_smithy_types::base64::decode(&standard)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|value| match value {
            Value::Object(claims) => Some(claims),
            _ => None,
        })
        .unwrap_or_default()
}

/// A string claim; for `aud`, which may be a list, its first entry.
fn claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    match claims.get(name)? {
        Value::String(s) => Some(s),
        Value::Array(list) => list.first().and_then(Value::as_str),
        _ => None,
    }
}

/// `"{Name}: must be {min}-{max} characters, got {n} characters"`, as the crate's own
/// validation errors read. Only the length is shown: the value may be a secret.
fn check_length(name: &str, value: &str, (min, max): (usize, usize)) -> Option<String> {
    let len = value.chars().count();
    (len < min || len > max).then(|| {
        let unit = if len == 1 { "character" } else { "characters" };
        format!("{name}: must be {min}-{max} characters, got {len} {unit}")
    })
}

/// Checks the request as STS does; the message lists every problem.
fn validate(params: &Params) -> Result<(), StsError> {
    let shared: Params = params
        .iter()
        .filter(|(name, _)| {
            SHARED
                .iter()
                .any(|s| name.as_str() == *s || (s.ends_with('.') && name.starts_with(s)))
        })
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let mut problems = Vec::new();
    if let Err(errors) = actions::parse_assume_role(&shared) {
        problems.push(errors.to_string());
    }
    match params.get("WebIdentityToken") {
        None => problems.push("WebIdentityToken: is required, got nothing".to_owned()),
        Some(token) => problems.extend(check_length("WebIdentityToken", token, TOKEN_LENGTH)),
    }
    if let Some(provider_id) = params.get("ProviderId") {
        problems.extend(check_length("ProviderId", provider_id, PROVIDER_ID_LENGTH));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(StsError::validation(problems.join("; ")))
    }
}

/// `AssumeRoleWithWebIdentity`, unsigned: checks the request and the token, applies the role's
/// settings, and issues role credentials.
pub(super) fn assume_role_with_web_identity(
    config: &Config,
    state: &mut State,
    params: &Params,
    now: SystemTime,
) -> Result<Vec<Xml>, StsError> {
    validate(params)?;
    let get = |name: &str| params.get(name).map_or("", String::as_str);
    let (role_arn, session, token) = (
        get("RoleArn"),
        get("RoleSessionName"),
        get("WebIdentityToken"),
    );
    state.web_identity.check(token)?;
    let duration = params
        .get("DurationSeconds")
        .and_then(|d| d.parse::<u64>().ok())
        .unwrap_or(ONE_HOUR);
    let policy = state.roles.get(role_arn).copied().unwrap_or_default();
    actions::within_max_session(&policy, duration)?;
    // A web identity carries no MFA, so a trust policy asking for it never matches.
    if policy.require_mfa {
        return Err(StsError::access_denied(
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        ));
    }

    let role_id = state.role_id(role_arn);
    let kind = IssuedKind::WebIdentity {
        role_arn: role_arn.to_owned(),
        session_name: session.to_owned(),
    };
    let lifetime = config
        .credential_lifetime
        .unwrap_or(Duration::from_secs(duration));
    let issued = state.issue(kind, now, lifetime, actions::minimum_token(params));

    let claims = claims(token);
    let mut result = vec![
        xml::credentials(
            &issued.access_key_id,
            &issued.secret_access_key,
            &issued.session_token,
            issued.expiration,
        ),
        Xml::text(
            "SubjectFromWebIdentityToken",
            claim(&claims, "sub").unwrap_or("mock-web-identity-subject"),
        ),
        Xml::Node(
            "AssumedRoleUser",
            vec![
                Xml::text("Arn", actions::assumed_role_arn(config, role_arn, session)),
                Xml::text("AssumedRoleId", format!("{role_id}:{session}")),
            ],
        ),
    ];
    if let Some(size) = actions::packed_policy_size(params) {
        result.push(Xml::text("PackedPolicySize", size.to_string()));
    }
    let provider = match (params.get("ProviderId"), claim(&claims, "iss")) {
        (Some(provider_id), _) => Some(provider_id.clone()),
        (None, Some(issuer)) => Some(format!(
            "arn:aws:iam::{}:oidc-provider/{}",
            actions::role_account(config, role_arn),
            issuer.strip_prefix("https://").unwrap_or(issuer)
        )),
        (None, None) => None,
    };
    if let Some(provider) = provider {
        result.push(Xml::text("Provider", provider));
    }
    if let Some(audience) = claim(&claims, "aud") {
        result.push(Xml::text("Audience", audience));
    }
    if let Some(source_identity) = claim(&claims, SOURCE_IDENTITY_CLAIM) {
        result.push(Xml::text("SourceIdentity", source_identity));
    }
    result.push(actions::session_token_size(&issued.session_token));
    result.push(actions::session_token_utilization(
        &issued.session_token,
        params,
    ));
    Ok(result)
}

/// A JWT with these claims and a stand-in signature, for tests.
#[cfg(test)]
pub(super) fn jwt(claims: &Value) -> String {
    let part = |json: String| {
        aws_smithy_types::base64::encode(json)
            .trim_end_matches('=')
            .replace('+', "-")
            .replace('/', "_")
    };
    format!(
        "{}.{}.c2lnbmF0dXJl",
        part(r#"{"alg":"RS256","typ":"JWT"}"#.to_owned()),
        part(claims.to_string())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_come_from_a_jwt_payload_and_never_from_other_tokens() {
        // `?>` encodes to `Pz4` in base64: its url-safe form tests the alphabet.
        let token = jwt(
            &serde_json::json!({"sub": "system:serviceaccount:ns:sa?>", "aud": ["sts.amazonaws.com", "x"]}),
        );
        let claims = claims(&token);
        assert_eq!(claim(&claims, "sub"), Some("system:serviceaccount:ns:sa?>"));
        assert_eq!(claim(&claims, "aud"), Some("sts.amazonaws.com"));
        assert_eq!(claim(&claims, "iss"), None);
        for opaque in [
            "opaque-token",
            "a.b.c",
            "a.b.c.d",
            "..",
            "a.!!!.c",
            "a.MQ.c",
        ] {
            assert!(super::claims(opaque).is_empty(), "{opaque}");
        }
    }

    #[test]
    fn length_errors_show_the_length_and_never_the_value() {
        let message = check_length("WebIdentityToken", "abc", TOKEN_LENGTH).unwrap();
        assert_eq!(
            message,
            "WebIdentityToken: must be 4-20000 characters, got 3 characters"
        );
        assert_eq!(check_length("ProviderId", "abcd", PROVIDER_ID_LENGTH), None);
    }

    #[test]
    fn debug_of_the_token_rules_hides_the_tokens() {
        let mut tokens = WebIdentityTokens {
            accepted: Some("the-accepted-token".to_owned()),
            ..WebIdentityTokens::default()
        };
        tokens.expired.insert("the-expired-token".to_owned());
        let printed = format!("{tokens:?}");
        assert!(!printed.contains("accepted-token"), "{printed}");
        assert!(!printed.contains("expired-token"), "{printed}");
    }
}
