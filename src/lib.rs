//! Act as another AWS IAM role from Rust.
//!
//! - [`AssumeRoleRequest`]: every STS `AssumeRole` parameter, checked locally before any
//!   network call, with an error naming each parameter and rule broken.
//! - [`AssumeRoleProvider`]: credentials for the role, implementing
//!   [`ProvideCredentials`](aws_credential_types::provider::ProvideCredentials); cached,
//!   refreshed in the background before expiry, single flight, and kept through STS faults.
//! - [`mfa`]: MFA codes from a terminal prompt, a TOTP secret, a channel or your own callback,
//!   asked exactly when needed and never reused; an [`MfaSession`] asks once for hours.
//! - [`profile`]: providers from the roles in `~/.aws/config`, `mfa_serial` included.
//! - [`cache`]: the AWS CLI's credential cache, so processes (and the AWS CLI) share a session
//!   and its MFA code; opt in with [`cache`](AssumeRoleProviderBuilder::cache) on any
//!   provider's builder. Links, renamed entries and loose folders never get one role's
//!   credentials served for another, and crashed writers' temporary files are cleaned up (see
//!   [`FileCache`](cache::FileCache)).
//! - [`process`]: credentials for child processes (the AWS CLI, terraform, any SDK program):
//!   a local container-credentials endpoint that keeps them fresh (feature
//!   `credentials-endpoint`), or static exports.
//! - [`test_util`] (feature `test-util`): a mock STS speaking the real wire protocol.
//!
//! Each provider has its builder ([`AssumeRoleProviderBuilder`], [`MfaSessionBuilder`],
//! [`ProfileBuilder`](profile::ProfileBuilder)); the settings they share (refresh policy,
//! clock, cache, MFA options) are set the same way on each, and a profile's chain hands them to
//! every provider it builds.
//!
//! # Examples
//!
//! An MFA-protected role, into any SDK client:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use aws_config::BehaviorVersion;
//! use aws_config::identity::IdentityCache;
//! use sts_assume_role::mfa::TerminalPrompt;
//! use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest};
//!
//! let base = aws_config::load_defaults(BehaviorVersion::latest()).await;
//! let request = AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/admin", "alice")
//!     .serial_number("arn:aws:iam::123456789012:mfa/alice")
//!     .build()?;
//! let provider = AssumeRoleProvider::builder(request, &base)
//!     .mfa(TerminalPrompt::new())
//!     .build()?;
//! let config = aws_config::defaults(BehaviorVersion::latest())
//!     .credentials_provider(provider)
//!     .identity_cache(IdentityCache::no_cache()) // the provider caches by itself
//!     .load()
//!     .await;
//! let s3_or_any_client = aws_sdk_sts::Client::new(&config);
//! # Ok(()) }
//! ```
//!
//! When something fails, [`Error::find_in`] gets this crate's [`Error`] (and STS's error code)
//! out of the `CredentialsError` a provider returned, or out of an SDK client's error.
//!
//! Guides: [`docs::mfa`] (MFA on each AssumeRole or an MFA session), [`docs::refresh`] (the
//! refresh model beside the other SDKs').
#![warn(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    rust_2018_idioms
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod assume;
pub mod cache;
mod clock;
pub mod docs;
mod error;
pub mod mfa;
pub mod process;
pub mod profile;
mod provider;
mod request;

#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod test_util;

pub use assume::{AssumedRole, AssumedRoleUser};
pub use error::{Error, StsErrorCode};
pub use provider::{
    AssumeRoleProvider, AssumeRoleProviderBuilder, HealOnRejection, MfaSession, MfaSessionBuilder,
    RefreshPolicy, ScheduledRefresh, Status,
};
pub use request::{
    AssumeRoleRequest, AssumeRoleRequestBuilder, InvalidParameter, Parameter, ValidationErrors,
};

// The README's snippets are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
