//! Per-device discipline: one question at a time, and no code sent twice.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, SystemTime};

use aws_smithy_async::time::SharedTimeSource;
use futures_util::FutureExt;

use super::{MfaContext, MfaError, MfaOptions, MfaReason, TokenSource};
use crate::request::TokenCode;

/// How long a used code stays unusable. A TOTP code is valid for its 30-second step (STS
/// tolerates a step of skew either side), but a person or a command can hand back an old code
/// much later: a code is never sent twice within this, and at most [`CODES_KEPT`] are kept.
const CODE_MEMORY: Duration = Duration::from_secs(12 * 3600);

/// The most codes remembered per device: the newest.
const CODES_KEPT: usize = 256;

/// One MFA device, shared by every provider of one [`MfaDevices`] registry that uses its serial
/// number.
#[derive(Debug, Default)]
pub(crate) struct Device {
    /// Held for a whole use of a code: question, STS call, and recording the code.
    turn: tokio::sync::Mutex<()>,
    /// Codes sent to STS recently, with when.
    used: Mutex<Vec<(TokenCode, SystemTime)>>,
}

type Registry = Arc<Mutex<HashMap<String, Arc<Device>>>>;

static PROCESS: LazyLock<Registry> = LazyLock::new(Default::default);

/// The MFA devices providers coordinate through: for each serial number, one question at a time
/// (concurrent refreshes of several providers queue behind one prompt) and a memory of the codes
/// already sent, so none is sent twice.
///
/// Every provider uses the [process-wide](Self::process_wide) registry unless given another with
/// [`ProviderBuilder::mfa_devices`](crate::AssumeRoleProviderBuilder::mfa_devices): the rules hold
/// across every provider of the process, which is what a device in a person's pocket needs. A
/// registry of its own ([`MfaDevices::new`]) keeps providers apart, for example tests that run
/// in parallel with the same serial number. Clones share one registry.
#[derive(Clone)]
pub struct MfaDevices(Registry);

impl MfaDevices {
    /// A registry of its own, shared only by the providers given it (and its clones).
    #[allow(clippy::new_without_default)] // the default is the process-wide registry
    pub fn new() -> Self {
        Self(Registry::default())
    }

    /// The process-wide registry: what providers use unless told otherwise.
    pub fn process_wide() -> Self {
        Self(Arc::clone(&PROCESS))
    }

    /// The device for a serial number.
    pub(crate) fn device(&self, serial: &str) -> Arc<Device> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(map.entry(serial.to_owned()).or_default())
    }
}

impl fmt::Debug for MfaDevices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let which = if Arc::ptr_eq(&self.0, &PROCESS) {
            "process-wide"
        } else {
            "own"
        };
        f.debug_tuple("MfaDevices").field(&which).finish()
    }
}

impl Device {
    fn was_used(&self, code: &TokenCode, now: SystemTime) -> bool {
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        used.retain(|(_, at)| now.duration_since(*at).unwrap_or_default() < CODE_MEMORY);
        used.iter().any(|(c, _)| c == code)
    }

    fn mark_used(&self, code: TokenCode, now: SystemTime) {
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        used.push((code, now));
        let excess = used.len().saturating_sub(CODES_KEPT);
        used.drain(..excess);
    }
}

/// Gets a fresh code from `source` and runs `call` with it, under the device's turn. Retries
/// with a new code when `rejected` says STS refused one, up to `options.attempts` codes. Every
/// code given to `call` is remembered as used, accepted or not.
pub(crate) async fn with_code<T, E, F, Fut>(
    device: &Device,
    source: &dyn TokenSource,
    options: &MfaOptions,
    clock: &SharedTimeSource,
    first: MfaContext,
    rejected: impl Fn(&E) -> bool,
    mut call: F,
) -> Result<T, E>
where
    E: From<MfaError>,
    F: FnMut(TokenCode) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let _turn = device.turn.lock().await;
    let mut ctx = first;
    let mut tries = 0;
    loop {
        let code = ask(device, source, options, clock, &mut ctx).await?;
        tries += 1;
        tracing::debug!(serial_number = %ctx.serial_number(), attempt = ctx.attempt(), "MFA code obtained");
        let result = call(code.clone()).await;
        device.mark_used(code, clock.now());
        match result {
            Err(e) if rejected(&e) && tries < options.attempts => {
                tracing::warn!(serial_number = %ctx.serial_number(), tries, "STS rejected the MFA code; asking for a new one");
                ctx = ctx.next(MfaReason::Rejected);
            }
            other => return other,
        }
    }
}

/// Asks until the source gives a code not used before (at most `attempts + 2` questions).
async fn ask(
    device: &Device,
    source: &dyn TokenSource,
    options: &MfaOptions,
    clock: &SharedTimeSource,
    ctx: &mut MfaContext,
) -> Result<TokenCode, MfaError> {
    let limit = options.attempts + 2;
    for _ in 0..limit {
        // A source that panics must not take the provider down with it: the panic becomes an
        // error, reported as what it is.
        let question: &MfaContext = ctx;
        let Ok(asked) = std::panic::catch_unwind(AssertUnwindSafe(|| source.token_code(question)))
        else {
            return Err(MfaError::Panicked);
        };
        let asked = AssertUnwindSafe(asked).catch_unwind();
        let code = match tokio::time::timeout(options.prompt_timeout, asked).await {
            Err(_) => return Err(MfaError::TimedOut(options.prompt_timeout)),
            Ok(Err(_panic)) => return Err(MfaError::Panicked),
            Ok(Ok(answer)) => answer?,
        };
        if !device.was_used(&code, clock.now()) {
            return Ok(code);
        }
        tracing::debug!(serial_number = %ctx.serial_number(), "the token source repeated a used MFA code; asking again");
        *ctx = ctx.next(MfaReason::CodeReused);
    }
    Err(MfaError::OnlyReusedCodes(limit))
}
