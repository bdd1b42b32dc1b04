//! A person with an authenticator app: an interactive MFA token source that answers in
//! virtual time, sometimes slowly, sometimes with a wrong code, the code just typed again, a
//! cancel, or not at all. Its phone's clock is right (STS's). It records every question, and
//! checks when asked that the provider needed a code (invariant 6).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use sts_assume_role::mfa::{
    MfaContext, MfaError, MfaReason, TokenCode, TokenFuture, TokenSource, Totp,
};

use crate::check::Violations;
use crate::clock::Clocks;
use crate::net::Subjects;

/// How a person answers.
#[derive(Clone, Debug)]
pub struct Persona {
    /// How long the person takes to answer, at least and at most.
    pub latency: (Duration, Duration),
    /// Probabilities of a wrong code, the last code typed again, a cancel, and no answer.
    pub wrong: f64,
    pub reuse: f64,
    pub cancel: f64,
    pub never: f64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Right,
    Wrong,
    Reused,
    Cancelled,
    Never,
}

/// One question, as asked.
#[derive(Clone, Debug)]
#[allow(dead_code)] // read in a `Debug` dump when a schedule is replayed
pub struct Question {
    pub sts_at: SystemTime,
    /// `role:<arn>` for a role's own MFA, `session:<serial>` for an MFA session.
    pub subject: String,
    pub reason: MfaReason,
    pub attempt: u32,
    pub answer: Option<Answer>,
    /// When the answer came (STS time), and which code it was: the index of its first
    /// appearance among the codes given (codes themselves are never printed).
    pub answered: Option<(SystemTime, usize)>,
}

#[derive(Clone)]
pub struct Person(Arc<Inner>);

struct Inner {
    serial: String,
    clocks: Clocks,
    totp: Totp,
    persona: Persona,
    state: Mutex<State>,
    subjects: Subjects,
    violations: Violations,
    progress: Arc<AtomicU64>,
}

struct State {
    rng: fastrand::Rng,
    pending: usize,
    /// Questions ended (answered, cancelled, given up on).
    ended: usize,
    /// Codes given, with when (STS time).
    given: Vec<(String, SystemTime)>,
    questions: Vec<Question>,
}

impl fmt::Debug for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Person")
            .field("serial", &self.0.serial)
            .finish()
    }
}

/// Ends a question when its answer comes or is given up on.
struct Pending(Arc<Inner>);

impl Drop for Pending {
    fn drop(&mut self) {
        let mut state = self.0.state();
        state.pending -= 1;
        state.ended += 1;
        drop(state);
        self.0.progress.fetch_add(1, Ordering::SeqCst);
    }
}

impl Inner {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Person {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        serial: String,
        clocks: Clocks,
        totp_secret: &str,
        persona: Persona,
        seed: u64,
        subjects: Subjects,
        violations: Violations,
        progress: Arc<AtomicU64>,
    ) -> Self {
        Self(Arc::new(Inner {
            serial,
            clocks,
            totp: Totp::from_base32(totp_secret).expect("a valid TOTP secret"),
            persona,
            state: Mutex::new(State {
                rng: fastrand::Rng::with_seed(seed),
                pending: 0,
                ended: 0,
                given: Vec::new(),
                questions: Vec::new(),
            }),
            subjects,
            violations,
            progress,
        }))
    }

    /// Questions that ended (answered, cancelled or given up on).
    pub fn ended(&self) -> usize {
        self.0.state().ended
    }

    pub fn questions(&self) -> Vec<Question> {
        self.0.state().questions.clone()
    }

    pub fn asked(&self) -> usize {
        self.0.state().questions.len()
    }

    /// Every code the person typed.
    pub fn codes_given(&self) -> Vec<String> {
        self.0
            .state()
            .given
            .iter()
            .map(|(c, _)| c.clone())
            .collect()
    }
}

