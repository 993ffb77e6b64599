//! callvault's audit log primitives: a Merkle tree whose proofs anyone can check, and signed
//! checkpoints that commit the log to its tree.
//!
//! ```text
//! audit entry bytes ──leaf_hash──▶ Frontier::append ──▶ new perfect nodes ──▶ (store persists)
//!                                        │                                        │
//!                                        ▼                                        ▼
//!                                  Frontier::root ──▶ Checkpoint ──sign──▶ signed note
//!                                                                                 │
//! auditor: note::open / Checkpoint::open_signed ◀─────────────────────────────────┘
//!          + inclusion_proof / consistency_proof (over a NodeSource) ─▶ verify_inclusion /
//!            verify_consistency
//! ```
//!
//! - [`merkle`]: RFC 6962 hashing, RFC 9162 verification, proof generation over any
//!   [`merkle::NodeSource`] (a store, or the in-memory [`merkle::MemoryTree`]), and the
//!   [`merkle::Frontier`] a writer keeps to append in O(1) amortized hashing.
//! - [`note`]: C2SP signed notes with Ed25519 ([`note::NoteSigner`], [`note::NoteVerifier`],
//!   [`note::open`]).
//! - [`checkpoint`]: C2SP tlog-checkpoint bodies, signed and opened as notes.
//!
//! - [`entry`]: what an entry says ([`entry::AuditRecord`]) and its canonical leaf bytes.
//! - [`mod@grant`]: [`grant::AuditedGrant`], the proof a durable entry exists, without which the
//!   vault opens nothing.
//!
//! All failures are one [`AuditError`]. The crate does no I/O, keeps no state beyond what the
//! caller holds, and never prints or logs key material.

#![forbid(unsafe_code)]
#![warn(missing_docs, clippy::print_stdout)]

pub mod checkpoint;
pub mod entry;
mod error;
pub mod grant;
pub mod merkle;
pub mod note;

pub use checkpoint::Checkpoint;
pub use entry::{Action, AuditEntry, AuditRecord, Outcome, Resources};
pub use error::AuditError;
pub use grant::{grant, AuditedGrant, DurableLog};
pub use merkle::{
    consistency_proof, inclusion_proof, leaf_hash, node_hash, root, verify_consistency,
    verify_inclusion, Frontier, Hash, MemoryTree, NodeSource, EMPTY_ROOT,
};
pub use note::{Note, NoteSigner, NoteVerifier, Signature};
