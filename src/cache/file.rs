//! [`FileCache`]: one JSON file per key in a directory, as the AWS CLI keeps them.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

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

/// How far a cache directory is trusted.
enum DirTrust {
    Trusted,
    /// Read and written, with a warning once: its entries are checked one by one.
    Loose(&'static str),
    /// Neither read nor written.
    Refused(&'static str),
}

/// The directory rule (unix): owned by the current user or root, and not writable by others
/// unless sticky; group-writable (without the sticky bit) is only warned about.
fn check_dir(dir: &Dir) -> DirTrust {
    let meta = &dir.meta;
    if !meta.is_dir() {
        return DirTrust::Refused("not a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let sticky = meta.mode() & 0o1000 != 0;
        if meta.uid() != euid() && meta.uid() != 0 {
            return DirTrust::Refused("owned by another user");
        }
        if meta.mode() & 0o002 != 0 && !sticky {
            return DirTrust::Refused("writable by others without the sticky bit");
        }
        if meta.mode() & 0o020 != 0 && !sticky {
            return DirTrust::Loose("writable by its group without the sticky bit");
        }
    }
    DirTrust::Trusted
}

/// Calls `warn` the first time `path` is found wrong for `reason` in this process, so a
/// problem that lasts is logged once, not at every load.
fn warn_once(path: &Path, reason: &str, warn: impl FnOnce()) {
    static SEEN: Mutex<BTreeSet<(PathBuf, String)>> = Mutex::new(BTreeSet::new());
    /// Past this many, warnings are no longer remembered (and repeat).
    const MAX_REMEMBERED: usize = 1024;
    let first = {
        let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
        let item = (path.to_owned(), reason.to_owned());
        if seen.contains(&item) {
            false
        } else {
            if seen.len() < MAX_REMEMBERED {
                seen.insert(item);
            }
            true
        }
    };
    if first {
        warn();
    } else {
        tracing::debug!(path = %path.display(), reason, "credential cache problem (logged before)");
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
        if meta.uid() != euid() {
            return Some("owned by another user");
        }
        if meta.mode() & 0o022 != 0 {
            return Some("writable by group or others");
        }
        // Not `!= 1`: a file replaced while it is read has no name left, and is whole.
        if meta.nlink() > 1 {
            return Some("more than one name (a hard link)");
        }
    }
    None
}

#[cfg(unix)]
fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// An opened cache directory: on unix a descriptor, so that the directory checked is the one
/// read from and synced; elsewhere only what its path leads to.
struct Dir {
    #[cfg(unix)]
    fd: File,
    meta: fs::Metadata,
}

impl Dir {
    /// Opens the cache directory itself (following a link to it: the directory is the
    /// caller's choice).
    fn open(path: &Path) -> io::Result<Self> {
        #[cfg(unix)]
        {
            let mut options = OpenOptions::new();
            options.read(true);
            std::os::unix::fs::OpenOptionsExt::custom_flags(
                &mut options,
                libc::O_DIRECTORY | libc::O_CLOEXEC,
            );
            let fd = options.open(path)?;
            let meta = fd.metadata()?;
            Ok(Self { fd, meta })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {
                meta: fs::metadata(path)?,
            })
        }
    }

    /// Makes a rename in the directory durable (unix). The entry is in place either way, so
    /// a failure (some file systems cannot sync a directory) is only logged.
    fn sync(&self, path: &Path) {
        #[cfg(unix)]
        if let Err(e) = self.fd.sync_all() {
            tracing::debug!(path = %path.display(), error = %e, "could not sync the cache directory");
        }
        #[cfg(not(unix))]
        let _ = path;
    }
}

/// Opens `name` in the opened directory `dir` without following a symbolic link (unix:
/// `openat` with `O_NOFOLLOW`, and `O_NONBLOCK` so a FIFO planted there cannot block).
#[cfg(unix)]
fn open_entry(dir: &Dir, _dir_path: &Path, name: &str) -> io::Result<File> {
    use std::os::fd::{AsRawFd, FromRawFd};
    let name = std::ffi::CString::new(name).map_err(io::Error::other)?;
    let flags =
        libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY;
    // SAFETY: `dir` is an open directory for the duration of the call and `name` a valid C
    // string; the returned descriptor, when valid, is owned by nothing else.
    let fd = unsafe { libc::openat(dir.fd.as_raw_fd(), name.as_ptr(), flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened and is owned by the new `File` alone.
    Ok(unsafe { File::from_raw_fd(fd) })
}

#[cfg(not(unix))]
fn open_entry(_dir: &Dir, dir_path: &Path, name: &str) -> io::Result<File> {
    File::open(dir_path.join(name))
}

/// Whether an open failed because the entry is a symbolic link (`O_NOFOLLOW`'s `ELOOP`).
fn is_link_refused(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
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

/// A temporary file of this cache whose writer is gone is left alone for this long: the
/// writer may run in another PID namespace sharing the directory, where its ID means another
/// process (a write takes milliseconds, but a busy disk can hold a sync for a while).
pub(crate) const TEMP_GRACE: Duration = Duration::from_secs(2);
/// A temporary file older than this is stale even if a process with its writer's ID runs
/// (the ID was reused, or the writer runs in another PID namespace).
pub(crate) const TEMP_STALE: Duration = Duration::from_secs(10 * 60);
/// A store leaves at most this many of this cache's temporary files in the directory, besides
/// its own: beyond it those of gone writers go first, then the oldest. Only a directory with
/// more writers than this at the same instant loses a write (its rename fails, the store
/// returns an error, and the entry in place stays whole).
pub(crate) const MAX_TEMPS: usize = 16;

/// The writer's process ID, if `name` is this cache's temporary file name,
/// `.<key>.json.<pid>.<16 hex digits>.tmp`.
pub(crate) fn temp_writer(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (rest, random) = rest.rsplit_once('.')?;
    let (entry, pid) = rest.rsplit_once('.')?;
    let key = entry.strip_suffix(".json")?;
    let valid_key = (1..=MAX_KEY_CHARS).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let valid_random = random.len() == 16 && random.bytes().all(|b| b.is_ascii_hexdigit());
    let valid_pid = (1..=10).contains(&pid.len()) && pid.bytes().all(|b| b.is_ascii_digit());
    if !(valid_key && valid_random && valid_pid) {
        return None;
    }
    pid.parse().ok().filter(|&p| p > 0)
}

/// Removes the temporary files that writers killed between creating and renaming them left
/// behind (each holds a secret key and a session token). Only this cache's own names, only
/// regular files (a link is never followed: `symlink_metadata`, and removing a link would
/// remove the link) owned by the current user with at most one name. Removed: those whose
/// writer is gone, past [`TEMP_GRACE`] by the file system's clock (`now`, the modification
/// time of the file just created); any past [`TEMP_STALE`]; and beyond [`MAX_TEMPS`], those
/// of gone writers first, then the oldest. Failures are only logged: a store never fails for
/// the cleaning.
fn clean_stale_temporaries(dir: &Path, own: &Path, now: SystemTime) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            tracing::debug!(path = %dir.display(), error = %e, "cannot list the cache directory");
            return;
        }
    };
    // (writer gone, age, path) of the temporaries kept so far.
    let mut kept: Vec<(bool, Duration, PathBuf)> = Vec::new();
    let mut removed = 0usize;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_writer) else {
            continue;
        };
        let path = entry.path();
        if path == own {
            continue;
        }
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if !is_own_plain_file(&meta) {
            continue;
        }
        let age = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .unwrap_or(Duration::ZERO);
        let gone = !process_runs(pid);
        if (gone && age >= TEMP_GRACE) || age >= TEMP_STALE {
            removed += usize::from(remove_temp(&path));
        } else {
            kept.push((gone, age, path));
        }
    }
    if kept.len() > MAX_TEMPS {
        // Gone writers' first, then the oldest.
        kept.sort_by_key(|&(gone, age, _)| std::cmp::Reverse((gone, age)));
        let excess = kept.len() - MAX_TEMPS;
        for (_, _, path) in kept.drain(..excess) {
            removed += usize::from(remove_temp(&path));
        }
    }
    if removed > 0 {
        tracing::debug!(path = %dir.display(), removed, "removed stale temporary cache files");
    }
}

