//! [`AuditLog`]: the running server's side of the audit log — its signing key, its signed
//! checkpoints and where they are exported, its proofs, and the checks that make it fail closed.
//!
//! Entries are appended by the store inside the transactions that do the work (see
//! `callvault_store::Store::commit`); this module never appends data entries itself. It signs a
//! checkpoint (C2SP tlog-checkpoint, Ed25519 signed note) every N entries or T seconds, after
//! checking that the new tree is consistent with the last signed one, keeps it in the store and
//! appends it to the export file and/or posts it to a webhook, so a copy lives outside the
//! system. The signing key is generated once, sealed by the root key, and kept in the store.
//! At start the latest checkpoint's signature and its consistency with the stored tree are
//! checked, and so is the export file: a database rolled back behind an exported checkpoint
//! does not start serving reads.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use callvault_audit::{
    consistency_proof, inclusion_proof, root, verify_consistency, AuditError, AuditRecord,
    Checkpoint, DurableLog, Frontier, Hash, NodeSource, NoteSigner,
};
use callvault_store::{AuditQuery, Store, StoredEntry};
use callvault_vault::{KeyMaterial, Vault};

use crate::writer::{AuditHealth, GroupCommit, WriteJob};
use crate::CoreError;

/// Where the sealed signing key is kept in the store.
const SIGNING_KEY_META: &str = "audit.signing_key.v1";
/// The origin line (and key name) chosen when the key was made.
const ORIGIN_META: &str = "audit.origin.v1";
/// Binds the wrapped signing key to its purpose.
const SIGNING_KEY_AAD: &[u8] = b"callvault/audit-signing-key/v1";

/// How checkpoints are made and exported.
#[derive(Clone, Debug)]
pub struct AuditConfig {
    /// The log's origin line (and signing key name) when the log is created; later starts keep
    /// the stored one.
    pub origin: String,
    /// Sign a checkpoint after this many new entries...
    pub checkpoint_entries: u64,
    /// ...or after this long, when the log has grown.
    pub checkpoint_interval: Duration,
    /// An append-only file (outside the data directory) receiving every signed checkpoint.
    pub export_file: Option<PathBuf>,
    /// An `http://` URL receiving every signed checkpoint as a POST (text/plain).
    pub webhook: Option<String>,
}

impl Default for AuditConfig {
    fn default() -> AuditConfig {
        AuditConfig {
            origin: "callvault.local/audit".into(),
            checkpoint_entries: 1000,
            checkpoint_interval: Duration::from_secs(10),
            export_file: None,
            webhook: None,
        }
    }
}

/// A line of the export file.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct ExportedCheckpoint {
    pub size: u64,
    pub note: String,
}

/// An inclusion proof as served.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct InclusionProof {
    pub leaf_index: u64,
    pub tree_size: u64,
    /// The entry's leaf bytes (JSON), exactly as hashed.
    pub entry: serde_json::Value,
    /// Base64 of SHA-256(0x00 || entry bytes).
    pub leaf_hash: String,
    /// Base64 hashes, leaf to root (RFC 9162 section 2.1.3).
    pub proof: Vec<String>,
}

/// The running log.
pub struct AuditLog {
    store: Arc<dyn Store>,
    writer: Arc<GroupCommit>,
    health: Arc<AuditHealth>,
    signer: NoteSigner,
    origin: String,
    config: AuditConfig,
    last: Mutex<Option<(Checkpoint, Instant)>>,
    /// One signer at a time (the timer and a reader asking for a fresh checkpoint).
    signing: Mutex<()>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// Store-backed nodes for proofs.
pub struct StoreNodes<'a>(pub &'a dyn Store);

impl NodeSource for StoreNodes<'_> {
    fn perfect_node(&self, level: u32, index: u64) -> Result<Hash, AuditError> {
        self.0
            .audit_node(level, index)
            .map_err(|e| AuditError::Source(e.to_string()))?
            .ok_or_else(|| AuditError::Source("a tree node is missing".into()))
    }
}

