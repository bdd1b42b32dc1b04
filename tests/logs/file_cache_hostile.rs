//! The file cache against another user sharing the machine: links, renames and copies of
//! one key's entry to another key's name, folders with loose modes or another owner. Nothing
//! here may make a valid AWS CLI entry unreadable.
//!
//! Giving a file or folder to another user needs root: those cases run when the tests run as
//! root and are skipped (saying so on stderr) otherwise.
#![cfg(unix)]

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use sts_assume_role::cache::{
    self, AWS_CLI_MIN_REMAINING, CacheError, CachedCredentials, CredentialCache, FileCache,
    cli_cache_key,
};
use sts_assume_role::test_util::{Action, MockSts};
use sts_assume_role::{AssumeRoleProvider, AssumeRoleRequest, AssumedRoleUser};

use common::Capture;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
const TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtokenTOKENtoken";
/// Some user other than the one running the tests (`nobody` on most systems).
const OTHER_UID: u32 = 65534;

fn expiry() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_834_142)
}

fn request(role: &str, session: &str) -> AssumeRoleRequest {
    AssumeRoleRequest::builder(format!("arn:aws:iam::123456789012:role/{role}"), session)
        .build()
        .unwrap()
}

/// What STS (or the AWS CLI) would have stored for `role` and `session`.
fn entry_for(role: &str, session: &str, access_key_id: &str) -> CachedCredentials {
    CachedCredentials::new(access_key_id, SECRET, TOKEN, expiry()).with_assumed_role_user(
        AssumedRoleUser {
            arn: format!("arn:aws:sts::123456789012:assumed-role/{role}/{session}"),
            assumed_role_id: format!("AROAEXAMPLE:{session}"),
        },
    )
}

/// An AWS CLI file for `role`/`session`: no `CacheKey`, as botocore writes it.
fn cli_json(role: &str, session: &str, access_key_id: &str) -> String {
    serde_json::json!({
        "Credentials": {
            "AccessKeyId": access_key_id,
            "SecretAccessKey": SECRET,
            "SessionToken": TOKEN,
            "Expiration": "2099-11-28T03:49:02.051703+00:00",
        },
        "AssumedRoleUser": {
            "AssumedRoleId": format!("AROAEXAMPLE:{session}"),
            "Arn": format!("arn:aws:sts::123456789012:assumed-role/{role}/{session}"),
        },
        "ResponseMetadata": {"RequestId": "cli-request", "HTTPStatusCode": 200},
    })
    .to_string()
}

/// A cache folder with `mode`, and the cache in it.
fn folder(mode: u32) -> (tempfile::TempDir, FileCache) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache");
    std::fs::create_dir(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    (dir, FileCache::new(path))
}

