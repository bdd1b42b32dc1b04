//! `credential_source = Environment`: keys from the environment variables.
//!
//! The SDK's `EnvironmentVariableCredentialsProvider` reads only the process environment (its
//! constructor taking an `Env` is private), so this reads the builder's `Env` with the same
//! rules: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (or `SECRET_ACCESS_KEY`),
//! `AWS_SESSION_TOKEN` and `AWS_ACCOUNT_ID`; blank values count as unset.

use std::fmt;

use aws_credential_types::Credentials;
use aws_credential_types::attributes::AccountId;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{self, ProvideCredentials};
use aws_types::os_shim_internal::Env;

const PROVIDER_NAME: &str = "EnvironmentVariable";

/// Credentials from the variables of an [`Env`]. `Debug` shows none of them.
#[derive(Clone)]
pub(super) struct EnvCredentials(pub(super) Env);

impl fmt::Debug for EnvCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnvCredentials")
    }
}

impl EnvCredentials {
    fn var(&self, name: &str) -> Option<String> {
        self.0
            .get(name)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
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
        let env = Env::from_slice(&[
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
        let env = Env::from_slice(&[("AWS_ACCESS_KEY_ID", "  "), ("AWS_SECRET_ACCESS_KEY", "s")]);
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
        let env = Env::from_slice(&[("AWS_SECRET_ACCESS_KEY", "hush")]);
        assert!(!format!("{:?}", EnvCredentials(env)).contains("hush"));
    }
}
