//! [`AssumeRoleRequestBuilder`]: the parameters as given, each parsed into its type, and
//! `build`, which checks them and the rules between them.

use std::time::Duration;

use super::rules::{Counts, check_rules, count_of, given_count, relabel, take, take_list};
use super::*;

/// Builds an [`AssumeRoleRequest`]: from [`AssumeRoleRequest::builder`], with the role ARN
/// and the session name it requires, then any optional parameter.
///
/// Every value is checked when [`build`](Self::build) runs, which reports every problem at
/// once. AWS's limits are in each setter's documentation.
#[derive(Debug, Clone)]
#[must_use]
pub struct AssumeRoleRequestBuilder {
    role_arn: Param<RoleArn>,
    session_name: Param<SessionName>,
    session_name_generated: bool,
    opts: Options,
}

pub(super) type Param<T> = Result<T, InvalidParameter>;

#[derive(Debug, Clone, Default)]
struct Options {
    policy_arns: Vec<Param<PolicyArn>>,
    policy: Option<Param<Policy>>,
    duration: Option<Param<SessionDuration>>,
    tags: Vec<(Param<TagKey>, Param<TagValue>)>,
    transitive_tag_keys: Vec<Param<TagKey>>,
    external_id: Option<Param<ExternalId>>,
    serial_number: Option<Param<SerialNumber>>,
    token_code: Option<Param<TokenCode>>,
    source_identity: Option<Param<SourceIdentity>>,
    provided_contexts: Vec<(Param<ProviderArn>, Param<ContextAssertion>)>,
    minimum_session_token_size: Option<Param<MinimumSessionTokenSize>>,
}

impl AssumeRoleRequestBuilder {
    pub(super) fn new(
        role_arn: Param<RoleArn>,
        session_name: Param<SessionName>,
        session_name_generated: bool,
    ) -> Self {
        Self {
            role_arn,
            session_name,
            session_name_generated,
            opts: Options::default(),
        }
    }

    /// Adds one `PolicyArns` entry: a managed policy that further limits the session, an ARN
    /// of 20-2048 characters. At most 10, and at most 2048 characters of session policies in
    /// all, with [`policy`](Self::policy).
    pub fn policy_arn(mut self, arn: impl Into<String>) -> Self {
        self.opts.policy_arns.push(PolicyArn::new(arn));
        self
    }

    /// `Policy`: an inline session policy, a JSON object as text; at most 2048 characters of
    /// session policies in all, with the [`policy_arn`](Self::policy_arn)s.
    pub fn policy(mut self, policy: impl Into<String>) -> Self {
        self.opts.policy = Some(Policy::new(policy));
        self
    }

    /// `DurationSeconds`: how long the role session lasts, 15 minutes to 12 hours in whole
    /// seconds (STS's default is one hour). STS also caps it at the role's maximum session
    /// duration, and at one hour when the caller's own credentials are temporary (role
    /// chaining, or an [`MfaSession`](crate::MfaSession)'s), which providers check before
    /// calling STS.
    pub fn duration(mut self, duration: Duration) -> Self {
        self.opts.duration = Some(SessionDuration::new(duration));
        self
    }

    /// Adds a session tag: a key of 1-128 and a value of 0-256 characters of
    /// `[\p{L}\p{Z}\p{N}_.:/=+\-@]`. At most 50 tags, whose keys must differ by more than
    /// case: case is compared character by character with Unicode's simple case folding.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.opts
            .tags
            .push((TagKey::new(key), TagValue::new(value)));
        self
    }

    /// Adds a `TransitiveTagKeys` entry: a tag key that persists through role chaining. It must
    /// be the key of a tag of this request; at most 50.
    pub fn transitive_tag_key(mut self, key: impl Into<String>) -> Self {
        self.opts.transitive_tag_keys.push(TagKey::new(key));
        self
    }

    /// `ExternalId`: the value a third party's trust policy expects, 2-1224 characters of
    /// `[\w+=,.@:/-]`.
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.opts.external_id = Some(ExternalId::new(id));
        self
    }

    /// `SerialNumber`: the MFA device (its ARN, or a hardware device's serial), 9-256
    /// characters of `[\w+=/:,.@-]`.
    pub fn serial_number(mut self, serial: impl Into<String>) -> Self {
        self.opts.serial_number = Some(SerialNumber::new(serial));
        self
    }

    /// `TokenCode`: a one-time MFA code. Needs [`serial_number`](Self::serial_number).
    ///
    /// A code is good for one call only; for a provider that refreshes, give it an MFA token
    /// source instead.
    pub fn token_code(mut self, code: impl Into<String>) -> Self {
        self.opts.token_code = Some(TokenCode::new(code));
        self
    }

    /// `SourceIdentity`: who is behind the session, 2-64 characters of `[\w+=,.@-]` not
    /// starting with `aws:`; it sticks through role chaining.
    pub fn source_identity(mut self, identity: impl Into<String>) -> Self {
        self.opts.source_identity = Some(SourceIdentity::new(identity));
        self
    }

    /// Adds a `ProvidedContexts` entry: a context provider's ARN (20-2048 characters) and the
    /// context assertion it signed (4-2048 characters), as for IAM Identity Center's trusted
    /// identity propagation. At most 5.
    pub fn provided_context(
        mut self,
        provider_arn: impl Into<String>,
        context_assertion: impl Into<String>,
    ) -> Self {
        self.opts.provided_contexts.push((
            ProviderArn::new(provider_arn),
            ContextAssertion::new(context_assertion),
        ));
        self
    }

    /// `MinimumSessionTokenSize`: the least size, in bytes, of the session token (0 to 4096);
    /// STS pads the token to it.
    pub fn minimum_session_token_size(mut self, bytes: u32) -> Self {
        self.opts.minimum_session_token_size = Some(MinimumSessionTokenSize::new(bytes));
        self
    }
}

