//! Guides: pages of documentation with no code of their own.

/// # MFA on each AssumeRole, or an MFA session?
///
/// Roles locked behind MFA have a trust policy condition like this one, which both ways below
/// satisfy:
///
/// ```json
/// {"Version": "2012-10-17",
///  "Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
///    "Action": "sts:AssumeRole",
///    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}}
/// ```
///
/// ## MFA on each AssumeRole
///
/// Every AssumeRole call carries the device's serial number and a fresh code; the provider
/// asks its [`TokenSource`](crate::mfa::TokenSource) each time it refreshes.
///
/// ```no_run
/// # async fn demo(base: aws_types::SdkConfig) -> Result<(), Box<dyn std::error::Error>> {
/// use sts_assume_role::mfa::TerminalPrompt;
/// use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest};
///
/// let admin = AssumeRoleProvider::builder(
///     AssumeRoleRequest::builder()
///         .role_arn("arn:aws:iam::222222222222:role/admin")
///         .role_session_name("alice")
///         .serial_number("arn:aws:iam::111111111111:mfa/alice")
///         .build()?,
/// )
/// .sdk_config(&base)
/// .mfa(TerminalPrompt::new())
/// .build()?;
/// # Ok(()) }
/// ```
///
/// - Works from any source credentials, including SSO or instance roles.
/// - `aws:MultiFactorAuthAge` is always close to 0, so any age limit in the trust policy holds.
/// - Costs a prompt per refresh, per role. The prompt runs in the background while the cached
///   credentials are valid; callers do not wait on it.
///
/// ## An MFA session
///
/// One code buys session credentials from `GetSessionToken` (12 hours by default, up to 36);
/// every role provider uses them as source credentials and refreshes without asking, as
/// aws-vault does. Assuming a role from an MFA session is not role chaining, so role sessions
/// can still last up to 12 hours.
///
/// ```no_run
/// # async fn demo(base: aws_types::SdkConfig) -> Result<(), Box<dyn std::error::Error>> {
/// use sts_assume_role::mfa::TerminalPrompt;
/// use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest, MfaSession};
///
/// let session = MfaSession::builder("arn:aws:iam::111111111111:mfa/alice", TerminalPrompt::new())
///     .sdk_config(&base)
///     .build()?;
/// let admin = AssumeRoleProvider::builder(
///     AssumeRoleRequest::builder()
///         .role_arn("arn:aws:iam::222222222222:role/admin")
///         .role_session_name("alice")
///         .build()?, // no serial number here: the session carries the MFA
/// )
/// .sdk_config(&base)
/// .source_credentials(session.clone())
/// .build()?;
/// # Ok(()) }
/// ```
///
/// - `GetSessionToken` needs long-term IAM user keys as the source; it refuses session
///   credentials (SSO, roles).
/// - The session's MFA ages. If the trust policy also says
///   `"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}`, set
///   [`max_mfa_age`](crate::builder::ProviderBuilder::max_mfa_age) to one hour:
///   the session is then renewed, with one prompt, before the limit.
///
/// ## Prompts in an 8-hour day, 1-hour role credentials
///
/// With the default [`RefreshPolicy`](crate::RefreshPolicy), 1-hour credentials are refreshed
/// 15 to 22.5 minutes before they expire, so every 37.5 to 45 minutes.
///
/// | set-up | prompts per day, 1 role | prompts per day, 3 roles |
/// |---|---|---|
/// | MFA on each AssumeRole | 11 to 13 (the first load, then one per refresh) | 33 to 39 |
/// | MFA session, 12 hours | 1 | 1 |
/// | MFA session with `max_mfa_age` of 1 hour | 11 to 13 (one per renewal) | 11 to 13 |
///
/// The test `an_mfa_session_serves_three_roles_for_eight_hours_with_one_prompt` checks the
/// session row against the mock STS.
///
/// ## Across runs of a program
///
/// The counts above are for one long-running process. A tool started many times a day keeps
/// its sessions across runs with a [`CredentialCache`](crate::cache::CredentialCache):
///
/// - MFA on each AssumeRole:
///   [`cache`](crate::builder::ProviderBuilder::cache) with
///   [`FileCache::aws_cli`](crate::cache::FileCache::aws_cli) shares each role session with
///   every process and with the AWS CLI itself: one prompt per role session (an hour by
///   default, up to the role's maximum with `DurationSeconds`).
/// - MFA session: [`cache`](crate::builder::ProviderBuilder::cache) on its builder keeps the
///   `GetSessionToken` session: one prompt per session (12 hours by default) however many
///   times the tool runs. The cached session is a bearer credential that carries the MFA;
///   keep the directory private.
pub mod mfa {}

/// # How the provider refreshes, next to its peers
///
/// | | refresh starts | callers wait | on failure |
/// |---|---|---|---|
/// | this crate | `min(L/4, 15 min)` before expiry, up to 50 % earlier at random | from `min(L/12, 5 min)` before expiry, for the refresh in flight (never while a prompt is pending and credentials are valid) | keeps valid credentials; backs off (0.5–1 s, doubling up to 30–60 s: half fixed, half random); remembers non-retryable errors 10 s |
/// | aws-config (SDK identity cache) | 5–10 s before expiry | always, during the load, cut off after a load timeout derived from the retry and timeout settings (21.6 s with the defaults) | drops credentials; each waiter retries |
/// | botocore | 15 min before | 10 min before | advisory: keep; mandatory: raise |
/// | Go SDK v2 | 5/15/60 min by lifetime | at expiry | serve cached, back off 5–10 min |
/// | Java SDK v2 | 5 min before, jittered | 1 min before | prefetch: keep; stale: throw or serve |
///
/// `L` is the credentials' lifetime. See [`RefreshPolicy`](crate::RefreshPolicy).
///
/// ## With a credential cache
///
/// A provider given a [`CredentialCache`](crate::cache::CredentialCache) (for example the AWS
/// CLI's, [`FileCache::aws_cli`](crate::cache::FileCache::aws_cli)) looks there first on every
/// load and refresh, before STS and before any MFA prompt, and writes what STS returns. So a
/// fleet of processes on one machine, or a tool run many times a day, shares one session:
///
/// - an entry is served only with more than the advisory window of a full-length session left
///   (`min(D/4, 15 min)` for `DurationSeconds` `D`, default one hour: the AWS CLI's 15
///   minutes), so nothing served from the cache is due for a refresh at once;
/// - a refresh never takes back the credentials it is replacing, and after
///   [`invalidate`](crate::AssumeRoleProvider::invalidate) the rejected credentials are not
///   served again, even though they are still on disk until the next write;
/// - the schedule of credentials read from the cache runs from when they were read: their
///   remaining time counts as their lifetime.
pub mod refresh {}
