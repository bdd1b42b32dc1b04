//! The cleaner of temporary files: a writer killed between creating its temporary file and
//! renaming it leaves a secret behind, which the next store of
//! [`FileCache`](super::FileCache) removes.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::dir::euid;
use super::file::MAX_KEY_CHARS;

/// A temporary file of this cache whose writer is gone is left alone for this long: the
/// writer may run in another PID namespace sharing the directory, where its ID means another
/// process (a write takes milliseconds, but a busy disk can hold a sync for a while).
pub(super) const TEMP_GRACE: Duration = Duration::from_secs(2);
/// A temporary file older than this is stale even if a process with its writer's ID runs
/// (the ID was reused, or the writer runs in another PID namespace).
pub(super) const TEMP_STALE: Duration = Duration::from_secs(10 * 60);
/// A store leaves at most this many of this cache's temporary files in the directory, besides
/// its own: beyond it those of gone writers go first, then the oldest. Only a directory with
/// more writers than this at the same instant loses a write (its rename fails, the store
/// returns an error, and the entry in place stays whole).
pub(super) const MAX_TEMPS: usize = 16;

/// The writer's process ID, if `name` is this cache's temporary file name,
/// `.<key>.json.<pid>.<16 hex digits>.tmp`.
pub(super) fn temp_writer(name: &str) -> Option<u32> {
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
pub(super) fn clean_stale_temporaries(dir: &Path, own: &Path, now: SystemTime) {
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
    use std::fs::File;

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
