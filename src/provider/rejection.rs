//! [`HealOnRejection`]: SDK clients that tell the provider when a service rejected its
//! credentials, so it fetches new ones by itself.

use std::fmt;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef, InterceptorContext,
};
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::{Request, Response};
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_smithy_types::retry::ErrorKind;

use super::Handle;

/// The error codes by which AWS services say the credentials of a request are expired, revoked
/// or unknown: `ExpiredToken` (and `ExpiredTokenException`), `InvalidClientTokenId`,
/// `UnrecognizedClientException` (JSON protocols), `RequestExpired`, and S3's `InvalidToken`
/// and `TokenRefreshRequired`.
pub(crate) const REJECTION_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "RequestExpired",
    "InvalidToken",
    "TokenRefreshRequired",
];

/// Makes an SDK client heal the provider it uses: when a service rejects a request because its
/// credentials are expired or revoked (`ExpiredToken`, `InvalidClientTokenId`,
/// `UnrecognizedClientException`, `RequestExpired`, S3's `InvalidToken` and
/// `TokenRefreshRequired`), the provider forgets exactly those
/// credentials and fetches new ones, as [`invalidate`](crate::AssumeRoleProvider::invalidate)
/// would, with no code of yours.
///
/// Add it to any service's config as an interceptor: it notes which credentials sign each
/// request and invalidates them when the answer rejects them. Add it as a retry classifier too
/// (it needs the interceptor) and the rejected request is retried, with the new credentials,
/// when the client retries at all and within its retry quota (a storm beyond the standard
/// strategy's token bucket fails once, as without the classifier):
///
/// ```no_run
/// # fn demo(provider: sts_assume_role::AssumeRoleProvider, config: &aws_types::SdkConfig) {
/// let heal = provider.heal_on_rejection();
/// let sts = aws_sdk_sts::Client::from_conf(
///     aws_sdk_sts::config::Builder::from(config)
///         .credentials_provider(provider)
///         .interceptor(heal.clone()) // the one line
///         .retry_classifier(heal) // and retry what was rejected
///         .build(),
/// );
/// # }
/// ```
///
/// Single flight holds: a rejection only invalidates the credentials that signed the rejected
/// request, and only while they are the provider's current ones, so a thousand requests
/// rejected at once cause one refresh, and a late rejection of old credentials never drops new
/// ones. The rejected credentials are never served again (not from a credential cache either).
#[derive(Clone)]
pub struct HealOnRejection {
    handle: Handle,
}

impl fmt::Debug for HealOnRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealOnRejection")
            .field("provider", &self.handle)
            .finish()
    }
}

impl HealOnRejection {
    pub(crate) fn new(handle: Handle) -> Self {
        Self { handle }
    }

    /// When the attempt was rejected for its credentials: the access key ID that signed it
    /// (which the request, gone by then, left on the response).
    fn rejected(response: Option<&Response>) -> Option<String> {
        let response = response?;
        let code = rejection_code(response)?;
        let SignedWith(key) = response.extension::<SignedWith>()?;
        tracing::debug!(code, "a service rejected the credentials of a request");
        Some(key.clone())
    }

    fn heal(&self, key: &str) -> bool {
        self.handle.invalidate_if(key)
    }
}

/// The access key ID an attempt was signed with: kept in the attempt's config bag when the
/// request goes out, then on the response, where the hooks after the attempt (and retry
/// classifiers) can see it.
#[derive(Clone, Debug)]
struct SignedWith(String);

impl Storable for SignedWith {
    type Storer = StoreReplace<Self>;
}

