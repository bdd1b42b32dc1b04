//! What a profile's chain reads from outside: [`Environment`], the variables and files; and
//! `credential_source = Environment`, keys from those variables.
//!
//! The SDK's `EnvironmentVariableCredentialsProvider` reads only the process environment (its
//! constructor taking an `Env` is private), so [`EnvCredentials`] reads the builder's variables
//! with the same rules: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (or `SECRET_ACCESS_KEY`),
//! `AWS_SESSION_TOKEN` and `AWS_ACCOUNT_ID`; blank values count as unset.

use std::collections::HashMap;
use std::fmt;

use aws_credential_types::Credentials;
use aws_credential_types::attributes::AccountId;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{self, ProvideCredentials};
use aws_types::os_shim_internal::{Env, Fs};

const PROVIDER_NAME: &str = "EnvironmentVariable";

/// The environment variables and files a profile's chain is resolved from: the process's own
/// by default, or ones a test (or a program hosting several configurations) gives.
///
/// The variables read are `AWS_PROFILE`, `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`,
/// `HOME` (`USERPROFILE` on Windows), `AWS_REGION` / `AWS_DEFAULT_REGION`, and the keys of
/// `credential_source = Environment`. The SDK's instance metadata and container sources, and
/// the SDK settings loaded when the builder has no STS access of its own, read the process
/// environment whatever this says.
///
/// `Debug` shows which kind of environment it is, never a variable.
#[derive(Clone)]
pub struct Environment {
    vars: Env,
    files: Fs,
    own_vars: bool,
    own_files: bool,
}

impl Environment {
    /// The process's environment variables and file system.
    pub fn process() -> Self {
        Self {
            vars: Env::real(),
            files: Fs::real(),
            own_vars: false,
            own_files: false,
        }
    }

    /// These variables and no others (none of the process's), with the real file system.
    pub fn from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let vars: HashMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Self {
            vars: Env::from(vars),
            own_vars: true,
            ..Self::process()
        }
    }

    /// Reads files from memory instead of the file system: these paths (as the variables name
    /// them, or `HOME` + `/.aws/config` and `/.aws/credentials`) with these contents, and no
    /// other file.
    #[must_use]
    pub fn with_files<P, C>(mut self, files: impl IntoIterator<Item = (P, C)>) -> Self
    where
        P: Into<String>,
        C: Into<String>,
    {
        let files: HashMap<String, Vec<u8>> = files
            .into_iter()
            .map(|(p, c)| (p.into(), c.into().into_bytes()))
            .collect();
        self.files = Fs::from_map(files);
        self.own_files = true;
        self
    }

    pub(super) fn vars(&self) -> &Env {
        &self.vars
    }

    pub(super) fn files(&self) -> &Fs {
        &self.files
    }

    /// A variable's value, trimmed, unless unset or blank.
    pub(super) fn var(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }
}

impl Default for Environment {
    fn default() -> Self {
        Self::process()
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let which = |own: bool| if own { "given" } else { "process" };
        f.debug_struct("Environment")
            .field("vars", &which(self.own_vars))
            .field("files", &which(self.own_files))
            .finish()
    }
}

/// Credentials from the variables of an [`Environment`]. `Debug` shows none of them.
#[derive(Clone)]
pub(super) struct EnvCredentials(pub(super) Environment);

impl fmt::Debug for EnvCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnvCredentials")
    }
}

impl EnvCredentials {
    fn var(&self, name: &str) -> Option<String> {
        self.0.var(name)
    }

    fn load(&self) -> provider::Result {
        let not_set = |name: &str| {
            CredentialsError::not_loaded(format!("environment variable {name} is not set"))
        };
        let access_key_id = self
            .var("AWS_ACCESS_KEY_ID")
            .ok_or_else(|| not_set("AWS_ACCESS_KEY_ID"))?;
        let secret_access_key = self
            .var("AWS_SECRET_ACCESS_KEY")
            .or_else(|| self.var("SECRET_ACCESS_KEY"))
            .ok_or_else(|| not_set("AWS_SECRET_ACCESS_KEY"))?;
        let mut builder = Credentials::builder()
            .access_key_id(access_key_id)
            .secret_access_key(secret_access_key)
            .provider_name(PROVIDER_NAME);
        builder.set_session_token(self.var("AWS_SESSION_TOKEN"));
        builder.set_account_id(self.var("AWS_ACCOUNT_ID").map(AccountId::from));
        Ok(builder.build())
    }
}

impl ProvideCredentials for EnvCredentials {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::ready(self.load())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_keys_and_token_from_the_given_env() {
        let env = Environment::from_vars([
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token"),
        ]);
        let creds = EnvCredentials(env).provide_credentials().await.unwrap();
        assert_eq!(creds.access_key_id(), "AKIDEXAMPLE");
        assert_eq!(creds.secret_access_key(), "secret");
        assert_eq!(creds.session_token(), Some("token"));
    }

    #[tokio::test]
    async fn blank_keys_are_not_loaded_and_the_error_names_the_variable() {
        let env =
            Environment::from_vars([("AWS_ACCESS_KEY_ID", "  "), ("AWS_SECRET_ACCESS_KEY", "s")]);
        let err = EnvCredentials(env).provide_credentials().await.unwrap_err();
        assert!(matches!(err, CredentialsError::CredentialsNotLoaded(_)));
        let shown = format!(
            "{}",
            aws_smithy_types::error::display::DisplayErrorContext(&err)
        );
        assert!(shown.contains("AWS_ACCESS_KEY_ID"), "{shown}");
    }

    #[test]
    fn debug_shows_no_variable() {
        let env = Environment::from_vars([("AWS_SECRET_ACCESS_KEY", "hush")]);
        assert!(!format!("{:?}", EnvCredentials(env.clone())).contains("hush"));
        assert!(!format!("{env:?}").contains("hush"));
    }
}
