//! A token source fed from elsewhere in the application: a GUI, a chat bot, an admin endpoint.

use std::fmt;
use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, watch};

use super::{MfaContext, MfaError, TokenFuture, TokenSource};
use crate::request::TokenCode;

/// A token source that hands over codes pushed through its [`CodeSender`].
///
/// When asked, it publishes the request (see [`CodeSender::requests`]) so the application can
/// show its own prompt, drops codes pushed before the request (they may be stale), and waits
/// for the next code. If every sender is dropped, asking fails with [`MfaError::Cancelled`].
///
/// ```
/// # async fn demo() {
/// use sts_assume_role::mfa::ChannelSource;
///
/// let (source, sender) = ChannelSource::new();
/// let mut requests = sender.requests();
/// tokio::spawn(async move {
///     while let Some(request) = requests.next().await {
///         // Show a dialog asking `request.question()`; when the user answers:
///         let _ = sender.send("123456");
///     }
/// });
/// # let _ = source; }
/// ```
pub struct ChannelSource {
    codes: Mutex<mpsc::UnboundedReceiver<TokenCode>>,
    requests: Arc<watch::Sender<Option<MfaContext>>>,
}

/// Pushes codes into a [`ChannelSource`], and tells when one is wanted. Cheap to clone.
#[derive(Clone)]
pub struct CodeSender {
    codes: mpsc::UnboundedSender<TokenCode>,
    requests: Arc<watch::Sender<Option<MfaContext>>>,
}

impl fmt::Debug for ChannelSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChannelSource")
    }
}

impl fmt::Debug for CodeSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeSender")
    }
}

impl ChannelSource {
    /// A source and the sender that feeds it.
    pub fn new() -> (ChannelSource, CodeSender) {
        let (tx, rx) = mpsc::unbounded_channel();
        let requests = Arc::new(watch::Sender::new(None));
        (
            ChannelSource {
                codes: Mutex::new(rx),
                requests: Arc::clone(&requests),
            },
            CodeSender {
                codes: tx,
                requests,
            },
        )
    }
}

impl CodeSender {
    /// Pushes a code. It is parsed first; an invalid code is rejected here, not sent to STS.
    pub fn send(&self, code: &str) -> Result<(), MfaError> {
        let code = TokenCode::new(code).map_err(MfaError::failed)?;
        self.codes.send(code).map_err(|_| MfaError::Cancelled)
    }

    /// Watches for requests for a code. A request pending when this is called is the first
    /// one [`CodeRequests::next`] returns.
    pub fn requests(&self) -> CodeRequests {
        let mut receiver = self.requests.subscribe();
        if receiver.borrow().is_some() {
            receiver.mark_changed();
        }
        CodeRequests(receiver)
    }
}

/// The requests of a [`ChannelSource`] for a code, from [`CodeSender::requests`].
pub struct CodeRequests(watch::Receiver<Option<MfaContext>>);

impl fmt::Debug for CodeRequests {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeRequests")
    }
}

impl CodeRequests {
    /// Waits for the next request and returns what the code is for; `None` once the source
    /// and every sender are gone, so no request can come.
    pub async fn next(&mut self) -> Option<MfaContext> {
        loop {
            self.0.changed().await.ok()?;
            if let Some(ctx) = self.0.borrow_and_update().clone() {
                return Some(ctx);
            }
        }
    }

    /// The request waiting for a code now, if there is one.
    pub fn pending(&self) -> Option<MfaContext> {
        self.0.borrow().clone()
    }
}

impl TokenSource for ChannelSource {
    fn token_code<'a>(&'a self, ctx: &'a MfaContext) -> TokenFuture<'a> {
        Box::pin(async move {
            let mut codes = self.codes.lock().await;
            while codes.try_recv().is_ok() {} // stale codes
            self.requests.send_replace(Some(ctx.clone()));
            let code = codes.recv().await.ok_or(MfaError::Cancelled);
            self.requests.send_replace(None);
            code
        })
    }
}
