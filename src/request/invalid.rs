//! Why a request is invalid: the parameter, the rule it broke, and what was found instead.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

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
    /// `Policy` and `PolicyArns` together: the plaintext of the session policies, inline and
    /// managed, which STS limits as a whole.
    SessionPolicies,
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
    /// `MinimumSessionTokenSize`
    MinimumSessionTokenSize,
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
            Parameter::SessionPolicies => f.write_str("Policy and PolicyArns"),
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
            Parameter::MinimumSessionTokenSize => f.write_str("MinimumSessionTokenSize"),
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
    /// The errors in parameter order, or `None` if there are none.
    pub(crate) fn from_vec(mut errors: Vec<InvalidParameter>) -> Option<Self> {
        if errors.is_empty() {
            None
        } else {
            errors.sort_by_key(|e| super::param_order(e.parameter()));
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
