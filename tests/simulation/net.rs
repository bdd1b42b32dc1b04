//! The network between the providers and the mock STS: an HTTP client that adds latency in
//! virtual time, injects the schedule's faults (every `Fault` of the mock, and dropped
//! connections), records every call, counts the calls in flight per provider (invariant 4)
//! and what each provider's state was when it called (invariant 5).
//!
//! Real requests reach the mock one at a time: the fault queued for a request is the one it
//! draws, and a schedule replays the same way from its seed. Concurrency lives in virtual
//! time: a request waits out its latency on STS's clock before and after the real exchange.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use sts_assume_role::Status;
use sts_assume_role::test_util::{Action, Fault, MockSts};

use crate::check::Violations;
use crate::clock::Clocks;

/// How one request fails.
#[derive(Clone, Debug)]
pub enum FaultKind {
    /// A fault of the mock's.
    Mock(Fault),
    /// The connection is dropped before an answer.
    Drop,
}

/// STS failing every call of the listed actions from `from` to `to` (STS time).
#[derive(Clone, Debug)]
pub struct Outage {
    pub from: SystemTime,
    pub to: SystemTime,
    pub kind: FaultKind,
    /// `None`: AssumeRole and GetSessionToken.
    pub only: Option<Action>,
}

/// The schedule's network.
#[derive(Clone, Debug)]
pub struct NetPlan {
    pub outages: Vec<Outage>,
    /// Outside outages, each call fails with this probability, with one of `sporadic_kinds`.
    pub sporadic: f64,
    pub sporadic_kinds: Vec<FaultKind>,
    /// Each way of a call takes between these (virtual time).
    pub latency: (Duration, Duration),
    /// With this probability a call is slow: up to `slow_max` each way.
    pub slow: f64,
    pub slow_max: Duration,
}

/// One call to STS as the network saw it.
#[derive(Clone)]
pub struct Call {
    pub action: Option<Action>,
    /// Which provider made it: `role:<arn>` or `session:<serial>`.
    pub key: Option<String>,
    /// The SDK's attempt number (1 unless it retried).
    pub attempt: u32,
    pub local_start: SystemTime,
    pub sts_start: SystemTime,
    pub local_end: Option<SystemTime>,
    pub fault: Option<String>,
    pub http_status: Option<u16>,
    /// `(SerialNumber, TokenCode)` when the call carried an MFA code.
    pub code: Option<(String, String)>,
    /// The calling provider's state when the call left.
    pub snapshot: Option<Status>,
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("action", &self.action)
            .field("key", &self.key)
            .field("attempt", &self.attempt)
            .field("sts_start", &self.sts_start)
            .field("fault", &self.fault)
            .field("http_status", &self.http_status)
            .field("with_code", &self.code.is_some())
            .finish()
    }
}

/// Status snapshots of the providers the harness can see, by key.
pub type Subjects = Arc<Mutex<HashMap<String, Arc<dyn Fn() -> Status + Send + Sync>>>>;

pub struct Shared {
    pub clocks: Clocks,
    mock: Arc<MockSts>,
    /// One real exchange with the mock at a time.
    turn: Mutex<()>,
    /// Calls started and ended, for the harness's measure of progress.
    pub progress: AtomicU64,
    state: Mutex<State>,
    pub subjects: Subjects,
    violations: Violations,
}

struct State {
    rng: fastrand::Rng,
    plan: NetPlan,
    in_flight: HashMap<String, usize>,
    calls: Vec<Call>,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    pub fn call_count(&self) -> usize {
        self.state().calls.len()
    }

    /// Moments the schedule's outages begin and end.
    pub fn outage_edges(&self) -> Vec<SystemTime> {
        self.state()
            .plan
            .outages
            .iter()
            .flat_map(|o| [o.from, o.to])
            .collect()
    }
}

/// The HTTP client the providers' SDK clients use.
#[derive(Clone)]
pub struct Net {
    inner: SharedHttpClient,
    pub shared: Arc<Shared>,
    /// Which process the clients of this `Net` belong to (0: the schedule's; a profile
    /// restarted is a new process, whose calls are its own).
    tag: u64,
}

