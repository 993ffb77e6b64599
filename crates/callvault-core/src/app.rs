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

use callvault_audit::{Action, AuditRecord, Outcome};
use callvault_detect::{Conversation, EntityType, Policy};
use callvault_store::{ConversationRow, Principal, Store, TurnRow};
use callvault_vault::index::IndexKey;
use callvault_vault::{DataKey, Vault};
use lru::LruCache;
use serde::Serialize;

use crate::access::{self, Permission};
use crate::audit::{AuditConfig, AuditLog};
use crate::auth::{new_token, token_hash};
use crate::ingest::{
    process_partial, process_turn, restore_tokens, ConversationState, FindingOut, PartialOut,
    Speaker, TurnInput, TurnOut,
};
use crate::writer::{AuditHealth, GroupCommit, Release, WriteJob};
use crate::CoreError;

/// Limits and sizes.
#[derive(Clone, Debug)]
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
    /// Least time between the starts of two commits: under load, turns arriving meanwhile join
    /// the next batch (see [`crate::writer`]).
    pub commit_interval: Duration,
    /// How long an authenticated token is trusted before the store is asked again; bounds how
    /// long a token revoked on another server keeps working here.
    pub auth_cache_ttl: Duration,
    /// Reveals allowed per principal per minute.
    pub reveals_per_minute: u32,
    /// Tokens one reveal request may name.
    pub max_reveal_tokens: usize,
    /// A reveal of more tokens than this needs a second principal's approval (dual control).
    pub dual_control_threshold: usize,
    /// How long an approval request stays open.
    pub approval_window: Duration,
    /// Logins and sessions.
    pub login: crate::people::LoginConfig,
}

impl Default for CoreConfig {
    fn default() -> CoreConfig {
        CoreConfig {
            max_turn_bytes: 16 * 1024,
            max_ref_bytes: 128,
            conversation_cache: 100_000,
            write_queue: 16_384,
            max_batch: 1024,
            commit_interval: Duration::from_millis(3),
            auth_cache_ttl: Duration::from_secs(5),
            reveals_per_minute: 30,
            max_reveal_tokens: 50,
            dual_control_threshold: 10,
            approval_window: Duration::from_secs(30 * 60),
            login: crate::people::LoginConfig::default(),
        }
    }
}

/// A conversation as the API shows it: redacted only.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ConversationView {
    pub id: String,
    pub customer_ref: String,
    pub created_at: i64,
    /// When its customer was erased: the turns stay redacted, originals and tokens are gone,
    /// and it takes no new turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub erased_at: Option<i64>,
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
    audit: Arc<AuditLog>,
    reveals: crate::reveal::RevealLimiter,
    people: Arc<crate::people::People>,
    /// Failed authentications recorded one by one, per source address.
    auth_failures: governor::DefaultKeyedRateLimiter<String>,
    /// Failed authentications over that rate, counted per address until the next entry.
    folded_failures: Mutex<LruCache<String, u64>>,
}

impl Core {
    /// Starts the writer and opens the audit log (blocking: it may create the signing key and
    /// checks the log against its latest checkpoint).
    pub fn new(
        store: Arc<dyn Store>,
        vault: Arc<Vault>,
        config: CoreConfig,
        audit: AuditConfig,
    ) -> Result<Core, CoreError> {
        let capacity = NonZeroUsize::new(config.conversation_cache).unwrap_or(NonZeroUsize::MIN);
        let health = Arc::new(AuditHealth::default());
        let writer = Arc::new(GroupCommit::start(
            Arc::clone(&store),
            Arc::clone(&health),
            config.write_queue,
            config.max_batch,
            config.commit_interval,
        ));
        let audit = Arc::new(AuditLog::open(
            Arc::clone(&store),
            &vault,
            Arc::clone(&writer),
            health,
            audit,
        )?);
        Ok(Core {
            writer,
            audit,
            reveals: crate::reveal::RevealLimiter::new(config.reveals_per_minute),
            people: Arc::new(crate::people::People::new(config.login.clone())?),
            auth_failures: governor::RateLimiter::keyed(governor::Quota::per_minute(
                std::num::NonZeroU32::new(120).unwrap_or(std::num::NonZeroU32::MIN),
            )),
            folded_failures: Mutex::new(LruCache::new(
                NonZeroUsize::new(10_000).unwrap_or(NonZeroUsize::MIN),
            )),
            store,
            vault,
            policy: Arc::new(Policy::default()),
            config,
            states: Mutex::new(LruCache::new(capacity)),
            principals: Mutex::new(LruCache::new(
                NonZeroUsize::new(10_000).unwrap_or(NonZeroUsize::MIN),
            )),
        })
    }

