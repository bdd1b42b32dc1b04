//! A credential cache on disk that the AWS CLI shares.
//!
//! The AWS CLI keeps the credentials of each role it assumes in `~/.aws/cli/cache/<key>.json`,
//! where the key is a hash of the AssumeRole request. [`cli_cache_key`] computes that key for
//! an [`AssumeRoleRequest`](crate::AssumeRoleRequest), [`CachedCredentials`] is the file's
//! content, and [`FileCache`] reads and writes the files safely. So a program and the AWS CLI
//! assuming the same role reuse each other's session, and an MFA code typed into one is not
//! asked for again by the other until the session ends.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//!
//! use sts_assume_role::AssumeRoleRequest;
//! use sts_assume_role::cache::{
//!     AWS_CLI_MIN_REMAINING, CachedCredentials, CredentialCache, FileCache, cli_cache_key,
//! };
//!
//! # let dir = tempfile::tempdir()?;
//! // `FileCache::aws_cli()` is the AWS CLI's own directory.
//! let cache = FileCache::new(dir.path());
//! let request = AssumeRoleRequest::builder()
//!     .role_arn("arn:aws:iam::111111111111:role/RoleB")
//!     .generated_session_name()
//!     .build()?;
//! let key = cli_cache_key(&request);
//! assert_eq!(key, "c8ddac24797f70ef53df2e89db1960d64b15d6be");
//!
//! let now = SystemTime::now();
//! let entry = CachedCredentials::new("ASIAEXAMPLE", "secret", "token", now + Duration::from_secs(3600));
//! cache.store(&key, &entry)?;
//! let credentials = cache.load_valid(&key, now, AWS_CLI_MIN_REMAINING).expect("an hour left");
//! assert_eq!(credentials.access_key_id(), "ASIAEXAMPLE");
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

mod entry;
mod error;
mod file;
mod key;

use std::fmt;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;

pub use entry::CachedCredentials;
pub use error::{CacheError, CacheOperation};
pub use file::FileCache;
pub use key::{cli_cache_key, session_cache_key};

/// The AWS CLI serves a cached entry only while more than this is left before it expires:
/// 15 minutes.
pub const AWS_CLI_MIN_REMAINING: Duration = Duration::from_secs(15 * 60);

/// Where assumed-role credentials are kept between processes, by key (see [`cli_cache_key`]).
///
/// Implementations must treat a bad entry as absent (`Ok(None)`), never as an error and never
/// as credentials to use; an `Err` is for the storage itself failing. Callers should treat an
/// `Err` as a miss too: a cache never stands between a caller and STS.
///
/// A store does not judge expiry: [`load`](Self::load) returns what is stored, and the caller
/// decides with its own clock ([`load_valid`](Self::load_valid)), so one clock makes every
/// decision of a provider. Nor does a key prove what an entry is for: a provider calls
/// [`load`](Self::load) and serves an entry only if it was issued for its request
/// ([`CachedCredentials::is_for`]) and is valid by its clock.
pub trait CredentialCache: Send + Sync + fmt::Debug {
    /// The entry stored under `key`, if there is a usable one, whatever its expiry.
    fn load(&self, key: &str) -> Result<Option<CachedCredentials>, CacheError>;

    /// Stores `entry` under `key`, replacing any entry there.
    fn store(&self, key: &str, entry: &CachedCredentials) -> Result<(), CacheError>;

    /// The credentials under `key` if they are good for more than `min_remaining` at `now`
    /// ([`AWS_CLI_MIN_REMAINING`] to serve exactly what the AWS CLI would). A load error is
    /// logged and counts as a miss.
    fn load_valid(
        &self,
        key: &str,
        now: SystemTime,
        min_remaining: Duration,
    ) -> Option<Credentials> {
        match self.load(key) {
            Ok(Some(entry)) if entry.is_valid_at(now, min_remaining) => {
                Some(entry.to_credentials())
            }
            Ok(Some(_)) => {
                tracing::debug!(key, "cached credentials expire too soon to be served");
                None
            }
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(key, %error, "credential cache unreadable; treated as a miss");
                None
            }
        }
    }
}

/// One store shared by several providers.
impl<T: CredentialCache + ?Sized> CredentialCache for std::sync::Arc<T> {
    fn load(&self, key: &str) -> Result<Option<CachedCredentials>, CacheError> {
        (**self).load(key)
    }

    fn store(&self, key: &str, entry: &CachedCredentials) -> Result<(), CacheError> {
        (**self).store(key, entry)
    }

    fn load_valid(
        &self,
        key: &str,
        now: SystemTime,
        min_remaining: Duration,
    ) -> Option<Credentials> {
        (**self).load_valid(key, now, min_remaining)
    }
}
