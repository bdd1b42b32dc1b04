//! Act as a role that requires MFA, with credentials that refresh themselves.
//!
//! Runs against the crate's mock STS, in this process, so it needs no AWS account:
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! To run it against AWS: load your own configuration instead of the mock's
//! (`aws_config::load_defaults(BehaviorVersion::latest()).await`), use your role ARN and MFA device, and replace the
//! TOTP source with `TerminalPrompt::new()` to ask the person at the keyboard.

use aws_config::BehaviorVersion;
use aws_config::identity::IdentityCache;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use sts_assume_role::mfa::Totp;
use sts_assume_role::test_util::{Action, MockSts};
use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest};

/// The role to assume. Its trust policy (in the mock) requires MFA.
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/demo-admin";

/// The demo MFA device's TOTP secret, shared by the mock STS and the "phone" below.
/// A real secret lives only in the authenticator app.
const DEMO_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A mock STS whose MFA device follows the demo secret, and a role that requires MFA.
    let mock = MockSts::builder()
        .totp_secret_base32(DEMO_TOTP_SECRET)
        .start()
        .await;
    mock.require_mfa(ROLE_ARN);
    let base = mock.sdk_config(); // With AWS: aws_config::load_defaults(BehaviorVersion::latest()).await
    println!("Role                {ROLE_ARN}");

    // 1. The request. Every parameter is checked here, before anything is sent.
    let request = AssumeRoleRequest::builder(ROLE_ARN, "quickstart")
        .serial_number(mock.mfa_serial_number())
        .build()?;

    // 2. A provider that asks for an MFA code exactly when it needs one. Here a TOTP
    //    generator stands in for the user's phone.
    let provider = AssumeRoleProvider::builder(request, &base)
        .mfa(Totp::from_base32(DEMO_TOTP_SECRET)?)
        .build()?;
    let credentials = provider.prefetch().await?; // the MFA code is asked for here
    let expires = DateTime::from(credentials.expiry().unwrap_or(std::time::UNIX_EPOCH));
    println!("MFA code            obtained from the TOTP source and used once");
    println!("Access key ID       {}", credentials.access_key_id());
    println!("Expires             {}", expires.fmt(Format::DateTime)?);

    // 3. Any AWS SDK client can now act as the role, refreshed in the background.
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(base.region().cloned())
        .endpoint_url(mock.endpoint_url())
        .credentials_provider(provider)
        .identity_cache(IdentityCache::no_cache()) // the provider caches by itself
        .load()
        .await;
    let sts = aws_sdk_sts::Client::new(&config);
    for _ in 0..3 {
        let identity = sts.get_caller_identity().send().await?;
        println!("Caller identity     {}", identity.arn().unwrap_or("?"));
    }
    println!(
        "STS calls           {} AssumeRole for {} requests",
        mock.calls(Action::AssumeRole),
        mock.calls(Action::GetCallerIdentity)
    );
    Ok(())
}
