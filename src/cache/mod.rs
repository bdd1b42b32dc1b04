//! A credential cache on disk that the AWS CLI shares.
//!
//! The AWS CLI keeps the credentials of each role it assumes in `~/.aws/cli/cache/<key>.json`,
//! where the key is a hash of the AssumeRole request. [`cli_cache_key`] computes that key for
//! an [`AssumeRoleRequest`](crate::AssumeRoleRequest), [`CachedCredentials`] is the file's
//! content, and [`FileCache`] reads and writes the files safely. So a program and the AWS CLI
//! assuming the same role reuse each other's session, and an MFA code typed into one is not
//! asked for again by the other until the session ends.
//!
//! Read an entry with [`load_for`]: it takes the request the credentials must answer, finds
//! the entry under the request's key, and serves it only if it was issued for that role and
//! session ([`CachedCredentials::is_for`]) and lives long enough. The key alone proves
//! nothing: a file linked, renamed or copied under role B's key can hold role A's credentials.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//!
//! use sts_assume_role::{AssumeRoleRequest, AssumedRoleUser};
//! use sts_assume_role::cache::{
//!     self, AWS_CLI_MIN_REMAINING, CachedCredentials, CredentialCache, FileCache, cli_cache_key,
//! };
//!
//! # let dir = tempfile::tempdir()?;
//! // `FileCache::aws_cli()` is the AWS CLI's own directory.
//! let cache = FileCache::new(dir.path());
//! let request = AssumeRoleRequest::builder_with_generated_name("arn:aws:iam::111111111111:role/RoleB")
//!     .build()?;
//! let now = SystemTime::now();
//! assert!(cache::load_for(&cache, &request, now, AWS_CLI_MIN_REMAINING)?.is_none());
//!
//! // What the AWS CLI (or a provider with this cache) stores after assuming role B.
//! let issued_to = |role: &str| AssumedRoleUser {
//!     arn: format!("arn:aws:sts::111111111111:assumed-role/{role}/botocore-session-1"),
//!     assumed_role_id: "AROAEXAMPLE:botocore-session-1".into(),
//! };
//! let entry = CachedCredentials::new("ASIAEXAMPLE", "secret", "token", now + Duration::from_secs(3600))
//!     .with_assumed_role_user(issued_to("RoleB"));
//! cache.store(&cli_cache_key(&request), &entry)?;
//! let credentials = cache::load_for(&cache, &request, now, AWS_CLI_MIN_REMAINING)?;
//! assert_eq!(credentials.expect("an hour left").access_key_id(), "ASIAEXAMPLE");
//!
//! // Role A's credentials under role B's key are never served for role B.
//! let role_a = entry.with_assumed_role_user(issued_to("RoleA"));
//! cache.store(&cli_cache_key(&request), &role_a)?;
//! assert!(cache::load_for(&cache, &request, now, AWS_CLI_MIN_REMAINING)?.is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A cache folder other users can write to, or links and renames in it, never get role A's
//! credentials served for role B: see [`FileCache`] for the rules on links, entries, the
//! folder and the temporary files a crash leaves behind.
//!
//! The [`CredentialCache`] trait is synchronous: an entry is a small file read once per
//! refresh, and a synchronous trait is object-safe without boxed futures and usable from code
//! with no runtime (a `credential_process` program, a build script). An async caller that must
//! not block a runtime thread for a disk sync runs it in `tokio::task::spawn_blocking`.

mod dir;
mod entry;
mod error;
mod file;
mod key;
mod python_json;
pub(crate) mod read;
mod temp;
mod wire;

use std::fmt;
use std::time::Duration;

pub use entry::CachedCredentials;
pub use error::CacheError;
pub(crate) use error::CacheOperation;
pub use file::FileCache;
pub use key::{cli_cache_key, session_cache_key};
pub use read::load_for;

/// The AWS CLI serves a cached entry only while more than this is left before it expires:
/// 15 minutes.
pub const AWS_CLI_MIN_REMAINING: Duration = Duration::from_secs(15 * 60);

/// Where assumed-role credentials are kept between processes, by key (see [`cli_cache_key`]):
/// the storage a provider's [cache](crate::AssumeRoleProviderBuilder::cache) and [`load_for`]
/// read and write. Implement it to keep entries elsewhere (a keyring, a shared store); read
/// entries with [`load_for`].
///
/// Implementations must treat a bad entry as absent (`Ok(None)`), never as an error and never
/// as credentials to use; an `Err` is for the storage itself failing. Callers should treat an
/// `Err` as a miss too: a cache never stands between a caller and STS.
///
/// A store judges neither expiry nor what an entry is for: [`load`](Self::load) returns what is
/// stored, and the reader decides, with its own clock (so one clock makes every decision of a
/// provider) and against its own request (so a store cannot serve one role's credentials for
/// another, whatever its keys hold).
pub trait CredentialCache: Send + Sync + fmt::Debug {
    /// The entry stored under `key`, if there is a usable one, whatever its expiry and whatever
    /// it was issued for.
    ///
    /// The storage primitive, for implementations and their tests. An entry returned here
    /// proves nothing about the role it answers: a file linked, renamed or copied under `key`
    /// can hold another role's credentials. To get credentials to use, call [`load_for`],
    /// which checks the entry against the request
    /// ([`CachedCredentials::is_for`]) and its expiry.
    fn load(&self, key: &str) -> Result<Option<CachedCredentials>, CacheError>;

    /// Stores `entry` under `key`, replacing any entry there.
    fn store(&self, key: &str, entry: &CachedCredentials) -> Result<(), CacheError>;
}

/// One store shared by several providers.
impl<T: CredentialCache + ?Sized> CredentialCache for std::sync::Arc<T> {
    fn load(&self, key: &str) -> Result<Option<CachedCredentials>, CacheError> {
        (**self).load(key)
    }

    fn store(&self, key: &str, entry: &CachedCredentials) -> Result<(), CacheError> {
        (**self).store(key, entry)
    }
}
