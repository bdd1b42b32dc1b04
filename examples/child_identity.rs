//! A child process that gets a role's credentials from its parent's credentials endpoint.
//!
//! ```text
//! cargo run --example child_identity
//! ```
//!
//! The parent starts the crate's mock STS, a provider for a role, and a
//! [`CredentialsEndpoint`] serving it; then runs this same program as its child with the
//! endpoint's environment. The child is an ordinary AWS SDK program: its default credentials
//! chain finds the endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI`), as it would in ECS, and it
//! prints who it is. Any program using an AWS SDK or the AWS CLI can be the child.
//!
//! `child_identity child` is the child alone: for each line read on standard input it calls
//! `GetCallerIdentity` and prints `ok ARN` or `error MESSAGE`, until the input ends.

use std::io::{BufRead, Write};
use std::process::{Command, Stdio};

use aws_config::BehaviorVersion;
use aws_smithy_types::error::display::DisplayErrorContext;
use sts_assume_role::process::CredentialsEndpoint;
use sts_assume_role::test_util::MockSts;
use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().nth(1).as_deref() == Some("child") {
        child().await
    } else {
        parent().await
    }
}

/// Starts a mock STS, a provider for a role and an endpoint serving it, then this program as
/// a child asking who it is.
async fn parent() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockSts::start().await; // With AWS: your own configuration and role
    let request =
        AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/deploy", "parent").build()?;
    let provider = AssumeRoleProvider::builder(request, &mock.sdk_config()).build()?;
    let endpoint = CredentialsEndpoint::start(provider)?;

    let mut command = Command::new(std::env::current_exe()?);
    endpoint.child_env().apply(&mut command);
    let mut child = command
        .arg("child")
        // The mock stands in for STS; a real child needs neither variable.
        .env("AWS_ENDPOINT_URL_STS", mock.endpoint_url())
        .env("AWS_REGION", "us-east-1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    // A blocking wait would stall the runtime serving the endpoint: wait on a thread.
    let output = tokio::task::spawn_blocking(move || {
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(b"\n")?; // one question; closing stdin ends the child
        }
        child.wait_with_output()
    })
    .await??;
    print!("child: {}", String::from_utf8_lossy(&output.stdout));
    Ok(())
}

/// An ordinary SDK program: the default chain, one `GetCallerIdentity` per input line.
async fn child() -> Result<(), Box<dyn std::error::Error>> {
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let sts = aws_sdk_sts::Client::new(&config);
    let mut stdout = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        line?;
        match sts.get_caller_identity().send().await {
            Ok(identity) => writeln!(stdout, "ok {}", identity.arn().unwrap_or("?"))?,
            Err(e) => writeln!(stdout, "error {}", DisplayErrorContext(&e))?,
        }
        stdout.flush()?;
    }
    Ok(())
}
