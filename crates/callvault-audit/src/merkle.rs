//! The audit log's Merkle tree: RFC 6962 hashing, RFC 9162 proof verification, proof
//! generation over a [`NodeSource`], and the [`Frontier`] that appends in O(1) amortized work.
//!
//! A tree of `n` leaves is addressed by *perfect nodes*: `(level, index)` is the root of the
//! perfect subtree of `2^level` leaves starting at leaf `index * 2^level` (level 0 is the leaf
//! hashes). Perfect nodes never change once their last leaf exists, so a store can persist each
//! one once. Every other subtree the algorithms need lies on the right edge of some tree and is
//! folded from the perfect nodes that the binary representation of its size names, which keeps
//! root, proof and frontier work at O(log n) lookups.
//!
//! This module does not store anything (see [`NodeSource`]; [`MemoryTree`] serves tests and
//! benches), does not know what a leaf means, and does not sign: checkpoints live in
//! [`crate::checkpoint`].

use aws_lc_rs::digest;

use crate::AuditError;

/// A SHA-256 hash: a leaf hash, a node hash or a root.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1).
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// The hash of a leaf: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(&[0x00]);
    ctx.update(data);
    to_hash(ctx.finish().as_ref())
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = 0x01;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    to_hash(digest::digest(&digest::SHA256, &buf).as_ref())
}

/// Checks that `leaf` is the leaf at `leaf_index` in the tree of `tree_size` leaves whose root
/// is `root` (RFC 9162 §2.1.3.2).
///
/// # Errors
/// [`AuditError::InvalidProof`] for any failure, including `leaf_index >= tree_size`.
pub fn verify_inclusion(
    leaf_index: u64,
    tree_size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), AuditError> {
    if leaf_index >= tree_size {
        return Err(AuditError::InvalidProof);
    }
    let mut f = leaf_index;
    let mut s = tree_size - 1;
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(AuditError::InvalidProof);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            // The node was a right child on the right edge: skip the levels where it had no
            // sibling.
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 || r != *root {
        return Err(AuditError::InvalidProof);
    }
    Ok(())
}

