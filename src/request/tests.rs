//! Table-driven checks of every AssumeRole parameter's local validation: valid values, each
//! boundary exactly, and invalid values. None of these makes a network call.

use std::time::Duration;

use super::*;

const ARN_PREFIX: &str = "arn:aws:iam::123456789012:role/";

/// An ARN-like string of `n` characters, for the parameters STS checks by length alone.
fn arn_of_len(n: usize) -> String {
    let mut s = "arn:aws:iam::aws:policy/".to_owned();
    while s.len() < n {
        s.push('r');
    }
    s.truncate(n);
    s
}

/// Runs a table: (value, expected valid?).
fn table<T, E: std::fmt::Display>(
    name: &str,
    parse: impl Fn(&str) -> Result<T, E>,
    rows: &[(&str, bool)],
) {
    for (value, valid) in rows {
        let got = parse(value);
        assert_eq!(
            got.is_ok(),
            *valid,
            "{name}: {:?} (len {}) should be {}{}",
            value.chars().take(40).collect::<String>(),
            value.chars().count(),
            if *valid { "valid" } else { "invalid" },
            got.err()
                .map(|e| format!(", got error: {e}"))
                .unwrap_or_default()
        );
    }
}

#[test]
fn role_arn_is_an_iam_role_arn_in_any_partition() {
    let name64 = format!("{ARN_PREFIX}{}", "n".repeat(64));
    let name65 = format!("{ARN_PREFIX}{}", "n".repeat(65));
    // The path is /PATH/ in IAM, at most 512 characters with its two slashes.
    let path512 = format!("{ARN_PREFIX}{}/name", "p".repeat(510));
    let path513 = format!("{ARN_PREFIX}{}/name", "p".repeat(511));
    table(
        "RoleArn",
        |v| RoleArn::new(v),
        &[
            ("arn:aws:iam::123456789012:role/demo", true),
            ("arn:aws-cn:iam::123456789012:role/demo", true),
            ("arn:aws-us-gov:iam::123456789012:role/demo", true),
            ("arn:aws-iso-b:iam::123456789012:role/demo", true),
            (
                "arn:aws:iam::123456789012:role/service-role/ci/deploy",
                true,
            ),
            ("arn:aws:iam::123456789012:role/a+b=c,d.e@f_g-h", true),
            (&name64, true),
            (&path512, true),
            ("", false),
            ("not-an-arn", false),
            ("not-an-arn-but-long-enough", false),
            ("arn:aws:iam::12:role/", false),
            ("arn:aws:iam::12345678901x:role/demo", false),
            ("arn:aws:iam::123456789012:role/", false),
            ("arn:aws:iam::123456789012:user/alice", false),
            ("arn:aws:iam::123456789012:role", false),
            ("arn:aws:s3:::123456789012:role/demo", false),
            ("arn:aws:iam:us-east-1:123456789012:role/demo", false),
            ("arn:AWS:iam::123456789012:role/demo", false),
            ("arn:aws-:iam::123456789012:role/demo", false),
            ("arn:azure:iam::123456789012:role/demo", false),
            ("ARN:aws:iam::123456789012:role/demo", false),
            (&name65, false),
            (&path513, false),
            ("arn:aws:iam::123456789012:role/bad!name", false),
            ("arn:aws:iam::123456789012:role/a path/demo", false),
            ("arn:aws:iam::123456789012:role/bad\u{0}char", false),
        ],
    );
    // Each message names the part that is wrong.
    for (value, message) in [
        (
            "not-an-arn",
            "RoleArn: must be a role ARN, arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME, got 0 of its 5 colons",
        ),
        (
            "arn:aws:iam::12:role/",
            r#"RoleArn: must name a 12-digit account ID, got "12" (2 characters)"#,
        ),
        (
            "arn:aws:iam::123456789012:user/alice",
            r#"RoleArn: must name a role: role/[PATH/]NAME after the account ID, got "user/alice""#,
        ),
        (
            "arn:aws:sts::123456789012:role/demo",
            r#"RoleArn: must name the service iam, got "sts""#,
        ),
    ] {
        let err = RoleArn::new(value).unwrap_err();
        assert_eq!(err.parameter(), Parameter::RoleArn);
        assert_eq!(err.to_string(), message);
    }
}

