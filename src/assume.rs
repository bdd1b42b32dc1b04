//! Sending an [`AssumeRoleRequest`] through `aws_sdk_sts` and reading the answer.

use std::fmt;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::RequestId;
use aws_sdk_sts::types::{PolicyDescriptorType, ProvidedContext, Tag};
use aws_smithy_runtime_api::client::result::ConnectorError;

use crate::error::{Error, StsErrorCode};
use crate::request::AssumeRoleRequest;

/// The name this crate's credentials carry as their provider.
pub(crate) const PROVIDER_NAME: &str = "AssumeRoleProvider";

/// The assumed-role user STS reports: `AssumedRoleUser` in the AssumeRole answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssumedRoleUser {
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    pub arn: String,
    /// `AROA…:SESSION`.
    pub assumed_role_id: String,
}

/// What a successful AssumeRole returns.
///
/// `Debug` shows the access key ID and the expiry; the secret key and the session token are
/// redacted (as by [`Credentials`]' own `Debug`).
#[derive(Clone)]
pub struct AssumedRole {
    credentials: Credentials,
    assumed_role_user: AssumedRoleUser,
    packed_policy_size: Option<u32>,
    source_identity: Option<String>,
    session_token_utilization: Option<u32>,
    session_token_size: Option<u32>,
}

impl fmt::Debug for AssumedRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssumedRole")
            .field("credentials", &self.credentials)
            .field("assumed_role_user", &self.assumed_role_user)
            .field("packed_policy_size", &self.packed_policy_size)
            .field("source_identity", &self.source_identity)
            .field("session_token_utilization", &self.session_token_utilization)
            .field("session_token_size", &self.session_token_size)
            .finish()
    }
}

impl AssumedRole {
    /// The temporary credentials, with their expiry and account ID set.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Takes the credentials out.
    pub fn into_credentials(self) -> Credentials {
        self.credentials
    }

    /// When the credentials expire.
    pub fn expiration(&self) -> SystemTime {
        // Always set: `from_output` fills it from STS's `Expiration`.
        self.credentials.expiry().unwrap_or(SystemTime::UNIX_EPOCH)
    }

    /// The assumed-role user: its ARN and ID.
    pub fn assumed_role_user(&self) -> &AssumedRoleUser {
        &self.assumed_role_user
    }

    /// `PackedPolicySize`: how full the packed session policies and tags are, in percent of
    /// STS's limit. Present when the request carried session policies or tags. Deprecated by
    /// STS since 2026-06-17 in favour of
    /// [`session_token_utilization`](Self::session_token_utilization), which STS sends beside
    /// it.
    pub fn packed_policy_size(&self) -> Option<u32> {
        self.packed_policy_size
    }

    /// `SessionTokenUtilization`: how much of the largest session token STS allows this one
    /// uses, in percent. Past 100 % STS refuses the request (`PackedPolicyTooLarge`); a
    /// provider warns, once, past a threshold you set
    /// ([`token_utilization_warning`](crate::AssumeRoleProviderBuilder::token_utilization_warning)).
    pub fn session_token_utilization(&self) -> Option<u32> {
        self.session_token_utilization
    }

    /// `SessionTokenSize`: the size of the session token, in bytes (at least the request's
    /// `MinimumSessionTokenSize`).
    pub fn session_token_size(&self) -> Option<u32> {
        self.session_token_size
    }

    /// `SourceIdentity`, if the request set one.
    pub fn source_identity(&self) -> Option<&str> {
        self.source_identity.as_deref()
    }

    /// Reads the SDK's output.
    pub(crate) fn from_output(
        out: aws_sdk_sts::operation::assume_role::AssumeRoleOutput,
    ) -> Result<Self, Error> {
        let user = out
            .assumed_role_user
            .filter(|u| !u.arn.is_empty() && !u.assumed_role_id.is_empty())
            .ok_or(Error::IncompleteResponse("AssumedRoleUser"))?;
        let creds = out
            .credentials
            .ok_or(Error::IncompleteResponse("Credentials"))?;
        let account_id = account_of(&user.arn);
        let credentials = sdk_credentials(creds, account_id)?;
        Ok(Self {
            credentials,
            assumed_role_user: AssumedRoleUser {
                arn: user.arn,
                assumed_role_id: user.assumed_role_id,
            },
            // STS now also reports SessionTokenUtilization; PackedPolicySize is still sent.
            #[allow(deprecated)]
            packed_policy_size: out.packed_policy_size.and_then(|n| u32::try_from(n).ok()),
            source_identity: out.source_identity,
            session_token_utilization: out
                .session_token_utilization
                .and_then(|n| u32::try_from(n).ok()),
            session_token_size: out.session_token_size.and_then(|n| u32::try_from(n).ok()),
        })
    }
}

/// Turns STS's credentials into `aws_credential_types` ones.
pub(crate) fn sdk_credentials(
    creds: aws_sdk_sts::types::Credentials,
    account_id: Option<&str>,
) -> Result<Credentials, Error> {
    // The SDK fills missing required fields with defaults (a truncated body parses), so an
    // answer without real values is caught here.
    if creds.access_key_id.is_empty() {
        return Err(Error::IncompleteResponse("Credentials.AccessKeyId"));
    }
    if creds.secret_access_key.is_empty() {
        return Err(Error::IncompleteResponse("Credentials.SecretAccessKey"));
    }
    if creds.session_token.is_empty() {
        return Err(Error::IncompleteResponse("Credentials.SessionToken"));
    }
    let expiry = SystemTime::try_from(creds.expiration)
        .ok()
        .filter(|t| *t > SystemTime::UNIX_EPOCH)
        .ok_or(Error::IncompleteResponse("Credentials.Expiration"))?;
    let mut builder = Credentials::builder()
        .access_key_id(creds.access_key_id)
        .secret_access_key(creds.secret_access_key)
        .session_token(creds.session_token)
        .expiry(expiry)
        .provider_name(PROVIDER_NAME);
    if let Some(account) = account_id {
        builder = builder.account_id(account);
    }
    Ok(builder.build())
}

