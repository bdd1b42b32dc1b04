//! An HTTP client that takes every request to the mock, whatever its URL.

use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// The SDK's default HTTP client, with each request's scheme and authority replaced by the
/// mock's (path and query kept).
#[derive(Debug)]
pub(super) struct ToMock {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    endpoint: String,
    inner: SharedHttpClient,
}

impl ToMock {
    pub(super) fn new(endpoint: &str) -> Self {
        let inner = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .build_https();
        Self {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            inner,
        }
    }
}

impl HttpClient for ToMock {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(ToMockConnector {
            endpoint: self.endpoint.clone(),
            inner: self.inner.http_connector(settings, components),
        })
    }
}

#[derive(Debug)]
struct ToMockConnector {
    endpoint: String,
    inner: SharedHttpConnector,
}

impl HttpConnector for ToMockConnector {
    fn call(&self, mut request: HttpRequest) -> HttpConnectorFuture {
        let uri = redirect(&self.endpoint, request.uri());
        if let Err(error) = request.set_uri(uri) {
            return HttpConnectorFuture::ready(Err(
                aws_smithy_runtime_api::client::result::ConnectorError::user(error.into()),
            ));
        }
        self.inner.call(request)
    }
}

/// `endpoint` followed by the path and query of `uri`.
fn redirect(endpoint: &str, uri: &str) -> String {
    let after_scheme = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let path = after_scheme
        .find(['/', '?'])
        .map_or("/", |at| &after_scheme[at..]);
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_owned()
    };
    format!("{endpoint}{path}")
}

#[cfg(test)]
mod tests {
    use super::redirect;

    #[test]
    fn a_redirect_keeps_path_and_query_and_replaces_the_rest() {
        let mock = "http://127.0.0.1:4000";
        assert_eq!(
            redirect(mock, "https://sts.us-east-1.amazonaws.com"),
            "http://127.0.0.1:4000/"
        );
        assert_eq!(
            redirect(mock, "https://sts.amazonaws.com/"),
            "http://127.0.0.1:4000/"
        );
        assert_eq!(
            redirect(mock, "https://sts.amazonaws.com/a/b?x=1"),
            "http://127.0.0.1:4000/a/b?x=1"
        );
        assert_eq!(
            redirect(mock, "https://sts.amazonaws.com?x=1"),
            "http://127.0.0.1:4000/?x=1"
        );
    }
}
