//! The audit crate's one error type, [`AuditError`].
//!
//! Every failure of proof verification is the single [`AuditError::InvalidProof`]: a verifier
//! learns that a proof is wrong, not which step disagreed. Parsing failures carry a static
//! description of the rule that was broken, never the offending input, so no key material or
//! note content ends up in a message or a log line. Key names and key IDs do appear: they are
//! public identifiers.

/// Everything that can go wrong in the audit crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// An inclusion or consistency proof does not verify (wrong hashes, wrong length, or sizes
    /// that no proof can connect). Deliberately uniform.
    #[error("Merkle proof does not verify")]
    InvalidProof,

    /// A proof or root was requested for positions that do not exist (leaf index past the tree,
    /// old size larger than the new one, old size zero, or a tree that cannot grow further).
    #[error("invalid tree range: {0}")]
    InvalidRange(&'static str),

    /// A node source could not produce a node it should hold (missing row, store failure).
    #[error("node source lookup failed: {0}")]
    Source(String),

    /// A signed note breaks the C2SP signed-note format.
    #[error("malformed note: {0}")]
    MalformedNote(&'static str),

    /// A note parsed, but no signature on it verified with a known key.
    #[error("note has no verified signature")]
    NoVerifiedSignature,

    /// A signature line from a known key failed to verify, so the whole note is rejected.
    #[error("invalid signature for key {name}+{key_id:08x}")]
    InvalidSignature {
        /// The key name on the signature line.
        name: String,
        /// The key ID on the signature line.
        key_id: u32,
    },

    /// More than one known verifier has this key name and key ID.
    #[error("ambiguous key {name}+{key_id:08x}")]
    AmbiguousKey {
        /// The key name on the signature line.
        name: String,
        /// The key ID on the signature line.
        key_id: u32,
    },

    /// A verifier key (vkey) or signer key (skey) string, or a key name, is not acceptable.
    #[error("malformed key: {0}")]
    MalformedKey(&'static str),

    /// A checkpoint body breaks the C2SP tlog-checkpoint format.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(&'static str),

    /// An audit record or entry does not have the required shape.
    #[error("malformed audit entry: {0}")]
    Malformed(&'static str),

    /// The log could not make an entry durable (the store failed or is shutting down).
    #[error("the audit log is unavailable: {0}")]
    Unavailable(String),

    /// The cryptographic library failed (randomness, key derivation, signing).
    #[error("cryptographic operation failed: {0}")]
    Crypto(&'static str),
}
