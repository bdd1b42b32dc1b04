//! The AWS CLI credential cache: keys as the CLI computes them, entries in its format, and a
//! file cache that is atomic under concurrent writers and never trusts a bad file.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use serde_json::json;
use sts_assume_role::cache::{
    self, AWS_CLI_MIN_REMAINING, CacheError, CachedCredentials, CredentialCache, FileCache,
    cli_cache_key,
};
use sts_assume_role::{AssumeRoleRequest, AssumedRoleUser};

use common::Capture;

const ROLE_B: &str = "arn:aws:iam::111111111111:role/RoleB";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
const TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtokenTOKENtoken";

/// 2026-11-28T03:49:02Z.
fn expiry() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_837_742)
}

fn at(offset_from_expiry: i64) -> SystemTime {
    if offset_from_expiry >= 0 {
        expiry() + Duration::from_secs(offset_from_expiry.unsigned_abs())
    } else {
        expiry() - Duration::from_secs(offset_from_expiry.unsigned_abs())
    }
}

/// A cache in a fresh temporary directory.
fn cache() -> (tempfile::TempDir, FileCache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = FileCache::new(dir.path().join("cli").join("cache"));
    (dir, cache)
}

fn entry(access_key_id: &str) -> CachedCredentials {
    CachedCredentials::new(access_key_id, SECRET, TOKEN, expiry())
}

fn key() -> String {
    "c8ddac24797f70ef53df2e89db1960d64b15d6be".to_owned()
}

/// The request whose key is [`key`]: role B, with a generated session name.
fn request() -> AssumeRoleRequest {
    AssumeRoleRequest::builder_with_generated_name(ROLE_B)
        .build()
        .unwrap()
}

/// An entry issued for role B (any session: [`request`]'s name is generated).
fn entry_for_b(access_key_id: &str) -> CachedCredentials {
    entry(access_key_id).with_assumed_role_user(AssumedRoleUser {
        arn: "arn:aws:sts::111111111111:assumed-role/RoleB/botocore-session-1795834141".into(),
        assumed_role_id: "AROA3XFRBF535PLBIFPI4:botocore-session-1795834141".into(),
    })
}

/// What [`cache::load_for`] serves for [`request`] at `now`, a storage error failing the test.
fn served_at(cache: &FileCache, now: SystemTime, min_remaining: Duration) -> Option<Credentials> {
    cache::load_for(cache, &request(), now, min_remaining).unwrap()
}

fn write_raw(cache: &FileCache, key: &str, content: &[u8]) -> PathBuf {
    std::fs::create_dir_all(cache.dir()).unwrap();
    let path = cache.path_of(key).unwrap();
    std::fs::write(&path, content).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    path
}

/// The AWS CLI's file for a role it assumed (CLI v2 writes `+00:00`, v1 STS's `Z`).
fn cli_fixture(expiration: &str) -> String {
    format!(
        r#"{{"Credentials": {{"AccessKeyId": "ASIAIOSFODNN7EXAMPLE", "SecretAccessKey": "{SECRET}", "SessionToken": "{TOKEN}", "Expiration": "{expiration}", "AccountId": "111111111111"}}, "AssumedRoleUser": {{"AssumedRoleId": "AROA3XFRBF535PLBIFPI4:botocore-session-1795834141", "Arn": "arn:aws:sts::111111111111:assumed-role/RoleB/botocore-session-1795834141"}}, "ResponseMetadata": {{"RequestId": "c6104cbe-af31-11e0-8154-cbc7ccf896c7", "HTTPStatusCode": 200, "HTTPHeaders": {{"x-amzn-requestid": "c6104cbe-af31-11e0-8154-cbc7ccf896c7", "content-type": "text/xml", "content-length": "1574", "date": "Sat, 28 Nov 2026 02:49:02 GMT"}}, "RetryAttempts": 0}}}}"#
    )
}

// ---------------------------------------------------------------------------------------------
// Keys

