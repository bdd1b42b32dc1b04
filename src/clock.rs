//! The one place that reads the system clock. Everything else takes a
//! [`SharedTimeSource`](aws_smithy_async::time::SharedTimeSource) so tests can control time.

use std::time::SystemTime;

use aws_smithy_async::time::{SharedTimeSource, SystemTimeSource, TimeSource};

/// The real time source, used unless one is injected.
pub(crate) fn system() -> SharedTimeSource {
    SharedTimeSource::new(SystemTimeSource::new())
}

/// The current wall-clock time.
pub(crate) fn system_now() -> SystemTime {
    SystemTimeSource::new().now()
}
