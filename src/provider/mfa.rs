//! An MFA token source as a provider uses it: with the device's rules, the options, and the
//! rule that a refresh nobody waits for asks no person.

use std::future::Future;
use std::sync::Arc;

use aws_smithy_async::time::SharedTimeSource;

use super::fetch::{unattended, waiting};
use crate::error::Error;
use crate::mfa::{Device, MfaContext, MfaOptions, MfaReason, TokenSource, with_code};
use crate::request::SerialNumber;

/// An MFA token source and the rules it is used under.
#[derive(Debug, Clone)]
pub(crate) struct MfaConfig {
    pub(crate) source: Arc<dyn TokenSource>,
    pub(crate) options: MfaOptions,
    pub(crate) device: Arc<Device>,
    pub(crate) serial: SerialNumber,
    pub(crate) clock: SharedTimeSource,
}

impl MfaConfig {
    pub(crate) fn context(&self, role_arn: Option<&str>, first: bool) -> MfaContext {
        let reason = if first {
            MfaReason::FirstLoad
        } else {
            MfaReason::Refresh
        };
        MfaContext::new(self.serial.as_str(), role_arn.map(str::to_owned), reason, 1)
    }

    /// Runs `call` with a fresh code, asking again when STS rejects one. A refresh with no
    /// caller behind it (see [`unattended`]) does not ask an interactive source.
    pub(crate) async fn with_code<T, F, Fut>(&self, ctx: MfaContext, call: F) -> Result<T, Error>
    where
        F: FnMut(crate::request::TokenCode) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        if unattended() && self.source.interactive() {
            return Err(Error::Mfa(crate::mfa::MfaError::Unattended));
        }
        if self.source.interactive()
            && let Some(chain) = waiting()
        {
            // A person is about to be asked: every refresh waiting on this one serves its
            // callers the credentials they hold meanwhile.
            chain.mark_all();
        }
        with_code(
            &self.device,
            &*self.source,
            &self.options,
            &self.clock,
            ctx,
            Error::is_mfa_rejected,
            call,
        )
        .await
    }
}
