//! The integration tests that read what the crate logs. Every test here installs a
//! `tracing` subscriber of its own, because `tracing` caches which call sites are wanted: a
//! test without one, running beside a test that captures, could make the capture miss lines.

#[path = "../common/mod.rs"]
mod common;

mod clock_skew;
mod file_cache;
mod file_cache_hostile;
mod secrets;
mod token_size;
