//! Blind indexes: a keyed fingerprint of a normalized value, so equal values can be found
//! without decrypting anything.
//!
//! `HMAC-SHA-256(index key, entity ‖ 0x00 ‖ normalized value)`. The detector normalizes written
//! and spoken forms alike ("4111 1111 ..." and "four one one one ..." both become
//! `4111111111111111`), so both forms give the same index. The entity type is part of the input
//! so a phone number and an account number with the same digits do not collide. The index is a
//! pseudonym, not a secret, but it is linkable: it is stored only beside sealed values and is
//! compared in constant time.

use aws_lc_rs::hmac;
use subtle::ConstantTimeEq;

use crate::secret::KeyMaterial;

/// Length of a blind index.
pub const BLIND_INDEX_LEN: usize = 32;

/// A tenant's blind-index key. The HMAC key schedule lives inside AWS-LC.
pub struct IndexKey {
    key: hmac::Key,
}

impl IndexKey {
    pub fn new(material: &KeyMaterial) -> IndexKey {
        IndexKey {
            key: hmac::Key::new(hmac::HMAC_SHA256, material.expose_secret()),
        }
    }

    /// The blind index of `normalized` (as the detector normalizes it) for an entity type.
    pub fn compute(&self, entity: &str, normalized: &[u8]) -> BlindIndex {
        let mut ctx = hmac::Context::with_key(&self.key);
        ctx.update(entity.as_bytes());
        ctx.update(&[0]);
        ctx.update(normalized);
        let tag = ctx.sign();
        let mut out = [0u8; BLIND_INDEX_LEN];
        out.copy_from_slice(tag.as_ref());
        BlindIndex(out)
    }
}

impl std::fmt::Debug for IndexKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IndexKey(<redacted>)")
    }
}

/// A blind index value. Equality is constant-time.
#[derive(Clone, Copy)]
pub struct BlindIndex([u8; BLIND_INDEX_LEN]);

impl BlindIndex {
    pub fn as_bytes(&self) -> &[u8; BLIND_INDEX_LEN] {
        &self.0
    }

    pub fn from_bytes(bytes: [u8; BLIND_INDEX_LEN]) -> BlindIndex {
        BlindIndex(bytes)
    }

    /// Lower-case hex, for storage and the API.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl PartialEq for BlindIndex {
    fn eq(&self, other: &BlindIndex) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for BlindIndex {}

/// Hashing agrees with the constant-time equality: equal bytes hash alike.
impl std::hash::Hash for BlindIndex {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl std::fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BlindIndex({}…)", &self.to_hex()[..8])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_type_separates_and_key_matters() {
        let k1 = IndexKey::new(&KeyMaterial::generate().unwrap());
        let k2 = IndexKey::new(&KeyMaterial::generate().unwrap());
        let a = k1.compute("PHONE_NUMBER", b"4155550123");
        assert_eq!(a, k1.compute("PHONE_NUMBER", b"4155550123"));
        assert_ne!(a, k1.compute("BANK_ACCOUNT", b"4155550123"));
        assert_ne!(a, k2.compute("PHONE_NUMBER", b"4155550123"));
        // The separator keeps ("AB", "C...") apart from ("A", "BC...").
        assert_ne!(k1.compute("AB", b"C1"), k1.compute("A", b"BC1"));
        assert_eq!(a.to_hex().len(), 64);
    }
}
