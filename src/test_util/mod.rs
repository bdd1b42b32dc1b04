//! A mock AWS STS for tests (feature `test-util`).
//!
//! [`MockSts`] runs a local HTTP server (wiremock) that speaks the STS query protocol, so a
//! real `aws_sdk_sts::Client` — or anything built on one — can be tested end to end without
//! AWS: `AssumeRole`, `GetSessionToken` and `GetCallerIdentity` with real XML, STS's input
//! validation and error codes, MFA codes (fixed, TOTP, or any), trust policies that need MFA,
//! expiry of what it issued, and injected faults and latency.
//!
//! [`ManualClock`] lets a test own time: give it to the mock (and the SDK) and move it forward
//! to expire credentials or step TOTP codes.
//!
//! Nothing here prints a secret: `Debug` of every type hides secret keys, session tokens, MFA
//! codes and TOTP secrets.

mod actions;
mod clock;
mod faults;
mod handler;
mod ids;
mod mfa;
mod records;
mod server;
mod state;
mod xml;

#[cfg(test)]
mod tests;

pub use clock::ManualClock;
pub use faults::{Fault, MFA_FAILED_MESSAGE};
pub use records::{Action, IssuedCredentials, IssuedKind, RecordedRequest};
pub use server::{MockSts, MockStsBuilder};
