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

/// Where the hash of the subtree `(level, index)` is stored: the node's position in the tree
/// read in order, `(2 * index + 1) * 2^level - 1` (leaves at even positions). Positions grow
/// with the entries, so the nodes a batch completes are stored next to each other.
pub(crate) fn node_position(level: u32, index: u64) -> Result<i64, StoreError> {
    index
        .checked_mul(2)
        .and_then(|i| i.checked_add(1))
        .and_then(|i| i.checked_mul(1u64.checked_shl(level)?))
        .and_then(|p| i64::try_from(p - 1).ok())
        .ok_or(StoreError::Corrupt("audit node position out of range"))
}

pub(crate) fn hash_from(bytes: &[u8]) -> Result<Hash, StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("audit hash"))
}

#[cfg(test)]
mod tests {
    use super::node_position;

    /// In-order positions: leaves at 0, 2, 4, ...; (1, 0) between leaves 0 and 1; (2, 0) at 3
    /// between the two subtrees of level 1; every node of a 64-leaf tree at a distinct position.
    #[test]
    fn node_positions_are_the_in_order_walk() {
        assert_eq!(node_position(0, 0).unwrap(), 0);
        assert_eq!(node_position(0, 1).unwrap(), 2);
        assert_eq!(node_position(1, 0).unwrap(), 1);
        assert_eq!(node_position(1, 1).unwrap(), 5);
        assert_eq!(node_position(2, 0).unwrap(), 3);
        assert_eq!(node_position(3, 0).unwrap(), 7);
        let mut seen = std::collections::HashSet::new();
        for level in 0..=6u32 {
            for index in 0..(64u64 >> level) {
                assert!(seen.insert(node_position(level, index).unwrap()));
            }
        }
        assert_eq!(seen.len(), 127);
        assert!(seen.iter().all(|p| (0..127).contains(p)));
        assert!(node_position(64, 0).is_err());
        assert!(node_position(1, u64::MAX / 2).is_err());
    }
}