fn remove_temp(path: &Path) -> bool {
    match fs::remove_file(path) {
        Ok(()) => true,
        Err(e) => {
            if e.kind() != io::ErrorKind::NotFound {
                tracing::debug!(path = %path.display(), error = %e, "cannot remove a stale temporary cache file");
            }
            false
        }
    }
}

/// A regular file (not a link) owned by the current user, with one name (unix).
fn is_own_plain_file(meta: &fs::Metadata) -> bool {
    if !meta.file_type().is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.uid() == euid() && meta.nlink() <= 1
    }
    #[cfg(not(unix))]
    true
}

/// Whether a process with this ID may run (unix: `kill(pid, 0)` says it does not only with
/// `ESRCH`). Elsewhere every writer is taken to run, and only age removes its temporaries.
fn process_runs(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        if pid <= 0 {
            return false;
        }
        // SAFETY: signal 0 sends nothing; it only checks that the process exists.
        let status = unsafe { libc::kill(pid, 0) };
        status == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn only_this_caches_temporary_names_are_recognized() {
        let key = "c8ddac24797f70ef53df2e89db1960d64b15d6be";
        let rows: &[(String, Option<u32>)] = &[
            (format!(".{key}.json.4242.00ff00ff00ff00ff.tmp"), Some(4242)),
            (format!(".{key}.json.1.0123456789abcdef.tmp"), Some(1)),
            (format!(".{key}.json.0.0123456789abcdef.tmp"), None),
            (format!(".{key}.json.-1.0123456789abcdef.tmp"), None),
            (format!(".{key}.json.4242.00ff00ff00ff00f.tmp"), None),
            (format!(".{key}.json.4242.00ff00ff00ff00fg.tmp"), None),
            (
                format!(".{key}.json.99999999999.00ff00ff00ff00ff.tmp"),
                None,
            ),
            (format!("{key}.json.4242.00ff00ff00ff00ff.tmp"), None),
            (format!(".{key}.json.4242.00ff00ff00ff00ff"), None),
            (format!(".{key}.4242.00ff00ff00ff00ff.tmp"), None),
            (format!(".{key}.json"), None),
            (format!("{key}.json"), None),
            (".a/b.json.1.0123456789abcdef.tmp".to_owned(), None),
            (".json.1.0123456789abcdef.tmp".to_owned(), None),
            (".other.tmp".to_owned(), None),
        ];
        for (name, want) in rows {
            assert_eq!(temp_writer(name), *want, "{name}");
        }
    }

    /// A temporary file named for `pid`, modified `age` before `now`.
    fn temp(dir: &Path, pid: u32, n: u64, age: Duration, now: SystemTime) -> PathBuf {
        let path = dir.join(format!(".k.json.{pid}.{n:016x}.tmp"));
        let file = File::create(&path).unwrap();
        file.set_modified(now - age).unwrap();
        path
    }

    /// "Now" by the file system's clock, as a store takes it.
    fn fs_now(dir: &Path) -> SystemTime {
        let probe = dir.join("probe");
        let now = File::create(&probe)
            .unwrap()
            .metadata()
            .unwrap()
            .modified()
            .unwrap();
        fs::remove_file(probe).unwrap();
        now
    }

    /// No process has this ID: above Linux's largest `pid_max` (2^22).
    const GONE: u32 = 4_194_304 + 17;

    #[test]
    fn temporaries_of_gone_writers_past_the_grace_and_stale_ones_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let now = fs_now(d);
        let me = std::process::id();
        let own = temp(d, me, 0, Duration::ZERO, now);
        let second = Duration::from_secs(1);
        let gone_old = temp(d, GONE, 1, TEMP_GRACE + second, now);
        let gone_young = temp(d, GONE, 2, TEMP_GRACE - second, now);
        let alive_old = temp(d, me, 3, TEMP_STALE - second, now);
        let alive_stale = temp(d, me, 4, TEMP_STALE + second, now);
        // Not ours to touch: another name, a link (to a file that must survive), a directory.
        let other = d.join(".k.json.tmp");
        File::create(&other)
            .unwrap()
            .set_modified(now - TEMP_STALE * 2)
            .unwrap();
        let target = d.join("target");
        File::create(&target).unwrap();
        let link = d.join(format!(".k.json.{GONE}.{:016x}.tmp", 5));
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let subdir = d.join(format!(".k.json.{GONE}.{:016x}.tmp", 6));
        fs::create_dir(&subdir).unwrap();

        clean_stale_temporaries(d, &own, now);
        for (path, kept) in [
            (&own, true),
            (&gone_old, false),
            (&gone_young, true),
            (&alive_old, true),
            (&alive_stale, false),
            (&other, true),
            (&target, true),
            (&subdir, true),
        ] {
            assert_eq!(path.exists(), kept, "{}", path.display());
        }
        assert!(fs::symlink_metadata(&link).is_ok(), "links are left alone");
    }

    #[test]
    fn a_store_leaves_at_most_the_bound_removing_gone_writers_first_then_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let now = fs_now(d);
        let me = std::process::id();
        let own = temp(d, me, 0, Duration::ZERO, now);
        // Young ones of running writers, and young ones of gone writers (within the grace).
        let alive: Vec<PathBuf> = (1..=MAX_TEMPS as u64)
            .map(|n| temp(d, me, n, Duration::from_millis(10 * n), now))
            .collect();
        let gone: Vec<PathBuf> = (0..4)
            .map(|n| temp(d, GONE, 100 + n, Duration::from_millis(1), now))
            .collect();
        clean_stale_temporaries(d, &own, now);
        assert!(gone.iter().all(|p| !p.exists()), "gone writers' first");
        assert!(alive.iter().all(|p| p.exists()));
        // Beyond the bound, the oldest go.
        let more: Vec<PathBuf> = (0..3)
            .map(|n| temp(d, me, 200 + n, Duration::ZERO, now))
            .collect();
        clean_stale_temporaries(d, &own, now);
        let left = fs::read_dir(d).unwrap().count();
        assert_eq!(left, MAX_TEMPS + 1, "the bound and the store's own");
        assert!(more.iter().all(|p| p.exists()), "the youngest stay");
        assert!(
            alive[MAX_TEMPS - 3..].iter().all(|p| !p.exists()),
            "the oldest went"
        );
        assert!(own.exists());
    }

    #[test]
    fn another_users_temporaries_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let now = fs_now(d);
        let own = temp(d, std::process::id(), 0, Duration::ZERO, now);
        let theirs = temp(d, GONE, 1, TEMP_STALE * 2, now);
        if std::os::unix::fs::chown(&theirs, Some(65534), None).is_err() {
            eprintln!("skipped: only root can give a file away");
            return;
        }
        clean_stale_temporaries(d, &own, now);
        assert!(theirs.exists());
    }
}
