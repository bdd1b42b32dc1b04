//! MFA: where one-time codes come from, and the rules for using them.
//!
//! A [`TokenSource`] is asked for a code exactly when STS needs one. The provider
//!
//! - never sends a code twice: a code STS accepted (or rejected) for a device is remembered,
//!   and a source that hands it back is asked again (a [`Totp`] source waits for its next step);
//! - asks again when STS rejects a code, up to
//!   [`mfa_attempts`](crate::AssumeRoleProviderBuilder::mfa_attempts) times (3 by default);
//! - asks one question at a time per MFA device in the whole process (or in an [`MfaDevices`]
//!   registry of your own), so concurrent refreshes of several providers queue behind one
//!   prompt;
//! - gives up on a source after
//!   [`mfa_prompt_timeout`](crate::AssumeRoleProviderBuilder::mfa_prompt_timeout) (5 minutes
//!   by default) with [`MfaError::TimedOut`],
//!   and never calls STS without a code.
//!
//! See [`crate::docs::mfa`] for choosing between MFA on each AssumeRole and an
//! [`MfaSession`](crate::MfaSession).

mod channel;
mod command;
mod device;
mod prompt;
#[cfg(feature = "totp")]
pub(crate) mod totp;

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub use channel::{ChannelSource, CodeRequests, CodeSender};
pub use command::{CommandError, CommandSource};
pub use device::MfaDevices;
pub(crate) use device::{Device, with_code};
pub use prompt::TerminalPrompt;
#[cfg(feature = "totp")]
#[cfg_attr(docsrs, doc(cfg(feature = "totp")))]
pub use totp::{InvalidTotpSecret, Totp};

pub use crate::request::TokenCode;

/// The future a [`TokenSource`] returns.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<TokenCode, MfaError>> + Send + 'a>>;

/// Why a code is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MfaReason {
    /// The first credentials of a provider or session.
    FirstLoad,
    /// Credentials are being refreshed.
    Refresh,
    /// STS rejected the previous code (wrong, stale or already used).
    Rejected,
    /// The source handed back a code that was already used; a fresh one is needed.
    CodeReused,
}

/// What a [`TokenSource`] is told when asked for a code.
#[derive(Clone, Debug)]
pub struct MfaContext {
    serial_number: String,
    role_arn: Option<String>,
    reason: MfaReason,
    attempt: u32,
}

impl MfaContext {
    /// A context; sources are usually handed one, but tests and wrappers can build one.
    pub fn new(
        serial_number: impl Into<String>,
        role_arn: Option<String>,
        reason: MfaReason,
        attempt: u32,
    ) -> Self {
        Self {
            serial_number: serial_number.into(),
            role_arn,
            reason,
            attempt,
        }
    }

    /// The MFA device: its ARN, or a hardware device's serial.
    pub fn serial_number(&self) -> &str {
        &self.serial_number
    }

    /// The role being assumed, or `None` for an MFA session (GetSessionToken).
    pub fn role_arn(&self) -> Option<&str> {
        self.role_arn.as_deref()
    }

    /// Why a code is needed.
    pub fn reason(&self) -> MfaReason {
        self.reason
    }

    /// 1 for the first question of this load, then 2, 3, … after rejected or reused codes.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The question [`TerminalPrompt`] asks, for a prompt of your own (a dialog, a chat
    /// message): it names the device and the role, and says why a new code is needed after a
    /// rejected or reused one.
    ///
    /// # Examples
    ///
    /// ```
    /// use sts_assume_role::mfa::{MfaContext, MfaReason};
    ///
    /// let serial = "arn:aws:iam::111111111111:mfa/alice";
    /// let ctx = MfaContext::new(serial, None, MfaReason::Rejected, 2);
    /// assert_eq!(
    ///     ctx.question(),
    ///     "STS rejected that code. MFA code for arn:aws:iam::111111111111:mfa/alice: "
    /// );
    /// ```
    pub fn question(&self) -> String {
        let why = match self.reason {
            MfaReason::Rejected => "STS rejected that code. ",
            MfaReason::CodeReused => "That code was already used; wait for the next one. ",
            _ => "",
        };
        match &self.role_arn {
            Some(role) => format!(
                "{why}MFA code for {} (to assume {role}): ",
                self.serial_number
            ),
            None => format!("{why}MFA code for {}: ", self.serial_number),
        }
    }

    pub(crate) fn next(&self, reason: MfaReason) -> Self {
        Self {
            reason,
            attempt: self.attempt + 1,
            ..self.clone()
        }
    }
}

/// Why no code could be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MfaError {
    /// The person (or the application) declined to give a code.
    #[error("MFA code entry was cancelled")]
    Cancelled,
    /// No code came within the prompt timeout.
    #[error("no MFA code within {0:?}")]
    TimedOut(Duration),
    /// The source failed.
    #[error("the MFA token source failed")]
    Failed(#[source] Box<dyn StdError + Send + Sync + 'static>),
    /// The source kept handing back codes that were already used.
    #[error("the MFA token source gave only codes that were already used, {0} times")]
    OnlyReusedCodes(u32),
    /// The source panicked. Its message is not kept: it could hold a code.
    #[error("the MFA token source panicked")]
    Panicked,
    /// No code was asked for: a refresh no caller asked for (on a timer, for a provider above
    /// this one) does not prompt a person. The next caller's load asks: this error ends only
    /// refreshes nobody waits for, and is never a caller's answer.
    #[error("no MFA code asked for: no caller is waiting, and the token source asks a person")]
    Unattended,
}

