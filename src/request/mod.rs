//! The AssumeRole request: typed parameters and a builder that checks every STS rule locally.

mod invalid;
mod params;

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

pub use params::TokenCode;
pub(crate) use params::{
    ContextAssertion, ExternalId, MinimumSessionTokenSize, Policy, PolicyArn, ProvidedContext,
    ProviderArn, RoleArn, SerialNumber, SessionDuration, SessionName, SourceIdentity, Tag, TagKey,
    TagValue,
};

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

type Param<T> = Result<T, InvalidParameter>;

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
            &Given {
                policy_arns: o_len(&policy_arns, &errors, Parameter::PolicyArn(None)),
                policy_chars: policy.as_ref().map_or(0, |p| p.as_str().chars().count()),
                policy_arn_chars: policy_arns.iter().map(|a| a.as_str().chars().count()).sum(),
                tags: &tags,
                tags_given: tags.len()
                    + count_of(&errors, Parameter::TagKey(None), Parameter::TagValue(None)),
                transitive_tag_keys: &transitive_tag_keys,
                transitive_given: o_len(
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

fn take<T>(r: Param<T>, errors: &mut Vec<InvalidParameter>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

/// Takes the valid entries of a list, labelling each error with its 1-based position.
fn take_list<T>(list: Vec<Param<T>>, errors: &mut Vec<InvalidParameter>) -> Vec<T> {
    list.into_iter()
        .enumerate()
        .filter_map(|(i, r)| take(r.map_err(|e| e.at(i + 1)), errors))
        .collect()
}

/// How many entries of an indexed list were given: the valid ones plus the distinct positions
/// that failed.
fn o_len<T>(valid: &[T], errors: &[InvalidParameter], kind: Parameter) -> usize {
    valid.len() + count_of(errors, kind, kind)
}

fn count_of(errors: &[InvalidParameter], a: Parameter, b: Parameter) -> usize {
    let same =
        |p: Parameter, k: Parameter| std::mem::discriminant(&p) == std::mem::discriminant(&k);
    let mut positions: Vec<usize> = errors
        .iter()
        .filter(|e| same(e.parameter(), a) || same(e.parameter(), b))
        .filter_map(|e| e.parameter().index())
        .collect();
    positions.sort_unstable();
    positions.dedup();
    positions.len()
}

/// What the cross-parameter rules look at. Tags and transitive keys come with their 1-based
/// positions in the request.
struct Given<'a> {
    policy_arns: usize,
    /// Characters of the valid `Policy` (0 when none), and of the valid `PolicyArns`.
    policy_chars: usize,
    policy_arn_chars: usize,
    tags: &'a [(usize, Tag)],
    tags_given: usize,
    transitive_tag_keys: &'a [(usize, TagKey)],
    transitive_given: usize,
    provided_contexts: usize,
    token_code: bool,
    serial_number: bool,
}

/// The rules between parameters, and the list counts.
fn check_rules(g: &Given<'_>, errors: &mut Vec<InvalidParameter>) {
    let too_many = |parameter, max: usize, what: &str, got: usize| {
        InvalidParameter::new(
            parameter,
            format!("must be at most {max} {what}"),
            got.to_string(),
        )
    };
    if g.policy_arns > MAX_POLICY_ARNS {
        errors.push(too_many(
            Parameter::PolicyArns,
            MAX_POLICY_ARNS,
            "ARNs",
            g.policy_arns,
        ));
    }
    // Only the plaintext can be judged here: STS also limits the packed (compressed) size of
    // the policies and tags together, reported as `PackedPolicySize`, whose packing it does
    // not document; a request over that limit fails with `PackedPolicyTooLarge`.
    let session_policy_chars = g.policy_chars + g.policy_arn_chars;
    if session_policy_chars > MAX_SESSION_POLICY_CHARS {
        errors.push(InvalidParameter::new(
            Parameter::SessionPolicies,
            format!("must be at most {MAX_SESSION_POLICY_CHARS} characters in all"),
            format!(
                "{session_policy_chars} characters (Policy {}, PolicyArns {})",
                g.policy_chars, g.policy_arn_chars
            ),
        ));
    }
    if g.tags_given > MAX_TAGS {
        errors.push(too_many(Parameter::Tags, MAX_TAGS, "tags", g.tags_given));
    }
    let mut seen = HashSet::new();
    for (position, tag) in g.tags {
        if !seen.insert(tag.key().case_folded()) {
            errors.push(InvalidParameter::new(
                Parameter::TagKey(Some(*position)),
                "must be unique ignoring case",
                format!("a second {:?}", tag.key().as_str()),
            ));
        }
    }
    if g.transitive_given > MAX_TAGS {
        errors.push(too_many(
            Parameter::TransitiveTagKeys,
            MAX_TAGS,
            "keys",
            g.transitive_given,
        ));
    }
    for (position, key) in g.transitive_tag_keys {
        if !g.tags.iter().any(|(_, t)| t.key() == key) {
            errors.push(InvalidParameter::new(
                Parameter::TransitiveTagKey(Some(*position)),
                "must be the key of a tag in the request",
                format!("{:?}, which is not", key.as_str()),
            ));
        }
    }
    if g.provided_contexts > MAX_PROVIDED_CONTEXTS {
        errors.push(too_many(
            Parameter::ProvidedContexts,
            MAX_PROVIDED_CONTEXTS,
            "contexts",
            g.provided_contexts,
        ));
    }
    if g.token_code && !g.serial_number {
        errors.push(InvalidParameter::new(
            Parameter::TokenCode,
            "needs SerialNumber",
            "no SerialNumber",
        ));
    }
}

fn relabel(e: InvalidParameter, parameter: Parameter) -> InvalidParameter {
    InvalidParameter::new(parameter, e.rule().to_owned(), e.found().to_owned())
}

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
        AssumeRoleRequestBuilder {
            role_arn: RoleArn::new(role_arn),
            session_name: SessionName::new(session_name),
            session_name_generated: false,
            opts: Options::default(),
        }
    }

    /// Starts a request for the role `role_arn` with a generated session name,
    /// `sts-assume-role-<unix seconds>`, for when you have no name of your own. A generated
    /// name is left out of the AWS CLI cache key, as the CLI does for its own
    /// `botocore-session-…` names.
    pub fn builder_with_generated_name(role_arn: impl Into<String>) -> AssumeRoleRequestBuilder {
        AssumeRoleRequestBuilder {
            role_arn: RoleArn::new(role_arn),
            session_name: Ok(SessionName::generated(crate::clock::system_now())),
            session_name_generated: true,
            opts: Options::default(),
        }
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