#[test]
fn every_reference_vector_gives_its_key() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let vectors = [
        "c8ddac24797f70ef53df2e89db1960d64b15d6be",
        "62c7b921fd0528627faa2fd4db78bad7ec0c1056",
        "413bdd00e1d72f7b84c77eb4f2b53a414e11c068",
        "fcdb9cbcb986117c7cc7a20dc920a67737a28f1e",
    ];
    // The first four vectors of the reference, as requests (the fifth session name is not
    // valid for STS; a unit test of the hashing checks that one).
    let generated = || AssumeRoleRequest::builder_with_generated_name(ROLE_B);
    let named = || AssumeRoleRequest::builder(ROLE_B, "RoleB");
    let requests = [
        generated().build().unwrap(),
        named().build().unwrap(),
        named()
            .external_id("ext-123")
            .duration(Duration::from_secs(900))
            .serial_number("arn:aws:iam::123456789012:mfa/user")
            .build()
            .unwrap(),
        generated().policy(policy).build().unwrap(),
    ];
    for (request, want) in requests.iter().zip(&vectors) {
        assert_eq!(cli_cache_key(request), *want, "{request:?}");
    }
}

/// Every parameter the CLI's profiles cannot set goes in with boto3's shapes. The key was
/// computed with Python's `json.dumps(args, sort_keys=True)` and `hashlib.sha1`.
#[test]
fn every_request_parameter_is_hashed_as_boto3_shapes_it() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Lecture é","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":3600},"NumericGreaterThan":{"s3:max-keys":1.5e1}}}]}"#;
    let with_code = |code: &str| {
        AssumeRoleRequest::builder("arn:aws:iam::123456789012:role/deploy", "ci-job-42")
            .token_code(code)
            .duration(Duration::from_secs(1800))
            .external_id("ext-123")
            .serial_number("arn:aws:iam::123456789012:mfa/alice")
            .policy(policy)
            .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
            .policy_arn("arn:aws:iam::123456789012:policy/Extra")
            .tag("team", "platform")
            .tag("Project", "Zeta éclair")
            .transitive_tag_key("team")
            .source_identity("alice")
            .provided_context(
                "arn:aws:iam::aws:contextProvider/IdentityCenter",
                "assertion-value-1234",
            )
            .build()
            .unwrap()
    };
    let request = with_code("123456");
    assert_eq!(
        cli_cache_key(&request),
        "966cadd4b9243067620b693e4adacdecdaebabb5"
    );
    // The MFA code is never part of the key.
    let other_code = with_code("654321");
    assert_ne!(other_code, request);
    assert_eq!(cli_cache_key(&other_code), cli_cache_key(&request));
}

#[test]
fn a_generated_session_name_is_left_out_of_the_key() {
    let request = |name: Option<&str>| {
        let role = "arn:aws:iam::123456789012:role/deploy";
        let b = match name {
            Some(n) => AssumeRoleRequest::builder(role, n),
            None => AssumeRoleRequest::builder_with_generated_name(role),
        };
        b.serial_number("arn:aws:iam::123456789012:mfa/alice")
            .duration(Duration::from_secs(3600))
            .build()
            .unwrap()
    };
    // Computed with Python, as above.
    assert_eq!(
        cli_cache_key(&request(None)),
        "733ec96a913c1bb1b3c3530c0aaf0978b705c91e"
    );
    // A configured name counts, even one shaped like a generated one.
    assert_ne!(
        cli_cache_key(&request(Some("botocore-session-1795834141"))),
        cli_cache_key(&request(None))
    );
}

// ---------------------------------------------------------------------------------------------
// Entries and files

