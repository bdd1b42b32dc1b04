//! Errors: invalid input (found before any network call) and failed STS calls.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

use aws_credential_types::provider::error::CredentialsError;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// An AssumeRole parameter, named as on the wire (query protocol). Indexed parameters carry
/// their 1-based position in the request when it is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Parameter {
    /// `RoleArn`
    RoleArn,
    /// `RoleSessionName`
    RoleSessionName,
    /// `PolicyArns` as a whole (their count).
    PolicyArns,
    /// `PolicyArns.member.N.arn`
    PolicyArn(Option<usize>),
    /// `Policy`
    Policy,
    /// `DurationSeconds`
    DurationSeconds,
    /// `Tags` as a whole (their count, duplicate keys).
    Tags,
    /// `Tags.member.N.Key`
    TagKey(Option<usize>),
    /// `Tags.member.N.Value`
    TagValue(Option<usize>),
    /// `TransitiveTagKeys` as a whole (their count).
    TransitiveTagKeys,
    /// `TransitiveTagKeys.member.N`
    TransitiveTagKey(Option<usize>),
    /// `ExternalId`
    ExternalId,
    /// `SerialNumber`
    SerialNumber,
    /// `TokenCode`
    TokenCode,
    /// `SourceIdentity`
    SourceIdentity,
    /// `ProvidedContexts` as a whole (their count).
    ProvidedContexts,
    /// `ProvidedContexts.member.N.ProviderArn`
    ProviderArn(Option<usize>),
    /// `ProvidedContexts.member.N.ContextAssertion`
    ContextAssertion(Option<usize>),
}

impl Parameter {
    /// The same parameter at a 1-based position in its list. Scalar parameters are unchanged.
    #[must_use]
    pub fn at(self, index: usize) -> Self {
        let i = Some(index);
        match self {
            Parameter::PolicyArn(_) => Parameter::PolicyArn(i),
            Parameter::TagKey(_) => Parameter::TagKey(i),
            Parameter::TagValue(_) => Parameter::TagValue(i),
            Parameter::TransitiveTagKey(_) => Parameter::TransitiveTagKey(i),
            Parameter::ProviderArn(_) => Parameter::ProviderArn(i),
            Parameter::ContextAssertion(_) => Parameter::ContextAssertion(i),
            other => other,
        }
    }
}

impl Parameter {
    /// The 1-based position in its list, for indexed parameters whose position is known.
    pub fn index(self) -> Option<usize> {
        match self {
            Parameter::PolicyArn(i)
            | Parameter::TagKey(i)
            | Parameter::TagValue(i)
            | Parameter::TransitiveTagKey(i)
            | Parameter::ProviderArn(i)
            | Parameter::ContextAssertion(i) => i,
            _ => None,
        }
    }
}

impl fmt::Display for Parameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn n(f: &mut fmt::Formatter<'_>, i: &Option<usize>) -> fmt::Result {
            match i {
                Some(i) => write!(f, "{i}"),
                None => f.write_str("N"),
            }
        }
        match self {
            Parameter::RoleArn => f.write_str("RoleArn"),
            Parameter::RoleSessionName => f.write_str("RoleSessionName"),
            Parameter::PolicyArns => f.write_str("PolicyArns"),
            Parameter::PolicyArn(i) => {
                f.write_str("PolicyArns.member.")?;
                n(f, i)?;
                f.write_str(".arn")
            }
            Parameter::Policy => f.write_str("Policy"),
            Parameter::DurationSeconds => f.write_str("DurationSeconds"),
            Parameter::Tags => f.write_str("Tags"),
            Parameter::TagKey(i) => {
                f.write_str("Tags.member.")?;
                n(f, i)?;
                f.write_str(".Key")
            }
            Parameter::TagValue(i) => {
                f.write_str("Tags.member.")?;
                n(f, i)?;
                f.write_str(".Value")
            }
            Parameter::TransitiveTagKeys => f.write_str("TransitiveTagKeys"),
            Parameter::TransitiveTagKey(i) => {
                f.write_str("TransitiveTagKeys.member.")?;
                n(f, i)
            }
            Parameter::ExternalId => f.write_str("ExternalId"),
            Parameter::SerialNumber => f.write_str("SerialNumber"),
            Parameter::TokenCode => f.write_str("TokenCode"),
            Parameter::SourceIdentity => f.write_str("SourceIdentity"),
            Parameter::ProvidedContexts => f.write_str("ProvidedContexts"),
            Parameter::ProviderArn(i) => {
                f.write_str("ProvidedContexts.member.")?;
                n(f, i)?;
                f.write_str(".ProviderArn")
            }
            Parameter::ContextAssertion(i) => {
                f.write_str("ProvidedContexts.member.")?;
                n(f, i)?;
                f.write_str(".ContextAssertion")
            }
        }
    }
}

