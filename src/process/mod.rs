//! Credentials for child processes: a local container-credentials endpoint, and exports.
//!
//! A program holding a refreshing provider often starts others (the AWS CLI, terraform, a
//! script, another Rust binary). Three ways to hand them the role, from best to simplest:
//!
//! - [`CredentialsEndpoint`] (feature `credentials-endpoint`): serves any
//!   [`ProvideCredentials`](aws_credential_types::provider::ProvideCredentials) over the
//!   container credentials protocol that every AWS SDK and the AWS CLI speak. The child keeps
//!   fresh credentials for as long as it runs: each time its SDK refreshes, it gets what the
//!   provider holds then.
//! - [`ChildEnv::from_credentials`]: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//!   `AWS_SESSION_TOKEN` for a child; they do not refresh, so the child must finish before
//!   they expire.
//! - [`credential_process_json`]: the answer of a `credential_process` command (Version 1).
//!
//! Either [`ChildEnv`] also removes the variables that would make the child's SDK look
//! elsewhere first ([`ChildEnv::removed`]); [`ChildEnv::apply`] does both on a
//! [`Command`](std::process::Command).
//!
//! ```no_run
//! # #[cfg(feature = "credentials-endpoint")]
//! # async fn demo(provider: sts_assume_role::AssumeRoleProvider) -> Result<(), Box<dyn std::error::Error>> {
//! use sts_assume_role::process::CredentialsEndpoint;
//!
//! let endpoint = CredentialsEndpoint::start(provider)?;
//! let mut terraform = tokio::process::Command::new("terraform");
//! endpoint.child_env().apply(terraform.as_std_mut());
//! let status = terraform.arg("apply").status().await?;
//! drop(endpoint); // closes the port; the token is worthless from here on
//! # let _ = status;
//! # Ok(()) }
//! ```
//!
//! Secrets never reach `Debug`, `Display`, logs or errors here: the endpoint's token and the
//! secret key and session token of an export show as `** redacted **`.

#[cfg(feature = "credentials-endpoint")]
mod endpoint;
mod env;
mod error;
mod export;

#[cfg(feature = "credentials-endpoint")]
#[cfg_attr(docsrs, doc(cfg(feature = "credentials-endpoint")))]
pub use endpoint::CredentialsEndpoint;
pub use env::ChildEnv;
pub use error::ProcessError;
pub use export::credential_process_json;