#[test]
fn an_entry_written_by_the_crate_round_trips() {
    let (_dir, cache) = cache();
    let written = entry("ASIAROUNDTRIP")
        .with_account_id("111111111111")
        .with_assumed_role_user(AssumedRoleUser {
            arn: "arn:aws:sts::111111111111:assumed-role/RoleB/s".into(),
            assumed_role_id: "AROAEXAMPLE:s".into(),
        })
        .with_packed_policy_size(6)
        .with_source_identity("alice");
    cache.store(&key(), &written).unwrap();
    let read = cache.load(&key()).unwrap().expect("stored entry");
    assert_eq!(read, written);

    // The file is the AWS CLI's format, `Expiration` in UTC with `Z`.
    let text = std::fs::read_to_string(cache.path_of(&key()).unwrap()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["Credentials"],
        json!({"AccessKeyId": "ASIAROUNDTRIP", "SecretAccessKey": SECRET,
               "SessionToken": TOKEN, "Expiration": "2026-11-28T03:49:02Z",
               "AccountId": "111111111111"})
    );
    assert_eq!(
        v["AssumedRoleUser"],
        json!({"AssumedRoleId": "AROAEXAMPLE:s",
               "Arn": "arn:aws:sts::111111111111:assumed-role/RoleB/s"})
    );
    assert_eq!(v["PackedPolicySize"], 6);
    assert_eq!(v["SourceIdentity"], "alice");

    // ASCII only, as Python's `json.dumps` writes: any reader decodes it.
    let accented = entry("ASIAACCENT").with_assumed_role_user(AssumedRoleUser {
        arn: "arn:aws:sts::111111111111:assumed-role/Rôle/s".into(),
        assumed_role_id: "AROAEXAMPLE:s".into(),
    });
    cache.store(&key(), &accented).unwrap();
    let text = std::fs::read_to_string(cache.path_of(&key()).unwrap()).unwrap();
    assert!(text.is_ascii() && text.contains(r"R\u00f4le"), "{text}");
    assert_eq!(cache.load(&key()).unwrap().unwrap(), accented);

    // The secrets as the file holds them (no public call turns an unchecked entry into
    // credentials: `cache::load_for` does, for the request it answers).
    let json = secrets(&read);
    assert_eq!(read.access_key_id(), "ASIAROUNDTRIP");
    assert_eq!(json["SecretAccessKey"], SECRET);
    assert_eq!(json["SessionToken"], TOKEN);
    assert_eq!(read.expiration(), expiry());
    assert_eq!(read.account_id(), Some("111111111111"));
}

/// An entry's `Credentials` object, as the AWS CLI's file holds it.
fn secrets(entry: &CachedCredentials) -> serde_json::Value {
    serde_json::to_value(entry).unwrap()["Credentials"].clone()
}

#[test]
fn an_aws_cli_file_with_fractional_seconds_and_an_offset_loads() {
    for (expiration, nanos) in [
        ("2026-11-28T03:49:02.051703+00:00", 51_703_000),
        ("2026-11-28T03:49:02+00:00", 0),
        ("2026-11-28T03:49:02.051703Z", 51_703_000),
        ("2026-11-28T03:49:02Z", 0),
        ("2026-11-28T04:49:02+01:00", 0),
        // botocore's own JSONFileCache writes datetimes with strftime's `%Z`.
        ("2026-11-28T03:49:02UTC", 0),
    ] {
        let (_dir, cache) = cache();
        write_raw(&cache, &key(), cli_fixture(expiration).as_bytes());
        let entry = cache.load(&key()).unwrap().expect(expiration);
        assert_eq!(
            entry.expiration(),
            expiry() + Duration::from_nanos(nanos),
            "{expiration}"
        );
        assert_eq!(entry.access_key_id(), "ASIAIOSFODNN7EXAMPLE");
        assert_eq!(entry.account_id(), Some("111111111111"));
        assert_eq!(
            entry.request_id(),
            Some("c6104cbe-af31-11e0-8154-cbc7ccf896c7")
        );
        assert_eq!(
            entry
                .assumed_role_user()
                .map(|u| u.assumed_role_id.as_str()),
            Some("AROA3XFRBF535PLBIFPI4:botocore-session-1795834141")
        );
        let json = secrets(&entry);
        assert_eq!(json["SecretAccessKey"], SECRET);
        assert_eq!(json["SessionToken"], TOKEN);
    }
}

