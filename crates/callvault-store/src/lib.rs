//! callvault's storage: what is kept, behind one [`Store`] trait.
//!
//! The store keeps only what is safe to lose: redacted transcripts, findings without values,
//! originals sealed by the vault, blind indexes, token rows (label, id, sealed value), hashed
//! service tokens, and the vault's wrapped keys (the store implements
//! [`callvault_vault::KeyTable`]). It makes no crypto decisions and never sees a plaintext value.
//! Every key starts with the tenant id, so the schema shards by tenant. The trait is synchronous:
//! the server calls it from blocking threads and batches writes (group commit) itself.
//!
//! [`SqliteStore`] is the embedded default (bundled SQLite, WAL, `synchronous=FULL`,
//! `secure_delete`); [`PostgresStore`] is the store for scale. Migrations are versioned and
//! applied at open; one test suite runs against both.

#![forbid(unsafe_code)]

pub mod error;
pub mod migrations;
pub mod model;
pub mod postgres;
pub mod sqlite;

pub use error::StoreError;
pub use model::{ConversationRow, ErasureCounts, Principal, TokenRow, TurnRow, TurnWrite};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use callvault_vault::KeyTable;

/// Everything the application stores. Implementations make each call one transaction.
pub trait Store: KeyTable + Send + Sync {
    /// Creates a tenant row; `Ok(false)` if it exists.
    fn create_tenant(&self, tenant: &str, name: &str) -> Result<bool, StoreError>;
    /// Stores a service principal and its token hash (SHA-256 of the token).
    fn create_service_token(
        &self,
        principal: &Principal,
        token_hash: &[u8; 32],
    ) -> Result<(), StoreError>;
    /// The principal a token hash belongs to, if the token is neither revoked nor expired.
    fn principal_by_token(
        &self,
        token_hash: &[u8; 32],
        now_ms: i64,
    ) -> Result<Option<Principal>, StoreError>;
    /// Revokes a token by hash; `Ok(false)` if unknown.
    fn revoke_token(&self, token_hash: &[u8; 32], now_ms: i64) -> Result<bool, StoreError>;
    /// Revokes every live token of a principal; returns how many.
    fn revoke_principal_tokens(
        &self,
        tenant: &str,
        principal: &str,
        now_ms: i64,
    ) -> Result<u64, StoreError>;

    /// Creates a conversation; `Ok(false)` if the id exists in the tenant.
    fn create_conversation(&self, row: &ConversationRow) -> Result<bool, StoreError>;
    fn conversation(&self, tenant: &str, id: &str) -> Result<Option<ConversationRow>, StoreError>;
    /// Conversations of a tenant ordered by id, after `after`, at most `limit`.
    fn list_conversations(
        &self,
        tenant: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ConversationRow>, StoreError>;
    /// The turns of a conversation, in order.
    fn turns(&self, tenant: &str, conversation: &str) -> Result<Vec<TurnRow>, StoreError>;
    /// The tokens of a conversation (to resume labelling after a restart).
    fn tokens(&self, tenant: &str, conversation: &str) -> Result<Vec<TokenRow>, StoreError>;
    /// Appends turns and their new tokens, all in one transaction (group commit): either all of
    /// the batch is durable when this returns `Ok`, or none of it is.
    fn append_turns(&self, batch: &[TurnWrite]) -> Result<(), StoreError>;
    /// Conversations in which a value with this blind index was said: (conversation, label, token id).
    fn search(
        &self,
        tenant: &str,
        blind_index: &[u8; 32],
        limit: usize,
    ) -> Result<Vec<(String, String, String)>, StoreError>;
    /// Sets (or, with `None`, removes) the tenant's retention period in days.
    fn set_retention(&self, tenant: &str, days: Option<u32>) -> Result<(), StoreError>;
    /// Every tenant's retention period.
    fn retention_policies(&self) -> Result<Vec<(String, u32)>, StoreError>;
    /// Puts a conversation on legal hold or releases it; `Ok(false)` if it does not exist.
    fn set_legal_hold(
        &self,
        tenant: &str,
        conversation: &str,
        hold: bool,
    ) -> Result<bool, StoreError>;
    /// Deletes up to `limit` conversations of the tenant created before `before_ms` and not on
    /// legal hold, with their turns and tokens, in one transaction.
    fn purge(
        &self,
        tenant: &str,
        before_ms: i64,
        limit: usize,
    ) -> Result<ErasureCounts, StoreError>;
    /// Removes what links an erased customer to values: blind indexes and sealed token values of
    /// their conversations (the sealed originals are unreadable once the vault shreds the key).
    fn erase_customer(&self, tenant: &str, customer_ref: &str)
        -> Result<ErasureCounts, StoreError>;
}