fn write_cli(cache: &FileCache, key: &str, json: &str) -> PathBuf {
    let path = cache.path_of(key).unwrap();
    std::fs::write(&path, json).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn chown(path: &Path, uid: u32) -> bool {
    match std::os::unix::fs::chown(path, Some(uid), None) {
        Ok(()) => true,
        Err(e) => {
            eprintln!(
                "skipped: cannot give {} away ({e}); run as root to test",
                path.display()
            );
            false
        }
    }
}

fn key_a() -> String {
    cli_cache_key(&request("RoleA", "alice"))
}

fn key_b() -> String {
    cli_cache_key(&request("RoleB", "alice"))
}

/// How many warnings mention `text`.
fn warned(capture: &Capture, text: &str) -> usize {
    capture
        .text()
        .lines()
        .filter(|l| l.contains("WARN") && l.contains(text))
        .count()
}

#[test]
fn a_symbolic_link_to_another_keys_entry_is_refused_even_in_a_private_folder() {
    let (_dir, cache) = folder(0o700);
    cache
        .store(&key_a(), &entry_for("RoleA", "alice", "ASIAROLEA"))
        .unwrap();
    let a = cache.path_of(&key_a()).unwrap();
    let b = cache.path_of(&key_b()).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    assert!(
        cache.load(&key_b()).unwrap().is_none(),
        "a link is never followed"
    );
    assert_eq!(
        cache.load(&key_a()).unwrap().unwrap().access_key_id(),
        "ASIAROLEA"
    );

    // The same for a link to an AWS CLI file (no stamp) and a relative link.
    std::fs::remove_file(&b).unwrap();
    write_cli(&cache, &key_a(), &cli_json("RoleA", "alice", "ASIACLIA"));
    std::os::unix::fs::symlink(format!("{}.json", key_a()), &b).unwrap();
    assert!(cache.load(&key_b()).unwrap().is_none());
    assert!(
        cache.load(&key_a()).unwrap().is_some(),
        "the CLI's own file loads"
    );

    // The next store replaces the link with a file, and leaves the link's target alone.
    cache
        .store(&key_b(), &entry_for("RoleB", "alice", "ASIAROLEB"))
        .unwrap();
    assert!(!std::fs::symlink_metadata(&b).unwrap().is_symlink());
    assert_eq!(
        cache.load(&key_a()).unwrap().unwrap().access_key_id(),
        "ASIACLIA"
    );
}

#[test]
fn a_hard_link_to_another_keys_entry_is_refused() {
    let (_dir, cache) = folder(0o700);
    let a = write_cli(&cache, &key_a(), &cli_json("RoleA", "alice", "ASIACLIA"));
    let b = cache.path_of(&key_b()).unwrap();
    std::fs::hard_link(&a, &b).unwrap();
    // An unstamped AWS CLI file with two names could be either key's: neither is served.
    assert!(cache.load(&key_b()).unwrap().is_none());
    assert!(cache.load(&key_a()).unwrap().is_none());
    // A store gives each key a file of its own again.
    std::fs::remove_file(&b).unwrap();
    assert!(cache.load(&key_a()).unwrap().is_some());
}

#[test]
fn an_entry_this_cache_stored_is_refused_under_another_key() {
    // Group-writable: another member of the group can rename files here.
    let (_dir, cache) = folder(0o770);
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(capture.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        cache
            .store(&key_a(), &entry_for("RoleA", "alice", "ASIAROLEA"))
            .unwrap();
        let a = cache.path_of(&key_a()).unwrap();
        let b = cache.path_of(&key_b()).unwrap();
        let stamped: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&a).unwrap()).unwrap();
        assert_eq!(stamped["CacheKey"], key_a(), "{stamped}");
        std::fs::rename(&a, &b).unwrap();
        for _ in 0..3 {
            assert!(cache.load(&key_b()).unwrap().is_none(), "renamed: refused");
        }
        // Moved back, it is served again, without its stamp.
        std::fs::rename(&b, &a).unwrap();
        let back = cache.load(&key_a()).unwrap().unwrap();
        assert_eq!(back, entry_for("RoleA", "alice", "ASIAROLEA"));
        // A copy is refused as well.
        std::fs::copy(&a, &b).unwrap();
        assert!(cache.load(&key_b()).unwrap().is_none(), "copied: refused");
    });
    assert_eq!(
        warned(&capture, "stored under another key"),
        1,
        "{}",
        capture.text()
    );
    assert_eq!(
        warned(&capture, "writable by its group without the sticky bit"),
        1,
        "{}",
        capture.text()
    );
    let logs = capture.text();
    assert!(!logs.contains(SECRET) && !logs.contains(TOKEN), "{logs}");
}

