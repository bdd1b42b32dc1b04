//! `cache_entry`: an AWS CLI cache file read as [`CachedCredentials`].
//!
//! - Ok: the entry agrees with the JSON it came from, survives a write and a read unchanged,
//!   and its `Debug` does not depend on (so never shows) the secret key or the session token.
//! - Err: the error's `Display` never shows the secret key or the session token of the input.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use sts_assume_role::AssumeRoleRequest;
use sts_assume_role::cache::{self, CacheError, CachedCredentials, CredentialCache};

/// Secrets shorter than this are not looked for: they turn up by accident too easily.
const MIN_SECRET: usize = 8;

pub fn check(data: &[u8]) {
    // The generic view of the same bytes, when they are JSON at all.
    let generic: Option<Value> = serde_json::from_slice(data).ok();
    match serde_json::from_slice::<CachedCredentials>(data) {
        Ok(entry) => check_entry(&entry, generic.as_ref()),
        Err(error) => check_error(data, &error.to_string(), generic.as_ref()),
    }
}

/// `v.Name`, or the `index`-th element when `v` is an array: serde's derived `Deserialize`
/// reads a struct from either form.
fn member<'a>(v: &'a Value, name: &str, index: usize) -> Option<&'a Value> {
    match v {
        Value::Object(map) => map.get(name),
        Value::Array(items) => items.get(index),
        _ => None,
    }
}

fn member_mut<'a>(v: &'a mut Value, name: &str, index: usize) -> Option<&'a mut Value> {
    match v {
        Value::Object(map) => map.get_mut(name),
        Value::Array(items) => items.get_mut(index),
        _ => None,
    }
}

/// The positions of the fields in the wire structs, for the array form.
const CREDENTIALS: (&str, usize) = ("Credentials", 0);
const ASSUMED_ROLE_USER: (&str, usize) = ("AssumedRoleUser", 1);
const RESPONSE_METADATA: (&str, usize) = ("ResponseMetadata", 6);
const ACCESS_KEY_ID: (&str, usize) = ("AccessKeyId", 0);
const SECRET_ACCESS_KEY: (&str, usize) = ("SecretAccessKey", 1);
const SESSION_TOKEN: (&str, usize) = ("SessionToken", 2);
const ACCOUNT_ID: (&str, usize) = ("AccountId", 4);
const USER_ARN: (&str, usize) = ("Arn", 1);

fn credential_field<'a>(root: &'a Value, field: (&str, usize)) -> Option<&'a Value> {
    let creds = member(root, CREDENTIALS.0, CREDENTIALS.1)?;
    member(creds, field.0, field.1)
}

fn credential_field_mut<'a>(root: &'a mut Value, field: (&str, usize)) -> Option<&'a mut Value> {
    let creds = member_mut(root, CREDENTIALS.0, CREDENTIALS.1)?;
    member_mut(creds, field.0, field.1)
}

/// The account in an ARN, as the documentation of `account_id` describes botocore's rule:
/// the fifth `:`-separated field, when it is 12 digits.
fn account_of(arn: &str) -> Option<&str> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// A string of `len` bytes made of one ASCII letter or digit that `avoid` does not contain.
fn placeholder(len: usize, avoid: &str) -> Option<String> {
    let c = ('a'..='z')
        .chain('A'..='Z')
        .chain('0'..='9')
        .find(|c| !avoid.contains(*c))?;
    Some(std::iter::repeat_n(c, len).collect())
}

/// Entries read from a write are equal to the entry written (see
/// `regressions/cache_entry/response-metadata-long-integer.json`: `ResponseMetadata` was kept
/// as a `serde_json::Value`, whose numbers may not survive a write and a read).
fn assert_same_entry(back: &CachedCredentials, entry: &CachedCredentials, json: &str) {
    assert!(
        back == entry,
        "the entry changed through a write and a read: {json}\n{entry:?}\n{back:?}"
    );
}

