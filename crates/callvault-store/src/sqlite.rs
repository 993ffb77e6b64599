//! The embedded store: SQLite (bundled) in WAL mode in the data directory.
//!
//! One write connection (behind a mutex; the server batches turns into one transaction per
//! group commit) and a few read connections (WAL lets them read while a write is in progress).
//! `synchronous=FULL` makes every commit durable before it returns, except a group-commit batch
//! (`commit_unsynced`), which is durable once `sync` has flushed the WAL; `secure_delete` overwrites
//! deleted content, so an erased key or index row does not linger in free pages.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use callvault_audit::{AuditRecord, Frontier, Hash};
use callvault_vault::{
    DataKeyRecord, DataKeyState, KeyTable, TenantKeyKind, TenantKeyRecord, VaultError,
};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row, Transaction};

use crate::audit::{self, AuditQuery, StoredEntry};
use crate::migrations::SQLITE;
use crate::model::{
    AlertRow, ApprovalRow, ConversationRow, ErasureCounts, PersonRow, Principal, PrincipalKind,
    PrincipalSummary, SessionRow, TokenRow, TurnRow, TurnWrite,
};
use crate::{Store, StoreError};

/// Past this size the WAL is checkpointed and emptied (see `start_checkpointer`).
const WAL_BOUND_BYTES: u64 = 64 * 1024 * 1024;

/// Frames (pages) the WAL may hold before the checkpointer finishes a checkpoint under the
/// writer's lock, so that the next commit starts the WAL over from its beginning (16 MiB).
const WAL_RESTART_FRAMES: i64 = 4096;

/// The checkpointer's pause between two passes while commits come in, and when none did. A
/// pass copies each page once however many commits rewrote it since the last one (the tail
/// pages of every table, a conversation's index leaf): at 20 ms it wrote 10.8 KB per turn
/// against 12.9 KB at 5 ms, at 20 against 32 µs of CPU per turn; longer pauses copy less
/// again but their larger database fsyncs delay the WAL's (BENCHMARKS.md).
const CHECKPOINT_PAUSE: std::time::Duration = std::time::Duration::from_millis(20);
const CHECKPOINT_IDLE_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

/// Read connections kept open.
const READERS: usize = 4;

pub struct SqliteStore {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    /// The WAL file, for [`Store::sync`] after [`Store::commit_unsynced`].
    wal_file: std::fs::File,
    readers: Vec<Mutex<Connection>>,
    checkpointer: Option<Checkpointer>,
}

/// Checkpoints the WAL from its own connection and thread, so the writer (the one thread every
/// acknowledged turn waits on) does not copy pages. `wal_autocheckpoint` is off on the writer.
struct Checkpointer {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        if let Some(c) = self.checkpointer.as_mut() {
            c.stop.store(true, Ordering::Relaxed);
            if let Some(t) = c.thread.take() {
                let _ = t.join();
            }
        }
    }
}

/// The checkpointer copies WAL frames into the database beside the writer (PASSIVE: it never
/// blocks a commit), continuously, since under constant writes there is always something to copy.
/// Such a checkpoint cannot finish while commits keep appending, and the WAL restarts only after
/// one has; so once the WAL holds [`WAL_RESTART_FRAMES`], the checkpointer takes the writer's
/// lock and copies the remainder (the frames appended during its last pass, a few commits'
/// worth): the next commit then overwrites the WAL from its start. Should readers keep it from
/// restarting until it passes [`WAL_BOUND_BYTES`], that last step truncates it instead.
fn start_checkpointer(
    path: &Path,
    writer: Arc<Mutex<Connection>>,
    wal: PathBuf,
) -> Option<Checkpointer> {
    let conn = Connection::open(path).ok()?;
    conn.busy_timeout(std::time::Duration::from_secs(5)).ok()?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("callvault-checkpoint".into())
        .spawn(move || {
            let mut last_frames = 0;
            let mut idle = false;
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(if idle {
                    CHECKPOINT_IDLE_PAUSE
                } else {
                    CHECKPOINT_PAUSE
                });
                let frames = match checkpoint(&conn, "PASSIVE") {
                    Ok((_, frames, copied)) => {
                        // Nothing was committed since the last pass, and all of it is copied.
                        idle = frames == last_frames && copied == frames;
                        last_frames = frames;
                        frames
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "WAL checkpoint failed");
                        continue;
                    }
                };
                if frames < WAL_RESTART_FRAMES {
                    continue;
                }
                let oversized = std::fs::metadata(&wal).is_ok_and(|m| m.len() > WAL_BOUND_BYTES);
                let Ok(writer) = writer.lock() else {
                    // Every write fails from here on too ("writer connection poisoned").
                    tracing::error!("writer connection poisoned; WAL checkpoints stop");
                    return;
                };
                match checkpoint(&writer, if oversized { "TRUNCATE" } else { "PASSIVE" }) {
                    Ok((false, _, _)) => {}
                    // A reader holds older frames: the WAL restarts after a later pass. Only
                    // past the bound is that worth a warning.
                    Ok((true, _, _)) if !oversized => {}
                    Ok((true, _, _)) => {
                        tracing::warn!(
                            "WAL truncation blocked by a reader; retried on the next pass"
                        )
                    }
                    Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
                }
            }
            let _ = checkpoint(&conn, "TRUNCATE");
        })
        .ok()?;
    Some(Checkpointer {
        stop,
        thread: Some(thread),
    })
}

