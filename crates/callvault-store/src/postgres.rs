//! The store for scale: PostgreSQL, through the synchronous `postgres` client from blocking
//! threads. A small pool of connections; each trait call is one statement or one transaction.
//! The schema is the SQLite one in PostgreSQL's types, tenant first in every key, so it shards
//! by tenant (Citus or a PostgreSQL-compatible distributed engine) without redesign. Erased
//! rows are overwritten in place; the operator's `VACUUM` policy decides when old tuple
//! versions leave the heap (SECURITY.md).

use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use callvault_audit::{AuditRecord, Frontier, Hash};
use callvault_vault::{
    DataKeyRecord, DataKeyState, KeyTable, TenantKeyKind, TenantKeyRecord, VaultError,
};
use postgres::{Client, NoTls, Row};

use crate::audit::{self, AuditQuery, StoredEntry};
use crate::migrations::POSTGRES;
use crate::model::{
    AlertRow, ApprovalRow, ConversationRow, ErasureCounts, PersonRow, Principal, PrincipalKind,
    PrincipalSummary, SessionRow, TokenRow, TurnRow, TurnWrite,
};
use crate::{Store, StoreError};

/// Connections kept open.
const POOL: usize = 8;

pub struct PostgresStore {
    pool: Vec<Mutex<Client>>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("connections", &self.pool.len())
            .finish()
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        if e.as_db_error()
            .is_some_and(|d| d.message() == crate::error::ERASED_MESSAGE)
        {
            return StoreError::Erased;
        }
        // The client's Display names the SQLSTATE and the server's message, never bound values.
        StoreError::Backend(e.to_string())
    }
}

impl PostgresStore {
    /// Connects (the URL is never logged: it may hold a password) and applies migrations.
    pub fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let connect = || {
            Client::connect(url, NoTls).map_err(|e| StoreError::Open {
                path: "postgres (URL not shown)".into(),
                reason: e.to_string(),
            })
        };
        let mut first = connect()?;
        migrate(&mut first)?;
        let mut pool = vec![Mutex::new(first)];
        for _ in 1..POOL {
            pool.push(Mutex::new(connect()?));
        }
        Ok(PostgresStore { pool })
    }

    fn conn(&self) -> Result<MutexGuard<'_, Client>, StoreError> {
        for c in &self.pool {
            if let Ok(guard) = c.try_lock() {
                return Ok(guard);
            }
        }
        let i = (now_ms() as usize) % self.pool.len();
        self.pool[i]
            .lock()
            .map_err(|_| StoreError::Backend("connection poisoned".into()))
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn migrate(client: &mut Client) -> Result<(), StoreError> {
    client
        .batch_execute("CREATE TABLE IF NOT EXISTS callvault_schema (version BIGINT NOT NULL)")?;
    let mut tx = client.transaction()?;
    // One migrator at a time across servers.
    tx.batch_execute("LOCK TABLE callvault_schema IN EXCLUSIVE MODE")?;
    let found: i64 = tx
        .query_opt("SELECT version FROM callvault_schema", &[])?
        .map(|r| r.get(0))
        .unwrap_or(0);
    let supported = POSTGRES.len() as i64;
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    for (i, sql) in POSTGRES.iter().enumerate().skip(found as usize) {
        tx.batch_execute(sql)?;
        tracing::info!(version = i + 1, "database migrated");
    }
    tx.execute("DELETE FROM callvault_schema", &[])?;
    tx.execute(
        "INSERT INTO callvault_schema (version) VALUES ($1)",
        &[&supported],
    )?;
    tx.commit()?;
    Ok(())
}

fn conversation_row(r: &Row) -> ConversationRow {
    ConversationRow {
        tenant: r.get(0),
        id: r.get(1),
        customer_ref: r.get(2),
        created_at: r.get(3),
        n_turns: r.get::<_, i64>(4) as u64,
        created_by: r.get(5),
        erased_at: r.get(6),
    }
}

/// The batch's turns in one `INSERT ... SELECT FROM UNNEST`.
fn insert_turns(
    tx: &mut postgres::Transaction<'_>,
    batch: &[TurnWrite],
) -> Result<(), postgres::Error> {
    if batch.is_empty() {
        return Ok(());
    }
    let turns = batch.iter().map(|w| &w.turn);
    let tenant: Vec<&str> = turns.clone().map(|t| t.tenant.as_str()).collect();
    let conversation: Vec<&str> = turns.clone().map(|t| t.conversation.as_str()).collect();
    let seq: Vec<i64> = turns.clone().map(|t| t.seq as i64).collect();
    let id: Vec<&str> = turns.clone().map(|t| t.id.as_str()).collect();
    let speaker: Vec<&str> = turns.clone().map(|t| t.speaker.as_str()).collect();
    let redacted: Vec<&str> = turns.clone().map(|t| t.redacted.as_str()).collect();
    let findings: Vec<&str> = turns.clone().map(|t| t.findings.as_str()).collect();
    let sealed: Vec<&[u8]> = turns.clone().map(|t| t.sealed.as_slice()).collect();
    let started: Vec<Option<i64>> = turns.clone().map(|t| t.started_at).collect();
    let ended: Vec<Option<i64>> = turns.clone().map(|t| t.ended_at).collect();
    let created: Vec<i64> = turns.map(|t| t.created_at).collect();
    let token_ids: Vec<String> = batch.iter().map(TurnWrite::token_ids).collect();
    tx.execute(
        "INSERT INTO turns (tenant, conversation, seq, id, speaker, redacted, findings, sealed, started_at, ended_at, created_at, token_ids)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[], $9::bigint[], $10::bigint[], $11::bigint[], $12::text[])",
        &[
            &tenant,
            &conversation,
            &seq,
            &id,
            &speaker,
            &redacted,
            &findings,
            &sealed,
            &started,
            &ended,
            &created,
            &token_ids,
        ],
    )?;
    Ok(())
}

