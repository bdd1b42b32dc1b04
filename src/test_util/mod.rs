//! A mock AWS STS for tests (feature `test-util`).
//!
//! [`MockSts`] runs a local HTTP server (wiremock) that speaks the STS query protocol, so a
//! real `aws_sdk_sts::Client` — or anything built on one — can be tested end to end without
//! AWS: `AssumeRole`, `GetSessionToken`, `GetCallerIdentity` and `AssumeRoleWithWebIdentity`
//! with real XML, STS's input validation and error codes, MFA codes (fixed, TOTP, or any),
//! trust policies that need MFA, web identity tokens (any, one, or expired), expiry of what it
//! issued, and injected faults and latency.
//!
//! `AssumeRoleWithWebIdentity` is unsigned, as on STS. Its credentials are role credentials:
//! they can sign further calls, and `AssumeRole` with them is role chaining. When the token is
//! a JWT, the answer's `SubjectFromWebIdentityToken`, `Audience`, `Provider` and
//! `SourceIdentity` come from its `sub`, `aud`, `iss` and
//! `https://aws.amazon.com/source_identity` claims; the mock checks neither its signature nor
//! its `exp` (use [`MockSts::expire_web_identity_token`]).
//!
//! [`ManualClock`] lets a test own time: give it to the mock (and the SDK) and move it forward
//! to expire credentials or step TOTP codes.
//!
//! Nothing here prints a secret: `Debug` of every type hides secret keys, session tokens, MFA
//! codes, TOTP secrets and web identity tokens.

mod actions;
mod clock;
mod faults;
mod handler;
mod http;
mod ids;
mod mfa;
mod records;
mod server;
mod state;
mod web_identity;
mod xml;

#[cfg(test)]
mod tests;

pub use clock::ManualClock;
pub use faults::{Fault, MFA_FAILED_MESSAGE};
pub use records::{Action, IssuedCredentials, IssuedKind, RecordedRequest};
pub use server::{MockSts, MockStsBuilder};