#[test]
fn session_name_is_2_to_64_word_characters() {
    let s64 = "a".repeat(64);
    let s65 = "a".repeat(65);
    table(
        "RoleSessionName",
        |v| SessionName::new(v),
        &[
            ("ab", true),
            ("a", false),
            ("", false),
            (&s64, true),
            (&s65, false),
            ("alice+bob=x,y.z@corp-1_2", true),
            ("has space", false),
            ("slash/no", false),
            ("colon:no", false),
            ("ünï", false),
        ],
    );
    assert_eq!(
        SessionName::new("a").unwrap_err().to_string(),
        r"RoleSessionName: must be 2-64 characters of [\w+=,.@-], got 1 character"
    );
    assert_eq!(
        SessionName::new("ab!").unwrap_err().to_string(),
        r"RoleSessionName: must be 2-64 characters of [\w+=,.@-], got '!' at position 3"
    );
}

#[test]
fn generated_session_name_is_valid() {
    let name = SessionName::generated(std::time::UNIX_EPOCH + Duration::from_secs(1_795_834_141));
    assert_eq!(name.as_str(), "sts-assume-role-1795834141");
    SessionName::new(name.as_str()).unwrap();
}

#[test]
fn policy_arn_is_20_to_2048_characters() {
    let (a19, a20, a2048, a2049) = (
        arn_of_len(19),
        arn_of_len(20),
        arn_of_len(2048),
        arn_of_len(2049),
    );
    table(
        "PolicyArn",
        |v| PolicyArn::new(v),
        &[
            ("arn:aws:iam::aws:policy/ReadOnlyAccess", true),
            (&a19, false),
            (&a20, true),
            (&a2048, true),
            (&a2049, false),
        ],
    );
}

