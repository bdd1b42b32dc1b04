//! A TOTP (RFC 6238) token source from a base32 secret, as an authenticator app computes.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_smithy_async::time::{SharedTimeSource, TimeSource};

use super::{MfaContext, MfaError, MfaReason, TokenFuture, TokenSource};
use crate::request::TokenCode;

const STEP: u64 = 30;

/// The TOTP secret was not valid base32 of at least 128 bits. The secret itself is never shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("TOTP secret: must be base32 of at least 128 bits (26 characters), got {0}")]
pub struct InvalidTotpSecret(&'static str);

/// Parses a base32 secret (spaces, `=` padding and lower case tolerated) into a generator with
/// AWS's parameters: SHA-1, 6 digits, 30-second steps.
pub(crate) fn parse_base32(secret: &str) -> Result<totp_rs::Totp, InvalidTotpSecret> {
    let normalized: String = secret
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let secret = totp_rs::Secret::try_from_base32(&normalized)
        .map_err(|_| InvalidTotpSecret("invalid base32"))?;
    totp_rs::Builder::new()
        .with_secret(secret)
        .build()
        .map_err(|_| InvalidTotpSecret("a secret too short"))
}

/// Codes computed from a TOTP secret, standing in for a virtual MFA device (an authenticator
/// app) the way a CI job or a service account would. Feature `totp`.
///
/// It never hands out the same code twice: asked again within a 30-second step (or told the
/// last code was reused), it waits for the next step, and logs the wait at `info`. So two
/// loads that each need a code from one device (two providers with their own MFA, two `Totp`
/// sources for one device in one process) are up to 30 seconds apart: the second one waits.
/// An SDK client with its own identity cache cuts such a load off after its load timeout (21.6
/// s with the default settings); give clients `IdentityCache::no_cache()` (see the README), or
/// put the roles over one [`MfaSession`](crate::MfaSession), which needs one code for all of
/// them. `Debug` hides the secret.
pub struct Totp {
    totp: totp_rs::Totp,
    clock: SharedTimeSource,
    /// The last step whose code was handed out.
    last_step: Mutex<Option<u64>>,
}

impl fmt::Debug for Totp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Totp(** redacted **)")
    }
}

impl Totp {
    /// A source from a base32 secret, as shown when the virtual MFA device was set up.
    pub fn from_base32(secret: &str) -> Result<Self, InvalidTotpSecret> {
        Ok(Self {
            totp: parse_base32(secret)?,
            clock: crate::clock::system(),
            last_step: Mutex::new(None),
        })
    }

    /// The clock the codes are computed from (the system clock unless set).
    #[must_use]
    pub fn time_source(mut self, clock: impl TimeSource + 'static) -> Self {
        self.clock = SharedTimeSource::new(clock);
        self
    }

    /// The code for a moment, for display in tools that mirror an authenticator app.
    pub fn code_at(&self, at: SystemTime) -> TokenCode {
        let secs = at
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        // totp-rs renders exactly six digits, which always parse.
        TokenCode::new(self.totp.generate(secs).to_string())
            .unwrap_or_else(|_| unreachable!("six digits"))
    }
}

impl TokenSource for Totp {
    /// Codes are computed, never asked of a person.
    fn interactive(&self) -> bool {
        false
    }

    fn token_code<'a>(&'a self, ctx: &'a MfaContext) -> TokenFuture<'a> {
        Box::pin(async move {
            let now = self.clock.now();
            let secs = now
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_err(MfaError::failed)?
                .as_secs();
            let mut step = secs / STEP;
            let repeat = {
                let last = self.last_step.lock().unwrap_or_else(|p| p.into_inner());
                last.is_some_and(|l| l >= step)
            };
            if repeat || ctx.reason() == MfaReason::CodeReused {
                // This step's code is spent: wait for the next one.
                let next = self
                    .last_step
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .map_or(step, |l| l.max(step))
                    + 1;
                let wait = Duration::from_secs(next * STEP - secs);
                // A pause of up to 30 s looks like a hang unless it is said.
                tracing::info!(
                    serial_number = %ctx.serial_number(),
                    wait = ?wait,
                    "the TOTP code of this 30-second step was already used for this MFA device \
                     (STS accepts each code once): waiting for the next step"
                );
                tokio::time::sleep(wait).await;
                step = next;
            }
            *self.last_step.lock().unwrap_or_else(|p| p.into_inner()) = Some(step);
            Ok(self.code_at(SystemTime::UNIX_EPOCH + Duration::from_secs(step * STEP)))
        })
    }
}
