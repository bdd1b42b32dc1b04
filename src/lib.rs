//! Act as another AWS IAM role from Rust.
//!
//! - [`AssumeRoleRequest`]: every STS `AssumeRole` parameter, typed and checked locally
//!   before any network call, with an error naming each parameter and rule broken.
//! - [`AssumeRoleProvider`]: credentials for the role, implementing
//!   [`ProvideCredentials`](aws_credential_types::provider::ProvideCredentials); cached,
//!   refreshed in the background before expiry, single flight, and kept through STS faults.
//! - [`mfa`]: MFA codes from a terminal prompt, a TOTP secret, a channel or your own callback,
//!   asked exactly when needed and never reused; an [`MfaSession`] asks once for hours.
//! - [`profile`]: providers from the roles in `~/.aws/config`, `mfa_serial` included.
//! - [`cache`]: the AWS CLI's credential cache, so processes (and the AWS CLI) share a session
//!   and its MFA code; opt in with [`ProviderBuilder::cache`](builder::ProviderBuilder::cache).
//!   Links, renamed entries and loose folders never get one role's credentials served for
//!   another, and crashed writers' temporary files are cleaned up (see
//!   [`FileCache`](cache::FileCache)).
//! - [`builder`]: the one [`ProviderBuilder`](builder::ProviderBuilder) of every kind of
//!   provider, with the settings they share written once.
//! - [`process`]: credentials for child processes (the AWS CLI, terraform, any SDK program):
//!   a local container-credentials endpoint that keeps them fresh (feature
//!   `credentials-endpoint`), or static exports.
//! - [`test_util`] (feature `test-util`): a mock STS speaking the real wire protocol.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use aws_config::BehaviorVersion;
//! use aws_config::identity::IdentityCache;
//! use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest};
//!
//! let base = aws_config::load_defaults(BehaviorVersion::latest()).await;
//! let provider = AssumeRoleProvider::builder(
//!     AssumeRoleRequest::builder()
//!         .role_arn("arn:aws:iam::123456789012:role/reader")
//!         .role_session_name("reader")
//!         .build()?,
//! )
//! .sdk_config(&base)
//! .build()?;
//! let config = aws_config::defaults(BehaviorVersion::latest())
//!     .credentials_provider(provider)
//!     .identity_cache(IdentityCache::no_cache()) // the provider caches by itself
//!     .load()
//!     .await;
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
pub mod request;

#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod test_util;

pub use assume::{AssumedRole, AssumedRoleUser};
pub use error::{Error, StsErrorCode};
pub use provider::{
    AssumeRoleProvider, DEFAULT_UTILIZATION_WARNING, HealOnRejection, MfaSession, REJECTION_CODES,
    RefreshPolicy, ScheduledRefresh, Status,
};
pub use request::{AssumeRoleRequest, InvalidParameter, Parameter, ValidationErrors};

pub mod builder {
    //! The one builder of every kind of provider, and its states.
    //!
    //! [`ProviderBuilder`] carries the settings every provider shares (STS access, refresh
    //! policy, clock, credential cache, MFA options); its first type parameter is the kind of
    //! provider it builds ([`ForRole`], [`ForMfaSession`], [`ForProfile`]), its second whether
    //! STS access is chosen ([`NoSts`], [`WithSts`]). You rarely name these types: start from
    //! [`AssumeRoleProvider::builder`](crate::AssumeRoleProvider::builder),
    //! [`MfaSession::builder`](crate::MfaSession::builder) or
    //! [`profile::from_profile`](crate::profile::from_profile).
    pub use crate::profile::kind::ForProfile;
    pub use crate::provider::{ForMfaSession, ForRole, NoSts, ProviderBuilder, WithSts};
}

// The README's snippets are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
