//! Profile mode: `--profile NAME` without `--role-arn` assumes the role the profile describes,
//! through `sts_assume_role::profile`, with the AWS CLI's credential cache in front of STS.

use std::future::Future;
use std::process::ExitCode;

use sts_assume_role::cache::FileCache;
use sts_assume_role::mfa::{ChannelSource, CodeSender};
use sts_assume_role::profile::from_profile;

use super::{Args, Host, Invalid, Io, fail, output, read_token_code, report_invalid, with_flags};

/// Resolves the profile's role, takes its credentials from the cache or STS (asking for an MFA
/// code on `io` when STS needs one) and prints them.
pub(crate) async fn run(args: Args, host: Host, io: &mut Io<'_>) -> ExitCode {
    let Some(profile) = args.profile.clone() else {
        return report_invalid(&Invalid::NoRole, io);
    };
    let misplaced = role_arn_flags(&args);
    if !misplaced.is_empty() {
        return report_invalid(
            &Invalid::NeedsRoleArn {
                flags: misplaced,
                profile,
            },
            io,
        );
    }
    let cache = match (&args.cache_dir, args.no_cache) {
        (_, true) => None,
        (Some(dir), false) => Some(FileCache::new(dir)),
        (None, false) => {
            if host.default_cache.is_none() {
                let _ = writeln!(
                    io.stderr,
                    "assume-role: no home directory, so nothing is cached; give --cache-dir to cache"
                );
            }
            host.default_cache
        }
    };

    let (source, codes) = ChannelSource::new();
    let mut builder = from_profile(&profile)
        .environment(host.env)
        .mfa(source)
        .mfa_devices(host.devices);
    if let Some(cache) = cache {
        builder = builder.cache(cache);
    }
    if let Some(secs) = args.mfa_session {
        builder = builder.mfa_session(std::time::Duration::from_secs(secs));
    }
    // The base of the STS clients: HTTP client, endpoint, region. Its credentials would not be
    // used (each role is assumed with the credentials below it in the chain), so none load.
    let base = with_flags(host.config, &args).no_credentials().load().await;
    let provider = match builder.sdk_config(&base).build().await {
        Ok(provider) => provider,
        Err(e) => return report_invalid(&Invalid::Profile(e), io),
    };

    // The provider reads the cache first, and asks for a code only if it must call STS.
    let (loaded, no_code) = answering(provider.prefetch(), codes, io).await;
    let credentials = match loaded {
        Ok(Ok(credentials)) => credentials,
        Ok(Err(_)) if no_code => return report_invalid(&Invalid::NoTokenCode, io),
        Ok(Err(e)) => return fail(&e, io),
        Err(invalid) => return report_invalid(&invalid, io),
    };
    let printed = output::write_credentials(args.output, &credentials, io.stdout)
        .and_then(|()| io.stdout.flush());
    match printed {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e, io),
    }
}

/// The flags given that only `--role-arn` mode reads.
fn role_arn_flags(args: &Args) -> Vec<&'static str> {
    let given = [
        ("--role-session-name", args.role_session_name.is_some()),
        ("--policy-arns", !args.policy_arns.is_empty()),
        ("--policy", args.policy.is_some()),
        ("--duration-seconds", args.duration_seconds.is_some()),
        ("--tags", !args.tags.is_empty()),
        (
            "--transitive-tag-keys",
            !args.transitive_tag_keys.is_empty(),
        ),
        ("--external-id", args.external_id.is_some()),
        ("--serial-number", args.serial_number.is_some()),
        ("--token-code", args.token_code.is_some()),
        ("--source-identity", args.source_identity.is_some()),
        ("--provided-contexts", !args.provided_contexts.is_empty()),
        (
            "--minimum-session-token-size",
            args.minimum_session_token_size.is_some(),
        ),
    ];
    given
        .into_iter()
        .filter_map(|(flag, set)| set.then_some(flag))
        .collect()
}

/// The flags given that only profile mode reads.
pub(crate) fn profile_only_flags(args: &Args) -> Vec<&'static str> {
    let given = [
        ("--cache-dir", args.cache_dir.is_some()),
        ("--no-cache", args.no_cache),
        ("--mfa-session", args.mfa_session.is_some()),
    ];
    given
        .into_iter()
        .filter_map(|(flag, set)| set.then_some(flag))
        .collect()
}

/// Waits for `load`, answering each request of the provider for an MFA code on the way: the
/// question goes to `io.stderr`, the code comes from a line of `io.stdin`. At the end of stdin
/// the sender is dropped, which cancels the question; the `bool` then says so. A malformed code
/// stops everything before it is sent.
async fn answering<T>(
    load: impl Future<Output = T>,
    codes: CodeSender,
    io: &mut Io<'_>,
) -> (Result<T, Invalid>, bool) {
    let mut requests = codes.requests();
    let mut codes = Some(codes);
    let mut no_code = false;
    let mut load = std::pin::pin!(load);
    loop {
        tokio::select! {
            result = &mut load => return (Ok(result), no_code),
            request = requests.next() => {
                let Some(ctx) = request else {
                    // The token source is gone, so no more questions.
                    return (Ok(load.await), no_code);
                };
                // Reading blocks this task; the provider is waiting for the code anyway.
                match read_token_code(&ctx.question(), io) {
                    Ok(code) => {
                        if let Some(codes) = &codes {
                            let _ = codes.send(code.expose());
                        }
                    }
                    Err(Invalid::NoTokenCode) => {
                        codes = None;
                        no_code = true;
                    }
                    Err(invalid) => return (Err(invalid), no_code),
                }
            }
        }
    }
}
