//! The rules between parameters (counts, unique tag keys, transitive keys that are tags, a
//! code needs a device), and the helpers `build` collects errors with.

use std::collections::HashSet;

use super::builder::Param;
use super::*;

pub(super) fn take<T>(r: Param<T>, errors: &mut Vec<InvalidParameter>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

/// Takes the valid entries of a list, labelling each error with its 1-based position.
pub(super) fn take_list<T>(list: Vec<Param<T>>, errors: &mut Vec<InvalidParameter>) -> Vec<T> {
    list.into_iter()
        .enumerate()
        .filter_map(|(i, r)| take(r.map_err(|e| e.at(i + 1)), errors))
        .collect()
}

/// How many entries of an indexed list were given: the valid ones plus the distinct positions
/// that failed.
pub(super) fn given_count<T>(valid: &[T], errors: &[InvalidParameter], kind: Parameter) -> usize {
    valid.len() + count_of(errors, kind, kind)
}

pub(super) fn count_of(errors: &[InvalidParameter], a: Parameter, b: Parameter) -> usize {
    let same =
        |p: Parameter, k: Parameter| std::mem::discriminant(&p) == std::mem::discriminant(&k);
    let mut positions: Vec<usize> = errors
        .iter()
        .filter(|e| same(e.parameter(), a) || same(e.parameter(), b))
        .filter_map(|e| e.parameter().index())
        .collect();
    positions.sort_unstable();
    positions.dedup();
    positions.len()
}

/// What the cross-parameter rules look at. Tags and transitive keys come with their 1-based
/// positions in the request.
pub(super) struct Counts<'a> {
    pub(super) policy_arns: usize,
    /// Characters of the valid `Policy` (0 when none), and of the valid `PolicyArns`.
    pub(super) policy_chars: usize,
    pub(super) policy_arn_chars: usize,
    pub(super) tags: &'a [(usize, Tag)],
    pub(super) tags_given: usize,
    pub(super) transitive_tag_keys: &'a [(usize, TagKey)],
    pub(super) transitive_given: usize,
    pub(super) provided_contexts: usize,
    pub(super) token_code: bool,
    pub(super) serial_number: bool,
}

/// The rules between parameters, and the list counts.
pub(super) fn check_rules(g: &Counts<'_>, errors: &mut Vec<InvalidParameter>) {
    let too_many = |parameter, max: usize, what: &str, got: usize| {
        InvalidParameter::new(
            parameter,
            format!("must be at most {max} {what}"),
            got.to_string(),
        )
    };
    if g.policy_arns > MAX_POLICY_ARNS {
        errors.push(too_many(
            Parameter::PolicyArns,
            MAX_POLICY_ARNS,
            "ARNs",
            g.policy_arns,
        ));
    }
    // Only the plaintext can be judged here: STS also limits the packed (compressed) size of
    // the policies and tags together, reported as `PackedPolicySize`, whose packing it does
    // not document; a request over that limit fails with `PackedPolicyTooLarge`.
    let session_policy_chars = g.policy_chars + g.policy_arn_chars;
    if session_policy_chars > MAX_SESSION_POLICY_CHARS {
        errors.push(InvalidParameter::new(
            Parameter::SessionPolicies,
            format!("must be at most {MAX_SESSION_POLICY_CHARS} characters in all"),
            format!(
                "{session_policy_chars} characters (Policy {}, PolicyArns {})",
                g.policy_chars, g.policy_arn_chars
            ),
        ));
    }
    if g.tags_given > MAX_TAGS {
        errors.push(too_many(Parameter::Tags, MAX_TAGS, "tags", g.tags_given));
    }
    let mut seen = HashSet::new();
    for (position, tag) in g.tags {
        if !seen.insert(tag.key().case_folded()) {
            errors.push(InvalidParameter::new(
                Parameter::TagKey(Some(*position)),
                "must be unique ignoring case",
                format!("a second {:?}", tag.key().as_str()),
            ));
        }
    }
    if g.transitive_given > MAX_TAGS {
        errors.push(too_many(
            Parameter::TransitiveTagKeys,
            MAX_TAGS,
            "keys",
            g.transitive_given,
        ));
    }
    for (position, key) in g.transitive_tag_keys {
        if !g.tags.iter().any(|(_, t)| t.key() == key) {
            errors.push(InvalidParameter::new(
                Parameter::TransitiveTagKey(Some(*position)),
                "must be the key of a tag in the request",
                format!("{:?}, which is not", key.as_str()),
            ));
        }
    }
    if g.provided_contexts > MAX_PROVIDED_CONTEXTS {
        errors.push(too_many(
            Parameter::ProvidedContexts,
            MAX_PROVIDED_CONTEXTS,
            "contexts",
            g.provided_contexts,
        ));
    }
    if g.token_code && !g.serial_number {
        errors.push(InvalidParameter::new(
            Parameter::TokenCode,
            "needs SerialNumber",
            "no SerialNumber",
        ));
    }
}

pub(super) fn relabel(e: InvalidParameter, parameter: Parameter) -> InvalidParameter {
    InvalidParameter::new(parameter, e.rule().to_owned(), e.found().to_owned())
}
