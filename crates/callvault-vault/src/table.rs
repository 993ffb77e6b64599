//! The key table: where wrapped keys are kept, behind a trait the store implements.
//!
//! Wrapped keys live in their own table, apart from sealed data, for one reason: erasure. A
//! customer's data key is destroyed by overwriting its row here, and every sealed value of that
//! customer, in the live database and in every backup of the data, becomes unreadable. The vault
//! never writes SQL; `callvault-store` implements [`KeyTable`] on SQLite and PostgreSQL, and
//! [`MemoryKeyTable`] serves tests and benchmarks.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::VaultError;

/// What a tenant-level key is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TenantKeyKind {
    /// Wraps customer data keys. Versioned; rotation adds a version.
    Wrapping,
    /// The secret behind blind indexes and format-preserving tokens. Not rotated: rotating it
    /// would change every index value.
    Index,
}

impl TenantKeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TenantKeyKind::Wrapping => "wrapping",
            TenantKeyKind::Index => "index",
        }
    }
}

/// A tenant key, wrapped by the root key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantKeyRecord {
    pub tenant: String,
    pub kind: TenantKeyKind,
    pub version: u32,
    pub wrapped: Vec<u8>,
}

/// A customer's data key, wrapped by one version of the tenant wrapping key. A destroyed key
/// keeps its row (so versions are never reused) with `wrapped` emptied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataKeyRecord {
    pub tenant: String,
    pub customer: String,
    pub version: u32,
    /// The tenant wrapping-key version that wraps this key.
    pub wrapped_by: u32,
    pub state: DataKeyState,
    pub wrapped: Vec<u8>,
}

/// The life of a data key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataKeyState {
    Active,
    /// Crypto-shredded: `wrapped` is empty and can never be restored from this table.
    Destroyed,
}

/// Storage for wrapped keys. Implementations make each call atomic, and hold two cross-row
/// rules (relational stores with a foreign key from data keys to wrapping-key versions,
/// `ON DELETE RESTRICT`): no data key is inserted or rewrapped under a wrapping version that is
/// not in the table, and no wrapping version is deleted while an active data key uses it.
pub trait KeyTable: Send + Sync {
    /// Every tenant key record of `tenant`, any kind and version.
    fn tenant_keys(&self, tenant: &str) -> Result<Vec<TenantKeyRecord>, VaultError>;
    /// Inserts a record; `Ok(false)` if one with the same tenant, kind and version exists.
    fn insert_tenant_key(&self, record: &TenantKeyRecord) -> Result<bool, VaultError>;
    /// Deletes one wrapping-key version if no active data key is wrapped by it, in one atomic
    /// step. `Ok(false)` if something still uses it (or it is already gone).
    fn retire_wrapping_key(&self, tenant: &str, version: u32) -> Result<bool, VaultError>;

    /// One data key version of a customer (active or destroyed).
    fn data_key(
        &self,
        tenant: &str,
        customer: &str,
        version: u32,
    ) -> Result<Option<DataKeyRecord>, VaultError>;
    /// The customer's highest data key version (active or destroyed).
    fn latest_data_key(
        &self,
        tenant: &str,
        customer: &str,
    ) -> Result<Option<DataKeyRecord>, VaultError>;
    /// Inserts a record; `Ok(false)` if that (tenant, customer, version) exists already;
    /// [`VaultError::UnknownKeyVersion`] if its `wrapped_by` version is not in the table.
    fn insert_data_key(&self, record: &DataKeyRecord) -> Result<bool, VaultError>;
    /// Replaces the wrapping of an active key if it is still wrapped by `expected_wrapped_by`
    /// (compare-and-set, so a concurrent rewrap or destruction wins cleanly). `Ok(false)` if not;
    /// [`VaultError::UnknownKeyVersion`] if the new `wrapped_by` version is not in the table.
    fn rewrap_data_key(
        &self,
        record: &DataKeyRecord,
        expected_wrapped_by: u32,
    ) -> Result<bool, VaultError>;
    /// Up to `limit` active keys of `tenant` wrapped by a version below `below`, ordered by
    /// (customer, version), strictly after `after` when given.
    fn data_keys_wrapped_below(
        &self,
        tenant: &str,
        below: u32,
        after: Option<(&str, u32)>,
        limit: usize,
    ) -> Result<Vec<DataKeyRecord>, VaultError>;
    /// How many active keys of `tenant` a wrapping-key version still wraps.
    fn count_wrapped_by(&self, tenant: &str, version: u32) -> Result<u64, VaultError>;
    /// Destroys every data key of a customer: empties `wrapped`, marks it destroyed. Returns
    /// the versions destroyed.
    fn destroy_data_keys(&self, tenant: &str, customer: &str) -> Result<Vec<u32>, VaultError>;
}

/// An in-memory [`KeyTable`] for tests and benchmarks.
#[derive(Debug, Default)]
pub struct MemoryKeyTable {
    inner: Mutex<Tables>,
}

#[derive(Debug, Default)]
struct Tables {
    tenant: BTreeMap<(String, TenantKeyKind, u32), TenantKeyRecord>,
    data: BTreeMap<(String, String, u32), DataKeyRecord>,
}

impl Tables {
    fn require_wrapping(&self, tenant: &str, version: u32) -> Result<(), VaultError> {
        let key = (tenant.to_owned(), TenantKeyKind::Wrapping, version);
        if self.tenant.contains_key(&key) {
            return Ok(());
        }
        Err(VaultError::UnknownKeyVersion {
            tenant: tenant.to_owned(),
            version,
        })
    }

