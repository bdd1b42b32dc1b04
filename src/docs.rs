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
/// let request = AssumeRoleRequest::builder("arn:aws:iam::222222222222:role/admin", "alice")
///     .serial_number("arn:aws:iam::111111111111:mfa/alice")
///     .build()?;
/// let admin = AssumeRoleProvider::builder(request, &base)
///     .mfa(TerminalPrompt::new())
///     .build()?;
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
/// aws-vault does. A role assumed with the session's credentials lasts at most an hour (AWS
/// limits it as it limits role chaining; a `DurationSeconds` over 3600 is refused before STS is
/// called), and is refreshed hourly without a prompt for as long as the session lives.
///
/// ```no_run
/// # async fn demo(base: aws_types::SdkConfig) -> Result<(), Box<dyn std::error::Error>> {
/// use sts_assume_role::mfa::TerminalPrompt;
/// use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest, MfaSession};
///
/// let serial = "arn:aws:iam::111111111111:mfa/alice";
/// let session = MfaSession::builder(serial, TerminalPrompt::new(), &base).build()?;
/// // No serial number in the request: the session carries the MFA.
/// let request = AssumeRoleRequest::builder("arn:aws:iam::222222222222:role/admin", "alice")
///     .build()?;
/// let admin = AssumeRoleProvider::builder(request, &base)
///     .source_credentials(session.clone())
///     .build()?;
/// # Ok(()) }
/// ```
///
/// - `GetSessionToken` needs long-term IAM user keys as the source; it refuses session
///   credentials (SSO, roles).
/// - The session's MFA ages. If the trust policy also says
///   `"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}`, set
///   [`max_mfa_age`](crate::MfaSessionBuilder::max_mfa_age) to one hour:
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
///   [`cache`](crate::AssumeRoleProviderBuilder::cache) with
///   [`FileCache::aws_cli`](crate::cache::FileCache::aws_cli) shares each role session with
///   every process and with the AWS CLI itself: one prompt per role session (an hour by
///   default, up to the role's maximum with `DurationSeconds`).
/// - MFA session: [`cache`](crate::AssumeRoleProviderBuilder::cache) on its builder keeps the
///   `GetSessionToken` session: one prompt per session (12 hours by default) however many
///   times the tool runs. The cached session is a bearer credential that carries the MFA;
///   keep the directory private.
pub mod mfa {}

