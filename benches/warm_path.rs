//! Warm path and contention (issue #6, parts 1 and 2).
//!
//! `provide_credentials().await` on an `AssumeRoleProvider` holding valid cached credentials,
//! against static `Credentials` — the floor: nothing can serve credentials faster than a
//! provider that owns them and never looks at the clock. Both are measured by criterion in
//! the same run; at the end the program reads criterion's estimates back and prints the
//! ratios, then repeats the floor/ours pair interleaved, round by round, so slow drift on a
//! shared machine hits both sides alike.
//!
//! `cargo bench --features test-util --bench warm_path`; `BENCH_QUICK=1` for a short run.

#![allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]

mod support;

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwapOption;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_async::time::{SharedTimeSource, SystemTimeSource, TimeSource};
use criterion::{Criterion, Throughput};
use sts_assume_role::AssumeRoleProvider;
use sts_assume_role::test_util::{Action, MockSts};
use support::Mode;
use tokio::runtime::Runtime;

/// A clock that always says the same time: the provider without the cost of reading a clock.
#[derive(Debug)]
struct Frozen(SystemTime);

impl TimeSource for Frozen {
    fn now(&self) -> SystemTime {
        self.0
    }
}

/// Everything measured, set up once.
struct Subjects {
    floor: Credentials,
    floor_shared: SharedCredentialsProvider,
    ours: AssumeRoleProvider,
    ours_shared: SharedCredentialsProvider,
    ours_frozen: AssumeRoleProvider,
    /// The mock that issued the cached credentials; kept alive for the whole run.
    mock: MockSts,
}

fn static_credentials() -> Credentials {
    Credentials::new(
        "AKIDSTATICFLOOR00000",
        "static-floor-secret-access-key-000000000",
        Some("static-floor-session-token".to_owned()),
        None,
        "Static",
    )
}

fn setup(rt: &Runtime) -> Subjects {
    rt.block_on(async {
        let mock = MockSts::start().await;
        let ours = AssumeRoleProvider::builder(support::request("warm"), &mock.sdk_config())
            .build()
            .expect("valid provider");
        ours.prefetch().await.expect("prefetch");
        let ours_frozen =
            AssumeRoleProvider::builder(support::request("warm-frozen"), &mock.sdk_config())
                .time_source(Frozen(mock.now()))
                .build()
                .expect("valid provider");
        ours_frozen.prefetch().await.expect("prefetch");
        let floor = static_credentials();
        Subjects {
            floor_shared: SharedCredentialsProvider::new(floor.clone()),
            floor,
            ours_shared: SharedCredentialsProvider::new(ours.clone()),
            ours,
            ours_frozen,
            mock,
        }
    })
}

fn warm_path(c: &mut Criterion, rt: &Runtime, s: &Subjects) {
    let mut g = c.benchmark_group("warm_path");
    g.bench_function("floor_direct", |b| {
        b.to_async(rt).iter(|| s.floor.provide_credentials())
    });
    g.bench_function("ours_direct", |b| {
        b.to_async(rt).iter(|| s.ours.provide_credentials())
    });
    g.bench_function("floor_shared", |b| {
        b.to_async(rt).iter(|| s.floor_shared.provide_credentials())
    });
    g.bench_function("ours_shared", |b| {
        b.to_async(rt).iter(|| s.ours_shared.provide_credentials())
    });
    g.finish();
}

/// What the warm path is made of, each piece alone.
fn parts(c: &mut Criterion, rt: &Runtime, s: &Subjects) {
    let mut g = c.benchmark_group("warm_path_parts");
    g.bench_function("ours_frozen_clock", |b| {
        b.to_async(rt).iter(|| s.ours_frozen.provide_credentials())
    });
    let clock = SharedTimeSource::new(SystemTimeSource::new());
    g.bench_function("time_source_now", |b| b.iter(|| clock.now()));
    // What the provider reads instead on its warm path with the system clock (on Linux).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    g.bench_function("coarse_clock_now", |b| b.iter(coarse_now));
    let deadline = clock.now() + Duration::from_secs(3600);
    let cell = ArcSwapOption::from(Some(Arc::new((static_credentials(), deadline))));
    let now = clock.now();
    g.bench_function("arc_swap_load_check", |b| {
        b.iter(|| cell.load().as_ref().is_some_and(|c| black_box(now) < c.1))
    });
    g.bench_function("arc_swap_load_check_clone", |b| {
        b.iter(|| {
            let guard = cell.load();
            guard
                .as_ref()
                .filter(|c| black_box(now) < c.1)
                .map(|c| c.0.clone())
        })
    });
    g.bench_function("credentials_clone", |b| b.iter(|| s.floor.clone()));
    g.finish();
}

/// `CLOCK_REALTIME_COARSE`, as the provider reads it.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn coarse_now() -> libc::timespec {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `timespec` for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut ts) };
    assert_eq!(rc, 0, "CLOCK_REALTIME_COARSE");
    ts
}

/// Many tasks on a two-worker runtime calling one shared provider back to back.
fn contention(c: &mut Criterion, s: &Subjects) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut g = c.benchmark_group("contention");
    g.throughput(Throughput::Elements(1));
    for tasks in [2u64, 64] {
        for (name, provider) in [("floor", &s.floor_shared), ("ours", &s.ours_shared)] {
            g.bench_function(format!("{name}_{tasks}_tasks"), |b| {
                b.iter_custom(|iters| rt.block_on(run_tasks(provider, tasks, iters)))
            });
        }
    }
    g.finish();
}

