//! A schedule, drawn from one seed: the providers, their policies and traffic, the clocks,
//! STS's latency, faults and outages, the people answering for MFA codes, and how often the
//! harness invalidates, revokes, restarts and suspends.

use std::time::{Duration, SystemTime};

use sts_assume_role::test_util::{Action, Fault};
use sts_assume_role::{RefreshPolicy, ScheduledRefresh};

use crate::net::{FaultKind, NetPlan, Outage};
use crate::person::Persona;

const SEC: Duration = Duration::from_secs(1);
const MIN: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

/// How often a provider is asked for credentials.
#[derive(Clone, Debug)]
pub struct Traffic {
    /// The mean time between two moments callers come.
    pub interval: Duration,
    /// How many callers come at once (a burst), at least and at most.
    pub burst: (u32, u32),
}

/// Where a device's MFA codes come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// A person (interactive).
    Person(Persona),
    /// The crate's `Totp` on this machine's clock (not interactive).
    Totp,
    /// Nobody: every question is cancelled (interactive).
    Absent,
}

impl Source {
    pub fn name(&self) -> &'static str {
        match self {
            Source::Person(_) => "a person",
            Source::Totp => "TOTP",
            Source::Absent => "nobody",
        }
    }
}

/// A refresh policy, with the numbers the checks need (`RefreshPolicy` keeps its own).
#[derive(Clone, Debug)]
pub struct PolicySpec {
    pub jitter: f64,
    /// The backoff while valid credentials are held: base and cap.
    pub backoff: (Duration, Duration),
    /// The backoff with none: base and cap.
    pub expired_backoff: (Duration, Duration),
    pub error_ttl: Duration,
    /// The advisory window, when not the default: fraction and cap.
    pub advisory: Option<(f64, Duration)>,
    pub scheduled: ScheduledRefresh,
}

impl PolicySpec {
    pub fn policy(&self) -> RefreshPolicy {
        let mut p = RefreshPolicy::default()
            .jitter(self.jitter)
            .backoff(self.backoff.0, self.backoff.1)
            .expired_backoff(self.expired_backoff.0, self.expired_backoff.1)
            .error_ttl(self.error_ttl)
            .scheduled(self.scheduled);
        if let Some((fraction, max)) = self.advisory {
            p = p.advisory_window(fraction, max);
        }
        p
    }

    /// The least delay before retry number `n` (1-based): half the step, as the policy's
    /// jitter never goes below it.
    pub fn least_backoff(&self, n: u32, valid: bool) -> Duration {
        let (base, cap) = if valid {
            self.backoff
        } else {
            self.expired_backoff
        };
        base.saturating_mul(1 << n.saturating_sub(1).min(30))
            .min(cap)
            / 2
    }
}

#[derive(Clone, Debug)]
pub struct RoleSpec {
    pub duration_secs: u32,
    pub policy: PolicySpec,
    pub jitter_seed: u64,
    pub traffic: Traffic,
}

#[derive(Clone, Debug)]
pub enum Group {
    /// A role assumed with long-term keys.
    Plain(RoleSpec),
    /// Role chaining: `top` assumed with `source`'s credentials.
    Chain { source: RoleSpec, top: RoleSpec },
    /// One MFA session and roles over it.
    Session {
        source: Source,
        duration: Duration,
        max_mfa_age: Option<Duration>,
        session: RoleSpec,
        roles: Vec<RoleSpec>,
    },
    /// A role with MFA on each AssumeRole.
    DirectMfa { source: Source, role: RoleSpec },
    /// A profile's chain (keys, an optional middle role with an optional `mfa_serial`, the
    /// top role) with a file cache, rebuilt now and then as a new process would.
    Profile {
        middle: Option<RoleSpec>,
        /// The middle role's MFA, and whether it goes through an MFA session of this length.
        mfa: Option<(Source, Option<Duration>)>,
        top: RoleSpec,
    },
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub seed: u64,
    pub start: SystemTime,
    pub horizon: Duration,
    pub max_steps: usize,
    pub date_header: bool,
    /// STS's clock minus this machine's, at the start.
    pub skew_ns: i128,
    /// How the skew drifts, per hour of STS time.
    pub drift_ns_per_hour: i128,
    /// Per step: the probability that this machine's clock jumps, and how far at most.
    pub jump: (f64, Duration),
    /// Per step: the probability that the machine is suspended, and for how long at most.
    pub suspend: (f64, Duration),
    /// Timer sleeps wake this late: a fraction of the sleep, plus a fixed delay.
    pub late: (f64, Duration),
    pub sdk_retries: bool,
    pub net: NetPlan,
    pub groups: Vec<Group>,
    pub invalidate_p: f64,
    pub revoke_p: f64,
    pub restart_p: f64,
    /// Per step: the probability that time moves to a moment that matters to a provider.
    pub targeted_p: f64,
    pub prompt_timeout: Duration,
    pub mfa_attempts: u32,
    pub totp_secret: String,
}

