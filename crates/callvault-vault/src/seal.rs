//! AES-256-GCM sealing: the byte format of a sealed value and the associated data that binds it
//! to its place.
//!
//! A sealed value is `version ‖ key version ‖ nonce ‖ ciphertext ‖ tag` (see `docs/format.md`).
//! The associated data is never stored: it is rebuilt from the [`SealContext`] the caller
//! presents at open time, so a value moved to another tenant, customer, conversation, turn or
//! field, or relabelled with another key version, fails authentication. Every failure to open is
//! the one uniform [`VaultError::Open`]. This module knows nothing of where keys come from.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};

use crate::secret::KeyMaterial;
use crate::table::TenantKeyKind;
use crate::VaultError;

/// The only sealed format this build writes.
pub const FORMAT_V1: u8 = 1;
/// Length of the GCM tag.
pub const TAG_LEN: usize = 16;
/// Bytes before the ciphertext: version (1), key version (4), nonce (12).
pub const HEADER_LEN: usize = 1 + 4 + NONCE_LEN;
/// Bytes a sealed value adds to its plaintext.
pub const OVERHEAD: usize = HEADER_LEN + TAG_LEN;
/// Longest identifier accepted in a [`SealContext`]; keeps the associated data unambiguous and
/// bounded.
pub const MAX_ID_LEN: usize = 255;

/// Where a sealed value belongs. All of it is authenticated; none of it is secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealContext<'a> {
    pub tenant: &'a str,
    pub customer: &'a str,
    pub conversation: &'a str,
    pub turn: u64,
    /// What the value is (`"turn.text"`, `"finding.CREDIT_CARD"`, ...).
    pub field: &'a str,
}

/// An AES-256-GCM key ready to seal and open. The key schedule lives inside AWS-LC, which
/// cleanses it when the key is dropped.
pub struct AeadKey {
    key: LessSafeKey,
}

impl AeadKey {
    pub fn new(material: &KeyMaterial) -> Result<AeadKey, VaultError> {
        let unbound = UnboundKey::new(&AES_256_GCM, material.expose_secret())
            .map_err(|_| VaultError::Crypto("AES-256-GCM key setup"))?;
        Ok(AeadKey {
            key: LessSafeKey::new(unbound),
        })
    }

    /// Seals `plaintext` under a fresh random nonce. `key_version` is written into the header
    /// and bound into the associated data; `aad` is the caller's binding (see [`context_aad`]).
    pub fn seal(
        &self,
        key_version: u32,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        let nonce = random_nonce()?;
        let mut out = Vec::with_capacity(OVERHEAD + plaintext.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&key_version.to_be_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let full_aad = header_aad(&out[..HEADER_LEN], aad);
        let (_, body) = out.split_at_mut(HEADER_LEN);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&full_aad[..]),
                body,
            )
            .map_err(|_| VaultError::Crypto("AES-256-GCM seal"))?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Opens a value sealed by [`AeadKey::seal`] with the same `aad`. Any mismatch is
    /// [`VaultError::Open`].
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        let header = SealedHeader::parse(sealed).map_err(|_| VaultError::Open)?;
        let full_aad = header_aad(&sealed[..HEADER_LEN], aad);
        let mut body = sealed[HEADER_LEN..].to_vec();
        let plaintext_len = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(header.nonce),
                Aad::from(&full_aad[..]),
                &mut body,
            )
            .map_err(|_| VaultError::Open)?
            .len();
        body.truncate(plaintext_len);
        Ok(body)
    }
}

impl std::fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AeadKey(<redacted>)")
    }
}

/// Bytes of randomness fetched at a time for nonces: 340 nonces per call into the generator.
const NONCE_POOL_LEN: usize = NONCE_LEN * 340;

thread_local! {
    static NONCE_POOL: std::cell::RefCell<(Box<[u8; NONCE_POOL_LEN]>, usize)> =
        std::cell::RefCell::new((Box::new([0u8; NONCE_POOL_LEN]), NONCE_POOL_LEN));
}

/// A fresh random 96-bit nonce. AWS-LC's generator costs about half a microsecond per call
/// here (more than the AES-GCM of a 1 KiB value), so nonces are drawn from a per-thread pool
/// refilled 340 at a time from the same generator. Nonces are public, so the pool is not a
/// secret; a pool is never shared between threads, and callvault does not fork after start, so
/// no two seals can take the same bytes.
fn random_nonce() -> Result<[u8; NONCE_LEN], VaultError> {
    NONCE_POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let (bytes, pos) = &mut *pool;
        if *pos + NONCE_LEN > NONCE_POOL_LEN {
            aws_lc_rs::rand::fill(&mut bytes[..])
                .map_err(|_| VaultError::Crypto("random generator"))?;
            *pos = 0;
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&bytes[*pos..*pos + NONCE_LEN]);
        // Taken bytes are cleared so a nonce can never be handed out twice from stale memory.
        bytes[*pos..*pos + NONCE_LEN].fill(0);
        *pos += NONCE_LEN;
        Ok(nonce)
    })
}

/// The parsed, unauthenticated header of a sealed value. Only the key version is used before
/// authentication (to pick the key); everything is authenticated afterwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealedHeader {
    pub key_version: u32,
    pub nonce: [u8; NONCE_LEN],
}

impl SealedHeader {
    /// Reads the header. A short value is refused; an unknown version is reported as such so the
    /// operator can tell a newer writer from corruption (the caller of `open` still sees only
    /// [`VaultError::Open`]).
    pub fn parse(sealed: &[u8]) -> Result<SealedHeader, VaultError> {
        if sealed.len() < OVERHEAD {
            return Err(VaultError::Open);
        }
        if sealed[0] != FORMAT_V1 {
            return Err(VaultError::UnknownFormat(sealed[0]));
        }
        let mut version = [0u8; 4];
        version.copy_from_slice(&sealed[1..5]);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&sealed[5..HEADER_LEN]);
        Ok(SealedHeader {
            key_version: u32::from_be_bytes(version),
            nonce,
        })
    }
}

