//! A credential store (the AWS CLI's cache) in front of STS: read before calling STS, and
//! before asking for an MFA code; written after.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;

use crate::assume::AssumedRole;
use crate::cache::read::{IssuedFor, Refusal, serve};
use crate::cache::{CacheError, CachedCredentials, CredentialCache};

/// A [`CredentialCache`] in front of STS: read before calling STS (and before asking for an
/// MFA code), written after.
#[derive(Debug)]
pub(crate) struct DiskCache {
    pub(crate) store: Arc<dyn CredentialCache>,
    pub(crate) key: String,
    /// What an entry under the key must be to be served.
    pub(crate) expect: Expect,
    /// Whether a refused entry was logged at `warn` yet: once per provider.
    pub(crate) warned: AtomicBool,
    /// An entry is served only with more than this left: the advisory window of a full-length
    /// session, so what comes from the store is not due for a refresh at once.
    pub(crate) min_remaining: Duration,
}

/// What a cache entry must be to be served for a provider: the key alone does not prove it
/// (a file can be linked or renamed to another key's name).
#[derive(Debug)]
pub(crate) enum Expect {
    /// An answer to this AssumeRole request ([`CachedCredentials::is_for`]).
    Role(Box<crate::request::AssumeRoleRequest>),
    /// An MFA session's credentials: no assumed-role user.
    Session,
}

impl Expect {
    fn issued_for(&self) -> IssuedFor<'_> {
        match self {
            Expect::Role(request) => IssuedFor::Role(request),
            Expect::Session => IssuedFor::Session,
        }
    }
}

impl DiskCache {
    pub(crate) async fn load(&self, now: SystemTime, avoid: &[String]) -> Option<Credentials> {
        let (store, key) = (Arc::clone(&self.store), self.key.clone());
        let entry = match blocking(move || Some(store.load(&key))).await? {
            Ok(Some(entry)) => entry,
            Ok(None) => return None,
            Err(error) => {
                tracing::warn!(key = self.key, %error, "credential cache unreadable; treated as a miss");
                return None;
            }
        };
        let credentials = match serve(&entry, self.expect.issued_for(), now, self.min_remaining) {
            Ok(credentials) => credentials,
            Err(Refusal::IssuedForAnother) => {
                // The role and session the entry names, never its credentials.
                let issued_to = entry.assumed_role_user().map(|u| u.arn.as_str());
                if self.warned.swap(true, Ordering::Relaxed) {
                    tracing::debug!(
                        key = self.key,
                        issued_to,
                        "cached credentials refused again"
                    );
                } else {
                    tracing::warn!(
                        key = self.key,
                        issued_to,
                        "cached credentials refused: the entry under this key was issued for \
                         another role or session (linked, renamed or copied there); calling STS"
                    );
                }
                return None;
            }
            Err(Refusal::ExpiresTooSoon) => {
                tracing::debug!(
                    key = self.key,
                    "cached credentials expire too soon to be served"
                );
                return None;
            }
        };
        if avoid.iter().any(|k| k == credentials.access_key_id()) {
            tracing::debug!(
                key = self.key,
                "credential cache holds the credentials being replaced; calling STS"
            );
            return None;
        }
        tracing::debug!(
            key = self.key,
            "credentials served from the credential cache"
        );
        Some(credentials)
    }

    pub(crate) async fn store(&self, assumed: &AssumedRole) {
        self.write(CachedCredentials::try_from(assumed)).await;
    }

    /// Stores credentials that are not an AssumeRole answer (an MFA session's).
    pub(crate) async fn store_credentials(&self, credentials: &Credentials) {
        self.write(CachedCredentials::try_from(credentials)).await;
    }

    async fn write(&self, entry: Result<CachedCredentials, CacheError>) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                tracing::warn!(key = self.key, %error, "credentials not cached");
                return;
            }
        };
        let (store, key) = (Arc::clone(&self.store), self.key.clone());
        if let Some(Err(error)) = blocking(move || Some(store.store(&key, &entry))).await {
            tracing::warn!(key = self.key, %error, "credential cache not written");
        }
    }
}

/// Runs blocking store I/O off the runtime's worker threads when there is a runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Option<T> + Send + 'static) -> Option<T> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle.spawn_blocking(f).await.ok().flatten(),
        Err(_) => f(),
    }
}
