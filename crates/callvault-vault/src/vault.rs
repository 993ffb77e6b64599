//! The key hierarchy at work: root key → tenant keys → customer data keys → sealed values.
//!
//! [`Vault`] unwraps each tenant's keys through the [`RootKeyStore`] and keeps them in memory for
//! a while; customer data keys are unwrapped on demand and kept in a bounded cache
//! (the `cache` module), so the hot path (seal and open of a turn) costs one cache lookup and one
//! AES-GCM operation. Rotation adds a tenant wrapping-key version that new data keys use at once;
//! [`Vault::rewrap`] moves old data keys over in batches (resumable: the table itself records
//! progress) and [`Vault::retire_unused`] deletes versions nothing uses any more.
//! [`Vault::shred`] destroys a customer's data keys, and with them their sealed values and
//! format-preserving tokens (the FF1 key is derived from the data key). The vault decides
//! nothing about who may call it: that is `callvault-core`'s job.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroUsize;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use aws_lc_rs::hkdf;
use callvault_audit::AuditedGrant;
use zeroize::Zeroizing;

use crate::cache::KeyCache;
use crate::ff1::{Ff1, DIGITS};
use crate::index::{BlindIndex, IndexKey};
use crate::keystore::RootKeyStore;
use crate::seal::{context_aad, data_key_aad, tenant_key_aad, AeadKey, SealContext, SealedHeader};
use crate::secret::{KeyMaterial, KEY_LEN};
use crate::table::{DataKeyRecord, DataKeyState, KeyTable, TenantKeyKind, TenantKeyRecord};
use crate::VaultError;

/// Tuning for a [`Vault`].
#[derive(Clone, Copy, Debug)]
pub struct VaultConfig {
    /// How many unwrapped customer data keys stay in memory.
    pub data_key_cache: NonZeroUsize,
    /// How long an unwrapped key is trusted before the key table is read again. Bounds how long
    /// a key destroyed or rotated by another server can still be used by this one.
    pub key_ttl: Duration,
}

impl Default for VaultConfig {
    fn default() -> VaultConfig {
        VaultConfig {
            data_key_cache: NonZeroUsize::new(100_000).unwrap_or(NonZeroUsize::MIN),
            key_ttl: Duration::from_secs(60),
        }
    }
}

/// Progress of one [`Vault::rewrap`] call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RewrapProgress {
    /// Keys moved to the current version by this call.
    pub rewrapped: usize,
    /// Keys that did not unwrap (a damaged row); skipped and logged, never rewritten.
    pub failed: usize,
    /// Active keys still wrapped by an older version after this call.
    pub remaining: u64,
}

/// A customer's unwrapped data key, bound to its tenant, customer and version.
pub struct DataKey {
    tenant: String,
    customer: String,
    version: u32,
    key: AeadKey,
    ff1: Ff1,
}

impl DataKey {
    fn new(
        tenant: &str,
        customer: &str,
        version: u32,
        material: &KeyMaterial,
    ) -> Result<DataKey, VaultError> {
        Ok(DataKey {
            tenant: tenant.to_owned(),
            customer: customer.to_owned(),
            version,
            key: AeadKey::new(material)?,
            ff1: Ff1::new(
                derive(material, b"callvault ff1 token v1")?.expose_secret(),
                DIGITS,
            )?,
        })
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    /// The tenant and customer this key belongs to.
    pub fn owner(&self) -> (&str, &str) {
        (&self.tenant, &self.customer)
    }

    pub(crate) fn is(&self, tenant: &str, customer: &str) -> bool {
        self.tenant == tenant && self.customer == customer
    }

    /// Seals `plaintext` at `ctx`, which must name this key's tenant and customer.
    pub fn seal(&self, ctx: &SealContext<'_>, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        if !self.is(ctx.tenant, ctx.customer) {
            return Err(VaultError::Invalid(
                "seal context names another tenant or customer",
            ));
        }
        self.key.seal(self.version, &context_aad(ctx)?, plaintext)
    }

