//! The privacy proxy's core: tokenize an OpenAI-style chat-completions request in place, and
//! restore tokens in what the model answers.
//!
//! On the way up, every text-bearing field (message `content` as a string or as text parts,
//! `name`, assistant `tool_calls[].function.arguments`, tool results, legacy `function_call`,
//! and every string inside vendor `customer` / `call` objects) goes through the detector, with
//! the messages pushed in order as one conversation so a question gives its answer context.
//! Values become the conversation's own labels (`[CREDIT_CARD_1]`), the same labels the ingest
//! API gives, and new values are sealed and stored as the conversation's tokens. Types a tenant
//! lets through reach the model as they are; masked types (CVV, credentials) become their type.
//! The request is a JSON value, not a struct: unknown fields pass untouched.
//!
//! On the way down, [`RestoreTable`] maps this conversation's labels (and only this
//! conversation's) back to values, case-insensitively, except types the tenant keeps as tokens;
//! [`StreamRestorer`] does it on a stream of fragments, holding back at most one label's length
//! while a `[` might still become a label. Opening the values takes the grant of a durable audit
//! entry written when the call starts; the call's full record (types tokenized and restored,
//! model) is appended when it ends. This module does no HTTP.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use callvault_audit::{Action, AuditRecord};
use callvault_detect::{Action as Treat, Conversation, EntityType, Policy};
use callvault_store::{Principal, TokenRow};
use callvault_vault::index::IndexKey;
use callvault_vault::{DataKey, SealContext};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::access::Permission;
use crate::app::{blocking, now_ms, Core};
use crate::writer::WriteJob;
use crate::CoreError;

/// A tenant's proxy policy.
#[derive(Clone, Debug, Default)]
pub struct ProxyPolicy {
    /// Types that may reach the model as they are (default: none).
    pub pass_through: Vec<String>,
    /// Types restored as tokens even for the calling service (e.g. card numbers, so a speech
    /// synthesizer never says them).
    pub keep_tokens: Vec<String>,
}

/// What a call needs on its way down.
pub struct ProxyCall {
    pub tenant: String,
    pub conversation: String,
    pub types_tokenized: Vec<String>,
    /// The labels this very request produced and the values the caller sent for them: the
    /// answer can get those back at once, since nothing is opened from the vault for them.
    pub immediate: Arc<RestoreTable>,
    /// The whole conversation's table, once the call's audit entry is durable (values of
    /// earlier turns are opened from the vault with its grant).
    pub restore: tokio::task::JoinHandle<Result<Arc<RestoreTable>, CoreError>>,
    record: AuditRecord,
}

impl ProxyCall {
    /// Appends the call's record: conversation, types tokenized and restored, model, outcome.
    pub async fn finish(
        self,
        core: &Core,
        restored: &BTreeSet<String>,
        outcome: Result<(), &str>,
    ) -> Result<(), CoreError> {
        let mut record = self.record;
        record.time_ms = now_ms();
        record.data_types = self.types_tokenized;
        let mut detail = record.detail.take().unwrap_or_default();
        detail.push_str(&format!(
            " restored={}",
            restored.iter().cloned().collect::<Vec<_>>().join(",")
        ));
        if let Err(why) = outcome {
            record.outcome = callvault_audit::Outcome::Failed;
            detail.push_str(&format!(" error={why}"));
        }
        record.detail = Some(detail);
        core.append_audit(record).await.map(|_| ())
    }
}

/// `[MEDICAL_RECORD_NUMBER_99999]`: the longest type name, five digits and the brackets.
const LONGEST_LABEL: usize = 29;

/// Labels of one conversation and the values they stand for.
pub struct RestoreTable {
    /// Upper-cased label → (type, value; `None` when the type is kept as a token).
    labels: HashMap<String, (String, Option<Zeroizing<String>>)>,
    /// The longest `[LABEL]`, in bytes.
    max_len: usize,
}

impl std::fmt::Debug for RestoreTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestoreTable")
            .field("labels", &self.labels.len())
            .finish()
    }
}

impl RestoreTable {
    pub fn new(
        entries: impl IntoIterator<Item = (String, String, Zeroizing<String>)>,
        keep: &[String],
    ) -> RestoreTable {
        let mut labels = HashMap::new();
        // At least the longest label any conversation can have, so a label of an earlier turn
        // split across chunks is held too, whatever this table holds.
        let mut max_len = LONGEST_LABEL;
        for (label, entity, value) in entries {
            max_len = max_len.max(label.len() + 2);
            let value = (!keep.contains(&entity)).then_some(value);
            labels.insert(label.to_ascii_uppercase(), (entity, value));
        }
        RestoreTable { labels, max_len }
    }