/// The account ID in an ARN (`arn:partition:service:region:ACCOUNT:resource`).
pub(crate) fn account_of(arn: &str) -> Option<&str> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

impl AssumeRoleRequest {
    /// Calls STS AssumeRole once with this request.
    ///
    /// The client's own credentials are the source; its retry policy applies. For credentials
    /// that stay fresh, use an [`AssumeRoleProvider`](crate::AssumeRoleProvider) instead.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use sts_assume_role::AssumeRoleRequest;
    ///
    /// let sdk_config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    /// let client = aws_sdk_sts::Client::new(&sdk_config);
    /// let assumed = AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/deploy", "deploy")
    ///     .build()?
    ///     .send(&client)
    ///     .await?;
    /// println!("{} until {:?}", assumed.assumed_role_user().arn, assumed.expiration());
    /// # Ok(()) }
    /// ```
    pub async fn send(&self, client: &aws_sdk_sts::Client) -> Result<AssumedRole, Error> {
        let mut op = client
            .assume_role()
            .role_arn(self.role_arn.as_str())
            .role_session_name(self.session_name.as_str());
        for arn in &self.policy_arns {
            op = op.policy_arns(PolicyDescriptorType::builder().arn(arn.as_str()).build());
        }
        if let Some(policy) = &self.policy {
            op = op.policy(policy.as_str());
        }
        if let Some(duration) = self.duration {
            // At most 43200: always fits.
            op = op.duration_seconds(i32::try_from(duration.as_secs()).unwrap_or(i32::MAX));
        }
        for tag in &self.tags {
            let tag = Tag::builder()
                .key(tag.key().as_str())
                .value(tag.value().as_str())
                .build()
                .map_err(|e| Error::Construction(e.into()))?;
            op = op.tags(tag);
        }
        for key in &self.transitive_tag_keys {
            op = op.transitive_tag_keys(key.as_str());
        }
        if let Some(v) = &self.external_id {
            op = op.external_id(v.as_str());
        }
        if let Some(v) = &self.serial_number {
            op = op.serial_number(v.as_str());
        }
        if let Some(v) = &self.token_code {
            op = op.token_code(v.expose());
        }
        if let Some(v) = &self.source_identity {
            op = op.source_identity(v.as_str());
        }
        if let Some(v) = self.minimum_session_token_size {
            // At most 4096: always fits.
            op = op.minimum_session_token_size(i32::try_from(v.as_bytes()).unwrap_or(i32::MAX));
        }
        for c in &self.provided_contexts {
            op = op.provided_contexts(
                ProvidedContext::builder()
                    .provider_arn(c.provider_arn().as_str())
                    .context_assertion(c.context_assertion().as_str())
                    .build(),
            );
        }
        let out = if self.token_code.is_some() {
            // An MFA code is good for one call: the SDK must not send it again on a retry (STS
            // may have used it already). A retryable failure fails the call, and whoever
            // retries asks for a new code.
            op.customize()
                .config_override(
                    aws_sdk_sts::config::Builder::new()
                        .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled()),
                )
                .send()
                .await
        } else {
            op.send().await
        };
        let out = out.map_err(from_sdk_error)?;
        AssumedRole::from_output(out)
    }
}

/// Maps any STS operation's `SdkError` into the crate's [`Error`].
pub(crate) fn from_sdk_error<E, R>(err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + RequestId + std::error::Error + Send + Sync + 'static,
    R: HttpStatus + fmt::Debug + Send + Sync + 'static,
{
    match err {
        SdkError::ServiceError(ctx) => {
            let status = ctx.raw().status_code();
            // Keep the parsed error only: the raw response (whose body may hold credentials)
            // must not reach a `Debug` of this error.
            let err = ctx.into_err();
            let code = err.code().map(str::to_owned);
            let message = err.message().map(str::to_owned);
            let request_id = err.request_id().map(str::to_owned);
            let source: Box<dyn std::error::Error + Send + Sync> = Box::new(err);
            match code {
                Some(code) => Error::Sts {
                    code: StsErrorCode::parse(&code),
                    message,
                    request_id,
                    status,
                    source,
                },
                // A body the SDK could not read as an STS answer or error.
                None if status < 500 => Error::Response(source),
                None => Error::Sts {
                    code: StsErrorCode::Other(format!("HTTP {status}")),
                    message,
                    request_id,
                    status,
                    source,
                },
            }
        }
        SdkError::TimeoutError(_) => Error::Timeout(sans_raw(err)),
        SdkError::DispatchFailure(ref d)
            if d.as_connector_error()
                .is_some_and(ConnectorError::is_timeout) =>
        {
            Error::Timeout(sans_raw(err))
        }
        SdkError::DispatchFailure(_) => Error::Dispatch(sans_raw(err)),
        SdkError::ResponseError(_) => Error::Response(sans_raw(err)),
        SdkError::ConstructionFailure(_) => Error::Construction(sans_raw(err)),
        _ => Error::Dispatch(sans_raw(err)),
    }
}

/// The error's cause without the raw HTTP response it may carry.
fn sans_raw<E, R>(err: SdkError<E, R>) -> Box<dyn std::error::Error + Send + Sync>
where
    E: std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    match err.into_source() {
        Ok(source) => source,
        Err(err) => Box::new(err),
    }
}

/// The HTTP status of a raw response, for error mapping.
pub(crate) trait HttpStatus {
    fn status_code(&self) -> u16;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}