    pub fn vault(&self) -> &Arc<Vault> {
        &self.vault
    }

    pub fn audit(&self) -> &Arc<AuditLog> {
        &self.audit
    }

    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn people(&self) -> &crate::people::People {
        &self.people
    }

    pub(crate) fn people_arc(&self) -> Arc<crate::people::People> {
        Arc::clone(&self.people)
    }

    pub(crate) fn writer(&self) -> &Arc<GroupCommit> {
        &self.writer
    }

    pub(crate) fn detect_policy(&self) -> &Policy {
        &self.policy
    }

    pub(crate) fn config(&self) -> &CoreConfig {
        &self.config
    }

    pub(crate) fn reveal_limiter(&self) -> &crate::reveal::RevealLimiter {
        &self.reveals
    }

    pub(crate) fn max_reveal_tokens(&self) -> usize {
        self.config.max_reveal_tokens
    }

    /// A record of `action` by `p`, now, successful unless changed.
    pub fn record(&self, p: &Principal, action: Action) -> AuditRecord {
        let mut r = AuditRecord::new(&p.tenant, &p.id, action);
        r.role = p.role.clone();
        r.session = Some(p.session.clone());
        r.source = p.source.clone();
        r
    }

    /// Appends a record through the group commit and waits until it is durable.
    pub async fn append_audit(&self, record: AuditRecord) -> Result<u64, CoreError> {
        self.audit.append(record).await
    }

    /// A customer's data key and the tenant's index key. They are nearly always in memory; when
    /// one is not (first turn, expiry), it is fetched on a blocking thread, since the key table
    /// may be a network database.
    pub(crate) async fn customer_keys(
        &self,
        tenant: &str,
        customer: &str,
    ) -> Result<(Arc<DataKey>, Arc<IndexKey>), CoreError> {
        if let Some(keys) = self.vault.cached_keys(tenant, customer) {
            return Ok(keys);
        }
        let (vault, tenant, customer) = (
            Arc::clone(&self.vault),
            tenant.to_owned(),
            customer.to_owned(),
        );
        blocking(move || -> Result<_, CoreError> {
            Ok((
                vault.data_key(&tenant, &customer)?,
                vault.index_key(&tenant)?,
            ))
        })
        .await?
    }

    /// Checks a permission; a refusal is itself an audit entry.
    pub(crate) async fn authorize(
        &self,
        p: &Principal,
        permission: Permission,
        action: Action,
    ) -> Result<(), CoreError> {
        if let Err(e) = access::require(p, permission, now_ms()) {
            let mut r = self.record(p, action);
            r.outcome = Outcome::Denied;
            r.detail = Some(format!("lacks {}", permission.as_str()));
            self.append_audit(r).await?;
            return Err(e);
        }
        Ok(())
    }

    /// Drops cached principals (after a revocation or a disable), so the store is asked again.
    pub(crate) fn forget_principals(&self) {
        if let Ok(mut cache) = self.principals.lock() {
            cache.clear();
        }
    }

    /// Reads stop while the audit log is failing.
    fn audit_healthy(&self) -> Result<(), CoreError> {
        self.audit.health().check()
    }

