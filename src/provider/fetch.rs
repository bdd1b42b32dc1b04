//! What a provider's refresh engine asks of the thing that fetches its credentials: the
//! [`Fetch`] trait, its context and its answer, what is fetched ([`CredentialsOf`], for logs), and
//! whether a person is behind the refresh ([`unattended`]). The fetches are in
//! [`super::role`] (AssumeRole) and [`super::session`] (GetSessionToken).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;

use super::server_time::ServerTime;
use crate::error::Error;
use crate::request::{RoleArn, SerialNumber};

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What a provider fetches, for logs and `Debug`: a role, or an MFA session of a device.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum CredentialsOf {
    Role(RoleArn),
    MfaSession(SerialNumber),
}

impl fmt::Debug for CredentialsOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsOf::Role(arn) => write!(f, "role_arn: {:?}", arn.as_str()),
            CredentialsOf::MfaSession(serial) => write!(f, "serial_number: {:?}", serial.as_str()),
        }
    }
}

impl CredentialsOf {
    /// Adds the subject as a field named for what it is: `role_arn` or `serial_number`.
    pub(crate) fn field(&self, d: &mut fmt::DebugStruct<'_, '_>) {
        match self {
            CredentialsOf::Role(arn) => d.field("role_arn", &arn.as_str()),
            CredentialsOf::MfaSession(serial) => d.field("serial_number", &serial.as_str()),
        };
    }
}

/// A `tracing` event about a provider, with its subject as the field `role_arn` (a role) or
/// `serial_number` (an MFA session): the same vocabulary as the MFA logs.
macro_rules! event {
    ($level:ident, $subject:expr, $($rest:tt)+) => {
        match $subject {
            $crate::provider::fetch::CredentialsOf::Role(arn) => {
                tracing::$level!(role_arn = arn.as_str(), $($rest)+)
            }
            $crate::provider::fetch::CredentialsOf::MfaSession(serial) => {
                tracing::$level!(serial_number = serial.as_str(), $($rest)+)
            }
        }
    };
}
pub(crate) use event;

tokio::task_local! {
    /// Set in a refresh no caller asked for (started by a timer), and in the refreshes of the
    /// sources it loads: no person is waiting, so none is asked for a code.
    static UNATTENDED: bool;
}

/// Whether the current refresh has no caller behind it.
pub(crate) fn unattended() -> bool {
    UNATTENDED.try_with(|u| *u).unwrap_or(false)
}

/// `work`, marked unattended (or not) for the fetches it runs.
pub(crate) fn attended_as<F: Future>(unattended: bool, work: F) -> impl Future<Output = F::Output> {
    UNATTENDED.scope(unattended, work)
}

/// Whether a refresh in flight is waiting on a person to answer for an MFA code, its own
/// question or one a source of it asks: callers of a provider whose credentials are still
/// valid are then served them rather than wait on the person.
#[derive(Debug, Default)]
pub(crate) struct PersonAsked {
    asked: AtomicBool,
    notify: tokio::sync::Notify,
}

impl PersonAsked {
    /// Marks it, and wakes the callers waiting for the refresh.
    pub(crate) fn mark(&self) {
        self.asked.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    pub(crate) fn is_marked(&self) -> bool {
        self.asked.load(Ordering::Acquire)
    }

    /// Resolves once it is marked.
    pub(crate) async fn marked(&self) {
        loop {
            let notified = self.notify.notified();
            if self.is_marked() {
                return;
            }
            notified.await;
        }
    }
}

/// The refreshes a task works for: its own provider's, and those of the providers whose
/// refresh loads this one as a source (the chain above it), each told when a person is asked.
/// Providers that join a refresh in flight add theirs.
#[derive(Debug, Default)]
pub(crate) struct Waiting(Mutex<Vec<Arc<PersonAsked>>>);

impl Waiting {
    /// A chain: `above`'s refreshes, then `own`.
    pub(crate) fn below(above: Option<&Waiting>, own: Arc<PersonAsked>) -> Arc<Waiting> {
        let mut list = above.map(Waiting::list).unwrap_or_default();
        list.push(own);
        Arc::new(Waiting(Mutex::new(list)))
    }

    fn list(&self) -> Vec<Arc<PersonAsked>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Adds the refreshes of `joiner`'s chain; when a person is being asked already, they are
    /// told at once.
    pub(crate) fn join(&self, joiner: &Waiting, asking: bool) {
        let added = joiner.list();
        if asking {
            added.iter().for_each(|a| a.mark());
        }
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(added);
    }

    /// A person is asked: every refresh of the chain is told.
    pub(crate) fn mark_all(&self) {
        self.list().iter().for_each(|a| a.mark());
    }
}

tokio::task_local! {
    /// The chain of refreshes the current refresh task works for.
    static WAITING: Arc<Waiting>;
}

/// The chain of the current refresh task, if it is one.
pub(crate) fn waiting() -> Option<Arc<Waiting>> {
    WAITING.try_with(Arc::clone).ok()
}

/// `work`, run for the refreshes of `chain`.
pub(crate) fn waiting_for<F: Future>(
    chain: Arc<Waiting>,
    work: F,
) -> impl Future<Output = F::Output> {
    WAITING.scope(chain, work)
}

/// What a fetch needs to know about the cache asking for it.
#[derive(Debug)]
pub(crate) struct FetchContext {
    /// No credentials were ever loaded (for the MFA prompt's reason).
    pub(crate) first: bool,
    /// Access key IDs not to serve from a credential store: the ones the cache holds now (a
    /// refresh wants newer ones) and the ones a service rejected ([`invalidate`]).
    ///
    /// [`invalidate`]: crate::AssumeRoleProvider::invalidate
    pub(crate) avoid: Vec<String>,
    /// When the refresh started, by the provider's clock: the one clock that judges the
    /// credential store's entries too.
    pub(crate) now: SystemTime,
}

/// What a fetch got: the credentials, and what STS's answer said of its clock, when they came
/// from STS and it said.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) credentials: Credentials,
    pub(crate) server_time: Option<ServerTime>,
}

impl From<Credentials> for Fetched {
    fn from(credentials: Credentials) -> Self {
        Self {
            credentials,
            server_time: None,
        }
    }
}

/// Fetches a fresh set of credentials. Runs on a spawned task, so the future is `'static`.
pub(crate) trait Fetch: Send + Sync + fmt::Debug + 'static {
    fn fetch(self: Arc<Self>, ctx: FetchContext) -> BoxFuture<Result<Fetched, Error>>;

    /// What is fetched, for logs.
    fn subject(&self) -> &CredentialsOf;

    /// How long a fresh set lives when all goes as asked (the requested duration), which sets
    /// the windows by which an answer is judged too short-lived to serve.
    fn nominal_lifetime(&self) -> Duration;

    /// Whether a fetch may ask a person for a code. Such caches never make callers wait while
    /// cached credentials are valid, and refresh on a timer only with
    /// [`ScheduledRefresh::Always`](super::policy::ScheduledRefresh::Always).
    fn prompts(&self) -> bool;
}
