//! `request_params`: every AssumeRole parameter through [`AssumeRoleRequest::builder`].
//!
//! The input is text, one parameter a line, the first character naming it:
//!
//! ```text
//! Rarn:aws:iam::123456789012:role/demo     RoleArn (the last R line; "" when none)
//! Ssession                                  RoleSessionName (the last; generated when none)
//! Parn:aws:iam::aws:policy/ReadOnlyAccess   PolicyArns, one a line
//! J{"Version":"2012-10-17"}                 Policy (the last)
//! D3600                                     DurationSeconds, a u32 (the last)
//! Tkey<TAB>value                            Tags, one a line
//! Kkey                                      TransitiveTagKeys, one a line
//! Eexternal-id                              ExternalId (the last)
//! Narn:aws:iam::123456789012:mfa/alice      SerialNumber (the last)
//! C123456                                   TokenCode (the last)
//! Ialice                                    SourceIdentity (the last)
//! Xarn:aws:iam::aws:contextProvider/IdentityCenter<TAB>assertion   ProvidedContexts
//! B                                         set the lists after the scalars, not before
//! ```
//!
//! Scalar parameters given twice are set twice; the last value counts. Checked:
//!
//! - nothing panics;
//! - `build` succeeds exactly when every value is valid on its own (checked by rules
//!   written here from the documentation) and the rules between parameters hold;
//! - Ok: the accessors return what was given, `Debug` shows every other value given and
//!   not the token code;
//! - Err: at least one error, in parameter order, one for each invalid value or broken rule
//!   at the position of the entry at fault (and only there); no error depends on the token
//!   code's digits, so none shows them;
//! - the order of the setters' calls changes nothing.

use std::collections::HashSet;
use std::time::Duration;

use sts_assume_role::{AssumeRoleRequest, AssumeRoleRequestBuilder, Parameter, ValidationErrors};

#[derive(Debug, Default, Clone)]
struct Given {
    role_arn: Vec<String>,
    session_name: Vec<String>,
    policy_arns: Vec<String>,
    policy: Vec<String>,
    duration: Vec<u32>,
    tags: Vec<(String, String)>,
    transitive_tag_keys: Vec<String>,
    external_id: Vec<String>,
    serial_number: Vec<String>,
    token_code: Vec<String>,
    source_identity: Vec<String>,
    provided_contexts: Vec<(String, String)>,
    bulk: bool,
}

fn pair(s: &str) -> (String, String) {
    match s.split_once('\t') {
        Some((a, b)) => (a.to_owned(), b.to_owned()),
        None => (s.to_owned(), String::new()),
    }
}

fn parse(text: &str) -> Given {
    let mut g = Given::default();
    for line in text.split('\n') {
        let mut chars = line.chars();
        let Some(tag) = chars.next() else { continue };
        let v = chars.as_str();
        match tag {
            'R' => g.role_arn.push(v.to_owned()),
            'S' => g.session_name.push(v.to_owned()),
            'P' => g.policy_arns.push(v.to_owned()),
            'J' => g.policy.push(v.to_owned()),
            'D' => {
                if let Ok(n) = v.parse::<u32>() {
                    g.duration.push(n);
                }
            }
            'T' => g.tags.push(pair(v)),
            'K' => g.transitive_tag_keys.push(v.to_owned()),
            'E' => g.external_id.push(v.to_owned()),
            'N' => g.serial_number.push(v.to_owned()),
            'C' => g.token_code.push(v.to_owned()),
            'I' => g.source_identity.push(v.to_owned()),
            'X' => g.provided_contexts.push(pair(v)),
            'B' => g.bulk = true,
            _ => {}
        }
    }
    g
}

fn lists(mut b: AssumeRoleRequestBuilder, g: &Given) -> AssumeRoleRequestBuilder {
    for v in &g.policy_arns {
        b = b.policy_arn(v.as_str());
    }
    for (k, v) in &g.tags {
        b = b.tag(k.as_str(), v.as_str());
    }
    for v in &g.transitive_tag_keys {
        b = b.transitive_tag_key(v.as_str());
    }
    b
}

