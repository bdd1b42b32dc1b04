//! Instructions per warm call (issue #18): what one `provide_credentials()` through
//! `SharedCredentialsProvider` costs with credentials cached, against static credentials (the
//! floor), counted by valgrind's callgrind. Counts, unlike times, do not depend on what else
//! the machine is doing.
//!
//! `cargo bench --bench instructions` runs this program under callgrind four times (each
//! subject with `N` and `2N` warm calls) and reports `(I(2N) - I(N)) / N`: set-up, the SDK
//! client and the first load cost the same in both runs and cancel out. Without valgrind on
//! `PATH` it says so and measures nothing. `cargo test --benches` runs each subject once,
//! in-process, to prove the program works.

mod support;

use std::hint::black_box;
use std::process::Command;

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_async::time::{SharedTimeSource, SystemTimeSource};
use futures_util::FutureExt;
use sts_assume_role::AssumeRoleProvider;
use support::{InProcessSts, Mode};

/// The two subjects: static credentials, and ours with credentials cached.
const SUBJECTS: [&str; 2] = ["floor", "ours"];

/// Builds `subject` and makes `calls` warm calls through `SharedCredentialsProvider`. Every
/// call must complete on its first poll: a warm call never waits.
fn run(subject: &str, calls: u64) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let shared = match subject {
            "floor" => SharedCredentialsProvider::new(Credentials::new(
                "AKIDSTATICFLOOR00000",
                "static-floor-secret-access-key-000000000",
                Some("static-floor-session-token".to_owned()),
                None,
                "Static",
            )),
            _ => {
                let sts = InProcessSts::new(SharedTimeSource::new(SystemTimeSource::new()));
                let provider = AssumeRoleProvider::builder(
                    support::request("instructions"),
                    &sts.sdk_config(),
                )
                .build()
                .expect("valid provider");
                provider.prefetch().await.expect("load");
                SharedCredentialsProvider::new(provider)
            }
        };
        for _ in 0..calls {
            let ready = shared.provide_credentials().now_or_never();
            black_box(ready.expect("a warm call completes at once").is_ok());
        }
    });
}

/// Instructions callgrind counted for a run of this program with `args`.
fn counted(args: &[String]) -> Option<u64> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(exe)
        .args(args)
        .output()
        .ok()?;
    let log = String::from_utf8_lossy(&out.stderr);
    let line = log.lines().find(|l| l.contains("Collected :"))?;
    line.rsplit(':').next()?.trim().parse().ok()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--subject") {
        let subject = &args[i + 1];
        let calls = args[i + 3].parse().expect("--calls N");
        run(subject, calls);
        return;
    }
    let mode = Mode::from_env();
    if mode == Mode::Smoke {
        for subject in SUBJECTS {
            run(subject, 1_000);
        }
        println!("instructions: both subjects ran (counts need `cargo bench`)");
        return;
    }
    if Command::new("valgrind").arg("--version").output().is_err() {
        println!("instructions: valgrind is not installed; nothing measured");
        return;
    }
    let n: u64 = mode.pick(0, 20_000, 100_000);
    println!("## Instructions per warm call ({mode} run, callgrind, N = {n})\n");
    println!("| subject | I(N) | I(2N) | per call |");
    println!("|---|---|---|---|");
    let mut per_call = Vec::new();
    for subject in SUBJECTS {
        let run_with = |calls: u64| {
            let args = ["--subject", subject, "--calls", &calls.to_string()].map(String::from);
            counted(&args).expect("callgrind ran")
        };
        let (once, twice) = (run_with(n), run_with(2 * n));
        let each = twice.saturating_sub(once) as f64 / n as f64;
        println!("| {subject} | {once} | {twice} | {each:.1} |");
        per_call.push(each);
    }
    println!(
        "\nours / floor: {:.2}× ({:.1} against {:.1} instructions per call)",
        per_call[1] / per_call[0],
        per_call[1],
        per_call[0]
    );
}