/// An AWS CLI entry carries no key, but it names its role and session: a provider serves it
/// only for that role and session, and otherwise calls STS.
#[tokio::test]
async fn a_cli_entry_of_another_role_renamed_to_a_providers_key_is_not_served() {
    let mock = MockSts::start().await;
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(capture.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (_dir, cache) = folder(0o770);
    let wanted = request("RoleB", "alice");
    let provider = |request: AssumeRoleRequest| {
        AssumeRoleProvider::builder(request, &mock.sdk_config())
            .cache(cache.clone())
            .build()
            .unwrap()
    };
    // Role A's session (the CLI's file) under role B's key; then role B under another
    // session name, and another account.
    for (role_arn, session) in [
        (
            "arn:aws:sts::123456789012:assumed-role/RoleA/alice",
            "alice",
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/RoleB/mallory",
            "mallory",
        ),
        (
            "arn:aws:sts::999999999999:assumed-role/RoleB/alice",
            "alice",
        ),
    ] {
        let json = cli_json("X", session, "ASIAWRONG").replace(
            &format!("arn:aws:sts::123456789012:assumed-role/X/{session}"),
            role_arn,
        );
        write_cli(&cache, &cli_cache_key(&wanted), &json);
        let bare = cache.load(&cli_cache_key(&wanted)).unwrap().unwrap();
        assert!(!bare.is_for(&wanted), "{role_arn}");
        let calls = mock.calls(Action::AssumeRole);
        let creds = provider(wanted.clone())
            .provide_credentials()
            .await
            .unwrap();
        assert_ne!(creds.access_key_id(), "ASIAWRONG", "{role_arn}");
        assert_eq!(mock.calls(Action::AssumeRole), calls + 1, "{role_arn}");
    }
    // The right role's entry is served, without STS: the AWS CLI's entries stay readable,
    // whatever the case of the role name in the ARN and the role's path.
    for (configured, issued) in [("RoleB", "RoleB"), ("team/roleb", "RoleB")] {
        let wanted = request(configured, "alice");
        write_cli(
            &cache,
            &cli_cache_key(&wanted),
            &cli_json(issued, "alice", "ASIARIGHT"),
        );
        let calls = mock.calls(Action::AssumeRole);
        let creds = provider(wanted).provide_credentials().await.unwrap();
        assert_eq!(creds.access_key_id(), "ASIARIGHT");
        assert_eq!(mock.calls(Action::AssumeRole), calls);
    }
    // With a generated session name, any session of the role is this request's (the key
    // leaves the name out, as the AWS CLI does for `botocore-session-…`).
    let generated =
        AssumeRoleRequest::builder_with_generated_name("arn:aws:iam::123456789012:role/RoleB")
            .build()
            .unwrap();
    write_cli(
        &cache,
        &cli_cache_key(&generated),
        &cli_json("RoleB", "botocore-session-1795834141", "ASIAGENERATED"),
    );
    let creds = provider(generated).provide_credentials().await.unwrap();
    assert_eq!(creds.access_key_id(), "ASIAGENERATED");
    drop(_guard);
    let logs = capture.text();
    // Logged once per provider: three providers met a wrong entry.
    assert_eq!(
        warned(&capture, "issued for another role or session"),
        3,
        "{logs}"
    );
    assert!(!logs.contains(SECRET) && !logs.contains(TOKEN), "{logs}");
}

/// What the public read serves for `request` an hour before [`expiry`].
fn served(cache: &(impl CredentialCache + ?Sized), request: &AssumeRoleRequest) -> Option<String> {
    let now = expiry() - Duration::from_secs(3600);
    cache::load_for(cache, request, now, AWS_CLI_MIN_REMAINING)
        .unwrap()
        .map(|c| c.access_key_id().to_owned())
}

/// The public read checks the entry against the request: role A's credentials put under role
/// B's key, however they got there, are never served for role B; role B's own are.
#[test]
fn load_for_never_serves_another_roles_entry_under_the_requests_key() {
    let (_dir, cache) = folder(0o770);
    let b = request("RoleB", "alice");
    assert_eq!(served(&cache, &b), None, "empty");

    // Stored under B's key by a writer that got the key wrong (the stamp says B's key, so
    // only the role check stands): `load` returns it, `load_for` refuses it.
    cache
        .store(&key_b(), &entry_for("RoleA", "alice", "ASIAROLEA"))
        .unwrap();
    assert!(cache.load(&key_b()).unwrap().is_some());
    assert_eq!(served(&cache, &b), None, "stored under B's key");

    // The AWS CLI's file of role A copied under B's key (no stamp to betray it).
    let a_file = write_cli(&cache, &key_a(), &cli_json("RoleA", "alice", "ASIACLIA"));
    let b_file = cache.path_of(&key_b()).unwrap();
    std::fs::copy(&a_file, &b_file).unwrap();
    assert!(cache.load(&key_b()).unwrap().is_some());
    assert_eq!(served(&cache, &b), None, "copied");

    // Linked (hard or symbolic) or renamed there.
    std::fs::remove_file(&b_file).unwrap();
    std::fs::hard_link(&a_file, &b_file).unwrap();
    assert_eq!(served(&cache, &b), None, "hard link");
    std::fs::remove_file(&b_file).unwrap();
    std::os::unix::fs::symlink(&a_file, &b_file).unwrap();
    assert_eq!(served(&cache, &b), None, "symbolic link");
    std::fs::remove_file(&b_file).unwrap();
    std::fs::rename(&a_file, &b_file).unwrap();
    assert_eq!(served(&cache, &b), None, "renamed");

    // Role B, but another session name or another account; or no role at all (an MFA
    // session's entry).
    let other_account = cli_json("RoleB", "alice", "ASIAOTHERACCOUNT")
        .replace("arn:aws:sts::123456789012:", "arn:aws:sts::999999999999:");
    let no_role = CachedCredentials::new("ASIASESSION", SECRET, TOKEN, expiry());
    for (what, json) in [
        (
            "another session",
            cli_json("RoleB", "mallory", "ASIAMALLORY"),
        ),
        ("another account", other_account),
        ("no role", serde_json::to_string(&no_role).unwrap()),
    ] {
        write_cli(&cache, &key_b(), &json);
        assert!(cache.load(&key_b()).unwrap().is_some(), "{what}");
        assert_eq!(served(&cache, &b), None, "{what}");
    }

    // Role B's own entry, the AWS CLI's or this crate's, is served.
    write_cli(&cache, &key_b(), &cli_json("RoleB", "alice", "ASIACLIB"));
    assert_eq!(served(&cache, &b).as_deref(), Some("ASIACLIB"));
    cache
        .store(&key_b(), &entry_for("RoleB", "alice", "ASIAROLEB"))
        .unwrap();
    assert_eq!(served(&cache, &b).as_deref(), Some("ASIAROLEB"));
    // And role A's, for role A.
    cache
        .store(&key_a(), &entry_for("RoleA", "alice", "ASIAROLEA"))
        .unwrap();
    assert_eq!(
        served(&cache, &request("RoleA", "alice")).as_deref(),
        Some("ASIAROLEA")
    );
}

#[test]
fn load_for_serves_only_entries_living_longer_than_the_minimum() {
    let (_dir, cache) = folder(0o700);
    let b = request("RoleB", "alice");
    cache
        .store(&key_b(), &entry_for("RoleB", "alice", "ASIAROLEB"))
        .unwrap();
    let read = |left: u64, min: Duration| -> Option<Credentials> {
        cache::load_for(&cache, &b, expiry() - Duration::from_secs(left), min).unwrap()
    };
    let min = AWS_CLI_MIN_REMAINING;
    assert!(read(16 * 60, min).is_some());
    let at_the_limit = read(15 * 60, min);
    assert!(at_the_limit.is_none(), "exactly the minimum left");
    assert!(read(60, min).is_none());
    assert!(read(0, Duration::ZERO).is_none(), "expired");
    assert!(read(1, Duration::ZERO).is_some());
    let creds = read(3600, min).unwrap();
    assert_eq!(creds.expiry(), Some(expiry()));
    assert_eq!(creds.secret_access_key(), SECRET);
    assert_eq!(creds.session_token(), Some(TOKEN));
    assert_eq!(creds.account_id().map(|a| a.as_str()), Some("123456789012"));
}

/// A store of the caller's own, which returns whatever it holds for any key: the check is
/// `load_for`'s, so it holds for every store.
#[test]
fn load_for_checks_entries_from_any_store() {
    #[derive(Debug)]
    struct Everywhere(CachedCredentials);
    impl CredentialCache for Everywhere {
        fn load(&self, _: &str) -> Result<Option<CachedCredentials>, CacheError> {
            Ok(Some(self.0.clone()))
        }
        fn store(&self, _: &str, _: &CachedCredentials) -> Result<(), CacheError> {
            Ok(())
        }
    }
    let b = request("RoleB", "alice");
    let role_a = Everywhere(entry_for("RoleA", "alice", "ASIAROLEA"));
    assert_eq!(served(&role_a, &b), None);
    let role_b = std::sync::Arc::new(Everywhere(entry_for("RoleB", "alice", "ASIAROLEB")));
    let shared: std::sync::Arc<dyn CredentialCache> = role_b;
    assert_eq!(served(&shared, &b).as_deref(), Some("ASIAROLEB"));
    assert_eq!(served(&*shared, &b).as_deref(), Some("ASIAROLEB"));
    assert_eq!(served(&shared, &request("RoleA", "alice")), None);
}

#[test]
fn load_for_warns_of_a_refused_entry_naming_roles_not_secrets() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(capture.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let (_dir, cache) = folder(0o700);
        write_cli(&cache, &key_b(), &cli_json("RoleA", "alice", "ASIACLIA"));
        assert_eq!(served(&cache, &request("RoleB", "alice")), None);
    });
    let logs = capture.text();
    assert_eq!(warned(&capture, "issued for another role"), 1, "{logs}");
    assert!(
        logs.contains("arn:aws:sts::123456789012:assumed-role/RoleA/alice"),
        "{logs}"
    );
    assert!(
        logs.contains("arn:aws:iam::123456789012:role/RoleB"),
        "{logs}"
    );
    assert!(!logs.contains(SECRET) && !logs.contains(TOKEN), "{logs}");
    assert!(!logs.contains("ASIACLIA"), "{logs}");
}