/// Builds the request from `g`, setting the lists after the scalars when `lists_last`.
fn build(g: &Given, lists_last: bool) -> Result<AssumeRoleRequest, ValidationErrors> {
    let role_arn = g.role_arn.last().map_or("", String::as_str);
    let mut b = match g.session_name.last() {
        Some(name) => AssumeRoleRequest::builder(role_arn, name.as_str()),
        None => AssumeRoleRequest::builder_with_generated_name(role_arn),
    };
    if !lists_last {
        b = lists(b, g);
    }
    for v in &g.policy {
        b = b.policy(v.as_str());
    }
    for v in &g.duration {
        b = b.duration(Duration::from_secs(u64::from(*v)));
    }
    for v in &g.external_id {
        b = b.external_id(v.as_str());
    }
    for v in &g.serial_number {
        b = b.serial_number(v.as_str());
    }
    for v in &g.token_code {
        b = b.token_code(v.as_str());
    }
    for v in &g.source_identity {
        b = b.source_identity(v.as_str());
    }
    for (p, c) in &g.provided_contexts {
        b = b.provided_context(p.as_str(), c.as_str());
    }
    if lists_last {
        b = lists(b, g);
    }
    b.build()
}

// The rules of each parameter, written from the documentation (the types' doc comments and
// the STS API reference), independently of the crate's code.

fn chars_in(v: &str, min: usize, max: usize, allowed: impl Fn(char) -> bool) -> bool {
    (min..=max).contains(&v.chars().count()) && v.chars().all(allowed)
}
/// `[\w+=,.@-]`, `\w` being ASCII letters, digits and `_`.
fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}
/// `[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]`.
fn arn_char(c: char) -> bool {
    let n = c as u32;
    matches!(n, 0x9 | 0xA | 0xD | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}
fn valid_arn(v: &str) -> bool {
    chars_in(v, 20, 2048, arn_char) && v.starts_with("arn:")
}
/// An IAM role's ARN: `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`.
fn valid_role_arn(v: &str) -> bool {
    let Some(rest) = v.strip_prefix("arn:") else {
        return false;
    };
    let fields: Vec<&str> = rest.splitn(5, ':').collect();
    let [partition, "iam", "", account, resource] = fields[..] else {
        return false;
    };
    let partition_ok = partition == "aws"
        || partition.strip_prefix("aws-").is_some_and(|words| {
            words
                .split('-')
                .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase()))
        });
    let account_ok = account.len() == 12 && account.chars().all(|c| c.is_ascii_digit());
    let Some(path_name) = resource.strip_prefix("role/") else {
        return false;
    };
    let name = path_name.rsplit('/').next().unwrap_or_default();
    let path = &path_name[..path_name.len() - name.len()];
    let name_ok = (1..=64).contains(&name.chars().count()) && name.chars().all(name_char);
    let path_ok = path.len() <= 510 && path.chars().all(|c| ('!'..='~').contains(&c));
    valid_arn(v) && partition_ok && account_ok && name_ok && path_ok
}
fn valid_session_name(v: &str) -> bool {
    chars_in(v, 2, 64, name_char)
}
fn valid_policy(v: &str) -> bool {
    let policy_char = |c: char| matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xFF);
    chars_in(v, 1, 2048, policy_char)
        && matches!(serde_json::from_str(v), Ok(serde_json::Value::Object(_)))
}
fn valid_external_id(v: &str) -> bool {
    chars_in(v, 2, 1224, |c| name_char(c) || ":/".contains(c))
}
fn valid_serial_number(v: &str) -> bool {
    chars_in(v, 9, 256, |c| name_char(c) || ":/".contains(c))
}
fn valid_source_identity(v: &str) -> bool {
    chars_in(v, 2, 64, name_char) && !v.to_ascii_lowercase().starts_with("aws:")
}
fn valid_provider_arn(v: &str) -> bool {
    chars_in(v, 20, 2048, arn_char)
}
fn valid_context_assertion(v: &str) -> bool {
    chars_in(v, 4, 2048, arn_char)
}
fn valid_token_code(v: &str) -> bool {
    let t = v.trim();
    t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit())
}
fn valid_duration(secs: u32) -> bool {
    (900..=43_200).contains(&secs)
}
// Tag characters are `[\p{L}\p{Z}\p{N}_.:/=+\-@]`, which std cannot spell: the crate's own
// rule decides them (a request with that one tag), with the lengths checked here.
fn tag_rejected(key: &str, value: &str, part: Parameter) -> bool {
    AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/fuzz", "fuzz")
        .tag(key, value)
        .build()
        .is_err_and(|errors| errors.contains(part))
}
fn valid_tag_key(v: &str) -> bool {
    let ok = !tag_rejected(v, "", Parameter::TagKey(Some(1)));
    if ok {
        assert!(
            (1..=128).contains(&v.chars().count()),
            "tag key of {} characters",
            v.chars().count()
        );
    }
    ok
}
fn valid_tag_value(v: &str) -> bool {
    let ok = !tag_rejected("k", v, Parameter::TagValue(Some(1)));
    if ok {
        assert!(
            v.chars().count() <= 256,
            "tag value of {} characters",
            v.chars().count()
        );
    }
    ok
}