/// The key of a provider of process `tag`: `key` itself for the schedule's own process.
pub fn instance_key(tag: u64, key: &str) -> String {
    if tag == 0 {
        key.to_owned()
    } else {
        format!("#{tag} {key}")
    }
}

impl fmt::Debug for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Net")
    }
}

impl Net {
    pub fn new(
        mock: Arc<MockSts>,
        clocks: Clocks,
        plan: NetPlan,
        seed: u64,
        subjects: Subjects,
        violations: Violations,
    ) -> Self {
        Self {
            inner: mock.http_client(),
            tag: 0,
            shared: Arc::new(Shared {
                clocks,
                mock,
                turn: Mutex::new(()),
                progress: AtomicU64::new(0),
                state: Mutex::new(State {
                    rng: fastrand::Rng::with_seed(seed),
                    plan,
                    in_flight: HashMap::new(),
                    calls: Vec::new(),
                }),
                subjects,
                violations,
            }),
        }
    }

    /// The same network, for the clients of process `tag`.
    pub fn tagged(&self, tag: u64) -> Net {
        Net {
            tag,
            ..self.clone()
        }
    }
}

impl HttpClient for Net {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(Connector {
            inner: self.inner.http_connector(settings, components),
            shared: Arc::clone(&self.shared),
            tag: self.tag,
        })
    }
}

#[derive(Debug)]
struct Connector {
    inner: SharedHttpConnector,
    shared: Arc<Shared>,
    tag: u64,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("net::Shared")
    }
}

/// The runtime the real exchanges with the mock run on (its clock is the real one), driven
/// by the one blocking thread that holds the turn.
fn exchange_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

/// A form body's fields, decoded.
fn form(body: &[u8]) -> HashMap<String, String> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                    match u8::from_str_radix(hex, 16) {
                        Ok(b) => {
                            out.push(b);
                            i += 2;
                        }
                        Err(_) => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

/// Decrements the in-flight count of a call when it ends or is dropped.
struct InFlight {
    shared: Arc<Shared>,
    key: Option<String>,
    index: usize,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let now = self.shared.clocks.local_now();
        let mut state = self.shared.state();
        if let Some(key) = &self.key
            && let Some(n) = state.in_flight.get_mut(key)
        {
            *n = n.saturating_sub(1);
        }
        if let Some(call) = state.calls.get_mut(self.index)
            && call.local_end.is_none()
        {
            call.local_end = Some(now);
        }
        drop(state);
        self.shared.progress.fetch_add(1, Ordering::SeqCst);
    }
}

