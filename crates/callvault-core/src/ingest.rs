//! One turn through the pipeline: detect (with the conversation's context), decide per finding
//! (tokenize, mask, keep), label and blind-index tokenized values, seal what is kept, and build
//! the rows to store. Pure computation over a conversation's state and the vault: no I/O of its
//! own beyond the vault's key lookups.
//!
//! What leaves this module for the store: the redacted text, findings without values, the
//! original text sealed (masked spans already replaced, so CVVs and credentials are kept
//! nowhere), and for each value seen for the first time in the conversation its token row (label,
//! id, blind index, the normalized value sealed).

use callvault_detect::{Action, Conversation, Policy};
use callvault_store::{TokenRow, TurnRow, TurnWrite};
use callvault_vault::index::IndexKey;
use callvault_vault::{ConversationTokens, DataKey, SealContext, TokenId};
use serde::Serialize;

use crate::CoreError;

/// A turn as the caller sends it.
#[derive(Clone, Debug)]
pub struct TurnInput {
    pub speaker: Speaker,
    pub text: String,
    pub is_final: bool,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
}

/// Who spoke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    Customer,
    Agent,
}

impl Speaker {
    pub fn as_str(self) -> &'static str {
        match self {
            Speaker::Customer => "customer",
            Speaker::Agent => "agent",
        }
    }
}

/// One finding as the API shows it: no value, offsets in code points of the submitted text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FindingOut {
    #[serde(rename = "type")]
    pub entity: String,
    /// `CREDIT_CARD_1` for tokenized values, the type name for masked ones.
    pub label: String,
    /// The token id, for tokenized values only.
    pub token: Option<String>,
    pub start: usize,
    pub end: usize,
}

/// The result of ingesting a turn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TurnOut {
    pub id: String,
    pub seq: u64,
    pub redacted: String,
    pub findings: Vec<FindingOut>,
}

/// What the server remembers about a live conversation between turns.
#[derive(Clone)]
pub struct ConversationState {
    pub tenant: String,
    pub id: String,
    pub customer_ref: String,
    /// The principal that started the conversation.
    pub created_by: String,
    pub next_seq: u64,
    pub tokens: ConversationTokens,
    pub context: Conversation,
}

/// Runs one final turn through the pipeline and advances the state. On error the state may be
/// partly advanced: the caller drops it and reloads from the store.
pub fn process_turn(
    data_key: &DataKey,
    index_key: &IndexKey,
    policy: &Policy,
    state: &mut ConversationState,
    input: &TurnInput,
    turn_id: String,
    now_ms: i64,
) -> Result<(TurnOut, TurnWrite), CoreError> {
    let text = input.text.as_str();
    let seq = state.next_seq;
    let findings = state.context.push(Some(input.speaker.as_str()), text);
    let (tenant, customer, conversation) = (
        state.tenant.clone(),
        state.customer_ref.clone(),
        state.id.clone(),
    );

    let mut redacted = String::with_capacity(text.len());
    let mut kept = String::with_capacity(text.len());
    let mut out = Vec::with_capacity(findings.len());
    let mut new_tokens = Vec::new();
    let mut pos = 0;
    let mut chars = CharCounter::new(text);
    for f in &findings {
        if f.start < pos || f.end > text.len() {
            continue;
        }
        let entity = f.entity.as_str();
        let action = policy.action(f.entity);
        let (label, token) = match action {
            Action::Keep => continue,
            Action::Mask => (entity.to_owned(), None),
            Action::Tokenize => {
                let value = f.value.expose_secret().as_bytes();
                let index = index_key.compute(entity, value);
                let (token, is_new) = state.tokens.token_for(entity, index)?;
                if is_new {
                    let field = format!("token.{}", token.id);
                    let sealed = data_key.seal(
                        &seal_at(&tenant, &customer, &conversation, seq, &field),
                        value,
                    )?;
                    new_tokens.push(TokenRow {
                        tenant: state.tenant.clone(),
                        conversation: state.id.clone(),
                        token_id: token.id.to_string(),
                        entity: entity.to_owned(),
                        label: token.label.clone(),
                        blind_index: *index.as_bytes(),
                        sealed,
                        turn_seq: seq,
                    });
                }
                (token.label, Some(token.id.to_string()))
            }
        };
        redacted.push_str(&text[pos..f.start]);
        redacted.push('[');
        redacted.push_str(&label);
        redacted.push(']');
        kept.push_str(&text[pos..f.start]);
        if action == Action::Mask {
            kept.push('[');
            kept.push_str(&label);
            kept.push(']');
        } else {
            kept.push_str(&text[f.start..f.end]);
        }
        out.push(FindingOut {
            entity: entity.to_owned(),
            label,
            token,
            start: chars.at(f.start),
            end: chars.at(f.end),
        });
        pos = f.end;
    }
    redacted.push_str(&text[pos..]);
    kept.push_str(&text[pos..]);
    let sealed = data_key.seal(
        &seal_at(&tenant, &customer, &conversation, seq, "turn.text"),
        kept.as_bytes(),
    );
    zeroize::Zeroize::zeroize(&mut kept);
    let sealed = sealed?;

    let findings_json = serde_json::to_string(&out).map_err(|_| CoreError::Internal)?;
    state.next_seq += 1;
    let turn = TurnRow {
        tenant: state.tenant.clone(),
        conversation: state.id.clone(),
        seq,
        id: turn_id.clone(),
        speaker: input.speaker.as_str().to_owned(),
        redacted: redacted.clone(),
        findings: findings_json,
        sealed,
        started_at: input.started_at,
        ended_at: input.ended_at,
        created_at: now_ms,
    };
    Ok((
        TurnOut {
            id: turn_id,
            seq,
            redacted,
            findings: out,
        },
        TurnWrite { turn, new_tokens },
    ))
}

