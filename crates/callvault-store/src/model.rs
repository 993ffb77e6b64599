//! Rows as the store keeps them. None of them holds a plaintext value: `redacted` text has
//! labels in place of values, `findings` are JSON without values, `sealed` is vault output.

/// An authenticated caller: a service (token) now, people later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub tenant: String,
    pub id: String,
    pub name: String,
    /// `admin`, `ingest`, ... (the access issue defines the full set).
    pub role: String,
    /// Unix milliseconds; `None` for no expiry.
    pub expires_at: Option<i64>,
    /// The public id of the credential used (`tok_` and the first 16 hex digits of the token's
    /// hash), recorded in audit entries; never the secret.
    pub session: String,
    /// The request's source address, set per request by the server; not stored.
    pub source: Option<String>,
}

/// The public id of a service token, from its stored hash.
pub fn token_public_id(token_hash: &[u8; 32]) -> String {
    let mut id = String::with_capacity(20);
    id.push_str("tok_");
    for b in &token_hash[..8] {
        id.push_str(&format!("{b:02x}"));
    }
    id
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationRow {
    pub tenant: String,
    pub id: String,
    /// The caller's customer reference: an opaque id from their systems, never PII.
    pub customer_ref: String,
    pub created_at: i64,
    pub n_turns: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TurnRow {
    pub tenant: String,
    pub conversation: String,
    pub seq: u64,
    pub id: String,
    pub speaker: String,
    pub redacted: String,
    /// JSON array of `{type, label, token, start, end}` (no values).
    pub findings: String,
    /// The original text (masked types already replaced), sealed under the customer's data key.
    pub sealed: Vec<u8>,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRow {
    pub tenant: String,
    pub conversation: String,
    pub token_id: String,
    pub entity: String,
    pub label: String,
    pub blind_index: [u8; 32],
    /// The value, sealed under the customer's data key (field `token.<id>`).
    pub sealed: Vec<u8>,
    /// The turn where the value was first said.
    pub turn_seq: u64,
}

/// One turn to append, with the tokens it introduced.
#[derive(Clone, Debug)]
pub struct TurnWrite {
    pub turn: TurnRow,
    pub new_tokens: Vec<TokenRow>,
}

/// What an erasure removed from the store (the vault reports the keys destroyed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ErasureCounts {
    pub conversations: u64,
    pub turns: u64,
    pub tokens: u64,
}
