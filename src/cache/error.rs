//! What can go wrong storing or loading a cache entry.

use std::io;
use std::path::{Path, PathBuf};

/// A cache operation that failed. Neither its `Display` nor its `Debug` ever holds
/// credentials: only paths, keys and the operation.
///
/// A cache is an optimisation: a caller that gets one of these should log it and go on to STS.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The key cannot name a file: it must be 1-128 characters of `[A-Za-z0-9_-]`, as the
    /// keys of [`cli_cache_key`](super::cli_cache_key) are.
    #[error("invalid cache key {key:?}: must be 1-128 characters of [A-Za-z0-9_-]")]
    InvalidKey {
        /// The key given.
        key: String,
    },
    /// A file system operation failed.
    #[error("cannot {operation} {}", path.display())]
    Io {
        /// What was being done, e.g. `read the cache file`.
        operation: &'static str,
        /// The file or directory it was done to.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The cache directory is not safe to keep credentials in: it is owned by another user
    /// (neither the current one nor root), or others may write to it and it lacks the sticky
    /// bit, so they could replace or rename entries. Not retryable: fix the directory's owner
    /// or mode (`chmod o-w`), or use another directory.
    #[error("refusing to store credentials in {}: the directory is {reason}", path.display())]
    UntrustedDir {
        /// The directory.
        path: PathBuf,
        /// Why it is not trusted, e.g. `owned by another user`.
        reason: &'static str,
    },
    /// The entry could not be written as JSON (its `Expiration` is outside years 0-9999).
    #[error("cannot encode the cache entry as JSON")]
    Encode(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// The credentials lack a field the AWS CLI's format requires, so they cannot be cached.
    #[error("the credentials cannot be cached: they have no {0}")]
    Incomplete(&'static str),
}

impl CacheError {
    pub(crate) fn io(operation: CacheOperation, path: &Path, source: io::Error) -> Self {
        CacheError::Io {
            operation: operation.what(),
            path: path.to_owned(),
            source,
        }
    }

    /// The file or directory involved, for I/O errors and untrusted directories.
    pub fn path(&self) -> Option<&Path> {
        match self {
            CacheError::Io { path, .. } | CacheError::UntrustedDir { path, .. } => Some(path),
            _ => None,
        }
    }

    /// Whether trying the same operation again may succeed: only for I/O errors that are
    /// transient by nature (interrupted, timed out, would block, storage busy).
    pub fn is_retryable(&self) -> bool {
        match self {
            CacheError::Io { source, .. } => matches!(
                source.kind(),
                io::ErrorKind::Interrupted
                    | io::ErrorKind::TimedOut
                    | io::ErrorKind::WouldBlock
                    | io::ErrorKind::ResourceBusy
            ),
            _ => false,
        }
    }
}

/// The file system operations of [`FileCache`](super::FileCache), named in a
/// [`CacheError::Io`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum CacheOperation {
    /// Creating the cache directory.
    CreateDir,
    /// Reading a cache file.
    Read,
    /// Creating, writing and syncing the temporary file a new entry is written to.
    Write,
    /// Renaming the temporary file over the cache file.
    Replace,
}

impl CacheOperation {
    fn what(self) -> &'static str {
        match self {
            CacheOperation::CreateDir => "create the cache directory",
            CacheOperation::Read => "read the cache file",
            CacheOperation::Write => "write the temporary cache file",
            CacheOperation::Replace => "replace the cache file",
        }
    }
}
