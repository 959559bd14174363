//! Bearer secrets handed to people once (API tokens, invitation and password-reset links):
//! a public id to find the row and 256 random bits of which only the SHA-256 is stored (a slow
//! hash adds nothing to that much entropy).

use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// A fresh (id, secret): 16 hex characters and 43 URL-safe base64 characters.
pub fn new_credential() -> (String, String) {
    let mut id_bytes = [0u8; 8];
    let mut secret_bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut id_bytes);
    rand::rng().fill_bytes(&mut secret_bytes);
    (
        hex::encode(id_bytes),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret_bytes),
    )
}

/// What is stored of a secret.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether a presented secret matches a stored digest, in time independent of where they differ.
pub fn matches(stored_digest: &str, presented_secret: &str) -> bool {
    constant_time_eq(
        stored_digest.as_bytes(),
        digest(presented_secret).as_bytes(),
    )
}

/// Whether two byte strings are equal, in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Splits `<prefix><id>_<secret>` into (id, secret).
pub fn split<'a>(presented: &'a str, prefix: &str) -> Option<(&'a str, &'a str)> {
    presented
        .strip_prefix(prefix)
        .and_then(|rest| rest.split_once('_'))
        .filter(|(id, secret)| !id.is_empty() && !secret.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_needs_equal_strings() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn credentials_round_trip() {
        let (id, secret) = new_credential();
        let presented = format!("orbitr_{id}_{secret}");
        assert_eq!(
            split(&presented, "orbitr_"),
            Some((id.as_str(), secret.as_str()))
        );
        assert!(matches(&digest(&secret), &secret));
        assert!(!matches(&digest(&secret), "other"));
        assert_eq!(split("orbitr__x", "orbitr_"), None);
    }
}