/// Token rows in one statement, each with whether its turn lists it (`in_turn`).
fn insert_tokens(
    tx: &mut postgres::Transaction<'_>,
    rows: &[(&TokenRow, bool)],
) -> Result<(), postgres::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let tenant: Vec<&str> = rows.iter().map(|(k, _)| k.tenant.as_str()).collect();
    let conversation: Vec<&str> = rows.iter().map(|(k, _)| k.conversation.as_str()).collect();
    let token_id: Vec<&str> = rows.iter().map(|(k, _)| k.token_id.as_str()).collect();
    let entity: Vec<&str> = rows.iter().map(|(k, _)| k.entity.as_str()).collect();
    let label: Vec<&str> = rows.iter().map(|(k, _)| k.label.as_str()).collect();
    let blind: Vec<&[u8]> = rows.iter().map(|(k, _)| &k.blind_index[..]).collect();
    let sealed: Vec<&[u8]> = rows.iter().map(|(k, _)| k.sealed.as_slice()).collect();
    let turn_seq: Vec<i64> = rows.iter().map(|(k, _)| k.turn_seq as i64).collect();
    let in_turn: Vec<bool> = rows.iter().map(|(_, in_turn)| *in_turn).collect();
    tx.execute(
        "INSERT INTO tokens (tenant, conversation, token_id, entity, label, blind_index, sealed, turn_seq, in_turn)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::bytea[], $8::bigint[], $9::bool[])",
        &[
            &tenant,
            &conversation,
            &token_id,
            &entity,
            &label,
            &blind,
            &sealed,
            &turn_seq,
            &in_turn,
        ],
    )?;
    Ok(())
}

/// A turn row from its eleven columns, in table order.
fn turn_row(r: &Row) -> TurnRow {
    TurnRow {
        tenant: r.get(0),
        conversation: r.get(1),
        seq: r.get::<_, i64>(2) as u64,
        id: r.get(3),
        speaker: r.get(4),
        redacted: r.get(5),
        findings: r.get(6),
        sealed: r.get(7),
        started_at: r.get(8),
        ended_at: r.get(9),
        created_at: r.get(10),
    }
}

/// A token row from its eight columns, in table order.
fn token_row(r: &Row) -> TokenRow {
    TokenRow {
        tenant: r.get(0),
        conversation: r.get(1),
        token_id: r.get(2),
        entity: r.get(3),
        label: r.get(4),
        blind_index: blind_index(r.get(5)),
        sealed: r.get::<_, Option<Vec<u8>>>(6).unwrap_or_default(),
        turn_seq: r.get::<_, i64>(7) as u64,
    }
}

fn blind_index(bytes: Option<Vec<u8>>) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Some(b) = bytes.filter(|b| b.len() == 32) {
        out.copy_from_slice(&b);
    }
    out
}

fn data_key_row(r: &Row) -> DataKeyRecord {
    let state: String = r.get(4);
    DataKeyRecord {
        tenant: r.get(0),
        customer: r.get(1),
        version: r.get::<_, i64>(2) as u32,
        wrapped_by: r.get::<_, i64>(3) as u32,
        state: if state == "active" {
            DataKeyState::Active
        } else {
            DataKeyState::Destroyed
        },
        wrapped: r.get(5),
    }
}

/// Locks the wrapping version's row (a concurrent retirement waits, or has already won) and
/// fails if it is gone.
fn require_wrapping(
    tx: &mut postgres::Transaction<'_>,
    tenant: &str,
    version: u32,
) -> Result<(), VaultError> {
    let exists = tx
        .query_opt(
            "SELECT 1 FROM tenant_keys WHERE tenant = $1 AND kind = 'wrapping' AND version = $2 FOR SHARE",
            &[&tenant, &(version as i64)],
        )
        .map_err(StoreError::from)?
        .is_some();
    if !exists {
        return Err(VaultError::UnknownKeyVersion {
            tenant: tenant.to_owned(),
            version,
        });
    }
    Ok(())
}

const DATA_KEY_COLUMNS: &str = "tenant, customer, version, wrapped_by, state, wrapped";

impl Store for PostgresStore {
    fn create_tenant(
        &self,
        tenant: &str,
        name: &str,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let n = tx.execute(
            "INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&tenant, &name, &now_ms()],
        )?;
        if n == 1 {
            append_audit(&mut tx, [audit])?;
            tx.commit()?;
        }
        Ok(n == 1)
    }

