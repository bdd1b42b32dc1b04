//! The rules a cache directory and its files must meet before [`FileCache`](super::FileCache)
//! reads or writes them: who owns them and who may write them, links refused, and entries
//! written readable by their owner only.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use super::file::MAX_FILE_BYTES;

/// How far a cache directory is trusted.
pub(super) enum DirTrust {
    Trusted,
    /// Read and written, with a warning once: its entries are checked one by one.
    Loose(&'static str),
    /// Neither read nor written.
    Refused(&'static str),
}

/// The directory rule (unix): owned by the current user or root, and not writable by others
/// unless sticky; group-writable (without the sticky bit) is only warned about.
pub(super) fn check_dir(dir: &Dir) -> DirTrust {
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
pub(super) fn warn_once(path: &Path, reason: &str, warn: impl FnOnce()) {
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
pub(super) fn untrusted(meta: &fs::Metadata) -> Option<&'static str> {
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
pub(super) fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// An opened cache directory: on unix a descriptor, so that the directory checked is the one
/// read from and synced; elsewhere only what its path leads to.
pub(super) struct Dir {
    #[cfg(unix)]
    pub(super) fd: File,
    pub(super) meta: fs::Metadata,
}

impl Dir {
    /// Opens the cache directory itself (following a link to it: the directory is the
    /// caller's choice).
    pub(super) fn open(path: &Path) -> io::Result<Self> {
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
    pub(super) fn sync(&self, path: &Path) {
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
pub(super) fn open_entry(dir: &Dir, _dir_path: &Path, name: &str) -> io::Result<File> {
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
pub(super) fn open_entry(_dir: &Dir, dir_path: &Path, name: &str) -> io::Result<File> {
    File::open(dir_path.join(name))
}

/// Whether an open failed because the entry is a symbolic link (`O_NOFOLLOW`'s `ELOOP`).
pub(super) fn is_link_refused(e: &io::Error) -> bool {
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
pub(super) fn restrict(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}