/// The associated data for a value sealed at `ctx`: a domain tag, then every field
/// length-prefixed so that no two contexts encode alike.
pub fn context_aad(ctx: &SealContext<'_>) -> Result<Vec<u8>, VaultError> {
    let mut aad = Vec::with_capacity(64);
    aad.extend_from_slice(b"callvault.seal.v1\0");
    for id in [ctx.tenant, ctx.customer, ctx.conversation] {
        push_field(&mut aad, id.as_bytes())?;
    }
    aad.extend_from_slice(&ctx.turn.to_be_bytes());
    push_field(&mut aad, ctx.field.as_bytes())?;
    Ok(aad)
}

/// The associated data binding a wrapped tenant key (see `docs/format.md`).
pub fn tenant_key_aad(
    tenant: &str,
    kind: TenantKeyKind,
    version: u32,
) -> Result<Vec<u8>, VaultError> {
    let mut aad = b"callvault.tenant-key.v1\0".to_vec();
    push_field(&mut aad, tenant.as_bytes())?;
    push_field(&mut aad, kind.as_str().as_bytes())?;
    aad.extend_from_slice(&version.to_be_bytes());
    Ok(aad)
}

/// The associated data binding a wrapped customer data key (see `docs/format.md`).
pub fn data_key_aad(
    tenant: &str,
    customer: &str,
    version: u32,
    wrapped_by: u32,
) -> Result<Vec<u8>, VaultError> {
    let mut aad = b"callvault.data-key.v1\0".to_vec();
    push_field(&mut aad, tenant.as_bytes())?;
    push_field(&mut aad, customer.as_bytes())?;
    aad.extend_from_slice(&version.to_be_bytes());
    aad.extend_from_slice(&wrapped_by.to_be_bytes());
    Ok(aad)
}

/// Appends one length-prefixed identifier.
pub(crate) fn push_field(out: &mut Vec<u8>, field: &[u8]) -> Result<(), VaultError> {
    let len = u8::try_from(field.len())
        .map_err(|_| VaultError::Invalid("identifier longer than 255 bytes"))?;
    out.push(len);
    out.extend_from_slice(field);
    Ok(())
}

/// The header (version and key version and nonce) is authenticated too, so relabelling a value
/// with another key version fails.
fn header_aad(header: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut full = Vec::with_capacity(header.len() + aad.len());
    full.extend_from_slice(header);
    full.extend_from_slice(aad);
    full
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> SealContext<'static> {
        SealContext {
            tenant: "acme",
            customer: "c-1",
            conversation: "conv-9",
            turn: 3,
            field: "turn.text",
        }
    }

    #[test]
    fn round_trip_and_layout() {
        let key = AeadKey::new(&KeyMaterial::generate().unwrap()).unwrap();
        let aad = context_aad(&ctx()).unwrap();
        let sealed = key.seal(7, &aad, b"4111 1111 1111 1111").unwrap();
        assert_eq!(sealed.len(), OVERHEAD + 19);
        assert_eq!(sealed[0], FORMAT_V1);
        assert_eq!(SealedHeader::parse(&sealed).unwrap().key_version, 7);
        assert_eq!(key.open(&aad, &sealed).unwrap(), b"4111 1111 1111 1111");
    }

    #[test]
    fn every_context_field_is_bound() {
        let key = AeadKey::new(&KeyMaterial::generate().unwrap()).unwrap();
        let base = ctx();
        let sealed = key.seal(1, &context_aad(&base).unwrap(), b"x").unwrap();
        let others = [
            SealContext {
                tenant: "acme2",
                ..base
            },
            SealContext {
                customer: "c-2",
                ..base
            },
            SealContext {
                conversation: "conv-8",
                ..base
            },
            SealContext { turn: 4, ..base },
            SealContext {
                field: "turn.audio",
                ..base
            },
        ];
        for other in others {
            let err = key
                .open(&context_aad(&other).unwrap(), &sealed)
                .unwrap_err();
            assert!(matches!(err, VaultError::Open), "{other:?}");
        }
    }

    #[test]
    fn length_prefixes_keep_contexts_apart() {
        let a = SealContext {
            tenant: "ab",
            customer: "c",
            ..ctx()
        };
        let b = SealContext {
            tenant: "a",
            customer: "bc",
            ..ctx()
        };
        assert_ne!(context_aad(&a).unwrap(), context_aad(&b).unwrap());
        let long = "x".repeat(MAX_ID_LEN + 1);
        assert!(context_aad(&SealContext {
            customer: &long,
            ..ctx()
        })
        .is_err());
    }

    #[test]
    fn nonces_do_not_repeat_across_pool_refills() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..(NONCE_POOL_LEN / NONCE_LEN) * 3 + 5 {
            assert!(seen.insert(random_nonce().unwrap()));
        }
    }

    #[test]
    fn short_and_unknown_versions_are_refused() {
        let key = AeadKey::new(&KeyMaterial::generate().unwrap()).unwrap();
        assert!(matches!(key.open(b"", &[1u8; 10]), Err(VaultError::Open)));
        let mut sealed = key.seal(1, b"", b"hello").unwrap();
        sealed[0] = 9;
        assert!(matches!(
            SealedHeader::parse(&sealed),
            Err(VaultError::UnknownFormat(9))
        ));
        assert!(matches!(key.open(b"", &sealed), Err(VaultError::Open)));
    }
}
