//! Merkle proof costs at audit-log scale: a 10,000,000-leaf in-memory tree, built once, then
//! inclusion and consistency proofs generated and verified against it, and the frontier's
//! append rate.
//!
//! The tree lives in memory (about 640 MB), so these numbers are the hashing and lookup cost
//! alone; a store-backed `NodeSource` adds its own lookup latency times the O(log n) lookups.

use std::hint::black_box;
use std::time::Instant;

use callvault_audit::merkle::{
    consistency_proof, inclusion_proof, leaf_hash, root, verify_consistency, verify_inclusion,
    Frontier, Hash, MemoryTree,
};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

const LEAVES: u64 = 10_000_000;

/// A fixed pseudo-random walk over leaf indices, so each iteration asks for another proof.
fn next_index(state: &mut u64, below: u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*state >> 11) % below
}

fn build() -> (MemoryTree, Vec<Hash>) {
    let started = Instant::now();
    let mut tree = MemoryTree::with_capacity(LEAVES as usize);
    for i in 0..LEAVES {
        tree.append_data(&i.to_be_bytes());
    }
    // Roots of every size the consistency bench may ask about would be too many; keep a few.
    let roots = (0..=16)
        .map(|k| root(&tree, (LEAVES >> k).max(1)).unwrap_or_default())
        .collect();
    eprintln!("built a {LEAVES}-leaf tree in {:.1?}", started.elapsed());
    (tree, roots)
}

fn proofs(c: &mut Criterion) {
    let (tree, roots) = build();
    let tree_root = roots[0];
    let mut group = c.benchmark_group("merkle_10m");

    let mut state = 1u64;
    group.bench_function("inclusion_proof", |b| {
        b.iter(|| {
            let i = next_index(&mut state, LEAVES);
            black_box(inclusion_proof(&tree, i, LEAVES).unwrap_or_default())
        })
    });

    let mut state = 2u64;
    group.bench_function("inclusion_proof+verify", |b| {
        b.iter(|| {
            let i = next_index(&mut state, LEAVES);
            let proof = inclusion_proof(&tree, i, LEAVES).unwrap_or_default();
            let leaf = leaf_hash(&i.to_be_bytes());
            black_box(verify_inclusion(i, LEAVES, &leaf, &proof, &tree_root)).ok()
        })
    });

    let mut state = 3u64;
    group.bench_function("verify_inclusion", |b| {
        b.iter_batched(
            || {
                let i = next_index(&mut state, LEAVES);
                let proof = inclusion_proof(&tree, i, LEAVES).unwrap_or_default();
                (i, leaf_hash(&i.to_be_bytes()), proof)
            },
            |(i, leaf, proof)| black_box(verify_inclusion(i, LEAVES, &leaf, &proof, &tree_root)),
            BatchSize::SmallInput,
        )
    });

    // Old sizes from the precomputed set: LEAVES >> k for k in 1..=16 (none a power of two).
    let mut state = 4u64;
    group.bench_function("consistency_proof", |b| {
        b.iter(|| {
            let k = 1 + next_index(&mut state, 16) as usize;
            black_box(consistency_proof(&tree, LEAVES >> k, LEAVES).unwrap_or_default())
        })
    });

    let mut state = 5u64;
    group.bench_function("consistency_proof+verify", |b| {
        b.iter(|| {
            let k = 1 + next_index(&mut state, 16) as usize;
            let old = LEAVES >> k;
            let proof = consistency_proof(&tree, old, LEAVES).unwrap_or_default();
            black_box(verify_consistency(
                old, LEAVES, &proof, &roots[k], &tree_root,
            ))
            .ok()
        })
    });

    let mut state = 6u64;
    group.bench_function("verify_consistency", |b| {
        b.iter_batched(
            || {
                let k = 1 + next_index(&mut state, 16) as usize;
                let proof = consistency_proof(&tree, LEAVES >> k, LEAVES).unwrap_or_default();
                (k, proof)
            },
            |(k, proof)| {
                black_box(verify_consistency(
                    LEAVES >> k,
                    LEAVES,
                    &proof,
                    &roots[k],
                    &tree_root,
                ))
            },
            BatchSize::SmallInput,
        )
    });

    group.bench_function("root", |b| {
        b.iter(|| black_box(root(&tree, black_box(LEAVES))))
    });
    group.finish();
    drop(tree);

    let mut group = c.benchmark_group("frontier");
    group.throughput(Throughput::Elements(1));
    let leaf = leaf_hash(b"an audit entry");
    let mut frontier = Frontier::new();
    group.bench_function("append", |b| {
        b.iter(|| black_box(frontier.append(black_box(leaf))))
    });
    group.bench_function("leaf_hash+append", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            black_box(frontier.append(leaf_hash(&i.to_be_bytes())))
        })
    });
    group.finish();
    // Not a rate: the cost of one root over the frontier the appends above left behind.
    eprintln!(
        "frontier after the append benches: {} leaves, {} hashes",
        frontier.size(),
        frontier.hashes().len()
    );
    c.bench_function("frontier/root", |b| b.iter(|| black_box(frontier.root())));
}

criterion_group!(benches, proofs);
criterion_main!(benches);
