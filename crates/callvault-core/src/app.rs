//! [`Core`]: the application's operations, each taking an authenticated [`Principal`].
//!
//! Tenant isolation lives here: every lookup is by (principal's tenant, id), so another tenant's
//! conversation is simply "not found". Conversation state (next turn number, tokens, detector
//! context) is cached per conversation behind an async mutex, so the turns of one call are
//! processed in order and their labels stay consistent; on any failure the state is dropped and
//! reloaded from the store.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use callvault_detect::{Conversation, EntityType, Policy};
use callvault_store::{ConversationRow, Principal, Store, TurnRow};
use callvault_vault::Vault;
use lru::LruCache;
use serde::Serialize;

use crate::auth::{new_token, require_role, token_hash};
use crate::ingest::{
    process_partial, process_turn, restore_tokens, ConversationState, FindingOut, PartialOut,
    Speaker, TurnInput, TurnOut,
};
use crate::writer::GroupCommit;
use crate::CoreError;

/// Limits and sizes.
#[derive(Clone, Copy, Debug)]
pub struct CoreConfig {
    /// Longest turn text accepted, in bytes.
    pub max_turn_bytes: usize,
    /// Longest customer reference.
    pub max_ref_bytes: usize,
    /// Live conversations whose state stays in memory.
    pub conversation_cache: usize,
    /// Turns that may wait for the writer before callers are told to back off.
    pub write_queue: usize,
    /// Turns per transaction at most.
    pub max_batch: usize,
    /// How long an authenticated token is trusted before the store is asked again; bounds how
    /// long a token revoked on another server keeps working here.
    pub auth_cache_ttl: Duration,
}

impl Default for CoreConfig {
    fn default() -> CoreConfig {
        CoreConfig {
            max_turn_bytes: 16 * 1024,
            max_ref_bytes: 128,
            conversation_cache: 100_000,
            write_queue: 16_384,
            max_batch: 1024,
            auth_cache_ttl: Duration::from_secs(5),
        }
    }
}

/// A conversation as the API shows it: redacted only.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ConversationView {
    pub id: String,
    pub customer_ref: String,
    pub created_at: i64,
    pub turns: Vec<TurnView>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TurnView {
    pub id: String,
    pub seq: u64,
    pub speaker: String,
    pub redacted: String,
    pub findings: Vec<FindingOut>,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub created_at: i64,
}

/// One search hit.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    pub conversation: String,
    pub label: String,
    pub token: String,
}

/// What an erasure did, for the caller's records.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ErasureReceipt {
    pub customer_ref: String,
    pub erased_at: i64,
    pub data_key_versions_destroyed: Vec<u32>,
    pub conversations: u64,
    pub turns: u64,
    pub tokens_unlinked: u64,
}

/// Tokens made for a new tenant, shown once.
pub struct Provisioned {
    pub admin_token: zeroize::Zeroizing<String>,
    pub ingest_token: zeroize::Zeroizing<String>,
}

type StateSlot = Arc<tokio::sync::Mutex<Option<ConversationState>>>;

/// The application.
pub struct Core {
    store: Arc<dyn Store>,
    vault: Arc<Vault>,
    policy: Arc<Policy>,
    config: CoreConfig,
    states: Mutex<LruCache<(String, String), StateSlot>>,
    principals: Mutex<LruCache<[u8; 32], (Principal, Instant)>>,
    writer: Arc<GroupCommit>,
}