/// `iters` calls split over `tasks` tasks; the wall time from the first spawn to the last
/// join.
async fn run_tasks(provider: &SharedCredentialsProvider, tasks: u64, iters: u64) -> Duration {
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let p = provider.clone();
            let n = iters / tasks + u64::from(t < iters % tasks);
            tokio::spawn(async move {
                for _ in 0..n {
                    black_box(p.provide_credentials().await.is_ok());
                }
            })
        })
        .collect();
    for h in handles {
        h.await.expect("task");
    }
    start.elapsed()
}

/// Floor and ours alternately, `rounds` times `calls` calls each; the median of the
/// per-round ratios.
fn interleaved(rt: &Runtime, s: &Subjects, rounds: usize, calls: u64) -> (f64, f64, f64) {
    let time = |p: &SharedCredentialsProvider| {
        rt.block_on(async {
            let start = Instant::now();
            for _ in 0..calls {
                black_box(p.provide_credentials().await.is_ok());
            }
            start.elapsed().as_secs_f64()
        })
    };
    let mut ratios: Vec<f64> = (0..rounds)
        .map(|_| {
            let floor = time(&s.floor_shared);
            time(&s.ours_shared) / floor
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    (ratios[0], ratios[rounds / 2], ratios[rounds - 1])
}

/// Where criterion wrote its estimates: as criterion itself decides, falling back to the
/// target directory that holds this program.
fn criterion_dir() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return Some(home.into());
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(target).join("criterion"));
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .map(|dir| dir.join("criterion"))
}

/// Criterion's median time per iteration, in nanoseconds, if this run measured it.
fn median_ns(dir: &std::path::Path, group: &str, id: &str, since: SystemTime) -> Option<f64> {
    let path = dir.join(group).join(id).join("new").join("estimates.json");
    let fresh = std::fs::metadata(&path).ok()?.modified().ok()? >= since;
    if !fresh {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn report(rt: &Runtime, s: &Subjects, mode: Mode, since: SystemTime) {
    println!("\n## Summary ({mode} run)\n");
    let Some(dir) = criterion_dir() else {
        println!("criterion's output directory not found; see its lines above");
        return;
    };
    let get = |group: &str, id: &str| median_ns(&dir, group, id, since);
    let ns = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2} ns"));
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}x", a / b),
        _ => "-".to_owned(),
    };

    println!("Warm path (criterion medians, target ours <= 1.5x floor):\n");
    println!("| call | floor | ours | ours / floor |");
    println!("|---|---|---|---|");
    for how in ["direct", "shared"] {
        let floor = get("warm_path", &format!("floor_{how}"));
        let ours = get("warm_path", &format!("ours_{how}"));
        println!(
            "| {how} | {} | {} | {} |",
            ns(floor),
            ns(ours),
            ratio(ours, floor)
        );
    }

    println!("\nParts:\n");
    println!("| part | median |");
    println!("|---|---|");
    for part in [
        "ours_frozen_clock",
        "time_source_now",
        "coarse_clock_now",
        "arc_swap_load_check",
        "arc_swap_load_check_clone",
        "credentials_clone",
    ] {
        println!("| {part} | {} |", ns(get("warm_path_parts", part)));
    }

    println!("\nContention (SharedCredentialsProvider, 2 worker threads):\n");
    println!("| tasks | floor calls/s | ours calls/s | ours / floor (time per call) |");
    println!("|---|---|---|---|");
    for tasks in [2, 64] {
        let floor = get("contention", &format!("floor_{tasks}_tasks"));
        let ours = get("contention", &format!("ours_{tasks}_tasks"));
        let rate = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{:.1} M", 1e3 / v));
        println!(
            "| {tasks} | {} | {} | {} |",
            rate(floor),
            rate(ours),
            ratio(ours, floor)
        );
    }

    let (rounds, calls) = mode.pick((3, 1_000), (5, 200_000), (31, 2_000_000));
    let (min, median, max) = interleaved(rt, s, rounds, calls);
    println!(
        "\nInterleaved check (shared, {rounds} rounds of {calls} calls per side): \
         ours / floor median {median:.2}x (min {min:.2}x, max {max:.2}x)"
    );
}

fn main() {
    let mode = Mode::from_env();
    // Estimates older than this run are not reported (one second of slack for coarse file
    // times).
    let since = SystemTimeSource::new().now() - Duration::from_secs(1);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let subjects = setup(&rt);
    let mut c = Criterion::default().without_plots();
    if mode == Mode::Quick {
        c = c
            .warm_up_time(Duration::from_millis(100))
            .measurement_time(Duration::from_millis(400))
            .sample_size(10)
            .nresamples(10_000);
    }
    let mut c = c.configure_from_args();
    warm_path(&mut c, &rt, &subjects);
    parts(&mut c, &rt, &subjects);
    contention(&mut c, &subjects);
    c.final_summary();
    // Every measured call was warm: the two providers' prefetches were the only STS calls.
    assert_eq!(
        subjects.mock.calls(Action::AssumeRole),
        2,
        "the warm path called STS"
    );
    if mode != Mode::Smoke {
        report(&rt, &subjects, mode, since);
    }
}
