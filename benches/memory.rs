//! Memory (issue #6, part 6): the heap one provider holds, and no growth over 1,000,000 warm
//! calls. A counting global allocator sees every allocation in this program; everything
//! runs on one thread, against an STS that answers in-process, so nothing else allocates
//! while a measurement is taken.
//!
//! `cargo bench --features test-util --bench memory`

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_async::time::{SharedTimeSource, SystemTimeSource};
use sts_assume_role::AssumeRoleProvider;
use support::{InProcessSts, Mode};

/// The system allocator, counting live bytes and allocations.
struct Counting;

static LIVE: AtomicI64 = AtomicI64::new(0);
static ALLOCS: AtomicU64 = AtomicU64::new(0);

fn grew(bytes: usize) {
    LIVE.fetch_add(bytes as i64, Ordering::Relaxed);
    ALLOCS.fetch_add(1, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counters only
// observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees for `alloc` are passed on as they are.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, which is the system allocator.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc` and `alloc`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Live heap bytes and allocations made so far.
fn heap() -> (i64, u64) {
    (LIVE.load(Ordering::SeqCst), ALLOCS.load(Ordering::SeqCst))
}

/// Lets finished refresh tasks be freed.
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

fn provider(config: &aws_types::SdkConfig) -> AssumeRoleProvider {
    AssumeRoleProvider::builder(support::request("memory"), config)
        .build()
        .expect("valid provider")
}

/// `calls` warm calls; the live-heap change and the allocations they made.
async fn warm_calls(p: &SharedCredentialsProvider, calls: u64) -> (i64, u64) {
    let (live, allocs) = heap();
    for _ in 0..calls {
        black_box(p.provide_credentials().await.is_ok());
    }
    let (live_after, allocs_after) = heap();
    (live_after - live, allocs_after - allocs)
}

async fn run(mode: Mode) {
    let many = mode.pick(10, 1_000, 1_000);
    let calls = mode.pick(1_000, 1_000_000, 1_000_000);
    let sts = InProcessSts::new(SharedTimeSource::new(SystemTimeSource::new()));
    let config = sts.sdk_config();
    // Warm the HTTP client and the runtime: whatever they set up lazily on a first call is
    // theirs, not a provider's.
    let warm = provider(&config);
    warm.prefetch().await.expect("warm-up");
    drop(warm);
    settle().await;

    // What a provider holds is what its drop gives back: measured as held minus released, so
    // memory freed meanwhile by earlier work (timers, lazily dropped tasks) cannot make a
    // figure negative, as a difference against a baseline taken before could.
    // The provider the warm calls are measured on.
    let p = provider(&config);
    p.prefetch().await.expect("load");
    settle().await;
    let held_loaded = {
        let q = provider(&config);
        q.prefetch().await.expect("load");
        settle().await;
        let (held, _) = heap();
        drop(q);
        settle().await;
        let (released, _) = heap();
        held - released
    };
    let held_built = {
        let q = provider(&config);
        let (held, _) = heap();
        drop(q);
        settle().await;
        let (released, _) = heap();
        held - released
    };
    let held_many = {
        let fleet: Vec<_> = (0..many).map(|_| provider(&config)).collect();
        for q in &fleet {
            q.prefetch().await.expect("load");
        }
        settle().await;
        let (held, _) = heap();
        drop(fleet);
        settle().await;
        let (released, _) = heap();
        (held - released) / many as i64
    };

    println!("## Memory ({mode} run)\n");
    println!("| what | live heap bytes (held, freed when dropped) |");
    println!("|---|---|");
    println!("| one provider, built (its own STS client) | {held_built} |");
    println!("| one provider with cached credentials | {held_loaded} |");
    println!("| per provider, {many} providers with cached credentials | {held_many} |");
    for (what, bytes) in [
        ("built", held_built),
        ("loaded", held_loaded),
        ("many", held_many),
    ] {
        assert!(
            bytes > 0,
            "the {what} figure measures nothing: {bytes} bytes"
        );
    }

    let floor = SharedCredentialsProvider::new(Credentials::new(
        "AKIDSTATICFLOOR00000",
        "static-floor-secret-access-key-000000000",
        Some("static-floor-session-token".to_owned()),
        None,
        "Static",
    ));
    let ours = SharedCredentialsProvider::new(p.clone());
    println!("\n| {calls} warm calls | live heap change | allocations |");
    println!("|---|---|---|");
    let mut grew = false;
    for (name, subject) in [("static credentials (floor)", &floor), ("ours", &ours)] {
        let (delta, allocs) = warm_calls(subject, calls).await;
        println!("| {name} | {delta} bytes | {allocs} |");
        grew |= delta != 0 || allocs != 0;
    }
    assert!(!grew, "the warm path allocated");
}

fn main() {
    let mode = Mode::from_env();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(mode));
}