impl Core {
    pub fn new(store: Arc<dyn Store>, vault: Arc<Vault>, config: CoreConfig) -> Core {
        let capacity = NonZeroUsize::new(config.conversation_cache).unwrap_or(NonZeroUsize::MIN);
        Core {
            writer: Arc::new(GroupCommit::start(
                Arc::clone(&store),
                config.write_queue,
                config.max_batch,
            )),
            store,
            vault,
            policy: Arc::new(Policy::default()),
            config,
            states: Mutex::new(LruCache::new(capacity)),
            principals: Mutex::new(LruCache::new(
                NonZeroUsize::new(10_000).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }

    pub fn vault(&self) -> &Arc<Vault> {
        &self.vault
    }

    /// Creates a tenant with its keys, an admin token and an ingest token (blocking; for
    /// `callvault init`).
    pub fn provision_tenant(
        store: &dyn Store,
        vault: &Vault,
        tenant: &str,
        name: &str,
    ) -> Result<Provisioned, CoreError> {
        if !store.create_tenant(tenant, name)? {
            return Err(CoreError::invalid(
                "tenant_exists",
                "the tenant exists already",
            ));
        }
        vault.create_tenant(tenant)?;
        let make = |id: &str, role: &str| -> Result<zeroize::Zeroizing<String>, CoreError> {
            let (token, hash) = new_token()?;
            let principal = Principal {
                tenant: tenant.to_owned(),
                id: id.to_owned(),
                name: id.to_owned(),
                role: role.to_owned(),
                expires_at: None,
            };
            store.create_service_token(&principal, &hash)?;
            Ok(token)
        };
        Ok(Provisioned {
            admin_token: make("admin", "admin")?,
            ingest_token: make("ingest", "ingest")?,
        })
    }

    /// The principal behind a bearer token.
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal, CoreError> {
        if bearer.len() > 256 {
            return Err(CoreError::Unauthenticated);
        }
        let hash = token_hash(bearer);
        let now = now_ms();
        if let Some(p) = self.cached_principal(&hash, now)? {
            return Ok(p);
        }
        let store = Arc::clone(&self.store);
        let principal = blocking(move || store.principal_by_token(&hash, now))
            .await??
            .ok_or(CoreError::Unauthenticated)?;
        let mut cache = self.principals.lock().map_err(|_| CoreError::Internal)?;
        cache.put(hash, (principal.clone(), Instant::now()));
        Ok(principal)
    }

    /// A principal seen within the cache's time to live whose token has not expired since.
    fn cached_principal(&self, hash: &[u8; 32], now: i64) -> Result<Option<Principal>, CoreError> {
        let mut cache = self.principals.lock().map_err(|_| CoreError::Internal)?;
        let hit = cache
            .get(hash)
            .filter(|(p, at)| {
                at.elapsed() < self.config.auth_cache_ttl && p.expires_at.is_none_or(|e| e > now)
            })
            .map(|(p, _)| p.clone());
        if hit.is_none() {
            cache.pop(hash);
        }
        Ok(hit)
    }

    pub async fn create_conversation(
        &self,
        p: &Principal,
        customer_ref: &str,
    ) -> Result<ConversationRow, CoreError> {
        require_role(p, &["ingest", "admin"])?;
        check_ref(customer_ref, self.config.max_ref_bytes)?;
        let row = ConversationRow {
            tenant: p.tenant.clone(),
            id: random_id("conv_")?,
            customer_ref: customer_ref.to_owned(),
            created_at: now_ms(),
            n_turns: 0,
        };
        let store = Arc::clone(&self.store);
        let insert = row.clone();
        if !blocking(move || store.create_conversation(&insert)).await?? {
            return Err(CoreError::Internal);
        }
        Ok(row)
    }

    /// Redacts, seals and durably stores one final turn.
    pub async fn ingest(
        &self,
        p: &Principal,
        conversation: &str,
        input: TurnInput,
    ) -> Result<TurnOut, CoreError> {
        require_role(p, &["ingest", "admin"])?;
        if input.text.len() > self.config.max_turn_bytes {
            return Err(CoreError::invalid(
                "turn_too_long",
                format!(
                    "turn text is limited to {} bytes",
                    self.config.max_turn_bytes
                ),
            ));
        }
        if !input.is_final {
            return Err(CoreError::invalid(
                "partial_over_http",
                "interim (non-final) results go over the WebSocket stream; POST final turns",
            ));
        }
        let slot = self.state_slot(&p.tenant, conversation)?;
        let mut guard = slot.lock_owned().await;
        self.ensure_loaded(&mut guard, &p.tenant, conversation)
            .await?;
        let Some(state) = guard.as_mut() else {
            return Err(CoreError::Internal);
        };
        // The keys are nearly always in memory; when one is not (first turn, expiry), fetch it
        // on a blocking thread, since the key table may be a network database.
        let (data_key, index_key) = match self.vault.cached_keys(&p.tenant, &state.customer_ref) {
            Some(keys) => keys,
            None => {
                let (vault, tenant, customer) = (
                    Arc::clone(&self.vault),
                    p.tenant.clone(),
                    state.customer_ref.clone(),
                );
                blocking(move || -> Result<_, CoreError> {
                    Ok((
                        vault.data_key(&tenant, &customer)?,
                        vault.index_key(&tenant)?,
                    ))
                })
                .await??
            }
        };
        let turn_id = random_id("turn_")?;
        let result = process_turn(
            &data_key,
            &index_key,
            &self.policy,
            state,
            &input,
            turn_id,
            now_ms(),
        );
        let (out, write) = match result {
            Ok(done) => done,
            Err(e) => {
                // The state may have run ahead: drop it, the next turn reloads.
                *guard = None;
                return Err(e);
            }
        };
        // The commit runs in a task of its own that holds the conversation's lock: if this
        // request is cancelled while it waits (client gone, timeout), the commit still finishes,
        // and a failure still drops the state (which ran ahead) so the next turn reloads it.
        let writer = Arc::clone(&self.writer);
        let commit = tokio::spawn(async move {
            let result = writer.append(write).await;
            if result.is_err() {
                *guard = None;
            }
            result
        });
        commit.await.map_err(|_| CoreError::Internal)??;
        Ok(out)
    }

    /// Redacts an interim result of a live turn (the WebSocket stream); nothing is stored.
    pub async fn partial(
        &self,
        p: &Principal,
        conversation: &str,
        speaker: Speaker,
        text: &str,
    ) -> Result<PartialOut, CoreError> {
        require_role(p, &["ingest", "admin"])?;
        if text.len() > self.config.max_turn_bytes {
            return Err(CoreError::invalid(
                "turn_too_long",
                format!(
                    "turn text is limited to {} bytes",
                    self.config.max_turn_bytes
                ),
            ));
        }
        let slot = self.state_slot(&p.tenant, conversation)?;
        let mut guard = slot.lock().await;
        self.ensure_loaded(&mut guard, &p.tenant, conversation)
            .await?;
        let Some(state) = guard.as_ref() else {
            return Err(CoreError::Internal);
        };
        let index_key = match self.vault.cached_keys(&p.tenant, &state.customer_ref) {
            Some((_, index)) => index,
            None => {
                let (vault, tenant) = (Arc::clone(&self.vault), p.tenant.clone());
                blocking(move || vault.index_key(&tenant)).await??
            }
        };
        Ok(process_partial(
            &index_key,
            &self.policy,
            state,
            speaker,
            text,
        ))
    }

    /// Whether a conversation exists in the principal's tenant (before opening a stream).
    pub async fn conversation_exists(&self, p: &Principal, id: &str) -> Result<bool, CoreError> {
        require_role(p, &["ingest", "admin"])?;
        let (store, tenant, id) = (Arc::clone(&self.store), p.tenant.clone(), id.to_owned());
        Ok(blocking(move || store.conversation(&tenant, &id))
            .await??
            .is_some())
    }

    pub async fn conversation(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<ConversationView, CoreError> {
        require_role(p, &["ingest", "admin"])?;
        let (store, tenant, id) = (Arc::clone(&self.store), p.tenant.clone(), id.to_owned());
        let (row, turns) = blocking(move || -> Result<_, CoreError> {
            let row = store
                .conversation(&tenant, &id)?
                .ok_or(CoreError::NotFound("conversation"))?;
            Ok((row, store.turns(&tenant, &id)?))
        })
        .await??;
        Ok(ConversationView {
            id: row.id,
            customer_ref: row.customer_ref,
            created_at: row.created_at,
            turns: turns.into_iter().map(turn_view).collect::<Result<_, _>>()?,
        })
    }

    pub async fn list_conversations(
        &self,
        p: &Principal,
        after: Option<String>,
        limit: usize,
    ) -> Result<Vec<ConversationRow>, CoreError> {
        require_role(p, &["ingest", "admin"])?;
        let (store, tenant) = (Arc::clone(&self.store), p.tenant.clone());
        let limit = limit.clamp(1, 500);
        Ok(blocking(move || store.list_conversations(&tenant, after.as_deref(), limit)).await??)
    }

    /// Conversations where `value` (written or spoken) of type `entity` was said.
    pub async fn search(
        &self,
        p: &Principal,
        entity: &str,
        value: &str,
    ) -> Result<Vec<SearchHit>, CoreError> {
        require_role(p, &["admin"])?;
        let wanted = EntityType::parse(entity)
            .ok_or_else(|| CoreError::invalid("unknown_type", "unknown entity type"))?;
        if value.len() > 1024 {
            return Err(CoreError::invalid(
                "value_too_long",
                "search values are limited to 1024 bytes",
            ));
        }
        let findings = callvault_detect::detect(value);
        let finding = findings
            .iter()
            .find(|f| f.entity == wanted)
            .ok_or_else(|| {
                CoreError::invalid(
                    "value_not_recognized",
                    format!("the value is not recognized as {}", wanted.as_str()),
                )
            })?;
        let normalized = zeroize::Zeroizing::new(finding.value.expose_secret().to_owned());
        let (store, vault, tenant) = (
            Arc::clone(&self.store),
            Arc::clone(&self.vault),
            p.tenant.clone(),
        );
        let hits = blocking(move || -> Result<_, CoreError> {
            let index = vault.blind_index(&tenant, wanted.as_str(), normalized.as_bytes())?;
            Ok(store.search(&tenant, index.as_bytes(), 1000)?)
        })
        .await??;
        Ok(hits
            .into_iter()
            .map(|(conversation, label, token)| SearchHit {
                conversation,
                label,
                token,
            })
            .collect())
    }

    /// Erases a customer: destroys their data keys (crypto-shredding) and unlinks their tokens.
    pub async fn erase_customer(
        &self,
        p: &Principal,
        customer_ref: &str,
    ) -> Result<ErasureReceipt, CoreError> {
        require_role(p, &["admin"])?;
        check_ref(customer_ref, self.config.max_ref_bytes)?;
        let (store, vault, tenant, customer) = (
            Arc::clone(&self.store),
            Arc::clone(&self.vault),
            p.tenant.clone(),
            customer_ref.to_owned(),
        );
        let (versions, counts) = blocking(move || -> Result<_, CoreError> {
            let versions = vault.shred(&tenant, &customer)?;
            let counts = store.erase_customer(&tenant, &customer)?;
            Ok((versions, counts))
        })
        .await??;
        // Live conversation states may hold tokens of the erased customer: drop them all.
        if let Ok(mut states) = self.states.lock() {
            states.clear();
        }
        tracing::info!(tenant = %p.tenant, principal = %p.id, "customer erased");
        Ok(ErasureReceipt {
            customer_ref: customer_ref.to_owned(),
            erased_at: now_ms(),
            data_key_versions_destroyed: versions,
            conversations: counts.conversations,
            turns: counts.turns,
            tokens_unlinked: counts.tokens,
        })
    }

    /// Sets the tenant's retention period (admin): conversations older than `days` are purged
    /// by the purge job unless on legal hold. `None` keeps conversations until erased.
    pub async fn set_retention(&self, p: &Principal, days: Option<u32>) -> Result<(), CoreError> {
        require_role(p, &["admin"])?;
        if days.is_some_and(|d| d == 0 || d > 36_500) {
            return Err(CoreError::invalid(
                "invalid_retention",
                "days must be 1 to 36500, or null",
            ));
        }
        let (store, tenant) = (Arc::clone(&self.store), p.tenant.clone());
        blocking(move || store.set_retention(&tenant, days)).await??;
        tracing::info!(tenant = %p.tenant, by = %p.id, ?days, "retention set");
        Ok(())
    }

    /// Puts a conversation on legal hold (exempt from retention purges) or releases it (admin).
    pub async fn set_legal_hold(
        &self,
        p: &Principal,
        conversation: &str,
        hold: bool,
    ) -> Result<(), CoreError> {
        require_role(p, &["admin"])?;
        let (store, tenant, id) = (
            Arc::clone(&self.store),
            p.tenant.clone(),
            conversation.to_owned(),
        );
        if !blocking(move || store.set_legal_hold(&tenant, &id, hold)).await?? {
            return Err(CoreError::NotFound("conversation"));
        }
        tracing::info!(tenant = %p.tenant, by = %p.id, hold, "legal hold changed");
        Ok(())
    }

    /// Purges, for every tenant with a retention period, the conversations past it and not on
    /// legal hold (blocking; the purge job calls it). Returns the conversations purged.
    pub fn purge_expired(&self, now_ms: i64) -> Result<u64, CoreError> {
        let mut total = 0;
        for (tenant, days) in self.store.retention_policies()? {
            let cutoff = now_ms - i64::from(days) * 86_400_000;
            loop {
                let purged = self.store.purge(&tenant, cutoff, 500)?;
                total += purged.conversations;
                if purged.conversations == 0 {
                    break;
                }
                tracing::info!(
                    tenant,
                    conversations = purged.conversations,
                    turns = purged.turns,
                    "retention purge"
                );
            }
        }
        if total > 0 {
            if let Ok(mut states) = self.states.lock() {
                states.clear();
            }
        }
        Ok(total)
    }

    /// Revokes every token of a principal of the caller's tenant (admin only). Takes effect here
    /// at once, and on other servers within the principal cache's time to live.
    pub async fn revoke_principal(&self, p: &Principal, principal: &str) -> Result<u64, CoreError> {
        require_role(p, &["admin"])?;
        let (store, tenant, id) = (
            Arc::clone(&self.store),
            p.tenant.clone(),
            principal.to_owned(),
        );
        let n = blocking(move || store.revoke_principal_tokens(&tenant, &id, now_ms())).await??;
        if n == 0 {
            return Err(CoreError::NotFound("principal with live tokens"));
        }
        if let Ok(mut cache) = self.principals.lock() {
            cache.clear();
        }
        tracing::info!(tenant = %p.tenant, by = %p.id, revoked = n, "service tokens revoked");
        Ok(n)
    }

    /// Commits what is queued and stops the writer (graceful shutdown).
    pub fn shutdown(&self) {
        self.writer.shutdown();
    }

    fn state_slot(&self, tenant: &str, conversation: &str) -> Result<StateSlot, CoreError> {
        // Only well-formed ids get a slot, so random ids cannot crowd live conversations out.
        let well_formed = conversation.len() == 5 + 24
            && conversation.starts_with("conv_")
            && conversation[5..]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        if !well_formed {
            return Err(CoreError::NotFound("conversation"));
        }
        let mut states = self.states.lock().map_err(|_| CoreError::Internal)?;
        let key = (tenant.to_owned(), conversation.to_owned());
        if let Some(slot) = states.get(&key) {
            return Ok(Arc::clone(slot));
        }
        let slot: StateSlot = Arc::new(tokio::sync::Mutex::new(None));
        states.put(key, Arc::clone(&slot));
        Ok(slot)
    }

    /// Loads a conversation's state into its slot if empty. A conversation that does not load
    /// (unknown, another tenant's) has its slot forgotten, so it takes no room in the cache.
    async fn ensure_loaded(
        &self,
        slot: &mut Option<ConversationState>,
        tenant: &str,
        conversation: &str,
    ) -> Result<(), CoreError> {
        if slot.is_some() {
            return Ok(());
        }
        match self.load_state(tenant, conversation).await {
            Ok(state) => {
                *slot = Some(state);
                Ok(())
            }
            Err(e) => {
                if let Ok(mut states) = self.states.lock() {
                    states.pop(&(tenant.to_owned(), conversation.to_owned()));
                }
                Err(e)
            }
        }
    }

    async fn load_state(
        &self,
        tenant: &str,
        conversation: &str,
    ) -> Result<ConversationState, CoreError> {
        let (store, tenant, id) = (
            Arc::clone(&self.store),
            tenant.to_owned(),
            conversation.to_owned(),
        );
        let vault = Arc::clone(&self.vault);
        blocking(move || -> Result<_, CoreError> {
            let row = store
                .conversation(&tenant, &id)?
                .ok_or(CoreError::NotFound("conversation"))?;
            let tokens = store.tokens(&tenant, &id)?;
            // The detector's context (the question just asked, digits the speaker began) lives
            // in memory. Rebuild it by replaying the last stored turn, opened from its sealed
            // original; without it, an answer split across a reload could go undetected.
            let mut context = Conversation::new();
            if let Some(last) = store.turns(&tenant, &id)?.pop() {
                let at = callvault_vault::SealContext {
                    tenant: &tenant,
                    customer: &row.customer_ref,
                    conversation: &id,
                    turn: last.seq,
                    field: "turn.text",
                };
                if let Ok(text) = vault.open(&at, &last.sealed) {
                    let text = zeroize::Zeroizing::new(text);
                    if let Ok(text) = std::str::from_utf8(&text) {
                        context.push(Some(&last.speaker), text);
                    }
                }
            }
            Ok(ConversationState {
                tenant,
                id,
                customer_ref: row.customer_ref,
                next_seq: row.n_turns,
                tokens: restore_tokens(&tokens),
                context,
            })
        })
        .await?
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        self.writer.shutdown();
    }
}

fn turn_view(row: TurnRow) -> Result<TurnView, CoreError> {
    let findings = serde_json::from_str(&row.findings).map_err(|_| CoreError::Internal)?;
    Ok(TurnView {
        id: row.id,
        seq: row.seq,
        speaker: row.speaker,
        redacted: row.redacted,
        findings,
        started_at: row.started_at,
        ended_at: row.ended_at,
        created_at: row.created_at,
    })
}

fn check_ref(customer_ref: &str, max: usize) -> Result<(), CoreError> {
    if customer_ref.is_empty()
        || customer_ref.len() > max
        || customer_ref.chars().any(char::is_control)
    {
        return Err(CoreError::invalid(
            "invalid_customer_ref",
            format!("customer_ref must be 1 to {max} bytes without control characters"),
        ));
    }
    Ok(())
}

/// Runs blocking store work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, CoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| CoreError::Internal)
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn random_id(prefix: &str) -> Result<String, CoreError> {
    let mut raw = [0u8; 12];
    aws_lc_rs::rand::fill(&mut raw).map_err(|_| CoreError::Internal)?;
    let mut id = String::with_capacity(prefix.len() + 24);
    id.push_str(prefix);
    for b in raw {
        id.push_str(&format!("{b:02x}"));
    }
    Ok(id)
}
