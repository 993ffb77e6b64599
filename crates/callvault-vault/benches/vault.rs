//! Vault micro-benchmarks: seal + open of a 1 KiB value, blind index, FF1 on 16 digits, a
//! data-key lookup served by the cache, and a cold tenant-key unwrap through SoftHSM2 (when the
//! module and `softhsm2-util` are installed; `.ci/run` installs them).
//!
//! `cargo bench -p callvault-vault --bench vault`

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use callvault_vault::ff1::{Ff1, DIGITS};
use callvault_vault::index::IndexKey;
use callvault_vault::pkcs11::SOFTHSM2_MODULE;
use callvault_vault::seal::{context_aad, AeadKey};
use callvault_vault::{
    KeyMaterial, KeyTable, MemoryKeyTable, Pkcs11Config, Pkcs11KeyStore, RootKeyStore, SealContext,
    Vault, VaultConfig,
};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use secrecy::SecretString;

fn ctx(customer: &str) -> SealContext<'_> {
    SealContext {
        tenant: "acme",
        customer,
        conversation: "conv-0001",
        turn: 7,
        field: "turn.text",
    }
}

/// A root store over random bytes, so the benchmark measures the vault, not a key store.
struct MemoryRoot(AeadKey);

impl RootKeyStore for MemoryRoot {
    fn wrap(&self, key: &KeyMaterial, aad: &[u8]) -> Result<Vec<u8>, callvault_vault::VaultError> {
        self.0.seal(0, aad, key.expose_secret())
    }
    fn unwrap(
        &self,
        wrapped: &[u8],
        aad: &[u8],
    ) -> Result<KeyMaterial, callvault_vault::VaultError> {
        KeyMaterial::from_slice(&self.0.open(aad, wrapped)?)
    }
    fn describe(&self) -> String {
        "memory".into()
    }
}

fn seal_open(c: &mut Criterion) {
    let root: Arc<dyn RootKeyStore> = Arc::new(MemoryRoot(
        AeadKey::new(&KeyMaterial::generate().unwrap()).unwrap(),
    ));
    let table: Arc<dyn KeyTable> = Arc::new(MemoryKeyTable::new());
    let vault = Vault::new(root, table, VaultConfig::default());
    vault.create_tenant("acme").unwrap();
    let value = vec![0x61u8; 1024];
    let mut group = c.benchmark_group("seal_open_1KiB");
    group.throughput(Throughput::Elements(1));
    let key = vault.data_key("acme", "alice").unwrap();
    let at = ctx("alice");
    let grant = bench_grant(&at);
    group.bench_function("data_key", |b| {
        b.iter(|| {
            let sealed = key.seal(&at, black_box(&value)).unwrap();
            key.open(&grant, &at, black_box(&sealed)).unwrap()
        })
    });
    group.bench_function("vault_with_cache_lookup", |b| {
        b.iter(|| {
            let sealed = vault.seal(&at, black_box(&value)).unwrap();
            vault.open(&grant, &at, black_box(&sealed)).unwrap()
        })
    });
    let raw = AeadKey::new(&KeyMaterial::generate().unwrap()).unwrap();
    let aad = context_aad(&at).unwrap();
    group.bench_function("aead_only", |b| {
        b.iter(|| {
            let sealed = raw.seal(1, &aad, black_box(&value)).unwrap();
            raw.open(&aad, black_box(&sealed)).unwrap()
        })
    });
    group.finish();

    // Many customers: the cache lookup for a key among 10,000.
    for i in 0..10_000 {
        vault.data_key("acme", &format!("cust-{i}")).unwrap();
    }
    c.bench_function("data_key_cached_of_10k", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 7919) % 10_000;
            vault
                .data_key_version("acme", &format!("cust-{i}"), 1)
                .unwrap()
        })
    });
}

