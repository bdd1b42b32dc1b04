//! Service answers read by `HealOnRejection` (the retry classifier side): a status, an error
//! header and a body. Never panics; and an answer that carries no note of the credentials that
//! signed its request (the interceptor leaves one when it sees the request go) never heals
//! anything, whatever it says.

use std::sync::OnceLock;

use aws_smithy_runtime_api::client::interceptors::context::{Input, InterceptorContext};
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction};
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest, HealOnRejection};

fn heal() -> &'static HealOnRejection {
    static HEAL: OnceLock<HealOnRejection> = OnceLock::new();
    HEAL.get_or_init(|| {
        let sts = aws_types::SdkConfig::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("us-east-1"))
            .build();
        let request = AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/fuzz", "fuzz")
            .build()
            .expect("a valid request");
        AssumeRoleProvider::builder(request, &sts)
            .build()
            .expect("a provider")
            .heal_on_rejection()
    })
}

pub fn check(data: &[u8]) {
    let [pick, header, rest @ ..] = data else {
        return;
    };
    let status = [200u16, 400, 401, 403, 500][usize::from(*pick) % 5];
    let (value, body) = match rest.iter().position(|b| *b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&rest[..0], rest),
    };
    let mut response = Response::new(
        StatusCode::try_from(status).expect("a valid status"),
        SdkBody::from(body.to_vec()),
    );
    let name = ["", "x-amzn-errortype", "x-amzn-query-error"][usize::from(*header) % 3];
    if !name.is_empty()
        && let Ok(value) = std::str::from_utf8(value)
    {
        let _ = response.headers_mut().try_insert(name, value.to_owned());
    }
    let mut ctx = InterceptorContext::new(Input::doesnt_matter());
    ctx.set_response(response);
    let action = heal().classify_retry(&ctx);
    assert_eq!(
        action,
        RetryAction::NoActionIndicated,
        "no signing note, no healing"
    );
}