/// Runs a checkpoint: whether it was kept from finishing, the frames in the WAL, and how many
/// of them are copied into the database.
fn checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<(bool, i64, i64)> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
        Ok((
            r.get::<_, i64>(0)? != 0,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let open_err = |e: rusqlite::Error| StoreError::Open {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let mut writer = Connection::open(path).map_err(open_err)?;
        configure(&writer).map_err(open_err)?;
        migrate(&mut writer)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let reader = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )
            .map_err(open_err)?;
            reader
                .busy_timeout(std::time::Duration::from_secs(5))
                .map_err(open_err)?;
            readers.push(Mutex::new(reader));
        }
        writer
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(open_err)?;
        // The one writer keeps the hot index pages in memory (SQLite's default is 2 MiB);
        // readers keep the default.
        writer
            .pragma_update(None, "cache_size", -WRITER_CACHE_KIB)
            .map_err(open_err)?;
        let wal = PathBuf::from(format!("{}-wal", path.display()));
        // The WAL exists from the first read in WAL mode (the migration check) until the last
        // connection closes: it outlives every commit this store makes.
        let wal_file = std::fs::File::open(&wal).map_err(|e| StoreError::Open {
            path: wal.display().to_string(),
            reason: e.to_string(),
        })?;
        let writer = Arc::new(Mutex::new(writer));
        Ok(SqliteStore {
            path: path.to_owned(),
            wal_file,
            checkpointer: start_checkpointer(path, Arc::clone(&writer), wal),
            writer,
            readers,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.writer
            .lock()
            .map_err(|_| StoreError::Backend("writer connection poisoned".into()))
    }

    /// A free read connection, or the first one to come free.
    fn read(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        for reader in &self.readers {
            if let Ok(guard) = reader.try_lock() {
                return Ok(guard);
            }
        }
        self.readers[0]
            .lock()
            .map_err(|_| StoreError::Backend("reader connection poisoned".into()))
    }
}

/// The writer connection's page cache, in KiB.
const WRITER_CACHE_KIB: i64 = 16 * 1024;

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let supported = SQLITE.len() as i64;
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    for (i, sql) in SQLITE.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "database migrated");
    }
    Ok(())
}

fn conversation_row(r: &Row<'_>) -> rusqlite::Result<ConversationRow> {
    Ok(ConversationRow {
        tenant: r.get(0)?,
        id: r.get(1)?,
        customer_ref: r.get(2)?,
        created_at: r.get(3)?,
        n_turns: r.get::<_, i64>(4)? as u64,
        created_by: r.get(5)?,
        erased_at: r.get(6)?,
    })
}

/// A turn row from its eleven columns, in table order.
fn turn_row(r: &Row<'_>) -> rusqlite::Result<TurnRow> {
    Ok(TurnRow {
        tenant: r.get(0)?,
        conversation: r.get(1)?,
        seq: r.get::<_, i64>(2)? as u64,
        id: r.get(3)?,
        speaker: r.get(4)?,
        redacted: r.get(5)?,
        findings: r.get(6)?,
        sealed: r.get(7)?,
        started_at: r.get(8)?,
        ended_at: r.get(9)?,
        created_at: r.get(10)?,
    })
}

/// Inserts a token row; `in_turn`: it is listed in its turn's `token_ids` (else it is indexed
/// by conversation).
fn insert_token(
    stmt: &mut rusqlite::CachedStatement<'_>,
    k: &TokenRow,
    in_turn: bool,
) -> rusqlite::Result<usize> {
    stmt.execute(params![
        k.tenant,
        k.conversation,
        k.token_id,
        k.entity,
        k.label,
        &k.blind_index[..],
        k.sealed,
        k.turn_seq as i64,
        in_turn
    ])
}

/// A token row from its eight columns, in table order.
fn token_row(r: &Row<'_>) -> rusqlite::Result<TokenRow> {
    Ok(TokenRow {
        tenant: r.get(0)?,
        conversation: r.get(1)?,
        token_id: r.get(2)?,
        entity: r.get(3)?,
        label: r.get(4)?,
        blind_index: blind_index(r.get(5)?),
        sealed: r.get::<_, Option<Vec<u8>>>(6)?.unwrap_or_default(),
        turn_seq: r.get::<_, i64>(7)? as u64,
    })
}

fn blind_index(bytes: Option<Vec<u8>>) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Some(b) = bytes.filter(|b| b.len() == 32) {
        out.copy_from_slice(&b);
    }
    out
}

fn kind_str(kind: TenantKeyKind) -> &'static str {
    kind.as_str()
}

fn parse_kind(s: &str) -> Result<TenantKeyKind, StoreError> {
    match s {
        "wrapping" => Ok(TenantKeyKind::Wrapping),
        "index" => Ok(TenantKeyKind::Index),
        _ => Err(StoreError::Corrupt("unknown tenant key kind")),
    }
}

fn data_key_row(r: &Row<'_>) -> rusqlite::Result<(DataKeyRecord, String)> {
    let state: String = r.get(4)?;
    Ok((
        DataKeyRecord {
            tenant: r.get(0)?,
            customer: r.get(1)?,
            version: r.get::<_, i64>(2)? as u32,
            wrapped_by: r.get::<_, i64>(3)? as u32,
            state: if state == "active" {
                DataKeyState::Active
            } else {
                DataKeyState::Destroyed
            },
            wrapped: r.get(5)?,
        },
        state,
    ))
}

/// Fails if the wrapping version is gone (inside the caller's write transaction, so a
/// retirement cannot slip in between).
fn require_wrapping(
    tx: &rusqlite::Transaction<'_>,
    tenant: &str,
    version: u32,
) -> Result<(), VaultError> {
    let exists: bool = tx
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM tenant_keys WHERE tenant = ?1 AND kind = 'wrapping' AND version = ?2)",
            params![tenant, version as i64],
            |r| r.get(0),
        )
        .map_err(StoreError::from)?;
    if !exists {
        return Err(VaultError::UnknownKeyVersion {
            tenant: tenant.to_owned(),
            version,
        });
    }
    Ok(())
}

const DATA_KEY_COLUMNS: &str = "tenant, customer, version, wrapped_by, state, wrapped";