/// A duration drawn log-uniformly between `lo` and `hi`.
pub fn log_uniform(rng: &mut fastrand::Rng, lo: Duration, hi: Duration) -> Duration {
    let (a, b) = (
        lo.as_secs_f64().max(1e-6).ln(),
        hi.as_secs_f64().max(1e-6).ln(),
    );
    Duration::from_secs_f64((a + (b - a) * rng.f64()).exp())
}

fn chance(rng: &mut fastrand::Rng, p: f64) -> bool {
    rng.f64() < p
}

fn signed(d: Duration, rng: &mut fastrand::Rng) -> i128 {
    let ns = d.as_nanos() as i128;
    if rng.bool() { ns } else { -ns }
}

/// Every way the mock (or the network) can fail a call.
pub fn every_fault(rng: &mut fastrand::Rng) -> FaultKind {
    match rng.u32(0..14) {
        0 => FaultKind::Mock(Fault::Throttling),
        1 => FaultKind::Mock(Fault::ServerError([500, 502, 503, 504][rng.usize(0..4)])),
        2 => FaultKind::Mock(Fault::InternalFailure),
        3 => FaultKind::Mock(Fault::ServiceUnavailable),
        4 => FaultKind::Mock(Fault::IdpCommunicationError),
        5 => FaultKind::Mock(Fault::Latency(Duration::from_millis(rng.u64(1..20)))),
        6 => FaultKind::Mock(Fault::MalformedBody),
        7 => FaultKind::Mock(Fault::TruncatedBody),
        8 => FaultKind::Mock(Fault::AccessDenied("simulated denial".into())),
        9 => FaultKind::Mock(Fault::MfaDenied),
        10 => FaultKind::Mock(Fault::Error {
            status: 400,
            code: "RegionDisabledException".into(),
            message: "STS is not activated in this region".into(),
        }),
        11 => FaultKind::Mock(Fault::Error {
            status: 400,
            code: "ExpiredToken".into(),
            message: "The security token included in the request is expired".into(),
        }),
        12 => FaultKind::Mock(Fault::Error {
            status: 502,
            code: "BadGateway".into(),
            message: "an unknown 5xx".into(),
        }),
        _ => FaultKind::Drop,
    }
}

fn policy(rng: &mut fastrand::Rng) -> PolicySpec {
    // The defaults: backoff 600 s (cap 600 s) while valid, 1 s (cap 60 s) with none, errors
    // remembered 10 s.
    let mut p = PolicySpec {
        jitter: rng.f64() * 0.5,
        backoff: (10 * MIN, 10 * MIN),
        expired_backoff: (SEC, MIN),
        error_ttl: 10 * SEC,
        advisory: None,
        scheduled: ScheduledRefresh::Unattended,
    };
    match rng.u32(0..10) {
        0..=5 => {}
        6..=7 => p.backoff = (SEC, MIN),
        _ => p.backoff = (30 * SEC, 5 * MIN),
    }
    if chance(rng, 0.3) {
        p.expired_backoff = (
            Duration::from_millis(rng.u64(200..2000)),
            Duration::from_secs(rng.u64(10..60)),
        );
    }
    if chance(rng, 0.3) {
        p.error_ttl = Duration::from_secs(rng.u64(1..30));
    }
    if chance(rng, 0.15) {
        p.advisory = Some((
            0.1 + rng.f64() * 0.4,
            Duration::from_secs(rng.u64(60..1800)),
        ));
    }
    p.scheduled = match rng.u32(0..20) {
        0..=13 => ScheduledRefresh::Unattended,
        14..=16 => ScheduledRefresh::Always,
        _ => ScheduledRefresh::Off,
    };
    p
}

fn traffic(rng: &mut fastrand::Rng) -> Traffic {
    Traffic {
        interval: log_uniform(rng, SEC, 2 * HOUR),
        burst: if chance(rng, 0.3) {
            (2, rng.u32(2..40))
        } else {
            (1, 1)
        },
    }
}

fn role(rng: &mut fastrand::Rng, max_secs: u32) -> RoleSpec {
    RoleSpec {
        duration_secs: rng.u32(900..=max_secs),
        policy: policy(rng),
        jitter_seed: rng.u64(..),
        traffic: traffic(rng),
    }
}

fn source(rng: &mut fastrand::Rng) -> Source {
    match rng.u32(0..10) {
        0..=5 => Source::Person(Persona {
            latency: (
                log_uniform(rng, Duration::from_millis(100), 5 * SEC),
                log_uniform(rng, 5 * SEC, 4 * MIN),
            ),
            wrong: rng.f64() * 0.2,
            reuse: rng.f64() * 0.2,
            cancel: rng.f64() * 0.15,
            never: rng.f64() * 0.08,
        }),
        6..=8 => Source::Totp,
        _ => Source::Absent,
    }
}

