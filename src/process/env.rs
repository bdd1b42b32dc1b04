//! The environment of a child process: what to set, and what to remove so that the child's
//! SDK finds what was set.

use std::fmt;
use std::process::Command;

use aws_credential_types::Credentials;

use super::ProcessError;
use super::export::expiration_utc;

const REDACTED: &str = "** redacted **";

/// Variables that make an AWS SDK (or the AWS CLI) take credentials from somewhere else before
/// it gets to the ones a [`ChildEnv`] sets, or that point its container provider elsewhere.
///
/// The SDKs' default chains look, in order, at: the environment's keys; the shared config
/// files' profile; web identity; the container endpoint; the instance's metadata service. The
/// AWS CLI (botocore) also reads a legacy EC2 credentials file before the container endpoint.
/// Within the container provider, a relative URI wins over the full one, and a token file over
/// the token.
const SHADOWING: &[&str] = &[
    // Environment credentials, first in every chain. `AWS_ACCESS_KEY` and `AWS_SECRET_KEY` are
    // the Go and Java SDKs' other spellings; `AWS_SECURITY_TOKEN` is botocore's old name of the
    // session token; the expiry and account belong to the keys they came with.
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_ACCOUNT_ID",
    // A profile selected by name (botocore and the Go SDK also read `AWS_DEFAULT_PROFILE`).
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    // Web identity (an EKS service account or any OIDC token), before the container provider.
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    // The container provider's own settings: a relative URI wins over the full one, a token
    // file over the token.
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    // botocore's legacy EC2 credentials file, read before the container provider.
    "AWS_CREDENTIAL_FILE",
];

/// One variable to set.
#[derive(Clone)]
struct Var {
    name: &'static str,
    value: String,
    secret: bool,
}

/// The environment a child process needs to use some credentials: variables to set, and the
/// variables to remove because the child's SDK would read them first.
///
/// Made by [`CredentialsEndpoint::child_env`](super::CredentialsEndpoint::child_env) (the
/// endpoint's URL and token) or [`from_credentials`](Self::from_credentials) (static keys).
/// [`apply`](Self::apply) puts it on a [`Command`]; a `tokio::process::Command` gives its
/// `Command` with `as_std_mut()`.
///
/// The profile files (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`) are left alone: they
/// also hold the region and other settings. But every SDK reads the `default` profile's
/// credentials before a container endpoint, so a child whose `default` profile has keys (or a
/// role) uses them, not the endpoint; static keys from
/// [`from_credentials`](Self::from_credentials) come first in every chain and do not have this
/// limit.
///
/// `Debug` shows the names, and the values that are not secret; the endpoint's token, the
/// secret key and the session token show as `** redacted **`.
#[derive(Clone)]
pub struct ChildEnv {
    set: Vec<Var>,
}

impl ChildEnv {
    /// The environment that hands `credentials` to a child as static keys:
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, and when the credentials have them,
    /// `AWS_SESSION_TOKEN` and `AWS_CREDENTIAL_EXPIRATION` (whole seconds, UTC). Every other
    /// variable that would compete with them is removed, a stale session token included.
    ///
    /// They do not refresh: the child fails once they expire. For a child that may outlive
    /// them, serve a provider with a
    /// [`CredentialsEndpoint`](super::CredentialsEndpoint) instead.
    ///
    /// # Errors
    ///
    /// [`ProcessError::Expiration`] when the expiry cannot be written as an ISO 8601 date.
    ///
    /// # Examples
    ///
    /// ```
    /// use aws_credential_types::Credentials;
    /// use sts_assume_role::process::ChildEnv;
    ///
    /// let credentials = Credentials::new("ASIAEXAMPLE", "secret", Some("token".into()), None, "demo");
    /// let env = ChildEnv::from_credentials(&credentials)?;
    /// let mut child = std::process::Command::new("aws");
    /// env.apply(child.args(["sts", "get-caller-identity"]));
    /// assert!(env.removed().any(|name| name == "AWS_PROFILE"));
    /// assert!(!format!("{env:?}").contains("secret"));
    /// # Ok::<(), sts_assume_role::process::ProcessError>(())
    /// ```
    pub fn from_credentials(credentials: &Credentials) -> Result<Self, ProcessError> {
        let mut set = vec![
            Var::plain("AWS_ACCESS_KEY_ID", credentials.access_key_id()),
            Var::secret("AWS_SECRET_ACCESS_KEY", credentials.secret_access_key()),
        ];
        if let Some(token) = credentials.session_token() {
            set.push(Var::secret("AWS_SESSION_TOKEN", token));
        }
        if let Some(expiry) = credentials.expiry() {
            set.push(Var::plain(
                "AWS_CREDENTIAL_EXPIRATION",
                &expiration_utc(expiry)?,
            ));
        }
        Ok(ChildEnv { set })
    }

    /// For [`CredentialsEndpoint::child_env`](super::CredentialsEndpoint::child_env).
    #[cfg(feature = "credentials-endpoint")]
    pub(crate) fn endpoint(url: String, token: &str) -> Self {
        ChildEnv {
            set: vec![
                Var {
                    name: "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    value: url,
                    secret: false,
                },
                Var::secret("AWS_CONTAINER_AUTHORIZATION_TOKEN", token),
            ],
        }
    }

