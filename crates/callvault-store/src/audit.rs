//! The audit log's rows, shared by both stores: how records become leaves and nodes.
//!
//! Inside a write transaction a store reads the log's head (size and the hashes of the tree's
//! complete subtrees), asks `prepare` for the rows of the new entries and the new complete
//! subtrees, writes them and the new head, and commits with the data the entries describe. The
//! head row is the lock: SQLite has one writer; PostgreSQL takes it `FOR UPDATE`, so servers
//! sharing a database append one after another. This module does no I/O.

use callvault_audit::{leaf_hash, AuditRecord, Frontier, Hash};

use crate::StoreError;

/// One entry as written.
pub(crate) struct EntryRow<'a> {
    pub seq: u64,
    pub record: &'a AuditRecord,
    pub leaf_hash: Hash,
    pub leaf: Vec<u8>,
}

/// Everything an append writes besides the data it describes.
pub(crate) struct Prepared<'a> {
    pub entries: Vec<EntryRow<'a>>,
    /// Complete subtrees above the leaves created by these appends: (level, index, hash).
    pub nodes: Vec<(u32, u64, Hash)>,
    pub size: u64,
    pub frontier: Vec<u8>,
}

/// Filters for listing entries (auditors). Every filter is optional; results are in log order.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    /// Only this tenant's entries (`None`: the whole deployment, for the operator's tools).
    pub tenant: Option<String>,
    pub principal: Option<String>,
    pub action: Option<String>,
    /// Unix milliseconds, inclusive.
    pub from_ms: Option<i64>,
    /// Unix milliseconds, exclusive.
    pub to_ms: Option<i64>,
    /// Only entries after this sequence number (paging).
    pub after_seq: Option<u64>,
    pub limit: usize,
}

/// A stored entry: its position, the leaf bytes exactly as hashed, and the leaf hash recorded
/// when it was appended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEntry {
    pub seq: u64,
    pub leaf: Vec<u8>,
    pub leaf_hash: Hash,
}

/// Parses a stored head.
pub(crate) fn frontier(size: i64, bytes: &[u8]) -> Result<Frontier, StoreError> {
    let corrupt = || StoreError::Corrupt("audit head");
    if size < 0 || !bytes.len().is_multiple_of(32) {
        return Err(corrupt());
    }
    let hashes = bytes
        .chunks_exact(32)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            h
        })
        .collect();
    Frontier::from_parts(size as u64, hashes).map_err(|_| corrupt())
}

/// The rows for appending `records` to the tree whose head is `head`.
pub(crate) fn prepare<'a>(
    mut head: Frontier,
    records: impl IntoIterator<Item = &'a AuditRecord>,
) -> Result<Prepared<'a>, StoreError> {
    let mut entries = Vec::new();
    let mut nodes = Vec::new();
    for record in records {
        let seq = head.size();
        let leaf = record
            .to_leaf(seq)
            .map_err(|_| StoreError::Corrupt("audit record"))?;
        let hash = leaf_hash(&leaf);
        nodes.extend(
            head.append(hash)
                .into_iter()
                .filter(|(level, _, _)| *level > 0),
        );
        entries.push(EntryRow {
            seq,
            record,
            leaf_hash: hash,
            leaf,
        });
    }
    Ok(Prepared {
        entries,
        nodes,
        size: head.size(),
        frontier: head.hashes().concat(),
    })
}

pub(crate) fn hash_from(bytes: &[u8]) -> Result<Hash, StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("audit hash"))
}
