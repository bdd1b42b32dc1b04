//! Why a profile could not become a provider, naming the file, the profile and the key.

use std::error::Error as StdError;
use std::fmt;

use aws_credential_types::provider::error::CredentialsError;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Where the shared config files were not as needed: a file, a profile in it, and the key at
/// fault when there is one.
///
/// The file is the config or credentials file the key (or else the profile) was found in, as
/// named by `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE` or by its default name
/// (`~/.aws/config`, `~/.aws/credentials`).
///
/// `Display`: `` `key` of profile `name` in FILE ``, or `` profile `name` in FILE `` without a
/// key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Location {
    file: String,
    profile: String,
    key: Option<&'static str>,
}

impl Location {
    pub(super) fn new(file: &str, profile: &str, key: Option<&'static str>) -> Self {
        Self {
            file: file.to_owned(),
            profile: profile.to_owned(),
            key,
        }
    }

    /// The file, e.g. `~/.aws/config`.
    pub(crate) fn file(&self) -> &str {
        &self.file
    }

    /// The profile's name.
    pub(crate) fn profile(&self) -> &str {
        &self.profile
    }

    /// The key at fault, e.g. `duration_seconds`, when the problem is about one key.
    pub(crate) fn key(&self) -> Option<&str> {
        self.key
    }

    /// `profile `name` in FILE`, without the key.
    fn profile_in_file(&self) -> String {
        format!("profile `{}` in {}", self.profile, self.file)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(key) = self.key {
            write!(f, "`{key}` of ")?;
        }
        f.write_str(&self.profile_in_file())
    }
}

/// What was wrong with a profile: the kind of a [`ProfileError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProfileErrorKind {
    /// The config or credentials file could not be read or parsed.
    Load,
    /// A profile is not defined in either file: the selected one, or one a `source_profile`
    /// names ([`ProfileError::missing_profile`]).
    MissingProfile,
    /// `source_profile` links lead back to a profile already in the chain
    /// ([`ProfileError::chain`]).
    Loop,
    /// A role profile has both `source_profile` and `credential_source`.
    BothSources,
    /// A role profile has neither `source_profile` nor `credential_source`.
    NoSource,
    /// The profile at the bottom of the chain has no credentials: no role, no
    /// `credential_source`, and no complete pair of keys.
    NoCredentials,
    /// `credential_source` names no source this crate knows ([`ProfileError::value`]).
    UnknownCredentialSource,
    /// A value breaks an STS rule for its parameter (the source says which), or the role
    /// chaining rule (`duration_seconds` over one hour for a role assumed with another role's
    /// credentials).
    InvalidValue,
    /// A role profile has `mfa_serial` but no `mfa_process`, and the builder was given no MFA
    /// token source.
    MfaSourceMissing,
    /// The selected profile is not a role this crate assumes: it has no `role_arn`, or its
    /// `role_arn` comes with `web_identity_token_file` (a role the SDK's web identity provider
    /// assumes with the token; a role profile above it is this crate's).
    NotARole,
    /// The chain ends in a source the SDK, as this crate is built, does not resolve either:
    /// `login_session`, which aws-config resolves only with its `credentials-login` feature,
    /// enabled by this crate's `login-session` feature. SSO, `credential_process`,
    /// `web_identity_token_file` (and `login_session`, with the feature) are resolved by
    /// aws-config's providers ([`SourceKind`](super::SourceKind)).
    UnsupportedSource,
    /// An option given to the builder, not a value of the files, is invalid (for example an
    /// [`mfa_session`](crate::profile::ProfileBuilder::mfa_session) duration outside 900 s to
    /// 36 h); [`ProfileError::option`] names it.
    InvalidOption,
}

/// Why a named profile could not become an [`AssumeRoleProvider`](crate::AssumeRoleProvider):
/// a [kind](Self::kind), and where the problem is: the [file](Self::file), the
/// [profile](Self::profile) and the [key](Self::key).
///
/// No message shows a secret: keys are named, never their values, except for
/// `credential_source`, whose value is a provider's name.
#[derive(Debug)]
pub struct ProfileError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: ProfileErrorKind,
    location: Option<Location>,
    detail: Detail,
    source: Option<BoxError>,
}

