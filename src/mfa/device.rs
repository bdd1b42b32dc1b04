//! Per-device discipline: one question at a time, and no code sent twice.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, SystemTime};

use aws_smithy_async::time::SharedTimeSource;

use super::{MfaContext, MfaError, MfaOptions, MfaReason, TokenSource};
use crate::Error;
use crate::request::TokenCode;

/// How long a used code stays unusable: a TOTP code is valid for its 30-second step, and STS
/// tolerates a step of clock skew either side.
const CODE_MEMORY: Duration = Duration::from_secs(90);

/// One MFA device, shared by every provider in the process that uses its serial number.
#[derive(Debug, Default)]
pub(crate) struct Device {
    /// Held for a whole use of a code: question, STS call, and recording the code.
    turn: tokio::sync::Mutex<()>,
    /// Codes sent to STS recently, with when.
    used: Mutex<Vec<(TokenCode, SystemTime)>>,
}

static DEVICES: LazyLock<Mutex<HashMap<String, Arc<Device>>>> = LazyLock::new(Default::default);

impl Device {
    /// The process-wide device for a serial number.
    pub(crate) fn get(serial: &str) -> Arc<Device> {
        let mut map = DEVICES.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(map.entry(serial.to_owned()).or_default())
    }

    fn was_used(&self, code: &TokenCode, now: SystemTime) -> bool {
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        used.retain(|(_, at)| now.duration_since(*at).unwrap_or_default() < CODE_MEMORY);
        used.iter().any(|(c, _)| c == code)
    }

    fn mark_used(&self, code: TokenCode, now: SystemTime) {
        self.used
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((code, now));
    }
}

/// Gets a fresh code from `source` and runs `call` with it, under the device's turn. Retries
/// with a new code when STS rejects one, up to `options.attempts` codes. Every code given to
/// `call` is remembered as used, accepted or not.
pub(crate) async fn with_code<T, F, Fut>(
    device: &Device,
    source: &dyn TokenSource,
    options: &MfaOptions,
    clock: &SharedTimeSource,
    first: MfaContext,
    mut call: F,
) -> Result<T, Error>
where
    F: FnMut(TokenCode) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
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
            Err(e) if e.is_mfa_rejected() && tries < options.attempts => {
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
        let code = tokio::time::timeout(options.prompt_timeout, source.token_code(ctx))
            .await
            .map_err(|_| MfaError::TimedOut(options.prompt_timeout))??;
        if !device.was_used(&code, clock.now()) {
            return Ok(code);
        }
        tracing::debug!(serial_number = %ctx.serial_number(), "the token source repeated a used MFA code; asking again");
        *ctx = ctx.next(MfaReason::CodeReused);
    }
    Err(MfaError::OnlyReusedCodes(limit))
}