    fn create_service_token(
        &self,
        principal: &Principal,
        token_hash: &[u8; 32],
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO principals (tenant, id, name, role, created_at, kind) VALUES ($1, $2, $3, $4, $5, 'service') ON CONFLICT DO NOTHING",
            &[&principal.tenant, &principal.id, &principal.name, &principal.role, &now_ms()],
        )?;
        // FOR SHARE: a concurrent `disable_principal` either commits first (and the check below
        // fails) or waits until the token is in and then revokes it, as SQLite's single writer
        // guarantees.
        let row = tx.query_one(
            "SELECT role, kind, disabled_at FROM principals WHERE tenant = $1 AND id = $2 FOR SHARE",
            &[&principal.tenant, &principal.id],
        )?;
        let (role, kind, disabled): (String, String, Option<i64>) =
            (row.get(0), row.get(1), row.get(2));
        if role != principal.role || kind != "service" || disabled.is_some() {
            return Err(StoreError::Conflict(
                "the principal exists with another role or kind, or is disabled",
            ));
        }
        let scopes = principal.scopes.as_ref().map(|s| s.join(","));
        tx.execute(
            "INSERT INTO service_tokens (token_hash, tenant, principal, created_at, expires_at, scopes) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&&token_hash[..], &principal.tenant, &principal.id, &now_ms(), &principal.expires_at, &scopes],
        )?;
        append_audit(&mut tx, [audit])?;
        tx.commit()?;
        Ok(())
    }

    fn principal_by_token(
        &self,
        token_hash: &[u8; 32],
        now_ms: i64,
    ) -> Result<Option<Principal>, StoreError> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT p.tenant, p.id, p.name, p.role, t.expires_at, t.scopes FROM service_tokens t
                 JOIN principals p ON p.tenant = t.tenant AND p.id = t.principal
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)
                   AND p.disabled_at IS NULL",
                &[&&token_hash[..], &now_ms],
            )?
            .map(|r| Principal {
                tenant: r.get(0),
                id: r.get(1),
                name: r.get(2),
                role: r.get(3),
                expires_at: r.get(4),
                session: crate::token_public_id(token_hash),
                source: None,
                scopes: crate::model::parse_scopes(r.get(5)),
                elevated_until: None,
                kind: PrincipalKind::Service,
                    credential: *token_hash,
            }))
    }

    fn revoke_principal_tokens(
        &self,
        tenant: &str,
        principal: &str,
        now_ms: i64,
        audit: &AuditRecord,
    ) -> Result<u64, StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE service_tokens SET revoked_at = $3 WHERE tenant = $1 AND principal = $2 AND revoked_at IS NULL",
            &[&tenant, &principal, &now_ms],
        )?;
        append_audit(&mut tx, [audit])?;
        tx.commit()?;
        Ok(n)
    }

    fn conversation(&self, tenant: &str, id: &str) -> Result<Option<ConversationRow>, StoreError> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT c.tenant, c.id, c.customer_ref, c.created_at, (SELECT COALESCE(MAX(t.seq) + 1, 0) FROM turns t WHERE t.tenant = c.tenant AND t.conversation = c.id), c.created_by, c.erased_at
                 FROM conversations c WHERE c.tenant = $1 AND c.id = $2",
                &[&tenant, &id],
            )?
            .map(|r| conversation_row(&r)))
    }

    fn list_conversations(
        &self,
        tenant: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ConversationRow>, StoreError> {
        Ok(self
            .conn()?
            .query(
                "SELECT c.tenant, c.id, c.customer_ref, c.created_at, (SELECT COALESCE(MAX(t.seq) + 1, 0) FROM turns t WHERE t.tenant = c.tenant AND t.conversation = c.id), c.created_by, c.erased_at
                 FROM conversations c WHERE c.tenant = $1 AND c.id > $2 ORDER BY c.id LIMIT $3",
                &[&tenant, &after.unwrap_or(""), &(limit as i64)],
            )?
            .iter()
            .map(conversation_row)
            .collect())
    }

    fn turns(&self, tenant: &str, conversation: &str) -> Result<Vec<TurnRow>, StoreError> {
        Ok(self
            .conn()?
            .query(
                "SELECT tenant, conversation, seq, id, speaker, redacted, findings, sealed, started_at, ended_at, created_at
                 FROM turns WHERE tenant = $1 AND conversation = $2 ORDER BY seq",
                &[&tenant, &conversation],
            )?
            .iter()
            .map(turn_row)
            .collect())
    }

    fn last_turns(
        &self,
        tenant: &str,
        conversation: &str,
        n: usize,
    ) -> Result<Vec<TurnRow>, StoreError> {
        let mut turns: Vec<TurnRow> = self
            .conn()?
            .query(
                "SELECT tenant, conversation, seq, id, speaker, redacted, findings, sealed, started_at, ended_at, created_at
                 FROM turns WHERE tenant = $1 AND conversation = $2 ORDER BY seq DESC LIMIT $3",
                &[&tenant, &conversation, &(n as i64)],
            )?
            .iter()
            .map(turn_row)
            .collect();
        turns.reverse();
        Ok(turns)
    }

    fn tokens_by_id(
        &self,
        tenant: &str,
        ids: &[String],
    ) -> Result<Vec<(TokenRow, String)>, StoreError> {
        Ok(self
            .conn()?
            .query(
                "SELECT t.tenant, t.conversation, t.token_id, t.entity, t.label, t.blind_index, t.sealed, t.turn_seq, c.customer_ref
                 FROM tokens t JOIN conversations c ON c.tenant = t.tenant AND c.id = t.conversation
                 WHERE t.tenant = $1 AND t.token_id = ANY($2)",
                &[&tenant, &ids],
            )?
            .iter()
            .map(|r| {
                (token_row(r), r.get(8))
            })
            .collect())
    }

    fn tokens(&self, tenant: &str, conversation: &str) -> Result<Vec<TokenRow>, StoreError> {
        Ok(self
            .conn()?
            .query(
                "SELECT k.tenant, k.conversation, k.token_id, k.entity, k.label, k.blind_index, k.sealed, k.turn_seq
                 FROM turns u CROSS JOIN LATERAL jsonb_array_elements_text(u.token_ids::jsonb) AS j(id)
                 JOIN tokens k ON k.tenant = u.tenant AND k.token_id = j.id
                 WHERE u.tenant = $1 AND u.conversation = $2 AND k.conversation = $2
                 UNION ALL
                 SELECT tenant, conversation, token_id, entity, label, blind_index, sealed, turn_seq
                 FROM tokens WHERE tenant = $1 AND conversation = $2 AND NOT in_turn
                 ORDER BY 8, 5",
                &[&tenant, &conversation],
            )?
            .iter()
            .map(token_row)
            .collect())
    }

    fn commit(
        &self,
        conversations: &[ConversationRow],
        batch: &[TurnWrite],
        tokens: &[TokenRow],
        audit: &[AuditRecord],
    ) -> Result<u64, StoreError> {
        write_batch(
            &mut *self.conn()?,
            false,
            conversations,
            batch,
            tokens,
            audit,
        )
    }

    /// The batch's transaction is an asynchronous commit (`synchronous_commit = off` for it
    /// alone): its commit record is in the server's WAL buffers when this returns, not yet on
    /// disk, and [`Store::sync`] flushes past it.
    fn commit_unsynced(
        &self,
        conversations: &[ConversationRow],
        batch: &[TurnWrite],
        tokens: &[TokenRow],
        audit: &[AuditRecord],
    ) -> Result<u64, StoreError> {
        write_batch(
            &mut *self.conn()?,
            true,
            conversations,
            batch,
            tokens,
            audit,
        )
    }

    /// A synchronous commit waits until the WAL is flushed up to its own commit record, which
    /// comes after the commit record of every transaction that returned before it; a
    /// transaction that has an id writes one even when it changed nothing.
    fn sync(&self) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute("SELECT pg_current_xact_id()", &[])?;
        tx.commit()?;
        Ok(())
    }

    fn search(
        &self,
        tenant: &str,
        blind_index: &[u8; 32],
        limit: usize,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        Ok(self
            .conn()?
            .query(
                "SELECT conversation, label, token_id FROM tokens WHERE tenant = $1 AND blind_index = $2
                 ORDER BY conversation, label LIMIT $3",
                &[&tenant, &&blind_index[..], &(limit as i64)],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    fn set_retention(
        &self,
        tenant: &str,
        days: Option<u32>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        match days {
            Some(days) => tx.execute(
                "INSERT INTO retention (tenant, days) VALUES ($1, $2) ON CONFLICT (tenant) DO UPDATE SET days = $2",
                &[&tenant, &i64::from(days)],
            )?,
            None => tx.execute("DELETE FROM retention WHERE tenant = $1", &[&tenant])?,
        };
        append_audit(&mut tx, [audit])?;
        tx.commit()?;
        Ok(())
    }

    fn retention_policies(&self) -> Result<Vec<(String, u32)>, StoreError> {
        Ok(self
            .conn()?
            .query("SELECT tenant, days FROM retention ORDER BY tenant", &[])?
            .iter()
            .map(|r| (r.get(0), r.get::<_, i64>(1) as u32))
            .collect())
    }

    fn set_legal_hold(
        &self,
        tenant: &str,
        conversation: &str,
        hold: bool,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE conversations SET legal_hold = $3 WHERE tenant = $1 AND id = $2",
            &[&tenant, &conversation, &hold],
        )?;
        if n == 1 {
            append_audit(&mut tx, [audit])?;
            tx.commit()?;
        }
        Ok(n == 1)
    }

    fn purge(
        &self,
        tenant: &str,
        before_ms: i64,
        limit: usize,
        audit: &AuditRecord,
    ) -> Result<ErasureCounts, StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let ids: Vec<String> = tx
            .query(
                "SELECT id FROM conversations WHERE tenant = $1 AND created_at < $2 AND NOT legal_hold
                 ORDER BY created_at LIMIT $3 FOR UPDATE",
                &[&tenant, &before_ms, &(limit as i64)],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let tokens = tx.execute(
            "DELETE FROM tokens WHERE tenant = $1 AND token_id IN
             (SELECT jsonb_array_elements_text(u.token_ids::jsonb) FROM turns u
              WHERE u.tenant = $1 AND u.conversation = ANY($2))",
            &[&tenant, &ids],
        )? + tx.execute(
            "DELETE FROM tokens WHERE tenant = $1 AND NOT in_turn AND conversation = ANY($2)",
            &[&tenant, &ids],
        )?;
        let turns = tx.execute(
            "DELETE FROM turns WHERE tenant = $1 AND conversation = ANY($2)",
            &[&tenant, &ids],
        )?;
        tx.execute(
            "DELETE FROM conversations WHERE tenant = $1 AND id = ANY($2)",
            &[&tenant, &ids],
        )?;
        if ids.is_empty() {
            return Ok(ErasureCounts::default());
        }
        let mut record = audit.clone();
        record.resources.conversations.extend(ids.iter().cloned());
        record.resources.conversations.sort();
        record.detail = Some(format!(
            "conversations={} turns={turns} tokens={tokens}",
            ids.len()
        ));
        append_audit(&mut tx, [&record])?;
        tx.commit()?;
        Ok(ErasureCounts {
            conversations: ids.len() as u64,
            turns,
            tokens,
        })
    }

    fn erase_customer(
        &self,
        tenant: &str,
        customer_ref: &str,
        audit: &AuditRecord,
    ) -> Result<ErasureCounts, StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let affected: Vec<String> = tx
            .query(
                "SELECT id FROM conversations WHERE tenant = $1 AND customer_ref = $2 ORDER BY id",
                &[&tenant, &customer_ref],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let conversations: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM conversations WHERE tenant = $1 AND customer_ref = $2",
                &[&tenant, &customer_ref],
            )?
            .get(0);
        let turns: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM turns WHERE tenant = $1 AND conversation IN
                 (SELECT id FROM conversations WHERE tenant = $1 AND customer_ref = $2)",
                &[&tenant, &customer_ref],
            )?
            .get(0);
        let tokens = tx.execute(
            "UPDATE tokens SET blind_index = NULL, sealed = NULL WHERE tenant = $1 AND token_id IN
             (SELECT jsonb_array_elements_text(u.token_ids::jsonb) FROM turns u
              WHERE u.tenant = $1 AND u.conversation IN
              (SELECT id FROM conversations WHERE tenant = $1 AND customer_ref = $2))",
            &[&tenant, &customer_ref],
        )? + tx.execute(
            "UPDATE tokens SET blind_index = NULL, sealed = NULL WHERE tenant = $1 AND NOT in_turn AND conversation IN
             (SELECT id FROM conversations WHERE tenant = $1 AND customer_ref = $2)",
            &[&tenant, &customer_ref],
        )?;
        tx.execute(
            "UPDATE conversations SET erased_at = $3
             WHERE tenant = $1 AND customer_ref = $2 AND erased_at IS NULL",
            &[&tenant, &customer_ref, &audit.time_ms],
        )?;
        let mut record = audit.clone();
        record.resources.conversations.extend(affected);
        record.detail = Some(format!(
            "conversations={conversations} turns={turns} tokens_unlinked={tokens}"
        ));
        append_audit(&mut tx, [&record])?;
        tx.commit()?;
        Ok(ErasureCounts {
            conversations: conversations as u64,
            turns: turns as u64,
            tokens,
        })
    }

    fn create_person(
        &self,
        person: &PersonRow,
        recovery_hashes: &[[u8; 32]],
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let n = tx.execute(
            "INSERT INTO principals (tenant, id, name, role, created_at, kind, password_hash, totp_sealed)
             VALUES ($1, $2, $3, $4, $5, 'person', $6, $7) ON CONFLICT DO NOTHING",
            &[
                &person.tenant,
                &person.id,
                &person.name,
                &person.role,
                &now_ms(),
                &person.password_hash,
                &person.totp_sealed,
            ],
        )?;
        if n == 0 {
            return Ok(false);
        }
        let code = tx.prepare(
            "INSERT INTO recovery_codes (tenant, principal, code_hash) VALUES ($1, $2, $3)",
        )?;
        for h in recovery_hashes {
            tx.execute(&code, &[&person.tenant, &person.id, &&h[..]])?;
        }
        append_audit(&mut tx, [audit])?;
        tx.commit()?;
        Ok(true)
    }

    fn person(&self, tenant: &str, username: &str) -> Result<Option<PersonRow>, StoreError> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT tenant, id, name, role, password_hash, totp_sealed, totp_last_step, failed_logins, locked_until, disabled_at
                 FROM principals WHERE tenant = $1 AND id = $2 AND kind = 'person'",
                &[&tenant, &username],
            )?
            .map(|r| PersonRow {
                tenant: r.get(0),
                id: r.get(1),
                name: r.get(2),
                role: r.get(3),
                password_hash: r.get::<_, Option<String>>(4).unwrap_or_default(),
                totp_sealed: r.get::<_, Option<Vec<u8>>>(5).unwrap_or_default(),
                totp_last_step: r.get(6),
                failed_logins: r.get::<_, i64>(7) as u32,
                locked_until: r.get(8),
                disabled: r.get::<_, Option<i64>>(9).is_some(),
            }))
    }

    fn login_failed(
        &self,
        tenant: &str,
        username: &str,
        lock_after: u32,
        lock_until: i64,
        audit: &AuditRecord,
    ) -> Result<u32, StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        // One UPDATE: the row lock makes concurrent failures count one after another, and the
        // SET expressions see the count before this one.
        let count: Option<i64> = tx
            .query_opt(
                "UPDATE principals SET failed_logins = failed_logins + 1,
                   locked_until = CASE WHEN failed_logins + 1 >= $3 THEN $4 ELSE locked_until END
                 WHERE tenant = $1 AND id = $2 AND kind = 'person' RETURNING failed_logins",
                &[&tenant, &username, &i64::from(lock_after), &lock_until],
            )?
            .map(|r| r.get(0));
        append_audit(&mut tx, [audit])?;
        tx.commit()?;
        Ok(count.unwrap_or(0) as u32)
    }

    fn login_succeeded(
        &self,
        session: &SessionRow,
        totp_step: Option<i64>,
        recovery_hash: Option<&[u8; 32]>,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        // Each check is in the UPDATE's WHERE: a concurrent login with the same step or code
        // waits for the row lock, re-reads the row and matches nothing.
        let accepted = match (totp_step, recovery_hash) {
            (Some(step), _) => tx.execute(
                "UPDATE principals SET totp_last_step = $3, failed_logins = 0, locked_until = NULL
                 WHERE tenant = $1 AND id = $2 AND totp_last_step < $3 AND disabled_at IS NULL",
                &[&session.tenant, &session.principal, &step],
            )?,
            (None, Some(hash)) => {
                let used = tx.execute(
                    "UPDATE recovery_codes SET used_at = $4
                     WHERE tenant = $1 AND principal = $2 AND code_hash = $3 AND used_at IS NULL",
                    &[
                        &session.tenant,
                        &session.principal,
                        &&hash[..],
                        &session.created_at,
                    ],
                )?;
                if used == 1 {
                    tx.execute(
                        "UPDATE principals SET failed_logins = 0, locked_until = NULL WHERE tenant = $1 AND id = $2",
                        &[&session.tenant, &session.principal],
                    )?;
                }
                used
            }
            (None, None) => 0,
        };
        if accepted != 1 {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO sessions (token_hash, tenant, principal, created_at, last_seen_at, expires_at, idle_ms, source)
             VALUES ($1, $2, $3, $4, $4, $5, $6, $7)",
            &[
                &&session.token_hash[..],
                &session.tenant,
                &session.principal,
                &session.created_at,
                &session.expires_at,
                &session.idle_ms,
                &session.source,
            ],
        )?;
        append_audit(&mut tx, [audit])?;
        tx.commit()?;
        Ok(true)
    }

    fn session(
        &self,
        token_hash: &[u8; 32],
        now_ms: i64,
    ) -> Result<Option<(Principal, SessionRow)>, StoreError> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT s.tenant, s.principal, p.name, p.role, s.created_at, s.last_seen_at, s.expires_at, s.idle_ms, s.source, s.elevated_until
                 FROM sessions s JOIN principals p ON p.tenant = s.tenant AND p.id = s.principal
                 WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
                   AND s.last_seen_at + s.idle_ms > $2 AND p.disabled_at IS NULL",
                &[&&token_hash[..], &now_ms],
            )?
            .map(|r| {
                let row = SessionRow {
                    token_hash: *token_hash,
                    tenant: r.get(0),
                    principal: r.get(1),
                    created_at: r.get(4),
                    last_seen_at: r.get(5),
                    expires_at: r.get(6),
                    idle_ms: r.get(7),
                    source: r.get(8),
                    elevated_until: r.get(9),
                };
                let principal = Principal {
                    tenant: row.tenant.clone(),
                    id: row.principal.clone(),
                    name: r.get(2),
                    role: r.get(3),
                    expires_at: Some(row.expires_at),
                    session: crate::model::session_public_id(token_hash),
                    source: None,
                    scopes: None,
                    elevated_until: row.elevated_until,
                    kind: PrincipalKind::Person,
                    credential: *token_hash,
                };
                (principal, row)
            }))
    }

    fn touch_session(&self, token_hash: &[u8; 32], now_ms: i64) -> Result<(), StoreError> {
        self.conn()?.execute(
            "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1 AND last_seen_at < $2",
            &[&&token_hash[..], &now_ms],
        )?;
        Ok(())
    }

    fn revoke_session(
        &self,
        token_hash: &[u8; 32],
        now_ms: i64,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
            &[&&token_hash[..], &now_ms],
        )?;
        append_audit(&mut tx, [audit])?;
        tx.commit()?;
        Ok(n == 1)
    }

    fn elevate_session(
        &self,
        token_hash: &[u8; 32],
        until: i64,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE sessions SET elevated_until = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
            &[&&token_hash[..], &until],
        )?;
        if n == 1 {
            append_audit(&mut tx, [audit])?;
            tx.commit()?;
        }
        Ok(n == 1)
    }

    fn principals(&self, tenant: &str) -> Result<Vec<PrincipalSummary>, StoreError> {
        Ok(self
            .conn()?
            .query(
                "SELECT p.tenant, p.id, p.name, p.role, p.kind, p.created_at, p.disabled_at,
                        (SELECT COUNT(*) FROM service_tokens t WHERE t.tenant = p.tenant AND t.principal = p.id AND t.revoked_at IS NULL)
                 FROM principals p WHERE p.tenant = $1 ORDER BY p.id",
                &[&tenant],
            )?
            .iter()
            .map(|r| PrincipalSummary {
                tenant: r.get(0),
                id: r.get(1),
                name: r.get(2),
                role: r.get(3),
                kind: PrincipalKind::parse(r.get::<_, &str>(4)),
                created_at: r.get(5),
                disabled_at: r.get(6),
                live_tokens: r.get::<_, i64>(7) as u64,
            })
            .collect())
    }

    fn disable_principal(
        &self,
        tenant: &str,
        id: &str,
        now_ms: i64,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        // The principal's row stays locked until commit: a token being created for it
        // (`create_service_token`, FOR SHARE) is either in already and revoked below, or waits
        // and then sees the principal disabled.
        let n = tx.execute(
            "UPDATE principals SET disabled_at = $3 WHERE tenant = $1 AND id = $2 AND disabled_at IS NULL",
            &[&tenant, &id, &now_ms],
        )?;
        if n == 0 {
            return Ok(false);
        }
        tx.execute(
            "UPDATE service_tokens SET revoked_at = $3 WHERE tenant = $1 AND principal = $2 AND revoked_at IS NULL",
            &[&tenant, &id, &now_ms],
        )?;
        tx.execute(
            "UPDATE sessions SET revoked_at = $3 WHERE tenant = $1 AND principal = $2 AND revoked_at IS NULL",
            &[&tenant, &id, &now_ms],
        )?;
        append_audit(&mut tx, [audit])?;
        tx.commit()?;
        Ok(true)
    }

    fn expire_other_tokens(
        &self,
        tenant: &str,
        principal: &str,
        keep: &[u8; 32],
        at: i64,
    ) -> Result<u64, StoreError> {
        Ok(self.conn()?.execute(
            "UPDATE service_tokens SET expires_at = $4
             WHERE tenant = $1 AND principal = $2 AND token_hash <> $3 AND revoked_at IS NULL
               AND (expires_at IS NULL OR expires_at > $4)",
            &[&tenant, &principal, &&keep[..], &at],
        )?)
    }

    fn live_tokens(
        &self,
        tenant: &str,
        principal: &str,
        now_ms: i64,
    ) -> Result<Vec<crate::LiveToken>, StoreError> {
        Ok(self
            .conn()?
            .query(
                "SELECT scopes, expires_at FROM service_tokens
                 WHERE tenant = $1 AND principal = $2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $3)",
                &[&tenant, &principal, &now_ms],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    fn create_alert(&self, alert: &AlertRow, audit: &AuditRecord) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO alerts (tenant, kind, principal, detail, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[&alert.tenant, &alert.kind, &alert.principal, &alert.detail, &alert.created_at],
        )?;
        append_audit(&mut tx, [audit])?;
        tx.commit()?;
        Ok(())
    }

    fn alerts(&self, tenant: &str, limit: usize) -> Result<Vec<AlertRow>, StoreError> {
        Ok(self
            .conn()?
            .query(
                "SELECT tenant, id, kind, principal, detail, created_at FROM alerts WHERE tenant = $1 ORDER BY id DESC LIMIT $2",
                &[&tenant, &(limit as i64)],
            )?
            .iter()
            .map(|r| AlertRow {
                tenant: r.get(0),
                id: r.get(1),
                kind: r.get(2),
                principal: r.get(3),
                detail: r.get(4),
                created_at: r.get(5),
            })
            .collect())
    }

    fn create_approval(&self, row: &ApprovalRow, audit: &AuditRecord) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO approvals (tenant, id, requester, action, scope, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &row.tenant,
                &row.id,
                &row.requester,
                &row.action,
                &row.scope,
                &row.created_at,
                &row.expires_at,
            ],
        )?;
        append_audit(&mut tx, [audit])?;
        tx.commit()?;
        Ok(())
    }

    fn approval(&self, tenant: &str, id: &str) -> Result<Option<ApprovalRow>, StoreError> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT tenant, id, requester, action, scope, created_at, expires_at, approved_by, used_at
                 FROM approvals WHERE tenant = $1 AND id = $2",
                &[&tenant, &id],
            )?
            .map(|r| ApprovalRow {
                tenant: r.get(0),
                id: r.get(1),
                requester: r.get(2),
                action: r.get(3),
                scope: r.get(4),
                created_at: r.get(5),
                expires_at: r.get(6),
                approved_by: r.get(7),
                used_at: r.get(8),
            }))
    }

    fn approve(
        &self,
        tenant: &str,
        id: &str,
        approver: &str,
        now_ms: i64,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE approvals SET approved_by = $3, approved_at = $4
             WHERE tenant = $1 AND id = $2 AND requester <> $3 AND approved_by IS NULL AND expires_at > $4",
            &[&tenant, &id, &approver, &now_ms],
        )?;
        if n == 1 {
            append_audit(&mut tx, [audit])?;
            tx.commit()?;
        }
        Ok(n == 1)
    }

    fn consume_approval(
        &self,
        tenant: &str,
        id: &str,
        requester: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        // One UPDATE: of two concurrent uses, the second waits for the row and then finds it used.
        let n = self.conn()?.execute(
            "UPDATE approvals SET used_at = $4
             WHERE tenant = $1 AND id = $2 AND requester = $3 AND approved_by IS NOT NULL
               AND used_at IS NULL AND expires_at > $4",
            &[&tenant, &id, &requester, &now_ms],
        )?;
        Ok(n == 1)
    }

    fn audit_head(&self) -> Result<Frontier, StoreError> {
        let row = self
            .conn()?
            .query_one("SELECT size, frontier FROM audit_head WHERE id = 1", &[])?;
        audit::frontier(row.get(0), row.get::<_, &[u8]>(1))
    }

    fn audit_node(&self, level: u32, index: u64) -> Result<Option<Hash>, StoreError> {
        let mut conn = self.conn()?;
        let row = if level == 0 {
            conn.query_opt(
                "SELECT leaf_hash FROM audit_entries WHERE seq = $1",
                &[&(index as i64)],
            )?
        } else {
            conn.query_opt(
                "SELECT hash FROM audit_nodes WHERE pos = $1",
                &[&audit::node_position(level, index)?],
            )?
        };
        row.map(|r| audit::hash_from(r.get::<_, &[u8]>(0)))
            .transpose()
    }

    fn audit_entries(&self, from_seq: u64, limit: usize) -> Result<Vec<StoredEntry>, StoreError> {
        self.conn()?
            .query(
                "SELECT seq, entry, leaf_hash FROM audit_entries WHERE seq >= $1 ORDER BY seq LIMIT $2",
                &[&(from_seq as i64), &(limit as i64)],
            )?
            .iter()
            .map(stored_entry)
            .collect()
    }

    fn audit_query(&self, q: &AuditQuery) -> Result<Vec<StoredEntry>, StoreError> {
        let after = q.after_seq.map_or(-1, |s| s as i64);
        self.conn()?
            .query(
                "SELECT seq, entry, leaf_hash FROM audit_entries
                 WHERE ($1::TEXT IS NULL OR tenant = $1) AND ($2::TEXT IS NULL OR principal = $2)
                   AND ($3::TEXT IS NULL OR action = $3) AND ($4::BIGINT IS NULL OR time_ms >= $4)
                   AND ($5::BIGINT IS NULL OR time_ms < $5) AND seq > $6
                 ORDER BY seq LIMIT $7",
                &[
                    &q.tenant,
                    &q.principal,
                    &q.action,
                    &q.from_ms,
                    &q.to_ms,
                    &after,
                    &(q.limit as i64),
                ],
            )?
            .iter()
            .map(stored_entry)
            .collect()
    }

    fn save_checkpoint(&self, size: u64, note: &str, now_ms: i64) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT INTO audit_checkpoints (size, note, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&(size as i64), &note, &now_ms],
        )?;
        Ok(())
    }

    fn checkpoints(&self, after_size: u64, limit: usize) -> Result<Vec<(u64, String)>, StoreError> {
        Ok(self
            .conn()?
            .query(
                "SELECT size, note FROM audit_checkpoints WHERE size > $1 ORDER BY size LIMIT $2",
                &[&(after_size as i64), &(limit as i64)],
            )?
            .iter()
            .map(|r| (r.get::<_, i64>(0) as u64, r.get(1)))
            .collect())
    }

    fn latest_checkpoint(&self) -> Result<Option<(u64, String)>, StoreError> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT size, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1",
                &[],
            )?
            .map(|r| (r.get::<_, i64>(0) as u64, r.get(1))))
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn()?
            .query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?
            .map(|r| r.get(0)))
    }

    fn put_meta_if_absent(&self, key: &str, value: &[u8]) -> Result<bool, StoreError> {
        let n = self.conn()?.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&key, &value],
        )?;
        Ok(n == 1)
    }
}