/// Checks that the tree of `size1` leaves with root `root1` is a prefix of the tree of `size2`
/// leaves with root `root2` (RFC 9162 §2.1.4.2).
///
/// Equal sizes are consistent exactly when the proof is empty and the roots are equal. A proof
/// from the empty tree (`size1 == 0`) is always an error: it would prove nothing, and accepting
/// it invites callers to skip the check they meant to make.
///
/// # Errors
/// [`AuditError::InvalidProof`] for any failure.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: &Hash,
    root2: &Hash,
) -> Result<(), AuditError> {
    if size1 == 0 || size1 > size2 {
        return Err(AuditError::InvalidProof);
    }
    if size1 == size2 {
        if proof.is_empty() && root1 == root2 {
            return Ok(());
        }
        return Err(AuditError::InvalidProof);
    }
    // When size1 is a power of two the old root is itself a node of the new tree and the proof
    // leaves it out; the walk starts from it instead.
    let (first, rest) = if size1.is_power_of_two() {
        (root1, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (first, rest),
            None => return Err(AuditError::InvalidProof),
        }
    };
    let mut f = size1 - 1;
    let mut s = size2 - 1;
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let mut fr = *first;
    let mut sr = *first;
    for c in rest {
        if s == 0 {
            return Err(AuditError::InvalidProof);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 || fr != *root1 || sr != *root2 {
        return Err(AuditError::InvalidProof);
    }
    Ok(())
}

/// Where proof generation reads the tree from: the hashes of perfect subtrees.
///
/// Lookups may fail (a store-backed source reads from disk or a database), hence the
/// `Result`. An implementation must return exactly the hash of the perfect subtree of
/// `2^level` leaves starting at leaf `index * 2^level`, or an error; it is never asked for a
/// node whose leaves do not all lie inside the tree size the caller names.
pub trait NodeSource {
    /// The hash of perfect node `(level, index)`; level 0 is the leaf hashes.
    ///
    /// # Errors
    /// [`AuditError::Source`] (or any other variant) when the node cannot be read.
    fn perfect_node(&self, level: u32, index: u64) -> Result<Hash, AuditError>;
}

impl<T: NodeSource + ?Sized> NodeSource for &T {
    fn perfect_node(&self, level: u32, index: u64) -> Result<Hash, AuditError> {
        (**self).perfect_node(level, index)
    }
}

/// The root of the tree of the first `size` leaves in `src` ([`EMPTY_ROOT`] for 0), in at most
/// 64 lookups.
///
/// # Errors
/// Whatever `src` returns for a missing node.
pub fn root<S: NodeSource + ?Sized>(src: &S, size: u64) -> Result<Hash, AuditError> {
    if size == 0 {
        return Ok(EMPTY_ROOT);
    }
    range_hash(src, 0, size)
}

/// The inclusion proof (RFC 9162 §2.1.3.1) of leaf `leaf_index` in the tree of `tree_size`
/// leaves, nearest sibling first, in O(log n) lookups.
///
/// # Errors
/// [`AuditError::InvalidRange`] if `leaf_index >= tree_size`; whatever `src` returns for a
/// missing node.
pub fn inclusion_proof<S: NodeSource + ?Sized>(
    src: &S,
    leaf_index: u64,
    tree_size: u64,
) -> Result<Vec<Hash>, AuditError> {
    if leaf_index >= tree_size {
        return Err(AuditError::InvalidRange(
            "leaf index is not below the tree size",
        ));
    }
    // Walk down from the root, recording the sibling of the subtree that holds the leaf; the
    // proof lists them bottom-up.
    let mut proof = Vec::with_capacity(64);
    let (mut start, mut size) = (0u64, tree_size);
    while size > 1 {
        let k = split_point(size);
        if leaf_index - start < k {
            proof.push(range_hash(src, start + k, size - k)?);
            size = k;
        } else {
            proof.push(src.perfect_node(k.trailing_zeros(), start >> k.trailing_zeros())?);
            start += k;
            size -= k;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// The consistency proof (RFC 9162 §2.1.4.1) from the tree of `size1` leaves to the tree of
/// `size2` leaves, in O(log n) lookups. Empty when the sizes are equal.
///
/// # Errors
/// [`AuditError::InvalidRange`] if `size1 == 0` or `size1 > size2`; whatever `src` returns
/// for a missing node.
pub fn consistency_proof<S: NodeSource + ?Sized>(
    src: &S,
    size1: u64,
    size2: u64,
) -> Result<Vec<Hash>, AuditError> {
    if size1 == 0 {
        return Err(AuditError::InvalidRange(
            "a consistency proof from the empty tree proves nothing",
        ));
    }
    if size1 > size2 {
        return Err(AuditError::InvalidRange(
            "the old tree is larger than the new one",
        ));
    }
    let mut proof = Vec::with_capacity(64);
    // (start, size) is the subtree being split, `old` how many of its leaves the old tree
    // covers, and `whole_old` whether the old tree's root is exactly this subtree's (then the
    // verifier already has it and it is not sent).
    let (mut start, mut size, mut old, mut whole_old) = (0u64, size2, size1, true);
    while old != size {
        let k = split_point(size);
        if old <= k {
            proof.push(range_hash(src, start + k, size - k)?);
            size = k;
        } else {
            proof.push(src.perfect_node(k.trailing_zeros(), start >> k.trailing_zeros())?);
            start += k;
            size -= k;
            old -= k;
            whole_old = false;
        }
    }
    if !whole_old {
        proof.push(range_hash(src, start, size)?);
    }
    proof.reverse();
    Ok(proof)
}

/// The append state of a tree (a compact range over `[0, size)`): one perfect-subtree hash per
/// set bit of `size`, largest subtree first.
///
/// It is all a writer needs to keep in memory to append leaves and compute roots; the nodes
/// [`Frontier::append`] returns are what a store persists to answer proofs later.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    hashes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A frontier from its stored parts.
    ///
    /// # Errors
    /// [`AuditError::InvalidRange`] unless there is exactly one hash per set bit of `size`.
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Result<Self, AuditError> {
        if hashes.len() != size.count_ones() as usize {
            return Err(AuditError::InvalidRange(
                "frontier needs one hash per set bit of the tree size",
            ));
        }
        Ok(Self { size, hashes })
    }

    /// Rebuilds the frontier of the first `size` leaves from a node source (one lookup per set
    /// bit of `size`).
    ///
    /// # Errors
    /// Whatever `src` returns for a missing node.
    pub fn from_source<S: NodeSource + ?Sized>(src: &S, size: u64) -> Result<Self, AuditError> {
        let mut hashes = Vec::with_capacity(size.count_ones() as usize);
        let mut start = 0u64;
        for level in (0..64u32).rev() {
            if size & (1u64 << level) != 0 {
                hashes.push(src.perfect_node(level, start >> level)?);
                start += 1u64 << level;
            }
        }
        Ok(Self { size, hashes })
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The perfect-subtree hashes, largest (leftmost) first.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// The tree's root ([`EMPTY_ROOT`] when empty).
    pub fn root(&self) -> Hash {
        let mut iter = self.hashes.iter().rev();
        let Some(last) = iter.next() else {
            return EMPTY_ROOT;
        };
        iter.fold(*last, |acc, left| node_hash(left, &acc))
    }

    /// Appends a leaf hash and returns every perfect node the append completed, as
    /// `(level, index, hash)`: first the leaf itself at level 0, then each parent up to the
    /// largest new perfect subtree (on average two nodes per append).
    ///
    /// The list is never empty, except when the tree already holds `u64::MAX` leaves (not
    /// reachable in practice): then nothing is appended and the list is empty.
    pub fn append(&mut self, leaf: Hash) -> Vec<(u32, u64, Hash)> {
        let Some(new_size) = self.size.checked_add(1) else {
            return Vec::new();
        };
        let mut created = Vec::with_capacity(2 + self.size.trailing_ones() as usize);
        let (mut level, mut index, mut carry) = (0u32, self.size, leaf);
        created.push((level, index, carry));
        // Each set low bit of the old size is a perfect subtree of that level waiting for a
        // right sibling; the new leaf completes them one by one. There is one hash per set bit
        // (from_parts and from_source check it, append keeps it), so the pop always succeeds;
        // if it did not, the fold would simply stop.
        while self.size & (1u64 << level) != 0 {
            let Some(left) = self.hashes.pop() else {
                break;
            };
            carry = node_hash(&left, &carry);
            level += 1;
            index >>= 1;
            created.push((level, index, carry));
        }
        self.hashes.push(carry);
        self.size = new_size;
        created
    }
}

/// A whole tree in memory, every perfect node kept by level. For tests, benches and small
/// tools; a production log keeps its nodes in a store.
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty tree with room for `leaves` leaves and their interior nodes.
    pub fn with_capacity(leaves: usize) -> Self {
        let mut levels = Vec::new();
        let mut n = leaves;
        while n > 0 {
            levels.push(Vec::with_capacity(n));
            n /= 2;
        }
        Self { levels }
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends a leaf by its data and returns its index.
    pub fn append_data(&mut self, data: &[u8]) -> u64 {
        self.append_hash(leaf_hash(data))
    }

    /// Appends a leaf by its leaf hash and returns its index.
    pub fn append_hash(&mut self, leaf: Hash) -> u64 {
        let index = self.size();
        let mut level = 0usize;
        let mut carry = leaf;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let nodes = &mut self.levels[level];
            nodes.push(carry);
            let n = nodes.len();
            if n % 2 == 1 {
                break;
            }
            carry = node_hash(&nodes[n - 2], &nodes[n - 1]);
            level += 1;
        }
        index
    }
}

impl NodeSource for MemoryTree {
    fn perfect_node(&self, level: u32, index: u64) -> Result<Hash, AuditError> {
        usize::try_from(level)
            .ok()
            .and_then(|l| self.levels.get(l))
            .zip(usize::try_from(index).ok())
            .and_then(|(nodes, i)| nodes.get(i))
            .copied()
            .ok_or_else(|| AuditError::Source(format!("no node at level {level} index {index}")))
    }
}

/// The largest power of two strictly below `size` (RFC 6962's `k`); `size` must be at least 2.
fn split_point(size: u64) -> u64 {
    1u64 << (63 - (size - 1).leading_zeros())
}

/// The Merkle hash of the `size` leaves starting at `start`.
///
/// Only called on subtrees of the RFC 6962 recursion, where `start` is a multiple of the
/// smallest power of two that is at least `size`. The subtree is then the perfect subtrees
/// named by the set bits of `size`, largest first, each aligned to its own size.
fn range_hash<S: NodeSource + ?Sized>(src: &S, start: u64, size: u64) -> Result<Hash, AuditError> {
    let mut parts = [EMPTY_ROOT; 64];
    let mut count = 0usize;
    let mut pos = start;
    for level in (0..64u32).rev() {
        if size & (1u64 << level) != 0 {
            parts[count] = src.perfect_node(level, pos >> level)?;
            count += 1;
            pos += 1u64 << level;
        }
    }
    let Some((last, rest)) = parts[..count].split_last() else {
        return Err(AuditError::InvalidRange("empty subtree"));
    };
    Ok(rest
        .iter()
        .rev()
        .fold(*last, |acc, left| node_hash(left, &acc)))
}

fn to_hash(digest: &[u8]) -> Hash {
    let mut out = [0u8; 32];
    // SHA-256 output is always 32 bytes, so the lengths match and this cannot panic.
    out.copy_from_slice(digest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cell::Cell;

    /// RFC 6962 §2.1's MTH, written as the recursion reads.
    fn naive_mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => EMPTY_ROOT,
            1 => leaves[0],
            n => {
                let k = split_point(n as u64) as usize;
                node_hash(&naive_mth(&leaves[..k]), &naive_mth(&leaves[k..]))
            }
        }
    }

    /// RFC 6962 §2.1.1's PATH, as the recursion reads.
    fn naive_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
        let n = leaves.len();
        if n <= 1 {
            return Vec::new();
        }
        let k = split_point(n as u64) as usize;
        if m < k {
            let mut p = naive_path(m, &leaves[..k]);
            p.push(naive_mth(&leaves[k..]));
            p
        } else {
            let mut p = naive_path(m - k, &leaves[k..]);
            p.push(naive_mth(&leaves[..k]));
            p
        }
    }

    /// RFC 6962 §2.1.2's SUBPROOF, as the recursion reads.
    fn naive_subproof(m: usize, leaves: &[Hash], whole: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if whole {
                Vec::new()
            } else {
                vec![naive_mth(leaves)]
            };
        }
        let k = split_point(n as u64) as usize;
        if m <= k {
            let mut p = naive_subproof(m, &leaves[..k], whole);
            p.push(naive_mth(&leaves[k..]));
            p
        } else {
            let mut p = naive_subproof(m - k, &leaves[k..], false);
            p.push(naive_mth(&leaves[..k]));
            p
        }
    }

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    fn tree_of(leaves: &[Hash]) -> MemoryTree {
        let mut t = MemoryTree::new();
        for l in leaves {
            t.append_hash(*l);
        }
        t
    }

    /// Counts lookups, to hold the O(log n) promise.
    struct Counting<'a> {
        inner: &'a MemoryTree,
        lookups: Cell<u64>,
    }

    impl NodeSource for Counting<'_> {
        fn perfect_node(&self, level: u32, index: u64) -> Result<Hash, AuditError> {
            self.lookups.set(self.lookups.get() + 1);
            self.inner.perfect_node(level, index)
        }
    }

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(
            EMPTY_ROOT.as_slice(),
            digest::digest(&digest::SHA256, b"").as_ref()
        );
        assert_eq!(Frontier::new().root(), EMPTY_ROOT);
        assert_eq!(root(&MemoryTree::new(), 0), Ok(EMPTY_ROOT));
    }

    #[test]
    fn domain_separation() {
        let l = leaf_hash(b"");
        assert_eq!(
            l.as_slice(),
            digest::digest(&digest::SHA256, &[0u8]).as_ref()
        );
        let mut buf = vec![1u8];
        buf.extend_from_slice(&l);
        buf.extend_from_slice(&l);
        assert_eq!(
            node_hash(&l, &l).as_slice(),
            digest::digest(&digest::SHA256, &buf).as_ref()
        );
    }

    #[test]
    fn every_proof_up_to_64_leaves() {
        let all = leaves(64);
        let tree = tree_of(&all);
        for n in 1..=64usize {
            let ls = &all[..n];
            let r = naive_mth(ls);
            assert_eq!(root(&tree, n as u64), Ok(r), "root {n}");
            for m in 0..n {
                let p = inclusion_proof(&tree, m as u64, n as u64).unwrap();
                assert_eq!(p, naive_path(m, ls), "path {m} {n}");
                verify_inclusion(m as u64, n as u64, &ls[m], &p, &r).unwrap();
            }
            for m in 1..=n {
                let p = consistency_proof(&tree, m as u64, n as u64).unwrap();
                assert_eq!(p, naive_subproof(m, ls, true), "subproof {m} {n}");
                verify_consistency(m as u64, n as u64, &p, &naive_mth(&ls[..m]), &r).unwrap();
            }
        }
    }

    #[test]
    fn bad_arguments() {
        let tree = tree_of(&leaves(8));
        assert!(matches!(
            inclusion_proof(&tree, 8, 8),
            Err(AuditError::InvalidRange(_))
        ));
        assert!(matches!(
            inclusion_proof(&tree, 0, 0),
            Err(AuditError::InvalidRange(_))
        ));
        assert!(matches!(
            consistency_proof(&tree, 0, 0),
            Err(AuditError::InvalidRange(_))
        ));
        assert!(matches!(
            consistency_proof(&tree, 0, 5),
            Err(AuditError::InvalidRange(_))
        ));
        assert!(matches!(
            consistency_proof(&tree, 6, 5),
            Err(AuditError::InvalidRange(_))
        ));
        assert_eq!(consistency_proof(&tree, 5, 5), Ok(vec![]));
        // Past what the source holds: an error, not a panic.
        assert!(matches!(root(&tree, 9), Err(AuditError::Source(_))));
        assert!(matches!(
            inclusion_proof(&tree, 3, 1 << 40),
            Err(AuditError::Source(_))
        ));
        let r = EMPTY_ROOT;
        assert_eq!(
            verify_consistency(0, 0, &[], &r, &r),
            Err(AuditError::InvalidProof)
        );
        assert_eq!(
            verify_consistency(0, 3, &[r], &r, &r),
            Err(AuditError::InvalidProof)
        );
        assert_eq!(
            verify_inclusion(0, 0, &r, &[], &r),
            Err(AuditError::InvalidProof)
        );
        assert_eq!(
            verify_inclusion(u64::MAX, u64::MAX, &r, &[], &r),
            Err(AuditError::InvalidProof)
        );
        assert_eq!(verify_consistency(3, 3, &[], &r, &r), Ok(()));
        assert_eq!(
            verify_consistency(3, 3, &[r], &r, &r),
            Err(AuditError::InvalidProof)
        );
    }

    #[test]
    fn huge_sizes_do_not_panic() {
        let r = EMPTY_ROOT;
        let proof = vec![r; 70];
        for (a, b) in [
            (u64::MAX, u64::MAX),
            (u64::MAX - 1, u64::MAX),
            (1, u64::MAX),
            (1 << 63, u64::MAX),
        ] {
            let _ = verify_consistency(a, b, &proof, &r, &r);
            let _ = verify_inclusion(a, b, &r, &proof, &r);
            let _ = verify_inclusion(a - 1, b, &r, &proof, &r);
        }
        let mut f = Frontier::from_parts(u64::MAX, vec![r; 64]).unwrap();
        assert!(f.append(r).is_empty());
        assert_eq!(f.size(), u64::MAX);
        assert_eq!(f.hashes().len(), 64);
        assert!(Frontier::from_parts(3, vec![r]).is_err());
    }

    #[test]
    fn lookups_are_logarithmic() {
        let tree = tree_of(&leaves(1000));
        let src = Counting {
            inner: &tree,
            lookups: Cell::new(0),
        };
        for n in [1u64, 2, 3, 511, 512, 513, 999, 1000] {
            for m in [0, n / 3, n / 2, n - 1] {
                src.lookups.set(0);
                inclusion_proof(&src, m, n).unwrap();
                assert!(
                    src.lookups.get() <= 2 * 10,
                    "inclusion {m}/{n}: {}",
                    src.lookups.get()
                );
                src.lookups.set(0);
                consistency_proof(&src, m.max(1), n).unwrap();
                assert!(
                    src.lookups.get() <= 2 * 10 + 1,
                    "consistency {m}/{n}: {}",
                    src.lookups.get()
                );
            }
        }
    }

    #[test]
    fn frontier_append_reports_the_nodes_the_tree_holds() {
        let all = leaves(300);
        let tree = tree_of(&all);
        let mut f = Frontier::new();
        let mut total = 0usize;
        for (i, l) in all.iter().enumerate() {
            let created = f.append(*l);
            assert_eq!(created[0], (0, i as u64, *l));
            for (level, index, hash) in &created {
                assert_eq!(tree.perfect_node(*level, *index).as_ref(), Ok(hash));
            }
            total += created.len();
            assert_eq!(f.hashes().len(), f.size().count_ones() as usize);
        }
        // Every perfect node of a 300-leaf tree, each reported once.
        let perfect: u64 = (0..9).map(|lvl| 300u64 >> lvl).sum();
        assert_eq!(total as u64, perfect);
        assert_eq!(Frontier::from_source(&tree, 300).unwrap(), f);
        assert_eq!(Frontier::from_parts(300, f.hashes().to_vec()).unwrap(), f);
    }

    proptest! {
        #[test]
        fn proofs_verify_for_random_sizes(n in 1u64..600, a in any::<u64>(), b in any::<u64>()) {
            let all = leaves(n);
            let tree = tree_of(&all);
            let mut f = Frontier::new();
            for l in &all {
                f.append(*l);
            }
            let r = naive_mth(&all);
            prop_assert_eq!(root(&tree, n), Ok(r));
            prop_assert_eq!(f.root(), r);
            prop_assert_eq!(Frontier::from_source(&tree, n).unwrap().root(), r);

            let m = a % n;
            let p = inclusion_proof(&tree, m, n).unwrap();
            prop_assert_eq!(verify_inclusion(m, n, &all[m as usize], &p, &r), Ok(()));
            // Another leaf, index or size does not verify.
            let other = all[((m + 1) % n) as usize];
            if n > 1 {
                prop_assert!(verify_inclusion(m, n, &other, &p, &r).is_err());
                prop_assert!(verify_inclusion((m + 1) % n, n, &all[m as usize], &p, &r).is_err());
            }
            // (Another tree size can verify the same path: the size is bound by the signed
            // checkpoint, not by the proof.) A changed or missing proof element never does.
            if !p.is_empty() {
                let mut bad = p.clone();
                bad[(b as usize) % p.len()][(a as usize) % 32] ^= 0x80;
                prop_assert!(verify_inclusion(m, n, &all[m as usize], &bad, &r).is_err());
                prop_assert!(verify_inclusion(m, n, &all[m as usize], &p[1..], &r).is_err());
            }

            let old = 1 + b % n;
            let old_root = root(&tree, old).unwrap();
            let c = consistency_proof(&tree, old, n).unwrap();
            prop_assert_eq!(verify_consistency(old, n, &c, &old_root, &r), Ok(()));
            if !c.is_empty() {
                let mut bad = c.clone();
                let i = (a as usize) % bad.len();
                bad[i][(b as usize) % 32] ^= 1;
                prop_assert!(verify_consistency(old, n, &bad, &old_root, &r).is_err());
                prop_assert!(verify_consistency(old, n, &c[..c.len() - 1], &old_root, &r).is_err());
            }
        }
    }
}
