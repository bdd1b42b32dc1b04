//! Following `source_profile` from the selected profile down to a credential source, as the
//! AWS SDKs do, into a [`ResolvedChain`].

use aws_credential_types::Credentials;
use aws_credential_types::attributes::AccountId;
use aws_types::region::Region;

use super::error::{Location, ProfileError, ProfileErrorKind};
use super::files::View;
pub(super) use super::files::{Files, Texts};
use crate::provider::role::chaining_rule;
use crate::request::{
    AssumeRoleRequest, ExternalId, InvalidParameter, Parameter, RoleArn, SerialNumber,
    SessionDuration, SessionName,
};

/// The keys read from a profile.
pub(super) mod key {
    pub(crate) const ROLE_ARN: &str = "role_arn";
    pub(crate) const SOURCE_PROFILE: &str = "source_profile";
    pub(crate) const CREDENTIAL_SOURCE: &str = "credential_source";
    pub(crate) const MFA_SERIAL: &str = "mfa_serial";
    /// aws-vault's: a command line whose standard output is the MFA code.
    pub(crate) const MFA_PROCESS: &str = "mfa_process";
    pub(crate) const EXTERNAL_ID: &str = "external_id";
    pub(crate) const ROLE_SESSION_NAME: &str = "role_session_name";
    pub(crate) const DURATION_SECONDS: &str = "duration_seconds";
    pub(crate) const REGION: &str = "region";
    pub(crate) const ACCESS_KEY_ID: &str = "aws_access_key_id";
    pub(crate) const SECRET_ACCESS_KEY: &str = "aws_secret_access_key";
    pub(crate) const SESSION_TOKEN: &str = "aws_session_token";
    pub(crate) const ACCOUNT_ID: &str = "aws_account_id";
    pub(crate) const WEB_IDENTITY_TOKEN_FILE: &str = "web_identity_token_file";
    pub(crate) const SSO_SESSION: &str = "sso_session";
    pub(crate) const LOGIN_SESSION: &str = "login_session";
    pub(crate) const CREDENTIAL_PROCESS: &str = "credential_process";
    /// Keys of the credential sources this crate hands to the SDK's own providers, in the
    /// order the SDK looks for them (aws-config's `profile::credentials::repr::base_provider`),
    /// with the kind each makes; `None` for one this build of the SDK does not resolve.
    pub(crate) const DELEGATED: [(&str, Option<super::SourceKind>); 8] = {
        use super::SourceKind::{CredentialProcess, LoginSession, Sso, WebIdentityToken};
        [
            (WEB_IDENTITY_TOKEN_FILE, Some(WebIdentityToken)),
            (SSO_SESSION, Some(Sso)),
            ("sso_start_url", Some(Sso)),
            ("sso_account_id", Some(Sso)),
            ("sso_role_name", Some(Sso)),
            ("sso_region", Some(Sso)),
            // aws-config resolves it only with its `credentials-login` feature, which this
            // crate's `login-session` feature enables.
            (
                LOGIN_SESSION,
                if cfg!(feature = "login-session") {
                    Some(LoginSession)
                } else {
                    None
                },
            ),
            (CREDENTIAL_PROCESS, Some(CredentialProcess)),
        ]
    };
}

/// The provider name static keys from a profile carry, as in the SDK.
const PROVIDER_NAME: &str = "ProfileFile";

