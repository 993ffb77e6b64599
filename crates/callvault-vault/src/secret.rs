//! Raw key bytes, held only as long as it takes to build a key object from them.
//!
//! [`KeyMaterial`] is the one type in the crate that holds a symmetric key as bytes. It is
//! zeroized on drop, prints as `<redacted>`, has no `Display`, and is read through
//! [`KeyMaterial::expose_secret`]. The long-lived key objects ([`crate::seal::AeadKey`],
//! the blind-index HMAC key) live inside AWS-LC, which cleanses its key schedules when freed.

use secrecy::{ExposeSecret, ExposeSecretMut, SecretBox};
use subtle::ConstantTimeEq;

use crate::VaultError;

/// Length of every symmetric key in the hierarchy (AES-256, HMAC-SHA-256 keys).
pub const KEY_LEN: usize = 32;

/// 32 secret bytes: zeroized on drop, never printed.
pub struct KeyMaterial(SecretBox<[u8; KEY_LEN]>);

impl KeyMaterial {
    /// Fresh key bytes from the operating system's generator (through AWS-LC).
    pub fn generate() -> Result<KeyMaterial, VaultError> {
        let mut key = KeyMaterial::zeroed();
        aws_lc_rs::rand::fill(key.0.expose_secret_mut())
            .map_err(|_| VaultError::Crypto("random generator"))?;
        Ok(key)
    }

    /// Copies key bytes in; the caller zeroizes its own copy.
    pub fn from_slice(bytes: &[u8]) -> Result<KeyMaterial, VaultError> {
        if bytes.len() != KEY_LEN {
            return Err(VaultError::Invalid("key material must be 32 bytes"));
        }
        let mut key = KeyMaterial::zeroed();
        key.0.expose_secret_mut().copy_from_slice(bytes);
        Ok(key)
    }

    pub fn expose_secret(&self) -> &[u8; KEY_LEN] {
        self.0.expose_secret()
    }

    fn zeroed() -> KeyMaterial {
        KeyMaterial(SecretBox::new(Box::new([0u8; KEY_LEN])))
    }
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyMaterial(<redacted>)")
    }
}

/// Constant-time equality, for tests and for checks that compare secrets.
impl PartialEq for KeyMaterial {
    fn eq(&self, other: &KeyMaterial) -> bool {
        self.expose_secret().ct_eq(other.expose_secret()).into()
    }
}

impl Eq for KeyMaterial {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_and_keys_differ() {
        let a = KeyMaterial::generate().unwrap();
        let b = KeyMaterial::generate().unwrap();
        assert_ne!(a, b);
        let printed = format!("{a:?}");
        assert_eq!(printed, "KeyMaterial(<redacted>)");
        assert!(KeyMaterial::from_slice(&[0u8; 16]).is_err());
    }
}