/// Writes one group-commit batch in one transaction (see [`Store::commit`]); `asynchronous`
/// makes it an asynchronous commit (see [`Store::commit_unsynced`]).
fn write_batch(
    conn: &mut Client,
    asynchronous: bool,
    conversations: &[ConversationRow],
    batch: &[TurnWrite],
    tokens: &[TokenRow],
    audit: &[AuditRecord],
) -> Result<u64, StoreError> {
    let mut tx = conn.transaction()?;
    if asynchronous {
        tx.batch_execute("SET LOCAL synchronous_commit = off")?;
    }
    if !conversations.is_empty() {
        let conversation = tx.prepare(
            "INSERT INTO conversations (tenant, id, customer_ref, created_at, created_by) VALUES ($1, $2, $3, $4, $5)",
        )?;
        for row in conversations {
            tx.execute(
                &conversation,
                &[
                    &row.tenant,
                    &row.id,
                    &row.customer_ref,
                    &row.created_at,
                    &row.created_by,
                ],
            )?;
        }
    }
    // One statement per table for the whole batch (arrays unnested server-side): a batch
    // costs a handful of round trips, not one per row.
    insert_turns(&mut tx, batch)?;
    let new_tokens: Vec<(&TokenRow, bool)> = batch
        .iter()
        .flat_map(|w| w.new_tokens.iter().map(|k| (k, true)))
        .chain(tokens.iter().map(|k| (k, false)))
        .collect();
    insert_tokens(&mut tx, &new_tokens)?;
    let first_seq = append_audit(&mut tx, audit)?;
    tx.commit()?;
    Ok(first_seq)
}