    /// Opens a value sealed at `ctx`, which `grant` must cover; every failure is
    /// [`VaultError::Open`].
    pub fn open(
        &self,
        grant: &AuditedGrant,
        ctx: &SealContext<'_>,
        sealed: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        if !self.is(ctx.tenant, ctx.customer) || !grant.covers(ctx.tenant, ctx.conversation) {
            return Err(VaultError::Open);
        }
        let aad = context_aad(ctx).map_err(|_| VaultError::Open)?;
        self.key.open(&aad, sealed)
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey")
            .field("tenant", &self.tenant)
            .field("customer", &self.customer)
            .field("version", &self.version)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// A tenant's unwrapped keys.
struct TenantKeys {
    current: u32,
    wrapping: BTreeMap<u32, AeadKey>,
    index: Arc<IndexKey>,
    loaded: Instant,
}

/// How often a racing shred or retirement may send a lookup round again before giving up.
const RACE_RETRIES: usize = 4;

/// The key hierarchy over a root key store and a key table.
pub struct Vault {
    root: Arc<dyn RootKeyStore>,
    table: Arc<dyn KeyTable>,
    tenants: RwLock<HashMap<String, Arc<TenantKeys>>>,
    cache: KeyCache,
    key_ttl: Duration,
}

impl Vault {
    pub fn new(
        root: Arc<dyn RootKeyStore>,
        table: Arc<dyn KeyTable>,
        config: VaultConfig,
    ) -> Vault {
        Vault {
            root,
            table,
            tenants: RwLock::new(HashMap::new()),
            cache: KeyCache::new(config.data_key_cache, config.key_ttl),
            key_ttl: config.key_ttl,
        }
    }

    /// Creates a tenant's first wrapping key and its index secret. Completes a creation that
    /// was interrupted between the two (each kind is added only if missing).
    pub fn create_tenant(&self, tenant: &str) -> Result<(), VaultError> {
        check_id(tenant)?;
        let existing = self.table.tenant_keys(tenant)?;
        let mut created = false;
        for kind in [TenantKeyKind::Index, TenantKeyKind::Wrapping] {
            if existing.iter().any(|r| r.kind == kind) {
                continue;
            }
            created |= self
                .table
                .insert_tenant_key(&self.new_tenant_key(tenant, kind, 1)?)?;
        }
        if !created {
            return Err(VaultError::TenantExists(tenant.to_owned()));
        }
        tracing::info!(tenant, "tenant keys created");
        Ok(())
    }

    /// The current data key of a customer for sealing, created on first use (and created anew
    /// after an erasure, with a higher version, so old values stay unreadable).
    pub fn data_key(&self, tenant: &str, customer: &str) -> Result<Arc<DataKey>, VaultError> {
        if let Some(key) = self.cache.current(tenant, customer)? {
            return Ok(key);
        }
        check_id(customer)?;
        for _ in 0..RACE_RETRIES {
            let epoch = self.cache.epoch()?;
            let key = match self.table.latest_data_key(tenant, customer)? {
                Some(latest) if latest.state == DataKeyState::Active => {
                    self.unwrap_record(&latest)?
                }
                Some(latest) => {
                    match self.create_data_key(tenant, customer, next_version(latest.version)?)? {
                        Some(key) => key,
                        None => continue,
                    }
                }
                None => match self.create_data_key(tenant, customer, 1)? {
                    Some(key) => key,
                    None => continue,
                },
            };
            if self.cache.put(&key, true, epoch)? || self.still_active(&key)? {
                return Ok(key);
            }
        }
        Err(VaultError::Table(
            "the customer's keys kept changing during the lookup".into(),
        ))
    }

    /// Seals `plaintext` under the customer's current data key.
    pub fn seal(&self, ctx: &SealContext<'_>, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        self.data_key(ctx.tenant, ctx.customer)?
            .seal(ctx, plaintext)
    }

    /// Opens a sealed value. The [`AuditedGrant`] proves that a durable audit entry records
    /// this opening, and must cover `ctx`'s tenant and conversation ([`VaultError::NotGranted`]
    /// otherwise). A destroyed key is [`VaultError::Erased`]; every other failure to open
    /// (tampering, wrong context, unknown key version) is the uniform [`VaultError::Open`].
    pub fn open(
        &self,
        grant: &AuditedGrant,
        ctx: &SealContext<'_>,
        sealed: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        if !grant.covers(ctx.tenant, ctx.conversation) {
            return Err(VaultError::NotGranted);
        }
        let header = match SealedHeader::parse(sealed) {
            Ok(header) => header,
            Err(VaultError::UnknownFormat(format)) => {
                // For the operator: a newer writer, or corruption. The caller learns nothing.
                tracing::warn!(
                    tenant = ctx.tenant,
                    format,
                    "sealed value with an unknown format version"
                );
                return Err(VaultError::Open);
            }
            Err(_) => return Err(VaultError::Open),
        };
        let key = self.data_key_version(ctx.tenant, ctx.customer, header.key_version)?;
        key.open(grant, ctx, sealed)
    }

    /// One specific data key version, for opening.
    pub fn data_key_version(
        &self,
        tenant: &str,
        customer: &str,
        version: u32,
    ) -> Result<Arc<DataKey>, VaultError> {
        if let Some(key) = self.cache.version(tenant, customer, version)? {
            return Ok(key);
        }
        for _ in 0..RACE_RETRIES {
            let epoch = self.cache.epoch()?;
            let key = match self.table.data_key(tenant, customer, version)? {
                Some(record) if record.state == DataKeyState::Destroyed => {
                    return Err(VaultError::Erased)
                }
                Some(record) => self.unwrap_record(&record)?,
                None => return Err(VaultError::Open),
            };
            if self.cache.put(&key, false, epoch)? || self.still_active(&key)? {
                return Ok(key);
            }
        }
        Err(VaultError::Erased)
    }

    /// Destroys every data key of a customer (crypto-shredding). Returns the versions destroyed.
    /// Values sealed concurrently with the shred may be sealed under the key being destroyed;
    /// they are erased with it.
    pub fn shred(&self, tenant: &str, customer: &str) -> Result<Vec<u32>, VaultError> {
        self.cache.evict(tenant, customer, &[])?;
        let destroyed = self.table.destroy_data_keys(tenant, customer)?;
        self.cache.evict(tenant, customer, &destroyed)?;
        tracing::info!(
            tenant,
            n_keys = destroyed.len(),
            "customer data keys destroyed"
        );
        Ok(destroyed)
    }

    /// Adds a wrapping-key version; data keys created from now on are wrapped by it. Returns it.
    pub fn rotate(&self, tenant: &str) -> Result<u32, VaultError> {
        let keys = self.reload_tenant(tenant)?;
        let next = next_version(keys.current)?;
        let record = self.new_tenant_key(tenant, TenantKeyKind::Wrapping, next)?;
        if !self.table.insert_tenant_key(&record)? {
            return Err(VaultError::Table(format!(
                "wrapping key version {next} of tenant {tenant:?} was created concurrently"
            )));
        }
        self.reload_tenant(tenant)?;
        tracing::info!(tenant, version = next, "tenant wrapping key rotated");
        Ok(next)
    }

    /// Rewraps up to `batch` data keys still under an older wrapping version. Call until
    /// `remaining` is 0; safe to interrupt and to run beside live traffic, since old versions stay
    /// readable until [`Vault::retire_unused`]. A row that does not unwrap is skipped (counted in
    /// `failed` and logged), so one damaged row cannot stall the rotation.
    pub fn rewrap(&self, tenant: &str, batch: usize) -> Result<RewrapProgress, VaultError> {
        if batch == 0 {
            return Err(VaultError::Invalid("rewrap batch must be at least 1"));
        }
        let keys = self.reload_tenant(tenant)?;
        let current = keys.current;
        let (mut rewrapped, mut failed) = (0, 0);
        let mut after: Option<(String, u32)> = None;
        while rewrapped < batch {
            let position = after.as_ref().map(|(c, v)| (c.as_str(), *v));
            let page =
                self.table
                    .data_keys_wrapped_below(tenant, current, position, batch - rewrapped)?;
            let Some(last) = page.last() else { break };
            after = Some((last.customer.clone(), last.version));
            for record in &page {
                let material = match unwrap_data_key(&keys, record) {
                    Ok(material) => material,
                    Err(e) => {
                        tracing::error!(tenant, wrapped_by = record.wrapped_by, error = %e, "data key skipped by rewrap");
                        failed += 1;
                        continue;
                    }
                };
                let new = DataKeyRecord {
                    wrapped_by: current,
                    wrapped: wrap_data_key(
                        &keys,
                        tenant,
                        &record.customer,
                        record.version,
                        current,
                        &material,
                    )?,
                    ..record.clone()
                };
                if self.table.rewrap_data_key(&new, record.wrapped_by)? {
                    rewrapped += 1;
                }
            }
        }
        let mut remaining = 0;
        for version in keys.wrapping.keys().filter(|v| **v < current) {
            remaining += self.table.count_wrapped_by(tenant, *version)?;
        }
        Ok(RewrapProgress {
            rewrapped,
            failed,
            remaining,
        })
    }

    /// Deletes wrapping-key versions older than the current one that wrap no active data key
    /// (the table checks that atomically with the delete). Returns the versions retired.
    pub fn retire_unused(&self, tenant: &str) -> Result<Vec<u32>, VaultError> {
        let keys = self.reload_tenant(tenant)?;
        let mut retired = Vec::new();
        for version in keys.wrapping.keys().copied().filter(|v| *v < keys.current) {
            if self.table.retire_wrapping_key(tenant, version)? {
                retired.push(version);
            }
        }
        self.reload_tenant(tenant)?;
        if !retired.is_empty() {
            tracing::info!(tenant, ?retired, "tenant wrapping key versions retired");
        }
        Ok(retired)
    }

    /// The tenant's wrapping-key versions still held, oldest first, and the current one.
    pub fn wrapping_versions(&self, tenant: &str) -> Result<(Vec<u32>, u32), VaultError> {
        let keys = self.reload_tenant(tenant)?;
        Ok((keys.wrapping.keys().copied().collect(), keys.current))
    }

    /// The blind index of a normalized value of an entity type. Tenant-wide by design, so a
    /// value can be found across customers; see SECURITY.md for what that means after erasure.
    pub fn blind_index(
        &self,
        tenant: &str,
        entity: &str,
        normalized: &[u8],
    ) -> Result<BlindIndex, VaultError> {
        Ok(self.tenant(tenant)?.index.compute(entity, normalized))
    }

    /// The tenant's blind-index key (to compute many indexes without a lookup each).
    pub fn index_key(&self, tenant: &str) -> Result<Arc<IndexKey>, VaultError> {
        Ok(Arc::clone(&self.tenant(tenant)?.index))
    }

    /// The customer's current data key and the tenant's index key if both are in memory and
    /// fresh; `None` when either would need the key table. Never blocks on I/O, so async code
    /// can take this fast path and fall back to [`Vault::data_key`] and [`Vault::index_key`] on
    /// a blocking thread.
    pub fn cached_keys(
        &self,
        tenant: &str,
        customer: &str,
    ) -> Option<(Arc<DataKey>, Arc<IndexKey>)> {
        let index = {
            let tenants = self.read_tenants().ok()?;
            let keys = tenants.get(tenant)?;
            if keys.loaded.elapsed() >= self.key_ttl {
                return None;
            }
            Arc::clone(&keys.index)
        };
        let key = self.cache.current(tenant, customer).ok()??;
        Some((key, index))
    }

    /// A format-preserving token for a digit string: FF1 under a key derived from the customer's
    /// current data key (so erasure destroys it), the entity type in the tweak, optionally
    /// keeping the last four digits.
    pub fn digits_token(
        &self,
        tenant: &str,
        customer: &str,
        entity: &str,
        digits: &str,
        keep_last_four: bool,
    ) -> Result<String, VaultError> {
        let key = self.data_key(tenant, customer)?;
        key.ff1
            .digits_token(entity.as_bytes(), digits, keep_last_four)
    }

    /// Reverses [`Vault::digits_token`] while the customer's data key exists.
    pub fn digits_detokenize(
        &self,
        tenant: &str,
        customer: &str,
        entity: &str,
        token: &str,
        keep_last_four: bool,
    ) -> Result<String, VaultError> {
        let latest = self
            .table
            .latest_data_key(tenant, customer)?
            .ok_or(VaultError::Open)?;
        let key = self.data_key_version(tenant, customer, latest.version)?;
        key.ff1
            .digits_detokenize(entity.as_bytes(), token, keep_last_four)
    }

    /// Wraps a deployment secret (the audit log's signing key) under the root key, bound to
    /// `aad`; it is stored in the key table's database, openable only with the root key.
    pub fn wrap_with_root(&self, key: &KeyMaterial, aad: &[u8]) -> Result<Vec<u8>, VaultError> {
        self.root.wrap(key, aad)
    }

    /// Unwraps what [`Vault::wrap_with_root`] wrapped.
    pub fn unwrap_with_root(&self, wrapped: &[u8], aad: &[u8]) -> Result<KeyMaterial, VaultError> {
        self.root.unwrap(wrapped, aad)
    }

    /// Where the root key lives, for logs.
    pub fn root_description(&self) -> String {
        self.root.describe()
    }

    fn tenant(&self, tenant: &str) -> Result<Arc<TenantKeys>, VaultError> {
        if let Some(keys) = self.read_tenants()?.get(tenant) {
            if keys.loaded.elapsed() < self.key_ttl {
                return Ok(Arc::clone(keys));
            }
        }
        self.reload_tenant(tenant)
    }

    /// Reads and unwraps a tenant's keys from the table (after a rotation elsewhere, say).
    fn reload_tenant(&self, tenant: &str) -> Result<Arc<TenantKeys>, VaultError> {
        let records = self.table.tenant_keys(tenant)?;
        if records.is_empty() {
            return Err(VaultError::UnknownTenant(tenant.to_owned()));
        }
        let mut wrapping = BTreeMap::new();
        let mut index_secret = None;
        for record in &records {
            let aad = tenant_key_aad(tenant, record.kind, record.version)?;
            let material = self
                .root
                .unwrap(&record.wrapped, &aad)
                .map_err(|e| match e {
                    VaultError::Open => VaultError::RootKeyMismatch {
                        tenant: tenant.to_owned(),
                        root: self.root.describe(),
                    },
                    other => other,
                })?;
            match record.kind {
                TenantKeyKind::Wrapping => {
                    wrapping.insert(record.version, AeadKey::new(&material)?);
                }
                TenantKeyKind::Index => index_secret = Some(material),
            }
        }
        let (Some(index_secret), Some(current)) =
            (index_secret, wrapping.keys().next_back().copied())
        else {
            return Err(VaultError::Table(format!(
                "tenant {tenant:?} is missing a key kind; run tenant creation again to complete it"
            )));
        };
        let keys = Arc::new(TenantKeys {
            current,
            wrapping,
            index: Arc::new(IndexKey::new(&derive(
                &index_secret,
                b"callvault blind index v1",
            )?)),
            loaded: Instant::now(),
        });
        self.tenants
            .write()
            .map_err(|_| VaultError::Table("tenant key cache poisoned".into()))?
            .insert(tenant.to_owned(), Arc::clone(&keys));
        Ok(keys)
    }

    fn new_tenant_key(
        &self,
        tenant: &str,
        kind: TenantKeyKind,
        version: u32,
    ) -> Result<TenantKeyRecord, VaultError> {
        let material = KeyMaterial::generate()?;
        let wrapped = self
            .root
            .wrap(&material, &tenant_key_aad(tenant, kind, version)?)?;
        Ok(TenantKeyRecord {
            tenant: tenant.to_owned(),
            kind,
            version,
            wrapped,
        })
    }

    /// Creates and stores a new data key version. `None` when another writer created that
    /// version first, or the wrapping version was retired meanwhile: the caller looks again.
    fn create_data_key(
        &self,
        tenant: &str,
        customer: &str,
        version: u32,
    ) -> Result<Option<Arc<DataKey>>, VaultError> {
        let keys = self.tenant(tenant)?;
        let material = KeyMaterial::generate()?;
        let record = DataKeyRecord {
            tenant: tenant.to_owned(),
            customer: customer.to_owned(),
            version,
            wrapped_by: keys.current,
            state: DataKeyState::Active,
            wrapped: wrap_data_key(&keys, tenant, customer, version, keys.current, &material)?,
        };
        match self.table.insert_data_key(&record) {
            Ok(true) => Ok(Some(Arc::new(DataKey::new(
                tenant, customer, version, &material,
            )?))),
            Ok(false) => Ok(None),
            Err(VaultError::UnknownKeyVersion { .. }) => {
                self.reload_tenant(tenant)?;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn unwrap_record(&self, record: &DataKeyRecord) -> Result<Arc<DataKey>, VaultError> {
        let mut keys = self.tenant(&record.tenant)?;
        if !keys.wrapping.contains_key(&record.wrapped_by) {
            keys = self.reload_tenant(&record.tenant)?;
        }
        let material = unwrap_data_key(&keys, record)?;
        Ok(Arc::new(DataKey::new(
            &record.tenant,
            &record.customer,
            record.version,
            &material,
        )?))
    }

    /// After a refused cache put (a shred happened meanwhile): is this key's row still active?
    fn still_active(&self, key: &DataKey) -> Result<bool, VaultError> {
        let record = self
            .table
            .data_key(&key.tenant, &key.customer, key.version)?;
        Ok(record.is_some_and(|r| r.state == DataKeyState::Active))
    }

    fn read_tenants(
        &self,
    ) -> Result<std::sync::RwLockReadGuard<'_, HashMap<String, Arc<TenantKeys>>>, VaultError> {
        self.tenants
            .read()
            .map_err(|_| VaultError::Table("tenant key cache poisoned".into()))
    }
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("root", &self.root.describe())
            .finish_non_exhaustive()
    }
}

fn unwrap_data_key(keys: &TenantKeys, record: &DataKeyRecord) -> Result<KeyMaterial, VaultError> {
    let wrapping =
        keys.wrapping
            .get(&record.wrapped_by)
            .ok_or_else(|| VaultError::UnknownKeyVersion {
                tenant: record.tenant.clone(),
                version: record.wrapped_by,
            })?;
    let corrupt = || VaultError::KeyTableCorrupt {
        tenant: record.tenant.clone(),
        version: record.wrapped_by,
    };
    let aad = data_key_aad(
        &record.tenant,
        &record.customer,
        record.version,
        record.wrapped_by,
    )?;
    let bytes = Zeroizing::new(
        wrapping
            .open(&aad, &record.wrapped)
            .map_err(|_| corrupt())?,
    );
    KeyMaterial::from_slice(&bytes).map_err(|_| corrupt())
}

fn wrap_data_key(
    keys: &TenantKeys,
    tenant: &str,
    customer: &str,
    version: u32,
    wrapped_by: u32,
    material: &KeyMaterial,
) -> Result<Vec<u8>, VaultError> {
    let wrapping = keys
        .wrapping
        .get(&wrapped_by)
        .ok_or_else(|| VaultError::UnknownKeyVersion {
            tenant: tenant.to_owned(),
            version: wrapped_by,
        })?;
    let aad = data_key_aad(tenant, customer, version, wrapped_by)?;
    wrapping.seal(wrapped_by, &aad, material.expose_secret())
}

/// HKDF-SHA-256 of a key with a purpose label.
fn derive(secret: &KeyMaterial, info: &[u8]) -> Result<KeyMaterial, VaultError> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"callvault").extract(secret.expose_secret());
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    prk.expand(&[info], hkdf::HKDF_SHA256)
        .and_then(|okm| okm.fill(&mut out[..]))
        .map_err(|_| VaultError::Crypto("HKDF"))?;
    KeyMaterial::from_slice(&out[..])
}

fn next_version(version: u32) -> Result<u32, VaultError> {
    version
        .checked_add(1)
        .ok_or(VaultError::Invalid("key version space exhausted"))
}

fn check_id(id: &str) -> Result<(), VaultError> {
    if id.is_empty() || id.len() > crate::seal::MAX_ID_LEN {
        return Err(VaultError::Invalid("identifiers must be 1 to 255 bytes"));
    }
    Ok(())
}
