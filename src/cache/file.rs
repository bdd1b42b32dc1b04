//! [`FileCache`]: one JSON file per key in a directory, as the AWS CLI keeps them.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::dir::{
    Dir, DirTrust, check_dir, is_link_refused, open_entry, restrict, untrusted, warn_once,
};
use super::python_json::python_json_dumps;
use super::temp::clean_stale_temporaries;
use super::{CacheError, CacheOperation, CachedCredentials, CredentialCache};

/// An AWS CLI cache file is about 1.5 KiB; anything much larger is not one.
pub(super) const MAX_FILE_BYTES: u64 = 64 * 1024;
/// Keys are file names: at most this long.
pub(super) const MAX_KEY_CHARS: usize = 128;

/// A [`CredentialCache`] of JSON files, one per key, named `<key>.json`: the AWS CLI's own
/// format and layout. Pointed at [`default_dir`](Self::default_dir) (`~/.aws/cli/cache`) and
/// keyed with [`cli_cache_key`](super::cli_cache_key), it shares credentials with the AWS CLI
/// and botocore-based tools both ways.
///
/// Writes are atomic: the entry goes to a new temporary file in the same directory (mode 0600
/// on unix), which is synced and then renamed over `<key>.json`, and the directory is synced.
/// Readers (this crate's or the CLI's) see the old file or the new one, never a mix, however
/// many processes store at once. A directory this cache creates gets mode 0700; an existing
/// one keeps its mode (the AWS CLI creates it 0755 under the usual umask): the files are what
/// hold secrets, and changing the mode of a directory other tools share would be a surprise.
///
/// Reads never trust and never fail on a bad file: one that is missing, truncated, not JSON,
/// lacking a required field, larger than any real entry, not a regular file, or (on unix)
/// owned by another user or writable by group or others, is a miss (`Ok(None)`, with a
/// `tracing` event that names the file and never its content). The next
/// [`store`](CredentialCache::store) replaces it. Only an I/O failure other than "not found"
/// (such as permission denied) is an error. Expiry and role are the reader's to judge:
/// [`load_for`](super::load_for) checks both.
///
/// # Against role confusion
///
/// Another user who can write to the directory could make one key's entry appear under
/// another key's name, and so have role A's credentials served for role B. A careful reader
/// refuses that, and this one does (on unix):
///
/// - **No links.** The entry is opened relative to the opened directory with `O_NOFOLLOW`
///   (and `O_NONBLOCK`, so a FIFO cannot block), and its owner, mode and link count are
///   checked on the opened file (`fstat`), not by a second lookup of the path. A symbolic
///   link is a miss, even to an entry of the same directory; so is a file with more than one
///   name (a hard link: it could be any of its names' entry).
/// - **The entry must be the key's.** Each entry this cache stores carries the key it was
///   stored under (`"CacheKey"`, a field the AWS CLI ignores); one read under another key
///   (renamed, copied or linked there) is a miss, logged once. The AWS CLI's entries carry no
///   key, but they name the role and session they were issued for (`AssumedRoleUser.Arn`):
///   [`load_for`](super::load_for) and a provider with a
///   [cache](crate::AssumeRoleProviderBuilder::cache) serve an entry only if
///   [`CachedCredentials::is_for`] their request, so an AWS CLI entry of another role, or
///   another session name, is refused too (logged), and a valid AWS CLI entry stays
///   readable. [`load`](CredentialCache::load) itself returns what is stored, unchecked: it
///   is the storage primitive, not a read of credentials to use.
/// - **The directory.** Refused (loads are misses, stores fail with
///   [`CacheError::UntrustedDir`], logged once): a directory owned by neither the current
///   user nor root, whose owner can swap any file in it, and one writable by others without
///   the sticky bit. A directory writable by its group without the sticky bit is read and
///   written with a warning, once: the AWS CLI itself creates `~/.aws/cli/cache` that way
///   under the umask 002 that systems with a private group per user use, so refusing it
///   would make valid entries unreadable; with the checks above, a member of the group can
///   delete entries (a miss) but not have one served for another key. Only the directory
///   itself is checked, not its parents.
///
/// # Crashes leave no secrets behind
///
/// A writer killed between creating its temporary file and renaming it leaves
/// `.<key>.json.<pid>.<16 hex digits>.tmp` behind, which holds a secret key and a session
/// token. Each store removes such files: only names of that pattern, only regular files
/// (links are never followed) owned by the current user, and only those whose writer's
/// process is gone (unix: `kill(pid, 0)` fails with `ESRCH`) and that are more than 2
/// seconds old by the file system's clock, or more than 10 minutes old whatever their
/// writer. A store also leaves at most 16 such files besides its own, removing those of
/// gone writers first, then the oldest: only more than 16 writers at the same instant in one
/// directory can lose a write that way (its rename fails, and the entry in place stays
/// whole). So a crash's secrets last until the next store.
///
/// The methods block on file I/O (a store syncs to disk); from async code, call them in
/// [`tokio::task::spawn_blocking`] or accept a few milliseconds on a refresh path.
#[derive(Debug, Clone)]
pub struct FileCache {
    dir: PathBuf,
}

