//! A local container-credentials endpoint: any provider, served to child processes over the
//! protocol every AWS SDK's container provider speaks.

use std::convert::Infallible;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_types::error::display::DisplayErrorContext;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Serialize;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use super::export::expiration_utc;
use super::{ChildEnv, ProcessError};

/// Random bytes in a token: 256 bits, written as 64 hexadecimal digits.
const TOKEN_BYTES: usize = 32;
/// How long a client may take to send its request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request head accepted (the smallest hyper allows); a request here is a few
/// hundred bytes.
const MAX_REQUEST_HEAD: usize = 8192;
/// How long the accept loop rests after the system refused a connection (out of file
/// descriptors), so it does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// A local HTTP endpoint serving a provider's credentials to child processes, over the
/// container credentials protocol that every AWS SDK and the AWS CLI speak
/// (`AWS_CONTAINER_CREDENTIALS_FULL_URI` and `AWS_CONTAINER_AUTHORIZATION_TOKEN`).
///
/// Give a child [`child_env`](Self::child_env) and its SDK's default chain finds the
/// endpoint; each time the child's SDK refreshes, it gets what the provider holds then, so a
/// child outlives any one set of credentials. Serve a provider that caches (an
/// [`AssumeRoleProvider`](crate::AssumeRoleProvider) or [`MfaSession`](crate::MfaSession)
/// does): every request is answered from the provider's
/// [`provide_credentials`](ProvideCredentials::provide_credentials).
///
/// # Security
///
/// - It listens on 127.0.0.1 only, on a free port the system picks.
/// - Each endpoint draws its own token, 256 bits from the operating system's random
///   generator; a request without it gets 401, one with another value 403, and neither
///   reaches the provider. Tokens are compared in constant time. A refusal is logged (at
///   `warn`) without the value sent or the token.
/// - The token is a secret: it is in the child's environment (where other processes of the
///   same user can read it, as they can read the user's files) and nowhere else; `Debug`
///   hides it.
/// - When the provider fails, the answer is a `500` (or `503` when retrying may help) with a
///   JSON `Code` and `Message` that say what happened, without secrets. The AWS CLI and most
///   SDKs show that message; the Rust SDK (aws-config 1.13) shows only the status.
/// - Dropping the endpoint stops it: the runtime closes the port and every connection still
///   open as soon as it next runs the endpoint's task; [`shutdown`](Self::shutdown) waits for
///   that.
///
/// Credentials without a session token or an expiry (long-term keys) are not served: the
/// protocol carries temporary credentials only, and the SDKs refuse an answer without them.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(provider: sts_assume_role::AssumeRoleProvider) -> Result<(), Box<dyn std::error::Error>> {
/// use sts_assume_role::process::CredentialsEndpoint;
///
/// let endpoint = CredentialsEndpoint::start(provider)?;
/// let mut child = std::process::Command::new("aws");
/// endpoint.child_env().apply(&mut child);
/// let status = child.args(["sts", "get-caller-identity"]).status()?;
/// # let _ = status;
/// # Ok(()) }
/// ```
pub struct CredentialsEndpoint {
    addr: SocketAddr,
    token: Arc<Token>,
    server: JoinHandle<()>,
}

impl CredentialsEndpoint {
    /// Starts serving `provider` on a free port of 127.0.0.1, with a fresh token. Must be
    /// called within a tokio runtime (with I/O and time enabled, as for any tokio server),
    /// which runs the endpoint until it is dropped.
    ///
    /// # Errors
    ///
    /// [`ProcessError::NoRuntime`] outside a tokio runtime; [`ProcessError::Listen`] when no
    /// port can be had; [`ProcessError::Random`] when the system's random generator fails.
    pub fn start(provider: impl ProvideCredentials + 'static) -> Result<Self, ProcessError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| ProcessError::NoRuntime)?;
        let token = Arc::new(Token::generate()?);
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
            .map_err(ProcessError::Listen)?;
        let addr = listener.local_addr().map_err(ProcessError::Listen)?;
        let listener = {
            let _entered = runtime.enter();
            TcpListener::from_std(listener).map_err(ProcessError::Listen)?
        };
        let state = Arc::new(State {
            provider: SharedCredentialsProvider::new(provider),
            token: Arc::clone(&token),
        });
        let server = runtime.spawn(accept_loop(listener, state));
        tracing::debug!(%addr, "credentials endpoint listening");
        Ok(CredentialsEndpoint {
            addr,
            token,
            server,
        })
    }