/// One parameter broke one rule. `Display` reads like
/// `RoleSessionName: must be 2-64 characters of [\w+=,.@-], got 1 character`.
///
/// The offending value is never echoed for secrets (`TokenCode`); for other parameters only a
/// length, a character or a short prefix is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidParameter {
    parameter: Parameter,
    rule: Cow<'static, str>,
    found: String,
}

impl InvalidParameter {
    pub(crate) fn new(
        parameter: Parameter,
        rule: impl Into<Cow<'static, str>>,
        found: impl Into<String>,
    ) -> Self {
        Self {
            parameter,
            rule: rule.into(),
            found: found.into(),
        }
    }

    pub(crate) fn with_rule(mut self, rule: &'static str) -> Self {
        self.rule = Cow::Borrowed(rule);
        self
    }

    pub(crate) fn at(mut self, index: usize) -> Self {
        self.parameter = self.parameter.at(index);
        self
    }

    /// The parameter at fault.
    pub fn parameter(&self) -> Parameter {
        self.parameter
    }

    /// The rule it broke, e.g. `must be 2-64 characters of [\w+=,.@-]`.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// What was found instead, e.g. `1 character`.
    pub fn found(&self) -> &str {
        &self.found
    }
}

impl fmt::Display for InvalidParameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}, got {}", self.parameter, self.rule, self.found)
    }
}

impl StdError for InvalidParameter {}

/// Every problem found in a request, in parameter order. Never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationErrors(Vec<InvalidParameter>);

impl ValidationErrors {
    pub(crate) fn from_vec(errors: Vec<InvalidParameter>) -> Option<Self> {
        if errors.is_empty() {
            None
        } else {
            Some(Self(errors))
        }
    }

    /// The problems, one per broken rule.
    pub fn iter(&self) -> std::slice::Iter<'_, InvalidParameter> {
        self.0.iter()
    }

    /// How many problems were found.
    #[allow(clippy::len_without_is_empty)] // never empty
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether any problem concerns `parameter` (index ignored when `parameter` has none).
    pub fn contains(&self, parameter: Parameter) -> bool {
        self.0.iter().any(|e| {
            std::mem::discriminant(&e.parameter) == std::mem::discriminant(&parameter)
                && (parameter.index().is_none() || e.parameter == parameter)
        })
    }
}

impl<'a> IntoIterator for &'a ValidationErrors {
    type Item = &'a InvalidParameter;
    type IntoIter = std::slice::Iter<'a, InvalidParameter>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl StdError for ValidationErrors {}

impl From<InvalidParameter> for ValidationErrors {
    fn from(e: InvalidParameter) -> Self {
        Self(vec![e])
    }
}

/// An STS error code, from `<Error><Code>`. Both spellings, `X` and `XException`, parse to the
/// same variant.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StsErrorCode {
    /// `Throttling`: rate exceeded. Retry with jittered backoff.
    Throttling,
    /// `InternalFailure`: an STS fault. Retry.
    InternalFailure,
    /// `ServiceUnavailable`: an STS fault. Retry.
    ServiceUnavailable,
    /// `IDPCommunicationError`: STS could not reach an identity provider. Retry.
    IdpCommunicationError,
    /// `AccessDenied`: the trust policy denies the caller, or an MFA code was wrong or reused.
    AccessDenied,
    /// `ExpiredToken`: the caller's own (source) credentials have expired.
    ExpiredToken,
    /// `InvalidClientTokenId`: the caller's own (source) credentials are not valid.
    InvalidClientTokenId,
    /// `MalformedPolicyDocument`: the session policy is not valid. A configuration error.
    MalformedPolicyDocument,
    /// `PackedPolicyTooLarge`: the session policies and tags are too large. A configuration error.
    PackedPolicyTooLarge,
    /// `RegionDisabledException`: STS is not activated in the region. A configuration error.
    RegionDisabled,
    /// `ValidationError`: STS rejected a parameter. A configuration error.
    ValidationError,
    /// Any other code, as STS sent it.
    Other(String),
}

impl StsErrorCode {
    /// Parses a code, accepting `X` and `XException` alike.
    pub fn parse(code: &str) -> Self {
        let base = code.strip_suffix("Exception").unwrap_or(code);
        match base {
            "Throttling" => Self::Throttling,
            "InternalFailure" => Self::InternalFailure,
            "ServiceUnavailable" => Self::ServiceUnavailable,
            "IDPCommunicationError" => Self::IdpCommunicationError,
            "AccessDenied" => Self::AccessDenied,
            "ExpiredToken" => Self::ExpiredToken,
            "InvalidClientTokenId" => Self::InvalidClientTokenId,
            "MalformedPolicyDocument" => Self::MalformedPolicyDocument,
            "PackedPolicyTooLarge" => Self::PackedPolicyTooLarge,
            "RegionDisabled" => Self::RegionDisabled,
            "ValidationError" => Self::ValidationError,
            _ => Self::Other(code.to_owned()),
        }
    }