    /// The longest label with its brackets.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Whether `text` holds a complete label-shaped `[TYPE_N]` this table does not know (one
    /// from an earlier turn, for the whole conversation's table).
    pub fn has_unknown_label(&self, text: &str) -> bool {
        let mut rest = text;
        while let Some(open) = rest.find('[') {
            let after = &rest[open + 1..];
            if let Some(close) = after.find(']') {
                let inner = &after[..close];
                let shaped = inner.rsplit_once('_').is_some_and(|(kind, n)| {
                    !kind.is_empty()
                        && !n.is_empty()
                        && n.bytes().all(|b| b.is_ascii_digit())
                        && kind.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_')
                });
                if shaped && !self.labels.contains_key(&inner.to_ascii_uppercase()) {
                    return true;
                }
            }
            rest = after;
        }
        false
    }

    /// Replaces every known `[LABEL]` in `text`; records the types restored.
    pub fn restore(&self, text: &str, restored: &mut BTreeSet<String>) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('[') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after
                .find(']')
                .filter(|&c| c + 2 <= self.max_len.max(2) && is_label_text(&after[..c]));
            match close.and_then(|c| {
                self.labels
                    .get(&after[..c].to_ascii_uppercase())
                    .map(|hit| (c, hit))
            }) {
                Some((c, (entity, Some(value)))) => {
                    out.push_str(value);
                    restored.insert(entity.clone());
                    rest = &after[c + 1..];
                }
                Some((c, (_, None))) => {
                    out.push_str(&rest[open..open + c + 2]);
                    rest = &after[c + 1..];
                }
                None => {
                    out.push('[');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

fn is_label_text(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Restores a stream of text fragments (one per choice and field), holding back the tail that
/// may still grow into a label: at most [`RestoreTable::max_len`] bytes.
pub struct StreamRestorer {
    table: Arc<RestoreTable>,
    pending: String,
}

impl StreamRestorer {
    pub fn new(table: Arc<RestoreTable>) -> StreamRestorer {
        StreamRestorer {
            table,
            pending: String::new(),
        }
    }

    /// Takes the next fragment; returns what can be shown now.
    pub fn push(&mut self, fragment: &str, restored: &mut BTreeSet<String>) -> String {
        self.pending.push_str(fragment);
        let hold = self.hold_from();
        let ready: String = self.pending.drain(..hold).collect();
        self.table.restore(&ready, restored)
    }

    /// What is held back, not yet shown.
    pub fn pending(&self) -> &str {
        &self.pending
    }

    /// Changes the table (to the whole conversation's).
    pub fn set_table(&mut self, table: Arc<RestoreTable>) {
        self.table = table;
    }

    /// Everything still held (end of the field).
    pub fn finish(&mut self, restored: &mut BTreeSet<String>) -> String {
        let rest = std::mem::take(&mut self.pending);
        self.table.restore(&rest, restored)
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Where the held-back tail starts: the last `[` whose tail could still be a label.
    fn hold_from(&self) -> usize {
        let Some(open) = self.pending.rfind('[') else {
            return self.pending.len();
        };
        let tail = &self.pending[open + 1..];
        let could_grow = tail.len() + 1 < self.table.max_len().max(2)
            && tail.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if could_grow {
            open
        } else {
            self.pending.len()
        }
    }
}

impl Core {
    /// Tokenizes a chat-completions request in place for `conversation` (or a new conversation
    /// when `None`), stores the new tokens and records the call; returns what the way down
    /// needs. The restore table is built once the call's entry is durable.
    pub async fn proxy_prepare(
        self: &Arc<Self>,
        p: &Principal,
        conversation: Option<&str>,
        body: &mut Value,
        policy: &ProxyPolicy,
    ) -> Result<ProxyCall, CoreError> {
        self.authorize(p, Permission::Ingest, Action::ProxyCall)
            .await?;
        // Restoring opens values: not while the audit log is failing.
        self.audit().health().check()?;
        let conversation = match conversation {
            Some(id) => id.to_owned(),
            None => {
                self.open_conversation(p, &format!("proxy:{}", p.id))
                    .await?
                    .id
            }
        };
        let model = body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or("")
            .chars()
            .take(100)
            .collect::<String>();
        let slot = self.state_slot(&p.tenant, &conversation)?;
        let mut guard = Arc::clone(&slot).lock_owned().await;
        self.ensure_loaded(&mut guard, &p.tenant, &conversation)
            .await?;
        let Some(state) = guard.as_mut() else {
            return Err(CoreError::Internal);
        };
        let (data_key, index_key) = self.customer_keys(&p.tenant, &state.customer_ref).await?;
        let mut work = Tokenizer {
            data_key: &data_key,
            index_key: &index_key,
            policy: self.detect_policy(),
            pass_through: &policy.pass_through,
            state,
            context: Conversation::new(),
            new_tokens: Vec::new(),
            new_values: Vec::new(),
            types: BTreeSet::new(),
            collecting: true,
            known: Vec::new(),
            produced: Vec::new(),
            found: std::collections::VecDeque::new(),
        };
        // Two passes: the first runs the detector over every field and learns every value it
        // finds anywhere in the request; the second replaces those and every other occurrence
        // of the same text (a name caught once is caught everywhere in the request).
        let walked = work.request(body).and_then(|()| {
            work.collecting = false;
            work.request(body)
        });
        let (new_tokens, new_values, types) = (work.new_tokens, work.new_values, work.types);
        let immediate = Arc::new(RestoreTable::new(work.produced, &policy.keep_tokens));
        if let Err(e) = walked {
            *guard = None;
            return Err(e);
        }
        let types: Vec<String> = types.into_iter().collect();
        let customer = state.customer_ref.clone();
        // Earlier turns' values go back to the service that started the conversation (they came
        // from its own pipeline), or to a principal allowed to reveal their types; naming a
        // conversation is not enough.
        let own = state.created_by == p.id;
        let caller = p.clone();
        let mut record = self.record(p, Action::ProxyCall);
        record.resources.conversations.push(conversation.clone());
        record.resources.customers.push(customer.clone());
        record.resources.tokens = new_tokens.iter().map(|t| t.token_id.clone()).collect();
        record.data_types = types.clone();
        record.detail = Some(format!("model={model}"));

        // Stored and recorded while the request goes up: the model's first token is usually
        // much slower than one group commit.
        let (core, tenant, conv) = (Arc::clone(self), p.tenant.clone(), conversation.clone());
        let mut grant_record = record.clone();
        grant_record.detail = Some(format!("model={model} opening for restore"));
        let keep = policy.keep_tokens.clone();
        let restore = tokio::spawn(async move {
            let writer = Arc::clone(core.writer());
            // The new tokens and the call's entry commit together; the grant exists only once
            // both are durable. The conversation stays held until then, so no later turn builds
            // on tokens that might not be stored.
            let committed = blocking(move || {
                let log = TokensWithEntry {
                    writer: &writer,
                    tokens: std::sync::Mutex::new(Some(new_tokens)),
                    queued: std::sync::atomic::AtomicBool::new(false),
                };
                let granted = callvault_audit::grant(&log, grant_record);
                (
                    granted,
                    log.queued.load(std::sync::atomic::Ordering::SeqCst),
                )
            })
            .await;
            let grant = match committed {
                Ok((Ok(grant), _)) => {
                    drop(guard);
                    grant
                }
                Ok((Err(e), queued)) => {
                    // The state ran ahead of the store: reloaded next time.
                    *guard = None;
                    if queued {
                        // The call's entry was refused by the store: the log fails closed.
                        core.audit()
                            .health()
                            .trip("a proxy call's tokens and entry did not commit");
                    }
                    return Err(e.into());
                }
                Err(e) => {
                    *guard = None;
                    return Err(e);
                }
            };
            let (store, vault) = (Arc::clone(core.store()), Arc::clone(core.vault()));
            blocking(move || -> Result<Arc<RestoreTable>, CoreError> {
                let mut entries: Vec<(String, String, Zeroizing<String>)> = new_values;
                let now = now_ms();
                for row in store.tokens(&tenant, &conv)? {
                    if row.sealed.is_empty() || entries.iter().any(|(l, _, _)| *l == row.label) {
                        continue;
                    }
                    let permitted = own
                        || crate::access::reveal_permission(&row.entity)
                            .is_some_and(|perm| crate::access::allows(&caller, perm, now));
                    if !permitted {
                        continue;
                    }
                    let field = format!("token.{}", row.token_id);
                    let at = SealContext {
                        tenant: &tenant,
                        customer: &customer,
                        conversation: &conv,
                        turn: row.turn_seq,
                        field: &field,
                    };
                    match vault.open(&grant, &at, &row.sealed) {
                        Ok(bytes) => {
                            let value = Zeroizing::new(
                                String::from_utf8(bytes).map_err(|_| CoreError::Internal)?,
                            );
                            entries.push((row.label, row.entity, value));
                        }
                        Err(callvault_vault::VaultError::Erased) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                Ok(Arc::new(RestoreTable::new(entries, &keep)))
            })
            .await?
        });
        Ok(ProxyCall {
            immediate,
            tenant: p.tenant.clone(),
            conversation,
            types_tokenized: types,
            restore,
            record,
        })
    }
}

/// A durable log that commits the request's new tokens with the call's entry, in one
/// group commit.
struct TokensWithEntry<'a> {
    writer: &'a crate::writer::GroupCommit,
    tokens: std::sync::Mutex<Option<Vec<TokenRow>>>,
    /// Whether the job reached the writer's queue (a failure after that is the store's).
    queued: std::sync::atomic::AtomicBool,
}

impl callvault_audit::DurableLog for TokensWithEntry<'_> {
    fn append_durable(&self, record: AuditRecord) -> Result<u64, callvault_audit::AuditError> {
        let tokens = self
            .tokens
            .lock()
            .ok()
            .and_then(|mut t| t.take())
            .unwrap_or_default();
        let waiting = self.writer.enqueue(WriteJob {
            tokens,
            audit: vec![record],
            ..WriteJob::default()
        });
        self.queued
            .store(waiting.is_ok(), std::sync::atomic::Ordering::SeqCst);
        waiting
            .map_err(|e| callvault_audit::AuditError::Unavailable(e.to_string()))?
            .blocking_recv()
            .map_err(|_| callvault_audit::AuditError::Unavailable("writer stopped".into()))?
            .map_err(|e| callvault_audit::AuditError::Unavailable(e.to_string()))
    }
}

/// A stretch of text to replace: start, end, type, and the value to tokenize (`None` for a
/// masked type).
type Span = (usize, usize, EntityType, Option<Zeroizing<String>>);

/// One request's tokenization.
struct Tokenizer<'a> {
    data_key: &'a DataKey,
    index_key: &'a IndexKey,
    policy: &'a Policy,
    pass_through: &'a [String],
    state: &'a mut crate::ingest::ConversationState,
    context: Conversation,
    new_tokens: Vec<TokenRow>,
    new_values: Vec<(String, String, Zeroizing<String>)>,
    types: BTreeSet<String>,
    /// The first pass only learns values.
    collecting: bool,
    /// Surface text of every tokenized value found in the request, with its type and value.
    known: Vec<(Zeroizing<String>, EntityType, Zeroizing<String>)>,
    /// Every label this request produced, with its type and the value the caller sent.
    produced: Vec<(String, String, Zeroizing<String>)>,
    /// The first pass's findings, field by field, for the second.
    found: std::collections::VecDeque<Vec<callvault_detect::Finding>>,
}

impl Tokenizer<'_> {
    fn request(&mut self, body: &mut Value) -> Result<(), CoreError> {
        let Some(object) = body.as_object_mut() else {
            return Ok(());
        };
        if let Some(messages) = object.get_mut("messages").and_then(Value::as_array_mut) {
            for message in messages {
                self.message(message)?;
            }
        }
        // Vendor extras that carry the caller's data (Vapi's `customer`, `call`, ...): every
        // string inside is text.
        for key in ["customer", "call"] {
            if let Some(extra) = object.get_mut(key) {
                self.all_strings(extra)?;
            }
        }
        // Every other field (metadata, `user`, tool descriptions, vendor fields): a value found
        // anywhere above is replaced here too. The detector does not run on them.
        if !self.collecting {
            for (key, value) in object.iter_mut() {
                if !matches!(key.as_str(), "model" | "messages" | "customer" | "call") {
                    self.known_only(value)?;
                }
            }
        }
        Ok(())
    }

    fn known_only(&mut self, value: &mut Value) -> Result<(), CoreError> {
        match value {
            Value::String(text) => *text = self.replace(text, Vec::new())?,
            Value::Array(items) => {
                for item in items {
                    self.known_only(item)?;
                }
            }
            Value::Object(map) => {
                for (_, item) in map.iter_mut() {
                    self.known_only(item)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn message(&mut self, message: &mut Value) -> Result<(), CoreError> {
        let Some(m) = message.as_object_mut() else {
            return Ok(());
        };
        let speaker = match m.get("role").and_then(Value::as_str) {
            Some("user") => Some("customer"),
            Some("assistant") => Some("agent"),
            _ => None,
        };
        if let Some(content) = m.get_mut("content") {
            match content {
                Value::String(text) => *text = self.text(speaker, text)?,
                Value::Array(parts) => {
                    for part in parts {
                        if let Some(Value::String(text)) = part.get_mut("text") {
                            *text = self.text(speaker, text)?;
                        }
                    }
                }
                _ => {}
            }
        }
        for key in ["name", "refusal", "reasoning_content"] {
            if let Some(Value::String(text)) = m.get_mut(key) {
                *text = self.text(None, text)?;
            }
        }
        if let Some(calls) = m.get_mut("tool_calls").and_then(Value::as_array_mut) {
            for call in calls {
                if let Some(Value::String(args)) = call.pointer_mut("/function/arguments") {
                    *args = self.text(None, args)?;
                }
            }
        }
        if let Some(Value::String(args)) = m
            .get_mut("function_call")
            .and_then(|f| f.get_mut("arguments"))
        {
            *args = self.text(None, args)?;
        }
        Ok(())
    }

    fn all_strings(&mut self, value: &mut Value) -> Result<(), CoreError> {
        match value {
            Value::String(text) => *text = self.text(None, text)?,
            Value::Array(items) => {
                for item in items {
                    self.all_strings(item)?;
                }
            }
            Value::Object(map) => {
                for (_, item) in map.iter_mut() {
                    self.all_strings(item)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The text with every value replaced by its label (or type, for masked types).
    fn text(&mut self, speaker: Option<&str>, text: &str) -> Result<String, CoreError> {
        // The detector runs once per field: the second pass walks the same fields in the same
        // order and takes the first pass's findings.
        let findings = if self.collecting {
            let found = self.context.push(speaker, text);
            self.found.push_back(found.clone());
            found
        } else {
            match self.found.pop_front() {
                Some(found) => found,
                None => self.context.push(speaker, text),
            }
        };
        let mut spans: Vec<Span> = Vec::new();
        for f in &findings {
            if f.end > text.len() || self.pass_through.iter().any(|t| t == f.entity.as_str()) {
                continue;
            }
            match self.policy.action(f.entity) {
                Treat::Keep => {}
                Treat::Mask => spans.push((f.start, f.end, f.entity, None)),
                Treat::Tokenize => {
                    let value = Zeroizing::new(f.value.expose_secret().to_owned());
                    let raw = &text[f.start..f.end];
                    if self.collecting
                        && raw.chars().count() >= 4
                        && !self.known.iter().any(|(k, _, _)| k.as_str() == raw)
                    {
                        self.known
                            .push((Zeroizing::new(raw.to_owned()), f.entity, value.clone()));
                    }
                    spans.push((f.start, f.end, f.entity, Some(value)));
                }
            }
        }
        if self.collecting {
            return Ok(text.to_owned());
        }
        self.replace(text, spans)
    }

    /// `text` with `spans` and every other word-bounded occurrence of a known value replaced.
    fn replace(&mut self, text: &str, mut spans: Vec<Span>) -> Result<String, CoreError> {
        // Other occurrences of values found elsewhere in the request, on word boundaries.
        for (raw, entity, value) in &self.known {
            for (at, _) in text.match_indices(raw.as_str()) {
                let end = at + raw.len();
                let bounded = !text[..at]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric)
                    && !text[end..]
                        .chars()
                        .next()
                        .is_some_and(char::is_alphanumeric);
                let free = spans.iter().all(|(s, e, _, _)| end <= *s || at >= *e);
                if bounded && free {
                    spans.push((at, end, *entity, Some(value.clone())));
                }
            }
        }
        if spans.is_empty() {
            return Ok(text.to_owned());
        }
        spans.sort_by_key(|(start, _, _, _)| *start);
        let mut out = String::with_capacity(text.len());
        let mut pos = 0;
        for (start, end, entity, value) in spans {
            if start < pos {
                continue;
            }
            let label = match value {
                None => entity.as_str().to_owned(),
                Some(value) => self.token(entity, &value)?,
            };
            self.types.insert(entity.as_str().to_owned());
            out.push_str(&text[pos..start]);
            out.push('[');
            out.push_str(&label);
            out.push(']');
            pos = end;
        }
        out.push_str(&text[pos..]);
        Ok(out)
    }

    fn token(&mut self, entity: EntityType, value: &str) -> Result<String, CoreError> {
        let name = entity.as_str();
        let index = self.index_key.compute(name, value.as_bytes());
        let (token, is_new) = self.state.tokens.token_for(name, index)?;
        if is_new {
            let seq = self.state.next_seq;
            let field = format!("token.{}", token.id);
            let sealed = self.data_key.seal(
                &SealContext {
                    tenant: &self.state.tenant,
                    customer: &self.state.customer_ref,
                    conversation: &self.state.id,
                    turn: seq,
                    field: &field,
                },
                value.as_bytes(),
            )?;
            self.new_tokens.push(TokenRow {
                tenant: self.state.tenant.clone(),
                conversation: self.state.id.clone(),
                token_id: token.id.to_string(),
                entity: name.to_owned(),
                label: token.label.clone(),
                blind_index: *index.as_bytes(),
                sealed,
                turn_seq: seq,
            });
            self.new_values.push((
                token.label.clone(),
                name.to_owned(),
                Zeroizing::new(value.to_owned()),
            ));
        }
        if !self.produced.iter().any(|(l, _, _)| *l == token.label) {
            self.produced.push((
                token.label.clone(),
                name.to_owned(),
                Zeroizing::new(value.to_owned()),
            ));
        }
        Ok(token.label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Arc<RestoreTable> {
        Arc::new(RestoreTable::new(
            [
                (
                    "CREDIT_CARD_1".to_owned(),
                    "CREDIT_CARD".to_owned(),
                    Zeroizing::new("4111111111111111".to_owned()),
                ),
                (
                    "PHONE_NUMBER_1".to_owned(),
                    "PHONE_NUMBER".to_owned(),
                    Zeroizing::new("4155550132".to_owned()),
                ),
                (
                    "US_SSN_1".to_owned(),
                    "US_SSN".to_owned(),
                    Zeroizing::new("078051120".to_owned()),
                ),
            ],
            &["US_SSN".to_owned()],
        ))
    }

    #[test]
    fn labels_are_restored_case_insensitively_and_kept_types_stay_tokens() {
        let t = table();
        let mut types = BTreeSet::new();
        assert_eq!(
            t.restore(
                "card [credit_card_1], call [PHONE_NUMBER_1], ssn [US_SSN_1], [OTHER_1] [x",
                &mut types
            ),
            "card 4111111111111111, call 4155550132, ssn [US_SSN_1], [OTHER_1] [x"
        );
        assert_eq!(
            types.into_iter().collect::<Vec<_>>(),
            ["CREDIT_CARD", "PHONE_NUMBER"]
        );
    }

    #[test]
    fn labels_the_table_does_not_know_are_noticed() {
        let t = table();
        assert!(!t.has_unknown_label("[credit_card_1], [x], [soon], [US_SSN_1], [A_B]"));
        assert!(t.has_unknown_label("call [PHONE_NUMBER_2] today"));
        assert!(t.has_unknown_label("[person_1]"));
        assert!(!t.has_unknown_label("[PHONE_NUMBER_"), "not complete yet");
    }

    #[test]
    fn a_label_split_anywhere_is_restored_and_nothing_is_held_longer_than_a_label() {
        let t = table();
        let text = "Your card [CREDIT_CARD_1] is on file; we will call [PHONE_NUMBER_1] [soon].";
        let want = t.restore(text, &mut BTreeSet::new());
        for cut1 in 0..=text.len() {
            for cut2 in cut1..=text.len() {
                let mut s = StreamRestorer::new(Arc::clone(&t));
                let mut types = BTreeSet::new();
                let mut got = String::new();
                for piece in [&text[..cut1], &text[cut1..cut2], &text[cut2..]] {
                    got.push_str(&s.push(piece, &mut types));
                    assert!(s.pending.len() < t.max_len(), "held {:?}", s.pending);
                }
                got.push_str(&s.finish(&mut types));
                assert_eq!(got, want, "cuts at {cut1}, {cut2}");
            }
        }
    }
}