#[test]
fn policy_is_a_json_object_of_at_most_2048_allowed_characters() {
    let pad = |n: usize| format!("{{\"a\":\"{}\"}}", "x".repeat(n - 8));
    let (p2048, p2049) = (pad(2048), pad(2049));
    assert_eq!(p2048.len(), 2048);
    table(
        "Policy",
        |v| Policy::new(v),
        &[
            (r#"{"Version":"2012-10-17","Statement":[]}"#, true),
            ("{}", true),
            (&p2048, true),
            (&p2049, false),
            ("", false),
            ("[]", false),
            ("\"text\"", false),
            ("{not json", false),
            ("{\"a\":\"\u{100}\"}", false),
            ("{\"a\":\"caf\u{e9}\"}", true),
            ("{\"a\":\t\"tab\"}", true),
        ],
    );
    assert_eq!(
        Policy::new("[]").unwrap_err().to_string(),
        "Policy: must be a JSON object, got a JSON array"
    );
    assert_eq!(
        Policy::new("{oops").unwrap_err().to_string(),
        "Policy: must be a JSON object, got invalid JSON at line 1 column 2"
    );
}

#[test]
fn duration_is_900_to_43200_whole_seconds() {
    for (secs, valid) in [
        (899, false),
        (900, true),
        (3600, true),
        (43_200, true),
        (43_201, false),
        (0, false),
    ] {
        assert_eq!(SessionDuration::from_secs(secs).is_ok(), valid, "{secs}");
    }
    assert!(SessionDuration::new(Duration::from_millis(900_500)).is_err());
    assert_eq!(
        SessionDuration::new(Duration::from_secs(900))
            .unwrap()
            .as_secs(),
        900
    );
    assert_eq!(
        SessionDuration::from_secs(60).unwrap_err().to_string(),
        "DurationSeconds: must be 900-43200 seconds, got 60"
    );
}

#[test]
fn tag_key_is_1_to_128_letters_separators_numbers_and_marks() {
    let k128 = "k".repeat(128);
    let k129 = "k".repeat(129);
    table(
        "TagKey",
        |v| TagKey::new(v),
        &[
            ("a", true),
            ("", false),
            (&k128, true),
            (&k129, false),
            ("Project_Name.v2:env/x=y+z-w@q", true),
            ("with space", true),
            ("日本語キー", true),
            ("Ünïcödé", true),
            ("٣٤", true),
            ("no!bang", false),
            ("no#hash", false),
            ("no\ttab", false),
        ],
    );
}

#[test]
fn tag_value_is_0_to_256_characters() {
    let v256 = "v".repeat(256);
    let v257 = "v".repeat(257);
    table(
        "TagValue",
        |v| TagValue::new(v),
        &[
            ("", true),
            ("x", true),
            (&v256, true),
            (&v257, false),
            ("no*star", false),
            ("\u{3000}ideographic space", true),
        ],
    );
}

#[test]
fn external_id_is_2_to_1224_characters_with_colon_and_slash() {
    let e1224 = "e".repeat(1224);
    let e1225 = "e".repeat(1225);
    table(
        "ExternalId",
        |v| ExternalId::new(v),
        &[
            ("ab", true),
            ("a", false),
            (&e1224, true),
            (&e1225, false),
            ("urn:example/partner-123", true),
            ("no space", false),
        ],
    );
}

#[test]
fn serial_number_is_9_to_256_characters() {
    let s256 = "s".repeat(256);
    let s257 = "s".repeat(257);
    table(
        "SerialNumber",
        |v| SerialNumber::new(v),
        &[
            ("GAHT12345", true),
            ("GAHT1234", false),
            ("arn:aws:iam::123456789012:mfa/alice", true),
            (&s256, true),
            (&s257, false),
            ("arn:aws:iam::123456789012:mfa/al ice", false),
        ],
    );
}

#[test]
fn token_code_is_exactly_6_digits_and_never_echoed() {
    table(
        "TokenCode",
        |v| TokenCode::new(v),
        &[
            ("123456", true),
            ("000000", true),
            (" 123456\n", true),
            ("12345", false),
            ("1234567", false),
            ("12a456", false),
            ("", false),
            ("１２３４５６", false),
        ],
    );
    for bad in ["98765", "9876543", "98x765"] {
        let err = TokenCode::new(bad).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains(bad), "error echoes the code: {text}");
        assert!(
            !text.contains("98"),
            "error echoes part of the code: {text}"
        );
        assert_eq!(err.parameter(), Parameter::TokenCode);
    }
    let code = TokenCode::new("424242").unwrap();
    assert_eq!(format!("{code:?}"), "TokenCode(** redacted **)");
    assert_eq!(code.expose(), "424242");
}

#[test]
fn source_identity_is_2_to_64_characters_and_aws_prefix_is_reserved() {
    let s64 = "s".repeat(64);
    let s65 = "s".repeat(65);
    table(
        "SourceIdentity",
        |v| SourceIdentity::new(v),
        &[
            ("al", true),
            ("a", false),
            (&s64, true),
            (&s65, false),
            ("alice@example.com", true),
            ("aws:alice", false),
            ("AWS:alice", false),
            ("awsalice", true),
        ],
    );
    assert_eq!(
        SourceIdentity::new("aws:x").unwrap_err().rule(),
        "must not start with the reserved prefix \"aws:\""
    );
}

#[test]
fn provided_context_bounds() {
    let (p19, p20, p2048, p2049) = (
        arn_of_len(19),
        arn_of_len(20),
        arn_of_len(2048),
        arn_of_len(2049),
    );
    table(
        "ProviderArn",
        |v| ProviderArn::new(v),
        &[(&p19, false), (&p20, true), (&p2048, true), (&p2049, false)],
    );
    let c2048 = "c".repeat(2048);
    let c2049 = "c".repeat(2049);
    table(
        "ContextAssertion",
        |v| ContextAssertion::new(v),
        &[
            ("abc", false),
            ("abcd", true),
            (&c2048, true),
            (&c2049, false),
        ],
    );
}