/// Unicode simple case folding (statuses C and S of `CaseFolding.txt`), for the characters
/// whose simple folding std's mappings do not give directly: a key folds character by
/// character and keeps its length.
fn simple_fold(key: &str) -> String {
    key.chars()
        .map(|c| {
            let mut upper = c.to_uppercase();
            let u = match (upper.next(), upper.next()) {
                (Some(u), None) => u,
                _ => c,
            };
            let mut lower = u.to_lowercase();
            match (c, lower.next(), lower.next()) {
                // Folded only by the Turkic rules (status T).
                ('ı', _, _) => c,
                (_, Some(l), None) => l,
                _ => u,
            }
        })
        .collect()
}

/// The rank of a parameter in the STS API reference, the documented order of the errors.
fn rank(p: Parameter) -> (u8, usize) {
    let r = match p {
        Parameter::RoleArn => 0,
        Parameter::RoleSessionName => 1,
        Parameter::PolicyArns | Parameter::PolicyArn(_) => 2,
        Parameter::Policy | Parameter::SessionPolicies => 3,
        Parameter::DurationSeconds => 4,
        Parameter::Tags | Parameter::TagKey(_) | Parameter::TagValue(_) => 5,
        Parameter::TransitiveTagKeys | Parameter::TransitiveTagKey(_) => 6,
        Parameter::ExternalId => 7,
        Parameter::SerialNumber => 8,
        Parameter::TokenCode => 9,
        Parameter::SourceIdentity => 10,
        Parameter::ProvidedContexts
        | Parameter::ProviderArn(_)
        | Parameter::ContextAssertion(_) => 11,
        _ => 12,
    };
    (r, p.index().unwrap_or(0))
}

/// The same digits shifted by one: a code of the same shape and another value.
fn other_code(code: &str) -> String {
    code.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_digit((d + 1) % 10, 10).unwrap(),
            None => c,
        })
        .collect()
}

pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let g = parse(text);
    let result = build(&g, g.bulk);

    // The parameters' own rules, and the rules between them.
    let role_arn = g.role_arn.last().cloned().unwrap_or_default();
    let session_name = g.session_name.last();
    let policy = g.policy.last();
    let duration = g.duration.last().copied();
    let external_id = g.external_id.last();
    let serial_number = g.serial_number.last();
    let token_code = g.token_code.last();
    let source_identity = g.source_identity.last();

    let mut invalid: Vec<Parameter> = Vec::new();
    let mut need = |ok: bool, p: Parameter| {
        if !ok {
            invalid.push(p);
        }
    };
    need(valid_role_arn(&role_arn), Parameter::RoleArn);
    need(
        session_name.is_none_or(|v| valid_session_name(v)),
        Parameter::RoleSessionName,
    );
    for (i, v) in g.policy_arns.iter().enumerate() {
        need(valid_arn(v), Parameter::PolicyArn(Some(i + 1)));
    }
    need(policy.is_none_or(|v| valid_policy(v)), Parameter::Policy);
    need(
        duration.is_none_or(valid_duration),
        Parameter::DurationSeconds,
    );
    for (i, (k, v)) in g.tags.iter().enumerate() {
        need(valid_tag_key(k), Parameter::TagKey(Some(i + 1)));
        need(valid_tag_value(v), Parameter::TagValue(Some(i + 1)));
    }
    for (i, k) in g.transitive_tag_keys.iter().enumerate() {
        need(valid_tag_key(k), Parameter::TransitiveTagKey(Some(i + 1)));
    }
    need(
        external_id.is_none_or(|v| valid_external_id(v)),
        Parameter::ExternalId,
    );
    need(
        serial_number.is_none_or(|v| valid_serial_number(v)),
        Parameter::SerialNumber,
    );
    need(
        token_code.is_none_or(|v| valid_token_code(v)),
        Parameter::TokenCode,
    );
    need(
        source_identity.is_none_or(|v| valid_source_identity(v)),
        Parameter::SourceIdentity,
    );
    for (i, (p, c)) in g.provided_contexts.iter().enumerate() {
        need(valid_provider_arn(p), Parameter::ProviderArn(Some(i + 1)));
        need(
            valid_context_assertion(c),
            Parameter::ContextAssertion(Some(i + 1)),
        );
    }
    // Between parameters.
    let valid_tag_keys: Vec<&str> = g
        .tags
        .iter()
        .filter(|(k, v)| valid_tag_key(k) && valid_tag_value(v))
        .map(|(k, _)| k.as_str())
        .collect();
    need(g.policy_arns.len() <= 10, Parameter::PolicyArns);
    // The plaintext of the valid session policies, inline and managed, is at most 2048
    // characters in all.
    let session_policy_chars = policy
        .filter(|v| valid_policy(v))
        .map_or(0, |v| v.chars().count())
        + g.policy_arns
            .iter()
            .filter(|v| valid_arn(v))
            .map(|v| v.chars().count())
            .sum::<usize>();
    need(session_policy_chars <= 2048, Parameter::SessionPolicies);
    need(g.tags.len() <= 50, Parameter::Tags);
    need(
        g.transitive_tag_keys.len() <= 50,
        Parameter::TransitiveTagKeys,
    );
    need(g.provided_contexts.len() <= 5, Parameter::ProvidedContexts);
    // A tag whose key repeats an earlier one's (ignoring case) is wrong at its own position;
    // so is a transitive key that is no (valid) tag's key.
    let mut seen = HashSet::new();
    let mut duplicate_tags = Vec::new();
    for (i, (k, v)) in g.tags.iter().enumerate() {
        if valid_tag_key(k) && valid_tag_value(v) && !seen.insert(simple_fold(k)) {
            duplicate_tags.push(i + 1);
        }
    }
    for &i in &duplicate_tags {
        need(false, Parameter::TagKey(Some(i)));
    }
    let mut stray_keys = Vec::new();
    for (i, k) in g.transitive_tag_keys.iter().enumerate() {
        if valid_tag_key(k) && !valid_tag_keys.contains(&k.as_str()) {
            stray_keys.push(i + 1);
        }
    }
    for &i in &stray_keys {
        need(false, Parameter::TransitiveTagKey(Some(i)));
    }
    need(
        token_code.is_none() || serial_number.is_some(),
        Parameter::TokenCode,
    );

    match &result {
        Ok(request) => {
            assert!(
                invalid.is_empty(),
                "built although {invalid:?} break the rules: {g:?}"
            );
            check_accessors(request, &g);
        }
        Err(errors) => {
            assert!(
                !invalid.is_empty(),
                "rejected although valid: {errors}\n{g:?}"
            );
            check_errors(errors, &invalid);
            // An error at a position names an entry that is wrong there.
            for e in errors {
                let Some(i) = e.parameter().index() else {
                    continue;
                };
                let at = i.checked_sub(1);
                let wrong = match e.parameter() {
                    Parameter::PolicyArn(_) => at
                        .and_then(|j| g.policy_arns.get(j))
                        .is_some_and(|v| !valid_arn(v)),
                    Parameter::TagKey(_) => {
                        at.and_then(|j| g.tags.get(j))
                            .is_some_and(|(k, _)| !valid_tag_key(k))
                            || duplicate_tags.contains(&i)
                    }
                    Parameter::TagValue(_) => at
                        .and_then(|j| g.tags.get(j))
                        .is_some_and(|(_, v)| !valid_tag_value(v)),
                    Parameter::TransitiveTagKey(_) => {
                        at.and_then(|j| g.transitive_tag_keys.get(j))
                            .is_some_and(|k| !valid_tag_key(k))
                            || stray_keys.contains(&i)
                    }
                    Parameter::ProviderArn(_) => at
                        .and_then(|j| g.provided_contexts.get(j))
                        .is_some_and(|(p, _)| !valid_provider_arn(p)),
                    Parameter::ContextAssertion(_) => at
                        .and_then(|j| g.provided_contexts.get(j))
                        .is_some_and(|(_, c)| !valid_context_assertion(c)),
                    _ => true,
                };
                assert!(
                    wrong,
                    "the error names a position whose entry is fine: {e}\n{g:?}"
                );
            }
        }
    }

    // The order of the setters changes nothing. A generated session name carries the clock,
    // so the requests compare only when one was given.
    if g.session_name.is_empty() {
        let other = build(&g, !g.bulk);
        assert_eq!(other.is_ok(), result.is_ok());
        if let (Err(a), Err(b)) = (&result, &other) {
            assert_eq!(a, b, "the order of the setters matters");
        }
    } else {
        assert_eq!(
            build(&g, !g.bulk),
            result,
            "the order of the setters matters"
        );
    }

    // The token code's digits change nothing but the code itself: no error shows them, and
    // `Debug` does not either.
    if let Some(code) = token_code {
        let mut twin_given = g.clone();
        *twin_given.token_code.last_mut().unwrap() = other_code(code);
        let twin = build(&twin_given, g.bulk);
        match (&result, &twin) {
            (Ok(request), Ok(twin)) => {
                // Generated names may differ by a second; with a name given, the requests
                // differ by their codes alone, which `Debug` does not show.
                if !g.session_name.is_empty() {
                    assert_ne!(twin, request, "the code is part of the request");
                    assert_eq!(
                        format!("{twin:?}"),
                        format!("{request:?}"),
                        "Debug shows the token code"
                    );
                    // A code is trimmed (a typed newline), as documented: the same code
                    // given without the whitespace makes the same request.
                    let mut trimmed_given = g.clone();
                    *trimmed_given.token_code.last_mut().unwrap() = code.trim().to_owned();
                    assert_eq!(
                        build(&trimmed_given, g.bulk).as_ref(),
                        Ok(request),
                        "the token code is not trimmed"
                    );
                }
            }
            (Err(errors), Err(twin_errors)) => {
                let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
                let twin_shown: Vec<String> = twin_errors.iter().map(ToString::to_string).collect();
                assert_eq!(
                    shown, twin_shown,
                    "an error depends on the token code's digits"
                );
                let trimmed = code.trim();
                if valid_token_code(code) {
                    for (e, t) in shown.iter().zip(&twin_shown) {
                        // The code in an error is there by accident only if the other code
                        // leaves it there too (it is part of another value).
                        assert!(
                            !e.contains(trimmed) || t.contains(trimmed),
                            "an error shows the token code: {e}"
                        );
                    }
                }
            }
            _ => panic!("the token code's digits decide whether the request builds"),
        }
    }
}