impl AuditLog {
    /// Loads (or on first use creates) the signing key and checks the stored log against its
    /// latest checkpoint and the export file (blocking). A failed check trips `health`; the
    /// server still starts, so an operator can inspect it, but serves no reads or reveals.
    pub fn open(
        store: Arc<dyn Store>,
        vault: &Vault,
        writer: Arc<GroupCommit>,
        health: Arc<AuditHealth>,
        config: AuditConfig,
    ) -> Result<AuditLog, CoreError> {
        let (signer, origin) = signing_key(store.as_ref(), vault, &config.origin)?;
        let log = AuditLog {
            store,
            writer,
            health,
            signer,
            origin,
            config,
            last: Mutex::new(None),
            signing: Mutex::new(()),
        };
        if let Err(why) = log.check_at_start() {
            log.health.trip(why);
        }
        Ok(log)
    }

    /// The verifier key (vkey) of the log's checkpoints, to hand to auditors.
    pub fn vkey(&self) -> String {
        self.signer.verifier().vkey()
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn health(&self) -> &Arc<AuditHealth> {
        &self.health
    }

    /// Appends a record through the group-commit writer and waits until it is durable.
    pub async fn append(&self, record: AuditRecord) -> Result<u64, CoreError> {
        self.writer
            .submit(WriteJob {
                audit: vec![record],
                ..WriteJob::default()
            })
            .await
    }

    /// Signs a checkpoint if the log grew past the thresholds (or `force` and it grew at all),
    /// after checking consistency with the last one; exports it. Blocking.
    pub fn checkpoint_if_due(&self, force: bool) -> Result<Option<Checkpoint>, CoreError> {
        let _one_signer = self.signing.lock().map_err(|_| CoreError::Internal)?;
        // A log that failed a check is not signed again: that would vouch for a forked tree.
        self.health.check()?;
        let head = self.store.audit_head()?;
        let (last_size, due) = {
            let last = self.last.lock().map_err(|_| CoreError::Internal)?;
            match last.as_ref() {
                None => (0, true),
                Some((cp, at)) => {
                    let grown = head.size() - cp.size.min(head.size());
                    let due = grown >= self.config.checkpoint_entries
                        || (grown > 0 && at.elapsed() >= self.config.checkpoint_interval);
                    (cp.size, due)
                }
            }
        };
        if head.size() == 0 || head.size() <= last_size || !(due || force) {
            return Ok(None);
        }
        let checkpoint = self.sign_head(&head)?;
        Ok(Some(checkpoint))
    }

    /// The latest signed checkpoint (making one first if the log grew since).
    pub fn checkpoint(&self) -> Result<Option<(u64, String)>, CoreError> {
        self.checkpoint_if_due(true)?;
        Ok(self.store.latest_checkpoint()?)
    }

    /// An inclusion proof of entry `seq` in the tree of `size` entries (the latest signed
    /// checkpoint's when `None`), if the entry is in `tenant` (`None`: any tenant).
    pub fn inclusion(
        &self,
        tenant: Option<&str>,
        seq: u64,
        size: Option<u64>,
    ) -> Result<InclusionProof, CoreError> {
        let size = match size {
            Some(s) => s,
            None => self.checkpoint()?.map_or(0, |(s, _)| s),
        };
        if seq >= size || size > self.store.audit_head()?.size() {
            return Err(CoreError::invalid(
                "invalid_range",
                "the entry is not in a tree of that size",
            ));
        }
        let entry = self
            .store
            .audit_entries(seq, 1)?
            .into_iter()
            .next()
            .filter(|e| e.seq == seq)
            .ok_or(CoreError::NotFound("audit entry"))?;
        let value: serde_json::Value =
            serde_json::from_slice(&entry.leaf).map_err(|_| CoreError::Internal)?;
        if let Some(tenant) = tenant {
            if value.get("tenant").and_then(|t| t.as_str()) != Some(tenant) {
                return Err(CoreError::NotFound("audit entry"));
            }
        }
        let proof = inclusion_proof(&StoreNodes(self.store.as_ref()), seq, size)?;
        Ok(InclusionProof {
            leaf_index: seq,
            tree_size: size,
            entry: value,
            leaf_hash: b64(&entry.leaf_hash),
            proof: proof.iter().map(|h| b64(h)).collect(),
        })
    }

    /// A consistency proof between two tree sizes.
    pub fn consistency(&self, from: u64, to: u64) -> Result<Vec<String>, CoreError> {
        if from == 0 || from > to || to > self.store.audit_head()?.size() {
            return Err(CoreError::invalid(
                "invalid_range",
                "sizes must satisfy 0 < from <= to <= the log's size",
            ));
        }
        let proof = consistency_proof(&StoreNodes(self.store.as_ref()), from, to)?;
        Ok(proof.iter().map(|h| b64(h)).collect())
    }

    /// Entries matching a query, parsed (the leaf bytes are JSON).
    pub fn entries(&self, query: &AuditQuery) -> Result<Vec<serde_json::Value>, CoreError> {
        self.store
            .audit_query(query)?
            .into_iter()
            .map(|e: StoredEntry| serde_json::from_slice(&e.leaf).map_err(|_| CoreError::Internal))
            .collect()
    }

    fn sign_head(&self, head: &Frontier) -> Result<Checkpoint, CoreError> {
        let nodes = StoreNodes(self.store.as_ref());
        let root_hash = head.root();
        // The head row and the nodes must tell the same story, and the new tree must extend
        // the last signed one; otherwise the log was changed under us.
        if root(&nodes, head.size())? != root_hash {
            self.health.trip("the stored tree does not match its head");
            return Err(CoreError::AuditFailed);
        }
        let previous = self.store.latest_checkpoint()?;
        if let Some((size, note)) = previous.as_ref() {
            let old = Checkpoint::open_signed(note.as_bytes(), &self.signer.verifier())?;
            let consistent = *size == old.size
                && old.size <= head.size()
                && consistency_proof(&nodes, old.size, head.size())
                    .and_then(|p| {
                        verify_consistency(old.size, head.size(), &p, &old.root, &root_hash)
                    })
                    .is_ok();
            if !consistent {
                self.health
                    .trip("the log is not consistent with its last signed checkpoint");
                return Err(CoreError::AuditFailed);
            }
        }
        let checkpoint = Checkpoint {
            origin: self.origin.clone(),
            size: head.size(),
            root: root_hash,
            extensions: Vec::new(),
        };
        let note = checkpoint.sign(&self.signer)?;
        self.store
            .save_checkpoint(checkpoint.size, &note, crate::app::now_ms())?;
        self.export(checkpoint.size, &note);
        tracing::info!(size = checkpoint.size, "audit checkpoint signed");
        if let Ok(mut last) = self.last.lock() {
            *last = Some((checkpoint.clone(), Instant::now()));
        }
        Ok(checkpoint)
    }

    /// Sends a checkpoint to the configured sinks. A failing sink is logged and retried with
    /// the next checkpoint (which covers this one); it does not stop the log.
    fn export(&self, size: u64, note: &str) {
        if let Some(path) = &self.config.export_file {
            let line = serde_json::to_string(&ExportedCheckpoint {
                size,
                note: note.to_owned(),
            });
            let written = line.map_err(std::io::Error::other).and_then(|line| {
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?;
                file.write_all(format!("{line}\n").as_bytes())?;
                file.sync_data()
            });
            if let Err(e) = written {
                tracing::error!(path = %path.display(), error = %e, "checkpoint export to file failed");
            }
        }
        if let Some(url) = &self.config.webhook {
            let sent = ureq::post(url)
                .timeout(Duration::from_secs(5))
                .set("content-type", "text/plain; charset=utf-8")
                .send_string(note);
            if let Err(e) = sent {
                tracing::error!(error = %e, "checkpoint export to webhook failed");
            }
        }
    }

    /// The checks made at start; the reason on failure.
    fn check_at_start(&self) -> Result<(), &'static str> {
        let verifier = self.signer.verifier();
        let head = self
            .store
            .audit_head()
            .map_err(|_| "the log's head cannot be read")?;
        let nodes = StoreNodes(self.store.as_ref());
        if head.size() > 0
            && root(&nodes, head.size()).map_err(|_| "the stored tree is incomplete")?
                != head.root()
        {
            return Err("the stored tree does not match its head");
        }
        let latest = self
            .store
            .latest_checkpoint()
            .map_err(|_| "the latest checkpoint cannot be read")?;
        if let Some((size, note)) = latest {
            let cp = Checkpoint::open_signed(note.as_bytes(), &verifier)
                .map_err(|_| "the latest stored checkpoint is not validly signed")?;
            if cp.size != size || cp.size > head.size() {
                return Err("the log is shorter than its latest signed checkpoint");
            }
            let proof = if cp.size == head.size() {
                Vec::new()
            } else {
                consistency_proof(&nodes, cp.size, head.size())
                    .map_err(|_| "the stored tree is incomplete")?
            };
            if cp.size == head.size() {
                if cp.root != head.root() {
                    return Err("the log does not match its latest signed checkpoint");
                }
            } else if verify_consistency(cp.size, head.size(), &proof, &cp.root, &head.root())
                .is_err()
            {
                return Err("the log is not consistent with its latest signed checkpoint");
            }
            if let Ok(mut last) = self.last.lock() {
                *last = Some((cp, Instant::now()));
            }
        }
        if let Some(path) = &self.config.export_file {
            if let Some(exported) = last_exported(path)? {
                let cp = Checkpoint::open_signed(exported.note.as_bytes(), &verifier)
                    .map_err(|_| "the export file's last checkpoint is not validly signed")?;
                if cp.size > head.size() {
                    return Err("the log was rolled back behind an exported checkpoint");
                }
                let root_then =
                    root(&nodes, cp.size).map_err(|_| "the stored tree is incomplete")?;
                if root_then != cp.root {
                    return Err("the log does not match the exported checkpoint");
                }
            }
        }
        Ok(())
    }
}

