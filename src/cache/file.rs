//! [`FileCache`]: one JSON file per key in a directory, as the AWS CLI keeps them.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::key::python_json_dumps;
use super::{CacheError, CacheOperation, CachedCredentials, CredentialCache};

/// An AWS CLI cache file is about 1.5 KiB; anything much larger is not one.
const MAX_FILE_BYTES: u64 = 64 * 1024;
/// Keys are file names: at most this long.
const MAX_KEY_CHARS: usize = 128;

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
/// (such as permission denied) is an error. Expiry is the caller's to judge, with its own
/// clock: [`load_valid`](CredentialCache::load_valid).
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
        let mut options = OpenOptions::new();
        options.read(true);
        // A FIFO planted at the path must not block the open.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
        let file = match options.open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                tracing::debug!(path = %shown, "no cached credentials");
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
        tracing::debug!(path = %shown, "loaded cached credentials");
        Ok(Some(entry))
    }

    fn store(&self, key: &str, entry: &CachedCredentials) -> Result<(), CacheError> {
        let path = self.path_of(key)?;
        // Written as the AWS CLI writes it (Python's `json.dumps`: ASCII only), so that any
        // reader decodes it, whatever its default encoding.
        let value = serde_json::to_value(entry).map_err(|e| CacheError::Encode(e.into()))?;
        let bytes = python_json_dumps(&value).into_bytes();
        self.create_dir()?;
        let (temp, mut file) = self.create_temp(key)?;
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
        sync_dir(&self.dir);
        tracing::debug!(path = %path.display(), "stored cached credentials");
        Ok(())
    }
}

/// Why a cache file must not be trusted, if it must not.
fn untrusted(meta: &fs::Metadata) -> Option<&'static str> {
    if !meta.is_file() {
        return Some("not a regular file");
    }
    if meta.len() > MAX_FILE_BYTES {
        return Some("file too large");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me {
            return Some("owned by another user");
        }
        if meta.mode() & 0o022 != 0 {
            return Some("writable by group or others");
        }
    }
    None
}

/// Makes the file 0600 whatever the umask (unix).
fn restrict(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// Makes the rename durable (unix). The entry is in place either way, so a failure (some file
/// systems cannot sync a directory) is only logged.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        tracing::debug!(path = %dir.display(), error = %e, "could not sync the cache directory");
    }
    #[cfg(not(unix))]
    let _ = dir;
}
