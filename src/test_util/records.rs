//! What the mock saw and what it handed out.

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use aws_credential_types::Credentials;

const REDACTED: &str = "** redacted **";

/// The STS actions the mock answers.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// `AssumeRole`.
    AssumeRole,
    /// `GetSessionToken`.
    GetSessionToken,
    /// `GetCallerIdentity`.
    GetCallerIdentity,
    /// `AssumeRoleWithWebIdentity`: role credentials for a token of an OpenID Connect or
    /// OAuth 2.0 identity provider (as a Kubernetes pod's service account token). Unsigned on
    /// the wire: the token, not a signature, is the caller's proof.
    AssumeRoleWithWebIdentity,
}

impl Action {
    /// The action's name on the wire, e.g. `"AssumeRole"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Action::AssumeRole => "AssumeRole",
            Action::GetSessionToken => "GetSessionToken",
            Action::GetCallerIdentity => "GetCallerIdentity",
            Action::AssumeRoleWithWebIdentity => "AssumeRoleWithWebIdentity",
        }
    }

    /// The action named `name` on the wire, if the mock answers it.
    #[must_use]
    pub fn from_wire(name: &str) -> Option<Self> {
        [
            Action::AssumeRole,
            Action::GetSessionToken,
            Action::GetCallerIdentity,
            Action::AssumeRoleWithWebIdentity,
        ]
        .into_iter()
        .find(|action| action.as_str() == name)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parameters whose values are secret; their values never reach `Debug`.
fn is_secret_param(name: &str) -> bool {
    [
        "TokenCode",
        "WebIdentityToken",
        "X-Amz-Security-Token",
        "SecurityToken",
    ]
    .iter()
    .any(|secret| secret.eq_ignore_ascii_case(name))
}

/// One request the mock received, in arrival order (see [`MockSts::requests`]).
///
/// `Debug` masks the `TokenCode` and `WebIdentityToken` values (and a security token passed as
/// a parameter).
/// `params` itself holds the values as sent, so a test can assert on them; do not print the
/// map on its own.
///
/// [`MockSts::requests`]: super::MockSts::requests
#[non_exhaustive]
#[derive(Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The action, when the request named one the mock answers.
    pub action: Option<Action>,
    /// The form (and query string) parameters, decoded.
    pub params: BTreeMap<String, String>,
    /// The access key id from the `Credential=` part of the `Authorization` header.
    pub access_key_id: Option<String>,
}

impl RecordedRequest {
    /// The value of parameter `name`, e.g. `param("RoleSessionName")`.
    #[must_use]
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

impl fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Params<'a>(&'a BTreeMap<String, String>);
        impl fmt::Debug for Params<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|(name, value)| {
                        let shown = if is_secret_param(name) {
                            REDACTED
                        } else {
                            value.as_str()
                        };
                        (name, shown)
                    }))
                    .finish()
            }
        }
        f.debug_struct("RecordedRequest")
            .field("action", &self.action)
            .field("params", &Params(&self.params))
            .field("access_key_id", &self.access_key_id)
            .finish()
    }
}

/// What kind of credentials the mock issued.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuedKind {
    /// Role credentials from `AssumeRole`.
    AssumedRole {
        /// The `RoleArn` that was assumed.
        role_arn: String,
        /// The `RoleSessionName` of the session.
        session_name: String,
    },
    /// Role credentials from `AssumeRoleWithWebIdentity`. Calling `AssumeRole` with them is
    /// role chaining, as with [`AssumedRole`](Self::AssumedRole) credentials.
    WebIdentity {
        /// The `RoleArn` that was assumed.
        role_arn: String,
        /// The `RoleSessionName` of the session.
        session_name: String,
    },
    /// Session credentials from `GetSessionToken`.
    Session {
        /// When the MFA code was accepted, if the call carried one.
        mfa_at: Option<SystemTime>,
    },
}

/// Credentials the mock handed out (see [`MockSts::issued`]). `Debug` hides the secrets.
///
/// [`MockSts::issued`]: super::MockSts::issued
#[non_exhaustive]
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedCredentials {
    /// The `ASIA...` access key id.
    pub access_key_id: String,
    /// Which call issued them, and for what.
    pub kind: IssuedKind,
    /// When they were issued, by the mock's time source.
    pub issued_at: SystemTime,
    /// When they expire (whole seconds, as sent on the wire).
    pub expiration: SystemTime,
    pub(super) secret_access_key: String,
    pub(super) session_token: String,
}

impl IssuedCredentials {
    /// The credentials as the SDK sees them, e.g. to sign further calls to the mock.
    #[must_use]
    pub fn credentials(&self) -> Credentials {
        Credentials::new(
            &self.access_key_id,
            &self.secret_access_key,
            Some(self.session_token.clone()),
            Some(self.expiration),
            "MockSts",
        )
    }

    /// Whether `token` is the session token issued with these credentials.
    #[must_use]
    pub fn has_session_token(&self, token: &str) -> bool {
        self.session_token == token
    }
}

impl fmt::Debug for IssuedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("kind", &self.kind)
            .field("issued_at", &self.issued_at)
            .field("expiration", &self.expiration)
            .field("secret_access_key", &REDACTED)
            .field("session_token", &REDACTED)
            .finish()
    }
}