/// Appends audit records inside a write transaction; returns the first one's sequence number.
/// The head row is taken `FOR UPDATE`: servers sharing the database append one at a time.
fn append_audit<'a>(
    tx: &mut postgres::Transaction<'_>,
    records: impl IntoIterator<Item = &'a AuditRecord>,
) -> Result<u64, StoreError> {
    let head = tx.query_one(
        "SELECT size, frontier FROM audit_head WHERE id = 1 FOR UPDATE",
        &[],
    )?;
    let size: i64 = head.get(0);
    let prepared = audit::prepare(audit::frontier(size, head.get::<_, &[u8]>(1))?, records)?;
    if prepared.entries.is_empty() {
        return Ok(size as u64);
    }
    let entries = &prepared.entries;
    let seq: Vec<i64> = entries.iter().map(|e| e.seq as i64).collect();
    let time: Vec<i64> = entries.iter().map(|e| e.record.time_ms).collect();
    let tenant: Vec<&str> = entries.iter().map(|e| e.record.tenant.as_str()).collect();
    let principal: Vec<&str> = entries
        .iter()
        .map(|e| e.record.principal.as_str())
        .collect();
    let action: Vec<&str> = entries.iter().map(|e| e.record.action.as_str()).collect();
    let leaf_hash: Vec<&[u8]> = entries.iter().map(|e| &e.leaf_hash[..]).collect();
    let leaf: Vec<&[u8]> = entries.iter().map(|e| e.leaf.as_slice()).collect();
    tx.execute(
        "INSERT INTO audit_entries (seq, time_ms, tenant, principal, action, leaf_hash, entry)
         SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::bytea[])",
        &[&seq, &time, &tenant, &principal, &action, &leaf_hash, &leaf],
    )?;
    if !prepared.nodes.is_empty() {
        let pos = prepared
            .nodes
            .iter()
            .map(|n| audit::node_position(n.0, n.1))
            .collect::<Result<Vec<i64>, StoreError>>()?;
        let hash: Vec<&[u8]> = prepared.nodes.iter().map(|n| &n.2[..]).collect();
        tx.execute(
            "INSERT INTO audit_nodes (pos, hash) SELECT * FROM UNNEST($1::bigint[], $2::bytea[])",
            &[&pos, &hash],
        )?;
    }
    tx.execute(
        "UPDATE audit_head SET size = $1, frontier = $2 WHERE id = 1",
        &[&(prepared.size as i64), &prepared.frontier],
    )?;
    Ok(size as u64)
}