/// `t` truncated to the microsecond, towards the past (also before the epoch).
fn floor_to_micros(t: SystemTime) -> SystemTime {
    const MICRO: u128 = 1000;
    match t.duration_since(UNIX_EPOCH) {
        Ok(after) => {
            let nanos = after.as_nanos() / MICRO * MICRO;
            UNIX_EPOCH
                + Duration::new(
                    (nanos / 1_000_000_000) as u64,
                    (nanos % 1_000_000_000) as u32,
                )
        }
        Err(before) => {
            let nanos = before.duration().as_nanos().div_ceil(MICRO) * MICRO;
            UNIX_EPOCH
                - Duration::new(
                    (nanos / 1_000_000_000) as u64,
                    (nanos % 1_000_000_000) as u32,
                )
        }
    }
}

/// `s` as it appears inside `Debug` output of a string: escaped, without the quotes.
fn debug_escaped(s: &str) -> String {
    let quoted = format!("{s:?}");
    quoted[1..quoted.len() - 1].to_owned()
}

/// An entry is for the request its `AssumedRoleUser.Arn` names, and for no other role,
/// session or account; `is_for` never panics.
/// The role, account and session an entry's `AssumedRoleUser.Arn` names, and a request for
/// them with another of each changed (`None` where no valid request can be made).
fn named(entry: &CachedCredentials) -> Option<(String, String, String, String, String)> {
    let user = entry.assumed_role_user()?;
    let fields: Vec<&str> = user.arn.splitn(6, ':').collect();
    let [arn, partition, "sts", _, account, resource] = fields[..] else {
        return None;
    };
    let (role, session) = resource
        .strip_prefix("assumed-role/")
        .and_then(|r| r.split_once('/'))?;
    if arn != "arn" || partition.is_empty() || account.is_empty() || role.is_empty() {
        return None;
    }
    Some((
        arn.to_owned(),
        partition.to_owned(),
        account.to_owned(),
        role.to_owned(),
        session.to_owned(),
    ))
}

fn request_for(
    arn: &str,
    partition: &str,
    account: &str,
    role: &str,
    session: &str,
) -> Option<AssumeRoleRequest> {
    AssumeRoleRequest::builder(
        format!("{arn}:{partition}:iam::{account}:role/{role}"),
        session,
    )
    .build()
    .ok()
}

fn check_is_for(entry: &CachedCredentials) {
    let fixed = AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/demo", "session")
        .build()
        .unwrap();
    let _ = entry.is_for(&fixed);
    if entry.assumed_role_user().is_none() {
        assert!(
            !entry.is_for(&fixed),
            "an entry without AssumedRoleUser is for no request"
        );
        return;
    }
    let Some((arn, partition, account, role, session)) = named(entry) else {
        return;
    };
    let arn_text = &entry.assumed_role_user().unwrap().arn;
    let request = |role: &str, account: &str, session: &str| {
        request_for(&arn, &partition, account, role, session)
    };
    if let Some(own) = request(&role, &account, &session) {
        assert!(
            entry.is_for(&own),
            "not for the request its ARN names: {arn_text}"
        );
    }
    if let Some(other) = request(&format!("{role}x"), &account, &session) {
        assert!(!entry.is_for(&other), "for another role: {arn_text}");
    }
    if let Some(other) = request(&role, &format!("{account}9"), &session) {
        assert!(!entry.is_for(&other), "for another account: {arn_text}");
    }
    if let Some(other) = request(&role, &account, &format!("{session}x")) {
        assert!(!entry.is_for(&other), "for another session: {arn_text}");
    }
}

/// A store holding one entry under every key.
#[derive(Debug)]
struct OneEntry(CachedCredentials);

impl CredentialCache for OneEntry {
    fn load(&self, _: &str) -> Result<Option<CachedCredentials>, CacheError> {
        Ok(Some(self.0.clone()))
    }

    fn store(&self, _: &str, _: &CachedCredentials) -> Result<(), CacheError> {
        Ok(())
    }
}