/// What some kinds say beyond the location.
#[derive(Debug)]
enum Detail {
    None,
    Missing { profile: String, files: String },
    Loop(Vec<String>),
    Value(String),
    Option(&'static str),
    WebIdentity,
}

impl ProfileError {
    fn new(kind: ProfileErrorKind, location: Option<Location>) -> Self {
        Self::with_detail(kind, location, Detail::None)
    }

    fn with_detail(kind: ProfileErrorKind, location: Option<Location>, detail: Detail) -> Self {
        Self(Box::new(Inner {
            kind,
            location,
            detail,
            source: None,
        }))
    }

    /// An error about `location`.
    /// The selected profile is a web identity source, not a role of this crate's.
    pub(super) fn web_identity_top(location: Location) -> Self {
        Self::with_detail(
            ProfileErrorKind::NotARole,
            Some(location),
            Detail::WebIdentity,
        )
    }

    pub(super) fn at(kind: ProfileErrorKind, location: Location) -> Self {
        Self::new(kind, Some(location))
    }

    pub(super) fn load(source: impl Into<BoxError>) -> Self {
        Self::new(ProfileErrorKind::Load, None).with_source(source)
    }

    /// `profile` is not defined in `files`; `referenced_by` is the `source_profile` naming it.
    pub(super) fn missing(profile: &str, files: String, referenced_by: Option<Location>) -> Self {
        let detail = Detail::Missing {
            profile: profile.to_owned(),
            files,
        };
        Self::with_detail(ProfileErrorKind::MissingProfile, referenced_by, detail)
    }

    pub(super) fn chain_loop(chain: Vec<String>, at: Location) -> Self {
        Self::with_detail(ProfileErrorKind::Loop, Some(at), Detail::Loop(chain))
    }

    pub(super) fn unknown_credential_source(value: &str, at: Location) -> Self {
        let detail = Detail::Value(value.to_owned());
        Self::with_detail(ProfileErrorKind::UnknownCredentialSource, Some(at), detail)
    }

    pub(super) fn invalid_value(at: Location, source: impl Into<BoxError>) -> Self {
        Self::at(ProfileErrorKind::InvalidValue, at).with_source(source)
    }

    pub(super) fn invalid_option(option: &'static str, source: impl Into<BoxError>) -> Self {
        Self::with_detail(
            ProfileErrorKind::InvalidOption,
            None,
            Detail::Option(option),
        )
        .with_source(source)
    }

    fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.0.source = Some(source.into());
        self
    }

    /// What was wrong.
    pub fn kind(&self) -> ProfileErrorKind {
        self.0.kind
    }

    /// Where the problem is: every kind but [`Load`](ProfileErrorKind::Load) and
    /// [`InvalidOption`](ProfileErrorKind::InvalidOption) has one, except a
    /// [`MissingProfile`](ProfileErrorKind::MissingProfile) that is the selected profile (for
    /// one named by a `source_profile`, the location is that key).
    pub(crate) fn location(&self) -> Option<&Location> {
        self.0.location.as_ref()
    }

    /// The profile at fault: the missing one for
    /// [`MissingProfile`](ProfileErrorKind::MissingProfile), else the one the problem is in.
    pub fn profile(&self) -> Option<&str> {
        match &self.0.detail {
            Detail::Missing { profile, .. } => Some(profile),
            _ => self.location().map(Location::profile),
        }
    }

    /// The key at fault, if the problem is about one key.
    pub fn key(&self) -> Option<&str> {
        self.location().and_then(Location::key)
    }

    /// The file at fault: the config or credentials file the key (or else the profile) was
    /// found in, as named by `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE` or by its
    /// default name (`~/.aws/config`, `~/.aws/credentials`); for
    /// [`MissingProfile`](ProfileErrorKind::MissingProfile), the files looked in.
    pub fn file(&self) -> Option<&str> {
        match &self.0.detail {
            Detail::Missing { files, .. } => Some(files),
            _ => self.location().map(Location::file),
        }
    }

    /// The profile that is not defined, for [`MissingProfile`](ProfileErrorKind::MissingProfile).
    pub fn missing_profile(&self) -> Option<&str> {
        match &self.0.detail {
            Detail::Missing { profile, .. } => Some(profile),
            _ => None,
        }
    }