impl MfaError {
    /// Wraps any error as [`MfaError::Failed`].
    pub fn failed(e: impl Into<Box<dyn StdError + Send + Sync + 'static>>) -> Self {
        Self::Failed(e.into())
    }
}

/// Where MFA codes come from: a terminal prompt, a GUI, a TOTP generator, a channel, a
/// command ([`CommandSource`]: a YubiKey through `ykman`, a password manager).
///
/// It is object-safe, `Send + Sync`, and async: return a boxed future. For closures, use
/// [`from_fn`] (sync) or [`from_async_fn`] (async).
///
/// ```
/// use sts_assume_role::mfa::{self, MfaContext, MfaError, TokenSource};
/// use sts_assume_role::mfa::TokenCode;
///
/// let source = mfa::from_fn(|ctx: &MfaContext| {
///     // Ask your UI here; never log the code.
///     let typed = "123456";
///     TokenCode::new(typed).map_err(MfaError::failed)
/// });
/// # let _: &dyn TokenSource = &source;
/// ```
pub trait TokenSource: Send + Sync + fmt::Debug {
    /// Asks for a fresh code.
    fn token_code<'a>(&'a self, ctx: &'a MfaContext) -> TokenFuture<'a>;

    /// Whether asking may wait on a person (a prompt, a dialog, a chat message). `true`
    /// unless the source says otherwise; [`Totp`] computes its codes and says `false`.
    ///
    /// A provider whose source is interactive never makes callers wait on it while its
    /// credentials are valid, and by default does not refresh on a timer, so an idle tool
    /// does not prompt (see [`ScheduledRefresh`](crate::ScheduledRefresh)). One
    /// whose source is not interactive refreshes like a provider without MFA.
    fn interactive(&self) -> bool {
        true
    }
}

impl<T: TokenSource + ?Sized> TokenSource for std::sync::Arc<T> {
    fn token_code<'a>(&'a self, ctx: &'a MfaContext) -> TokenFuture<'a> {
        (**self).token_code(ctx)
    }

    fn interactive(&self) -> bool {
        (**self).interactive()
    }
}

impl<T: TokenSource + ?Sized> TokenSource for Box<T> {
    fn token_code<'a>(&'a self, ctx: &'a MfaContext) -> TokenFuture<'a> {
        (**self).token_code(ctx)
    }

    fn interactive(&self) -> bool {
        (**self).interactive()
    }
}

/// A [`TokenSource`] from a synchronous closure. It runs on the async task, so it should not
/// block for long; for a blocking prompt use [`TerminalPrompt`] or [`from_async_fn`] with
/// `spawn_blocking`.
pub fn from_fn<F>(f: F) -> impl TokenSource
where
    F: Fn(&MfaContext) -> Result<TokenCode, MfaError> + Send + Sync,
{
    FnSource(f)
}

/// A [`TokenSource`] from an async closure (a closure returning a future).
pub fn from_async_fn<F, Fut>(f: F) -> impl TokenSource
where
    F: Fn(MfaContext) -> Fut + Send + Sync,
    Fut: Future<Output = Result<TokenCode, MfaError>> + Send + 'static,
{
    AsyncFnSource(f)
}

/// See [`from_fn`].
struct FnSource<F>(F);

impl<F> fmt::Debug for FnSource<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnSource")
    }
}

impl<F> TokenSource for FnSource<F>
where
    F: Fn(&MfaContext) -> Result<TokenCode, MfaError> + Send + Sync,
{
    fn token_code<'a>(&'a self, ctx: &'a MfaContext) -> TokenFuture<'a> {
        let result = (self.0)(ctx);
        Box::pin(std::future::ready(result))
    }
}

/// See [`from_async_fn`].
struct AsyncFnSource<F>(F);

impl<F> fmt::Debug for AsyncFnSource<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AsyncFnSource")
    }
}

impl<F, Fut> TokenSource for AsyncFnSource<F>
where
    F: Fn(MfaContext) -> Fut + Send + Sync,
    Fut: Future<Output = Result<TokenCode, MfaError>> + Send + 'static,
{
    fn token_code<'a>(&'a self, ctx: &'a MfaContext) -> TokenFuture<'a> {
        Box::pin((self.0)(ctx.clone()))
    }
}

/// How the provider uses a token source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MfaOptions {
    /// How long one question may take before [`MfaError::TimedOut`]. Default 5 minutes.
    pub(crate) prompt_timeout: Duration,
    /// How many codes to try per load when STS rejects them. Default 3.
    pub(crate) attempts: u32,
}

impl Default for MfaOptions {
    fn default() -> Self {
        Self {
            prompt_timeout: Duration::from_secs(300),
            attempts: 3,
        }
    }
}
