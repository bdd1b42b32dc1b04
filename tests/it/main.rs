//! The integration tests, one module per behaviour, in one binary: each test binary links the
//! whole SDK, so one binary keeps `cargo test` fast as the suite grows.
//!
//! Tests that capture logs are in `tests/logs/` (every test of that binary installs a
//! subscriber of its own: `tracing` caches which call sites are wanted, and a test without one
//! would make another's capture miss lines); tests that set process-wide environment variables
//! have binaries of their own (`profile_sso.rs`, `profile_login.rs`).

#[path = "../common/mod.rs"]
#[allow(dead_code)]
mod common;

mod default_chain;
mod external_types;
mod file_cache_kill;
mod fuzz_regressions;
mod heal;
mod layering;
mod mfa;
mod mock_web_identity;
mod profile_keys_vs_sdk;
mod provider;
mod provider_cache;
mod refresh_timer;
mod sdk_integration;
mod wire;
