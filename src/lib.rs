//! Act as another AWS IAM role from Rust: a typed, validated STS `AssumeRole` request, and
//! credentials for it.
#![warn(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    rust_2018_idioms
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod assume;
mod clock;
mod error;
pub mod mfa;
mod provider;
pub mod request;

#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod test_util;

pub use assume::{AssumedRole, AssumedRoleUser};
pub use error::{Error, InvalidParameter, Parameter, StsErrorCode, ValidationErrors};
pub use provider::{
    AssumeRoleProvider, NoSts, ProviderBuilder, RefreshPolicy, SharedError, Status, WithSts,
};
pub use request::AssumeRoleRequest;
