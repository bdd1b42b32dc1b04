//! Why a profile could not become a provider, naming the file, the profile and the key.

use std::error::Error as _;
use std::fmt;

use aws_config::profile::ProfileFileLoadError;
use aws_credential_types::provider::error::CredentialsError;

use crate::InvalidParameter;

/// Where the shared config files were not as needed: a file, a profile in it, and the key at
/// fault when there is one.
///
/// The file is the config or credentials file the key (or else the profile) was found in, as
/// named by `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE` or by its default name
/// (`~/.aws/config`, `~/.aws/credentials`); "the shared config files" when it cannot be told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub(super) file: String,
    pub(super) profile: String,
    pub(super) key: Option<&'static str>,
}

/// The file name used when it cannot be told which of the files a profile is in.
pub(super) const SHARED_FILES: &str = "the shared config files";

impl Location {
    pub(super) fn new(profile: &str, key: impl Into<Option<&'static str>>) -> Self {
        Self {
            file: SHARED_FILES.to_owned(),
            profile: profile.to_owned(),
            key: key.into(),
        }
    }

    /// The file, e.g. `~/.aws/config`.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The profile's name.
    pub fn profile(&self) -> &str {
        &self.profile
    }

    /// The key at fault, e.g. `duration_seconds`, when the problem is about one key.
    pub fn key(&self) -> Option<&str> {
        self.key
    }
}

/// `` `key` of profile `name` in FILE ``, or `` profile `name` in FILE `` without a key.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(key) = self.key {
            write!(f, "`{key}` of ")?;
        }
        write!(f, "profile `{}` in {}", self.profile, self.file)
    }
}

/// Why a named profile could not become an [`AssumeRoleProvider`](crate::AssumeRoleProvider).
///
/// Every variant but [`Load`](Self::Load) and [`InvalidOption`](Self::InvalidOption) names where the problem is ([`location`](Self::location)):
/// the file, the profile and the key. No message shows a secret: keys are named, never their
/// values, except for `credential_source`, whose value is a provider's name.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The config or credentials file could not be read or parsed.
    #[error("could not load the shared config files")]
    Load(#[source] ProfileFileLoadError),

    /// The profile is not defined in either file: the selected one, or one a `source_profile`
    /// names.
    #[error(
        "profile `{profile}` is not defined in {files}{}",
        referenced_by.as_ref().map(|at| format!(" ({at} names it)")).unwrap_or_default()
    )]
    MissingProfile {
        /// The profile that was looked for.
        profile: String,
        /// The files looked in.
        files: String,
        /// The `source_profile` key that named it, unless it is the selected profile.
        referenced_by: Option<Location>,
    },

    /// `source_profile` links lead back to a profile already in the chain.
    #[error("{at} makes a loop: {}", chain.join(" -> "))]
    Loop {
        /// The profiles in the order they were followed, ending with the repeated one.
        chain: Vec<String>,
        /// The `source_profile` key that closes the loop.
        at: Location,
    },

    /// A role profile has both `source_profile` and `credential_source`.
    #[error(
        "profile `{}` in {} sets both `source_profile` and `credential_source`; a role profile takes exactly one",
        at.profile, at.file
    )]
    BothSources {
        /// The profile (key `credential_source`).
        at: Location,
    },

    /// A role profile has neither `source_profile` nor `credential_source`.
    #[error(
        "profile `{}` in {} sets `role_arn` but neither `source_profile` nor `credential_source`",
        at.profile, at.file
    )]
    NoSource {
        /// The profile (key `role_arn`).
        at: Location,
    },

    /// The profile at the bottom of the chain has no credentials: no role, no
    /// `credential_source`, and no complete pair of keys.
    #[error(
        "profile `{}` in {} has no `{}`: a source profile needs `aws_access_key_id` and `aws_secret_access_key`, or `role_arn` with `source_profile` or `credential_source`",
        at.profile, at.file, at.key.unwrap_or("aws_access_key_id")
    )]
    NoCredentials {
        /// The profile, and the key it lacks.
        at: Location,
    },

    /// `credential_source` names no source this crate knows.
    #[error("{at} is `{value}`, not one of `Environment`, `Ec2InstanceMetadata`, `EcsContainer`")]
    UnknownCredentialSource {
        /// The `credential_source` key.
        at: Location,
        /// Its value.
        value: String,
    },

    /// A value breaks an STS rule for its parameter (the cause says which rule), or the
    /// provider rules (`duration_seconds` over one hour for a role assumed with another
    /// role's credentials).
    #[error("{at} is not valid")]
    InvalidValue {
        /// The key.
        at: Location,
        /// The rule broken (boxed to keep the error small).
        #[source]
        source: Box<InvalidParameter>,
    },

    /// A role profile has `mfa_serial` but the builder was given no MFA token source.
    #[error("{at} needs an MFA token source: give one with `ProfileProviderBuilder::mfa`")]
    MfaSourceMissing {
        /// The `mfa_serial` key.
        at: Location,
    },

    /// The selected profile is not a role: it has no `role_arn`.
    #[error(
        "profile `{}` in {} has no `role_arn`; only a role profile makes an AssumeRoleProvider",
        at.profile, at.file
    )]
    NotARole {
        /// The profile (key `role_arn`).
        at: Location,
    },

    /// The chain ends in a source this crate does not resolve (`credential_process`, SSO,
    /// `web_identity_token_file`, `login_session`).
    #[error(
        "{at} names a credential source this crate does not resolve; use static keys or `credential_source` (`Environment`, `Ec2InstanceMetadata`, `EcsContainer`)"
    )]
    UnsupportedSource {
        /// The key naming the source.
        at: Location,
    },

    /// An option given to the builder, not a value of the files, is invalid (for example an
    /// [`mfa_session`](super::ProfileProviderBuilder::mfa_session) duration outside 900 s to
    /// 36 h).
    #[error("the `ProfileProviderBuilder::{option}` option is invalid")]
    InvalidOption {
        /// The builder method.
        option: &'static str,
        /// Every rule broken.
        #[source]
        source: crate::ValidationErrors,
    },
}