/// Checks the credentials the one public read gives for an entry, read for the request its
/// ARN names a second before it expires, are the entry's: `secret` and `token` are what it
/// writes.
fn check_served(entry: &CachedCredentials, secret: &str, token: &str) {
    let Some((arn, partition, account, role, session)) = named(entry) else {
        return;
    };
    let Some(request) = request_for(&arn, &partition, &account, &role, &session) else {
        return;
    };
    let Some(now) = entry.expiration().checked_sub(Duration::from_secs(1)) else {
        return;
    };
    let creds = cache::load_for(&OneEntry(entry.clone()), &request, now, Duration::ZERO)
        .expect("an in-memory store does not fail")
        .expect("the entry is served for its own request");
    assert_eq!(creds.access_key_id(), entry.access_key_id());
    assert_eq!(creds.secret_access_key(), secret);
    assert_eq!(creds.session_token(), Some(token));
    assert_eq!(creds.expiry(), Some(entry.expiration()));
    assert_eq!(creds.account_id().map(|a| a.as_str()), entry.account_id());
}

fn check_entry(entry: &CachedCredentials, generic: Option<&Value>) {
    check_is_for(entry);
    let written = serde_json::to_value(entry).expect("an entry serializes");
    let secret_of = |field: &str| {
        written["Credentials"][field]
            .as_str()
            .expect("an entry writes its secrets")
            .to_owned()
    };
    let (secret, token) = (secret_of("SecretAccessKey"), secret_of("SessionToken"));
    assert!(!entry.access_key_id().is_empty() && !secret.is_empty() && !token.is_empty());

    // The credentials handed to the SDK (through the one public read) are the entry's.
    check_served(entry, &secret, &token);

    // The entry holds what the JSON says.
    if let Some(root) = generic {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        if let Some(id) = text(credential_field(root, ACCESS_KEY_ID)) {
            assert_eq!(entry.access_key_id(), id);
        }
        if let Some(s) = text(credential_field(root, SECRET_ACCESS_KEY)) {
            assert_eq!(secret, s);
        }
        if let Some(t) = text(credential_field(root, SESSION_TOKEN)) {
            assert_eq!(token, t);
        }
        let given_account = text(credential_field(root, ACCOUNT_ID)).filter(|a| !a.is_empty());
        let arn = member(root, ASSUMED_ROLE_USER.0, ASSUMED_ROLE_USER.1)
            .and_then(|u| text(member(u, USER_ARN.0, USER_ARN.1)));
        if root.is_object() && root["Credentials"].is_object() {
            // Credentials.AccountId, or else the account of AssumedRoleUser.Arn.
            let want =
                given_account.or_else(|| arn.as_deref().and_then(account_of).map(str::to_owned));
            assert_eq!(entry.account_id(), want.as_deref(), "account ID");
        }
        if root.is_object() {
            let want = member(root, RESPONSE_METADATA.0, RESPONSE_METADATA.1)
                .and_then(|m| m.get("RequestId"))
                .and_then(Value::as_str);
            assert_eq!(entry.request_id(), want, "request ID");
        }
    }

    // Written and read back, the entry is unchanged.
    let written = serde_json::to_string(entry);
    match &written {
        Ok(json) => {
            let back: CachedCredentials = serde_json::from_str(json)
                .unwrap_or_else(|e| panic!("an entry it wrote does not read back: {e}\n{json}"));
            // `Expiration` is written to the microsecond (as documented, Python's precision):
            // what comes back is the entry with its expiry truncated, and nothing else changed.
            let truncated = floor_to_micros(entry.expiration());
            assert_eq!(
                back.expiration(),
                truncated,
                "expiry through a write and a read: {json}"
            );
            if truncated == entry.expiration() {
                assert_same_entry(&back, entry, json);
            } else {
                assert_eq!(
                    serde_json::to_value(&back).ok(),
                    serde_json::to_value(entry).ok(),
                    "the entry changed through a write and a read: {json}"
                );
                assert_eq!(back.access_key_id(), entry.access_key_id());
                assert_eq!(back.account_id(), entry.account_id());
                assert_eq!(back.assumed_role_user(), entry.assumed_role_user());
                assert_eq!(back.packed_policy_size(), entry.packed_policy_size());
                assert_eq!(back.source_identity(), entry.source_identity());
                assert_eq!(back.request_id(), entry.request_id());
                let back_written = serde_json::to_value(&back).expect("an entry serializes");
                assert_eq!(
                    back_written["Credentials"]["SecretAccessKey"],
                    secret.as_str()
                );
                assert_eq!(back_written["Credentials"]["SessionToken"], token.as_str());
            }
            // From then on, writing and reading change nothing.
            let json2 = serde_json::to_string(&back).expect("written once");
            if &back == entry {
                assert_eq!(json2, *json, "writing is not stable");
            }
            let again: CachedCredentials = serde_json::from_str(&json2)
                .unwrap_or_else(|e| panic!("an entry it wrote does not read back: {e}\n{json2}"));
            assert_same_entry(&again, &back, &json2);
        }
        // An entry read must be writable: the store of an entry read from another process's
        // cache file must not fail (see `regressions/cache_entry/expiration-*-in-utc.json`).
        Err(e) => panic!("an entry it read cannot be written: {e}: {entry:?}"),
    }

    // `Debug` never shows the secrets. The same entry with other secrets must print the
    // same; then a secret found in the output is there by accident (it is a substring of
    // another field, or of the field names).
    let debug = format!("{entry:?}");
    let twin_source = written
        .ok()
        .and_then(|json| serde_json::from_str::<Value>(&json).ok())
        .or_else(|| generic.cloned());
    let twin = twin_source.and_then(|mut v| {
        *credential_field_mut(&mut v, SECRET_ACCESS_KEY)? = "twin secret key".into();
        *credential_field_mut(&mut v, SESSION_TOKEN)? = "twin session token".into();
        serde_json::from_value::<CachedCredentials>(v).ok()
    });
    match twin {
        Some(twin) => {
            assert_eq!(
                format!("{twin:?}"),
                debug,
                "Debug depends on the secret key or the session token"
            );
        }
        None => {
            // No twin could be made: look for the secrets themselves, outside the other
            // fields.
            let others = format!(
                "CachedCredentials secret_access_key session_token ** redacted ** expiration \
                 {:?} {:?} {:?} {:?} {:?} {:?}",
                entry.access_key_id(),
                entry.account_id(),
                entry.assumed_role_user(),
                entry.packed_policy_size(),
                entry.source_identity(),
                entry.request_id(),
            );
            for s in [&secret, &token] {
                let needle = debug_escaped(s);
                if s.chars().count() >= MIN_SECRET && debug.contains(&needle) {
                    assert!(others.contains(&needle), "Debug shows a secret: {debug}");
                }
            }
        }
    }
}