/// Where the bottom of a chain gets its credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SourceKind {
    /// `aws_access_key_id` and `aws_secret_access_key` (and `aws_session_token`, if set) of the
    /// source profile.
    StaticKeys,
    /// `credential_source = Environment`: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
    /// `AWS_SESSION_TOKEN`.
    Environment,
    /// `credential_source = Ec2InstanceMetadata`: the instance profile, through IMDS.
    Ec2InstanceMetadata,
    /// `credential_source = EcsContainer`: the ECS (or EKS Pod Identity) container endpoint.
    EcsContainer,
    /// AWS IAM Identity Center (SSO): `sso_session` (with its `[sso-session]` section), or the
    /// legacy `sso_start_url`, `sso_region`, `sso_account_id` and `sso_role_name`. Resolved by
    /// aws-config's SSO provider, from the token `aws sso login` caches.
    Sso,
    /// `credential_process`: the command's output. Resolved by aws-config's
    /// `CredentialProcessProvider`.
    CredentialProcess,
    /// `login_session`: an AWS Sign-In session (`aws login`), from the credentials it cached.
    /// Resolved by aws-config's login provider, with this crate's `login-session` feature;
    /// without it, [`ProfileErrorKind::UnsupportedSource`](super::ProfileErrorKind::UnsupportedSource).
    LoginSession,
    /// `web_identity_token_file` with `role_arn` (and `role_session_name`): that role is
    /// assumed with the token by aws-config's web identity provider
    /// (`AssumeRoleWithWebIdentity`), and the roles above it by this crate.
    WebIdentityToken,
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::StaticKeys => "static keys",
            Self::Environment => "Environment",
            Self::Ec2InstanceMetadata => "Ec2InstanceMetadata",
            Self::EcsContainer => "EcsContainer",
            Self::Sso => "SSO",
            Self::CredentialProcess => "credential_process",
            Self::LoginSession => "login_session",
            Self::WebIdentityToken => "web identity token",
        })
    }
}

impl SourceKind {
    fn from_credential_source(value: &str) -> Option<Self> {
        match value {
            "Environment" => Some(Self::Environment),
            "Ec2InstanceMetadata" => Some(Self::Ec2InstanceMetadata),
            "EcsContainer" => Some(Self::EcsContainer),
            _ => None,
        }
    }
}

/// The credentials the first role of a chain is assumed with.
#[derive(Clone, Debug)]
pub(crate) struct ChainSource {
    profile: String,
    origin: Origin,
}

/// A source, with the keys when they are static (`Debug` of `Credentials` hides the secret
/// parts).
#[derive(Clone, Debug)]
pub(super) enum Origin {
    Keys(Credentials),
    Named(SourceKind),
    /// Resolved by the SDK's provider for it, from the profile's keys.
    Sdk(Delegated),
}

/// A source the SDK resolves: its kind, where the key that makes it is, and what an error
/// needs to say how to fix it.
#[derive(Clone, Debug)]
pub(super) struct Delegated {
    pub(super) kind: SourceKind,
    pub(super) at: Location,
    /// The `sso_session` value, for the `aws sso login` a failure needs.
    pub(super) sso_session: Option<String>,
}

impl ChainSource {
    /// The profile that names the source: the one with the keys or `credential_source`.
    pub(crate) fn profile(&self) -> &str {
        &self.profile
    }

    #[cfg(test)]
    /// The kind of source.
    pub(crate) fn kind(&self) -> SourceKind {
        match &self.origin {
            Origin::Keys(_) => SourceKind::StaticKeys,
            Origin::Named(kind) => *kind,
            Origin::Sdk(delegated) => delegated.kind,
        }
    }

    #[cfg(test)]
    /// The access key id, for [`SourceKind::StaticKeys`].
    pub(crate) fn access_key_id(&self) -> Option<&str> {
        match &self.origin {
            Origin::Keys(keys) => Some(keys.access_key_id()),
            Origin::Named(_) | Origin::Sdk(_) => None,
        }
    }

    #[cfg(test)]
    /// Whether the SDK's own provider for this kind resolves the source (SSO,
    /// `credential_process`, web identity), rather than this crate.
    pub(crate) fn is_resolved_by_sdk(&self) -> bool {
        matches!(self.origin, Origin::Sdk(_))
    }

    pub(super) fn origin(&self) -> &Origin {
        &self.origin
    }
}

/// One role of a chain: the profile that names it and the request that assumes it.
#[derive(Clone)]
pub(crate) struct ChainRole {
    profile: String,
    request: AssumeRoleRequest,
    /// `mfa_process`, for a role with `mfa_serial`: never shown (it may hold a TOTP seed).
    mfa_process: Option<String>,
    /// Where the keys that matter later are (the file each is in).
    keys: Vec<Location>,
}

impl std::fmt::Debug for ChainRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `mfa_process` may hold a secret (`oathtool --totp -b SEED`): whether it is set only.
        f.debug_struct("ChainRole")
            .field("profile", &self.profile)
            .field("request", &self.request)
            .field("mfa_process", &self.mfa_process.as_ref().map(|_| "(set)"))
            .field("keys", &self.keys)
            .finish()
    }
}