impl ProfileError {
    /// Where the problem is, for every variant but [`Load`](Self::Load) and
    /// [`InvalidOption`](Self::InvalidOption). For
    /// [`MissingProfile`](Self::MissingProfile), the `source_profile` key that named the missing
    /// profile, if any.
    pub fn location(&self) -> Option<&Location> {
        match self {
            ProfileError::Load(_) | ProfileError::InvalidOption { .. } => None,
            ProfileError::MissingProfile { referenced_by, .. } => referenced_by.as_ref(),
            ProfileError::Loop { at, .. }
            | ProfileError::BothSources { at }
            | ProfileError::NoSource { at }
            | ProfileError::NoCredentials { at }
            | ProfileError::UnknownCredentialSource { at, .. }
            | ProfileError::InvalidValue { at, .. }
            | ProfileError::MfaSourceMissing { at }
            | ProfileError::NotARole { at }
            | ProfileError::UnsupportedSource { at } => Some(at),
        }
    }

    pub(super) fn location_mut(&mut self) -> Option<&mut Location> {
        match self {
            ProfileError::Load(_) | ProfileError::InvalidOption { .. } => None,
            ProfileError::MissingProfile { referenced_by, .. } => referenced_by.as_mut(),
            ProfileError::Loop { at, .. }
            | ProfileError::BothSources { at }
            | ProfileError::NoSource { at }
            | ProfileError::NoCredentials { at }
            | ProfileError::UnknownCredentialSource { at, .. }
            | ProfileError::InvalidValue { at, .. }
            | ProfileError::MfaSourceMissing { at }
            | ProfileError::NotARole { at }
            | ProfileError::UnsupportedSource { at } => Some(at),
        }
    }

    /// The profile at fault: the missing one for [`MissingProfile`](Self::MissingProfile),
    /// else the one of [`location`](Self::location).
    pub fn profile(&self) -> Option<&str> {
        match self {
            ProfileError::MissingProfile { profile, .. } => Some(profile),
            other => other.location().map(Location::profile),
        }
    }

    /// The key at fault, if the problem is about one key.
    pub fn key(&self) -> Option<&str> {
        self.location().and_then(Location::key)
    }

    /// The file at fault (see [`Location`]); for [`MissingProfile`](Self::MissingProfile), the
    /// files looked in.
    pub fn file(&self) -> Option<&str> {
        match self {
            ProfileError::MissingProfile { files, .. } => Some(files),
            other => other.location().map(Location::file),
        }
    }

    /// Whether trying again may help without changing the files: only when a file could not be
    /// read (an I/O error), never for what a file says.
    pub fn is_retryable(&self) -> bool {
        match self {
            ProfileError::Load(e) => e.source().is_some_and(|s| s.is::<std::io::Error>()),
            _ => false,
        }
    }
}

/// A profile that cannot become a provider is a configuration error.
impl From<ProfileError> for CredentialsError {
    fn from(e: ProfileError) -> Self {
        CredentialsError::invalid_configuration(e)
    }
}
