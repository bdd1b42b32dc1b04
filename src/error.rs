//! Why loading credentials failed: STS's error codes and the crate's [`Error`].

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use aws_credential_types::provider::error::CredentialsError;

use crate::mfa::MfaError;
use crate::request::ValidationErrors;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

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

/// Why loading credentials failed: an invalid request (found before anything was sent), an STS
/// error, a network fault, no MFA code, or source credentials that could not be loaded.
///
/// Every failure of this crate's providers reaches the SDK as a
/// [`CredentialsError`] whose source chain holds one of these; [`Error::find_in`] gets it back
/// out of any error, an SDK client's included.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request broke STS's rules; found locally, nothing was sent.
    #[error("invalid AssumeRole request")]
    InvalidRequest(#[from] ValidationErrors),

    /// STS answered with an error.
    #[error("STS returned {code} (HTTP {status}){}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    #[non_exhaustive]
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
    Mfa(#[from] MfaError),

    /// The request could not be built by the SDK (for example, no region is configured).
    #[error("could not build the STS request")]
    Construction(#[source] BoxError),

    /// The source credentials, which sign the call to STS, could not be loaded; STS was not
    /// called. When the source is another provider of this crate, its own [`Error`] is in the
    /// source chain.
    #[error("could not load the source credentials")]
    SourceCredentials(#[source] CredentialsError),

    /// STS answered with credentials that expire too soon to serve: in less than a second on
    /// STS's clock, or, when STS's time is not known (its answers had no readable `Date`),
    /// within the mandatory window of a full session on this machine's clock, which may be
    /// ahead of STS's. Retryable, with backoff; they are never served.
    #[error("STS returned credentials that expire in {remaining:?}, too soon to serve")]
    #[non_exhaustive]
    ExpiredOnArrival {
        /// How long they had left (zero: expired already).
        remaining: std::time::Duration,
    },

    /// The refresh panicked: a credentials source, a credential cache or other code it runs
    /// panicked (a panic in an MFA token source is [`MfaError::Panicked`]). Not retryable: the
    /// same code would panic again.
    #[error("the credential refresh panicked")]
    Panicked,

    /// The refresh was stopped before it finished, because the async runtime it ran on shut
    /// down. Retryable: the next load starts a new refresh.
    #[error("the credential refresh was cancelled: its runtime shut down")]
    Cancelled,
}

impl Error {
    /// Whether trying again later may succeed: throttling, STS faults, timeouts, connection
    /// errors, unreadable responses, a cancelled refresh, and source credentials that failed
    /// for one of these reasons.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Sts { code, status, .. } => code.is_retryable() || *status >= 500,
            Error::Dispatch(_)
            | Error::Timeout(_)
            | Error::Response(_)
            | Error::IncompleteResponse(_)
            | Error::ExpiredOnArrival { .. }
            | Error::Cancelled => true,
            Error::SourceCredentials(e) => match Error::find_in(e) {
                Some(inner) => inner.is_retryable(),
                None => matches!(
                    e,
                    CredentialsError::ProviderTimedOut(_) | CredentialsError::ProviderError(_)
                ),
            },
            Error::InvalidRequest(_) | Error::Construction(_) | Error::Mfa(_) | Error::Panicked => {
                false
            }
        }
    }

    /// Whether only a change of configuration can fix it: an invalid request, STS's
    /// `MalformedPolicyDocument`, `PackedPolicyTooLarge`, `RegionDisabledException` or
    /// `ValidationError`, or source credentials that are misconfigured or absent.
    pub fn is_configuration(&self) -> bool {
        match self {
            Error::InvalidRequest(_) | Error::Construction(_) => true,
            Error::Sts { code, .. } => code.is_configuration(),
            Error::SourceCredentials(e) => match Error::find_in(e) {
                Some(inner) => inner.is_configuration(),
                None => matches!(
                    e,
                    CredentialsError::InvalidConfiguration(_)
                        | CredentialsError::CredentialsNotLoaded(_)
                ),
            },
            _ => false,
        }
    }

    /// Whether the refresh failed only because it needed a person to answer for an MFA code
    /// and had none behind it ([`MfaError::Unattended`]), here or in a source provider: a
    /// refresh with a caller behind it would ask, and may succeed.
    pub(crate) fn needs_person(&self) -> bool {
        match self {
            Error::Mfa(MfaError::Unattended) => true,
            Error::SourceCredentials(e) => Error::find_in(e).is_some_and(Error::needs_person),
            _ => false,
        }
    }

    /// Whether STS rejected the MFA code (wrong, stale or already used). Ask for a new code.
    pub fn is_mfa_rejected(&self) -> bool {
        matches!(self, Error::Sts { code: StsErrorCode::AccessDenied, message: Some(m), .. } if m.starts_with(MFA_FAILED_PREFIX))
    }

    /// The STS error code, when STS answered with one. For source credentials that failed,
    /// the code of that failure, when the source is another provider of this crate.
    pub fn sts_code(&self) -> Option<&StsErrorCode> {
        match self {
            Error::Sts { code, .. } => Some(code),
            Error::SourceCredentials(e) => Error::find_in(e).and_then(Error::sts_code),
            _ => None,
        }
    }

    /// STS's `<Message>`, when STS answered with an error.
    pub fn sts_message(&self) -> Option<&str> {
        match self {
            Error::Sts { message, .. } => message.as_deref(),
            _ => None,
        }
    }

    /// STS's request ID, when STS answered with an error: quote it to AWS support.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Sts { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status of STS's error answer.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Sts { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// This crate's error in `error` or anywhere in its [`source`](StdError::source) chain:
    /// the one way to learn why a provider of this crate failed, from the
    /// [`CredentialsError`] it returned or from the error of an SDK client that uses it.
    ///
    /// ```
    /// # async fn demo(provider: sts_assume_role::AssumeRoleProvider) {
    /// use aws_credential_types::provider::ProvideCredentials;
    /// use sts_assume_role::{Error, StsErrorCode};
    ///
    /// if let Err(e) = provider.provide_credentials().await {
    ///     match Error::find_in(&e).and_then(Error::sts_code) {
    ///         Some(StsErrorCode::AccessDenied) => eprintln!("the role's trust policy says no"),
    ///         Some(code) => eprintln!("STS said {code}"),
    ///         None => eprintln!("{e}"),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn find_in<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a Error> {
        let mut next = Some(error);
        while let Some(e) = next {
            if let Some(found) = e.downcast_ref::<Error>() {
                return Some(found);
            }
            if let Some(found) = e.downcast_ref::<Arc<Error>>() {
                return Some(found);
            }
            next = e.source();
        }
        None
    }
}

impl From<Error> for CredentialsError {
    fn from(e: Error) -> Self {
        credentials_error(Arc::new(e))
    }
}

/// A shared failure as the SDK sees it: a configuration error or a provider error, by meaning.
pub(crate) fn credentials_error(e: Arc<Error>) -> CredentialsError {
    if e.is_configuration() {
        CredentialsError::invalid_configuration(e)
    } else {
        CredentialsError::provider_error(e)
    }
}