impl ChainRole {
    #[cfg(test)]
    /// The profile with the `role_arn`.
    pub(crate) fn profile(&self) -> &str {
        &self.profile
    }

    /// The request: `role_arn`, `role_session_name` (or a generated name), `external_id`,
    /// `duration_seconds` and `mfa_serial` as `RoleArn`, `RoleSessionName`, `ExternalId`,
    /// `DurationSeconds` and `SerialNumber`.
    pub(crate) fn request(&self) -> &AssumeRoleRequest {
        &self.request
    }

    pub(super) fn into_parts(self) -> (String, AssumeRoleRequest) {
        (self.profile, self.request)
    }

    /// The command line of `mfa_process`, when the role has one with its `mfa_serial`.
    pub(super) fn mfa_process(&self) -> Option<&str> {
        self.mfa_process.as_deref()
    }

    /// Where `key` of this role's profile is.
    pub(super) fn location(&self, key: &'static str) -> Location {
        self.keys
            .iter()
            .find(|at| at.key() == Some(key))
            .cloned()
            .unwrap_or_else(|| {
                let file = self.keys.first().map_or("", Location::file);
                Location::new(file, &self.profile, Some(key))
            })
    }
}

/// A profile's chain as data: the source at the bottom, then each role in the order it is
/// assumed, the last being the selected profile's. Every value has passed the STS rules.
#[derive(Clone, Debug)]
pub(crate) struct ResolvedChain {
    profile: String,
    region: Option<Region>,
    source: ChainSource,
    roles: Vec<ChainRole>,
    /// The files as read, for a source the SDK resolves.
    texts: Texts,
}

impl ResolvedChain {
    /// The selected profile.
    pub(crate) fn profile(&self) -> &str {
        &self.profile
    }

    /// The selected profile's `region`, where every role of the chain is assumed.
    pub(crate) fn region(&self) -> Option<&Region> {
        self.region.as_ref()
    }

    #[cfg(test)]
    /// Where the first role's source credentials come from.
    pub(crate) fn source(&self) -> &ChainSource {
        &self.source
    }

    /// The roles, first assumed first; never empty. The last one is the selected profile's.
    pub(crate) fn roles(&self) -> &[ChainRole] {
        &self.roles
    }

    /// The files as read.
    pub(super) fn texts(&self) -> &Texts {
        &self.texts
    }

    pub(super) fn into_parts(self) -> (ChainSource, Vec<ChainRole>, Texts) {
        (self.source, self.roles, self.texts)
    }
}