    /// Creates a tenant with its keys, an admin token and an ingest token (blocking; for
    /// `callvault init`).
    pub fn provision_tenant(
        store: &dyn Store,
        vault: &Vault,
        tenant: &str,
        name: &str,
    ) -> Result<Provisioned, CoreError> {
        let mut record = AuditRecord::new(tenant, "operator", Action::TenantCreate);
        record.detail = Some("keys created".into());
        if !store.create_tenant(tenant, name, &record)? {
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
                session: callvault_store::token_public_id(&hash),
                source: None,
                scopes: None,
                elevated_until: None,
                kind: callvault_store::PrincipalKind::Service,
                credential: hash,
            };
            let mut record = AuditRecord::new(tenant, "operator", Action::TokenCreate);
            record.resources.principals.push(id.to_owned());
            record.detail = Some(format!("role={role} token={}", principal.session));
            store.create_service_token(&principal, &hash, &record)?;
            Ok(token)
        };
        Ok(Provisioned {
            admin_token: make("admin", "admin")?,
            ingest_token: make("ingest", "ingest")?,
        })
    }

    /// The principal behind a bearer token, with the request's source address. A token that
    /// is not recognized is an `auth.failure` entry (with the source, never the token).
    pub async fn authenticate(
        &self,
        bearer: &str,
        source: Option<String>,
    ) -> Result<Principal, CoreError> {
        let hash = token_hash(bearer);
        let now = now_ms();
        if bearer.starts_with(crate::people::SESSION_PREFIX) && bearer.len() <= 256 {
            let store = Arc::clone(&self.store);
            let found = blocking(move || store.session(&hash, now)).await??;
            let mut why = "unknown, ended or expired session";
            if let Some((mut p, row)) = found {
                if row.source.is_none() || row.source == source {
                    if now - row.last_seen_at > 30_000 {
                        let store = Arc::clone(&self.store);
                        blocking(move || store.touch_session(&hash, now)).await??;
                    }
                    p.source = source;
                    p.credential = hash;
                    return Ok(p);
                }
                why = "session used from another address";
            }
            self.record_auth_failure(source, why).await?;
            return Err(CoreError::Unauthenticated);
        }
        if bearer.len() <= 256 {
            if let Some(mut p) = self.cached_principal(&hash, now)? {
                p.source = source;
                p.credential = hash;
                return Ok(p);
            }
            let store = Arc::clone(&self.store);
            let found = blocking(move || store.principal_by_token(&hash, now)).await??;
            if let Some(principal) = found {
                let mut cache = self.principals.lock().map_err(|_| CoreError::Internal)?;
                cache.put(hash, (principal.clone(), Instant::now()));
                let mut p = principal;
                p.source = source;
                p.credential = hash;
                return Ok(p);
            }
        }
        self.record_auth_failure(source, "unknown, revoked or expired token")
            .await?;
        Err(CoreError::Unauthenticated)
    }

    /// Records a failed authentication. Up to 120 a minute per source address are entries of
    /// their own; beyond that a flood is counted, and the next entry for that address says how
    /// many were folded into it, so the log stays complete without one fsync per bad request.
    async fn record_auth_failure(
        &self,
        source: Option<String>,
        why: &str,
    ) -> Result<(), CoreError> {
        let key = source.clone().unwrap_or_else(|| "unknown".into());
        if self.auth_failures.check_key(&key).is_err() {
            if let Ok(mut folded) = self.folded_failures.lock() {
                *folded.get_or_insert_mut(key, || 0) += 1;
            }
            return Ok(());
        }
        let folded = self
            .folded_failures
            .lock()
            .ok()
            .and_then(|mut f| f.pop(&key))
            .unwrap_or(0);
        let mut r = AuditRecord::new("", "anonymous", Action::AuthFailure);
        r.source = source;
        r.outcome = Outcome::Denied;
        r.detail = Some(if folded > 0 {
            format!("{why}; {folded} more from this address folded into this entry")
        } else {
            why.to_owned()
        });
        self.append_audit(r).await?;
        Ok(())
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

    /// Starts a conversation for a customer reference given by the caller (refused if it is
    /// personal data itself).
    pub async fn create_conversation(
        &self,
        p: &Principal,
        customer_ref: &str,
    ) -> Result<ConversationRow, CoreError> {
        self.check_ref_opaque(customer_ref)?;
        self.open_conversation(p, customer_ref).await
    }

    /// Starts a conversation; the reference is the caller's or one the server made.
    pub(crate) async fn open_conversation(
        &self,
        p: &Principal,
        customer_ref: &str,
    ) -> Result<ConversationRow, CoreError> {
        self.authorize(p, Permission::Ingest, Action::ConversationCreate)
            .await?;
        check_ref(customer_ref, self.config.max_ref_bytes)?;
        // The customer's keys are made (or loaded) now, as the call starts, so that its first
        // turn does not wait for a data key to be written.
        self.customer_keys(&p.tenant, customer_ref).await?;
        let row = ConversationRow {
            tenant: p.tenant.clone(),
            id: random_id("conv_")?,
            customer_ref: customer_ref.to_owned(),
            created_at: now_ms(),
            n_turns: 0,
            created_by: p.id.clone(),
            erased_at: None,
        };
        let mut record = self.record(p, Action::ConversationCreate);
        record.resources.conversations.push(row.id.clone());
        record.resources.customers.push(row.customer_ref.clone());
        self.writer
            .submit(WriteJob {
                conversations: vec![row.clone()],
                audit: vec![record],
                ..WriteJob::default()
            })
            .await?;
        Ok(row)
    }

    /// Redacts, seals and durably stores one final turn.
    pub async fn ingest(
        &self,
        p: &Principal,
        conversation: &str,
        input: TurnInput,
    ) -> Result<TurnOut, CoreError> {
        self.authorize(p, Permission::Ingest, Action::TurnIngest)
            .await?;
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
        let (data_key, index_key) = self.customer_keys(&p.tenant, &state.customer_ref).await?;
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
        let mut record = self.record(p, Action::TurnIngest);
        record.resources.conversations.push(conversation.to_owned());
        record.resources.customers.push(state.customer_ref.clone());
        record.resources.tokens = write
            .new_tokens
            .iter()
            .map(|t| t.token_id.clone())
            .collect();
        record.data_types = distinct_sorted(out.findings.iter().map(|f| f.entity.as_str()));
        record.detail = Some(format!("turn={}", write.turn.seq));
        // The job holds the conversation's lock until its outcome is known: if this request
        // is cancelled while it waits (client gone, timeout), the commit still finishes, and a
        // failure still drops the state (which ran ahead) so the next turn reloads it.
        let release: Release = Box::new(move |stored| {
            if !stored {
                *guard = None;
            }
        });
        let job = WriteJob {
            turns: vec![write],
            audit: vec![record],
            ..WriteJob::default()
        };
        let wait = self.writer.enqueue_holding(job, Some(release))?;
        wait.await.map_err(|_| CoreError::Internal)??;
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
        access::require(p, Permission::Ingest, now_ms())?;
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

    /// Whether a conversation exists in the principal's tenant (before opening a stream);
    /// `Erased` if its customer was erased.
    /// Recorded as `stream.open` (each final turn on the stream is a `turn.ingest` of its own;
    /// interim results are redacted in memory and stored nowhere).
    pub async fn conversation_exists(&self, p: &Principal, id: &str) -> Result<bool, CoreError> {
        self.authorize(p, Permission::Ingest, Action::StreamOpen)
            .await?;
        let (store, tenant, conv) = (Arc::clone(&self.store), p.tenant.clone(), id.to_owned());
        let row = blocking(move || store.conversation(&tenant, &conv)).await??;
        let exists = row.is_some();
        let erased = row.is_some_and(|r| r.erased_at.is_some());
        let mut record = self.record(p, Action::StreamOpen);
        record.resources.conversations.push(id.to_owned());
        if !exists || erased {
            record.outcome = Outcome::Failed;
            record.detail = Some(if erased { "erased" } else { "not found" }.into());
        }
        self.append_audit(record).await?;
        if erased {
            // Its customer was erased: it takes no new turn, so no stream opens on it.
            return Err(CoreError::Erased);
        }
        Ok(exists)
    }

    /// A conversation of the principal's tenant, redacted, for callers that authorized and
    /// audit the read themselves (export).
    pub(crate) async fn conversation_unaudited(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<ConversationView, CoreError> {
        self.audit_healthy()?;
        let (store, tenant, conv) = (Arc::clone(&self.store), p.tenant.clone(), id.to_owned());
        let (row, turns) = blocking(move || -> Result<_, CoreError> {
            let row = store
                .conversation(&tenant, &conv)?
                .ok_or(CoreError::NotFound("conversation"))?;
            let turns = store.turns(&tenant, &conv)?;
            Ok((row, turns))
        })
        .await??;
        Ok(ConversationView {
            id: row.id,
            customer_ref: row.customer_ref,
            created_at: row.created_at,
            erased_at: row.erased_at,
            turns: turns.into_iter().map(turn_view).collect::<Result<_, _>>()?,
        })
    }

    pub async fn conversation(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<ConversationView, CoreError> {
        self.authorize(p, Permission::ReadRedacted, Action::ConversationRead)
            .await?;
        self.audit_healthy()?;
        let (store, tenant, conv) = (Arc::clone(&self.store), p.tenant.clone(), id.to_owned());
        let found = blocking(move || -> Result<_, CoreError> {
            let Some(row) = store.conversation(&tenant, &conv)? else {
                return Ok(None);
            };
            let turns = store.turns(&tenant, &conv)?;
            Ok(Some((row, turns)))
        })
        .await??;
        let mut record = self.record(p, Action::ConversationRead);
        record.resources.conversations.push(id.to_owned());
        let Some((row, turns)) = found else {
            record.outcome = Outcome::Failed;
            record.detail = Some("not found".into());
            self.append_audit(record).await?;
            return Err(CoreError::NotFound("conversation"));
        };
        record.resources.customers.push(row.customer_ref.clone());
        record.detail = Some(format!("turns={}", turns.len()));
        self.append_audit(record).await?;
        Ok(ConversationView {
            id: row.id,
            customer_ref: row.customer_ref,
            created_at: row.created_at,
            erased_at: row.erased_at,
            turns: turns.into_iter().map(turn_view).collect::<Result<_, _>>()?,
        })
    }

    pub async fn list_conversations(
        &self,
        p: &Principal,
        after: Option<String>,
        limit: usize,
    ) -> Result<Vec<ConversationRow>, CoreError> {
        self.authorize(p, Permission::ReadRedacted, Action::ConversationList)
            .await?;
        self.audit_healthy()?;
        let (store, tenant) = (Arc::clone(&self.store), p.tenant.clone());
        let limit = limit.clamp(1, 500);
        let rows =
            blocking(move || store.list_conversations(&tenant, after.as_deref(), limit)).await??;
        let mut record = self.record(p, Action::ConversationList);
        record.resources.conversations = rows.iter().map(|r| r.id.clone()).collect();
        self.append_audit(record).await?;
        Ok(rows)
    }

    /// Conversations where `value` (written or spoken) of type `entity` was said.
    pub async fn search(
        &self,
        p: &Principal,
        entity: &str,
        value: &str,
    ) -> Result<Vec<SearchHit>, CoreError> {
        self.authorize(p, Permission::Search, Action::Search)
            .await?;
        self.audit_healthy()?;
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
        // The searched value is not recorded, only its type and what was found.
        let mut record = self.record(p, Action::Search);
        record.data_types.push(wanted.as_str().to_owned());
        let mut conversations: Vec<String> = hits.iter().map(|h| h.0.clone()).collect();
        conversations.dedup();
        record.resources.conversations = conversations;
        record.resources.tokens = hits.iter().map(|h| h.2.clone()).collect();
        self.append_audit(record).await?;
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
        self.authorize(p, Permission::Erase, Action::CustomerErase)
            .await?;
        check_ref(customer_ref, self.config.max_ref_bytes)?;
        // The keys live in their own table: their destruction is recorded first (an entry
        // saying the shred starts), so no key disappears unrecorded; the store's unlinking is
        // recorded in its own transaction.
        let mut shred = self.record(p, Action::KeyShred);
        shred.resources.customers.push(customer_ref.to_owned());
        self.append_audit(shred).await?;
        let mut erase = self.record(p, Action::CustomerErase);
        erase.resources.customers.push(customer_ref.to_owned());
        let (store, vault, tenant, customer) = (
            Arc::clone(&self.store),
            Arc::clone(&self.vault),
            p.tenant.clone(),
            customer_ref.to_owned(),
        );
        let (versions, counts) = blocking(move || -> Result<_, CoreError> {
            let versions = vault.shred(&tenant, &customer)?;
            erase.detail = Some(format!("data_key_versions={versions:?}"));
            let counts = store.erase_customer(&tenant, &customer, &erase)?;
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
        self.authorize(p, Permission::ManagePolicy, Action::RetentionSet)
            .await?;
        if days.is_some_and(|d| d == 0 || d > 36_500) {
            return Err(CoreError::invalid(
                "invalid_retention",
                "days must be 1 to 36500, or null",
            ));
        }
        let (store, tenant) = (Arc::clone(&self.store), p.tenant.clone());
        let mut record = self.record(p, Action::RetentionSet);
        record.detail = Some(match days {
            Some(d) => format!("days={d}"),
            None => "days=none".into(),
        });
        blocking(move || store.set_retention(&tenant, days, &record)).await??;
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
        self.authorize(p, Permission::ManagePolicy, Action::LegalHoldSet)
            .await?;
        let (store, tenant, id) = (
            Arc::clone(&self.store),
            p.tenant.clone(),
            conversation.to_owned(),
        );
        let mut record = self.record(p, Action::LegalHoldSet);
        record.resources.conversations.push(conversation.to_owned());
        record.detail = Some(format!("hold={hold}"));
        if !blocking(move || store.set_legal_hold(&tenant, &id, hold, &record)).await?? {
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
                let mut record = AuditRecord::new(&tenant, "system", Action::RetentionPurge);
                record.detail = Some(format!("retention_days={days}"));
                let purged = self.store.purge(&tenant, cutoff, 500, &record)?;
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
        self.authorize(p, Permission::ManagePrincipals, Action::TokensRevoke)
            .await?;
        let (store, tenant, id) = (
            Arc::clone(&self.store),
            p.tenant.clone(),
            principal.to_owned(),
        );
        let mut record = self.record(p, Action::TokensRevoke);
        record.resources.principals.push(principal.to_owned());
        let n = blocking(move || store.revoke_principal_tokens(&tenant, &id, now_ms(), &record))
            .await??;
        if n == 0 {
            return Err(CoreError::NotFound("principal with live tokens"));
        }
        if let Ok(mut cache) = self.principals.lock() {
            cache.clear();
        }
        tracing::info!(tenant = %p.tenant, by = %p.id, revoked = n, "service tokens revoked");
        Ok(n)
    }

    /// The latest signed checkpoint of the audit log (text of the signed note).
    pub async fn audit_checkpoint(&self, p: &Principal) -> Result<String, CoreError> {
        self.authorize(p, Permission::ReadAudit, Action::AuditRead)
            .await?;
        let mut record = self.record(p, Action::AuditRead);
        record.detail = Some("checkpoint".into());
        self.append_audit(record).await?;
        let audit = Arc::clone(&self.audit);
        let latest = blocking(move || audit.checkpoint()).await??;
        latest
            .map(|(_, note)| note)
            .ok_or(CoreError::NotFound("checkpoint"))
    }

    /// An inclusion proof for an entry of the caller's tenant.
    pub async fn audit_inclusion(
        &self,
        p: &Principal,
        seq: u64,
        size: Option<u64>,
    ) -> Result<crate::audit::InclusionProof, CoreError> {
        self.authorize(p, Permission::ReadAudit, Action::AuditRead)
            .await?;
        let mut record = self.record(p, Action::AuditRead);
        record.detail = Some(format!("inclusion seq={seq}"));
        self.append_audit(record).await?;
        let (audit, tenant) = (Arc::clone(&self.audit), p.tenant.clone());
        blocking(move || audit.inclusion(Some(&tenant), seq, size)).await?
    }

    /// A consistency proof between two sizes of the log.
    pub async fn audit_consistency(
        &self,
        p: &Principal,
        from: u64,
        to: u64,
    ) -> Result<Vec<String>, CoreError> {
        self.authorize(p, Permission::ReadAudit, Action::AuditRead)
            .await?;
        let mut record = self.record(p, Action::AuditRead);
        record.detail = Some(format!("consistency {from}..{to}"));
        self.append_audit(record).await?;
        let audit = Arc::clone(&self.audit);
        blocking(move || audit.consistency(from, to)).await?
    }

    /// Entries of the caller's tenant matching the filters.
    pub async fn audit_entries(
        &self,
        p: &Principal,
        mut query: callvault_store::AuditQuery,
    ) -> Result<Vec<serde_json::Value>, CoreError> {
        self.authorize(p, Permission::ReadAudit, Action::AuditRead)
            .await?;
        self.audit_healthy()?;
        query.tenant = Some(p.tenant.clone());
        query.limit = query.limit.clamp(1, 1000);
        let mut record = self.record(p, Action::AuditRead);
        record.detail = Some("entries".into());
        self.append_audit(record).await?;
        let audit = Arc::clone(&self.audit);
        blocking(move || audit.entries(&query)).await?
    }

    /// Signs a last checkpoint, commits what is queued and stops the writer (graceful
    /// shutdown; blocking).
    pub fn shutdown(&self) {
        if let Err(e) = self.audit.checkpoint_if_due(true) {
            tracing::error!(error = %e, "final audit checkpoint failed");
        }
        self.writer.shutdown();
    }

    pub(crate) fn state_slot(
        &self,
        tenant: &str,
        conversation: &str,
    ) -> Result<StateSlot, CoreError> {
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
    pub(crate) async fn ensure_loaded(
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
        let audit = Arc::clone(&self.audit);
        blocking(move || -> Result<_, CoreError> {
            let row = store
                .conversation(&tenant, &id)?
                .ok_or(CoreError::NotFound("conversation"))?;
            if row.erased_at.is_some() {
                return Err(CoreError::Erased);
            }
            let tokens = store.tokens(&tenant, &id)?;
            // The detector's context (questions still open, digits a speaker began) lives in
            // memory. Rebuild it by replaying the last stored turns, opened from their sealed
            // originals; without it, an answer split across a reload could go undetected.
            let mut context = Conversation::new();
            let last = store.last_turns(&tenant, &id, callvault_detect::CONTEXT_TURNS)?;
            if let (Some(first), Some(end)) = (last.first(), last.last()) {
                // Opening the turns is an audited act like any other (by the server itself).
                let mut record = AuditRecord::new(&tenant, "system", Action::ContextReload);
                record.resources.conversations.push(id.clone());
                record.resources.customers.push(row.customer_ref.clone());
                record.detail = Some(if first.seq == end.seq {
                    format!("turn={}", end.seq)
                } else {
                    format!("turns={}..{}", first.seq, end.seq)
                });
                let grant = callvault_audit::grant(audit.as_ref(), record)?;
                for turn in &last {
                    let at = callvault_vault::SealContext {
                        tenant: &tenant,
                        customer: &row.customer_ref,
                        conversation: &id,
                        turn: turn.seq,
                        field: "turn.text",
                    };
                    if let Ok(text) = vault.open(&grant, &at, &turn.sealed) {
                        let text = zeroize::Zeroizing::new(text);
                        if let Ok(text) = std::str::from_utf8(&text) {
                            context.push(Some(&turn.speaker), text);
                        }
                    }
                }
            }
            Ok(ConversationState {
                tenant,
                id,
                customer_ref: row.customer_ref,
                created_by: row.created_by,
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

/// Distinct type names, sorted.
pub(crate) fn distinct_sorted<'a>(types: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = types.map(str::to_owned).collect();
    out.sort();
    out.dedup();
    out
}

impl Core {
    /// A customer reference is kept in the clear (erasure finds the customer by it), so it
    /// must not be personal data itself: a reference in which the detector is confident of a
    /// value the policy redacts ("4111 1111 1111 1111", "maria.gonzalez@example.com",
    /// "415-555-0134") is refused, and nothing is written. Weak readings (an 8-digit number
    /// read as a phone number for want of a better one: "cust-10293847") are not.
    fn check_ref_opaque(&self, customer_ref: &str) -> Result<(), CoreError> {
        let spaced = customer_ref.replace(['-', '_', '.', ':', '/'], " ");
        let found = [customer_ref, spaced.as_str()]
            .into_iter()
            .flat_map(callvault_detect::detect)
            .find(|f| {
                f.score >= REF_REFUSE_SCORE
                    && self.policy.action(f.entity) != callvault_detect::Action::Keep
            });
        match found {
            Some(f) => Err(CoreError::invalid(
                "customer_ref_personal_data",
                format!(
                    "customer_ref looks like personal data ({}); use an opaque id from your own systems",
                    f.entity.as_str()
                ),
            )),
            None => Ok(()),
        }
    }
}

/// How confident a finding in a customer reference must be to refuse it.
const REF_REFUSE_SCORE: f32 = 0.85;

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
pub(crate) async fn blocking<T: Send + 'static>(
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

pub(crate) fn random_id(prefix: &str) -> Result<String, CoreError> {
    let mut raw = [0u8; 12];
    aws_lc_rs::rand::fill(&mut raw).map_err(|_| CoreError::Internal)?;
    Ok(format!("{prefix}{}", hex::encode(raw)))
}
