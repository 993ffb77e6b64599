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

pub mod audit;
pub mod error;
pub mod migrations;
pub mod model;
pub mod postgres;
pub mod sqlite;

pub use audit::{AuditQuery, StoredEntry};
pub use error::StoreError;
pub use model::{
    token_public_id, AlertRow, ApprovalRow, ConversationRow, ErasureCounts, PersonRow, Principal,
    PrincipalKind, PrincipalSummary, SessionRow, TokenRow, TurnRow, TurnWrite,
};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use callvault_audit::{AuditRecord, Hash};
use callvault_vault::KeyTable;

/// A live service token's scopes (comma separated; `None`: the whole role) and expiry.
pub type LiveToken = (Option<String>, Option<i64>);

/// Everything the application stores. Implementations make each call one transaction.
///
/// Every call that changes data takes the audit record(s) describing the change and appends
/// them to the audit log in the same transaction: the entry exists exactly when the change
/// does. Appends are serialized (SQLite's one writer; PostgreSQL's head row `FOR UPDATE`).
pub trait Store: KeyTable + Send + Sync {
    /// Creates a tenant row; `Ok(false)` if it exists (and nothing is appended).
    fn create_tenant(
        &self,
        tenant: &str,
        name: &str,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError>;
    /// Stores a service principal and its token hash (SHA-256 of the token).
    fn create_service_token(
        &self,
        principal: &Principal,
        token_hash: &[u8; 32],
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// The principal a token hash belongs to, if the token is neither revoked nor expired.
    fn principal_by_token(
        &self,
        token_hash: &[u8; 32],
        now_ms: i64,
    ) -> Result<Option<Principal>, StoreError>;
    /// Revokes every live token of a principal; returns how many.
    fn revoke_principal_tokens(
        &self,
        tenant: &str,
        principal: &str,
        now_ms: i64,
        audit: &AuditRecord,
    ) -> Result<u64, StoreError>;
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
    /// The last `n` turns of a conversation, oldest first (to rebuild the detector's context
    /// after a reload).
    fn last_turns(
        &self,
        tenant: &str,
        conversation: &str,
        n: usize,
    ) -> Result<Vec<TurnRow>, StoreError>;
    /// Tokens by id in a tenant, each with its conversation's customer reference (for reveal);
    /// unknown ids are left out.
    fn tokens_by_id(
        &self,
        tenant: &str,
        ids: &[String],
    ) -> Result<Vec<(TokenRow, String)>, StoreError>;
    /// The tokens of a conversation (to resume labelling after a restart).
    fn tokens(&self, tenant: &str, conversation: &str) -> Result<Vec<TokenRow>, StoreError>;
    /// Writes new conversations, turns with their new tokens, tokens seen outside a turn (the
    /// privacy proxy), and audit records, all in one
    /// transaction (group commit): either all of the batch is durable when this returns `Ok`, or
    /// none of it is. Returns the sequence number of the first audit record (the log's size
    /// before the batch). A conversation id that exists already fails the batch.
    fn commit(
        &self,
        conversations: &[ConversationRow],
        turns: &[TurnWrite],
        tokens: &[TokenRow],
        audit: &[AuditRecord],
    ) -> Result<u64, StoreError>;
    /// [`Store::commit`] without waiting for the batch to reach the disk: it is visible when
    /// this returns and durable once a later [`Store::sync`] has returned. The group-commit
    /// writer uses it to prepare the next batch while the previous one is being flushed. A
    /// store whose commits are durable on return implements it as `commit` (the default).
    fn commit_unsynced(
        &self,
        conversations: &[ConversationRow],
        turns: &[TurnWrite],
        tokens: &[TokenRow],
        audit: &[AuditRecord],
    ) -> Result<u64, StoreError> {
        self.commit(conversations, turns, tokens, audit)
    }
    /// Makes every commit that returned before this call durable.
    fn sync(&self) -> Result<(), StoreError> {
        Ok(())
    }
    /// Conversations in which a value with this blind index was said: (conversation, label, token id).
    fn search(
        &self,
        tenant: &str,
        blind_index: &[u8; 32],
        limit: usize,
    ) -> Result<Vec<(String, String, String)>, StoreError>;
    /// Sets (or, with `None`, removes) the tenant's retention period in days.
    fn set_retention(
        &self,
        tenant: &str,
        days: Option<u32>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Every tenant's retention period.
    fn retention_policies(&self) -> Result<Vec<(String, u32)>, StoreError>;
    /// Puts a conversation on legal hold or releases it; `Ok(false)` if it does not exist.
    fn set_legal_hold(
        &self,
        tenant: &str,
        conversation: &str,
        hold: bool,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError>;
    /// Deletes up to `limit` conversations of the tenant created before `before_ms` and not on
    /// legal hold, with their turns and tokens, in one transaction. When any are deleted,
    /// `audit` is appended with the purged conversations added to its resources.
    fn purge(
        &self,
        tenant: &str,
        before_ms: i64,
        limit: usize,
        audit: &AuditRecord,
    ) -> Result<ErasureCounts, StoreError>;
    /// Removes what links an erased customer to values: blind indexes and sealed token values of
    /// their conversations (the sealed originals are unreadable once the vault shreds the key).
    /// Their conversations are marked erased at `audit.time_ms` (they take no new turn).
    /// `audit` is appended with the customer's conversations added to its resources.
    fn erase_customer(
        &self,
        tenant: &str,
        customer_ref: &str,
        audit: &AuditRecord,
    ) -> Result<ErasureCounts, StoreError>;

    /// Creates a person with their recovery code hashes; `Ok(false)` if the id is taken.
    fn create_person(
        &self,
        person: &PersonRow,
        recovery_hashes: &[[u8; 32]],
        audit: &AuditRecord,
    ) -> Result<bool, StoreError>;
    /// A person by username (disabled ones too: the caller decides).
    fn person(&self, tenant: &str, username: &str) -> Result<Option<PersonRow>, StoreError>;
    /// Counts a failed login; at `lock_after` consecutive failures, locks the account until
    /// `lock_until`. Returns the count. `audit` is appended in the same transaction.
    fn login_failed(
        &self,
        tenant: &str,
        username: &str,
        lock_after: u32,
        lock_until: i64,
        audit: &AuditRecord,
    ) -> Result<u32, StoreError>;
    /// Completes a login: accepts the TOTP step only if it is later than the last accepted one
    /// (or uses up a recovery code), clears the failure count, and creates the session, with
    /// `audit`, atomically. `Ok(false)`: the code was replayed or the recovery code used.
    fn login_succeeded(
        &self,
        session: &SessionRow,
        totp_step: Option<i64>,
        recovery_hash: Option<&[u8; 32]>,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError>;
    /// A live session and its person (not revoked, not expired, not idle past its timeout, the
    /// person not disabled); marks it seen when `touch` is set.
    fn session(
        &self,
        token_hash: &[u8; 32],
        now_ms: i64,
    ) -> Result<Option<(Principal, SessionRow)>, StoreError>;
    /// Records activity on a session (extends its idle timeout).
    fn touch_session(&self, token_hash: &[u8; 32], now_ms: i64) -> Result<(), StoreError>;
    /// Ends a session; `Ok(false)` if it was not live.
    fn revoke_session(
        &self,
        token_hash: &[u8; 32],
        now_ms: i64,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError>;
    /// Break-glass: elevates a live session until `until`.
    fn elevate_session(
        &self,
        token_hash: &[u8; 32],
        until: i64,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError>;
    /// Principals of a tenant, by id.
    fn principals(&self, tenant: &str) -> Result<Vec<PrincipalSummary>, StoreError>;
    /// Disables a principal and revokes its tokens and sessions; `Ok(false)` if unknown.
    fn disable_principal(
        &self,
        tenant: &str,
        id: &str,
        now_ms: i64,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError>;
    /// Sets the expiry of a principal's live tokens other than `keep` to at most `at` (token
    /// rotation: the old ones keep working until then).
    fn expire_other_tokens(
        &self,
        tenant: &str,
        principal: &str,
        keep: &[u8; 32],
        at: i64,
    ) -> Result<u64, StoreError>;
    /// The scopes (comma separated) and expiry of a principal's live service tokens.
    fn live_tokens(
        &self,
        tenant: &str,
        principal: &str,
        now_ms: i64,
    ) -> Result<Vec<LiveToken>, StoreError>;
    /// Raises an alert.
    fn create_alert(&self, alert: &AlertRow, audit: &AuditRecord) -> Result<(), StoreError>;
    /// A tenant's latest alerts.
    fn alerts(&self, tenant: &str, limit: usize) -> Result<Vec<AlertRow>, StoreError>;
    /// Records a request for approval.
    fn create_approval(&self, row: &ApprovalRow, audit: &AuditRecord) -> Result<(), StoreError>;
    fn approval(&self, tenant: &str, id: &str) -> Result<Option<ApprovalRow>, StoreError>;
    /// Approves a pending, unexpired request by someone other than its requester.
    fn approve(
        &self,
        tenant: &str,
        id: &str,
        approver: &str,
        now_ms: i64,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError>;
    /// Uses an approved, unexpired, unused request once.
    fn consume_approval(
        &self,
        tenant: &str,
        id: &str,
        requester: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError>;

    /// The audit log's append state: its size and the hashes of its complete subtrees.
    fn audit_head(&self) -> Result<callvault_audit::Frontier, StoreError>;
    /// The hash of the complete subtree of 2^`level` leaves at `index` (level 0: a leaf hash).
    fn audit_node(&self, level: u32, index: u64) -> Result<Option<Hash>, StoreError>;
    /// Entries from `from_seq` on, in order, at most `limit`.
    fn audit_entries(&self, from_seq: u64, limit: usize) -> Result<Vec<StoredEntry>, StoreError>;
    /// Entries matching a query, in order.
    fn audit_query(&self, query: &AuditQuery) -> Result<Vec<StoredEntry>, StoreError>;
    /// Keeps a signed checkpoint (ignored if one of that size exists).
    fn save_checkpoint(&self, size: u64, note: &str, now_ms: i64) -> Result<(), StoreError>;
    /// Signed checkpoints of sizes above `after_size`, in order, at most `limit`.
    fn checkpoints(&self, after_size: u64, limit: usize) -> Result<Vec<(u64, String)>, StoreError>;
    /// The latest signed checkpoint.
    fn latest_checkpoint(&self) -> Result<Option<(u64, String)>, StoreError>;
    /// A deployment-wide value (the audit signing key, sealed by the root key).
    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Sets a deployment-wide value unless it is set; `Ok(false)` if it was.
    fn put_meta_if_absent(&self, key: &str, value: &[u8]) -> Result<bool, StoreError>;
}
