//! The checking logic of each fuzz target, as plain functions: `check(data)` panics only on a
//! real bug (or a wrong invariant). The fuzz targets in `fuzz_targets/` and the replay test in
//! `tests/it/fuzz_regressions.rs` include this module with `#[path]`, so both run the same code.

// Each includer uses every check, but rustc sees the module once per binary.
#![allow(dead_code)]

pub mod cache_entry;
pub mod profile_files;
pub mod rejection;
pub mod request_params;
pub mod shorthand;
pub mod totp_secret;

/// Whether to let pass the known, not yet fixed, bugs of the crate that a check would
/// otherwise report, each kept as a `regressions/<target>/bug-*` input: a check that knows
/// one tests this before it panics. Set `STS_FUZZ_SKIP_KNOWN_BUGS=1` while fuzzing to look
/// for other bugs; the replay test refuses to run with it.
pub fn skip_known_bugs() -> bool {
    static SKIP: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SKIP.get_or_init(|| std::env::var_os("STS_FUZZ_SKIP_KNOWN_BUGS").is_some_and(|v| v == "1"))
}
