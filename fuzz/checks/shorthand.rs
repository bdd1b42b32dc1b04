//! `shorthand`: the `assume-role` example's readers of AWS CLI list flags (shorthand syntax
//! `Key=a,Value=b` and JSON), from `examples/assume_role/shorthand.rs`.
//!
//! The input is split at newlines into the values of one flag. Nothing panics, the readers
//! agree with each other, and values written in any of the documented forms read back as
//! written.

// The example's module, as the example itself includes it. The path is relative to this
// file, so it is the same for every crate that includes `checks/mod.rs`.
#[path = "../../examples/assume_role/shorthand.rs"]
#[allow(dead_code, clippy::all)]
mod shorthand;

use serde_json::json;

use self::shorthand::{shorthand, strings, structures, structures_in};

const TAGS: [&str; 2] = ["Key", "Value"];
const CONTEXTS: [&str; 2] = ["ProviderArn", "ContextAssertion"];

pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let values: Vec<String> = text.split('\n').take(16).map(str::to_owned).collect();

    // Every reader, on every value: none may panic, and they must agree.
    let tags = structures("--tags", &values, TAGS);
    let contexts = structures("--provided-contexts", &values, CONTEXTS);
    check_structures_agree("--tags", &values, TAGS, &tags);
    check_structures_agree("--provided-contexts", &values, CONTEXTS, &contexts);
    for (i, value) in values.iter().enumerate() {
        let arns = structures_in("--policy-arns", i + 1, value, ["arn"]);
        if let Err(e) = &arns {
            assert!(
                e.to_string()
                    .starts_with(&format!("--policy-arns: value {}: ", i + 1)),
                "{e}"
            );
        }
        check_pairs(value);
    }
    let keys = strings("--transitive-tag-keys", &values);
    if let Ok(keys) = &keys {
        let one_by_one: Vec<String> = values
            .iter()
            .flat_map(|v| strings("--transitive-tag-keys", std::slice::from_ref(v)).unwrap())
            .collect();
        assert_eq!(keys, &one_by_one, "strings() of all values vs one by one");
    }
    for value in &values {
        if !value.trim_start().starts_with('[') {
            let got = strings("--transitive-tag-keys", std::slice::from_ref(value));
            assert_eq!(
                got.as_deref(),
                Ok(std::slice::from_ref(value)),
                "a plain string"
            );
        }
    }

    // Values written in each documented form read back as written.
    let (a, b) = match values.as_slice() {
        [a, b, ..] => (a.clone(), b.clone()),
        [one] => {
            let mid = one
                .char_indices()
                .nth(one.chars().count() / 2)
                .map_or(one.len(), |(i, _)| i);
            (one[..mid].to_owned(), one[mid..].to_owned())
        }
        [] => unreachable!("split gives at least one piece"),
    };
    check_round_trips(&a, &b);
}

/// `structures` of several values is `structures_in` of each, concatenated (or the first
/// error); a value not in JSON reads exactly as its shorthand pairs say.
fn check_structures_agree(
    flag: &'static str,
    values: &[String],
    members: [&str; 2],
    got: &Result<Vec<[String; 2]>, shorthand::FlagError>,
) {
    let mut want = Vec::new();
    let mut first_error = None;
    for (i, value) in values.iter().enumerate() {
        let one = structures_in(flag, i + 1, value, members);
        match &one {
            Ok(list) => want.extend(list.iter().cloned()),
            Err(e) => {
                assert!(
                    e.to_string()
                        .starts_with(&format!("{flag}: value {}: ", i + 1)),
                    "{e}"
                );
                first_error.get_or_insert_with(|| e.clone());
            }
        }
        let trimmed = value.trim_start();
        if trimmed.starts_with('[') || trimmed.starts_with('{') {
            continue;
        }
        // Shorthand: exactly the two members, once each, in any order.
        let from_pairs = shorthand(value).ok().and_then(|pairs| {
            let mut found: [Option<String>; 2] = [None, None];
            for (name, v) in pairs {
                let slot = members.iter().position(|m| *m == name)?;
                if found[slot].replace(v).is_some() {
                    return None;
                }
            }
            let [Some(x), Some(y)] = found else {
                return None;
            };
            Some([x, y])
        });
        assert_eq!(
            one.ok(),
            from_pairs.map(|s| vec![s]),
            "{flag} {value:?}: structures_in vs shorthand"
        );
    }
    match (got, first_error) {
        (Ok(list), None) => assert_eq!(list, &want),
        (Err(e), Some(first)) => assert_eq!(e, &first),
        (got, first) => panic!("{flag}: structures gave {got:?}, the values one by one {first:?}"),
    }
}