impl Store for SqliteStore {
    fn create_tenant(
        &self,
        tenant: &str,
        name: &str,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut conn = self.write()?;
        let tx = conn.transaction()?;
        let n = tx.execute(
            "INSERT OR IGNORE INTO tenants (id, name, created_at) VALUES (?1, ?2, unixepoch('subsec') * 1000)",
            params![tenant, name],
        )?;
        if n == 1 {
            append_audit(&tx, [audit])?;
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
        let mut conn = self.write()?;
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT OR IGNORE INTO principals (tenant, id, name, role, created_at, kind) VALUES (?1, ?2, ?3, ?4, unixepoch('subsec') * 1000, 'service')",
            params![principal.tenant, principal.id, principal.name, principal.role],
        )?;
        let (role, kind, disabled): (String, String, Option<i64>) = tx.query_row(
            "SELECT role, kind, disabled_at FROM principals WHERE tenant = ?1 AND id = ?2",
            params![principal.tenant, principal.id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        if role != principal.role || kind != "service" || disabled.is_some() {
            return Err(StoreError::Conflict(
                "the principal exists with another role or kind, or is disabled",
            ));
        }
        let scopes = principal.scopes.as_ref().map(|s| s.join(","));
        tx.execute(
            "INSERT INTO service_tokens (token_hash, tenant, principal, created_at, expires_at, scopes) VALUES (?1, ?2, ?3, unixepoch('subsec') * 1000, ?4, ?5)",
            params![&token_hash[..], principal.tenant, principal.id, principal.expires_at, scopes],
        )?;
        append_audit(&tx, [audit])?;
        tx.commit()?;
        Ok(())
    }

    fn principal_by_token(
        &self,
        token_hash: &[u8; 32],
        now_ms: i64,
    ) -> Result<Option<Principal>, StoreError> {
        Ok(self
            .read()?
            .prepare_cached(
                "SELECT p.tenant, p.id, p.name, p.role, t.expires_at, t.scopes FROM service_tokens t
                 JOIN principals p ON p.tenant = t.tenant AND p.id = t.principal
                 WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?2)
                   AND p.disabled_at IS NULL",
            )?
            .query_row(params![&token_hash[..], now_ms], |r| {
                Ok(Principal {
                    tenant: r.get(0)?,
                    id: r.get(1)?,
                    name: r.get(2)?,
                    role: r.get(3)?,
                    expires_at: r.get(4)?,
                    session: crate::token_public_id(token_hash),
                    source: None,
                    scopes: crate::model::parse_scopes(r.get(5)?),
                    elevated_until: None,
                    kind: PrincipalKind::Service,
                    credential: *token_hash,
                })
            })
            .optional()?)
    }

    fn revoke_principal_tokens(
        &self,
        tenant: &str,
        principal: &str,
        now_ms: i64,
        audit: &AuditRecord,
    ) -> Result<u64, StoreError> {
        let mut conn = self.write()?;
        let tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE service_tokens SET revoked_at = ?3 WHERE tenant = ?1 AND principal = ?2 AND revoked_at IS NULL",
            params![tenant, principal, now_ms],
        )?;
        append_audit(&tx, [audit])?;
        tx.commit()?;
        Ok(n as u64)
    }

    fn conversation(&self, tenant: &str, id: &str) -> Result<Option<ConversationRow>, StoreError> {
        Ok(self
            .read()?
            .prepare_cached(
                "SELECT c.tenant, c.id, c.customer_ref, c.created_at, (SELECT COALESCE(MAX(t.seq) + 1, 0) FROM turns t WHERE t.tenant = c.tenant AND t.conversation = c.id), c.created_by, c.erased_at
                 FROM conversations c WHERE c.tenant = ?1 AND c.id = ?2",
            )?
            .query_row(params![tenant, id], conversation_row)
            .optional()?)
    }

