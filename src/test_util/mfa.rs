//! MFA one-time codes: which the mock accepts, and which it has already used up.

use std::collections::HashSet;
use std::fmt;
use std::time::SystemTime;

use totp_rs::Totp;

use super::xml::unix_secs;

/// How codes are checked.
pub(super) enum MfaMode {
    /// Any six digits.
    AnyCode,
    /// Exactly this code.
    Fixed(String),
    /// RFC 6238: SHA-1, 6 digits, 30 s steps, one step of skew either way.
    Totp(Box<Totp>),
}

impl fmt::Debug for MfaMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MfaMode::AnyCode => "AnyCode",
            MfaMode::Fixed(_) => "Fixed(** redacted **)",
            MfaMode::Totp(_) => "Totp(** redacted **)",
        })
    }
}

impl MfaMode {
    /// TOTP mode from a base32 secret. Spaces, `=` padding and lower case are tolerated.
    ///
    /// # Panics
    ///
    /// When the secret is not base32 or shorter than 128 bits; the message never shows it.
    pub(super) fn totp(secret_base32: &str) -> Self {
        match crate::mfa::totp::parse_base32(secret_base32) {
            Ok(totp) => MfaMode::Totp(Box::new(totp)),
            Err(e) => panic!("{e}"),
        }
    }
}

/// Checks codes and remembers which were accepted, so none is accepted twice.
pub(super) struct MfaVerifier {
    pub(super) mode: MfaMode,
    /// `(serial number, code)` pairs already accepted.
    used: HashSet<(String, String)>,
}

impl fmt::Debug for MfaVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MfaVerifier")
            .field("mode", &self.mode)
            .field("used_codes", &self.used.len())
            .finish()
    }
}

impl MfaVerifier {
    pub(super) fn new(mode: MfaMode) -> Self {
        Self {
            mode,
            used: HashSet::new(),
        }
    }

    /// Whether `code` is good for device `serial` at `now`; a good code is used up.
    pub(super) fn verify(&mut self, serial: &str, code: &str, now: SystemTime) -> bool {
        let six_digits = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
        let valid = six_digits
            && match &self.mode {
                MfaMode::AnyCode => true,
                MfaMode::Fixed(expected) => code == expected,
                MfaMode::Totp(totp) => totp.check(code, unix_secs(now)).is_some(),
            };
        valid && self.used.insert((serial.to_owned(), code.to_owned()))
    }

    /// The TOTP code for `now`, in TOTP mode.
    pub(super) fn totp_code(&self, now: SystemTime) -> Option<String> {
        match &self.mode {
            MfaMode::Totp(totp) => Some(totp.generate(unix_secs(now)).to_string()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

    #[test]
    fn a_code_is_accepted_once_per_device() {
        let mut mfa = MfaVerifier::new(MfaMode::AnyCode);
        let now = SystemTime::UNIX_EPOCH;
        assert!(mfa.verify("dev", "123456", now));
        assert!(!mfa.verify("dev", "123456", now));
        assert!(mfa.verify("other", "123456", now));
        assert!(!mfa.verify("dev", "12345", now));
        assert!(!mfa.verify("dev", "12345a", now));
    }

    #[test]
    fn totp_codes_follow_the_clock_with_one_step_of_skew() {
        let mut mfa = MfaVerifier::new(MfaMode::totp("jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp"));
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let code = mfa.totp_code(t0).expect("totp mode");
        assert!(!mfa.verify("dev", &code, t0 + Duration::from_secs(90)));
        assert!(mfa.verify("dev", &code, t0 + Duration::from_secs(30)));
        assert!(!mfa.verify("dev", &code, t0));
        let next = mfa
            .totp_code(t0 + Duration::from_secs(60))
            .expect("totp mode");
        assert!(mfa.verify("dev", &next, t0 + Duration::from_secs(60)));
    }

    #[test]
    #[should_panic(expected = "got invalid base32")]
    fn a_bad_totp_secret_panics_without_showing_it() {
        let _ = MfaMode::totp("not base32!");
    }

    #[test]
    fn debug_hides_codes_and_secrets() {
        let mut verifier = MfaVerifier::new(MfaMode::Fixed("654321".into()));
        assert!(verifier.verify("dev", "654321", SystemTime::UNIX_EPOCH));
        let fixed = format!("{verifier:?}");
        assert!(!fixed.contains("654321"));
        let totp = format!("{:?}", MfaVerifier::new(MfaMode::totp(SECRET)));
        assert!(!totp.contains("JBSW"));
    }
}