impl DurableLog for AuditLog {
    fn append_durable(&self, record: AuditRecord) -> Result<u64, AuditError> {
        self.writer
            .submit_blocking(WriteJob {
                audit: vec![record],
                ..WriteJob::default()
            })
            .map_err(|e| AuditError::Unavailable(e.to_string()))
    }
}

/// Makes the log's signing key if there is none yet (blocking; `callvault init`), and returns
/// its verifier key (vkey) for auditors.
pub fn ensure_signing_key(
    store: &dyn Store,
    vault: &Vault,
    origin: &str,
) -> Result<String, CoreError> {
    Ok(signing_key(store, vault, origin)?.0.verifier().vkey())
}

/// The last line of an export file, if any.
pub fn last_exported(path: &std::path::Path) -> Result<Option<ExportedCheckpoint>, &'static str> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(_) => return Err("the checkpoint export file cannot be read"),
    };
    match text.lines().rev().find(|l| !l.trim().is_empty()) {
        None => Ok(None),
        Some(line) => serde_json::from_str(line)
            .map(Some)
            .map_err(|_| "the checkpoint export file is malformed"),
    }
}

/// Loads the signing key, or makes it on first use. Two servers racing to make it both read
/// back the one that was stored first.
fn signing_key(
    store: &dyn Store,
    vault: &Vault,
    origin: &str,
) -> Result<(NoteSigner, String), CoreError> {
    if store.meta(SIGNING_KEY_META)?.is_none() {
        let seed = KeyMaterial::generate()?;
        let wrapped = vault.wrap_with_root(&seed, SIGNING_KEY_AAD)?;
        // The origin first: a reader that sees the key sees its name.
        store.put_meta_if_absent(ORIGIN_META, origin.as_bytes())?;
        store.put_meta_if_absent(SIGNING_KEY_META, &wrapped)?;
    }
    let wrapped = store.meta(SIGNING_KEY_META)?.ok_or(CoreError::Internal)?;
    let origin = store
        .meta(ORIGIN_META)?
        .and_then(|o| String::from_utf8(o).ok())
        .ok_or(CoreError::Internal)?;
    let seed = vault.unwrap_with_root(&wrapped, SIGNING_KEY_AAD)?;
    let signer = NoteSigner::from_seed(&origin, seed.expose_secret())?;
    Ok((signer, origin))
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
