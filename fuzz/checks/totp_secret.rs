//! `totp_secret`: a TOTP secret read by [`Totp::from_base32`].
//!
//! - It never panics.
//! - Ok: every code is exactly six ASCII digits; `Debug` never shows the secret; the same
//!   secret in lower case with spaces gives the same codes (both are documented as tolerated).
//! - Err: the error's `Display` never shows the secret.

use std::time::{Duration, SystemTime};

use sts_assume_role::mfa::Totp;

/// Inputs shorter than this are not looked for: they turn up by accident too easily.
const MIN_SECRET: usize = 8;

/// RFC 6238's test key ("12345678901234567890"), in base32.
const REFERENCE_SECRET: &str = "GEZDGNBVGY3DQOJQGEZDGNBVGY3DQOJQ";

pub fn check(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let result = Totp::from_base32(input);

    // The tolerated variations of a secret parse to the same generator.
    let variant: String = input
        .chars()
        .enumerate()
        .flat_map(|(i, c)| {
            let space = (i % 4 == 0 && i > 0).then_some(' ');
            space
                .into_iter()
                .chain(std::iter::once(c.to_ascii_lowercase()))
        })
        .collect();
    let variant_result = Totp::from_base32(&variant);

    let seconds = moments(data);
    match &result {
        Ok(totp) => {
            let debug = format!("{totp:?}");
            let reference = Totp::from_base32(REFERENCE_SECRET).expect("the RFC 6238 key");
            let reference = format!("{reference:?}");
            // `Debug` is the same for every secret: then the secret can be in it only as a
            // substring of its fixed text.
            assert_eq!(debug, reference, "Debug depends on the secret");
            assert!(
                input.chars().count() < MIN_SECRET
                    || !debug.contains(input)
                    || reference.contains(input),
                "Debug shows the secret: {debug}"
            );
            let variant = variant_result.as_ref().unwrap_or_else(|e| {
                panic!("{input:?} parses, its variant {variant:?} does not: {e}")
            });
            for &n in &seconds {
                let at = SystemTime::UNIX_EPOCH + Duration::from_secs(n);
                let code = totp.code_at(at);
                let digits = code.expose();
                assert!(
                    digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()),
                    "not six digits at {n}: {digits:?}"
                );
                assert_eq!(
                    digits,
                    variant.code_at(at).expose(),
                    "variant differs at {n}"
                );
                // The same moment gives the same code; so does the rest of its 30-second step.
                assert_eq!(digits, totp.code_at(at).expose());
                let step_start = SystemTime::UNIX_EPOCH + Duration::from_secs(n - n % 30);
                assert_eq!(
                    digits,
                    totp.code_at(step_start).expose(),
                    "code changes within a step at {n}"
                );
            }
        }
        Err(error) => {
            let message = error.to_string();
            if input.chars().count() >= MIN_SECRET && message.contains(input) {
                // Only as a substring of a message that does not depend on the input: the
                // message of another invalid secret.
                let fixed = [
                    Totp::from_base32("!").err().map(|e| e.to_string()),
                    Totp::from_base32("AA").err().map(|e| e.to_string()),
                ];
                assert!(
                    fixed.iter().flatten().any(|m| *m == message),
                    "the error shows the secret: {message}"
                );
            }
            assert!(
                variant_result.is_err(),
                "{input:?} does not parse, its variant {variant:?} does"
            );
        }
    }
}

/// A few moments: fixed ones (the epoch, RFC 6238's test times, the far future) and two taken
/// from the input.
fn moments(data: &[u8]) -> Vec<u64> {
    let mut seconds = vec![0, 59, 1_111_111_109, 2_000_000_000, 20_000_000_000];
    let mut word = [0u8; 8];
    for (i, b) in data.iter().rev().take(8).enumerate() {
        word[i] = *b;
    }
    let from_input = u64::from_le_bytes(word);
    // `SystemTime` holds any u64 of seconds past the epoch only up to its own limit; keep
    // to one that every platform reaches.
    seconds.push(from_input % (1 << 40));
    seconds.push(from_input >> 24);
    seconds.retain(|&n| {
        SystemTime::UNIX_EPOCH
            .checked_add(Duration::from_secs(n))
            .is_some()
    });
    seconds
}