fn check_accessors(request: &AssumeRoleRequest, g: &Given) {
    assert_eq!(
        request.role_arn(),
        g.role_arn.last().map_or("", String::as_str)
    );
    match g.session_name.last() {
        Some(name) => assert_eq!(request.role_session_name(), name),
        None => {
            let name = request.role_session_name();
            let secs = name
                .strip_prefix("sts-assume-role-")
                .expect("the generated form");
            assert!(secs.bytes().all(|b| b.is_ascii_digit()), "{name}");
            assert!(
                valid_session_name(name),
                "a generated name must be valid: {name}"
            );
        }
    }
    assert_eq!(
        request.serial_number(),
        g.serial_number.last().map(String::as_str)
    );
    assert_eq!(
        request.duration(),
        g.duration
            .last()
            .map(|d| Duration::from_secs(u64::from(*d)))
    );
    // The values held re-parse to themselves (a generated name included).
    let again = AssumeRoleRequest::builder(request.role_arn(), request.role_session_name())
        .build()
        .expect("the role ARN and session name held are valid");
    assert_eq!(again.role_arn(), request.role_arn());
    assert_eq!(again.role_session_name(), request.role_session_name());
    if let Some(serial) = request.serial_number() {
        let again = AssumeRoleRequest::builder(request.role_arn(), request.role_session_name())
            .serial_number(serial)
            .build()
            .expect("the serial number held is valid");
        assert_eq!(again.serial_number(), Some(serial));
    }

    // Every other value given is held: `Debug` shows it, as given.
    let shown = format!("{request:?}");
    let mut given: Vec<&String> = Vec::new();
    given.extend(&g.policy_arns);
    given.extend(g.policy.last());
    given.extend(g.tags.iter().flat_map(|(k, v)| [k, v]));
    given.extend(&g.transitive_tag_keys);
    given.extend(g.external_id.last());
    given.extend(g.source_identity.last());
    given.extend(g.provided_contexts.iter().flat_map(|(p, c)| [p, c]));
    for v in given {
        assert!(
            shown.contains(&format!("{v:?}")),
            "{v:?} is not in the request: {shown}"
        );
    }
}

fn check_errors(errors: &ValidationErrors, invalid: &[Parameter]) {
    assert!(errors.len() >= 1);
    assert_eq!(errors.iter().count(), errors.len());
    let joined: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.to_string(), joined.join("; "));
    let ranks: Vec<(u8, usize)> = errors.iter().map(|e| rank(e.parameter())).collect();
    assert!(ranks.is_sorted(), "errors out of parameter order: {errors}");
    for e in errors {
        assert_eq!(
            e.to_string(),
            format!("{}: {}, got {}", e.parameter(), e.rule(), e.found())
        );
    }
    // Each broken rule is reported, at its position.
    for p in invalid {
        assert!(errors.contains(*p), "no error for {p}: {errors}");
    }
}
