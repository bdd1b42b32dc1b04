//! The HTTP side: parse a query-protocol request, authenticate it, apply faults, answer.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use wiremock::{Request, Respond, ResponseTemplate};

use super::actions::{self, Caller};
use super::faults::{FaultAnswer, FaultOutcome, StsError};
use super::records::{Action, RecordedRequest};
use super::state::{Config, Shared, State};
use super::web_identity;
use super::xml::{self, Xml};

/// The only API version STS speaks.
const VERSION: &str = "2011-06-15";

/// Answers every request sent to the mock's server.
#[derive(Debug)]
pub(super) struct Responder {
    pub(super) shared: Arc<Shared>,
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let config = &self.shared.config;
        let mut state = self.shared.state();
        let now = config.time_source.now();
        let params = parse_params(request);
        let action = params.get("Action").and_then(|a| Action::from_wire(a));
        state.requests.push(RecordedRequest {
            action,
            params: params.clone(),
            access_key_id: header(request, "authorization").and_then(credential_key_id),
        });
        let request_id = state.ids.request_id();

        let mut delay = Duration::ZERO;
        if let Some(action) = action {
            *state.calls.entry(action).or_default() += 1;
            delay += state.latency.get(&action).copied().unwrap_or_default();
            let fault = state.faults.get_mut(&action).and_then(VecDeque::pop_front);
            match fault.map(|f| f.outcome()) {
                None => {}
                Some(FaultOutcome::Delay(extra)) => delay += extra,
                Some(FaultOutcome::Answer(answer)) => {
                    return fault_response(answer, action, &request_id)
                        .insert_header("date", http_date(config, now).as_str())
                        .set_delay(delay);
                }
            }
        }

        let response = match handle(config, &mut state, request, &params, now) {
            Ok((action, result)) => {
                xml_response(200, xml::success(action.as_str(), result, &request_id))
            }
            Err(error) => xml_response(error.status, xml::error(&error, &request_id)),
        };
        response
            .insert_header("x-amzn-RequestId", request_id.as_str())
            .insert_header("date", http_date(config, now).as_str())
            .set_delay(delay)
    }
}

/// `Date`, as STS sends it: the mock's own time, so a test can put the machine's clock ahead
/// of or behind STS's; or, when told not to tell, a value that says nothing.
fn http_date(config: &Config, now: SystemTime) -> String {
    if !config.date {
        return "unknown".to_owned();
    }
    aws_smithy_types::DateTime::from(now)
        .fmt(aws_smithy_types::date_time::Format::HttpDate)
        .unwrap_or_default()
}

fn xml_response(status: u16, body: String) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body, "text/xml")
}

/// The answer to a request that drew a fault other than latency.
fn fault_response(answer: FaultAnswer, action: Action, request_id: &str) -> ResponseTemplate {
    let response = match answer {
        FaultAnswer::Error(error) => xml_response(error.status, xml::error(&error, request_id)),
        FaultAnswer::Raw(status, body) => {
            // A proxy in front of STS: no STS request id.
            return ResponseTemplate::new(status).set_body_raw(body, "text/plain");
        }
        FaultAnswer::Malformed => xml_response(
            200,
            "upstream connect error or disconnect/reset before headers }{".to_owned(),
        ),
        FaultAnswer::Truncated => {
            let mut body = xml::success(action.as_str(), sample_result(action), request_id);
            body.truncate(truncation_point(&body));
            xml_response(200, body)
        }
    };
    response.insert_header("x-amzn-RequestId", request_id)
}

/// Where to cut a success body: halfway through the session token when there is one (so
/// the credentials are visibly incomplete), else halfway through the body. Always ASCII.
fn truncation_point(body: &str) -> usize {
    const TOKEN: &str = "<SessionToken>";
    match (body.find(TOKEN), body.find("</SessionToken>")) {
        (Some(start), Some(end)) => {
            let value = start + TOKEN.len();
            value + (end - value) / 2
        }
        _ => body.len() / 2,
    }
}