    /// The code as STS spells it (without `Exception`, except `RegionDisabledException`).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Throttling => "Throttling",
            Self::InternalFailure => "InternalFailure",
            Self::ServiceUnavailable => "ServiceUnavailable",
            Self::IdpCommunicationError => "IDPCommunicationError",
            Self::AccessDenied => "AccessDenied",
            Self::ExpiredToken => "ExpiredToken",
            Self::InvalidClientTokenId => "InvalidClientTokenId",
            Self::MalformedPolicyDocument => "MalformedPolicyDocument",
            Self::PackedPolicyTooLarge => "PackedPolicyTooLarge",
            Self::RegionDisabled => "RegionDisabledException",
            Self::ValidationError => "ValidationError",
            Self::Other(code) => code,
        }
    }

    /// Whether the same call may succeed if tried again later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Throttling
                | Self::InternalFailure
                | Self::ServiceUnavailable
                | Self::IdpCommunicationError
        )
    }

    /// Whether the request or the account is misconfigured, so only a change of configuration
    /// can help.
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            Self::MalformedPolicyDocument
                | Self::PackedPolicyTooLarge
                | Self::RegionDisabled
                | Self::ValidationError
        )
    }
}

impl fmt::Display for StsErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The message STS sends when an MFA code is wrong, stale or reused.
pub(crate) const MFA_FAILED_PREFIX: &str = "MultiFactorAuthentication failed";

/// Why an STS call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request broke STS's rules; found locally, nothing was sent.
    #[error("invalid AssumeRole request")]
    InvalidRequest(#[from] ValidationErrors),

    /// STS answered with an error.
    #[error("STS returned {code} (HTTP {status}){}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Sts {
        /// The parsed `<Code>`.
        code: StsErrorCode,
        /// STS's `<Message>`.
        message: Option<String>,
        /// STS's request ID, for AWS support.
        request_id: Option<String>,
        /// The HTTP status.
        status: u16,
        /// The SDK's error.
        #[source]
        source: BoxError,
    },

    /// STS could not be reached (DNS, connection, TLS, I/O).
    #[error("could not reach STS")]
    Dispatch(#[source] BoxError),

    /// The call timed out.
    #[error("STS call timed out")]
    Timeout(#[source] BoxError),

    /// STS's response could not be read (truncated or malformed body).
    #[error("could not read STS's response")]
    Response(#[source] BoxError),

    /// STS's answer lacked the credentials or fields every answer carries (for example a body
    /// cut short). Retryable.
    #[error("STS response is missing {0}")]
    IncompleteResponse(&'static str),

    /// No MFA code could be had; STS was not called.
    #[error("no MFA code")]
    Mfa(#[from] crate::mfa::MfaError),

    /// The request could not be built by the SDK (for example, no region is configured).
    #[error("could not build the STS request")]
    Construction(#[source] BoxError),
}

impl Error {
    /// Whether trying again later may succeed: throttling, STS faults, timeouts, connection
    /// errors and unreadable responses.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Sts { code, status, .. } => code.is_retryable() || *status >= 500,
            Error::Dispatch(_)
            | Error::Timeout(_)
            | Error::Response(_)
            | Error::IncompleteResponse(_) => true,
            Error::InvalidRequest(_) | Error::Construction(_) | Error::Mfa(_) => false,
        }
    }

    /// Whether only a change of configuration can fix it: an invalid request, or STS's
    /// `MalformedPolicyDocument`, `PackedPolicyTooLarge`, `RegionDisabledException`,
    /// `ValidationError`.
    pub fn is_configuration(&self) -> bool {
        match self {
            Error::InvalidRequest(_) | Error::Construction(_) => true,
            Error::Sts { code, .. } => code.is_configuration(),
            _ => false,
        }
    }

    /// Whether STS rejected the MFA code (wrong, stale or already used). Ask for a new code.
    pub fn is_mfa_rejected(&self) -> bool {
        matches!(self, Error::Sts { code: StsErrorCode::AccessDenied, message: Some(m), .. } if m.starts_with(MFA_FAILED_PREFIX))
    }

    /// The STS error code, when STS answered with one.
    pub fn sts_code(&self) -> Option<&StsErrorCode> {
        match self {
            Error::Sts { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl From<Error> for CredentialsError {
    fn from(e: Error) -> Self {
        if e.is_configuration() {
            CredentialsError::invalid_configuration(e)
        } else {
            CredentialsError::provider_error(e)
        }
    }
}
