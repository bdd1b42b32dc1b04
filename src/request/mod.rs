//! The AssumeRole request: typed parameters and a builder that checks every STS rule locally.

mod builder;
mod invalid;
mod params;
mod rules;

use std::fmt;
use std::time::Duration;

pub use params::TokenCode;
pub(crate) use params::{
    ContextAssertion, ExternalId, MinimumSessionTokenSize, Policy, PolicyArn, ProvidedContext,
    ProviderArn, RoleArn, SerialNumber, SessionDuration, SessionName, SourceIdentity, Tag, TagKey,
    TagValue,
};

pub use builder::AssumeRoleRequestBuilder;
pub use invalid::{InvalidParameter, Parameter, ValidationErrors};

/// At most this many `PolicyArns`.
pub(crate) const MAX_POLICY_ARNS: usize = 10;
/// The plaintext of the session policies, the inline `Policy` and the `PolicyArns` together,
/// is at most this many characters.
pub(crate) const MAX_SESSION_POLICY_CHARS: usize = 2048;
/// At most this many `Tags`, and as many `TransitiveTagKeys`.
pub(crate) const MAX_TAGS: usize = 50;
/// At most this many `ProvidedContexts`.
pub(crate) const MAX_PROVIDED_CONTEXTS: usize = 5;

/// A valid AssumeRole request: every parameter checked against STS's rules. Send it with
/// [`AssumeRoleRequest::send`], or hand it to an
/// [`AssumeRoleProvider`](crate::AssumeRoleProvider) that keeps its credentials fresh.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// use sts_assume_role::AssumeRoleRequest;
///
/// let request = AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/deploy", "ci-job-42")
///     .duration(Duration::from_secs(1800))
///     .tag("team", "platform")
///     .transitive_tag_key("team")
///     .build()?;
/// assert_eq!(request.role_arn(), "arn:aws:iam::123456789012:role/deploy");
///
/// // Every problem is reported at once, by parameter and rule.
/// let errors = AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/deploy", "x")
///     .duration(Duration::from_secs(60))
///     .build()
///     .unwrap_err();
/// assert_eq!(
///     errors.to_string(),
///     "RoleSessionName: must be 2-64 characters of [\\w+=,.@-], got 1 character; \
///      DurationSeconds: must be 900-43200 seconds, got 60"
/// );
/// # Ok::<(), sts_assume_role::ValidationErrors>(())
/// ```
///
/// The role ARN and the session name are required: a builder cannot be had without them.
///
/// ```compile_fail
/// use sts_assume_role::AssumeRoleRequest;
/// // No session name.
/// let request = AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/demo").build();
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AssumeRoleRequest {
    pub(crate) role_arn: RoleArn,
    pub(crate) session_name: SessionName,
    pub(crate) session_name_generated: bool,
    pub(crate) policy_arns: Vec<PolicyArn>,
    pub(crate) policy: Option<Policy>,
    pub(crate) duration: Option<SessionDuration>,
    pub(crate) tags: Vec<Tag>,
    pub(crate) transitive_tag_keys: Vec<TagKey>,
    pub(crate) external_id: Option<ExternalId>,
    pub(crate) serial_number: Option<SerialNumber>,
    pub(crate) token_code: Option<TokenCode>,
    pub(crate) source_identity: Option<SourceIdentity>,
    pub(crate) provided_contexts: Vec<ProvidedContext>,
    pub(crate) minimum_session_token_size: Option<MinimumSessionTokenSize>,
}

impl fmt::Debug for AssumeRoleRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("AssumeRoleRequest");
        d.field("role_arn", &self.role_arn)
            .field("session_name", &self.session_name);
        if self.session_name_generated {
            d.field("session_name_generated", &true);
        }
        if !self.policy_arns.is_empty() {
            d.field("policy_arns", &self.policy_arns);
        }
        if let Some(p) = &self.policy {
            d.field("policy", p);
        }
        if let Some(v) = &self.duration {
            d.field("duration", v);
        }
        if !self.tags.is_empty() {
            d.field("tags", &self.tags);
        }
        if !self.transitive_tag_keys.is_empty() {
            d.field("transitive_tag_keys", &self.transitive_tag_keys);
        }
        if let Some(v) = &self.external_id {
            d.field("external_id", v);
        }
        if let Some(v) = &self.serial_number {
            d.field("serial_number", v);
        }
        if let Some(v) = &self.token_code {
            d.field("token_code", v);
        }
        if let Some(v) = &self.source_identity {
            d.field("source_identity", v);
        }
        if !self.provided_contexts.is_empty() {
            d.field("provided_contexts", &self.provided_contexts);
        }
        if let Some(v) = &self.minimum_session_token_size {
            d.field("minimum_session_token_size", v);
        }
        d.finish()
    }
}