/// A plausible success result for `action`, issuing nothing.
fn sample_result(action: Action) -> Vec<Xml> {
    let credentials = || {
        xml::credentials(
            "ASIAMOCKTRUNCATED000",
            "truncated/truncated/truncated/truncated0",
            "IQoJb3JpZ2luX2VjEMockTruncatedSessionToken",
            SystemTime::UNIX_EPOCH,
        )
    };
    let assumed_role_user = || {
        Xml::Node(
            "AssumedRoleUser",
            vec![
                Xml::text("Arn", "arn:aws:sts::123456789012:assumed-role/role/session"),
                Xml::text("AssumedRoleId", "AROAMOCKTRUNCATED000:session"),
            ],
        )
    };
    match action {
        Action::AssumeRole => vec![assumed_role_user(), credentials()],
        Action::AssumeRoleWithWebIdentity => vec![
            credentials(),
            Xml::text("SubjectFromWebIdentityToken", "mock-web-identity-subject"),
            assumed_role_user(),
        ],
        Action::GetSessionToken => vec![credentials()],
        Action::GetCallerIdentity => vec![
            Xml::text("Arn", "arn:aws:iam::123456789012:user/mock-user"),
            Xml::text("UserId", "AIDAMOCKTRUNCATED000"),
            Xml::text("Account", "123456789012"),
        ],
    }
}

/// Query-string and form-body parameters, decoded; the body wins on a clash.
fn parse_params(request: &Request) -> BTreeMap<String, String> {
    request
        .url
        .query_pairs()
        .chain(form_urlencoded::parse(&request.body))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// `AKID` from `AWS4-HMAC-SHA256 Credential=AKID/date/region/sts/aws4_request, …`.
fn credential_key_id(authorization: &str) -> Option<String> {
    let (_, credential) = authorization.split_once("Credential=")?;
    let key_id = credential.split('/').next()?.trim();
    (!key_id.is_empty()).then(|| key_id.to_owned())
}

/// Runs a request that drew no fault: checks action, version and caller (for the signed
/// actions), then answers.
fn handle(
    config: &Config,
    state: &mut State,
    request: &Request,
    params: &BTreeMap<String, String>,
    now: SystemTime,
) -> Result<(Action, Vec<Xml>), StsError> {
    let name = params
        .get("Action")
        .ok_or_else(|| StsError::new(400, "MissingAction", "Missing Action"))?;
    let version = params.get("Version").map(String::as_str);
    let action = Action::from_wire(name)
        .filter(|_| version == Some(VERSION))
        .ok_or_else(|| {
            StsError::new(
                400,
                "InvalidAction",
                format!(
                    "Could not find operation {name} for version {}",
                    version.unwrap_or("NO_VERSION_SPECIFIED")
                ),
            )
        })?;
    let result = match action {
        // Unsigned on the wire: the token, not a signature, says who calls.
        Action::AssumeRoleWithWebIdentity => {
            web_identity::assume_role_with_web_identity(config, state, params, now)?
        }
        Action::AssumeRole => {
            let caller = authenticate(config, state, request, now)?;
            actions::assume_role(config, state, &caller, params, now)?
        }
        Action::GetSessionToken => {
            let caller = authenticate(config, state, request, now)?;
            actions::get_session_token(config, state, &caller, params, now)?
        }
        Action::GetCallerIdentity => {
            actions::get_caller_identity(&authenticate(config, state, request, now)?)
        }
    };
    Ok((action, result))
}

/// The caller, if the request is signed with keys the mock knows and they are still valid.
fn authenticate(
    config: &Config,
    state: &mut State,
    request: &Request,
    now: SystemTime,
) -> Result<Caller, StsError> {
    let key_id = header(request, "authorization")
        .and_then(credential_key_id)
        .ok_or_else(|| {
            StsError::new(
                403,
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            )
        })?;
    if key_id == config.source_access_key_id {
        return Ok(actions::user_caller(config));
    }
    let issued = state
        .issued
        .iter()
        .find(|issued| issued.access_key_id == key_id)
        .ok_or_else(StsError::invalid_client_token_id)?;
    let token_matches =
        header(request, "x-amz-security-token").is_some_and(|t| issued.has_session_token(t));
    if !token_matches {
        return Err(StsError::invalid_client_token_id());
    }
    if issued.expiration <= now {
        return Err(StsError::expired_token());
    }
    if state.revoked.contains(&key_id) {
        return Err(StsError::invalid_client_token_id());
    }
    let kind = issued.kind.clone();
    Ok(actions::issued_caller(config, state, &kind))
}

#[cfg(test)]
mod tests {
    use super::credential_key_id;

    #[test]
    fn the_key_id_comes_from_the_credential_scope() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/sts/aws4_request, \
                      SignedHeaders=host;x-amz-date, Signature=abc";
        assert_eq!(credential_key_id(header).as_deref(), Some("AKIAEXAMPLE"));
        assert_eq!(credential_key_id("Bearer x"), None);
    }
}