    fn active(&self, tenant: &str) -> impl Iterator<Item = &DataKeyRecord> {
        let tenant = tenant.to_owned();
        self.data
            .values()
            .filter(move |r| r.tenant == tenant && r.state == DataKeyState::Active)
    }
}

/// The in-memory table's key of a data key row.
fn row_key(record: &DataKeyRecord) -> (String, String, u32) {
    (
        record.tenant.clone(),
        record.customer.clone(),
        record.version,
    )
}

impl MemoryKeyTable {
    pub fn new() -> MemoryKeyTable {
        MemoryKeyTable::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Tables>, VaultError> {
        self.inner
            .lock()
            .map_err(|_| VaultError::Table("memory key table poisoned".into()))
    }

    /// Every data key record, as a backup of the key table would hold them (tests).
    pub fn snapshot_data_keys(&self) -> Result<Vec<DataKeyRecord>, VaultError> {
        Ok(self.lock()?.data.values().cloned().collect())
    }

    /// Overwrites a data key row as found (tests simulate a damaged table with it).
    pub fn overwrite_data_key(&self, record: DataKeyRecord) -> Result<(), VaultError> {
        let key = row_key(&record);
        self.lock()?.data.insert(key, record);
        Ok(())
    }
}

impl KeyTable for MemoryKeyTable {
    fn tenant_keys(&self, tenant: &str) -> Result<Vec<TenantKeyRecord>, VaultError> {
        Ok(self
            .lock()?
            .tenant
            .values()
            .filter(|r| r.tenant == tenant)
            .cloned()
            .collect())
    }

    fn insert_tenant_key(&self, record: &TenantKeyRecord) -> Result<bool, VaultError> {
        let key = (record.tenant.clone(), record.kind, record.version);
        let mut tables = self.lock()?;
        if tables.tenant.contains_key(&key) {
            return Ok(false);
        }
        tables.tenant.insert(key, record.clone());
        Ok(true)
    }

    fn retire_wrapping_key(&self, tenant: &str, version: u32) -> Result<bool, VaultError> {
        let mut tables = self.lock()?;
        if tables.active(tenant).any(|r| r.wrapped_by == version) {
            return Ok(false);
        }
        let key = (tenant.to_owned(), TenantKeyKind::Wrapping, version);
        Ok(tables.tenant.remove(&key).is_some())
    }

    fn data_key(
        &self,
        tenant: &str,
        customer: &str,
        version: u32,
    ) -> Result<Option<DataKeyRecord>, VaultError> {
        let key = (tenant.to_owned(), customer.to_owned(), version);
        Ok(self.lock()?.data.get(&key).cloned())
    }

    fn latest_data_key(
        &self,
        tenant: &str,
        customer: &str,
    ) -> Result<Option<DataKeyRecord>, VaultError> {
        let start = (tenant.to_owned(), customer.to_owned(), 0);
        let end = (tenant.to_owned(), customer.to_owned(), u32::MAX);
        Ok(self
            .lock()?
            .data
            .range(start..=end)
            .next_back()
            .map(|(_, r)| r.clone()))
    }

    fn insert_data_key(&self, record: &DataKeyRecord) -> Result<bool, VaultError> {
        let key = row_key(record);
        let mut tables = self.lock()?;
        tables.require_wrapping(&record.tenant, record.wrapped_by)?;
        if tables.data.contains_key(&key) {
            return Ok(false);
        }
        tables.data.insert(key, record.clone());
        Ok(true)
    }

    fn rewrap_data_key(
        &self,
        record: &DataKeyRecord,
        expected_wrapped_by: u32,
    ) -> Result<bool, VaultError> {
        let key = row_key(record);
        let mut tables = self.lock()?;
        tables.require_wrapping(&record.tenant, record.wrapped_by)?;
        match tables.data.get_mut(&key) {
            Some(current)
                if current.state == DataKeyState::Active
                    && current.wrapped_by == expected_wrapped_by =>
            {
                current.wrapped_by = record.wrapped_by;
                current.wrapped = record.wrapped.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn data_keys_wrapped_below(
        &self,
        tenant: &str,
        below: u32,
        after: Option<(&str, u32)>,
        limit: usize,
    ) -> Result<Vec<DataKeyRecord>, VaultError> {
        let tables = self.lock()?;
        Ok(tables
            .active(tenant)
            .filter(|r| r.wrapped_by < below)
            .filter(|r| after.is_none_or(|pos| (r.customer.as_str(), r.version) > pos))
            .take(limit)
            .cloned()
            .collect())
    }

    fn count_wrapped_by(&self, tenant: &str, version: u32) -> Result<u64, VaultError> {
        let tables = self.lock()?;
        Ok(tables
            .active(tenant)
            .filter(|r| r.wrapped_by == version)
            .count() as u64)
    }

    fn destroy_data_keys(&self, tenant: &str, customer: &str) -> Result<Vec<u32>, VaultError> {
        let mut destroyed = Vec::new();
        for record in self.lock()?.data.values_mut() {
            if record.tenant == tenant
                && record.customer == customer
                && record.state == DataKeyState::Active
            {
                zeroize::Zeroize::zeroize(&mut record.wrapped);
                record.state = DataKeyState::Destroyed;
                destroyed.push(record.version);
            }
        }
        Ok(destroyed)
    }
}