impl AssumeRoleRequestBuilder {
    /// Checks every parameter and every rule between them.
    ///
    /// # Errors
    ///
    /// Every problem at once, each naming its parameter and the rule it broke, in the order
    /// of the STS API reference.
    pub fn build(self) -> Result<AssumeRoleRequest, ValidationErrors> {
        let mut errors = Vec::new();
        let role_arn = take(self.role_arn, &mut errors);
        let session_name = take(self.session_name, &mut errors);
        let o = self.opts;
        let policy_arns = take_list(o.policy_arns, &mut errors);
        let policy = o.policy.and_then(|r| take(r, &mut errors));
        let duration = o.duration.and_then(|r| take(r, &mut errors));
        // The valid tags and transitive keys with their 1-based positions in the request, so
        // that the rules between them name the entry at fault even after an invalid one.
        let mut tags = Vec::new();
        for (i, (k, v)) in o.tags.into_iter().enumerate() {
            let key = take(k.map_err(|e| e.at(i + 1)), &mut errors);
            let value = take(v.map_err(|e| e.at(i + 1)), &mut errors);
            if let (Some(key), Some(value)) = (key, value) {
                tags.push((i + 1, Tag::from_parts(key, value)));
            }
        }
        let transitive_tag_keys: Vec<(usize, TagKey)> = o
            .transitive_tag_keys
            .into_iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let r = r.map_err(|e| relabel(e, Parameter::TransitiveTagKey(None)).at(i + 1));
                take(r, &mut errors).map(|key| (i + 1, key))
            })
            .collect();
        let external_id = o.external_id.and_then(|r| take(r, &mut errors));
        let serial_number_given = o.serial_number.is_some();
        let serial_number = o.serial_number.and_then(|r| take(r, &mut errors));
        let token_code_given = o.token_code.is_some();
        let token_code = o.token_code.and_then(|r| take(r, &mut errors));
        let source_identity = o.source_identity.and_then(|r| take(r, &mut errors));
        let minimum_session_token_size = o
            .minimum_session_token_size
            .and_then(|r| take(r, &mut errors));
        let mut provided_contexts = Vec::new();
        for (i, (p, c)) in o.provided_contexts.into_iter().enumerate() {
            let p = take(p.map_err(|e| e.at(i + 1)), &mut errors);
            let c = take(c.map_err(|e| e.at(i + 1)), &mut errors);
            if let (Some(p), Some(c)) = (p, c) {
                provided_contexts.push(ProvidedContext::from_parts(p, c));
            }
        }
        check_rules(
            &Counts {
                policy_arns: given_count(&policy_arns, &errors, Parameter::PolicyArn(None)),
                policy_chars: policy.as_ref().map_or(0, |p| p.as_str().chars().count()),
                policy_arn_chars: policy_arns.iter().map(|a| a.as_str().chars().count()).sum(),
                tags: &tags,
                tags_given: tags.len()
                    + count_of(&errors, Parameter::TagKey(None), Parameter::TagValue(None)),
                transitive_tag_keys: &transitive_tag_keys,
                transitive_given: given_count(
                    &transitive_tag_keys,
                    &errors,
                    Parameter::TransitiveTagKey(None),
                ),
                provided_contexts: provided_contexts.len()
                    + count_of(
                        &errors,
                        Parameter::ProviderArn(None),
                        Parameter::ContextAssertion(None),
                    ),
                token_code: token_code_given,
                serial_number: serial_number_given,
            },
            &mut errors,
        );
        match (role_arn, session_name, ValidationErrors::from_vec(errors)) {
            (Some(role_arn), Some(session_name), None) => Ok(AssumeRoleRequest {
                role_arn,
                session_name,
                session_name_generated: self.session_name_generated,
                policy_arns,
                policy,
                duration,
                tags: tags.into_iter().map(|(_, tag)| tag).collect(),
                transitive_tag_keys: transitive_tag_keys.into_iter().map(|(_, k)| k).collect(),
                external_id,
                serial_number,
                token_code,
                source_identity,
                provided_contexts,
                minimum_session_token_size,
            }),
            (_, _, Some(errors)) => Err(errors),
            // A missing required value always pushed an error, so this arm is never taken.
            _ => Err(ValidationErrors::from(InvalidParameter::new(
                Parameter::RoleArn,
                "is required",
                "nothing",
            ))),
        }
    }
}
