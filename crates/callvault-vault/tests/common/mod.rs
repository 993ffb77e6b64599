//! Shared by the vault's integration tests: a root key store whose key the test knows, so tests
//! can follow every key down the hierarchy (and look for it in output).

#![allow(dead_code)]

use std::sync::Arc;

use callvault_vault::seal::AeadKey;
use callvault_vault::{KeyMaterial, MemoryKeyTable, RootKeyStore, Vault, VaultConfig, VaultError};

/// A root key store over known bytes. Real deployments use the key file or PKCS#11.
pub struct KnownRoot {
    pub bytes: [u8; 32],
    key: AeadKey,
}

impl KnownRoot {
    pub fn new(bytes: [u8; 32]) -> KnownRoot {
        KnownRoot {
            bytes,
            key: AeadKey::new(&KeyMaterial::from_slice(&bytes).unwrap()).unwrap(),
        }
    }
}

impl RootKeyStore for KnownRoot {
    fn wrap(&self, key: &KeyMaterial, aad: &[u8]) -> Result<Vec<u8>, VaultError> {
        self.key.seal(0, aad, key.expose_secret())
    }
    fn unwrap(&self, wrapped: &[u8], aad: &[u8]) -> Result<KeyMaterial, VaultError> {
        KeyMaterial::from_slice(&self.key.open(aad, wrapped)?)
    }
    fn describe(&self) -> String {
        "known test root".into()
    }
}

pub fn vault_with(table: &Arc<MemoryKeyTable>) -> Vault {
    let root: Arc<dyn RootKeyStore> = Arc::new(KnownRoot::new([0x5a; 32]));
    let table: Arc<dyn callvault_vault::KeyTable> = table.clone();
    Vault::new(root, table, VaultConfig::default())
}

/// An in-memory audit log for tests: "durable" as long as the test runs.
pub struct MemoryLog(std::sync::Mutex<u64>);

impl callvault_audit::DurableLog for MemoryLog {
    fn append_durable(
        &self,
        _record: callvault_audit::AuditRecord,
    ) -> Result<u64, callvault_audit::AuditError> {
        let mut n = self.0.lock().unwrap();
        *n += 1;
        Ok(*n - 1)
    }
}

/// A grant covering the conversation of `at`, recorded in a throwaway log.
pub fn grant(at: &callvault_vault::SealContext<'_>) -> callvault_audit::AuditedGrant {
    let mut record =
        callvault_audit::AuditRecord::new(at.tenant, "test", callvault_audit::Action::Reveal);
    record
        .resources
        .conversations
        .push(at.conversation.to_owned());
    callvault_audit::grant(&MemoryLog(std::sync::Mutex::new(0)), record).unwrap()
}

/// Opening with a grant made on the spot, for tests about sealing rather than auditing.
pub trait OpenGranted {
    fn open_granted(
        &self,
        at: &callvault_vault::SealContext<'_>,
        sealed: &[u8],
    ) -> Result<Vec<u8>, VaultError>;
}

impl OpenGranted for Vault {
    fn open_granted(
        &self,
        at: &callvault_vault::SealContext<'_>,
        sealed: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        self.open(&grant(at), at, sealed)
    }
}
