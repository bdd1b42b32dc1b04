//! Writers killed with `SIGKILL` at random moments, while others read: a writer killed between
//! creating its temporary file and renaming it leaves a secret behind, which later stores
//! remove. Readers never see a torn or mixed entry.
//!
//! No timing is asserted: the machine may be slow and shared. The test runs for a bounded
//! number of rounds (a few seconds), plus the cache's grace period for temporary files.
#![cfg(unix)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use sts_assume_role::cache::{CachedCredentials, CredentialCache, FileCache};

const WRITER_DIR: &str = "STS_ASSUME_ROLE_KILL_TEST_WRITER_DIR";
const KEYS: [&str; 2] = ["killtestkeyone", "killtestkeytwo"];
const WRITERS: usize = 4;
const ROUNDS: usize = 120;
/// A writer stops by itself after this many stores, should the test die without killing it.
const MAX_STORES: usize = 20_000;
/// The cache's grace for temporary files (`TEMP_GRACE`, 2 s), with a margin.
const PAST_GRACE: Duration = Duration::from_millis(2_500);
/// A store leaves at most this many temporaries (`MAX_TEMPS`).
const MAX_TEMPS: usize = 16;

/// The entry a writer stores: every field derived from the access key ID, so a reader can
/// tell a whole entry from a mix of two.
fn entry(access_key_id: &str) -> CachedCredentials {
    let filler = "x".repeat(1000);
    CachedCredentials::new(
        access_key_id,
        format!("secret-{access_key_id}-{filler}"),
        format!("token-{access_key_id}-{filler}"),
        UNIX_EPOCH + Duration::from_secs(4_000_000_000),
    )
}

fn assert_whole(e: &CachedCredentials) {
    // The secrets as the file holds them.
    let json = serde_json::to_value(e).unwrap();
    let secret = json["Credentials"]["SecretAccessKey"]
        .as_str()
        .unwrap_or_default();
    let token = json["Credentials"]["SessionToken"]
        .as_str()
        .unwrap_or_default();
    let id = e.access_key_id();
    assert!(
        secret.starts_with(&format!("secret-{id}-")),
        "mixed entry: {e:?}"
    );
    assert!(
        token.starts_with(&format!("token-{id}-")),
        "mixed entry: {e:?}"
    );
    assert_eq!(secret.len(), "secret--".len() + id.len() + 1000);
}

fn temporaries(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            let name = name.to_string_lossy();
            name.starts_with('.') && name.ends_with(".tmp")
        })
        .count()
}

/// Not a test of its own: the writer process the kill test starts. Stores, reads back and
/// checks, until killed. Returns at once when the variable is not set.
#[test]
fn kill_test_writer() {
    let Some(dir) = std::env::var_os(WRITER_DIR) else {
        return;
    };
    let cache = FileCache::new(dir);
    let parent = std::os::unix::process::parent_id();
    for n in 0..MAX_STORES {
        if std::os::unix::process::parent_id() != parent {
            return;
        }
        let key = KEYS[n % KEYS.len()];
        let id = format!("ASIAW{}N{n}", std::process::id());
        cache.store(key, &entry(&id)).unwrap();
        let read = cache.load(key).unwrap().expect("an entry is always there");
        assert_whole(&read);
    }
}

fn spawn_writer(exe: &Path, dir: &Path) -> Child {
    Command::new(exe)
        .args([
            "--exact",
            "file_cache_kill::kill_test_writer",
            "--test-threads=1",
        ])
        .env(WRITER_DIR, dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn killed_writers_leave_no_secrets_behind_beyond_the_bound_and_readers_see_whole_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let cache = FileCache::new(&dir);
    for key in KEYS {
        cache.store(key, &entry("ASIASEED")).unwrap();
    }
    let exe = std::env::current_exe().unwrap();

    // Readers in this process, all through the run.
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (cache, stop, reads) = (cache.clone(), Arc::clone(&stop), Arc::clone(&reads));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    for key in KEYS {
                        let read = cache.load(key).unwrap().expect("an entry is always there");
                        assert_whole(&read);
                        reads.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();

    let mut rng = fastrand::Rng::with_seed(14);
    let mut writers: Vec<Child> = (0..WRITERS).map(|_| spawn_writer(&exe, &dir)).collect();
    let (mut kills, mut most) = (0usize, 0usize);
    for _ in 0..ROUNDS {
        std::thread::sleep(Duration::from_millis(rng.u64(2..30)));
        let mut victim = writers.swap_remove(rng.usize(..writers.len()));
        // SIGKILL: no destructor, no cleanup, wherever the writer is.
        let _ = victim.kill();
        let status = victim.wait().unwrap();
        // A writer that ended by itself failed an assertion (a torn read, a failed store).
        assert!(
            status.code().is_none(),
            "a writer ended on its own: {status:?}"
        );
        kills += 1;
        writers.push(spawn_writer(&exe, &dir));
        most = most.max(temporaries(&dir));
    }
    for mut writer in writers {
        let _ = writer.kill();
        let status = writer.wait().unwrap();
        assert!(
            status.code().is_none(),
            "a writer ended on its own: {status:?}"
        );
        kills += 1;
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.join().expect("a reader saw a torn or missing entry");
    }
    let left = temporaries(&dir);

    // One store leaves at most the bound, however young the temporaries.
    cache.store(KEYS[1], &entry("ASIABOUND")).unwrap();
    let bounded = temporaries(&dir);
    assert!(bounded <= MAX_TEMPS, "{bounded} temporaries after a store");
    // Past the grace, the next store removes every temporary whose writer is gone.
    std::thread::sleep(PAST_GRACE);
    cache.store(KEYS[0], &entry("ASIAFINAL")).unwrap();
    let after = temporaries(&dir);
    eprintln!(
        "{kills} writers killed, {} reads; temporaries: at most {most} seen during the run, \
         {left} when the last writer died, {bounded} after a store, {after} after one more \
         past the grace",
        reads.load(Ordering::Relaxed)
    );
    assert_eq!(after, 0, "temporaries of dead writers were left");
    for key in KEYS {
        assert_whole(&cache.load(key).unwrap().unwrap());
    }
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), KEYS.len(), "{names:?}");
}
