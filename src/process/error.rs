//! What can go wrong handing credentials to a child process.

use std::io;

/// Starting a [`CredentialsEndpoint`](super::CredentialsEndpoint) or exporting credentials
/// failed. Neither its `Display` nor its `Debug` ever holds a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessError {
    /// The endpoint was started outside a tokio runtime, which it needs to serve requests.
    #[error("the credentials endpoint must be started from within a tokio runtime")]
    NoRuntime,
    /// The endpoint could not listen on a free port of 127.0.0.1.
    #[error("the credentials endpoint cannot listen on 127.0.0.1")]
    Listen(#[source] io::Error),
    /// The operating system's random number generator failed to give the endpoint its token.
    #[error("the credentials endpoint cannot draw its token from the system's random generator")]
    Random(#[source] io::Error),
    /// The credentials' expiry cannot be written as an ISO 8601 date (it is outside years
    /// 0001-9999).
    #[error("the credentials' expiry cannot be written as an ISO 8601 date")]
    Expiration,
}

impl ProcessError {
    /// Whether trying again may succeed: only when listening failed for a transient reason
    /// (the port taken in a race, an interrupted call, a busy resource).
    pub fn is_retryable(&self) -> bool {
        match self {
            ProcessError::Listen(source) => matches!(
                source.kind(),
                io::ErrorKind::AddrInUse
                    | io::ErrorKind::Interrupted
                    | io::ErrorKind::WouldBlock
                    | io::ErrorKind::ResourceBusy
            ),
            _ => false,
        }
    }
}