fn seal_at<'a>(
    tenant: &'a str,
    customer: &'a str,
    conversation: &'a str,
    turn: u64,
    field: &'a str,
) -> SealContext<'a> {
    SealContext {
        tenant,
        customer,
        conversation,
        turn,
        field,
    }
}

/// Restores a conversation's tokens from stored rows.
pub fn restore_tokens(rows: &[TokenRow]) -> ConversationTokens {
    let mut tokens = ConversationTokens::new();
    for row in rows {
        if let Some(id) = TokenId::parse(&row.token_id) {
            let index = callvault_vault::BlindIndex::from_bytes(row.blind_index);
            tokens.restore(
                &row.entity,
                index,
                callvault_vault::Token {
                    label: row.label.clone(),
                    id,
                },
            );
        }
    }
    tokens
}

/// Byte offset → code point offset, for increasing offsets in one pass.
struct CharCounter<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl<'a> CharCounter<'a> {
    fn new(text: &'a str) -> CharCounter<'a> {
        CharCounter {
            text,
            byte: 0,
            chars: 0,
        }
    }

    fn at(&mut self, byte: usize) -> usize {
        if byte < self.byte {
            self.byte = 0;
            self.chars = 0;
        }
        self.chars += self.text[self.byte..byte].chars().count();
        self.byte = byte;
        self.chars
    }
}

/// An interim result as the stream shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PartialOut {
    /// The part that can be shown, redacted; `[…]` marks a long held-back tail.
    pub redacted: String,
    /// Bytes of the submitted text held back because they may still grow into a value.
    pub held_back: usize,
}

/// Redacts an interim (non-final) result without advancing the conversation. Values the
/// conversation has labelled already show their label; new ones show their type until the final
/// result numbers them; the tail that may still grow into a value is held back.
pub fn process_partial(
    index_key: &IndexKey,
    policy: &Policy,
    state: &ConversationState,
    speaker: Speaker,
    text: &str,
) -> PartialOut {
    let hold = callvault_detect::hold_back_point(text);
    let findings = state.context.peek(Some(speaker.as_str()), text);
    let cut = findings
        .iter()
        .filter(|f| f.end > hold && f.start < hold)
        .map(|f| f.start)
        .min()
        .unwrap_or(hold);
    let mut redacted = String::with_capacity(cut);
    let mut pos = 0;
    for f in findings.iter().filter(|f| f.end <= cut) {
        if f.start < pos {
            continue;
        }
        let entity = f.entity.as_str();
        let label = match policy.action(f.entity) {
            Action::Keep => continue,
            Action::Mask => entity.to_owned(),
            Action::Tokenize => {
                let index = index_key.compute(entity, f.value.expose_secret().as_bytes());
                match state.tokens.get(entity, index) {
                    Some(token) => token.label.clone(),
                    None => entity.to_owned(),
                }
            }
        };
        redacted.push_str(&text[pos..f.start]);
        redacted.push('[');
        redacted.push_str(&label);
        redacted.push(']');
        pos = f.end;
    }
    redacted.push_str(&text[pos..cut]);
    if text[cut..].chars().count() > callvault_detect::MAX_HOLD_BACK {
        redacted.push_str(callvault_detect::PENDING);
    }
    PartialOut {
        redacted,
        held_back: text.len() - cut,
    }
}