fn base() -> AssumeRoleRequestBuilder {
    AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/demo", "test")
}

#[test]
fn at_most_10_policy_arns() {
    let arns = |n| {
        (0..n)
            .map(|i| format!("arn:aws:iam::aws:policy/P{i}"))
            .collect::<Vec<_>>()
    };
    assert!(
        arns(10)
            .into_iter()
            .fold(base(), |b, a| b.policy_arn(a))
            .build()
            .is_ok()
    );
    let err = arns(11)
        .into_iter()
        .fold(base(), |b, a| b.policy_arn(a))
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "PolicyArns: must be at most 10 ARNs, got 11"
    );
}

#[test]
fn at_most_50_tags_with_case_insensitively_unique_keys() {
    let tags = |n| {
        (0..n)
            .map(|i| (format!("k{i}"), "v".to_owned()))
            .collect::<Vec<_>>()
    };
    assert!(
        tags(50)
            .into_iter()
            .fold(base(), |b, (k, v)| b.tag(k, v))
            .build()
            .is_ok()
    );
    assert!(
        tags(51)
            .into_iter()
            .fold(base(), |b, (k, v)| b.tag(k, v))
            .build()
            .unwrap_err()
            .contains(Parameter::Tags)
    );
    let err = base()
        .tag("Team", "a")
        .tag("team", "b")
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Tags.member.2.Key: must be unique ignoring case, got a second \"team\""
    );
}

#[test]
fn minimum_session_token_size_is_0_to_4096_bytes() {
    for ok in [0, 1, 4096] {
        let request = base().minimum_session_token_size(ok).build().unwrap();
        assert_eq!(
            request.minimum_session_token_size.map(|m| m.as_bytes()),
            Some(ok)
        );
    }
    let err = base().minimum_session_token_size(4097).build().unwrap_err();
    assert_eq!(
        err.to_string(),
        "MinimumSessionTokenSize: must be 0-4096 bytes, got 4097"
    );
    assert!(err.contains(Parameter::MinimumSessionTokenSize));
    // Reported last, as STS lists it last.
    let err = base()
        .minimum_session_token_size(5000)
        .duration(Duration::from_secs(1))
        .build()
        .unwrap_err();
    let order: Vec<String> = err.iter().map(|e| e.parameter().to_string()).collect();
    assert_eq!(order, ["DurationSeconds", "MinimumSessionTokenSize"]);
}

/// Found by the `request_params` fuzz target: after an invalid entry, the rules between tags
/// named the entry by its place among the valid ones.
#[test]
fn rules_between_tags_name_each_entry_by_its_place_in_the_request() {
    let err = base()
        .tag("bad key!", "x")
        .tag("team", "a")
        .tag("TEAM", "b")
        .build()
        .unwrap_err();
    assert!(err.contains(Parameter::TagKey(Some(1))), "{err}");
    assert!(err.contains(Parameter::TagKey(Some(3))), "{err}");
    assert!(!err.contains(Parameter::TagKey(Some(2))), "{err}");

    let err = base()
        .tag("team", "a")
        .transitive_tag_key("bad key!")
        .transitive_tag_key("project")
        .build()
        .unwrap_err();
    let at: Vec<String> = err.iter().map(|e| e.parameter().to_string()).collect();
    assert_eq!(
        at,
        ["TransitiveTagKeys.member.1", "TransitiveTagKeys.member.2"],
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("member.2: must be the key of a tag"),
        "{err}"
    );
}