impl AssumeRoleRequest {
    /// Starts a request for the role `role_arn` (an IAM role's ARN,
    /// `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`), with the session name `session_name`
    /// (2-64 characters of `[\w+=,.@-]`, shown in CloudTrail and in the assumed role's ARN).
    /// Both are checked by [`build`](AssumeRoleRequestBuilder::build).
    pub fn builder(
        role_arn: impl Into<String>,
        session_name: impl Into<String>,
    ) -> AssumeRoleRequestBuilder {
        AssumeRoleRequestBuilder::new(
            RoleArn::new(role_arn),
            SessionName::new(session_name),
            false,
        )
    }

    /// Starts a request for the role `role_arn` with a generated session name,
    /// `sts-assume-role-<unix seconds>`, for when you have no name of your own. A generated
    /// name is left out of the AWS CLI cache key, as the CLI does for its own
    /// `botocore-session-…` names.
    pub fn builder_with_generated_name(role_arn: impl Into<String>) -> AssumeRoleRequestBuilder {
        AssumeRoleRequestBuilder::new(
            RoleArn::new(role_arn),
            Ok(SessionName::generated(crate::clock::system_now())),
            true,
        )
    }

    /// `RoleArn`: the role to assume.
    pub fn role_arn(&self) -> &str {
        self.role_arn.as_str()
    }

    /// `RoleSessionName`.
    pub fn role_session_name(&self) -> &str {
        self.session_name.as_str()
    }

    /// `SerialNumber`: the MFA device, if the request names one.
    pub fn serial_number(&self) -> Option<&str> {
        self.serial_number.as_ref().map(SerialNumber::as_str)
    }

    /// `DurationSeconds`, if set (STS's default is one hour).
    pub fn duration(&self) -> Option<Duration> {
        self.duration.map(SessionDuration::as_duration)
    }

    /// This request with another MFA code (and no other change). The request must have a
    /// serial number for the code to be accepted by STS.
    #[must_use]
    pub(crate) fn with_token_code(&self, code: TokenCode) -> Self {
        Self {
            token_code: Some(code),
            ..self.clone()
        }
    }

    /// This request without MFA: no serial number and no code, for a caller whose source
    /// credentials already carry the MFA (an [`MfaSession`](crate::MfaSession)).
    #[must_use]
    pub(crate) fn without_mfa(&self) -> Self {
        Self {
            serial_number: None,
            token_code: None,
            ..self.clone()
        }
    }
}

/// Errors are reported in the order parameters appear in the STS API reference.
pub(crate) fn param_order(p: Parameter) -> (u8, usize) {
    let rank = match p {
        Parameter::RoleArn => 0,
        Parameter::RoleSessionName => 1,
        Parameter::PolicyArns | Parameter::PolicyArn(_) => 2,
        Parameter::Policy | Parameter::SessionPolicies => 3,
        Parameter::DurationSeconds => 4,
        Parameter::Tags | Parameter::TagKey(_) | Parameter::TagValue(_) => 5,
        Parameter::TransitiveTagKeys | Parameter::TransitiveTagKey(_) => 6,
        Parameter::ExternalId => 7,
        Parameter::SerialNumber => 8,
        Parameter::TokenCode => 9,
        Parameter::SourceIdentity => 10,
        Parameter::ProvidedContexts
        | Parameter::ProviderArn(_)
        | Parameter::ContextAssertion(_) => 11,
        Parameter::MinimumSessionTokenSize => 12,
    };
    (rank, p.index().unwrap_or(0))
}

#[cfg(test)]
mod tests;
