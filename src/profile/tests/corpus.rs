//! The profile fuzz target's inputs (`fuzz/seeds/profile_files/`, `fuzz/regressions/
//! profile_files/`), resolved: what the fuzz check can no longer see through the public API.
//! A resolved chain is the selected profile's and ends with its role, and its `Debug` shows
//! no secret of the files (every secret, and every `credential_process` command line, is
//! replaced by a marker that must not appear).

use std::path::Path;

use crate::profile::{Environment, from_profile};

const MARKER: &str = "SeCrEt\u{2603}MaRkEr";
const CONFIG: &str = "/fuzz/config";
const CREDENTIALS: &str = "/fuzz/credentials";

/// The text with the value of every secret key replaced by [`MARKER`] (as the fuzz check
/// does).
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

/// Resolves `profile` from the two texts; the chain's `Debug` when it resolves.
async fn resolve(profile: &str, config: &str, credentials: &str) -> Option<String> {
    let environment = Environment::from_vars([
        ("HOME", "/home/fuzz"),
        ("AWS_CONFIG_FILE", CONFIG),
        ("AWS_SHARED_CREDENTIALS_FILE", CREDENTIALS),
    ])
    .with_files([(CONFIG, config), (CREDENTIALS, credentials)]);
    let mut builder = from_profile(profile).environment(environment);
    let chain = builder.resolve().await.ok()?;
    assert_eq!(chain.profile(), profile);
    let last = chain.roles().last().expect("a resolved chain has a role");
    assert_eq!(last.profile(), profile, "the last role is the selected one");
    let shown = format!("{chain:?}");
    Some(format!("{shown} / {builder:?}"))
}

fn inputs(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.is_file())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn every_chain_the_fuzz_inputs_resolve_is_the_selected_profiles_and_shows_no_secret() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = inputs(&fuzz.join("seeds").join("profile_files"));
    files.extend(inputs(&fuzz.join("regressions").join("profile_files")));
    let mut resolved = 0;
    for path in &files {
        let data = std::fs::read(path).unwrap();
        let Ok(text) = std::str::from_utf8(&data) else {
            continue;
        };
        // `profile name` NUL `config` NUL `credentials`, as the fuzz check reads it.
        let mut parts = text.splitn(3, '\0');
        let profile = parts.next().unwrap_or_default().trim();
        let config = parts.next().unwrap_or_default();
        let credentials = parts.next().unwrap_or_default();
        if profile.is_empty() || profile.len() > 64 || text.contains(MARKER) {
            continue;
        }
        if resolve(profile, config, credentials).await.is_some() {
            resolved += 1;
        }
        if let Some(shown) = resolve(profile, &marked(config), &marked(credentials)).await {
            assert!(
                !shown.contains(MARKER),
                "{}: a secret of the files is shown: {shown}",
                path.display()
            );
        }
    }
    // Most seeds are chains that resolve; a corpus where none does would check nothing.
    assert!(
        resolved >= 5,
        "only {resolved} of {} inputs resolved",
        files.len()
    );
}