#[test]
fn transitive_tag_keys_must_be_tag_keys_and_at_most_50() {
    assert!(
        base()
            .tag("team", "x")
            .transitive_tag_key("team")
            .build()
            .is_ok()
    );
    let err = base()
        .tag("team", "x")
        .transitive_tag_key("project")
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "TransitiveTagKeys.member.1: must be the key of a tag in the request, got \"project\", which is not"
    );
    let keys: Vec<String> = (0..51).map(|i| format!("k{i}")).collect();
    let tagged = keys.iter().fold(base(), |b, k| b.tag(k, "v"));
    let err = keys
        .iter()
        .fold(tagged, |b, k| b.transitive_tag_key(k))
        .build()
        .unwrap_err();
    assert!(err.contains(Parameter::TransitiveTagKeys));
    assert!(err.contains(Parameter::Tags));
}

#[test]
fn at_most_5_provided_contexts() {
    let arn = "arn:aws:iam::aws:contextProvider/IdentityCenter";
    let mut ok = base();
    for _ in 0..5 {
        ok = ok.provided_context(arn, "assertion");
    }
    assert!(ok.clone().build().is_ok());
    let err = ok.provided_context(arn, "assertion").build().unwrap_err();
    assert_eq!(
        err.to_string(),
        "ProvidedContexts: must be at most 5 contexts, got 6"
    );
}

#[test]
fn token_code_needs_a_serial_number() {
    let err = base().token_code("123456").build().unwrap_err();
    assert_eq!(
        err.to_string(),
        "TokenCode: needs SerialNumber, got no SerialNumber"
    );
    assert!(
        base()
            .serial_number("arn:aws:iam::123456789012:mfa/alice")
            .token_code("123456")
            .build()
            .is_ok()
    );
}

#[test]
fn build_reports_every_problem_at_once_in_parameter_order() {
    let err = AssumeRoleRequest::builder("short", "x")
        .duration(Duration::from_secs(10))
        .tag("ok", "fine")
        .tag("bad!", "fine")
        .external_id("e")
        .token_code("12")
        .source_identity("aws:me")
        .build()
        .unwrap_err();
    let params: Vec<String> = err.iter().map(|e| e.parameter().to_string()).collect();
    assert_eq!(
        params,
        [
            "RoleArn",
            "RoleSessionName",
            "DurationSeconds",
            "Tags.member.2.Key",
            "ExternalId",
            "TokenCode",
            "TokenCode",
            "SourceIdentity"
        ]
    );
    assert_eq!(err.len(), 8);
}

#[test]
fn a_generated_session_name_is_marked_and_valid() {
    let arn = "arn:aws:iam::123456789012:role/demo";
    let request = AssumeRoleRequest::builder(arn, String::from("named"))
        .duration(Duration::from_secs(900))
        .build()
        .unwrap();
    assert_eq!(request.role_arn(), arn);
    assert_eq!(request.duration(), Some(Duration::from_secs(900)));
    assert!(!request.session_name_generated);
    let generated = AssumeRoleRequest::builder_with_generated_name(arn)
        .build()
        .unwrap();
    assert!(generated.session_name_generated);
    assert!(
        generated
            .role_session_name()
            .starts_with("sts-assume-role-")
    );
}

#[test]
fn a_token_code_is_kept_without_the_whitespace_around_it() {
    assert_eq!(TokenCode::new(" 123456\n").unwrap().expose(), "123456");
    let typed = base()
        .serial_number("arn:aws:iam::123456789012:mfa/alice")
        .token_code("\t123456\r\n")
        .build()
        .unwrap();
    assert_eq!(
        typed.token_code.as_ref().map(TokenCode::expose),
        Some("123456")
    );
}

