//! Profile files: two arbitrary texts as the config and credentials files, built into a
//! provider for a profile named by the input. Never panics; an error's location names one of
//! the two files; and no message or `Debug` shows a secret
//! of the files (checked by replacing every secret, and every `credential_process` command
//! line, which may hold one, with a marker and looking for the marker).
//!
//! The resolved chain itself is crate-private: that it is the selected profile's, ends with
//! its role and shows no secret in `Debug` is checked on this target's seeds and regressions
//! by the unit test `profile::tests::corpus`.

use std::sync::OnceLock;

use sts_assume_role::profile::{Environment, ProfileErrorKind, from_profile};

const MARKER: &str = "SeCrEt\u{2603}MaRkEr";
const CONFIG: &str = "/fuzz/config";
const CREDENTIALS: &str = "/fuzz/credentials";

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
    })
}

/// The text with the value of every secret key replaced by [`MARKER`].
fn marked(text: &str) -> String {
    text.lines()
        .map(|line| match line.split_once('=') {
            Some((key, _))
                if matches!(
                    key.trim().to_ascii_lowercase().as_str(),
                    "aws_secret_access_key" | "aws_session_token" | "credential_process"
                ) =>
            {
                format!("{key}= {MARKER}")
            }
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Resolves `profile` from the two files; every text it shows, and the outcome's gist.
fn resolve(profile: &str, config: &str, credentials: &str) -> String {
    let environment = Environment::from_vars([
        ("HOME", "/home/fuzz"),
        ("AWS_CONFIG_FILE", CONFIG),
        ("AWS_SHARED_CREDENTIALS_FILE", CREDENTIALS),
    ])
    .with_files([(CONFIG, config), (CREDENTIALS, credentials)]);
    // Offline STS settings: building never calls STS, and never loads the SDK's defaults.
    let sts = aws_types::SdkConfig::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .build();
    let builder = from_profile(profile)
        .environment(environment)
        .sdk_config(&sts);
    let builder_shown = format!("{builder:?}");
    let shown = match runtime().block_on(builder.build()) {
        Ok(provider) => format!("{provider:?} / {:?}", provider.status()),
        Err(err) => {
            let shown = format!(
                "{err} / {err:?} / {}",
                aws_smithy_types::error::display::DisplayErrorContext(&err)
            );
            if let Some(file) = err.file() {
                assert!(file == CONFIG || file == CREDENTIALS, "{shown}");
            }
            if err.kind() == ProfileErrorKind::MissingProfile {
                assert!(err.missing_profile().is_some(), "{shown}");
            }
            shown
        }
    };
    format!("{shown} / {builder_shown}")
}

pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.contains(MARKER) {
        return;
    }
    // `profile name` NUL `config` NUL `credentials`
    let mut parts = text.splitn(3, '\0');
    let profile = parts.next().unwrap_or_default().trim();
    let config = parts.next().unwrap_or_default();
    let credentials = parts.next().unwrap_or_default();
    if profile.is_empty() || profile.len() > 64 {
        return;
    }
    resolve(profile, config, credentials);
    let shown = resolve(profile, &marked(config), &marked(credentials));
    assert!(
        !shown.contains(MARKER),
        "a secret of the files is shown: {shown}"
    );
}
