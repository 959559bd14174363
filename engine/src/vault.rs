//! Secrets Orbitr must read back (registry passwords), encrypted at rest with a key kept beside
//! the data: `<data dir>/secrets.key`, 32 random bytes made on first use, readable by Orbitr's
//! user only. ChaCha20-Poly1305 with a random nonce per secret; the associated data binds each
//! ciphertext to its row, so a ciphertext copied to another row does not open.

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

/// File name of the key in the data dir.
pub const KEY_FILE: &str = "secrets.key";

/// Errors of the vault.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("the secrets key {path}: {reason}")]
    Key { path: String, reason: String },
    /// The ciphertext does not open with this key and row (another key, or altered).
    #[error("a stored secret cannot be decrypted (was {KEY_FILE} replaced?)")]
    Corrupt,
}

/// Encrypts and decrypts stored secrets. Cheap to clone.
#[derive(Clone)]
pub struct Vault {
    key: Arc<LessSafeKey>,
    rng: SystemRandom,
}

impl Vault {
    /// Opens the key in `data_dir`, creating it (mode 0600) when missing.
    pub fn open(data_dir: &Path) -> Result<Self, VaultError> {
        let path = data_dir.join(KEY_FILE);
        let failed = |reason: String| VaultError::Key {
            path: path.display().to_string(),
            reason,
        };
        let rng = SystemRandom::new();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut fresh = [0_u8; 32];
                rng.fill(&mut fresh)
                    .map_err(|_| failed("no randomness".into()))?;
                write_private(&path, &fresh).map_err(|e| failed(e.to_string()))?;
                fresh.to_vec()
            }
            Err(e) => return Err(failed(e.to_string())),
        };
        if bytes.len() != 32 {
            return Err(failed(format!("expected 32 bytes, found {}", bytes.len())));
        }
        let key = UnboundKey::new(&CHACHA20_POLY1305, &bytes)
            .map_err(|_| failed("unusable key".into()))?;
        Ok(Self {
            key: Arc::new(LessSafeKey::new(key)),
            rng,
        })
    }

    /// `base64(nonce ‖ ciphertext ‖ tag)` of `secret`, bound to `context`.
    pub fn seal(&self, secret: &str, context: &str) -> Result<String, VaultError> {
        let mut nonce = [0_u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| VaultError::Corrupt)?;
        let mut data = secret.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut data,
            )
            .map_err(|_| VaultError::Corrupt)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(STANDARD_NO_PAD.encode(out))
    }

    /// The secret sealed with `context`.
    pub fn open_sealed(&self, sealed: &str, context: &str) -> Result<String, VaultError> {
        let raw = STANDARD_NO_PAD
            .decode(sealed)
            .map_err(|_| VaultError::Corrupt)?;
        if raw.len() < NONCE_LEN {
            return Err(VaultError::Corrupt);
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| VaultError::Corrupt)?;
        let mut data = rest.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut data)
            .map_err(|_| VaultError::Corrupt)?;
        String::from_utf8(plain.to_vec()).map_err(|_| VaultError::Corrupt)
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_and_stay_bound_to_their_row() {
        let dir = tempfile::tempdir().expect("dir");
        let vault = Vault::open(dir.path()).expect("vault");
        let sealed = vault.seal("hunter2", "registry:ws1:r").expect("seal");
        assert!(!sealed.contains("hunter2"));
        assert_ne!(
            sealed,
            vault.seal("hunter2", "registry:ws1:r").expect("seal"),
            "fresh nonce"
        );
        assert_eq!(
            vault.open_sealed(&sealed, "registry:ws1:r").expect("open"),
            "hunter2"
        );
        assert!(
            vault.open_sealed(&sealed, "registry:ws2:r").is_err(),
            "another row"
        );

        // The same key file opens it again; another key does not.
        let again = Vault::open(dir.path()).expect("reopen");
        assert_eq!(
            again.open_sealed(&sealed, "registry:ws1:r").expect("open"),
            "hunter2"
        );
        let other = Vault::open(tempfile::tempdir().expect("dir").path()).expect("other");
        assert!(other.open_sealed(&sealed, "registry:ws1:r").is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