#[test]
fn an_old_cli_file_without_account_id_takes_it_from_the_arn() {
    let (_dir, cache) = cache();
    let text = cli_fixture("2026-11-28T03:49:02Z").replace(r#", "AccountId": "111111111111""#, "");
    assert!(!text.contains("AccountId"));
    write_raw(&cache, &key(), text.as_bytes());
    let entry = cache.load(&key()).unwrap().unwrap();
    assert_eq!(entry.account_id(), Some("111111111111"));
}

#[test]
fn corrupt_and_truncated_files_are_ignored_and_replaced_by_the_next_store() {
    let valid = cli_fixture("2026-11-28T03:49:02Z");
    let corrupt: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("truncated", valid.as_bytes()[..valid.len() / 2].to_vec()),
        (
            "last byte cut",
            valid.as_bytes()[..valid.len() - 1].to_vec(),
        ),
        ("not JSON", b"this is not json".to_vec()),
        ("binary", vec![0xff, 0xfe, 0x00, 0x7b, 0x22]),
        ("null", b"null".to_vec()),
        ("array", b"[]".to_vec()),
        ("no Credentials", br#"{"AssumedRoleUser": {}}"#.to_vec()),
        (
            "no SessionToken",
            valid
                .replace(&format!(r#""SessionToken": "{TOKEN}", "#), "")
                .into_bytes(),
        ),
        (
            "empty SecretAccessKey",
            valid.replace(SECRET, "").into_bytes(),
        ),
        (
            "bad Expiration",
            valid
                .replace("2026-11-28T03:49:02Z", "next tuesday")
                .into_bytes(),
        ),
        (
            "Expiration without offset",
            valid
                .replace("2026-11-28T03:49:02Z", "2026-11-28T03:49:02")
                .into_bytes(),
        ),
        (
            "wrong type",
            valid
                .replace(
                    r#""AccessKeyId": "ASIAIOSFODNN7EXAMPLE""#,
                    r#""AccessKeyId": 7"#,
                )
                .into_bytes(),
        ),
        ("too large", {
            let mut v = valid.clone().into_bytes();
            v.pop();
            v.extend(format!(r#", "Padding": "{}"}}"#, "x".repeat(100_000)).bytes());
            v
        }),
    ];
    for (what, content) in corrupt {
        let (_dir, cache) = cache();
        write_raw(&cache, &key(), &content);
        assert!(
            cache.load(&key()).unwrap().is_none(),
            "{what}: a bad file must be a miss"
        );
        assert!(
            served_at(&cache, at(-3600), Duration::ZERO).is_none(),
            "{what}"
        );
        cache.store(&key(), &entry_for_b("ASIAREPLACED")).unwrap();
        let replaced = served_at(&cache, at(-3600), Duration::ZERO).expect(what);
        assert_eq!(replaced.access_key_id(), "ASIAREPLACED", "{what}");
    }
}

#[test]
fn a_directory_at_the_entry_path_is_a_miss() {
    let (_dir, cache) = cache();
    std::fs::create_dir_all(cache.path_of(&key()).unwrap()).unwrap();
    assert!(cache.load(&key()).unwrap().is_none());
}

#[test]
fn a_missing_file_or_directory_is_a_miss() {
    let (_dir, cache) = cache();
    assert!(!cache.dir().exists());
    assert!(cache.load(&key()).unwrap().is_none());
}

#[test]
fn expired_and_near_expiry_entries_are_not_served() {
    let dir = tempfile::tempdir().unwrap();
    let cache = FileCache::new(dir.path());
    cache.store(&key(), &entry_for_b("ASIANEAR")).unwrap();

    // `load` judges no expiry: the reader's clock does, with `load_for` (an entry long
    // expired by the machine's clock is still returned by `load`).
    assert_eq!(
        cache.load(&key()).unwrap().map(|e| e.expiration()),
        Some(expiry())
    );

    // `load_for` drops what has expired and what expires within the window at the
    // caller's `now`: the CLI's 15 minutes.
    let served = |now| served_at(&cache, now, AWS_CLI_MIN_REMAINING);
    assert!(served(at(-3600)).is_some());
    assert!(served(at(-16 * 60)).is_some());
    assert!(served(at(-15 * 60)).is_none());
    assert!(served(at(-10 * 60)).is_none());
    assert!(served(at(-1)).is_none());
    assert!(served(at(3600)).is_none());
    let creds = served(at(-20 * 60)).unwrap();
    assert_eq!(creds.access_key_id(), "ASIANEAR");
    assert_eq!(creds.expiry(), Some(expiry()));
}

#[test]
fn invalid_keys_are_rejected_and_name_no_path_outside_the_directory() {
    let (_dir, cache) = cache();
    let long = "a".repeat(129);
    for bad in [
        "",
        "../escape",
        "a/b",
        "a.json",
        ".hidden",
        "with space",
        "é",
        &long,
    ] {
        assert!(
            matches!(cache.path_of(bad), Err(CacheError::InvalidKey { .. })),
            "{bad:?}"
        );
        assert!(cache.load(bad).is_err(), "{bad:?}");
        assert!(cache.store(bad, &entry("ASIA")).is_err(), "{bad:?}");
    }
    assert!(!cache.dir().exists(), "nothing was written");
    assert_eq!(
        cache.path_of(&key()).unwrap(),
        cache.dir().join(format!("{}.json", key()))
    );
}

#[test]
fn the_default_directory_is_the_aws_clis() {
    // Reads the environment only; the home directory is never written to.
    if let Some(dir) = FileCache::default_dir() {
        assert!(dir.ends_with(Path::new(".aws").join("cli").join("cache")));
        assert_eq!(FileCache::aws_cli().unwrap().dir(), dir);
    }
}

#[test]
fn conversions_keep_expiry_and_account_and_refuse_long_term_keys() {
    let creds = Credentials::builder()
        .access_key_id("ASIACONVERT")
        .secret_access_key(SECRET)
        .session_token(TOKEN)
        .expiry(expiry())
        .account_id("111111111111")
        .provider_name("test")
        .build();
    let entry = CachedCredentials::try_from(&creds).unwrap();
    assert_eq!(entry.expiration(), expiry());
    assert_eq!(entry.account_id(), Some("111111111111"));
    let json = secrets(&entry);
    assert_eq!(entry.access_key_id(), "ASIACONVERT");
    assert_eq!(json["SecretAccessKey"], SECRET);
    assert_eq!(json["SessionToken"], TOKEN);

    let long_term = Credentials::new("AKIAEXAMPLE", SECRET, None, None, "test");
    assert!(matches!(
        CachedCredentials::try_from(&long_term),
        Err(CacheError::Incomplete(_))
    ));
    let no_expiry = Credentials::new("ASIAEXAMPLE", SECRET, Some(TOKEN.into()), None, "test");
    assert!(matches!(
        CachedCredentials::try_from(&no_expiry),
        Err(CacheError::Incomplete("expiry"))
    ));
}

// ---------------------------------------------------------------------------------------------
// Secrets

#[test]
fn debug_redacts_the_secret_key_and_the_session_token() {
    let e = entry("ASIADEBUG").with_account_id("111111111111");
    let shown = format!("{e:?} {e:#?}");
    assert!(shown.contains("ASIADEBUG"), "{shown}");
    assert!(shown.contains("2026-11-28T03:49:02Z"), "{shown}");
    assert!(shown.contains("redacted"), "{shown}");
    assert!(!shown.contains(SECRET) && !shown.contains(TOKEN), "{shown}");
    assert!(!shown.contains("wJalrXUtnFEMI") && !shown.contains("AQoDYXdz"));
}

#[test]
fn no_log_event_or_error_holds_file_content() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .finish();
    let mut errors = Vec::new();
    tracing::subscriber::with_default(subscriber, || {
        let (_dir, cache) = cache();
        // serde's own messages for these files would quote the secrets.
        let creds = format!(
            r#""Credentials": {{"AccessKeyId": "ASIA", "SecretAccessKey": "{SECRET}", "SessionToken": "{TOKEN}", "Expiration": "2026-11-28T03:49:02Z"}}"#
        );
        let leaky = [
            format!(r#"{{{creds}, "PackedPolicySize": "{SECRET}"}}"#),
            format!(r#"{{{creds}, "AssumedRoleUser": "{TOKEN}"}}"#),
            format!(r#"{{{creds}, "PackedPolicySize": 6"#),
        ];
        for content in leaky {
            write_raw(&cache, &key(), content.as_bytes());
            assert!(cache.load(&key()).unwrap().is_none());
            assert!(served_at(&cache, at(-3600), AWS_CLI_MIN_REMAINING).is_none());
        }
        cache.store(&key(), &entry_for_b("ASIALOGGED")).unwrap();
        served_at(&cache, at(-3600), AWS_CLI_MIN_REMAINING).unwrap();
        assert!(served_at(&cache, at(-60), AWS_CLI_MIN_REMAINING).is_none());
        // Refused: issued for another role (the refusal names roles, never credentials).
        cache.store(&key(), &entry("ASIANOROLE")).unwrap();
        assert!(served_at(&cache, at(-3600), AWS_CLI_MIN_REMAINING).is_none());
        errors.push(cache.load("../x").unwrap_err().to_string());
        errors.push(
            CachedCredentials::try_from(&Credentials::new("AKIA", SECRET, None, None, "t"))
                .unwrap_err()
                .to_string(),
        );
    });
    let logs = capture.text();
    assert!(logs.contains("not a valid cache entry"), "{logs}");
    assert!(logs.contains("stored cached credentials"), "{logs}");
    assert!(logs.contains("cached credentials refused"), "{logs}");
    for text in std::iter::once(&logs).chain(&errors) {
        assert!(!text.contains(SECRET), "{text}");
        assert!(!text.contains(TOKEN), "{text}");
        assert!(!text.contains("wJalrXUtnFEMI"), "{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Concurrency, permissions, ownership

const CHILD_DIR: &str = "STS_ASSUME_ROLE_FILE_CACHE_CHILD_DIR";
const CHILD_ID: &str = "STS_ASSUME_ROLE_FILE_CACHE_CHILD_ID";
const CHILDREN: usize = 8;
const STORES_PER_CHILD: usize = 150;

fn child_entry(child: usize, n: usize) -> CachedCredentials {
    CachedCredentials::new(
        format!("ASIACHILD{child}N{n}"),
        format!("secret-{child}-{n}-{SECRET}"),
        format!("token-{child}-{n}-{TOKEN}"),
        expiry(),
    )
}

/// Whether `e` is, whole, one of the entries the children write.
fn is_child_entry(e: &CachedCredentials) -> bool {
    (0..CHILDREN).any(|c| (0..STORES_PER_CHILD).any(|n| *e == child_entry(c, n)))
}

/// Not a test of its own: the writer that `eight_processes_storing_one_key_leave_one_valid_file`
/// runs in each child process. Returns at once when the variables are not set.
#[test]
fn concurrent_store_child() {
    let (Some(dir), Some(id)) = (std::env::var_os(CHILD_DIR), std::env::var_os(CHILD_ID)) else {
        return;
    };
    let child: usize = id.to_str().unwrap().parse().unwrap();
    let cache = FileCache::new(dir);
    for n in 0..STORES_PER_CHILD {
        cache.store(&key(), &child_entry(child, n)).unwrap();
        // Whatever another process wrote meanwhile, a reader sees a whole entry.
        let read = cache
            .load(&key())
            .unwrap()
            .expect("an entry is always there");
        assert!(is_child_entry(&read), "torn read: {read:?}");
    }
}

#[test]
fn eight_processes_storing_one_key_leave_one_valid_file() {
    let dir = tempfile::tempdir().unwrap();
    let cache_dir = dir.path().join("cache");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..CHILDREN)
        .map(|i| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "file_cache::concurrent_store_child",
                    "--test-threads=1",
                ])
                .env(CHILD_DIR, &cache_dir)
                .env(CHILD_ID, i.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "child {i} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // The filter matched the writer test (and only it).
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("1 passed"),
            "child {i} ran no writer"
        );
    }
    let cache = FileCache::new(&cache_dir);
    let last = cache.load(&key()).unwrap().expect("one entry");
    assert!(is_child_entry(&last), "{last:?}");
    let names: Vec<String> = std::fs::read_dir(&cache_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, [format!("{}.json", key())], "temporary files left");
}

#[cfg(unix)]
mod unix {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_file_is_0600_and_new_directories_0700() {
        let (dir, cache) = cache();
        cache.store(&key(), &entry("ASIAMODE")).unwrap();
        let path = cache.path_of(&key()).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(cache.dir()), 0o700);
        assert_eq!(mode(&dir.path().join("cli")), 0o700);

        // A file left world-readable (and readable only by us: trusted) is replaced by a
        // 0600 one.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(cache.load(&key()).unwrap().is_some());
        cache.store(&key(), &entry("ASIAMODE2")).unwrap();
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn an_existing_directory_keeps_its_mode() {
        let (_dir, cache) = cache();
        std::fs::create_dir_all(cache.dir()).unwrap();
        std::fs::set_permissions(cache.dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
        cache.store(&key(), &entry("ASIAKEEP")).unwrap();
        assert_eq!(mode(cache.dir()), 0o755);
        assert_eq!(mode(&cache.path_of(&key()).unwrap()), 0o600);
    }

    #[test]
    fn a_file_writable_by_others_is_ignored() {
        for m in [0o620, 0o602, 0o666] {
            let (_dir, cache) = cache();
            let path = write_raw(
                &cache,
                &key(),
                cli_fixture("2026-11-28T03:49:02Z").as_bytes(),
            );
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(m)).unwrap();
            assert!(cache.load(&key()).unwrap().is_none(), "mode {m:o}");
        }
    }

    #[test]
    fn a_file_owned_by_another_user_is_ignored() {
        let (_dir, cache) = cache();
        let path = write_raw(
            &cache,
            &key(),
            cli_fixture("2026-11-28T03:49:02Z").as_bytes(),
        );
        assert!(cache.load(&key()).unwrap().is_some(), "ours, it loads");
        // Only root can give a file away.
        if let Err(e) = std::os::unix::fs::chown(&path, Some(65534), Some(65534)) {
            eprintln!("skipped: cannot chown ({e}); run as root to test");
            return;
        }
        assert!(cache.load(&key()).unwrap().is_none());
        assert!(served_at(&cache, at(-3600), AWS_CLI_MIN_REMAINING).is_none());
        // The next store replaces it with a file of ours.
        cache.store(&key(), &entry("ASIAOURS")).unwrap();
        assert_eq!(
            cache.load(&key()).unwrap().unwrap().access_key_id(),
            "ASIAOURS"
        );
    }

    #[test]
    fn a_fifo_at_the_entry_path_does_not_block() {
        let (_dir, cache) = cache();
        std::fs::create_dir_all(cache.dir()).unwrap();
        let path = cache.path_of(&key()).unwrap();
        let status = Command::new("mkfifo").arg(&path).status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("skipped: no mkfifo");
            return;
        }
        assert!(cache.load(&key()).unwrap().is_none());
    }
}