impl FileCache {
    /// A cache in `dir`, which is created (mode 0700 on unix) on the first store.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The AWS CLI's cache: [`default_dir`](Self::default_dir), if a home directory is known.
    pub fn aws_cli() -> Option<Self> {
        Self::default_dir().map(Self::new)
    }

    /// `~/.aws/cli/cache`, where the AWS CLI caches assumed-role credentials. The home
    /// directory is `HOME` (on Windows `USERPROFILE` first), then the other; `None` if neither
    /// is set.
    pub fn default_dir() -> Option<PathBuf> {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let home = if cfg!(windows) {
            var("USERPROFILE").or_else(|| var("HOME"))
        } else {
            var("HOME").or_else(|| var("USERPROFILE"))
        };
        Some(home?.join(".aws").join("cli").join("cache"))
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file `key` is stored in: `<dir>/<key>.json`.
    pub fn path_of(&self, key: &str) -> Result<PathBuf, CacheError> {
        let valid = (1..=MAX_KEY_CHARS).contains(&key.len())
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            return Err(CacheError::InvalidKey { key: key.into() });
        }
        Ok(self.dir.join(format!("{key}.json")))
    }

    fn create_dir(&self) -> Result<(), CacheError> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&self.dir)
            .map_err(|e| CacheError::io(CacheOperation::CreateDir, &self.dir, e))
    }

    /// Creates a new, empty file with a unique name beside `<key>.json`. Its name starts with a
    /// dot and does not end in `.json`, so no reader takes it for an entry.
    fn create_temp(&self, key: &str) -> Result<(PathBuf, File), CacheError> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut attempt = 0;
        loop {
            let name = format!(
                ".{key}.json.{}.{:016x}.tmp",
                std::process::id(),
                fastrand::u64(..)
            );
            let path = self.dir.join(name);
            match options.open(&path) {
                Ok(file) => return Ok((path, file)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 8 => attempt += 1,
                Err(e) => return Err(CacheError::io(CacheOperation::Write, &path, e)),
            }
        }
    }
}

