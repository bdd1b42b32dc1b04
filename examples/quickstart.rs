//! Assume a role that requires MFA, then call AWS as that role.
//!
//! Runs against the crate's mock STS, in this process, so it needs no AWS account:
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! To run it against AWS: load your own configuration instead of the mock's
//! (`aws_config::load_from_env().await`), use your role ARN and MFA device, and make
//! `mfa_code_from_authenticator` ask the user for a code.

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use sts_assume_role::AssumeRoleRequest;
use sts_assume_role::test_util::MockSts;

/// The role to assume. Its trust policy (in the mock) requires MFA.
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/demo-admin";

/// The demo MFA device's TOTP secret, shared by the mock STS and the "phone" below.
/// A real secret lives only in the authenticator app.
const DEMO_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// Stands in for the user's authenticator app: returns the current six-digit code.
///
/// In a real program, ask the user instead, for example by reading a line from stdin.
fn mfa_code_from_authenticator() -> String {
    let secret = totp_rs::Secret::try_from_base32(DEMO_TOTP_SECRET).expect("the demo secret");
    let totp = totp_rs::Builder::new()
        .with_secret(secret)
        .build()
        .expect("the demo secret is long enough");
    totp.generate_current().to_string()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A mock STS whose MFA device follows the demo secret, and a role that requires MFA.
    let mock = MockSts::builder()
        .totp_secret_base32(DEMO_TOTP_SECRET)
        .start()
        .await;
    mock.require_mfa(ROLE_ARN);
    let sdk_config = mock.sdk_config(); // With AWS: aws_config::load_from_env().await
    let mfa_serial = mock.mfa_serial_number();
    println!("Assuming role       {ROLE_ARN}");

    // 1. The request. Every parameter is checked here, before anything is sent.
    let token_code = mfa_code_from_authenticator();
    println!("MFA code obtained   for {mfa_serial}");
    let request = AssumeRoleRequest::builder()
        .role_arn(ROLE_ARN)
        .role_session_name("quickstart")
        .serial_number(mfa_serial)
        .token_code(token_code)
        .build()?;

    // 2. STS AssumeRole, signed with our own credentials.
    let sts = aws_sdk_sts::Client::new(&sdk_config);
    let assumed = request.send(&sts).await?;
    let credentials = assumed.credentials().clone();
    let expires = DateTime::from(assumed.expiration()).fmt(Format::DateTime)?;
    println!("Access key ID       {}", credentials.access_key_id());
    println!("Expires             {expires}");

    // 3. Any AWS SDK client can now act as the role: here, STS GetCallerIdentity.
    let as_role = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(&sdk_config)
            .credentials_provider(credentials)
            .build(),
    );
    let identity = as_role.get_caller_identity().send().await?;
    println!("Caller identity     {}", identity.arn().unwrap_or("?"));
    Ok(())
}
