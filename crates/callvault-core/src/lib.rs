//! callvault's application: ingest, read, search and erase, over the detector, the vault and the
//! store. No sockets (that is `callvault-server`), no SQL (that is `callvault-store`), no crypto
//! of its own (that is `callvault-vault`).
//!
//! A turn goes: [`Core::ingest`] → conversation state (cached, one async lock per conversation)
//! → [`ingest::process_turn`] (detect with context, tokenize or mask, blind-index, seal) →
//! [`writer::GroupCommit`] (one transaction for many turns) → the caller hears back only once the
//! turn is durable.

#![forbid(unsafe_code)]

pub mod app;
pub mod auth;
pub mod error;
pub mod ingest;
pub mod writer;

pub use app::{
    ConversationView, Core, CoreConfig, ErasureReceipt, Provisioned, SearchHit, TurnView,
};
pub use error::CoreError;
pub use ingest::{FindingOut, PartialOut, Speaker, TurnInput, TurnOut};