    /// The address it listens on: 127.0.0.1 and the port the system gave.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The environment a child needs: `AWS_CONTAINER_CREDENTIALS_FULL_URI` (this endpoint's
    /// URL) and `AWS_CONTAINER_AUTHORIZATION_TOKEN` (its token) set, and the variables that
    /// would make the child's SDK look elsewhere first removed (see [`ChildEnv`]).
    pub fn child_env(&self) -> ChildEnv {
        ChildEnv::endpoint(format!("http://{}/", self.addr), self.token.as_str())
    }

    /// Stops serving and waits until the port and every connection are closed. Dropping the
    /// endpoint stops it too, without waiting.
    pub async fn shutdown(mut self) {
        self.server.abort();
        // Only the abort ends the loop: its cancellation, with the listener and connections
        // dropped, is what this waits for.
        let _ = (&mut self.server).await;
    }
}

impl Drop for CredentialsEndpoint {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl fmt::Debug for CredentialsEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsEndpoint")
            .field("addr", &self.addr)
            .field("token", &self.token)
            .finish()
    }
}

/// The endpoint's token: 64 hexadecimal digits, secret.
struct Token(String);

impl Token {
    fn generate() -> Result<Self, ProcessError> {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| ProcessError::Random(std::io::Error::other(e)))?;
        let mut hex = String::with_capacity(TOKEN_BYTES * 2);
        for byte in bytes {
            hex.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
            hex.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
        }
        Ok(Token(hex))
    }

    fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `sent` is the token, in time that does not depend on where they differ.
    fn matches(&self, sent: &HeaderValue) -> bool {
        bool::from(self.0.as_bytes().ct_eq(sent.as_bytes()))
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("** redacted **")
    }
}

/// What every connection shares.
struct State {
    provider: SharedCredentialsProvider,
    token: Arc<Token>,
}

/// Accepts connections until the task is aborted; each connection is a task of `connections`,
/// so aborting this one drops them all (and the listener).
async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(serve_connection(stream, peer, Arc::clone(&state)));
                }
                Err(error) => {
                    tracing::warn!(%error, "credentials endpoint: accepting a connection failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: tokio::net::TcpStream, peer: SocketAddr, state: Arc<State>) {
    let service = hyper::service::service_fn(move |request| {
        let state = Arc::clone(&state);
        async move { Ok::<_, Infallible>(answer(&state, &request, peer).await) }
    });
    let served = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_REQUEST_HEAD)
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(error) = served {
        // Errors of the connection (a client gone, a malformed request), never its content.
        tracing::debug!(%peer, %error, "credentials endpoint: connection ended with an error");
    }
}

/// Answers one request: the token first, then the route, then the provider.
async fn answer(
    state: &State,
    request: &Request<Incoming>,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    match request.headers().get(AUTHORIZATION) {
        None => {
            tracing::warn!(%peer, "credentials endpoint refused a request without a token");
            return error(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "an Authorization header is required",
            );
        }
        Some(sent) if !state.token.matches(sent) => {
            tracing::warn!(%peer, "credentials endpoint refused a request with a wrong token");
            return error(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "the Authorization header is not this endpoint's token",
            );
        }
        Some(_) => {}
    }
    if request.uri().path() != "/" {
        return error(
            StatusCode::NOT_FOUND,
            "NotFound",
            "credentials are served at /",
        );
    }
    if request.method() != Method::GET {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "credentials are served to GET",
        );
    }
    match state.provider.provide_credentials().await {
        Ok(credentials) => match credentials_json(&credentials) {
            Ok(body) => json(StatusCode::OK, body),
            Err(message) => {
                tracing::warn!(%peer, "credentials endpoint: {message}");
                error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InvalidCredentials",
                    message,
                )
            }
        },
        Err(failure) => {
            let (status, code) = classify(&failure);
            let message = DisplayErrorContext(&failure).to_string();
            tracing::warn!(%peer, error = %message, "credentials endpoint: the provider failed");
            error(status, code, &message)
        }
    }
}