impl Plan {
    pub fn new(seed: u64) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let rng = &mut rng;
        // 2026-01-01, plus up to a day, at any millisecond: where in its second STS's clock
        // is matters to a `Date` truncated to the second.
        let start = SystemTime::UNIX_EPOCH
            + Duration::from_secs(1_767_225_600)
            + Duration::from_millis(rng.u64(0..86_400_000));
        let horizon = log_uniform(rng, HOUR, 6 * HOUR);
        let skew_ns = match rng.u32(0..20) {
            0..=6 => 0,
            7..=10 => signed(Duration::from_millis(rng.u64(1..1000)), rng),
            11..=13 => signed(log_uniform(rng, SEC, 10 * MIN), rng),
            _ => signed(log_uniform(rng, 10 * MIN, 3 * HOUR), rng),
        };
        let drift_ns_per_hour = if chance(rng, 0.3) {
            signed(log_uniform(rng, Duration::from_millis(1), 2 * SEC), rng)
        } else {
            0
        };
        let jump = if chance(rng, 0.15) {
            (0.02, if rng.bool() { SEC } else { 3 * HOUR })
        } else {
            (0.0, Duration::ZERO)
        };
        let suspend = if chance(rng, 0.2) {
            (0.03, log_uniform(rng, 2 * MIN, 6 * HOUR))
        } else {
            (0.0, Duration::ZERO)
        };
        let late = if chance(rng, 0.3) {
            (rng.f64() * 0.3, Duration::from_millis(rng.u64(0..5000)))
        } else {
            (0.0, Duration::ZERO)
        };
        let latency_lo = match rng.u32(0..5) {
            0..=1 => Duration::ZERO,
            2..=3 => Duration::from_millis(rng.u64(1..100)),
            _ => Duration::from_millis(rng.u64(100..2000)),
        };
        let mut outages = Vec::new();
        for _ in 0..rng.usize(0..5) {
            let from = start + horizon.mul_f64(rng.f64());
            let length = log_uniform(rng, SEC, 4 * HOUR);
            outages.push(Outage {
                from,
                to: from + length,
                kind: every_fault(rng),
                only: match rng.u32(0..10) {
                    0 => Some(Action::AssumeRole),
                    1 => Some(Action::GetSessionToken),
                    _ => None,
                },
            });
        }
        let sporadic = if rng.bool() { 0.0 } else { rng.f64() * 0.2 };
        let sporadic_kinds = (0..rng.usize(1..4)).map(|_| every_fault(rng)).collect();
        let net = NetPlan {
            outages,
            sporadic,
            sporadic_kinds,
            latency: (
                latency_lo,
                latency_lo * 3 + Duration::from_millis(rng.u64(0..50)),
            ),
            slow: if chance(rng, 0.3) {
                rng.f64() * 0.05
            } else {
                0.0
            },
            slow_max: log_uniform(rng, 10 * SEC, 10 * MIN),
        };
        let mut groups = Vec::new();
        for _ in 0..rng.usize(1..5) {
            groups.push(match rng.u32(0..11) {
                0..=1 => Group::Plain(role(rng, 3600)),
                2..=3 => Group::Chain {
                    source: role(rng, 3600),
                    top: role(rng, 3600),
                },
                4..=6 => Group::Session {
                    source: source(rng),
                    duration: Duration::from_secs(rng.u64(900..=7200)),
                    max_mfa_age: chance(rng, 0.3).then(|| Duration::from_secs(rng.u64(300..1800))),
                    session: role(rng, 3600),
                    roles: (0..rng.usize(1..4)).map(|_| role(rng, 3600)).collect(),
                },
                7..=8 => Group::DirectMfa {
                    source: source(rng),
                    role: role(rng, 3600),
                },
                _ => {
                    let middle = rng.bool().then(|| role(rng, 3600));
                    let mfa = (middle.is_some() && rng.bool()).then(|| {
                        let session = rng.bool().then(|| Duration::from_secs(rng.u64(900..=7200)));
                        (source(rng), session)
                    });
                    Group::Profile {
                        middle,
                        mfa,
                        top: role(rng, 3600),
                    }
                }
            });
        }
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let totp_secret = (0..32)
            .map(|_| alphabet[rng.usize(0..32)] as char)
            .collect();
        Plan {
            seed,
            start,
            horizon,
            max_steps: 300,
            date_header: chance(rng, 0.85),
            skew_ns,
            drift_ns_per_hour,
            jump,
            suspend,
            late,
            sdk_retries: chance(rng, 0.3),
            net,
            groups,
            invalidate_p: 0.01,
            revoke_p: 0.01,
            restart_p: 0.02,
            targeted_p: 0.45,
            prompt_timeout: log_uniform(rng, 30 * SEC, 5 * MIN),
            mfa_attempts: rng.u32(1..4),
            totp_secret,
        }
    }
}