/// A data-key unwrap that misses the cache: key table read, AES-GCM open of the wrapped key,
/// key schedule. A cache of one entry and two alternating customers forces the miss.
fn cold_data_key(c: &mut Criterion) {
    let root: Arc<dyn RootKeyStore> = Arc::new(MemoryRoot(
        AeadKey::new(&KeyMaterial::generate().unwrap()).unwrap(),
    ));
    let table: Arc<dyn KeyTable> = Arc::new(MemoryKeyTable::new());
    let config = VaultConfig {
        data_key_cache: std::num::NonZeroUsize::MIN,
        ..VaultConfig::default()
    };
    let vault = Vault::new(root, table, config);
    vault.create_tenant("acme").unwrap();
    vault.data_key("acme", "alice").unwrap();
    vault.data_key("acme", "bob").unwrap();
    let mut flip = false;
    c.bench_function("data_key_unwrap_cache_miss", |b| {
        b.iter(|| {
            flip = !flip;
            vault
                .data_key_version("acme", if flip { "alice" } else { "bob" }, 1)
                .unwrap()
        })
    });
}

fn index_and_ff1(c: &mut Criterion) {
    let index = IndexKey::new(&KeyMaterial::generate().unwrap());
    c.bench_function("blind_index_card", |b| {
        b.iter(|| index.compute("CREDIT_CARD", black_box(b"4111111111111111")))
    });
    let ff1 = Ff1::new(KeyMaterial::generate().unwrap().expose_secret(), DIGITS).unwrap();
    c.bench_function("ff1_16_digits", |b| {
        b.iter(|| {
            ff1.encrypt(b"acme/CREDIT_CARD", black_box("4111111111111111"))
                .unwrap()
        })
    });
    c.bench_function("ff1_card_keep_last_four", |b| {
        b.iter(|| {
            ff1.digits_token(b"acme/CREDIT_CARD", black_box("4111111111111111"), true)
                .unwrap()
        })
    });
}

/// A cold unwrap of a tenant key through SoftHSM2 (one `C_Decrypt` with AES-GCM in the token).
fn hsm_unwrap(c: &mut Criterion) {
    let Some(store) = softhsm_store() else {
        eprintln!("softhsm2 not installed: skipping the HSM unwrap benchmark");
        return;
    };
    let key = KeyMaterial::generate().unwrap();
    let wrapped = store.wrap(&key, b"tenant acme wrapping v1").unwrap();
    c.bench_function("hsm_unwrap_softhsm2", |b| {
        b.iter(|| {
            store
                .unwrap(black_box(&wrapped), b"tenant acme wrapping v1")
                .unwrap()
        })
    });
}

fn softhsm_store() -> Option<Pkcs11KeyStore> {
    if !std::path::Path::new(SOFTHSM2_MODULE).exists() {
        return None;
    }
    let dir = tempfile::tempdir().ok()?.keep();
    std::fs::create_dir_all(dir.join("tokens")).ok()?;
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\n",
            dir.join("tokens").display()
        ),
    )
    .ok()?;
    std::env::set_var("SOFTHSM2_CONF", &conf);
    let ok = Command::new("softhsm2-util")
        .args([
            "--init-token",
            "--free",
            "--label",
            "bench",
            "--so-pin",
            "12345678",
            "--pin",
            "87654321",
        ])
        .output()
        .ok()?
        .status
        .success();
    if !ok {
        return None;
    }
    Pkcs11KeyStore::create(&Pkcs11Config {
        module: PathBuf::from(SOFTHSM2_MODULE),
        token_label: "bench".into(),
        pin: SecretString::from("87654321".to_owned()),
        key_label: "root".into(),
    })
    .ok()
}

criterion_group!(benches, seal_open, cold_data_key, index_and_ff1, hsm_unwrap);
criterion_main!(benches);

/// A grant for the benchmark's conversation, recorded in a counter (the audit log's own cost is
/// measured in the audit and store benchmarks).
fn bench_grant(at: &SealContext<'_>) -> callvault_audit::AuditedGrant {
    struct Counter;
    impl callvault_audit::DurableLog for Counter {
        fn append_durable(
            &self,
            _: callvault_audit::AuditRecord,
        ) -> Result<u64, callvault_audit::AuditError> {
            Ok(0)
        }
    }
    let mut record =
        callvault_audit::AuditRecord::new(at.tenant, "bench", callvault_audit::Action::Reveal);
    record
        .resources
        .conversations
        .push(at.conversation.to_owned());
    callvault_audit::grant(&Counter, record).unwrap()
}