    fn list_conversations(
        &self,
        tenant: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ConversationRow>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT c.tenant, c.id, c.customer_ref, c.created_at, (SELECT COALESCE(MAX(t.seq) + 1, 0) FROM turns t WHERE t.tenant = c.tenant AND t.conversation = c.id), c.created_by, c.erased_at
             FROM conversations c WHERE c.tenant = ?1 AND c.id > ?2 ORDER BY c.id LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![tenant, after.unwrap_or(""), limit as i64],
            conversation_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn turns(&self, tenant: &str, conversation: &str) -> Result<Vec<TurnRow>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT tenant, conversation, seq, id, speaker, redacted, findings, sealed, started_at, ended_at, created_at
             FROM turns WHERE tenant = ?1 AND conversation = ?2 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![tenant, conversation], turn_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn last_turns(
        &self,
        tenant: &str,
        conversation: &str,
        n: usize,
    ) -> Result<Vec<TurnRow>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT tenant, conversation, seq, id, speaker, redacted, findings, sealed, started_at, ended_at, created_at
             FROM turns WHERE tenant = ?1 AND conversation = ?2 ORDER BY seq DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![tenant, conversation, n as i64], turn_row)?;
        let mut turns = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        turns.reverse();
        Ok(turns)
    }

    fn tokens_by_id(
        &self,
        tenant: &str,
        ids: &[String],
    ) -> Result<Vec<(TokenRow, String)>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT t.tenant, t.conversation, t.token_id, t.entity, t.label, t.blind_index, t.sealed, t.turn_seq, c.customer_ref
             FROM tokens t JOIN conversations c ON c.tenant = t.tenant AND c.id = t.conversation
             WHERE t.tenant = ?1 AND t.token_id = ?2",
        )?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let row = stmt
                .query_row(params![tenant, id], |r| Ok((token_row(r)?, r.get(8)?)))
                .optional()?;
            out.extend(row);
        }
        Ok(out)
    }

    fn tokens(&self, tenant: &str, conversation: &str) -> Result<Vec<TokenRow>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT k.tenant, k.conversation, k.token_id, k.entity, k.label, k.blind_index, k.sealed, k.turn_seq
             FROM turns u, json_each(u.token_ids) j
             JOIN tokens k ON k.tenant = u.tenant AND k.token_id = j.value
             WHERE u.tenant = ?1 AND u.conversation = ?2 AND k.conversation = ?2
             UNION ALL
             SELECT tenant, conversation, token_id, entity, label, blind_index, sealed, turn_seq
             FROM tokens WHERE tenant = ?1 AND conversation = ?2 AND in_turn = 0
             ORDER BY 8, 5",
        )?;
        let rows = stmt.query_map(params![tenant, conversation], token_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn commit(
        &self,
        conversations: &[ConversationRow],
        batch: &[TurnWrite],
        tokens: &[TokenRow],
        audit: &[AuditRecord],
    ) -> Result<u64, StoreError> {
        write_batch(&mut *self.write()?, conversations, batch, tokens, audit)
    }

    /// The batch is committed with `synchronous=NORMAL`: SQLite writes its WAL frames without
    /// an fsync (checkpoints and a WAL restart still sync, so the database stays consistent
    /// after a crash), and [`Store::sync`] flushes the WAL. Every other write of this
    /// connection stays `FULL`.
    fn commit_unsynced(
        &self,
        conversations: &[ConversationRow],
        batch: &[TurnWrite],
        tokens: &[TokenRow],
        audit: &[AuditRecord],
    ) -> Result<u64, StoreError> {
        let mut conn = self.write()?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let result = write_batch(&mut conn, conversations, batch, tokens, audit);
        conn.pragma_update(None, "synchronous", "FULL")?;
        result
    }

    /// An fsync of the WAL file covers every frame written to it before the call, so every
    /// commit that returned before it is durable when it returns.
    fn sync(&self) -> Result<(), StoreError> {
        self.wal_file
            .sync_data()
            .map_err(|e| StoreError::Backend(format!("WAL fsync failed: {e}")))
    }

    fn search(
        &self,
        tenant: &str,
        blind_index: &[u8; 32],
        limit: usize,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT conversation, label, token_id FROM tokens WHERE tenant = ?1 AND blind_index = ?2
             ORDER BY conversation, label LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![tenant, &blind_index[..], limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn set_retention(
        &self,
        tenant: &str,
        days: Option<u32>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let mut conn = self.write()?;
        let tx = conn.transaction()?;
        match days {
            Some(days) => tx.execute(
                "INSERT INTO retention (tenant, days) VALUES (?1, ?2) ON CONFLICT (tenant) DO UPDATE SET days = ?2",
                params![tenant, days],
            )?,
            None => tx.execute("DELETE FROM retention WHERE tenant = ?1", params![tenant])?,
        };
        append_audit(&tx, [audit])?;
        tx.commit()?;
        Ok(())
    }

    fn retention_policies(&self) -> Result<Vec<(String, u32)>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached("SELECT tenant, days FROM retention ORDER BY tenant")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u32)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn set_legal_hold(
        &self,
        tenant: &str,
        conversation: &str,
        hold: bool,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut conn = self.write()?;
        let tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE conversations SET legal_hold = ?3 WHERE tenant = ?1 AND id = ?2",
            params![tenant, conversation, hold],
        )?;
        if n == 1 {
            append_audit(&tx, [audit])?;
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
        let mut conn = self.write()?;
        let tx = conn.transaction()?;
        tx.execute(
            "CREATE TEMP TABLE IF NOT EXISTS purging (id TEXT PRIMARY KEY)",
            [],
        )?;
        tx.execute("DELETE FROM purging", [])?;
        let conversations = tx.execute(
            "INSERT INTO purging (id) SELECT id FROM conversations
             WHERE tenant = ?1 AND created_at < ?2 AND legal_hold = 0 ORDER BY created_at LIMIT ?3",
            params![tenant, before_ms, limit as i64],
        )?;
        let tokens = tx.execute(
            "DELETE FROM tokens WHERE tenant = ?1 AND token_id IN
             (SELECT j.value FROM turns u, json_each(u.token_ids) j
              WHERE u.tenant = ?1 AND u.conversation IN (SELECT id FROM purging))",
            params![tenant],
        )? + tx.execute(
            "DELETE FROM tokens WHERE tenant = ?1 AND in_turn = 0 AND conversation IN (SELECT id FROM purging)",
            params![tenant],
        )?;
        let turns = tx.execute(
            "DELETE FROM turns WHERE tenant = ?1 AND conversation IN (SELECT id FROM purging)",
            params![tenant],
        )?;
        let purged = ids(&tx, "SELECT id FROM purging ORDER BY id", params![])?;
        tx.execute(
            "DELETE FROM conversations WHERE tenant = ?1 AND id IN (SELECT id FROM purging)",
            params![tenant],
        )?;
        if conversations == 0 {
            return Ok(ErasureCounts::default());
        }
        let mut record = audit.clone();
        record.resources.conversations.extend(purged);
        record.detail = Some(format!(
            "conversations={conversations} turns={turns} tokens={tokens}"
        ));
        append_audit(&tx, [&record])?;
        tx.commit()?;
        Ok(ErasureCounts {
            conversations: conversations as u64,
            turns: turns as u64,
            tokens: tokens as u64,
        })
    }

    fn erase_customer(
        &self,
        tenant: &str,
        customer_ref: &str,
        audit: &AuditRecord,
    ) -> Result<ErasureCounts, StoreError> {
        let mut conn = self.write()?;
        let tx = conn.transaction()?;
        let affected = ids(
            &tx,
            "SELECT id FROM conversations WHERE tenant = ?1 AND customer_ref = ?2 ORDER BY id",
            params![tenant, customer_ref],
        )?;
        let conversations: i64 = tx.query_row(
            "SELECT COUNT(*) FROM conversations WHERE tenant = ?1 AND customer_ref = ?2",
            params![tenant, customer_ref],
            |r| r.get(0),
        )?;
        let turns: i64 = tx.query_row(
            "SELECT COUNT(*) FROM turns WHERE tenant = ?1 AND conversation IN
             (SELECT id FROM conversations WHERE tenant = ?1 AND customer_ref = ?2)",
            params![tenant, customer_ref],
            |r| r.get(0),
        )?;
        let tokens = tx.execute(
            "UPDATE tokens SET blind_index = NULL, sealed = NULL WHERE tenant = ?1 AND token_id IN
             (SELECT j.value FROM turns u, json_each(u.token_ids) j
              WHERE u.tenant = ?1 AND u.conversation IN
              (SELECT id FROM conversations WHERE tenant = ?1 AND customer_ref = ?2))",
            params![tenant, customer_ref],
        )? + tx.execute(
            "UPDATE tokens SET blind_index = NULL, sealed = NULL WHERE tenant = ?1 AND in_turn = 0 AND conversation IN
             (SELECT id FROM conversations WHERE tenant = ?1 AND customer_ref = ?2)",
            params![tenant, customer_ref],
        )?;
        tx.execute(
            "UPDATE conversations SET erased_at = ?3
             WHERE tenant = ?1 AND customer_ref = ?2 AND erased_at IS NULL",
            params![tenant, customer_ref, audit.time_ms],
        )?;
        let mut record = audit.clone();
        record.resources.conversations.extend(affected);
        record.detail = Some(format!(
            "conversations={conversations} turns={turns} tokens_unlinked={tokens}"
        ));
        append_audit(&tx, [&record])?;
        tx.commit()?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(ErasureCounts {
            conversations: conversations as u64,
            turns: turns as u64,
            tokens: tokens as u64,
        })
    }

    fn create_person(
        &self,
        person: &PersonRow,
        recovery_hashes: &[[u8; 32]],
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut conn = self.write()?;
        let tx = conn.transaction()?;
        let n = tx.execute(
            "INSERT OR IGNORE INTO principals (tenant, id, name, role, created_at, kind, password_hash, totp_sealed)
             VALUES (?1, ?2, ?3, ?4, unixepoch('subsec') * 1000, 'person', ?5, ?6)",
            params![person.tenant, person.id, person.name, person.role, person.password_hash, person.totp_sealed],
        )?;
        if n == 0 {
            return Ok(false);
        }
        {
            let mut code = tx.prepare_cached(
                "INSERT INTO recovery_codes (tenant, principal, code_hash) VALUES (?1, ?2, ?3)",
            )?;
            for h in recovery_hashes {
                code.execute(params![person.tenant, person.id, &h[..]])?;
            }
        }
        append_audit(&tx, [audit])?;
        tx.commit()?;
        Ok(true)
    }

    fn person(&self, tenant: &str, username: &str) -> Result<Option<PersonRow>, StoreError> {
        Ok(self
            .read()?
            .prepare_cached(
                "SELECT tenant, id, name, role, password_hash, totp_sealed, totp_last_step, failed_logins, locked_until, disabled_at
                 FROM principals WHERE tenant = ?1 AND id = ?2 AND kind = 'person'",
            )?
            .query_row(params![tenant, username], |r| {
                Ok(PersonRow {
                    tenant: r.get(0)?,
                    id: r.get(1)?,
                    name: r.get(2)?,
                    role: r.get(3)?,
                    password_hash: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    totp_sealed: r.get::<_, Option<Vec<u8>>>(5)?.unwrap_or_default(),
                    totp_last_step: r.get(6)?,
                    failed_logins: r.get::<_, i64>(7)? as u32,
                    locked_until: r.get(8)?,
                    disabled: r.get::<_, Option<i64>>(9)?.is_some(),
                })
            })
            .optional()?)
    }

    fn login_failed(
        &self,
        tenant: &str,
        username: &str,
        lock_after: u32,
        lock_until: i64,
        audit: &AuditRecord,
    ) -> Result<u32, StoreError> {
        let mut conn = self.write()?;
        let tx = conn.transaction()?;
        let count: Option<i64> = tx
            .query_row(
                "UPDATE principals SET failed_logins = failed_logins + 1,
                   locked_until = CASE WHEN failed_logins + 1 >= ?3 THEN ?4 ELSE locked_until END
                 WHERE tenant = ?1 AND id = ?2 AND kind = 'person' RETURNING failed_logins",
                params![tenant, username, lock_after, lock_until],
                |r| r.get(0),
            )
            .optional()?;
        append_audit(&tx, [audit])?;
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
        let mut conn = self.write()?;
        let tx = conn.transaction()?;
        let accepted = match (totp_step, recovery_hash) {
            (Some(step), _) => tx.execute(
                "UPDATE principals SET totp_last_step = ?3, failed_logins = 0, locked_until = NULL
                 WHERE tenant = ?1 AND id = ?2 AND totp_last_step < ?3 AND disabled_at IS NULL",
                params![session.tenant, session.principal, step],
            )?,
            (None, Some(hash)) => {
                let used = tx.execute(
                    "UPDATE recovery_codes SET used_at = ?4
                     WHERE tenant = ?1 AND principal = ?2 AND code_hash = ?3 AND used_at IS NULL",
                    params![
                        session.tenant,
                        session.principal,
                        &hash[..],
                        session.created_at
                    ],
                )?;
                if used == 1 {
                    tx.execute(
                        "UPDATE principals SET failed_logins = 0, locked_until = NULL WHERE tenant = ?1 AND id = ?2",
                        params![session.tenant, session.principal],
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
             VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7)",
            params![
                &session.token_hash[..],
                session.tenant,
                session.principal,
                session.created_at,
                session.expires_at,
                session.idle_ms,
                session.source
            ],
        )?;
        append_audit(&tx, [audit])?;
        tx.commit()?;
        Ok(true)
    }

    fn session(
        &self,
        token_hash: &[u8; 32],
        now_ms: i64,
    ) -> Result<Option<(Principal, SessionRow)>, StoreError> {
        Ok(self
            .read()?
            .prepare_cached(
                "SELECT s.tenant, s.principal, p.name, p.role, s.created_at, s.last_seen_at, s.expires_at, s.idle_ms, s.source, s.elevated_until
                 FROM sessions s JOIN principals p ON p.tenant = s.tenant AND p.id = s.principal
                 WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2
                   AND s.last_seen_at + s.idle_ms > ?2 AND p.disabled_at IS NULL",
            )?
            .query_row(params![&token_hash[..], now_ms], |r| {
                let row = SessionRow {
                    token_hash: *token_hash,
                    tenant: r.get(0)?,
                    principal: r.get(1)?,
                    created_at: r.get(4)?,
                    last_seen_at: r.get(5)?,
                    expires_at: r.get(6)?,
                    idle_ms: r.get(7)?,
                    source: r.get(8)?,
                    elevated_until: r.get(9)?,
                };
                let principal = Principal {
                    tenant: row.tenant.clone(),
                    id: row.principal.clone(),
                    name: r.get(2)?,
                    role: r.get(3)?,
                    expires_at: Some(row.expires_at),
                    session: crate::model::session_public_id(token_hash),
                    source: None,
                    scopes: None,
                    elevated_until: row.elevated_until,
                    kind: PrincipalKind::Person,
                    credential: *token_hash,
                };
                Ok((principal, row))
            })
            .optional()?)
    }

    fn touch_session(&self, token_hash: &[u8; 32], now_ms: i64) -> Result<(), StoreError> {
        self.write()?.execute(
            "UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1 AND last_seen_at < ?2",
            params![&token_hash[..], now_ms],
        )?;
        Ok(())
    }

    fn revoke_session(
        &self,
        token_hash: &[u8; 32],
        now_ms: i64,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut conn = self.write()?;
        let tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE sessions SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL",
            params![&token_hash[..], now_ms],
        )?;
        append_audit(&tx, [audit])?;
        tx.commit()?;
        Ok(n == 1)
    }

    fn elevate_session(
        &self,
        token_hash: &[u8; 32],
        until: i64,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut conn = self.write()?;
        let tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE sessions SET elevated_until = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL",
            params![&token_hash[..], until],
        )?;
        if n == 1 {
            append_audit(&tx, [audit])?;
            tx.commit()?;
        }
        Ok(n == 1)
    }

    fn principals(&self, tenant: &str) -> Result<Vec<PrincipalSummary>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT p.tenant, p.id, p.name, p.role, p.kind, p.created_at, p.disabled_at,
                    (SELECT COUNT(*) FROM service_tokens t WHERE t.tenant = p.tenant AND t.principal = p.id AND t.revoked_at IS NULL)
             FROM principals p WHERE p.tenant = ?1 ORDER BY p.id",
        )?;
        let rows = stmt.query_map(params![tenant], |r| {
            Ok(PrincipalSummary {
                tenant: r.get(0)?,
                id: r.get(1)?,
                name: r.get(2)?,
                role: r.get(3)?,
                kind: PrincipalKind::parse(&r.get::<_, String>(4)?),
                created_at: r.get(5)?,
                disabled_at: r.get(6)?,
                live_tokens: r.get::<_, i64>(7)? as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn disable_principal(
        &self,
        tenant: &str,
        id: &str,
        now_ms: i64,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut conn = self.write()?;
        let tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE principals SET disabled_at = ?3 WHERE tenant = ?1 AND id = ?2 AND disabled_at IS NULL",
            params![tenant, id, now_ms],
        )?;
        if n == 0 {
            return Ok(false);
        }
        tx.execute(
            "UPDATE service_tokens SET revoked_at = ?3 WHERE tenant = ?1 AND principal = ?2 AND revoked_at IS NULL",
            params![tenant, id, now_ms],
        )?;
        tx.execute(
            "UPDATE sessions SET revoked_at = ?3 WHERE tenant = ?1 AND principal = ?2 AND revoked_at IS NULL",
            params![tenant, id, now_ms],
        )?;
        append_audit(&tx, [audit])?;
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
        let n = self.write()?.execute(
            "UPDATE service_tokens SET expires_at = ?4
             WHERE tenant = ?1 AND principal = ?2 AND token_hash != ?3 AND revoked_at IS NULL
               AND (expires_at IS NULL OR expires_at > ?4)",
            params![tenant, principal, &keep[..], at],
        )?;
        Ok(n as u64)
    }

    fn live_tokens(
        &self,
        tenant: &str,
        principal: &str,
        now_ms: i64,
    ) -> Result<Vec<crate::LiveToken>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT scopes, expires_at FROM service_tokens
             WHERE tenant = ?1 AND principal = ?2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?3)",
        )?;
        let rows = stmt.query_map(params![tenant, principal, now_ms], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn create_alert(&self, alert: &AlertRow, audit: &AuditRecord) -> Result<(), StoreError> {
        let mut conn = self.write()?;
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO alerts (tenant, kind, principal, detail, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![alert.tenant, alert.kind, alert.principal, alert.detail, alert.created_at],
        )?;
        append_audit(&tx, [audit])?;
        tx.commit()?;
        Ok(())
    }

    fn alerts(&self, tenant: &str, limit: usize) -> Result<Vec<AlertRow>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT tenant, id, kind, principal, detail, created_at FROM alerts WHERE tenant = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![tenant, limit as i64], |r| {
            Ok(AlertRow {
                tenant: r.get(0)?,
                id: r.get(1)?,
                kind: r.get(2)?,
                principal: r.get(3)?,
                detail: r.get(4)?,
                created_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn create_approval(&self, row: &ApprovalRow, audit: &AuditRecord) -> Result<(), StoreError> {
        let mut conn = self.write()?;
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO approvals (tenant, id, requester, action, scope, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![row.tenant, row.id, row.requester, row.action, row.scope, row.created_at, row.expires_at],
        )?;
        append_audit(&tx, [audit])?;
        tx.commit()?;
        Ok(())
    }

    fn approval(&self, tenant: &str, id: &str) -> Result<Option<ApprovalRow>, StoreError> {
        Ok(self
            .read()?
            .prepare_cached(
                "SELECT tenant, id, requester, action, scope, created_at, expires_at, approved_by, used_at
                 FROM approvals WHERE tenant = ?1 AND id = ?2",
            )?
            .query_row(params![tenant, id], |r| {
                Ok(ApprovalRow {
                    tenant: r.get(0)?,
                    id: r.get(1)?,
                    requester: r.get(2)?,
                    action: r.get(3)?,
                    scope: r.get(4)?,
                    created_at: r.get(5)?,
                    expires_at: r.get(6)?,
                    approved_by: r.get(7)?,
                    used_at: r.get(8)?,
                })
            })
            .optional()?)
    }

    fn approve(
        &self,
        tenant: &str,
        id: &str,
        approver: &str,
        now_ms: i64,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        let mut conn = self.write()?;
        let tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE approvals SET approved_by = ?3, approved_at = ?4
             WHERE tenant = ?1 AND id = ?2 AND requester != ?3 AND approved_by IS NULL AND expires_at > ?4",
            params![tenant, id, approver, now_ms],
        )?;
        if n == 1 {
            append_audit(&tx, [audit])?;
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
        let n = self.write()?.execute(
            "UPDATE approvals SET used_at = ?4
             WHERE tenant = ?1 AND id = ?2 AND requester = ?3 AND approved_by IS NOT NULL
               AND used_at IS NULL AND expires_at > ?4",
            params![tenant, id, requester, now_ms],
        )?;
        Ok(n == 1)
    }

    fn audit_head(&self) -> Result<Frontier, StoreError> {
        let (size, frontier): (i64, Vec<u8>) = self.read()?.query_row(
            "SELECT size, frontier FROM audit_head WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        audit::frontier(size, &frontier)
    }

    fn audit_node(&self, level: u32, index: u64) -> Result<Option<Hash>, StoreError> {
        let conn = self.read()?;
        let hash: Option<Vec<u8>> = if level == 0 {
            conn.prepare_cached("SELECT leaf_hash FROM audit_entries WHERE seq = ?1")?
                .query_row(params![index as i64], |r| r.get(0))
                .optional()?
        } else {
            conn.prepare_cached("SELECT hash FROM audit_nodes WHERE pos = ?1")?
                .query_row(params![audit::node_position(level, index)?], |r| r.get(0))
                .optional()?
        };
        hash.map(|h| audit::hash_from(&h)).transpose()
    }

    fn audit_entries(&self, from_seq: u64, limit: usize) -> Result<Vec<StoredEntry>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT seq, entry, leaf_hash FROM audit_entries WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![from_seq as i64, limit as i64], stored_entry)?;
        rows.map(|r| r.map_err(StoreError::from).and_then(|r| r))
            .collect()
    }

    fn audit_query(&self, q: &AuditQuery) -> Result<Vec<StoredEntry>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT seq, entry, leaf_hash FROM audit_entries
             WHERE (?1 IS NULL OR tenant = ?1) AND (?2 IS NULL OR principal = ?2)
               AND (?3 IS NULL OR action = ?3) AND (?4 IS NULL OR time_ms >= ?4)
               AND (?5 IS NULL OR time_ms < ?5) AND seq > ?6
             ORDER BY seq LIMIT ?7",
        )?;
        let after = q.after_seq.map_or(-1, |s| s as i64);
        let rows = stmt.query_map(
            params![
                q.tenant,
                q.principal,
                q.action,
                q.from_ms,
                q.to_ms,
                after,
                q.limit as i64
            ],
            stored_entry,
        )?;
        rows.map(|r| r.map_err(StoreError::from).and_then(|r| r))
            .collect()
    }

    fn save_checkpoint(&self, size: u64, note: &str, now_ms: i64) -> Result<(), StoreError> {
        self.write()?.execute(
            "INSERT OR IGNORE INTO audit_checkpoints (size, note, created_at) VALUES (?1, ?2, ?3)",
            params![size as i64, note, now_ms],
        )?;
        Ok(())
    }

    fn checkpoints(&self, after_size: u64, limit: usize) -> Result<Vec<(u64, String)>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT size, note FROM audit_checkpoints WHERE size > ?1 ORDER BY size LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after_size as i64, limit as i64], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn latest_checkpoint(&self) -> Result<Option<(u64, String)>, StoreError> {
        Ok(self
            .read()?
            .query_row(
                "SELECT size, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1",
                [],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
            )
            .optional()?)
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .read()?
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn put_meta_if_absent(&self, key: &str, value: &[u8]) -> Result<bool, StoreError> {
        let n = self.write()?.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
            params![key, value],
        )?;
        Ok(n == 1)
    }
}

/// Writes one group-commit batch in one transaction (see [`Store::commit`]).
fn write_batch(
    conn: &mut Connection,
    conversations: &[ConversationRow],
    batch: &[TurnWrite],
    tokens: &[TokenRow],
    audit: &[AuditRecord],
) -> Result<u64, StoreError> {
    let tx = conn.transaction()?;
    {
        let mut conversation = tx.prepare_cached(
            "INSERT INTO conversations (tenant, id, customer_ref, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for row in conversations {
            conversation.execute(params![
                row.tenant,
                row.id,
                row.customer_ref,
                row.created_at,
                row.created_by
            ])?;
        }
        let mut turn = tx.prepare_cached(
            "INSERT INTO turns (tenant, conversation, seq, id, speaker, redacted, findings, sealed, started_at, ended_at, created_at, token_ids)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        let mut token = tx.prepare_cached(
            "INSERT INTO tokens (tenant, conversation, token_id, entity, label, blind_index, sealed, turn_seq, in_turn)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for write in batch {
            let t = &write.turn;
            turn.execute(params![
                t.tenant,
                t.conversation,
                t.seq as i64,
                t.id,
                t.speaker,
                t.redacted,
                t.findings,
                t.sealed,
                t.started_at,
                t.ended_at,
                t.created_at,
                write.token_ids()
            ])?;
            for k in &write.new_tokens {
                insert_token(&mut token, k, true)?;
            }
        }
        for k in tokens {
            insert_token(&mut token, k, false)?;
        }
    }
    let first_seq = append_audit(&tx, audit)?;
    tx.commit()?;
    Ok(first_seq)
}

/// Appends audit records inside a write transaction; returns the first one's sequence number.
fn append_audit<'a>(
    tx: &Transaction<'_>,
    records: impl IntoIterator<Item = &'a AuditRecord>,
) -> Result<u64, StoreError> {
    let (size, frontier): (i64, Vec<u8>) = tx.query_row(
        "SELECT size, frontier FROM audit_head WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let first = size as u64;
    let prepared = audit::prepare(audit::frontier(size, &frontier)?, records)?;
    if prepared.entries.is_empty() {
        return Ok(first);
    }
    let mut entry = tx.prepare_cached(
        "INSERT INTO audit_entries (seq, time_ms, tenant, principal, action, leaf_hash, entry)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for e in &prepared.entries {
        entry.execute(params![
            e.seq as i64,
            e.record.time_ms,
            e.record.tenant,
            e.record.principal,
            e.record.action.as_str(),
            &e.leaf_hash[..],
            e.leaf
        ])?;
    }
    let mut node = tx.prepare_cached("INSERT INTO audit_nodes (pos, hash) VALUES (?1, ?2)")?;
    for (level, idx, hash) in &prepared.nodes {
        node.execute(params![audit::node_position(*level, *idx)?, &hash[..]])?;
    }
    tx.execute(
        "UPDATE audit_head SET size = ?1, frontier = ?2 WHERE id = 1",
        params![prepared.size as i64, prepared.frontier],
    )?;
    Ok(first)
}

fn stored_entry(r: &Row<'_>) -> rusqlite::Result<Result<StoredEntry, StoreError>> {
    let seq: i64 = r.get(0)?;
    let leaf: Vec<u8> = r.get(1)?;
    let hash: Vec<u8> = r.get(2)?;
    Ok(audit::hash_from(&hash).map(|leaf_hash| StoredEntry {
        seq: seq as u64,
        leaf,
        leaf_hash,
    }))
}

fn ids(
    tx: &Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<String>, StoreError> {
    let mut stmt = tx.prepare(sql)?;
    let rows = stmt.query_map(params, |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl KeyTable for SqliteStore {
    fn tenant_keys(&self, tenant: &str) -> Result<Vec<TenantKeyRecord>, VaultError> {
        let conn = self.read()?;
        let mut stmt = conn
            .prepare_cached("SELECT tenant, kind, version, wrapped FROM tenant_keys WHERE tenant = ?1 ORDER BY kind, version")
            .map_err(StoreError::from)?;
        let rows = stmt
            .query_map(params![tenant], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                ))
            })
            .map_err(StoreError::from)?;
        let mut out = Vec::new();
        for row in rows {
            let (tenant, kind, version, wrapped) = row.map_err(StoreError::from)?;
            out.push(TenantKeyRecord {
                tenant,
                kind: parse_kind(&kind)?,
                version: version as u32,
                wrapped,
            });
        }
        Ok(out)
    }

    fn insert_tenant_key(&self, record: &TenantKeyRecord) -> Result<bool, VaultError> {
        let n = self
            .write()?
            .execute(
                "INSERT OR IGNORE INTO tenant_keys (tenant, kind, version, wrapped) VALUES (?1, ?2, ?3, ?4)",
                params![record.tenant, kind_str(record.kind), record.version as i64, record.wrapped],
            )
            .map_err(StoreError::from)?;
        Ok(n == 1)
    }

    fn retire_wrapping_key(&self, tenant: &str, version: u32) -> Result<bool, VaultError> {
        let n = self
            .write()?
            .execute(
                "DELETE FROM tenant_keys WHERE tenant = ?1 AND kind = 'wrapping' AND version = ?2
                 AND NOT EXISTS (SELECT 1 FROM data_keys WHERE tenant = ?1 AND state = 'active' AND wrapped_by = ?2)",
                params![tenant, version as i64],
            )
            .map_err(StoreError::from)?;
        Ok(n == 1)
    }

    fn data_key(
        &self,
        tenant: &str,
        customer: &str,
        version: u32,
    ) -> Result<Option<DataKeyRecord>, VaultError> {
        let sql = format!("SELECT {DATA_KEY_COLUMNS} FROM data_keys WHERE tenant = ?1 AND customer = ?2 AND version = ?3");
        Ok(self
            .read()?
            .prepare_cached(&sql)
            .map_err(StoreError::from)?
            .query_row(params![tenant, customer, version as i64], data_key_row)
            .optional()
            .map_err(StoreError::from)?
            .map(|(r, _)| r))
    }

    fn latest_data_key(
        &self,
        tenant: &str,
        customer: &str,
    ) -> Result<Option<DataKeyRecord>, VaultError> {
        let sql = format!(
            "SELECT {DATA_KEY_COLUMNS} FROM data_keys WHERE tenant = ?1 AND customer = ?2 ORDER BY version DESC LIMIT 1"
        );
        Ok(self
            .read()?
            .prepare_cached(&sql)
            .map_err(StoreError::from)?
            .query_row(params![tenant, customer], data_key_row)
            .optional()
            .map_err(StoreError::from)?
            .map(|(r, _)| r))
    }

    fn insert_data_key(&self, record: &DataKeyRecord) -> Result<bool, VaultError> {
        let mut conn = self.write()?;
        let tx = conn.transaction().map_err(StoreError::from)?;
        require_wrapping(&tx, &record.tenant, record.wrapped_by)?;
        let n = tx
            .execute(
                "INSERT OR IGNORE INTO data_keys (tenant, customer, version, wrapped_by, state, wrapped)
                 VALUES (?1, ?2, ?3, ?4, 'active', ?5)",
                params![record.tenant, record.customer, record.version as i64, record.wrapped_by as i64, record.wrapped],
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
        let mut conn = self.write()?;
        let tx = conn.transaction().map_err(StoreError::from)?;
        require_wrapping(&tx, &record.tenant, record.wrapped_by)?;
        let n = tx
            .execute(
                "UPDATE data_keys SET wrapped_by = ?4, wrapped = ?5
                 WHERE tenant = ?1 AND customer = ?2 AND version = ?3 AND state = 'active' AND wrapped_by = ?6",
                params![
                    record.tenant,
                    record.customer,
                    record.version as i64,
                    record.wrapped_by as i64,
                    record.wrapped,
                    expected_wrapped_by as i64
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
             WHERE tenant = ?1 AND state = 'active' AND wrapped_by < ?2 AND (customer, version) > (?3, ?4)
             ORDER BY customer, version LIMIT ?5"
        );
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(&sql).map_err(StoreError::from)?;
        let rows = stmt
            .query_map(
                params![
                    tenant,
                    below as i64,
                    after_customer,
                    after_version,
                    limit as i64
                ],
                data_key_row,
            )
            .map_err(StoreError::from)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row.map_err(StoreError::from)?.0);
        }
        Ok(out)
    }

    fn count_wrapped_by(&self, tenant: &str, version: u32) -> Result<u64, VaultError> {
        let n: i64 = self
            .read()?
            .query_row(
                "SELECT COUNT(*) FROM data_keys WHERE tenant = ?1 AND state = 'active' AND wrapped_by = ?2",
                params![tenant, version as i64],
                |r| r.get(0),
            )
            .map_err(StoreError::from)?;
        Ok(n as u64)
    }

    fn destroy_data_keys(&self, tenant: &str, customer: &str) -> Result<Vec<u32>, VaultError> {
        let mut conn = self.write()?;
        let tx = conn.transaction().map_err(StoreError::from)?;
        let versions: Vec<u32> = {
            let mut stmt = tx
                .prepare("SELECT version FROM data_keys WHERE tenant = ?1 AND customer = ?2 AND state = 'active'")
                .map_err(StoreError::from)?;
            let rows = stmt
                .query_map(params![tenant, customer], |r| r.get::<_, i64>(0))
                .map_err(StoreError::from)?;
            rows.map(|v| v.map(|v| v as u32))
                .collect::<rusqlite::Result<_>>()
                .map_err(StoreError::from)?
        };
        // secure_delete overwrites the old page content when the row shrinks.
        tx.execute(
            "UPDATE data_keys SET state = 'destroyed', wrapped = X'' WHERE tenant = ?1 AND customer = ?2 AND state = 'active'",
            params![tenant, customer],
        )
        .map_err(StoreError::from)?;
        tx.commit().map_err(StoreError::from)?;
        // Old page images with the wrapped key live on in the WAL until a checkpoint; fold them
        // into the (secure-deleted) database and truncate the WAL.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(StoreError::from)?;
        Ok(versions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synchronous(store: &SqliteStore) -> i64 {
        store
            .write()
            .unwrap()
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap()
    }

    /// An unsynced batch is visible at once and survives a reopen after `sync`; the writer
    /// connection is back to `synchronous=FULL` (2) for every other write, also after a batch
    /// that failed.
    #[test]
    fn unsynced_batches_leave_the_connection_full() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("callvault.db");
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(synchronous(&store), 2);
        let record = AuditRecord::new("acme", "tester", callvault_audit::Action::TenantCreate);
        store.create_tenant("acme", "Acme", &record).unwrap();
        let conversation = ConversationRow {
            tenant: "acme".into(),
            id: "c1".into(),
            customer_ref: "cust-1".into(),
            created_at: 1,
            n_turns: 0,
            created_by: "ingest-1".into(),
            erased_at: None,
        };
        store
            .commit_unsynced(std::slice::from_ref(&conversation), &[], &[], &[])
            .unwrap();
        assert_eq!(synchronous(&store), 2);
        assert!(store.conversation("acme", "c1").unwrap().is_some());
        // The same conversation again fails the batch (primary key).
        assert!(store
            .commit_unsynced(std::slice::from_ref(&conversation), &[], &[], &[])
            .is_err());
        assert_eq!(synchronous(&store), 2);
        store.sync().unwrap();
        drop(store);
        let store = SqliteStore::open(&path).unwrap();
        assert!(store.conversation("acme", "c1").unwrap().is_some());
    }
}
