//! The crate's modules form layers, read top to bottom: a module may use the ones below it and
//! never one above, so there is no import cycle. `lib.rs` is the root: it re-exports from
//! every layer and is not one.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Lowest first. A module may use itself and every module before it.
const LAYERS: &[&str] = &[
    "clock",
    "request",
    "mfa",
    "error",
    "assume",
    "cache",
    "provider",
    "profile",
    "process",
    "test_util",
    "docs",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments (doc comments link across layers freely).
fn code(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first path segment after each `crate::` (and `$crate::`), `crate::{a, b::c}` giving
/// `a` and `b`.
fn modules_used(code: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    used.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            used.insert(name);
        }
    }
    used
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|m| *m == module)
}

#[test]
fn no_module_uses_a_module_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut checked = 0;
    let mut wrong = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_str()
            .unwrap()
            .trim_end_matches(".rs")
            .to_owned();
        // Unit tests may use any layer (the mock STS above all): they are not the library.
        let is_test = relative
            .components()
            .any(|c| c.as_os_str() == "tests" || c.as_os_str() == "tests.rs");
        if top == "lib" || is_test {
            continue;
        }
        let Some(own) = layer_of(&top) else {
            panic!(
                "{}: module `{top}` is in no layer; add it to LAYERS",
                relative.display()
            );
        };
        checked += 1;
        for used in modules_used(&code(&std::fs::read_to_string(file).unwrap())) {
            match layer_of(&used) {
                Some(layer) if layer <= own => {}
                Some(_) => wrong.push(format!(
                    "{} uses `{used}`, a layer above",
                    relative.display()
                )),
                // A name re-exported at the root (`crate::Error`) hides which layer it is in.
                None => wrong.push(format!(
                    "{} uses `crate::{used}`: name the module it lives in",
                    relative.display()
                )),
            }
        }
    }
    assert!(checked > 30, "only {checked} files found under src/");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_scanner_sees_every_form_of_a_crate_path() {
    let found = modules_used(
        "use crate::cache::{A, B};\nuse crate::{error::Error, mfa};\n$crate::provider::fetch::Subject",
    );
    let want: BTreeSet<String> = ["cache", "error", "mfa", "provider"]
        .map(String::from)
        .into();
    assert_eq!(found, want);
    assert!(modules_used(&code("/// [`x`](crate::profile::X)\nfn f() {}")).is_empty());
}