    /// For a [`Loop`](ProfileErrorKind::Loop): the profiles in the order they were followed,
    /// ending with the repeated one.
    pub fn chain(&self) -> Option<&[String]> {
        match &self.0.detail {
            Detail::Loop(chain) => Some(chain),
            _ => None,
        }
    }

    /// For an [`UnknownCredentialSource`](ProfileErrorKind::UnknownCredentialSource): the
    /// value of `credential_source`.
    pub fn value(&self) -> Option<&str> {
        match &self.0.detail {
            Detail::Value(value) => Some(value),
            _ => None,
        }
    }

    /// For an [`InvalidOption`](ProfileErrorKind::InvalidOption): the builder method.
    pub fn option(&self) -> Option<&str> {
        match &self.0.detail {
            Detail::Option(option) => Some(option),
            _ => None,
        }
    }

    /// Whether trying again may help without changing the files: only when a file could not be
    /// read (an I/O error), never for what a file says.
    pub fn is_retryable(&self) -> bool {
        let mut next = self
            .0
            .source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static));
        while let Some(e) = next {
            if e.is::<std::io::Error>() {
                return self.0.kind == ProfileErrorKind::Load;
            }
            next = e.source();
        }
        false
    }
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ProfileErrorKind as K;
        let at = self.0.location.as_ref();
        let here = || at.map(Location::profile_in_file).unwrap_or_default();
        let key = || at.and_then(Location::key).unwrap_or_default();
        match (self.0.kind, &self.0.detail) {
            (K::Load, _) => f.write_str("could not load the shared config files"),
            (K::MissingProfile, Detail::Missing { profile, files }) => {
                write!(f, "profile `{profile}` is not defined in {files}")?;
                match at {
                    Some(at) => write!(f, " ({at} names it)"),
                    None => Ok(()),
                }
            }
            (K::Loop, Detail::Loop(chain)) => {
                write!(f, "{} makes a loop: {}", display(at), chain.join(" -> "))
            }
            (K::BothSources, _) => write!(
                f,
                "{} sets both `source_profile` and `credential_source`; a role profile takes exactly one",
                here()
            ),
            (K::NoSource, _) => write!(
                f,
                "{} sets `role_arn` but neither `source_profile` nor `credential_source`",
                here()
            ),
            (K::NoCredentials, _) => write!(
                f,
                "{} has no `{}`: a source profile needs `aws_access_key_id` and `aws_secret_access_key`, or `role_arn` with `source_profile` or `credential_source`",
                here(),
                key()
            ),
            (K::UnknownCredentialSource, Detail::Value(value)) => write!(
                f,
                "{} is `{value}`, not one of `Environment`, `Ec2InstanceMetadata`, `EcsContainer`",
                display(at)
            ),
            (K::InvalidValue, _) => write!(f, "{} is not valid", display(at)),
            (K::MfaSourceMissing, _) => write!(
                f,
                "{} needs an MFA token source: give one with `ProviderBuilder::mfa`, or set `mfa_process` in the profile",
                display(at)
            ),
            (K::NotARole, Detail::WebIdentity) => write!(
                f,
                "{} sets `role_arn` with `web_identity_token_file`: the SDK assumes that role with the token; to assume a role with this crate, select a role profile with `source_profile = {}`",
                here(),
                at.map(Location::profile).unwrap_or_default()
            ),
            (K::NotARole, _) => write!(
                f,
                "{} has no `role_arn`; only a role profile makes an AssumeRoleProvider",
                here()
            ),
            (K::UnsupportedSource, _) => write!(
                f,
                "{} names a credential source the SDK resolves only with aws-config's `credentials-login` feature: enable this crate's `login-session` feature",
                display(at)
            ),
            (K::InvalidOption, Detail::Option(option)) => {
                write!(f, "the `ProviderBuilder::{option}` option is invalid")
            }
            (kind, _) => write!(f, "{kind:?}: {}", display(at)),
        }
    }
}

fn display(at: Option<&Location>) -> String {
    at.map(ToString::to_string).unwrap_or_default()
}

impl StdError for ProfileError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static))
    }
}

/// A profile that cannot become a provider is a configuration error.
impl From<ProfileError> for CredentialsError {
    fn from(e: ProfileError) -> Self {
        CredentialsError::invalid_configuration(e)
    }
}
