//! Sources the SDK resolves (SSO, `credential_process`, web identity): handed to aws-config's
//! own provider for the profile that holds them, with errors that say where and how to fix.

use std::error::Error as StdError;
use std::fmt;

use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{self, ProvideCredentials, future};
use aws_smithy_types::error::display::DisplayErrorContext;

use super::SourceKind;
use super::chain::{Delegated, Texts};
use super::error::Location;

/// The base of a chain that aws-config resolves: its `ProfileFileCredentialsProvider` for the
/// base profile alone (which has no role of ours), reading the same file texts.
pub(super) struct SdkSource {
    inner: ProfileFileCredentialsProvider,
    delegated: Delegated,
    profile: String,
}

impl SdkSource {
    pub(super) fn new(
        profile: &str,
        delegated: &Delegated,
        texts: &Texts,
        sts: &aws_sdk_sts::Client,
    ) -> Self {
        let inner = ProfileFileCredentialsProvider::builder()
            .configure(&provider_config(sts))
            .profile_files(texts.env_config_files())
            .profile_name(profile)
            .build();
        Self {
            inner,
            delegated: delegated.clone(),
            profile: profile.to_owned(),
        }
    }

    fn explain(&self, error: CredentialsError) -> CredentialsError {
        let kind = self.delegated.kind;
        let hint = match kind {
            SourceKind::Sso => Some(match &self.delegated.sso_session {
                Some(session) => format!(
                    "if the SSO session has expired or was never started, `aws sso login --sso-session {session}` starts one"
                ),
                None => format!(
                    "if the SSO session has expired or was never started, `aws sso login --profile {}` starts one",
                    self.profile
                ),
            }),
            SourceKind::LoginSession => Some(format!(
                "if the sign-in session has expired or was never started, `aws login --profile {}` starts one",
                self.profile
            )),
            _ => None,
        };
        // The same kind of error, by meaning: configuration stays configuration.
        let wrap: fn(SourceError) -> CredentialsError = match &error {
            CredentialsError::CredentialsNotLoaded(_) => CredentialsError::not_loaded,
            CredentialsError::InvalidConfiguration(_) => CredentialsError::invalid_configuration,
            CredentialsError::Unhandled(_) => CredentialsError::unhandled,
            _ => CredentialsError::provider_error,
        };
        let cause = match kind {
            SourceKind::CredentialProcess => match withheld_output(&error) {
                Some(said) => Cause::Withheld(said),
                None => Cause::Sdk(error),
            },
            _ => Cause::Sdk(error),
        };
        wrap(SourceError {
            kind,
            location: self.delegated.at.clone(),
            cause,
            hint,
        })
    }
}

/// The settings aws-config's providers get: the STS client's region, HTTP client, sleep and
/// time source (the rest, as the environment and the file system, are the process's).
pub(super) fn provider_config(sts: &aws_sdk_sts::Client) -> ProviderConfig {
    let config = sts.config();
    let mut provider_config =
        ProviderConfig::without_region().with_region(config.region().cloned());
    if let Some(http) = config.http_client() {
        provider_config = provider_config.with_http_client(http);
    }
    if let Some(sleep) = config.sleep_impl() {
        provider_config = provider_config.with_sleep_impl(sleep);
    }
    if let Some(time) = config.time_source() {
        provider_config = provider_config.with_time_source(time);
    }
    provider_config
}

/// For a `credential_process` whose output the SDK could not read, what to say instead of
/// the SDK's message, which may quote the output, and the output holds the secrets. `None`
/// for other failures, whose message (the exit status and stderr of a failed process) is
/// kept as the cause.
fn withheld_output(error: &CredentialsError) -> Option<String> {
    let full = DisplayErrorContext(error).to_string();
    if !full.contains("could not parse response") && !full.contains("could not decode output") {
        return None;
    }
    // The SDK names the field in backquotes ("Invalid field in response: `Expiration`").
    let field = full
        .split_once('`')
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(field, _)| field)
        .filter(|f| f.bytes().all(|b| b.is_ascii_alphanumeric()));
    Some(match field {
        Some(field) => format!(
            "its output could not be read as credentials: field `{field}` is missing or invalid (the output is not shown: it holds secrets)"
        ),
        None => "its output could not be read as credentials (the output is not shown: it holds secrets)"
            .to_owned(),
    })
}

impl fmt::Debug for SdkSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SdkSource")
            .field("kind", &self.delegated.kind)
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

impl ProvideCredentials for SdkSource {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let result: provider::Result = self.inner.provide_credentials().await;
            result.map_err(|e| self.explain(e))
        })
    }
}

/// A chain's source that aws-config resolves (SSO, `credential_process`, web identity)
/// failed: which kind, where in the files, what the SDK said, and for SSO the `aws sso login`
/// command that fixes an expired or missing session. Found in the [`CredentialsError`] of the
/// provider above it ([`Error::SourceCredentials`](crate::Error::SourceCredentials)).
///
/// A failed `credential_process` shows its exit status and stderr, never its output.
///
/// The SDK's error is the [`source`](StdError::source), except for a `credential_process`
/// whose output could not be read: that message is replaced, since it may quote the output.
#[derive(Debug)]
#[non_exhaustive]
pub struct SourceError {
    kind: SourceKind,
    location: Location,
    cause: Cause,
    hint: Option<String>,
}

/// Why the source failed.
#[derive(Debug)]
enum Cause {
    /// The SDK's error, as the source.
    Sdk(CredentialsError),
    /// What to say instead of an error that could show secrets.
    Withheld(String),
}

impl SourceError {
    /// The kind of source.
    pub fn kind(&self) -> SourceKind {
        self.kind
    }

    /// The file of the source's profile.
    pub fn file(&self) -> &str {
        self.location.file()
    }

    /// The profile of the source.
    pub fn profile(&self) -> &str {
        self.location.profile()
    }

    /// The key that names the source, e.g. `sso_session` or `credential_process`.
    pub fn key(&self) -> Option<&str> {
        self.location.key()
    }

    /// What to do about it, when known: for SSO, the `aws sso login` command.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the {} source at {} failed", self.kind, self.location)?;
        if let Cause::Withheld(said) = &self.cause {
            write!(f, ": {said}")?;
        }
        match &self.hint {
            Some(hint) => write!(f, " ({hint})"),
            None => Ok(()),
        }
    }
}

impl StdError for SourceError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.cause {
            Cause::Sdk(error) => Some(error),
            Cause::Withheld(_) => None,
        }
    }
}