impl TokenSource for Person {
    fn token_code<'a>(&'a self, ctx: &'a MfaContext) -> TokenFuture<'a> {
        let inner = Arc::clone(&self.0);
        let subject = match ctx.role_arn() {
            Some(role) => format!("role:{role}"),
            None => format!("session:{}", ctx.serial_number()),
        };
        // Invariant 6: a person is asked only for a code the provider needs: it holds no
        // credentials, or they are due for a refresh (advisory window or later).
        let first_question = matches!(ctx.reason(), MfaReason::FirstLoad | MfaReason::Refresh);
        let status = inner.subjects.lock().unwrap().get(&subject).cloned();
        if let (true, Some(status)) = (first_question, status) {
            let status = status();
            let now = inner.clocks.local_now();
            let needed = match (status.expiry(), status.refresh_at()) {
                (Some(expiry), Some(refresh_at)) => now >= refresh_at || now >= expiry,
                _ => true,
            };
            if !needed {
                inner.violations.add(
                    "person-asked-once-per-needed-code",
                    format!(
                        "{} asked for a code for {subject} ({:?}) while its credentials were valid and not due: refresh_at {:?} is {:?} away",
                        inner.serial,
                        ctx.reason(),
                        status.refresh_at(),
                        status
                            .refresh_at()
                            .and_then(|r| r.duration_since(now).ok())
                    ),
                );
            }
        }
        let (answer, delay, question) = {
            let mut state = inner.state();
            state.pending += 1;
            if state.pending > 1 {
                inner.violations.add(
                    "person-asked-once-per-needed-code",
                    format!("{} asked {} questions at once", inner.serial, state.pending),
                );
            }
            let p = &inner.persona;
            let roll = state.rng.f64();
            let answer = if roll < p.never {
                Answer::Never
            } else if roll < p.never + p.cancel {
                Answer::Cancelled
            } else if roll < p.never + p.cancel + p.wrong {
                Answer::Wrong
            } else if roll < p.never + p.cancel + p.wrong + p.reuse {
                Answer::Reused
            } else {
                Answer::Right
            };
            let (lo, hi) = p.latency;
            let delay = lo + (hi.saturating_sub(lo)).mul_f64(state.rng.f64());
            state.questions.push(Question {
                sts_at: inner.clocks.sts_now(),
                subject,
                reason: ctx.reason(),
                attempt: ctx.attempt(),
                answer: Some(answer.clone()),
                answered: None,
            });
            let question = state.questions.len() - 1;
            (answer, delay, question)
        };
        inner.progress.fetch_add(1, Ordering::SeqCst);
        let reason = ctx.reason();
        Box::pin(async move {
            let pending = Pending(Arc::clone(&inner));
            if answer == Answer::Never {
                std::future::pending::<()>().await;
            }
            let clocks = inner.clocks.clone();
            tokio::time::sleep(delay).await;
            if reason == MfaReason::CodeReused {
                // Told the code was used: wait for the app's next one.
                let secs = clocks
                    .sts_now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap_or_default();
                let into_step = Duration::from_nanos((secs.as_nanos() % 30_000_000_000) as u64);
                tokio::time::sleep(Duration::from_secs(30) - into_step).await;
            }
            let now = clocks.sts_now();
            let code = {
                let mut state = inner.state();
                let right = inner.totp.code_at(now).expose().to_owned();
                match answer {
                    Answer::Cancelled => {
                        drop(state);
                        drop(pending);
                        return Err(MfaError::Cancelled);
                    }
                    Answer::Right | Answer::Never => right,
                    Answer::Reused => match state.given.last() {
                        // The code still on the screen, typed again.
                        Some((code, at))
                            if now.duration_since(*at).unwrap_or_default()
                                < Duration::from_secs(60) =>
                        {
                            code.clone()
                        }
                        _ => right,
                    },
                    Answer::Wrong => loop {
                        let candidate = format!("{:06}", state.rng.u32(0..1_000_000));
                        let near = [
                            now - Duration::from_secs(30),
                            now,
                            now + Duration::from_secs(30),
                        ]
                        .map(|t| inner.totp.code_at(t).expose().to_owned());
                        if !near.contains(&candidate)
                            && !state.given.iter().any(|(c, _)| *c == candidate)
                        {
                            break candidate;
                        }
                    },
                }
            };
            {
                let mut state = inner.state();
                state.given.push((code.clone(), now));
                let first = state
                    .given
                    .iter()
                    .position(|(c, _)| *c == code)
                    .unwrap_or(0);
                state.questions[question].answered = Some((now, first));
            }
            drop(pending);
            TokenCode::new(code).map_err(MfaError::failed)
        })
    }
}
