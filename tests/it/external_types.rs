//! The foreign types the public API names are the ones `external-types.toml` lists, each with
//! its reason: read from `public-api.txt`, which `.ci/run` checks against the code.

use std::collections::BTreeSet;
use std::path::Path;

/// Paths of other crates in `text`: `crate::module::Item`, `core`, `alloc`, `std` and this
/// crate left out.
fn foreign_paths(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts = (bytes[i].is_ascii_lowercase() || bytes[i] == b'_')
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < bytes.len()
            && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_' || bytes[j] == b':')
        {
            j += 1;
        }
        let path = text[i..j].trim_end_matches(':');
        if path.contains("::") {
            let root = path.split("::").next().unwrap_or_default();
            if !matches!(root, "core" | "alloc" | "std" | "sts_assume_role") {
                found.insert(path.to_owned());
            }
        }
        i = j.max(i + 1);
    }
    found
}

/// The quoted entries of `allowed_external_types`.
fn allowed(toml: &str) -> Vec<String> {
    toml.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.strip_prefix('"'))
        .filter_map(|l| l.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_foreign_type_in_the_public_api_is_listed_and_every_listed_one_is_used() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let api = std::fs::read_to_string(root.join("public-api.txt")).unwrap();
    let list = allowed(&std::fs::read_to_string(root.join("external-types.toml")).unwrap());
    assert!(!list.is_empty(), "external-types.toml lists nothing");
    let used = foreign_paths(&api);
    // A method path (`CredentialsError::from`) counts as its type.
    let unlisted: Vec<&String> = used
        .iter()
        .filter(|p| {
            !list
                .iter()
                .any(|a| *p == a || p.starts_with(&format!("{a}::")))
        })
        .collect();
    assert!(
        unlisted.is_empty(),
        "foreign types in the public API not in external-types.toml (list them with a reason, \
         or keep them out of the API): {unlisted:?}"
    );
    let stale: Vec<&String> = list
        .iter()
        .filter(|a| {
            !used
                .iter()
                .any(|p| p == *a || p.starts_with(&format!("{a}::")))
        })
        .collect();
    assert!(
        stale.is_empty(),
        "listed but not in the public API: {stale:?}"
    );
}

#[test]
fn the_path_reader_finds_foreign_paths_only() {
    let found = foreign_paths(
        "pub fn sts_assume_role::X::f(&self, core::time::Duration) -> aws_types::sdk_config::SdkConfig",
    );
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["aws_types::sdk_config::SdkConfig"]
    );
}
