//! What the measurement programs share: run modes, percentiles, and an STS that answers
//! in-process. Each program uses a different part of it.
#![allow(dead_code)]

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_sts::config::{BehaviorVersion, IdentityCache, Region};
use aws_smithy_async::time::SharedTimeSource;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::DateTime;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::date_time::Format;
use sts_assume_role::AssumeRoleRequest;

pub const ROLE: &str = "arn:aws:iam::123456789012:role/bench";

/// How big a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Built and run by `cargo test --benches`: smallest sizes, just to prove it works.
    Smoke,
    /// `BENCH_QUICK=1 cargo bench` (or `cargo bench -- --quick`): everything in under a minute.
    Quick,
    /// `cargo bench`: the sizes the report quotes.
    Full,
}

impl Mode {
    /// `cargo bench` passes `--bench` to the program; `cargo test` does not.
    pub fn from_env() -> Self {
        let args: Vec<String> = std::env::args().collect();
        if !args.iter().any(|a| a == "--bench") {
            return Mode::Smoke;
        }
        let env_quick = std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
        if env_quick || args.iter().any(|a| a == "--quick") {
            Mode::Quick
        } else {
            Mode::Full
        }
    }

    /// Picks the size for this mode.
    pub fn pick<T>(self, smoke: T, quick: T, full: T) -> T {
        match self {
            Mode::Smoke => smoke,
            Mode::Quick => quick,
            Mode::Full => full,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Smoke => "smoke (cargo test)",
            Mode::Quick => "quick",
            Mode::Full => "full",
        })
    }
}

/// p50, p99 and max of a set of latencies.
#[derive(Clone, Copy, Debug)]
pub struct Latency {
    pub count: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Latency {
    /// Nearest-rank percentiles.
    pub fn of(samples: &[Duration]) -> Self {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let rank = |q: f64| {
            if sorted.is_empty() {
                return Duration::ZERO;
            }
            let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            sorted[i - 1]
        };
        Self {
            count: sorted.len(),
            p50: rank(0.50),
            p99: rank(0.99),
            max: sorted.last().copied().unwrap_or_default(),
        }
    }
}

/// A duration in milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// An AssumeRole request for the benchmark role.
pub fn request(session: &str) -> AssumeRoleRequest {
    AssumeRoleRequest::builder(ROLE, session)
        .build()
        .expect("valid request")
}

/// An STS that answers every request in-process, at once, with a valid AssumeRole response
/// carrying unique credentials that expire one hour after its clock's now. No sockets, no
/// server: for runs of hundreds of thousands of AssumeRole calls.
#[derive(Clone, Debug)]
pub struct InProcessSts {
    clock: SharedTimeSource,
    lifetime: Duration,
    calls: Arc<AtomicU64>,
    /// While set, every call gets `503 ServiceUnavailable`.
    down: Arc<AtomicBool>,
    /// Whether answers carry its clock's time as `Date`, as STS's do.
    date: bool,
}

impl InProcessSts {
    pub fn new(clock: SharedTimeSource) -> Self {
        Self {
            clock,
            lifetime: Duration::from_secs(3600),
            calls: Arc::new(AtomicU64::new(0)),
            down: Arc::new(AtomicBool::new(false)),
            date: true,
        }
    }

    /// Answers without a usable `Date`.
    pub fn without_date(mut self) -> Self {
        self.date = false;
        self
    }

    /// Fails every call (`true`) or answers again (`false`).
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::Relaxed);
    }

    /// AssumeRole calls answered so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// The SDK settings a provider reaches this STS with: static source keys, time from the
    /// same clock, and no retry (each call counted is one the provider made).
    pub fn sdk_config(&self) -> aws_types::SdkConfig {
        aws_types::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                    "AKIAINPROCESS0000000",
                    "in-process-source-secret-key-00000000000",
                    None,
                    None,
                    "InProcessSts",
                )),
            )
            .identity_cache(IdentityCache::no_cache())
            .time_source(self.clock.clone())
            .http_client(self.clone())
            .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
            .build()
    }

    fn body(&self, n: u64, expiration: SystemTime) -> String {
        let expiration = DateTime::from(expiration)
            .fmt(Format::DateTime)
            .expect("formattable time");
        format!(
            r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/bench/bench</Arn>
      <AssumedRoleId>AROABENCH000000000000:bench</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIA{n:016}</AccessKeyId>
      <SecretAccessKey>in-process-secret-{n:022}</SecretAccessKey>
      <SessionToken>in-process-session-token-{n:020}</SessionToken>
      <Expiration>{expiration}</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>00000000-0000-0000-0000-{n:012}</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>"#
        )
    }
}

impl HttpConnector for InProcessSts {
    fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
        let n = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        let now = self.clock.now();
        let mut response = if self.down.load(Ordering::Relaxed) {
            let body = "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code>\
                        <Message>Service unavailable</Message></Error>\
                        <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>";
            let status = StatusCode::try_from(503).expect("valid status");
            HttpResponse::new(status, SdkBody::from(body))
        } else {
            let status = StatusCode::try_from(200).expect("valid status");
            HttpResponse::new(status, SdkBody::from(self.body(n, now + self.lifetime)))
        };
        if self.date {
            let date = DateTime::from(now)
                .fmt(Format::HttpDate)
                .expect("formattable time");
            response.headers_mut().insert("date", date);
        }
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl HttpClient for InProcessSts {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}
