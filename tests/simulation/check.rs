//! The invariants the harness checks after every step, each under a name that says what
//! broke. Those decided at one moment (a load returning, a call leaving, a question asked) are
//! checked where that moment is seen and recorded here; the ones over a history (backoff, codes
//! sent, logs) are checked here, on what the step added.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use sts_assume_role::mfa::MfaError;

use crate::net::Call;
use crate::plan::PolicySpec;

/// The names of the checks.
pub const PAST_EXPIRY: &str = "1 no-credentials-past-expiry";
pub const ERROR_WHILE_VALID: &str = "2 no-caller-error-while-valid";
pub const WAIT_OUTSIDE_MANDATORY: &str = "3 no-wait-outside-the-mandatory-window";
pub const IN_FLIGHT: &str = "4 one-sts-call-in-flight";
pub const BACKOFF: &str = "5 sts-calls-bounded-by-the-backoff";
pub const PERSON: &str = "6 person-asked-once-per-needed-code-and-when-needed";
pub const CODE_TWICE: &str = "7 no-mfa-code-sent-twice";
pub const SECRET_IN_LOGS: &str = "8 no-secret-in-logs";
pub const LATE_TIMER: &str = "9 a-late-timer-refreshes";
pub const SETTLES: &str = "10 the-engine-settles";

/// One broken invariant.
#[derive(Clone)]
pub struct Violation {
    pub check: &'static str,
    pub detail: String,
}

impl fmt::Debug for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.check, self.detail)
    }
}

/// Violations found so far in a schedule. Clones share them.
#[derive(Clone, Default)]
pub struct Violations(Arc<Mutex<Vec<Violation>>>);

impl Violations {
    pub fn add(&self, check: &'static str, detail: String) {
        let check = match check {
            "one-sts-call-in-flight" => IN_FLIGHT,
            "person-asked-once-per-needed-code" => PERSON,
            other => other,
        };
        self.0.lock().unwrap().push(Violation { check, detail });
    }

    pub fn list(&self) -> Vec<Violation> {
        self.0.lock().unwrap().clone()
    }

    pub fn is_empty(&self) -> bool {
        self.0.lock().unwrap().is_empty()
    }
}

/// What a provider's state must be for a call: the signature of one refresh (its calls all
/// see the same state: the state changes only when a refresh ends).
type Sig = (Option<SystemTime>, u32, Option<SystemTime>);

#[derive(Default)]
struct KeyState {
    last: Option<usize>,
    sig: Option<Sig>,
    /// The expiries whose one last try before expiry was seen.
    last_tries: HashSet<SystemTime>,
}

/// The checks over the history of a schedule.
#[derive(Default)]
pub struct Checker {
    calls_seen: usize,
    keys: HashMap<String, KeyState>,
    codes: HashMap<(String, String), SystemTime>,
    log_seen: usize,
}