fn stored_entry(r: &Row) -> Result<StoredEntry, StoreError> {
    Ok(StoredEntry {
        seq: r.get::<_, i64>(0) as u64,
        leaf: r.get(1),
        leaf_hash: audit::hash_from(r.get::<_, &[u8]>(2))?,
    })
}

impl KeyTable for PostgresStore {
    fn tenant_keys(&self, tenant: &str) -> Result<Vec<TenantKeyRecord>, VaultError> {
        let rows = self
            .conn()?
            .query(
                "SELECT tenant, kind, version, wrapped FROM tenant_keys WHERE tenant = $1 ORDER BY kind, version",
                &[&tenant],
            )
            .map_err(StoreError::from)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let kind: String = r.get(1);
            out.push(TenantKeyRecord {
                tenant: r.get(0),
                kind: match kind.as_str() {
                    "wrapping" => TenantKeyKind::Wrapping,
                    "index" => TenantKeyKind::Index,
                    _ => return Err(StoreError::Corrupt("unknown tenant key kind").into()),
                },
                version: r.get::<_, i64>(2) as u32,
                wrapped: r.get(3),
            });
        }
        Ok(out)
    }

    fn insert_tenant_key(&self, record: &TenantKeyRecord) -> Result<bool, VaultError> {
        let n = self
            .conn()?
            .execute(
                "INSERT INTO tenant_keys (tenant, kind, version, wrapped) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[&record.tenant, &record.kind.as_str(), &(record.version as i64), &record.wrapped],
            )
            .map_err(StoreError::from)?;
        Ok(n == 1)
    }

    fn retire_wrapping_key(&self, tenant: &str, version: u32) -> Result<bool, VaultError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(StoreError::from)?;
        // Serialize with inserts and rewraps of this tenant's data keys.
        tx.execute(
            "SELECT 1 FROM tenant_keys WHERE tenant = $1 AND kind = 'wrapping' AND version = $2 FOR UPDATE",
            &[&tenant, &(version as i64)],
        )
        .map_err(StoreError::from)?;
        let n = tx
            .execute(
                "DELETE FROM tenant_keys WHERE tenant = $1 AND kind = 'wrapping' AND version = $2
                 AND NOT EXISTS (SELECT 1 FROM data_keys WHERE tenant = $1 AND state = 'active' AND wrapped_by = $2)",
                &[&tenant, &(version as i64)],
            )
            .map_err(StoreError::from)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(n == 1)
    }

    fn data_key(
        &self,
        tenant: &str,
        customer: &str,
        version: u32,
    ) -> Result<Option<DataKeyRecord>, VaultError> {
        let sql = format!("SELECT {DATA_KEY_COLUMNS} FROM data_keys WHERE tenant = $1 AND customer = $2 AND version = $3");
        Ok(self
            .conn()?
            .query_opt(&sql, &[&tenant, &customer, &(version as i64)])
            .map_err(StoreError::from)?
            .map(|r| data_key_row(&r)))
    }

    fn latest_data_key(
        &self,
        tenant: &str,
        customer: &str,
    ) -> Result<Option<DataKeyRecord>, VaultError> {
        let sql = format!(
            "SELECT {DATA_KEY_COLUMNS} FROM data_keys WHERE tenant = $1 AND customer = $2 ORDER BY version DESC LIMIT 1"
        );
        Ok(self
            .conn()?
            .query_opt(&sql, &[&tenant, &customer])
            .map_err(StoreError::from)?
            .map(|r| data_key_row(&r)))
    }

    fn insert_data_key(&self, record: &DataKeyRecord) -> Result<bool, VaultError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(StoreError::from)?;
        // Lock the wrapping version's row: a concurrent retirement waits or has already won.
        require_wrapping(&mut tx, &record.tenant, record.wrapped_by)?;
        let n = tx
            .execute(
                "INSERT INTO data_keys (tenant, customer, version, wrapped_by, state, wrapped)
                 VALUES ($1, $2, $3, $4, 'active', $5) ON CONFLICT DO NOTHING",
                &[
                    &record.tenant,
                    &record.customer,
                    &(record.version as i64),
                    &(record.wrapped_by as i64),
                    &record.wrapped,
                ],
            )
            .map_err(StoreError::from)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(n == 1)
    }

    fn rewrap_data_key(
        &self,
        record: &DataKeyRecord,
        expected_wrapped_by: u32,
    ) -> Result<bool, VaultError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(StoreError::from)?;
        require_wrapping(&mut tx, &record.tenant, record.wrapped_by)?;
        let n = tx
            .execute(
                "UPDATE data_keys SET wrapped_by = $4, wrapped = $5
                 WHERE tenant = $1 AND customer = $2 AND version = $3 AND state = 'active' AND wrapped_by = $6",
                &[
                    &record.tenant,
                    &record.customer,
                    &(record.version as i64),
                    &(record.wrapped_by as i64),
                    &record.wrapped,
                    &(expected_wrapped_by as i64),
                ],
            )
            .map_err(StoreError::from)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(n == 1)
    }

    fn data_keys_wrapped_below(
        &self,
        tenant: &str,
        below: u32,
        after: Option<(&str, u32)>,
        limit: usize,
    ) -> Result<Vec<DataKeyRecord>, VaultError> {
        let (after_customer, after_version) = after.map(|(c, v)| (c, v as i64)).unwrap_or(("", -1));
        let sql = format!(
            "SELECT {DATA_KEY_COLUMNS} FROM data_keys
             WHERE tenant = $1 AND state = 'active' AND wrapped_by < $2 AND (customer, version) > ($3, $4)
             ORDER BY customer, version LIMIT $5"
        );
        Ok(self
            .conn()?
            .query(
                &sql,
                &[
                    &tenant,
                    &(below as i64),
                    &after_customer,
                    &after_version,
                    &(limit as i64),
                ],
            )
            .map_err(StoreError::from)?
            .iter()
            .map(data_key_row)
            .collect())
    }

    fn count_wrapped_by(&self, tenant: &str, version: u32) -> Result<u64, VaultError> {
        let n: i64 = self
            .conn()?
            .query_one(
                "SELECT COUNT(*) FROM data_keys WHERE tenant = $1 AND state = 'active' AND wrapped_by = $2",
                &[&tenant, &(version as i64)],
            )
            .map_err(StoreError::from)?
            .get(0);
        Ok(n as u64)
    }

    fn destroy_data_keys(&self, tenant: &str, customer: &str) -> Result<Vec<u32>, VaultError> {
        let rows = self
            .conn()?
            .query(
                "UPDATE data_keys SET state = 'destroyed', wrapped = ''::bytea
                 WHERE tenant = $1 AND customer = $2 AND state = 'active' RETURNING version",
                &[&tenant, &customer],
            )
            .map_err(StoreError::from)?;
        Ok(rows.iter().map(|r| r.get::<_, i64>(0) as u32).collect())
    }
}
