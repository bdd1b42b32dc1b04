//! Everything logged, kept in memory for invariant 8: the crate's events at every level, and
//! the warnings and errors of everything else (the SDK's TRACE output would cost more than
//! the rest of the simulation).

use std::sync::OnceLock;

pub use crate::common::Capture;

/// The process-wide capture (installed once: the blocking threads of the file cache log too).
pub fn capture() -> Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let capture = Capture::default();
            let subscriber = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(
                    "warn,sts_assume_role=trace",
                ))
                .with_writer(capture.clone())
                .with_ansi(false)
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("the simulation installs the only subscriber");
            capture
        })
        .clone()
}
