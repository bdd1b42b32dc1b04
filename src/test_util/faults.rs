//! Failures the mock can be told to answer with, and the STS error responses themselves.

use std::time::Duration;

/// The message STS sends when an MFA code is wrong, stale or already used.
pub const MFA_FAILED_MESSAGE: &str =
    "MultiFactorAuthentication failed with invalid MFA one time pass code. ";

/// A failure to answer one request with (see [`MockSts::push_fault`]).
///
/// [`MockSts::push_fault`]: super::MockSts::push_fault
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 400 `Throttling`, "Rate exceeded".
    Throttling,
    /// A bare HTTP error with this status (e.g. 500, 503) and a plain-text body, as a load
    /// balancer in front of STS would send.
    ServerError(u16),
    /// 500 `InternalFailure`.
    InternalFailure,
    /// 503 `ServiceUnavailable`.
    ServiceUnavailable,
    /// 400 `IDPCommunicationError`.
    IdpCommunicationError,
    /// Delays this one response by the duration, then answers normally.
    Latency(Duration),
    /// 200 with a body that is not XML.
    MalformedBody,
    /// 200 with a valid success body cut off: halfway through `SessionToken` for actions that
    /// issue credentials, halfway through the body for `GetCallerIdentity`. Nothing is issued.
    ///
    /// A strict XML parser rejects it. The AWS SDK's decoder (aws-sdk-sts 1.124) is lenient
    /// and returns what it read: `Credentials` with a partial session token and an
    /// expiration at the Unix epoch, or a `GetCallerIdentity` output without `Account`.
    /// Code that trusts the SDK must check for that.
    TruncatedBody,
    /// 403 `AccessDenied` with this message.
    AccessDenied(String),
    /// 403 `AccessDenied` with the message STS sends for a rejected MFA code.
    MfaDenied,
    /// Any STS error: HTTP status, error code and message. `Type` is `Receiver` for a 5xx
    /// status and `Sender` otherwise.
    Error {
        /// The HTTP status.
        status: u16,
        /// The error code, e.g. `RegionDisabledException`.
        code: String,
        /// The error message.
        message: String,
    },
}

/// An STS error answer: the status and the fields of the `ErrorResponse` document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct StsError {
    pub(super) status: u16,
    pub(super) code: String,
    pub(super) message: String,
}

impl StsError {
    pub(super) fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// `Sender` for the caller's mistakes, `Receiver` for the service's.
    pub(super) fn error_type(&self) -> &'static str {
        if self.status >= 500 {
            "Receiver"
        } else {
            "Sender"
        }
    }

    pub(super) fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "ValidationError", message)
    }

    pub(super) fn access_denied(message: impl Into<String>) -> Self {
        Self::new(403, "AccessDenied", message)
    }

    pub(super) fn mfa_failed() -> Self {
        Self::access_denied(MFA_FAILED_MESSAGE)
    }

    pub(super) fn not_authorized(caller_arn: &str, action: &str, resource: &str) -> Self {
        Self::access_denied(format!(
            "User: {caller_arn} is not authorized to perform: sts:{action} on resource: {resource}"
        ))
    }

    pub(super) fn invalid_client_token_id() -> Self {
        Self::new(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    }

    pub(super) fn expired_token() -> Self {
        Self::new(
            400,
            "ExpiredToken",
            "The security token included in the request is expired",
        )
    }
}

/// How a fault turns into a response.
pub(super) enum FaultOutcome {
    /// Answer normally after this extra delay.
    Delay(Duration),
    /// Answer this instead of handling the request.
    Answer(FaultAnswer),
}

/// A response that replaces the normal answer.
pub(super) enum FaultAnswer {
    /// Answer with this STS error.
    Error(StsError),
    /// Answer with this status and plain-text body.
    Raw(u16, &'static str),
    /// Answer 200 with a body that is not XML.
    Malformed,
    /// Answer 200 with the first half of a success body.
    Truncated,
}

impl Fault {
    pub(super) fn outcome(&self) -> FaultOutcome {
        let error = |status, code, message: &str| StsError::new(status, code, message);
        let answer = match self {
            Fault::Throttling => FaultAnswer::Error(error(400, "Throttling", "Rate exceeded")),
            Fault::ServerError(status) => FaultAnswer::Raw(*status, reason_phrase(*status)),
            Fault::InternalFailure => FaultAnswer::Error(error(
                500,
                "InternalFailure",
                "An internal error occurred. Try again.",
            )),
            Fault::ServiceUnavailable => {
                FaultAnswer::Error(error(503, "ServiceUnavailable", "Service unavailable"))
            }
            Fault::IdpCommunicationError => FaultAnswer::Error(error(
                400,
                "IDPCommunicationError",
                "The request could not be fulfilled because the identity provider (IDP) \
                 that was asked to verify the incoming identity token could not be reached.",
            )),
            Fault::Latency(d) => return FaultOutcome::Delay(*d),
            Fault::MalformedBody => FaultAnswer::Malformed,
            Fault::TruncatedBody => FaultAnswer::Truncated,
            Fault::AccessDenied(message) => FaultAnswer::Error(StsError::access_denied(message)),
            Fault::MfaDenied => FaultAnswer::Error(StsError::mfa_failed()),
            Fault::Error {
                status,
                code,
                message,
            } => FaultAnswer::Error(StsError::new(*status, code, message.clone())),
        };
        FaultOutcome::Answer(answer)
    }
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}
