//! Replays the fuzz targets' inputs through the very checks the fuzzers run (see `fuzz/`):
//! every file in `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/`.
//!
//! A regression whose name starts with `bug-` is a known bug of the crate, not fixed yet: its
//! check must still fail (the test says when it stops failing, so the file can be renamed and
//! guard the fix). Every other input must pass.

#[path = "../../fuzz/checks/mod.rs"]
mod checks;

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

const KNOWN_BUG_PREFIX: &str = "bug-";

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.is_file())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    files.sort();
    files
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

fn replay(target: &str, check: fn(&[u8])) {
    assert!(
        !checks::skip_known_bugs(),
        "unset STS_FUZZ_SKIP_KNOWN_BUGS: the replay must see every bug"
    );
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let seeds = inputs(&fuzz.join("seeds").join(target));
    let regressions = inputs(&fuzz.join("regressions").join(target));
    assert!(
        !seeds.is_empty(),
        "no seeds for {target} in fuzz/seeds/{target}: nothing would be replayed"
    );
    let mut replayed = 0;
    let mut failures = Vec::new();
    for path in seeds.iter().chain(&regressions) {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.file_name().unwrap().to_string_lossy();
        let known_bug = regressions.contains(path) && name.starts_with(KNOWN_BUG_PREFIX);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| check(&data)));
        replayed += 1;
        match (outcome, known_bug) {
            (Ok(()), false) => {}
            (Err(_), true) => {
                eprintln!("{target}: {name}: fails as expected (a known bug, not fixed yet)");
            }
            (Ok(()), true) => failures.push(format!(
                "{}: passes now; the bug is fixed: rename the file without `{KNOWN_BUG_PREFIX}` \
                 so it guards the fix",
                path.display()
            )),
            (Err(payload), false) => {
                failures.push(format!("{}: {}", path.display(), panic_message(&*payload)));
            }
        }
    }
    assert!(replayed > 0, "no input replayed for {target}");
    assert!(failures.is_empty(), "{target}:\n{}", failures.join("\n"));
}

#[test]
fn cache_entry() {
    replay("cache_entry", checks::cache_entry::check);
}

#[test]
fn rejection() {
    replay("rejection", checks::rejection::check);
}

#[test]
fn profile_files() {
    replay("profile_files", checks::profile_files::check);
}

#[test]
fn totp_secret() {
    replay("totp_secret", checks::totp_secret::check);
}

#[test]
fn shorthand() {
    replay("shorthand", checks::shorthand::check);
}

#[test]
fn request_params() {
    replay("request_params", checks::request_params::check);
}
