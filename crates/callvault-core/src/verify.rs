//! Offline verification of a whole audit log with only a public key (`callvault audit verify`).
//!
//! The verifier walks every entry in order and rebuilds the Merkle tree from the leaf bytes. It
//! trusts nothing stored but the signatures: each stored checkpoint must be signed by the given
//! key and match the rebuilt tree at its size, and so must the exported checkpoint (the copy
//! kept outside the system), whose size the log must reach, or it was rolled back. Along the way
//! it names the first entry that breaks the log:
//!
//! - an entry whose position (row) and recorded `seq` disagree: deleted, inserted or reordered
//!   entries (the first bad one is the lower of the two positions);
//! - an entry whose bytes no longer hash to the leaf hash recorded when it was appended: changed;
//! - a signed checkpoint the rebuilt tree does not match: entries in its range were rewritten
//!   together with their recorded hashes (the range is named; only its signature tells).
//!
//! It does not need the server, the root key or the store's own bookkeeping beyond entry rows.

use callvault_audit::{leaf_hash, AuditEntry, Checkpoint, Frontier, Hash, NoteVerifier};

/// One entry as the verifier reads it.
pub struct EntryIn {
    /// The position the entry is stored at (row key), when the source has one.
    pub position: Option<u64>,
    pub leaf: Vec<u8>,
    /// The leaf hash recorded at append time, when the source has it.
    pub recorded_hash: Option<Hash>,
}

/// What a successful verification saw.
#[derive(Debug, serde::Serialize)]
pub struct VerifyReport {
    pub entries: u64,
    pub root: String,
    pub checkpoints_verified: usize,
    /// The size of the exported checkpoint checked, if one was given.
    pub exported_size: Option<u64>,
    /// Entries after the last signed checkpoint (not yet covered by a signature).
    pub unsigned_tail: u64,
}

/// Why a log does not hold.
#[derive(Debug, thiserror::Error)]
pub enum VerifyFailure {
    #[error("entry {seq} is bad: {reason}")]
    BadEntry { seq: u64, reason: String },
    #[error("entries {from} to {to} were rewritten: the tree does not match the checkpoint signed at size {to}")]
    Rewritten { from: u64, to: u64 },
    #[error("the log was rolled back: it has {entries} entries but a signed checkpoint has {signed} (first missing entry: {entries})")]
    RolledBack { entries: u64, signed: u64 },
    #[error("checkpoint at size {size} is not valid: {reason}")]
    BadCheckpoint { size: u64, reason: String },
    #[error("cannot read the log: {0}")]
    Read(String),
}

impl VerifyFailure {
    /// The first bad entry, when one can be named.
    pub fn first_bad_entry(&self) -> Option<u64> {
        match self {
            VerifyFailure::BadEntry { seq, .. } => Some(*seq),
            VerifyFailure::Rewritten { from, .. } => Some(*from),
            VerifyFailure::RolledBack { entries, .. } => Some(*entries),
            _ => None,
        }
    }
}

/// Verifies a log: `entries` in stored order, `stored` signed checkpoints (size, note) as kept
/// with the log, `exported` the trusted copy from outside, all against `key`.
pub fn verify_log(
    entries: impl Iterator<Item = Result<EntryIn, String>>,
    stored: &[(u64, String)],
    exported: Option<&str>,
    key: &NoteVerifier,
) -> Result<VerifyReport, VerifyFailure> {
    let mut signed: Vec<Checkpoint> = Vec::with_capacity(stored.len() + 1);
    for (size, note) in stored {
        let cp = open(note, key, *size)?;
        if cp.size != *size {
            return Err(VerifyFailure::BadCheckpoint {
                size: *size,
                reason: "its signed size differs from the size it is stored under".into(),
            });
        }
        signed.push(cp);
    }
    let exported = exported.map(|note| open(note, key, 0)).transpose()?;
    let exported_size = exported.as_ref().map(|c| c.size);
    signed.extend(exported);
    signed.sort_by_key(|c| c.size);

    let mut tree = Frontier::new();
    let mut next_checkpoint = 0;
    let mut last_verified = 0;
    for entry in entries {
        let entry = entry.map_err(VerifyFailure::Read)?;
        let p = tree.size();
        if let Some(position) = entry.position {
            if position != p {
                return Err(VerifyFailure::BadEntry {
                    seq: p.min(position),
                    reason: format!("expected entry {p} here, found the row of entry {position}"),
                });
            }
        }
        let parsed = AuditEntry::from_leaf(&entry.leaf).map_err(|_| VerifyFailure::BadEntry {
            seq: p,
            reason: "its bytes are not a valid entry".into(),
        })?;
        if parsed.seq != p {
            return Err(VerifyFailure::BadEntry {
                seq: p.min(parsed.seq),
                reason: format!(
                    "entry {} is stored at position {p} (deleted, inserted or reordered entries)",
                    parsed.seq
                ),
            });
        }
        let hash = leaf_hash(&entry.leaf);
        if entry.recorded_hash.is_some_and(|h| h != hash) {
            return Err(VerifyFailure::BadEntry {
                seq: p,
                reason: "its content changed after it was appended".into(),
            });
        }
        tree.append(hash);
        while next_checkpoint < signed.len() && signed[next_checkpoint].size == tree.size() {
            if signed[next_checkpoint].root != tree.root() {
                return Err(VerifyFailure::Rewritten {
                    from: last_verified,
                    to: tree.size(),
                });
            }
            last_verified = tree.size();
            next_checkpoint += 1;
        }
    }
    if let Some(cp) = signed.get(next_checkpoint) {
        return Err(VerifyFailure::RolledBack {
            entries: tree.size(),
            signed: signed.last().map_or(cp.size, |c| c.size),
        });
    }
    Ok(VerifyReport {
        entries: tree.size(),
        root: hex(&tree.root()),
        checkpoints_verified: signed.len(),
        exported_size,
        unsigned_tail: tree.size() - last_verified,
    })
}

/// Reads a checkpoint given as a signed note, or as the export file's JSON lines (the last).
pub fn checkpoint_note(text: &str) -> Option<String> {
    if text.trim_start().starts_with('{') {
        let line = text.lines().rev().find(|l| !l.trim().is_empty())?;
        let exported: crate::audit::ExportedCheckpoint = serde_json::from_str(line).ok()?;
        Some(exported.note)
    } else {
        Some(text.to_owned())
    }
}

fn open(note: &str, key: &NoteVerifier, size: u64) -> Result<Checkpoint, VerifyFailure> {
    Checkpoint::open_signed(note.as_bytes(), key).map_err(|e| VerifyFailure::BadCheckpoint {
        size,
        reason: e.to_string(),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
