//! STS query-protocol response documents.

use std::time::{Duration, SystemTime};

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use aws_smithy_xml::encode::{ScopeWriter, XmlWriter};

use super::faults::StsError;

const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// An element: text, or child elements. Text is escaped when written.
#[derive(Debug)]
pub(super) enum Xml {
    Text(&'static str, String),
    Node(&'static str, Vec<Xml>),
}

impl Xml {
    pub(super) fn text(name: &'static str, value: impl Into<String>) -> Self {
        Xml::Text(name, value.into())
    }

    fn write(&self, parent: &mut ScopeWriter<'_, '_>) {
        match self {
            Xml::Text(name, value) => parent.start_el(name).finish().data(value),
            Xml::Node(name, children) => {
                let mut scope = parent.start_el(name).finish();
                for child in children {
                    child.write(&mut scope);
                }
            }
        }
    }
}

/// `<{action}Response><{action}Result>…</…Result><ResponseMetadata>…</…></…Response>`.
pub(super) fn success(action: &str, result: Vec<Xml>, request_id: &str) -> String {
    let response = format!("{action}Response");
    let result_name = format!("{action}Result");
    let mut out = String::new();
    {
        let mut writer = XmlWriter::new(&mut out);
        let mut root = writer
            .start_el(&response)
            .write_ns(NAMESPACE, None)
            .finish();
        {
            let mut scope = root.start_el(&result_name).finish();
            for element in &result {
                element.write(&mut scope);
            }
        }
        Xml::Node("ResponseMetadata", vec![Xml::text("RequestId", request_id)]).write(&mut root);
    }
    out
}

/// The `ErrorResponse` document, with `RequestId` beside `Error`.
pub(super) fn error(error: &StsError, request_id: &str) -> String {
    let mut out = String::new();
    {
        let mut writer = XmlWriter::new(&mut out);
        let mut root = writer
            .start_el("ErrorResponse")
            .write_ns(NAMESPACE, None)
            .finish();
        Xml::Node(
            "Error",
            vec![
                Xml::text("Type", error.error_type()),
                Xml::text("Code", error.code.as_str()),
                Xml::text("Message", error.message.as_str()),
            ],
        )
        .write(&mut root);
        Xml::text("RequestId", request_id).write(&mut root);
    }
    out
}

/// The `Credentials` element.
pub(super) fn credentials(
    access_key_id: &str,
    secret_access_key: &str,
    session_token: &str,
    expiration: SystemTime,
) -> Xml {
    Xml::Node(
        "Credentials",
        vec![
            Xml::text("AccessKeyId", access_key_id),
            Xml::text("SecretAccessKey", secret_access_key),
            Xml::text("SessionToken", session_token),
            Xml::text("Expiration", timestamp(expiration)),
        ],
    )
}

/// `t` truncated to whole seconds.
pub(super) fn whole_seconds(t: SystemTime) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(unix_secs(t))
}

/// Seconds since the Unix epoch (0 before it).
pub(super) fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// RFC 3339 in whole seconds, `YYYY-MM-DDTHH:MM:SSZ`.
fn timestamp(t: SystemTime) -> String {
    let secs = i64::try_from(unix_secs(t)).unwrap_or(i64::MAX);
    DateTime::from_secs(secs)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| "9999-12-31T23:59:59Z".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_document_puts_request_id_beside_error_and_escapes_text() {
        let body = error(&StsError::access_denied("a <b> & \"c\""), "rid");
        assert_eq!(
            body,
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
             <Error><Type>Sender</Type><Code>AccessDenied</Code>\
             <Message>a &lt;b&gt; &amp; &quot;c&quot;</Message></Error>\
             <RequestId>rid</RequestId></ErrorResponse>"
        );
    }

    #[test]
    fn timestamps_are_whole_seconds_rfc3339() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_767_225_600_500);
        assert_eq!(timestamp(t), "2026-01-01T00:00:00Z");
    }
}