impl Intercept for HealOnRejection {
    fn name(&self) -> &'static str {
        "sts_assume_role::HealOnRejection"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(key) = signing_key(context.request()) {
            cfg.interceptor_state()
                .store_put(SignedWith(key.to_owned()));
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(signed) = cfg.load::<SignedWith>() {
            context.response_mut().add_extension(signed.clone());
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(key) = Self::rejected(context.response()) {
            self.heal(&key);
        }
        Ok(())
    }
}

impl ClassifyRetry for HealOnRejection {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match Self::rejected(ctx.response()) {
            Some(key) => {
                // The interceptor has invalidated them already (this finds them gone and does
                // nothing); the retry resolves the credentials again, and gets new ones.
                self.heal(&key);
                RetryAction::retryable_error(ErrorKind::TransientError)
            }
            None => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "sts_assume_role::HealOnRejection"
    }
}

/// The access key ID a request was signed with, from its SigV4 (or SigV4a) `Authorization`
/// header or its presigned `X-Amz-Credential`.
pub(crate) fn signing_key(request: &Request) -> Option<&str> {
    let credential = match request.headers().get("authorization") {
        Some(auth) => auth.split_once("Credential=")?.1,
        None => request.uri().split_once("X-Amz-Credential=")?.1,
    };
    let key = credential.split(['/', '%']).next()?;
    (!key.is_empty()).then_some(key)
}

/// The code of a response that rejects a request's credentials, if it is one: a 400, 401 or
/// 403 whose error code (in `x-amzn-ErrorType`, `x-amzn-query-error`, an XML `<Code>` or a
/// JSON `__type` / `code`) is one of [`REJECTION_CODES`].
pub(crate) fn rejection_code(response: &Response) -> Option<&'static str> {
    if !matches!(response.status().as_u16(), 400 | 401 | 403) {
        return None;
    }
    let known = |code: &str| REJECTION_CODES.iter().copied().find(|c| *c == code.trim());
    for header in ["x-amzn-errortype", "x-amzn-query-error"] {
        if let Some(value) = response.headers().get(header) {
            // `Code:uri`, `Code;Sender`, or `namespace#Code`.
            let code = value.split([':', ';']).next().unwrap_or(value);
            let code = code.rsplit('#').next().unwrap_or(code);
            if let Some(code) = known(code) {
                return Some(code);
            }
        }
    }
    let body = std::str::from_utf8(response.body().bytes()?).ok()?;
    if let Some(rest) = body.split_once("<Code>").map(|(_, rest)| rest)
        && let Some((code, _)) = rest.split_once("</Code>")
    {
        return known(code);
    }
    let json: serde_json::Value = serde_json::from_str(body).ok()?;
    ["__type", "code", "Code"]
        .iter()
        .filter_map(|field| json.get(field)?.as_str())
        .map(|code| code.rsplit('#').next().unwrap_or(code))
        .find_map(known)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::body::SdkBody;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        let status = status.try_into().unwrap();
        let mut response = Response::new(status, SdkBody::from(body.to_owned()));
        for (name, value) in headers {
            response
                .headers_mut()
                .insert(name.to_ascii_lowercase(), (*value).to_owned());
        }
        response
    }

    #[test]
    fn rejections_are_read_from_every_protocol() {
        let xml = "<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code>\
                   <Message>The security token included in the request is expired</Message>\
                   </Error></ErrorResponse>";
        assert_eq!(
            rejection_code(&response(400, &[], xml)),
            Some("ExpiredToken")
        );
        let s3 = "<Error><Code>InvalidToken</Code><Message>The provided token is malformed</Message></Error>";
        assert_eq!(
            rejection_code(&response(400, &[], s3)),
            Some("InvalidToken")
        );
        let json =
            r#"{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"x"}"#;
        assert_eq!(
            rejection_code(&response(400, &[], json)),
            Some("UnrecognizedClientException")
        );
        let header = [(
            "x-amzn-ErrorType",
            "ExpiredTokenException:http://internal.amazon.com/",
        )];
        assert_eq!(
            rejection_code(&response(400, &header, "")),
            Some("ExpiredTokenException")
        );
        let query = [("x-amzn-query-error", "InvalidClientTokenId;Sender")];
        assert_eq!(
            rejection_code(&response(403, &query, "")),
            Some("InvalidClientTokenId")
        );
    }

    #[test]
    fn other_errors_and_statuses_are_not_rejections() {
        let denied = "<Error><Code>AccessDenied</Code></Error>";
        assert_eq!(rejection_code(&response(403, &[], denied)), None);
        let expired = "<Error><Code>ExpiredToken</Code></Error>";
        assert_eq!(rejection_code(&response(500, &[], expired)), None);
        assert_eq!(rejection_code(&response(200, &[], expired)), None);
        assert_eq!(rejection_code(&response(400, &[], "not a body")), None);
        let sneaky =
            "<Error><Code>AccessDenied</Code><Message><Code>ExpiredToken</Code></Message></Error>";
        assert_eq!(rejection_code(&response(403, &[], sneaky)), None);
    }

    #[test]
    fn the_signing_key_is_read_from_the_authorization_header() {
        let request = |auth: &str| {
            let mut r = Request::new(SdkBody::empty());
            r.headers_mut().insert("authorization", auth.to_owned());
            r
        };
        let auth = "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261202/us-east-1/sts/aws4_request, \
                    SignedHeaders=host;x-amz-date, Signature=abc";
        assert_eq!(signing_key(&request(auth)), Some("ASIAEXAMPLE"));
        assert_eq!(signing_key(&request("Bearer token")), None);
        assert_eq!(
            signing_key(&request("AWS4-HMAC-SHA256 Credential=/x")),
            None
        );
    }
}
