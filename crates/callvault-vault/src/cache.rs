//! The bounded cache of unwrapped customer data keys.
//!
//! Two LRU maps share one lock: keys by (tenant, customer, version), for opening, and each
//! customer's current key, for sealing, so the hot path never reaches the key table. Entries are
//! found by a randomly keyed SipHash of the identifiers (no allocation per lookup) and checked
//! against the identifiers the key carries, so a hash collision is only ever a miss. Evicted keys
//! are dropped, and AWS-LC cleanses their schedules once the last `Arc` goes.

use std::hash::{BuildHasher, RandomState};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard};

use lru::LruCache;

use crate::vault::DataKey;
use crate::VaultError;

pub(crate) struct KeyCache {
    hasher: RandomState,
    inner: Mutex<Maps>,
}

struct Maps {
    by_version: LruCache<u64, Arc<DataKey>>,
    current: LruCache<u64, Arc<DataKey>>,
}

impl KeyCache {
    pub(crate) fn new(capacity: NonZeroUsize) -> KeyCache {
        KeyCache {
            hasher: RandomState::new(),
            inner: Mutex::new(Maps {
                by_version: LruCache::new(capacity),
                current: LruCache::new(capacity),
            }),
        }
    }

    pub(crate) fn version(
        &self,
        tenant: &str,
        customer: &str,
        version: u32,
    ) -> Result<Option<Arc<DataKey>>, VaultError> {
        let slot = self.slot(tenant, customer, Some(version));
        Ok(self
            .lock()?
            .by_version
            .get(&slot)
            .filter(|k| k.is(tenant, customer) && k.version() == version)
            .cloned())
    }

    pub(crate) fn current(
        &self,
        tenant: &str,
        customer: &str,
    ) -> Result<Option<Arc<DataKey>>, VaultError> {
        let slot = self.slot(tenant, customer, None);
        Ok(self
            .lock()?
            .current
            .get(&slot)
            .filter(|k| k.is(tenant, customer))
            .cloned())
    }

    /// Caches a key for opening, and as the customer's current key when `current`.
    pub(crate) fn put(&self, key: &Arc<DataKey>, current: bool) -> Result<(), VaultError> {
        let (tenant, customer) = key.owner();
        let by_version = self.slot(tenant, customer, Some(key.version()));
        let latest = self.slot(tenant, customer, None);
        let mut maps = self.lock()?;
        maps.by_version.put(by_version, Arc::clone(key));
        if current {
            maps.current.put(latest, Arc::clone(key));
        }
        Ok(())
    }

    /// Drops every cached key of a customer (after shredding).
    pub(crate) fn evict(
        &self,
        tenant: &str,
        customer: &str,
        versions: &[u32],
    ) -> Result<(), VaultError> {
        let latest = self.slot(tenant, customer, None);
        let slots: Vec<u64> = versions
            .iter()
            .map(|v| self.slot(tenant, customer, Some(*v)))
            .collect();
        let mut maps = self.lock()?;
        maps.current.pop(&latest);
        for slot in slots {
            maps.by_version.pop(&slot);
        }
        Ok(())
    }

    fn slot(&self, tenant: &str, customer: &str, version: Option<u32>) -> u64 {
        self.hasher.hash_one((tenant, customer, version))
    }

    fn lock(&self) -> Result<MutexGuard<'_, Maps>, VaultError> {
        self.inner
            .lock()
            .map_err(|_| VaultError::Table("data key cache poisoned".into()))
    }
}