/// The status and `Code` for a provider's failure. The code is STS's when this crate's error
/// carries one (`AccessDenied`), else the kind of failure. The status is 503 when retrying
/// may help (this crate's error says so, or the SDK's kind is a timeout or a provider error),
/// else 500.
fn classify(failure: &CredentialsError) -> (StatusCode, &str) {
    let ours = crate::error::Error::find_in(failure);
    let code = match (ours.and_then(crate::error::Error::sts_code), failure) {
        (Some(sts), _) => sts.as_str(),
        (None, CredentialsError::ProviderTimedOut(_)) => "ProviderTimedOut",
        (None, CredentialsError::ProviderError(_)) => "ProviderError",
        (None, CredentialsError::CredentialsNotLoaded(_)) => "CredentialsNotLoaded",
        (None, CredentialsError::InvalidConfiguration(_)) => "InvalidConfiguration",
        (None, _) => "Unhandled",
    };
    let retryable = match ours {
        Some(error) => error.is_retryable(),
        None => matches!(
            failure,
            CredentialsError::ProviderTimedOut(_) | CredentialsError::ProviderError(_)
        ),
    };
    let status = if retryable {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    (status, code)
}

/// The protocol's answer, as the ECS agent writes it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
    token: &'a str,
    expiration: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
}

/// The answer for `credentials`, or why they cannot be served.
fn credentials_json(credentials: &Credentials) -> Result<Vec<u8>, &'static str> {
    let token = credentials
        .session_token()
        .ok_or("the provider's credentials have no session token; only temporary credentials can be served")?;
    let expiry = credentials.expiry().ok_or(
        "the provider's credentials have no expiry; only temporary credentials can be served",
    )?;
    let expiration = expiration_utc(expiry)
        .map_err(|_| "the provider's credentials expire at a date ISO 8601 cannot write")?;
    serde_json::to_vec(&Answer {
        access_key_id: credentials.access_key_id(),
        secret_access_key: credentials.secret_access_key(),
        token,
        expiration,
        account_id: credentials.account_id().map(|id| id.as_str()),
    })
    .map_err(|_| "the credentials cannot be written as JSON")
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorAnswer<'a> {
    code: &'a str,
    message: &'a str,
}

fn error(status: StatusCode, code: &str, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::to_vec(&ErrorAnswer { code, message }).unwrap_or_default();
    json(status, body)
}

fn json(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_of_hex_and_differ() {
        let a = Token::generate().unwrap();
        let b = Token::generate().unwrap();
        assert_eq!(a.as_str().len(), 64);
        assert!(a.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a.as_str(), b.as_str());
    }

    #[test]
    fn a_token_matches_itself_only() {
        let token = Token::generate().unwrap();
        assert!(token.matches(&HeaderValue::from_str(token.as_str()).unwrap()));
        let mut other = token.as_str().to_owned();
        other.replace_range(63.., if other.ends_with('0') { "1" } else { "0" });
        assert!(!token.matches(&HeaderValue::from_str(&other).unwrap()));
        assert!(!token.matches(&HeaderValue::from_static("")));
        assert!(!token.matches(&HeaderValue::from_str(&token.as_str()[..32]).unwrap()));
        assert_eq!(format!("{token:?}"), "** redacted **");
    }

    #[test]
    fn long_term_keys_are_not_served() {
        let keys = Credentials::new("AKIAEXAMPLE", "secret", None, None, "test");
        let refused = credentials_json(&keys).unwrap_err();
        assert!(refused.contains("no session token"), "{refused}");
    }
}
