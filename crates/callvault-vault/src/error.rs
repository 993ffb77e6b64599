//! The vault's one error type.
//!
//! Two audiences read these errors. The operator needs to know *which* thing is wrong (the
//! passphrase, the key file, the token, the key table), so those variants are specific. The
//! caller of `open` must learn nothing about *why* a sealed value did not open (a flipped bit,
//! another tenant's value, a wrong key version all look alike), so every such failure is the
//! single [`VaultError::Open`]. No variant carries key material or plaintext: the fields are
//! identifiers, counts and static descriptions only.

use std::path::PathBuf;

/// Everything that can go wrong in the vault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// A sealed value did not open. Deliberately uniform: it does not say which check failed.
    #[error("sealed value could not be opened")]
    Open,

    /// The audit grant presented does not cover the value asked for.
    #[error("no audit grant covers this value")]
    NotGranted,

    /// The customer's data key was destroyed (crypto-shredding); their values are gone for good.
    #[error("the customer's data has been erased")]
    Erased,

    /// The passphrase did not open the key file (or the file was altered).
    #[error("the passphrase does not open the key file {path}")]
    WrongPassphrase { path: PathBuf },

    /// The key file is not one callvault can read.
    #[error("the key file {path} is damaged or not a callvault key file: {reason}")]
    KeyFileCorrupt { path: PathBuf, reason: &'static str },

    /// The key file was written by a newer callvault.
    #[error("the key file {path} has format version {version}, which this build cannot read")]
    KeyFileVersion { path: PathBuf, version: u8 },

    /// `init` never overwrites a root key.
    #[error("a key file already exists at {path}; refusing to overwrite it")]
    KeyFileExists { path: PathBuf },

    /// Reading or writing the key file failed.
    #[error("key file {path}: {source}")]
    KeyFileIo {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The passphrase was refused before use (empty, too short).
    #[error("passphrase rejected: {0}")]
    WeakPassphrase(&'static str),

    /// A sealed value or wrapped key carries a format version this build does not know.
    #[error("unknown sealed format version {0}")]
    UnknownFormat(u8),

    /// No token with this label is present in the PKCS#11 module.
    #[error("no PKCS#11 token labelled {label:?} in {module}")]
    TokenNotFound { label: String, module: PathBuf },

    /// The token refused the PIN, or its PIN is locked.
    #[error("PKCS#11 token {label:?} refused login: {reason}")]
    TokenLogin { label: String, reason: &'static str },

    /// The token holds no root key with this label (run `callvault init` with the token).
    #[error("PKCS#11 token {label:?} holds no key labelled {key_label:?}")]
    TokenKeyMissing { label: String, key_label: String },

    /// `init` refuses to create a second root key in a token.
    #[error("PKCS#11 token {label:?} already holds a key labelled {key_label:?}")]
    TokenKeyExists { label: String, key_label: String },

    /// Any other failure reported by the PKCS#11 module (the return value names it).
    #[error("PKCS#11 {operation}: {detail}")]
    Pkcs11 {
        operation: &'static str,
        detail: String,
    },

    /// The root key store does not unwrap the tenant's keys: the wrong key file or token, or a
    /// damaged key table.
    #[error("the root key ({root}) does not unwrap the keys of tenant {tenant:?}: wrong key file or token, or a damaged key table")]
    RootKeyMismatch { tenant: String, root: String },

    /// A wrapped data key in the key table does not unwrap under its tenant key.
    #[error("a wrapped data key of tenant {tenant:?} (wrapping version {version}) does not unwrap: the key table is damaged")]
    KeyTableCorrupt { tenant: String, version: u32 },

    /// A tenant has no keys yet.
    #[error("tenant {0:?} has no keys; create it first")]
    UnknownTenant(String),

    /// A tenant already has keys.
    #[error("tenant {0:?} already has keys")]
    TenantExists(String),

    /// A key version that the table does not hold (retired, or never created).
    #[error("tenant {tenant:?} has no key version {version}")]
    UnknownKeyVersion { tenant: String, version: u32 },

    /// Refused parameters (FF1 domain too small, identifiers too long, ...).
    #[error("invalid input: {0}")]
    Invalid(&'static str),

    /// The key table (storage) failed; the message comes from the store and holds no secrets.
    #[error("key table: {0}")]
    Table(String),

    /// The system random generator or the crypto library failed.
    #[error("cryptographic library failure: {0}")]
    Crypto(&'static str),
}