impl Checker {
    /// Invariants 5 and 7 on the calls made since the last look.
    pub fn calls(
        &mut self,
        calls: &[Call],
        policies: &HashMap<String, PolicySpec>,
        v: &Violations,
    ) {
        for (i, call) in calls.iter().enumerate().skip(self.calls_seen) {
            // 7: no MFA code is sent to STS twice (for one device).
            if let Some((serial, code)) = &call.code {
                let key = (serial.clone(), code.clone());
                if let Some(first) = self.codes.get(&key) {
                    v.add(
                        CODE_TWICE,
                        format!(
                            "an MFA code of {serial} was sent again at {:?}, {:?} after it was first sent ({:?} for {:?})",
                            call.sts_start,
                            call.sts_start.duration_since(*first).unwrap_or_default(),
                            call.action,
                            call.key
                        ),
                    );
                } else {
                    self.codes.insert(key, call.sts_start);
                }
            }
            let Some(key) = &call.key else { continue };
            let state = self.keys.entry(key.clone()).or_default();
            let previous = state.last.replace(i);
            let (Some(policy), Some(snapshot)) = (policies.get(key), &call.snapshot) else {
                continue;
            };
            let sig = (
                snapshot.expiry(),
                snapshot.consecutive_failures(),
                snapshot.retry_at(),
            );
            let first_of_refresh = state.sig != Some(sig) && call.attempt == 1;
            state.sig = Some(sig);
            if !first_of_refresh || snapshot.consecutive_failures() == 0 {
                continue;
            }
            // 5: the first call of a refresh after a failed one comes no sooner than the
            // policy's least backoff for the failures so far, measured from the end of the
            // last call: the valid backoff while credentials were held (except once per set of
            // credentials, the last try before they expire; and from their expiry on), the
            // expired backoff with none; `error_ttl` after a failure retrying cannot help.
            let Some(prev_end) = previous.and_then(|p| calls[p].local_end) else {
                continue;
            };
            let Some(error) = snapshot.last_error() else {
                continue;
            };
            // A refresh put off for want of a person (no STS call, the count of failures kept)
            // replaces the error that set the backoff, which is no longer known.
            if put_off(error) {
                continue;
            }
            let n = snapshot.consecutive_failures();
            let t = call.local_start;
            let gap = t.duration_since(prev_end).unwrap_or_default();
            let valid_then = snapshot.expiry().filter(|e| *e > prev_end);
            let least = if error.is_retryable() {
                policy.least_backoff(n, valid_then.is_some())
            } else {
                policy.error_ttl
            };
            if gap + Duration::from_millis(1) >= least {
                continue;
            }
            if let Some(expiry) = valid_then {
                if t >= expiry {
                    continue;
                }
                if state.last_tries.insert(expiry) {
                    continue;
                }
            }
            v.add(
                BACKOFF,
                format!(
                    "{key} called STS {gap:?} after its last call ended, after {n} failures (last: {error}); the least backoff is {least:?} (retryable: {}, credentials valid then: {})",
                    error.is_retryable(),
                    valid_then.is_some()
                ),
            );
        }
        self.calls_seen = calls.len();
    }

    /// Invariant 8 on what was logged since the last look. Six-digit MFA codes count only as
    /// whole numbers (no digit, letter or dot beside them), so a request id or a duration that
    /// happens to contain the same digits is not taken for one.
    pub fn logs(&mut self, text: &str, secrets: &[String], codes: &[String], v: &Violations) {
        let new = &text[self.log_seen.min(text.len())..];
        self.log_seen = text.len();
        scan(new, secrets, codes, v);
    }
}

/// Whether `error` is a refresh put off because nobody was there to answer for an MFA code
/// (`MfaError::Unattended`, here or in a source).
pub fn put_off(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(MfaError::Unattended) = e.downcast_ref::<MfaError>() {
            return true;
        }
        next = e.source();
    }
    false
}

pub fn scan(text: &str, secrets: &[String], codes: &[String], v: &Violations) {
    for secret in secrets {
        if secret.len() >= 8 && text.contains(secret.as_str()) {
            let line = text
                .lines()
                .find(|l| l.contains(secret.as_str()))
                .unwrap_or_default();
            v.add(
                SECRET_IN_LOGS,
                format!(
                    "a secret ({} characters) is in a log line: {}",
                    secret.len(),
                    line.replace(secret.as_str(), "<SECRET>")
                ),
            );
        }
    }
    if codes.is_empty() {
        return;
    }
    let codes: HashSet<&str> = codes.iter().map(String::as_str).collect();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i + 6 <= bytes.len() {
        let window = &bytes[i..i + 6];
        let boundary =
            |b: Option<&u8>| b.is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'.'));
        if window.iter().all(u8::is_ascii_digit)
            && boundary(i.checked_sub(1).and_then(|j| bytes.get(j)))
            && boundary(bytes.get(i + 6))
            && codes.contains(std::str::from_utf8(window).unwrap_or_default())
        {
            let start = text[..i].rfind('\n').map_or(0, |j| j + 1);
            let end = text[i..].find('\n').map_or(text.len(), |j| i + j);
            v.add(
                SECRET_IN_LOGS,
                format!(
                    "an MFA code is in a log line: {}",
                    text[start..end].replacen(
                        std::str::from_utf8(window).unwrap_or_default(),
                        "<CODE>",
                        1
                    )
                ),
            );
            i += 6;
        } else {
            i += 1;
        }
    }
}