fn pick(rng: &mut fastrand::Rng, (lo, hi): (Duration, Duration)) -> Duration {
    if hi <= lo {
        return lo;
    }
    lo + (hi - lo).mul_f64(rng.f64())
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let fields = request.body().bytes().map(form).unwrap_or_default();
        let action = fields.get("Action").and_then(|a| Action::from_wire(a));
        let key = match action {
            Some(Action::AssumeRole) => fields.get("RoleArn").map(|a| format!("role:{a}")),
            Some(Action::GetSessionToken) => {
                fields.get("SerialNumber").map(|s| format!("session:{s}"))
            }
            _ => None,
        }
        .map(|key| instance_key(self.tag, &key));
        let code = match (fields.get("SerialNumber"), fields.get("TokenCode")) {
            (Some(s), Some(c)) => Some((s.clone(), c.clone())),
            _ => None,
        };
        let attempt = request
            .headers()
            .get("amz-sdk-request")
            .and_then(|h| h.split(';').next())
            .and_then(|a| a.trim().strip_prefix("attempt="))
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        let shared = Arc::clone(&self.shared);
        let inner = self.inner.clone();
        HttpConnectorFuture::new(async move {
            let clocks = shared.clocks.clone();
            let snapshot = key
                .as_ref()
                .and_then(|k| shared.subjects.lock().unwrap().get(k).cloned())
                .map(|status| status());
            let (index, pre, post) = {
                let mut state = shared.state();
                let index = state.calls.len();
                if let Some(key) = &key {
                    let n = state.in_flight.entry(key.clone()).or_default();
                    *n += 1;
                    if *n > 1 {
                        shared.violations.add(
                            "one-sts-call-in-flight",
                            format!("{n} STS calls in flight at once for {key}"),
                        );
                    }
                }
                state.calls.push(Call {
                    action,
                    key: key.clone(),
                    attempt,
                    local_start: clocks.local_now(),
                    sts_start: clocks.sts_now(),
                    local_end: None,
                    fault: None,
                    http_status: None,
                    code: code.clone(),
                    snapshot,
                });
                let latency = state.plan.latency;
                let (slow, slow_max) = (state.plan.slow, state.plan.slow_max);
                let rng = &mut state.rng;
                let mut way = || {
                    if rng.f64() < slow {
                        pick(rng, (latency.1, slow_max.max(latency.1)))
                    } else {
                        pick(rng, latency)
                    }
                };
                let (pre, post) = (way(), way());
                (index, pre, post)
            };
            shared.progress.fetch_add(1, Ordering::SeqCst);
            let _in_flight = InFlight {
                shared: Arc::clone(&shared),
                key: key.clone(),
                index,
            };
            tokio::time::sleep(pre).await;

            // What STS does with it, decided when it arrives.
            let fault = {
                let now = clocks.sts_now();
                let mut state = shared.state();
                let applies = |only: &Option<Action>| match (only, action) {
                    (_, None | Some(Action::GetCallerIdentity)) => false,
                    (Some(only), Some(a)) => *only == a,
                    (None, Some(_)) => true,
                };
                let outage = state
                    .plan
                    .outages
                    .iter()
                    .find(|o| o.from <= now && now < o.to && applies(&o.only))
                    .map(|o| o.kind.clone());
                let fault = match outage {
                    Some(kind) => Some(kind),
                    None if applies(&None) => {
                        let p = state.plan.sporadic;
                        let kinds = state.plan.sporadic_kinds.clone();
                        let rng = &mut state.rng;
                        (!kinds.is_empty() && rng.f64() < p)
                            .then(|| kinds[rng.usize(..kinds.len())].clone())
                    }
                    None => None,
                };
                if let Some(f) = &fault {
                    state.calls[index].fault = Some(format!("{f:?}"));
                }
                fault
            };
            let result = match fault {
                Some(FaultKind::Drop) => Err(ConnectorError::io(
                    "connection reset by peer (simulated)".into(),
                )),
                other => {
                    // The real exchange runs on a blocking thread (the paused runtime does not
                    // move its clock while blocking work is under way), one at a time, so the
                    // fault queued for a request is the one it draws. It runs to its end even
                    // if the caller goes away.
                    let now = clocks.sts_now();
                    let exchange = Arc::clone(&shared);
                    let task = tokio::task::spawn_blocking(move || {
                        let _turn = exchange.turn.lock().unwrap_or_else(|p| p.into_inner());
                        exchange.clocks.sts.set(now);
                        if let (Some(FaultKind::Mock(f)), Some(action)) = (other, action) {
                            exchange.mock.push_fault(action, f);
                        }
                        exchange_runtime().block_on(async move {
                            let mut response = inner.call(request).await?;
                            let body = response.take_body();
                            let bytes = ByteStream::new(body)
                                .collect()
                                .await
                                .map_err(|e| ConnectorError::io(e.into()))?
                                .into_bytes();
                            *response.body_mut() = SdkBody::from(bytes);
                            Ok(response)
                        })
                    });
                    let result = match task.await {
                        Ok(result) => result,
                        Err(e) => Err(ConnectorError::other(e.into(), None)),
                    };
                    shared.progress.fetch_add(1, Ordering::SeqCst);
                    result
                }
            };
            if let Ok(response) = &result {
                shared.state().calls[index].http_status = Some(response.status().as_u16());
            }
            tokio::time::sleep(post).await;
            result
        })
    }
}
