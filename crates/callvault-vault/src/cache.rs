//! The bounded cache of unwrapped customer data keys.
//!
//! Two LRU maps share one lock: keys by (tenant, customer, version), for opening, and each
//! customer's current key, for sealing, so the hot path never reaches the key table. Entries are
//! found by a randomly keyed SipHash of the identifiers (no allocation per lookup) and checked
//! against the identifiers the key carries, so a hash collision is only ever a miss. Entries
//! expire after a time to live, which bounds how long a key destroyed by another process can
//! still be used here.
//!
//! Shredding and caching race: a reader may fetch a row just before it is destroyed and cache
//! the key just after. So every shred bumps an epoch under the lock, a reader notes the epoch
//! before reading the table, and [`KeyCache::put`] refuses to cache if a shred happened since.

use std::hash::{BuildHasher, RandomState};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use lru::LruCache;

use crate::vault::DataKey;
use crate::VaultError;

pub(crate) struct KeyCache {
    hasher: RandomState,
    ttl: Duration,
    inner: Mutex<Maps>,
}

type Entry = (Arc<DataKey>, Instant);

struct Maps {
    by_version: LruCache<u64, Entry>,
    current: LruCache<u64, Entry>,
    epoch: u64,
}

impl KeyCache {
    pub(crate) fn new(capacity: NonZeroUsize, ttl: Duration) -> KeyCache {
        KeyCache {
            hasher: RandomState::new(),
            ttl,
            inner: Mutex::new(Maps {
                by_version: LruCache::new(capacity),
                current: LruCache::new(capacity),
                epoch: 0,
            }),
        }
    }

    /// The shred epoch; take it before reading the key table.
    pub(crate) fn epoch(&self) -> Result<u64, VaultError> {
        Ok(self.lock()?.epoch)
    }

    pub(crate) fn version(
        &self,
        tenant: &str,
        customer: &str,
        version: u32,
    ) -> Result<Option<Arc<DataKey>>, VaultError> {
        let slot = self.slot(tenant, customer, Some(version));
        let ttl = self.ttl;
        Ok(self
            .lock()?
            .by_version
            .get(&slot)
            .filter(|(k, at)| {
                k.is(tenant, customer) && k.version() == version && at.elapsed() < ttl
            })
            .map(|(k, _)| Arc::clone(k)))
    }

    pub(crate) fn current(
        &self,
        tenant: &str,
        customer: &str,
    ) -> Result<Option<Arc<DataKey>>, VaultError> {
        let slot = self.slot(tenant, customer, None);
        let ttl = self.ttl;
        Ok(self
            .lock()?
            .current
            .get(&slot)
            .filter(|(k, at)| k.is(tenant, customer) && at.elapsed() < ttl)
            .map(|(k, _)| Arc::clone(k)))
    }

    /// Caches a key for opening, and as the customer's current key when `current`, unless a
    /// shred happened since `epoch` was taken. Returns whether it was cached.
    pub(crate) fn put(
        &self,
        key: &Arc<DataKey>,
        current: bool,
        epoch: u64,
    ) -> Result<bool, VaultError> {
        let (tenant, customer) = key.owner();
        let by_version = self.slot(tenant, customer, Some(key.version()));
        let latest = self.slot(tenant, customer, None);
        let now = Instant::now();
        let mut maps = self.lock()?;
        if maps.epoch != epoch {
            return Ok(false);
        }
        maps.by_version.put(by_version, (Arc::clone(key), now));
        if current {
            maps.current.put(latest, (Arc::clone(key), now));
        }
        Ok(true)
    }

    /// Drops every cached key of a customer and bumps the epoch. Call before destroying the
    /// rows, and again after, so no reader can cache a key across the destruction.
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
        maps.epoch += 1;
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
