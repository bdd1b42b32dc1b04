//! Builds one of this package's examples with cargo, as the tests that run it as a real
//! process need it: `cargo test` compiles examples, but not always into the executable a test
//! can start (an example with tests of its own is built as its test harness only). Included
//! with `#[path]` by the tests that start an example.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Builds example `name` with the features this test was built with (so nothing else is
/// rebuilt), in the profile it was built in, and returns the executable's path. Cargo holds
/// no lock on the build directory while tests run; a build already up to date is a no-op.
pub fn build(name: &str) -> PathBuf {
    let features: Vec<&str> = [
        ("test-util", cfg!(feature = "test-util")),
        ("totp", cfg!(feature = "totp")),
        ("login-session", cfg!(feature = "login-session")),
        (
            "credentials-endpoint",
            cfg!(feature = "credentials-endpoint"),
        ),
    ]
    .into_iter()
    .filter_map(|(feature, on)| on.then_some(feature))
    .collect();
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args(["build", "--example", name, "--message-format=json"])
        .arg("--manifest-path")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .stderr(Stdio::inherit());
    // Not the variables cargo set for this test: build scripts (aws-lc-sys's) rerun when
    // they change, and would rebuild the SDK's TLS stack for nothing.
    for (var, _) in std::env::vars_os() {
        let var = var.to_string_lossy();
        if var.starts_with("CARGO_PKG_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_CRATE_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
            ]
            .contains(&var.as_ref())
        {
            cargo.env_remove(var.as_ref());
        }
    }
    if !features.is_empty() {
        cargo.arg("--features").arg(features.join(","));
    }
    if !cfg!(debug_assertions) {
        cargo.arg("--release");
    }
    let output = cargo.output().expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo build --example {name} failed"
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["target"]["name"] == name)
        .filter(|message| message["profile"]["test"] == false)
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .expect("cargo names the example's executable")
}
