//! The audit log's numbers on the embedded default (SQLite, `synchronous=FULL`), release build:
//!
//! 1. appends per second through the group-commit writer, from many concurrent callers, each
//!    waiting until its entry is durable (what every request does), with latency percentiles;
//! 2. proof generation and verification over the store's nodes in a log of N entries
//!    (default 10,000,000; the log is built once with large direct commits).
//!
//! `cargo bench -p callvault-core --bench audit` (env: `APPENDS`, `CALLERS`, `PROOF_LOG_SIZE`,
//! `BENCH_DIR` for where the databases go). Not a criterion bench: it measures throughput under
//! concurrency, which criterion's loop does not model.

use std::sync::Arc;
use std::time::{Duration, Instant};

use callvault_audit::{
    consistency_proof, inclusion_proof, root, verify_consistency, verify_inclusion, Action,
    AuditRecord,
};
use callvault_core::audit::StoreNodes;
use callvault_core::{AuditConfig, Core, CoreConfig};
use callvault_store::{SqliteStore, Store};
use callvault_vault::{KdfParams, KeyTable, PassphraseKeyFile, RootKeyStore, Vault, VaultConfig};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn record(i: u64) -> AuditRecord {
    let mut r = AuditRecord::new("acme", "svc-ingest", Action::ConversationRead);
    r.role = "ingest".into();
    r.session = Some("tok_0123456789abcdef".into());
    r.source = Some("10.0.0.7".into());
    r.resources
        .conversations
        .push(format!("conv_{:024x}", i % 100_000));
    r.resources.customers.push(format!("cust-{}", i % 10_000));
    r
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken from the command line.
    let base = std::env::var("BENCH_DIR").map_or_else(|_| std::env::temp_dir(), Into::into);
    let dir = tempfile::tempdir_in(base).unwrap();
    appends(dir.path());
    proofs(dir.path());
}

fn appends(dir: &std::path::Path) {
    let n = env("APPENDS", 300_000);
    let callers = env("CALLERS", 512);
    let pass = secrecy::SecretString::from("audit benchmark passphrase".to_owned());
    let fast = KdfParams {
        m_cost: 8192,
        t_cost: 1,
        p_cost: 1,
    };
    let root: Arc<dyn RootKeyStore> =
        Arc::new(PassphraseKeyFile::create(&dir.join("root.key"), &pass, fast).unwrap());
    let store = Arc::new(SqliteStore::open(&dir.join("appends.db")).unwrap());
    let table: Arc<dyn KeyTable> = store.clone();
    let vault = Arc::new(Vault::new(root, table, VaultConfig::default()));
    let dyn_store: Arc<dyn Store> = store.clone();
    let core = Arc::new(
        Core::new(
            dyn_store,
            vault,
            CoreConfig::default(),
            AuditConfig::default(),
        )
        .unwrap(),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let per_caller = n / callers;
    let started = Instant::now();
    let mut latencies: Vec<Duration> = runtime.block_on(async {
        let tasks: Vec<_> = (0..callers)
            .map(|c| {
                let core = Arc::clone(&core);
                tokio::spawn(async move {
                    let mut lat = Vec::with_capacity(per_caller as usize);
                    for i in 0..per_caller {
                        let t = Instant::now();
                        core.append_audit(record(c * per_caller + i)).await.unwrap();
                        lat.push(t.elapsed());
                    }
                    lat
                })
            })
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all
    });
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let total = per_caller * callers;
    println!(
        "audit appends (SQLite, group commit, {callers} callers, each waiting for durability): {total} in {:.2} s = {:.0} appends/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
    );
    core.shutdown();
}

fn proofs(dir: &std::path::Path) {
    let size = env("PROOF_LOG_SIZE", 10_000_000);
    let store = SqliteStore::open(&dir.join("proofs.db")).unwrap();
    let started = Instant::now();
    let batch = 20_000u64;
    let mut written = 0;
    while written < size {
        let k = batch.min(size - written);
        let records: Vec<AuditRecord> = (written..written + k).map(record).collect();
        store.commit(&[], &[], &[], &records).unwrap();
        written += k;
    }
    let build = started.elapsed();
    let head = store.audit_head().unwrap();
    assert_eq!(head.size(), size);
    let db_bytes = std::fs::metadata(dir.join("proofs.db")).map_or(0, |m| m.len());
    println!(
        "built a log of {size} entries with direct commits of {batch}: {:.1} s ({:.0} entries/s), database {:.2} GB",
        build.as_secs_f64(),
        size as f64 / build.as_secs_f64(),
        db_bytes as f64 / 1e9
    );
    let nodes = StoreNodes(&store);
    let root_hash = root(&nodes, size).unwrap();
    assert_eq!(root_hash, head.root());
    // Deterministic spread of leaf indexes and old sizes.
    let samples = 2000u64;
    let pick = |i: u64| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) % size;
    let entries: Vec<_> = (0..samples)
        .map(|i| store.audit_entries(pick(i), 1).unwrap().remove(0))
        .collect();
    let t = Instant::now();
    let mut proofs = Vec::with_capacity(samples as usize);
    for e in &entries {
        proofs.push(inclusion_proof(&nodes, e.seq, size).unwrap());
    }
    let generate = t.elapsed();
    let t = Instant::now();
    for (e, p) in entries.iter().zip(&proofs) {
        verify_inclusion(e.seq, size, &e.leaf_hash, p, &root_hash).unwrap();
    }
    let verify = t.elapsed();
    let hashes = proofs.iter().map(Vec::len).max().unwrap_or(0);
    println!(
        "inclusion proofs at {size} entries over the store's nodes: generate {:.1} µs, verify {:.1} µs (mean of {samples}; at most {hashes} hashes)",
        generate.as_secs_f64() * 1e6 / samples as f64,
        verify.as_secs_f64() * 1e6 / samples as f64,
    );
    let olds: Vec<u64> = (0..samples).map(|i| pick(i).max(1)).collect();
    let old_roots: Vec<_> = olds.iter().map(|&o| root(&nodes, o).unwrap()).collect();
    let t = Instant::now();
    let mut cproofs = Vec::with_capacity(samples as usize);
    for &old in &olds {
        cproofs.push(consistency_proof(&nodes, old, size).unwrap());
    }
    let generate = t.elapsed();
    let t = Instant::now();
    for ((old, old_root), p) in olds.iter().zip(&old_roots).zip(&cproofs) {
        verify_consistency(*old, size, p, old_root, &root_hash).unwrap();
    }
    let verify = t.elapsed();
    println!(
        "consistency proofs to {size} entries over the store's nodes: generate {:.1} µs, verify {:.1} µs (mean of {samples})",
        generate.as_secs_f64() * 1e6 / samples as f64,
        verify.as_secs_f64() * 1e6 / samples as f64,
    );
}