/// What `shorthand` makes of one value: names are trimmed, non-empty, without `,` or `=`.
fn check_pairs(value: &str) {
    if let Ok(pairs) = shorthand(value) {
        assert!(!pairs.is_empty());
        for (name, _) in &pairs {
            assert!(
                !name.is_empty() && name.trim() == name && !name.contains([',', '=']),
                "not a member name: {name:?} in {value:?}"
            );
        }
    }
}

fn escaped(s: &str, special: &[char]) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if special.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn check_round_trips(a: &str, b: &str) {
    let want_pairs = vec![
        ("Key".to_owned(), a.to_owned()),
        ("Value".to_owned(), b.to_owned()),
    ];
    let want = vec![[a.to_owned(), b.to_owned()]];
    let tags = |v: String| structures("--tags", &[v], TAGS);

    // Simple alphanumeric values: `Key=a,Value=b`.
    let simple = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric());
    if simple(a) && simple(b) {
        let text = format!("Key={a},Value={b}");
        assert_eq!(shorthand(&text), Ok(want_pairs.clone()), "{text:?}");
        assert_eq!(tags(text.clone()).ok(), Some(want.clone()), "{text:?}");
    }

    // Any values, quoted with `"` or `'`, the quote and the backslash escaped.
    for q in ['"', '\''] {
        let text = format!(
            "Key={q}{}{q},Value={q}{}{q}",
            escaped(a, &[q, '\\']),
            escaped(b, &[q, '\\'])
        );
        assert_eq!(shorthand(&text), Ok(want_pairs.clone()), "{text:?}");
        let spaced = format!(
            " Value = {q}{}{q} , Key = {q}{}{q} ",
            escaped(b, &[q, '\\']),
            escaped(a, &[q, '\\'])
        );
        assert_eq!(tags(spaced.clone()).ok(), Some(want.clone()), "{spaced:?}");
    }

    // Unquoted values without surrounding whitespace, with `,`, quotes and `\` escaped;
    // whitespace around names and values is dropped.
    let bare = |s: &str| s.trim() == s;
    if bare(a) && bare(b) {
        let special = [',', '\\', '"', '\''];
        let text = format!(
            "Key={},Value={}",
            escaped(a, &special),
            escaped(b, &special)
        );
        assert_eq!(shorthand(&text), Ok(want_pairs.clone()), "{text:?}");
        let spaced = format!(
            "  Key = {} ,\tValue =  {}  ",
            escaped(a, &special),
            escaped(b, &special)
        );
        assert_eq!(shorthand(&spaced), Ok(want_pairs.clone()), "{spaced:?}");
    }

    // JSON: one object, or an array of objects.
    let object = json!({"Key": a, "Value": b});
    assert_eq!(
        tags(object.to_string()).ok(),
        Some(want.clone()),
        "{object}"
    );
    let array = json!([object, {"Value": b, "Key": a}]);
    assert_eq!(
        tags(array.to_string()).ok(),
        Some([want.clone(), want.clone()].concat()),
        "{array}"
    );
    let contexts = json!([{"ProviderArn": a, "ContextAssertion": b}]).to_string();
    assert_eq!(
        structures(
            "--provided-contexts",
            std::slice::from_ref(&contexts),
            CONTEXTS
        )
        .ok(),
        Some(want),
        "{contexts}"
    );
    let arns = json!([{"arn": a}, {"arn": b}]).to_string();
    assert_eq!(
        structures_in("--policy-arns", 1, &arns, ["arn"]).ok(),
        Some(vec![[a.to_owned()], [b.to_owned()]]),
        "{arns}"
    );

    // Strings: a JSON array of strings.
    let list = json!([a, b]).to_string();
    assert_eq!(
        strings("--transitive-tag-keys", std::slice::from_ref(&list)).ok(),
        Some(vec![a.to_owned(), b.to_owned()]),
        "{list}"
    );
}