impl CredentialCache for FileCache {
    fn load(&self, key: &str) -> Result<Option<CachedCredentials>, CacheError> {
        let path = self.path_of(key)?;
        let shown = path.display();
        let dir = match Dir::open(&self.dir) {
            Ok(dir) => dir,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                tracing::debug!(path = %shown, "no cached credentials");
                return Ok(None);
            }
            Err(e) => return Err(CacheError::io(CacheOperation::Read, &self.dir, e)),
        };
        match check_dir(&dir) {
            DirTrust::Trusted => {}
            DirTrust::Loose(reason) => warn_once(&self.dir, reason, || {
                tracing::warn!(
                    path = %self.dir.display(),
                    reason,
                    "credential cache directory is {reason}; its entries are still read, \
                     each checked on its own"
                );
            }),
            DirTrust::Refused(reason) => {
                warn_once(&self.dir, reason, || {
                    tracing::warn!(
                        path = %self.dir.display(),
                        reason,
                        "credential cache directory ignored: it is {reason}"
                    );
                });
                return Ok(None);
            }
        }
        let file = match open_entry(&dir, &self.dir, &format!("{key}.json")) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                tracing::debug!(path = %shown, "no cached credentials");
                return Ok(None);
            }
            Err(e) if is_link_refused(&e) => {
                tracing::warn!(path = %shown, "cached credentials ignored: a symbolic link");
                return Ok(None);
            }
            Err(e) => return Err(CacheError::io(CacheOperation::Read, &path, e)),
        };
        let meta = file
            .metadata()
            .map_err(|e| CacheError::io(CacheOperation::Read, &path, e))?;
        if let Some(reason) = untrusted(&meta) {
            tracing::warn!(path = %shown, reason, "cached credentials ignored: untrusted file");
            return Ok(None);
        }
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| CacheError::io(CacheOperation::Read, &path, e))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            tracing::warn!(path = %shown, "cached credentials ignored: file too large");
            return Ok(None);
        }
        let entry: CachedCredentials = match serde_json::from_slice(&bytes) {
            Ok(entry) => entry,
            Err(e) => {
                // Only where and what kind: serde's messages can quote the file's values.
                tracing::warn!(
                    path = %shown,
                    problem = ?e.classify(),
                    line = e.line(),
                    column = e.column(),
                    "cached credentials ignored: not a valid cache entry; the next store replaces it"
                );
                return Ok(None);
            }
        };
        if let Some(stamped) = entry.cache_key()
            && stamped != key
        {
            warn_once(&path, "stored under another key", || {
                tracing::warn!(
                    path = %shown,
                    stored_under = stamped,
                    "cached credentials ignored: the entry was stored under another key \
                     (moved or linked here)"
                );
            });
            return Ok(None);
        }
        tracing::debug!(path = %shown, "loaded cached credentials");
        Ok(Some(entry.with_cache_key(None)))
    }

    fn store(&self, key: &str, entry: &CachedCredentials) -> Result<(), CacheError> {
        let path = self.path_of(key)?;
        // Written as the AWS CLI writes it (Python's `json.dumps`: ASCII only), so that any
        // reader decodes it, whatever its default encoding; stamped with its key.
        let stamped = entry.clone().with_cache_key(Some(key));
        let value = serde_json::to_value(&stamped).map_err(|e| CacheError::Encode(e.into()))?;
        let bytes = python_json_dumps(&value).into_bytes();
        self.create_dir()?;
        let dir = Dir::open(&self.dir)
            .map_err(|e| CacheError::io(CacheOperation::CreateDir, &self.dir, e))?;
        match check_dir(&dir) {
            DirTrust::Trusted | DirTrust::Loose(_) => {}
            DirTrust::Refused(reason) => {
                return Err(CacheError::UntrustedDir {
                    path: self.dir.clone(),
                    reason,
                });
            }
        }
        let (temp, mut file) = self.create_temp(key)?;
        // The new file's modification time is "now" by the file system's own clock: stale
        // temporaries are judged against it, whatever the system clock says.
        if let Ok(now) = file.metadata().and_then(|m| m.modified()) {
            clean_stale_temporaries(&self.dir, &temp, now);
        }
        let written = file
            .write_all(&bytes)
            .and_then(|()| restrict(&file))
            .and_then(|()| file.sync_all());
        drop(file);
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(CacheError::io(CacheOperation::Write, &temp, e));
        }
        if let Err(e) = fs::rename(&temp, &path) {
            let _ = fs::remove_file(&temp);
            return Err(CacheError::io(CacheOperation::Replace, &path, e));
        }
        dir.sync(&self.dir);
        tracing::debug!(path = %path.display(), "stored cached credentials");
        Ok(())
    }
}
