//! callvault's application: ingest, read, search and erase, over the detector, the vault and the
//! store. No sockets (that is `callvault-server`), no SQL (that is `callvault-store`), no crypto
//! of its own (that is `callvault-vault`).
//!
//! A turn goes: [`Core::ingest`] → conversation state (cached, one async lock per conversation)
//! → [`ingest::process_turn`] (detect with context, tokenize or mask, blind-index, seal) →
//! [`writer::GroupCommit`] (one transaction for many turns) → the caller hears back only once the
//! turn is durable, and its audit entry with it.
//!
//! Every operation appends an audit record ([`callvault_audit::AuditRecord`]): changes in the
//! same store transaction as the change, reads through the group commit before the data is
//! returned. [`audit::AuditLog`] signs and exports checkpoints and serves proofs;
//! [`verify::verify_log`] checks a whole log offline; [`reveal`] opens values only with the
//! grant a durable entry returns.

#![forbid(unsafe_code)]

pub mod access;
pub mod app;
pub mod approvals;
pub mod audit;
pub mod auth;
pub mod error;
pub mod export;
pub mod ingest;
pub mod people;
pub mod principals;
pub mod proxy;
pub mod reveal;
pub mod verify;
pub mod writer;

pub use app::{
    ConversationView, Core, CoreConfig, ErasureReceipt, Provisioned, SearchHit, TurnView,
};
pub use audit::{AuditConfig, AuditLog};
pub use error::CoreError;
pub use ingest::{FindingOut, PartialOut, Speaker, TurnInput, TurnOut};
pub use reveal::{Purpose, RevealRequest, RevealResponse};
