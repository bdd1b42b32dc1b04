//! How the provider gets new credentials: one STS AssumeRole call.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::{AssumeRoleRequest, AssumedRole, Error};

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Fetches a fresh set of credentials. Runs on a spawned task, so the future is `'static`.
pub(crate) trait Fetch: Send + Sync + fmt::Debug + 'static {
    fn fetch(&self) -> BoxFuture<Result<AssumedRole, Error>>;

    /// The role, for logs.
    fn role_arn(&self) -> &str;
}

/// AssumeRole through an STS client.
#[derive(Debug)]
pub(crate) struct StsFetch {
    pub(crate) client: aws_sdk_sts::Client,
    pub(crate) request: AssumeRoleRequest,
}

impl Fetch for StsFetch {
    fn fetch(&self) -> BoxFuture<Result<AssumedRole, Error>> {
        let client = self.client.clone();
        let request = self.request.clone();
        Box::pin(async move { request.send(&client).await })
    }

    fn role_arn(&self) -> &str {
        self.request.role_arn().as_str()
    }
}