fn check_error(data: &[u8], message: &str, generic: Option<&Value>) {
    let (Some(root), Ok(text)) = (generic, std::str::from_utf8(data)) else {
        return; // Not JSON: there are no secret fields to find.
    };
    for field in [SECRET_ACCESS_KEY, SESSION_TOKEN] {
        let Some(secret) = credential_field(root, field).and_then(Value::as_str) else {
            continue;
        };
        if secret.chars().count() < MIN_SECRET || !message.contains(secret) {
            continue;
        }
        // The message shows the secret. It is a leak unless the same message comes with
        // another value in that field: then the secret is a substring of the message's own
        // text or of another part of the input. The twin replaces the secret by a
        // placeholder of the same length in bytes (so positions in the message stay the same),
        // where the input spells it out exactly once and nowhere else.
        let positions = (0..text.len())
            .filter(|&i| text.get(i..).is_some_and(|rest| rest.starts_with(secret)))
            .count();
        if positions != 1 {
            continue; // Written with escapes, or found elsewhere too: cannot tell.
        }
        let Some(fake) = placeholder(secret.len(), secret) else {
            continue;
        };
        let twin_text = text.replacen(secret, &fake, 1);
        let twin_root: Option<Value> = serde_json::from_str(&twin_text).ok();
        if twin_root
            .as_ref()
            .and_then(|r| credential_field(r, field))
            .and_then(Value::as_str)
            != Some(fake.as_str())
        {
            continue; // The one spelling was not the field itself.
        }
        let twin_message = match serde_json::from_str::<CachedCredentials>(&twin_text) {
            Ok(_) => panic!("the value of {} decides whether the entry reads", field.0),
            Err(e) => e.to_string(),
        };
        assert!(
            twin_message.contains(secret),
            "the error shows Credentials.{}: {message}",
            field.0
        );
    }
}
