//! callvault's vault: the key hierarchy, sealing, blind indexes, tokens and root key stores.
//!
//! ```text
//! root key (RootKeyStore: PassphraseKeyFile | Pkcs11KeyStore)
//!   └─ wraps tenant keys (TenantKeyRecord in the KeyTable: a versioned wrapping key + an index secret)
//!        ├─ wrapping key v1, v2 … wraps customer data keys (DataKeyRecord, one row per customer and version)
//!        │     └─ data key seals values (AES-256-GCM, associated data = tenant, customer,
//!        │        conversation, turn, field, key version): seal::AeadKey
//!        └─ index secret ─HKDF→ blind-index key (index::IndexKey) and FF1 token key (ff1::Ff1)
//! ```
//!
//! [`Vault`] ties it together: unwrapped tenant keys stay in memory, data keys sit in a bounded
//! cache, [`Vault::seal`]/[`Vault::open`] are the hot path, [`Vault::rotate`],
//! [`Vault::rewrap`] and [`Vault::retire_unused`] rotate tenant keys without downtime (a
//! [`RewrapJob`] runs them in the background), and
//! [`Vault::shred`] erases a customer. Storage is the [`KeyTable`] trait (the store crate
//! implements it; [`MemoryKeyTable`] serves tests). The vault never does SQL or HTTP, never
//! decides who may call it, and never logs a key, a plaintext or a passphrase.

#![forbid(unsafe_code)]

mod cache;
pub mod error;
pub mod ff1;
pub mod index;
pub mod keystore;
pub mod pkcs11;
pub mod rotation;
pub mod seal;
pub mod secret;
pub mod table;
pub mod token;
pub mod vault;

pub use error::VaultError;
pub use index::BlindIndex;
pub use keystore::{KdfParams, PassphraseKeyFile, RootKeyStore};
pub use pkcs11::{Pkcs11Config, Pkcs11KeyStore};
pub use rotation::{RewrapConfig, RewrapJob, RewrapSummary};
pub use seal::SealContext;
pub use secret::KeyMaterial;
pub use table::{
    DataKeyRecord, DataKeyState, KeyTable, MemoryKeyTable, TenantKeyKind, TenantKeyRecord,
};
pub use token::{ConversationTokens, Token, TokenId};
pub use vault::{DataKey, RewrapProgress, Vault, VaultConfig};