#[test]
fn with_token_code_and_without_mfa_change_only_what_they_say() {
    let request = base()
        .duration(Duration::from_secs(1800))
        .external_id("ext-123")
        .tag("k", "v")
        .serial_number("arn:aws:iam::123456789012:mfa/alice")
        .token_code("123456")
        .build()
        .unwrap();
    let recoded = request.with_token_code(TokenCode::new("654321").unwrap());
    assert_eq!(
        recoded.token_code.as_ref().map(TokenCode::expose),
        Some("654321")
    );
    assert_eq!(
        AssumeRoleRequest {
            token_code: request.token_code.clone(),
            ..recoded.clone()
        },
        request
    );
    let plain = request.without_mfa();
    assert_eq!(plain.serial_number(), None);
    assert!(plain.token_code.is_none());
    assert_eq!(
        AssumeRoleRequest {
            serial_number: request.serial_number.clone(),
            token_code: request.token_code.clone(),
            ..plain.clone()
        },
        request
    );
    assert_eq!(
        plain,
        base()
            .duration(Duration::from_secs(1800))
            .external_id("ext-123")
            .tag("k", "v")
            .build()
            .unwrap()
    );
}

#[test]
fn request_debug_redacts_the_token_code() {
    let request = base()
        .serial_number("arn:aws:iam::123456789012:mfa/alice")
        .token_code("987654")
        .build()
        .unwrap();
    let debug = format!("{request:?}");
    assert!(!debug.contains("987654"), "{debug}");
    assert!(debug.contains("redacted"));
}

/// STS limits the plaintext of the session policies as a whole: the inline policy and the
/// managed policy ARNs together are at most 2048 characters (the packed size is STS's to
/// judge). The error names both parameters and says how the total splits.
#[test]
fn policy_and_policy_arns_together_are_at_most_2048_characters() {
    let policy_of = |n: usize| format!("{{\"a\":\"{}\"}}", "x".repeat(n - 8));
    let arns = |count: usize, len: usize| -> Vec<String> {
        (0..count)
            .map(|_| format!("arn:{}", "p".repeat(len - 4)))
            .collect()
    };
    // (policy characters, ARN count, characters of each ARN, valid?)
    let rows: &[(Option<usize>, usize, usize, bool)] = &[
        (Some(2048), 0, 0, true),
        (Some(2028), 1, 20, true),
        (Some(2027), 1, 20, true),
        (Some(2029), 1, 21, false),
        (Some(1048), 10, 100, true),
        (Some(1049), 10, 100, false),
        (None, 1, 2048, true),
        (None, 2, 1024, true),
        (None, 2, 1025, false),
        (None, 10, 2048, false),
        // The issue's request: 2,034 + 10 × 2,048 = 22,514 characters.
        (Some(2034), 10, 2048, false),
    ];
    for &(policy, count, len, valid) in rows {
        let mut builder = base();
        if let Some(n) = policy {
            builder = builder.policy(policy_of(n));
        }
        for arn in arns(count, len) {
            builder = builder.policy_arn(arn);
        }
        let total = policy.unwrap_or(0) + count * len;
        let got = builder.build();
        assert_eq!(
            got.is_ok(),
            valid,
            "policy {policy:?} + {count} ARNs of {len}: {got:?}"
        );
        if let Err(errors) = got {
            assert_eq!(errors.len(), 1, "{errors}");
            assert!(errors.contains(Parameter::SessionPolicies));
            assert_eq!(
                errors.to_string(),
                format!(
                    "Policy and PolicyArns: must be at most 2048 characters in all, got {total} \
                     characters (Policy {}, PolicyArns {})",
                    policy.unwrap_or(0),
                    count * len
                )
            );
        }
    }
}

/// A policy or an ARN that is invalid on its own is reported on its own, and not counted
/// again in the combined size; every broken rule is reported at once.
#[test]
fn combined_policy_size_counts_only_valid_policies_and_is_reported_with_the_rest() {
    let long_arn = format!("arn:aws:iam::aws:policy/{}", "p".repeat(2048 - 24));
    let err = base()
        .policy(format!("{{\"a\":\"{}\"}}", "x".repeat(2049 - 8)))
        .policy_arn(long_arn.as_str())
        .build()
        .unwrap_err();
    assert_eq!(err.len(), 1, "{err}");
    assert!(err.contains(Parameter::Policy));

    let err = base()
        .policy(format!("{{\"a\":\"{}\"}}", "x".repeat(100 - 8)))
        .policy_arn(long_arn.as_str())
        .tag("Team", "a")
        .tag("team", "b")
        .build()
        .unwrap_err();
    let shown: Vec<String> = err.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 2, "{err}");
    assert!(shown[0].starts_with("Policy and PolicyArns: "), "{err}");
    assert!(shown[1].starts_with("Tags.member.2.Key: "), "{err}");
}

