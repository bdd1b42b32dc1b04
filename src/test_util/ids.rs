//! Identifiers shaped like the ones STS and IAM hand out.

const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX: &[u8] = b"0123456789abcdef";

/// Makes identifiers: a counter keeps them unique within one mock, randomness across mocks.
#[derive(Debug)]
pub(super) struct IdGen {
    rng: fastrand::Rng,
    counter: u64,
}

impl IdGen {
    pub(super) fn new() -> Self {
        Self {
            rng: fastrand::Rng::new(),
            counter: 0,
        }
    }

    fn pick(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| char::from(alphabet[self.rng.usize(..alphabet.len())]))
            .collect()
    }

    /// `prefix` + 16 upper-case letters and digits, e.g. `AKIA…`, `AROA…`, `AIDA…`.
    pub(super) fn key_id(&mut self, prefix: &str) -> String {
        format!("{prefix}{}", self.pick(UPPER_ALNUM, 16))
    }

    /// `prefix` + 16 upper-case letters and digits, the first six a counter, so no two are
    /// alike within one mock.
    pub(super) fn unique_key_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        let mut n = self.counter;
        let mut counter = [b'0'; 6];
        for digit in counter.iter_mut().rev() {
            *digit = UPPER_ALNUM[(n % 36) as usize];
            n /= 36;
        }
        let counter = String::from_utf8_lossy(&counter).into_owned();
        format!("{prefix}{counter}{}", self.pick(UPPER_ALNUM, 10))
    }

    /// A 40-character secret access key.
    pub(super) fn secret_key(&mut self) -> String {
        self.pick(SECRET_CHARS, 40)
    }

    /// A long session token, unique within one mock.
    pub(super) fn session_token(&mut self) -> String {
        let random = self.pick(SECRET_CHARS, 320);
        format!("IQoJb3JpZ2luX2VjEMock{}{random}", self.counter)
    }

    /// A UUID-shaped request id.
    pub(super) fn request_id(&mut self) -> String {
        [8, 4, 4, 4, 12].map(|len| self.pick(HEX, len)).join("-")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_key_ids_never_repeat_and_have_the_aws_shape() {
        let mut ids = IdGen::new();
        let a = ids.unique_key_id("ASIA");
        let b = ids.unique_key_id("ASIA");
        assert_ne!(a, b);
        assert_eq!(a.len(), 20);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        assert_eq!(ids.secret_key().len(), 40);
        assert_eq!(ids.request_id().len(), 36);
    }
}