/// # How the provider refreshes, next to its peers
///
/// | | refresh starts | callers wait | on failure |
/// |---|---|---|---|
/// | this crate | `min(L/4, 15 min)` before expiry, up to 50 % earlier at random, on a timer (no caller needed) | from `min(L/12, 5 min)` before expiry, for the refresh in flight, only if STS failed the whole advisory window (never while a prompt is pending and credentials are valid) | keeps valid credentials and retries after 300–600 s, with one more try in the mandatory window before they expire; with none valid, backs off 0.5–1 s doubling to 30–60 s (half fixed, half random); never serves expired credentials; remembers non-retryable errors 10 s |
/// | aws-config (SDK identity cache) | 5–10 s before expiry | always, during the load, cut off after a load timeout derived from the retry and timeout settings (21.6 s with the defaults) | drops credentials; each waiter retries |
/// | botocore | 15 min before | 10 min before | advisory: keep; mandatory: raise |
/// | Go SDK v2 (released `aws.CredentialsCache`) | at expiry (`ExpiryWindow` 0 by default) | at expiry | returns the error (an advisory 5/15/60-minute rule with a 5–10 minute backoff is in its source, not confirmed in a tagged release) |
/// | Java SDK v2 | 5 min before, jittered | 1 min before | prefetch: keep; stale: throw or serve |
///
/// `L` is the credentials' lifetime. See [`RefreshPolicy`](crate::RefreshPolicy).
///
/// ## On a timer, with no caller
///
/// A refresh does not wait for a caller to come in the advisory window: when credentials
/// arrive, the provider sets a timer for the start of that window (with its jitter) on the
/// tokio runtime they arrived on, and a failed refresh is retried there with the backoff while
/// the credentials are valid. So a service called once every half hour, a queue consumer or a
/// worker at night finds fresh credentials as a busy service does: no caller waits for STS
/// unless STS has failed for the whole advisory window. An idle provider makes one STS call
/// per credential lifetime, and a fleet loaded together spreads its refreshes with the jitter.
/// The timer holds no strong reference to the provider: it ends with the last clone.
///
/// Which providers use it is [`RefreshPolicy::scheduled`](crate::RefreshPolicy::scheduled):
///
/// | [`ScheduledRefresh`](crate::ScheduledRefresh) | providers refreshed on a timer |
/// |---|---|
/// | `Unattended` (default) | those that never ask a person: no MFA, or a token source that answers by itself, as [`Totp`](crate::mfa::Totp) |
/// | `Always` | all, those that prompt included: the prompt comes ahead of expiry |
/// | `Off` | none: refreshes start as callers come |
///
/// Unless told `Always`, a refresh on a timer never asks a person, not even through its
/// source: a role refreshed on a timer over an [`MfaSession`](crate::MfaSession) that has ended
/// puts its refresh off instead of prompting. No backoff grows and no timer retries (nothing is
/// gained by asking nobody again); the role's valid credentials are still served, the role acts
/// from then on as a provider that prompts (no caller waits on the question while its
/// credentials are valid), and the next caller's load asks, once for every role over that
/// session, in the background while the credentials last and at once when they have expired. A
/// caller never gets [`MfaError::Unattended`](crate::mfa::MfaError::Unattended) as its answer:
/// that error only ever ends a refresh nobody waits for.
///
/// A timer that comes late, after the credentials expired (a laptop that slept through their
/// end), refreshes all the same. Timers look at the provider's clock at least every minute,
/// because tokio's do not count the time a machine is suspended: a machine that wakes after
/// the expiry refreshes within a minute of waking, with no caller. The default also
/// leaves prompting providers to their callers, because a person should not be asked for a
/// code every 45 minutes, at night, by a tool nobody is using; when a caller does
/// come in the advisory window the prompt runs in the background, and callers never wait on it
/// while the credentials are valid. A desktop application with a person at hand may prefer
/// `Always`. Without a tokio runtime (a provider driven by code no runtime runs), and with an
/// injected [`time_source`](crate::AssumeRoleProviderBuilder::time_source) but no
/// [`sleep_impl`](crate::AssumeRoleProviderBuilder::sleep_impl) that follows it, there is no
/// timer.
///
/// ## When STS is down for long
///
/// A rule for the SDKs appears in AWS's sources (the Go SDK v2's; we could not confirm it in a
/// tagged release of any SDK): advisory windows of 5, 15 or 60 minutes by lifetime, a 1-minute
/// mandatory window, a jittered 300–600 s backoff during an outage, non-recoverable errors
/// remembered 1–5 s, and credentials served past their expiry while the service that issues
/// them is down. This crate follows the backoff and differs on purpose where it should:
///
/// | while STS is down | this crate | that rule |
/// |---|---|---|
/// | valid credentials held | served; retried 300–600 s after each failure, and once more at a random moment of the mandatory window, before they expire | served; retried after 300–600 s |
/// | credentials expired | never served: callers get the error; retried 0.5–1 s after, doubling to 30–60 s (counting the failures so far, so the first retry comes within seconds of expiry) | served with a new expiry some minutes on |
/// | non-retryable error | remembered 10 s | remembered 1–5 s |
///
/// The backoff while valid credentials are held costs callers nothing, since they are served
/// from memory, so it is long: simulated over 10,000 providers whose one-hour credentials were
/// issued in the same second, with STS failing for the whole advisory window until expiry,
/// the fleet makes 27 calls a second on average, against 229 with the doubling backoff this
/// crate used before (0.5–1 s doubling to 30–60 s), and no request fails while the credentials
/// are valid. The last try before expiry means an outage that ends before then costs no failed
/// request, however long the backoff.
///
/// Expired credentials are not served, because an expired STS session has no grace: services
/// refuse it (`ExpiredToken`), so serving it would turn an STS outage into failed requests
/// against every service, each retried by the SDK, instead of one clear error. The rule comes
/// from instance credentials: aws-config's instance-metadata provider, when IMDS fails or
/// hands back expired credentials, keeps serving the last ones with an expiry 10 to 15 minutes
/// on (aws-config 1.13.0, `imds/credentials.rs`). Once the credentials have expired, every
/// caller fails until a retry succeeds, so the retries come quickly: the fleet is fresh 16 s
/// after an outage that ends at expiry, and 59 s after one that outlasts it. The price is a
/// burst when a fleet's credentials expire together: 1,707 calls in the busiest second for
/// the fleet above (the first retries after its common expiry), which STS may throttle, and
/// throttling is retried with the same backoff. [`RefreshPolicy::backoff`] and
/// [`RefreshPolicy::expired_backoff`] set both backoffs; `BENCHMARKS.md` part 9 has the
/// figures side by side (`cargo bench --bench fleet`).
///
/// [`RefreshPolicy::backoff`]: crate::RefreshPolicy::backoff
/// [`RefreshPolicy::expired_backoff`]: crate::RefreshPolicy::expired_backoff
///
/// ## Clocks that disagree with STS's
///
/// The provider reads STS's time from the `Date` of its answers and judges the credentials'
/// remaining life on STS's clock. A machine clock hours ahead of STS's therefore neither finds
/// fresh credentials expired (and calls STS on every load, as a provider that trusts its clock
/// does) nor is given dead ones; a clock behind STS's refreshes before STS expires the
/// credentials.
///
/// A `Date` is truncated to the second and stamped somewhere between the moment the request
/// left and the moment the answer came back, so it gives STS's clock as a range, not a point.
/// The provider judges with the end of that range that makes the credentials expire soonest by
/// this machine's clock: whatever STS's clock really read, credentials are never served past
/// their true expiry. A thousandth of the life left is kept too, for this machine's clock
/// drifting from STS's after the last `Date` (3.6 s an hour; twice the drift an unsynchronised
/// clock is allowed), and no credentials are judged to last longer than the duration asked
/// for, whatever a clock behind STS's with no `Date` to tell would say. When the two clocks
/// agree, that takes up to a second and the round trip, and that thousandth, off the
/// credentials' life as the provider judges it: [`Status::expiry`](crate::Status::expiry) is
/// then that much before the credentials' own
/// [`expiry`](aws_credential_types::Credentials::expiry), never after it. A skew that is
/// surely there, a minute or more beyond the range's uncertainty, is logged once, with its
/// size. Two limits remain, as for the AWS CLI, botocore and every SDK: a clock set back after
/// STS's last answer stretches the credentials by as much, and a new process that reads a
/// cache entry before any answer cannot know its clock is behind STS's. When STS's time
/// cannot be known (its answers carry no readable `Date`), credentials that have no more than
/// the mandatory window of a full session left by this machine's clock are refused with
/// [`Error::ExpiredOnArrival`](crate::Error::ExpiredOnArrival): never served, and STS is called
/// again with the backoff, not on every call.
///
/// ## When a service rejects the credentials
///
/// Credentials can die before their expiry (a session revoked, a key deactivated). An SDK
/// client with [`heal_on_rejection`](crate::AssumeRoleProvider::heal_on_rejection) as an
/// interceptor tells the provider when a service answers `ExpiredToken`,
/// `InvalidClientTokenId` or another of the codes [`HealOnRejection`](crate::HealOnRejection) lists: the
/// provider drops exactly those credentials (only while they are its current ones) and
/// fetches new ones, once for a storm of rejections; as a retry classifier too, it has the
/// rejected request retried with the new credentials.
///
/// ```no_run
/// # fn demo(provider: sts_assume_role::AssumeRoleProvider, config: &aws_types::SdkConfig) {
/// let heal = provider.heal_on_rejection();
/// let sts = aws_sdk_sts::Client::from_conf(
///     aws_sdk_sts::config::Builder::from(config)
///         .credentials_provider(provider)
///         .interceptor(heal.clone())
///         .retry_classifier(heal)
///         .build(),
/// );
/// # }
/// ```
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
