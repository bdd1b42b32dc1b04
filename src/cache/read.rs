//! Reading a cache entry safely: served only if it was issued for what the caller asks, and
//! lives long enough. The one check behind [`load_for`] and a provider's own reads.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;

use super::{CacheError, CachedCredentials, CredentialCache, cli_cache_key};
use crate::request::AssumeRoleRequest;

/// The credentials cached for `request`, if the entry under its key
/// ([`cli_cache_key`]) was issued for it ([`CachedCredentials::is_for`]) and is good for more
/// than `min_remaining` at `now` ([`AWS_CLI_MIN_REMAINING`](super::AWS_CLI_MIN_REMAINING) to
/// serve exactly what the AWS CLI would).
///
/// This is the read to use: a key does not prove what an entry is for (a file can be linked,
/// renamed or copied under another key's name), so an entry of another role, account or
/// session name is refused (`Ok(None)`, with a warning naming the key and the role the entry
/// was issued to, never its credentials), as a provider with a
/// [cache](crate::AssumeRoleProviderBuilder::cache) refuses it. So is an entry that names no
/// role (an MFA session's), and one that expires within `min_remaining`. The check is this
/// function's, not the store's: it holds for every [`CredentialCache`].
///
/// # Errors
///
/// Only the store's own: [`CredentialCache::load`] failing (such as permission denied). A
/// cache should never stand between a caller and STS: treat an error as a miss after
/// reporting it.
///
/// # Examples
///
/// ```
/// use std::time::SystemTime;
///
/// use sts_assume_role::AssumeRoleRequest;
/// use sts_assume_role::cache::{self, AWS_CLI_MIN_REMAINING, FileCache};
///
/// # let dir = tempfile::tempdir()?;
/// # let cache = FileCache::new(dir.path());
/// // let cache = FileCache::aws_cli().ok_or("no home directory")?;
/// let request = AssumeRoleRequest::builder_with_generated_name("arn:aws:iam::111111111111:role/RoleB")
///     .build()?;
/// match cache::load_for(&cache, &request, SystemTime::now(), AWS_CLI_MIN_REMAINING)? {
///     Some(credentials) => println!("cached: {}", credentials.access_key_id()),
///     None => println!("not cached: call STS"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_for(
    cache: &(impl CredentialCache + ?Sized),
    request: &AssumeRoleRequest,
    now: SystemTime,
    min_remaining: Duration,
) -> Result<Option<Credentials>, CacheError> {
    let key = cli_cache_key(request);
    let Some(entry) = cache.load(&key)? else {
        return Ok(None);
    };
    match serve(&entry, IssuedFor::Role(request), now, min_remaining) {
        Ok(credentials) => Ok(Some(credentials)),
        Err(Refusal::IssuedForAnother) => {
            // The role and session the entry names, never its credentials.
            let issued_to = entry.assumed_role_user().map(|u| u.arn.as_str());
            tracing::warn!(
                key,
                issued_to,
                role_arn = request.role_arn.as_str(),
                "cached credentials refused: the entry under this key was issued for another \
                 role or session (linked, renamed or copied there)"
            );
            Ok(None)
        }
        Err(Refusal::ExpiresTooSoon) => {
            tracing::debug!(key, "cached credentials expire too soon to be served");
            Ok(None)
        }
    }
}

/// What a cache entry must have been issued for to be served. Its key does not prove it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum IssuedFor<'a> {
    /// An answer to this AssumeRole request ([`CachedCredentials::is_for`]).
    Role(&'a AssumeRoleRequest),
    /// An MFA session's credentials (GetSessionToken's): they name no assumed role.
    Session,
}

impl IssuedFor<'_> {
    /// Whether `entry` was issued for this.
    pub(crate) fn holds(self, entry: &CachedCredentials) -> bool {
        match self {
            IssuedFor::Role(request) => entry.is_for(request),
            IssuedFor::Session => entry.is_session(),
        }
    }
}

/// Why an entry is not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// It was issued for another role, account or session name, or for no role at all (or
    /// for a role, when a session's is wanted).
    IssuedForAnother,
    /// It expires within the minimum remaining life (or has expired).
    ExpiresTooSoon,
}

/// The credentials of `entry` if it was issued for `issued_for` and is good for more than
/// `min_remaining` at `now`. Callers log the refusal in their own words.
pub(crate) fn serve(
    entry: &CachedCredentials,
    issued_for: IssuedFor<'_>,
    now: SystemTime,
    min_remaining: Duration,
) -> Result<Credentials, Refusal> {
    if !issued_for.holds(entry) {
        return Err(Refusal::IssuedForAnother);
    }
    if !entry.is_valid_at(now, min_remaining) {
        return Err(Refusal::ExpiresTooSoon);
    }
    Ok(entry.to_credentials())
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;
    use crate::assume::AssumedRoleUser;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn request(role: &str) -> AssumeRoleRequest {
        AssumeRoleRequest::builder(format!("arn:aws:iam::111111111111:role/{role}"), "alice")
            .build()
            .unwrap()
    }

    fn role_entry(role: &str) -> CachedCredentials {
        CachedCredentials::new("ASIAROLE", "SECRET", "TOKEN", at(10_000)).with_assumed_role_user(
            AssumedRoleUser {
                arn: format!("arn:aws:sts::111111111111:assumed-role/{role}/alice"),
                assumed_role_id: "AROAEXAMPLE:alice".into(),
            },
        )
    }

    #[test]
    fn a_role_entry_is_served_only_for_its_role_and_while_valid() {
        let b = request("RoleB");
        let min = Duration::from_secs(900);
        let served = serve(&role_entry("RoleB"), IssuedFor::Role(&b), at(9_000), min).unwrap();
        assert_eq!(served.access_key_id(), "ASIAROLE");
        assert_eq!(served.expiry(), Some(at(10_000)));
        assert_eq!(
            serve(&role_entry("RoleA"), IssuedFor::Role(&b), at(9_000), min).unwrap_err(),
            Refusal::IssuedForAnother
        );
        assert_eq!(
            serve(&role_entry("RoleB"), IssuedFor::Role(&b), at(9_100), min).unwrap_err(),
            Refusal::ExpiresTooSoon
        );
        // Another role's entry is refused whatever its expiry.
        assert_eq!(
            serve(&role_entry("RoleA"), IssuedFor::Role(&b), at(9_100), min).unwrap_err(),
            Refusal::IssuedForAnother
        );
    }

    #[test]
    fn a_session_entry_answers_no_role_and_a_role_entry_no_session() {
        let session = CachedCredentials::new("ASIASESSION", "SECRET", "TOKEN", at(10_000));
        let b = request("RoleB");
        let zero = Duration::ZERO;
        assert!(serve(&session, IssuedFor::Session, at(0), zero).is_ok());
        assert_eq!(
            serve(&session, IssuedFor::Role(&b), at(0), zero).unwrap_err(),
            Refusal::IssuedForAnother
        );
        assert_eq!(
            serve(&role_entry("RoleB"), IssuedFor::Session, at(0), zero).unwrap_err(),
            Refusal::IssuedForAnother
        );
    }
}