/// Resolves the chain of the selected profile.
///
/// The rules are the SDK's (`aws-config`'s `profile::credentials::repr`): after the selected
/// profile, a profile with both keys is a source even if it also has a `role_arn`; a role
/// profile whose `source_profile` is itself takes its own keys as source; a loop is an error.
/// A role assumed with another role's credentials (every role but the first) may last at most
/// an hour, as STS allows.
pub(super) fn resolve(files: &Files) -> Result<ResolvedChain, ProfileError> {
    let selected = files.selected();
    let top = files
        .profile(selected)
        .ok_or_else(|| ProfileError::missing(selected, files.both(), None))?;
    if top.get(key::ROLE_ARN).is_none() {
        return Err(ProfileError::at(
            ProfileErrorKind::NotARole,
            top.at(key::ROLE_ARN),
        ));
    }
    let region = top
        .get(key::REGION)
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| Region::new(r.to_owned()));

    let mut visited: Vec<&str> = Vec::new();
    let mut roles = Vec::new();
    let mut name = selected;
    let mut referrer: Option<View<'_>> = None;
    let source = loop {
        let profile = files.profile(name).ok_or_else(|| {
            ProfileError::missing(
                name,
                files.both(),
                referrer.map(|r| r.at(key::SOURCE_PROFILE)),
            )
        })?;
        if visited.contains(&name) {
            let mut chain: Vec<String> = visited.iter().map(|&p| p.to_owned()).collect();
            chain.push(name.to_owned());
            let at = referrer.unwrap_or(profile).at(key::SOURCE_PROFILE);
            return Err(ProfileError::chain_loop(chain, at));
        }
        visited.push(name);
        if visited.len() > 1 && has_keys(profile) {
            break static_keys(profile)?;
        }
        // With `web_identity_token_file`, `role_arn` belongs to that source (as in the SDK).
        let is_role = profile.get(key::ROLE_ARN).is_some()
            && profile.get(key::WEB_IDENTITY_TOKEN_FILE).is_none();
        if !is_role {
            break base(profile)?;
        }
        roles.push(role(profile)?);
        match (
            profile.get(key::SOURCE_PROFILE),
            profile.get(key::CREDENTIAL_SOURCE),
        ) {
            (Some(_), Some(_)) => {
                return Err(ProfileError::at(
                    ProfileErrorKind::BothSources,
                    profile.at(key::CREDENTIAL_SOURCE),
                ));
            }
            (None, None) => {
                return Err(ProfileError::at(
                    ProfileErrorKind::NoSource,
                    profile.at(key::ROLE_ARN),
                ));
            }
            (None, Some(value)) => break named(profile, value)?,
            // A profile that is its own source: its keys are the source (the AWS CLI allows it).
            (Some(next), None) if next == name => break static_keys(profile)?,
            (Some(next), None) => {
                referrer = Some(profile);
                name = next;
            }
        }
    };
    if roles.is_empty() {
        // The selected profile has a `role_arn` but is a web identity source: the SDK's role.
        return Err(ProfileError::web_identity_top(
            top.at(key::WEB_IDENTITY_TOKEN_FILE),
        ));
    }
    roles.reverse();
    // Every role but the first is assumed with a role's credentials: role chaining.
    for chained in roles.iter().skip(1) {
        if let Some(broken) = chained.request.duration.and_then(chaining_rule) {
            return Err(ProfileError::invalid_value(
                chained.location(key::DURATION_SECONDS),
                broken,
            ));
        }
    }
    Ok(ResolvedChain {
        profile: selected.to_owned(),
        region,
        source,
        roles,
        texts: files.texts.clone(),
    })
}

fn has_keys(profile: View<'_>) -> bool {
    profile.get(key::ACCESS_KEY_ID).is_some() && profile.get(key::SECRET_ACCESS_KEY).is_some()
}

/// A profile at the bottom of the chain: `credential_source`, or static keys.
fn base(profile: View<'_>) -> Result<ChainSource, ProfileError> {
    if let Some(value) = profile.get(key::CREDENTIAL_SOURCE) {
        return named(profile, value);
    }
    if let Some((k, kind)) = key::DELEGATED
        .iter()
        .find(|(k, _)| profile.get(k).is_some())
    {
        let Some(kind) = *kind else {
            return Err(ProfileError::at(
                ProfileErrorKind::UnsupportedSource,
                profile.at(*k),
            ));
        };
        return Ok(ChainSource {
            profile: profile.name.to_owned(),
            origin: Origin::Sdk(Delegated {
                kind,
                at: profile.at(*k),
                sso_session: profile.get(key::SSO_SESSION).map(str::to_owned),
            }),
        });
    }
    static_keys(profile)
}

fn named(profile: View<'_>, value: &str) -> Result<ChainSource, ProfileError> {
    let kind = SourceKind::from_credential_source(value).ok_or_else(|| {
        ProfileError::unknown_credential_source(value, profile.at(key::CREDENTIAL_SOURCE))
    })?;
    Ok(ChainSource {
        profile: profile.name.to_owned(),
        origin: Origin::Named(kind),
    })
}

fn static_keys(profile: View<'_>) -> Result<ChainSource, ProfileError> {
    let get = |k: &'static str| {
        profile
            .get(k)
            .ok_or_else(|| ProfileError::at(ProfileErrorKind::NoCredentials, profile.at(k)))
    };
    let access_key_id = get(key::ACCESS_KEY_ID)?;
    let secret_access_key = get(key::SECRET_ACCESS_KEY)?;
    let mut keys = Credentials::builder()
        .access_key_id(access_key_id)
        .secret_access_key(secret_access_key)
        .provider_name(PROVIDER_NAME);
    keys.set_session_token(profile.get(key::SESSION_TOKEN).map(str::to_owned));
    keys.set_account_id(profile.get(key::ACCOUNT_ID).map(AccountId::from));
    Ok(ChainSource {
        profile: profile.name.to_owned(),
        origin: Origin::Keys(keys.build()),
    })
}