#[test]
fn a_folder_writable_by_others_without_the_sticky_bit_is_neither_read_nor_written() {
    let (_dir, cache) = folder(0o700);
    write_cli(&cache, &key_a(), &cli_json("RoleA", "alice", "ASIACLIA"));
    assert!(cache.load(&key_a()).unwrap().is_some());
    for mode in [0o777, 0o707, 0o703] {
        std::fs::set_permissions(cache.dir(), std::fs::Permissions::from_mode(mode)).unwrap();
        assert!(cache.load(&key_a()).unwrap().is_none(), "mode {mode:o}");
        let err = cache
            .store(&key_a(), &entry_for("RoleA", "alice", "ASIAOURS"))
            .unwrap_err();
        assert!(
            matches!(
                &err,
                CacheError::UntrustedDir { reason, .. } if reason.contains("writable by others")
            ),
            "{err:?}"
        );
        assert!(!err.is_retryable());
        assert_eq!(err.path(), Some(cache.dir()));
        assert!(!err.to_string().contains(SECRET));
        // Nothing was written there, not even a temporary file.
        assert_eq!(std::fs::read_dir(cache.dir()).unwrap().count(), 1);
    }
    // With the sticky bit others cannot rename or remove our files: trusted.
    std::fs::set_permissions(cache.dir(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    assert!(cache.load(&key_a()).unwrap().is_some());
    cache
        .store(&key_b(), &entry_for("RoleB", "alice", "ASIAOURS"))
        .unwrap();
    assert!(cache.load(&key_b()).unwrap().is_some());
}

/// A group-writable folder is what the AWS CLI itself creates under a umask of 002 (common
/// with per-user groups): its entries stay readable, each checked on its own.
#[test]
fn a_group_writable_folder_is_read_and_written_with_one_warning() {
    let (_dir, cache) = folder(0o775);
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(capture.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        write_cli(&cache, &key_a(), &cli_json("RoleA", "alice", "ASIACLIA"));
        for _ in 0..3 {
            assert!(cache.load(&key_a()).unwrap().is_some());
        }
        cache
            .store(&key_b(), &entry_for("RoleB", "alice", "ASIAOURS"))
            .unwrap();
        assert!(cache.load(&key_b()).unwrap().is_some());
    });
    assert_eq!(
        warned(&capture, "writable by its group"),
        1,
        "{}",
        capture.text()
    );
}

#[test]
fn a_folder_owned_by_another_user_is_neither_read_nor_written() {
    let (_dir, cache) = folder(0o755);
    write_cli(&cache, &key_a(), &cli_json("RoleA", "alice", "ASIACLIA"));
    assert!(cache.load(&key_a()).unwrap().is_some());
    if !is_root() {
        eprintln!("skipped: only root can give a folder to another user");
        return;
    }
    assert!(chown(cache.dir(), OTHER_UID));
    // Its owner could swap any file in it, whatever the files' own owner and mode.
    assert!(cache.load(&key_a()).unwrap().is_none());
    let err = cache
        .store(&key_a(), &entry_for("RoleA", "alice", "ASIAOURS"))
        .unwrap_err();
    assert!(
        matches!(&err, CacheError::UntrustedDir { reason, .. } if *reason == "owned by another user"),
        "{err:?}"
    );
    // Root's folders are trusted (root can do anything anyway): ours again is fine too.
    assert!(chown(cache.dir(), 0));
    assert!(cache.load(&key_a()).unwrap().is_some());
}

/// Another user's files in a folder they can write to (group-writable, or sticky and
/// world-writable): planted entries and links are never served.
#[test]
fn files_another_user_planted_are_refused() {
    for mode in [0o775, 0o1777] {
        let (_dir, cache) = folder(mode);
        let planted = write_cli(&cache, &key_a(), &cli_json("RoleA", "alice", "ASIAPLANTED"));
        if !is_root() {
            eprintln!("skipped: only root can make a file another user's");
            return;
        }
        assert!(chown(&planted, OTHER_UID));
        assert!(cache.load(&key_a()).unwrap().is_none(), "mode {mode:o}");
        // A link of theirs to our file, under another key.
        let ours = write_cli(&cache, &key_b(), &cli_json("RoleB", "alice", "ASIAOURS"));
        let link = cache.path_of("planted-link").unwrap();
        std::os::unix::fs::symlink(&ours, &link).unwrap();
        let _ = std::os::unix::fs::lchown(&link, Some(OTHER_UID), None);
        assert!(cache.load("planted-link").unwrap().is_none());
        // Our store replaces the planted file with ours.
        cache
            .store(&key_a(), &entry_for("RoleA", "alice", "ASIAREAL"))
            .unwrap();
        assert_eq!(
            cache.load(&key_a()).unwrap().unwrap().access_key_id(),
            "ASIAREAL"
        );
    }
}