/// Tag keys are compared as STS compares them: ignoring case with Unicode's simple case
/// folding, character by character; lengths count characters, not UTF-16 units.
#[test]
fn tag_keys_that_differ_only_by_case_are_one_key() {
    // (first key, second key, the same key?)
    let rows: &[(&str, &str, bool)] = &[
        ("Team", "team", true),
        ("TEAM", "tEaM", true),
        // Dotted capital I lowercases to two characters ("i\u{307}"); only Turkish rules
        // make it `i`. Dotless ı uppercases to `I` but folds to itself.
        ("İ", "i", false),
        ("İ", "I", false),
        ("ı", "i", false),
        ("ı", "I", false),
        // ß uppercases to two characters: equal to "SS" only under full folding.
        ("ß", "SS", false),
        ("ß", "ss", false),
        ("ß", "ẞ", true),
        ("straße", "STRASSE", false),
        // Outside the Basic Multilingual Plane: Deseret has case, mathematical letters don't.
        ("𐐀", "𐐨", true),
        ("𐐀𐐁", "𐐨𐐩", true),
        ("𝐀", "𝐚", false),
        // Greek sigma, whatever its position: Rust's `to_lowercase` picks final sigma from
        // context, folding does not.
        ("ΑΣ", "ασ", true),
        ("ΑΣ", "ας", true),
        ("σ", "ς", true),
        // Letters whose lowercase is another letter's: Kelvin and Ångström signs, long s.
        ("K", "k", true),
        ("Å", "å", true),
        ("ſ", "s", true),
        // Titlecase digraphs.
        ("ǅ", "ǆ", true),
        ("Ǆ", "ǅ", true),
        ("Ab", "Ac", false),
    ];
    for &(a, b, same) in rows {
        let got = base().tag(a, "1").tag(b, "2").build();
        if same {
            let err = got.expect_err(&format!("{a:?} and {b:?} are one key"));
            assert!(
                err.contains(Parameter::TagKey(Some(2))),
                "{a:?}/{b:?}: {err}"
            );
            assert_eq!(err.len(), 1, "{err}");
        } else {
            assert!(got.is_ok(), "{a:?} and {b:?} are two keys: {got:?}");
        }
    }
}

#[test]
fn tag_key_length_counts_characters_not_utf16_units() {
    // (key, valid?): 128 characters outside the BMP are 256 UTF-16 units and 512 bytes.
    let deseret = |n: usize| "𐐀".repeat(n);
    let rows: Vec<(String, bool)> = vec![
        (deseret(128), true),
        (deseret(129), false),
        (format!("{}a", deseret(127)), true),
        (format!("{}ab", deseret(127)), false),
        ("İ".repeat(128), true),
        ("ß".repeat(128), true),
    ];
    for (key, valid) in &rows {
        assert_eq!(
            TagKey::new(key.as_str()).is_ok(),
            *valid,
            "{} characters, {} UTF-16 units",
            key.chars().count(),
            key.encode_utf16().count()
        );
    }
    // Folding never changes a length: 128 `ß` stay one key of 128 characters.
    let ok = base()
        .tag("ß".repeat(128), "a")
        .tag("SS".repeat(64), "b")
        .build();
    assert!(ok.is_ok(), "{ok:?}");
    let err = base()
        .tag(deseret(128), "a")
        .tag("𐐨".repeat(128), "b")
        .build()
        .unwrap_err();
    assert!(err.contains(Parameter::TagKey(Some(2))));
}