/// The request a role profile makes, each value parsed into its typed parameter.
fn role(profile: View<'_>) -> Result<ChainRole, ProfileError> {
    let invalid = |k: &'static str| {
        move |source: InvalidParameter| ProfileError::invalid_value(profile.at(k), source)
    };
    let role_arn = RoleArn::new(profile.get(key::ROLE_ARN).unwrap_or_default())
        .map_err(invalid(key::ROLE_ARN))?;
    let mut builder = match profile.get(key::ROLE_SESSION_NAME) {
        Some(v) => {
            let name = SessionName::new(v).map_err(invalid(key::ROLE_SESSION_NAME))?;
            AssumeRoleRequest::builder(role_arn.as_str(), name.as_str())
        }
        None => AssumeRoleRequest::builder_with_generated_name(role_arn.as_str()),
    };
    if let Some(v) = profile.get(key::EXTERNAL_ID) {
        let id = ExternalId::new(v).map_err(invalid(key::EXTERNAL_ID))?;
        builder = builder.external_id(id.as_str());
    }
    if let Some(v) = profile.get(key::DURATION_SECONDS) {
        let d = duration(v).map_err(invalid(key::DURATION_SECONDS))?;
        builder = builder.duration(d.as_duration());
    }
    let mut mfa_process = None;
    if let Some(v) = profile.get(key::MFA_SERIAL) {
        let serial = SerialNumber::new(v).map_err(invalid(key::MFA_SERIAL))?;
        builder = builder.serial_number(serial.as_str());
        // As aws-vault reads it: a command line, whose standard output is the code. Without
        // `mfa_serial` no code is asked for, and it is not read.
        mfa_process = match profile.get(key::MFA_PROCESS).map(str::trim) {
            Some("") => {
                return Err(ProfileError::invalid_value(
                    profile.at(key::MFA_PROCESS),
                    EmptyCommand,
                ));
            }
            other => other.map(str::to_owned),
        };
    }
    // Each value was parsed above, so the request breaks no rule; should it, the first problem
    // is reported at its key.
    let request = builder.build().map_err(|errors| {
        let first = errors.iter().next().cloned().unwrap_or_else(|| {
            InvalidParameter::new(Parameter::RoleArn, "must make a valid request", "a problem")
        });
        ProfileError::invalid_value(profile.at(key_of(first.parameter())), first)
    })?;
    Ok(ChainRole {
        profile: profile.name.to_owned(),
        request,
        mfa_process,
        keys: [
            key::ROLE_ARN,
            key::MFA_SERIAL,
            key::DURATION_SECONDS,
            key::MFA_PROCESS,
        ]
        .into_iter()
        .map(|k| profile.at(k))
        .collect(),
    })
}

/// `mfa_process` is set but empty.
#[derive(Debug, thiserror::Error)]
#[error("must be a command line that prints an MFA code, run with `sh -c`; it is empty")]
struct EmptyCommand;

fn duration(value: &str) -> Result<SessionDuration, InvalidParameter> {
    let secs = value.trim().parse::<u64>().map_err(|_| {
        let shown: String = value.chars().take(16).collect();
        InvalidParameter::new(
            Parameter::DurationSeconds,
            "must be a whole number of seconds, 900-43200",
            format!("{shown:?}"),
        )
    })?;
    SessionDuration::from_secs(secs)
}

/// The profile key that fills `parameter`.
fn key_of(parameter: Parameter) -> &'static str {
    match parameter {
        Parameter::RoleSessionName => key::ROLE_SESSION_NAME,
        Parameter::DurationSeconds => key::DURATION_SECONDS,
        Parameter::ExternalId => key::EXTERNAL_ID,
        Parameter::SerialNumber | Parameter::TokenCode => key::MFA_SERIAL,
        _ => key::ROLE_ARN,
    }
}