    /// The variables to set, as (name, value) pairs in a fixed order. The values include
    /// secrets: pass them to the child, never to a log.
    pub fn vars(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        self.set.iter().map(|var| (var.name, var.value.as_str()))
    }

    /// The variables to remove from the child's environment: every variable by which an AWS
    /// SDK or the AWS CLI would find other credentials first, or look for the container
    /// endpoint elsewhere (environment keys and their other spellings, `AWS_PROFILE` and
    /// `AWS_DEFAULT_PROFILE`, web identity, the container provider's other settings, botocore's
    /// `AWS_CREDENTIAL_FILE`), less those [`vars`](Self::vars) sets.
    pub fn removed(&self) -> impl Iterator<Item = &'static str> + '_ {
        SHADOWING
            .iter()
            .copied()
            .filter(|name| self.set.iter().all(|var| var.name != *name))
    }

    /// Removes [`removed`](Self::removed) from `command`'s environment and sets
    /// [`vars`](Self::vars); the rest of the environment (`PATH`, `AWS_REGION`, the profile
    /// files, …) is inherited or set as `command` says.
    pub fn apply<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        for name in self.removed() {
            command.env_remove(name);
        }
        command.envs(self.vars())
    }
}

impl Var {
    fn plain(name: &'static str, value: &str) -> Self {
        Var {
            name,
            value: value.to_owned(),
            secret: false,
        }
    }

    fn secret(name: &'static str, value: &str) -> Self {
        Var {
            name,
            value: value.to_owned(),
            secret: true,
        }
    }
}

impl fmt::Debug for ChildEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Set<'a>(&'a [Var]);
        impl fmt::Debug for Set<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|var| {
                        let shown = if var.secret { REDACTED } else { &var.value };
                        (var.name, shown)
                    }))
                    .finish()
            }
        }
        struct Removed<'a>(&'a ChildEnv);
        impl fmt::Debug for Removed<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.0.removed()).finish()
            }
        }
        f.debug_struct("ChildEnv")
            .field("set", &Set(&self.set))
            .field("removed", &Removed(self))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn credentials() -> Credentials {
        Credentials::new(
            "ASIAEXAMPLE",
            "the-secret-key",
            Some("the-session-token".to_owned()),
            Some(UNIX_EPOCH + Duration::from_secs(1_800_000_000)),
            "test",
        )
    }

    #[test]
    fn static_keys_set_four_variables_and_remove_the_competing_ones() {
        let env = ChildEnv::from_credentials(&credentials()).unwrap();
        let set: Vec<_> = env.vars().collect();
        assert_eq!(
            set,
            [
                ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
                ("AWS_SECRET_ACCESS_KEY", "the-secret-key"),
                ("AWS_SESSION_TOKEN", "the-session-token"),
                ("AWS_CREDENTIAL_EXPIRATION", "2027-01-15T08:00:00Z"),
            ]
        );
        let removed: Vec<_> = env.removed().collect();
        assert!(removed.contains(&"AWS_PROFILE"));
        assert!(removed.contains(&"AWS_CONTAINER_CREDENTIALS_FULL_URI"));
        assert!(!removed.contains(&"AWS_ACCESS_KEY_ID"));
    }

    #[test]
    fn long_term_keys_remove_a_stale_session_token() {
        let keys = Credentials::new("AKIAEXAMPLE", "secret", None, None, "test");
        let env = ChildEnv::from_credentials(&keys).unwrap();
        assert_eq!(env.vars().count(), 2);
        assert!(env.removed().any(|name| name == "AWS_SESSION_TOKEN"));
        assert!(
            env.removed()
                .any(|name| name == "AWS_CREDENTIAL_EXPIRATION")
        );
    }

    #[test]
    fn apply_sets_the_variables_and_removes_the_rest() {
        let env = ChildEnv::from_credentials(&credentials()).unwrap();
        let mut command = Command::new("true");
        command
            .env("AWS_PROFILE", "admin")
            .env("AWS_REGION", "eu-west-1");
        env.apply(&mut command);
        let envs: BTreeMap<_, _> = command
            .get_envs()
            .map(|(k, v)| (k.to_str().unwrap(), v.map(|v| v.to_str().unwrap())))
            .collect();
        assert_eq!(envs["AWS_PROFILE"], None, "removed");
        assert_eq!(envs["AWS_REGION"], Some("eu-west-1"), "left alone");
        assert_eq!(envs["AWS_ACCESS_KEY_ID"], Some("ASIAEXAMPLE"));
        assert_eq!(envs["AWS_WEB_IDENTITY_TOKEN_FILE"], None, "removed");
    }

    #[test]
    fn debug_hides_the_secret_key_and_session_token() {
        let env = ChildEnv::from_credentials(&credentials()).unwrap();
        let shown = format!("{env:?}");
        assert!(!shown.contains("the-secret-key"), "{shown}");
        assert!(!shown.contains("the-session-token"), "{shown}");
        assert!(shown.contains("ASIAEXAMPLE"), "{shown}");
        assert!(shown.contains("AWS_PROFILE"), "{shown}");
    }
}
