//! Rows as the store keeps them. None of them holds a plaintext value: `redacted` text has
//! labels in place of values, `findings` are JSON without values, `sealed` is vault output.

/// Whether a principal is a person (password, TOTP, sessions) or a service (tokens).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrincipalKind {
    Person,
    Service,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Person => "person",
            PrincipalKind::Service => "service",
        }
    }

    pub fn parse(s: &str) -> PrincipalKind {
        if s == "person" {
            PrincipalKind::Person
        } else {
            PrincipalKind::Service
        }
    }
}

/// An authenticated caller: a service (token) or a person (session).
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
    /// A service token's scopes (permission names narrowing its role); `None`: the whole role.
    pub scopes: Option<Vec<String>>,
    /// Break-glass: until when (Unix ms) this session may reveal more.
    pub elevated_until: Option<i64>,
    pub kind: PrincipalKind,
    /// The SHA-256 of the credential used (what the store keeps; not a secret), so a session
    /// can be ended or elevated.
    pub credential: [u8; 32],
}

/// A person as kept for login. The password is an Argon2id PHC string; the TOTP secret is
/// wrapped by the root key; nothing here is usable without them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonRow {
    pub tenant: String,
    /// The username.
    pub id: String,
    pub name: String,
    pub role: String,
    pub password_hash: String,
    pub totp_sealed: Vec<u8>,
    /// The last TOTP time step accepted (a code is accepted once).
    pub totp_last_step: i64,
    pub failed_logins: u32,
    pub locked_until: Option<i64>,
    pub disabled: bool,
}

/// A principal as listed for admins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrincipalSummary {
    pub tenant: String,
    pub id: String,
    pub name: String,
    pub role: String,
    pub kind: PrincipalKind,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
    pub live_tokens: u64,
}

/// A person's session: an opaque token (stored as its SHA-256), bound to the login's source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    pub token_hash: [u8; 32],
    pub tenant: String,
    pub principal: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// Absolute end (Unix ms).
    pub expires_at: i64,
    /// Idle timeout (ms).
    pub idle_ms: i64,
    pub source: Option<String>,
    pub elevated_until: Option<i64>,
}

/// A request for a second principal's approval (dual control).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalRow {
    pub tenant: String,
    pub id: String,
    pub requester: String,
    /// What is to be approved, e.g. `reveal`.
    pub action: String,
    /// The exact request approved (JSON; token ids, purpose), compared when it is used.
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub approved_by: Option<String>,
    pub used_at: Option<i64>,
}

/// An alert for security officers (break-glass, lockouts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertRow {
    pub tenant: String,
    pub id: i64,
    pub kind: String,
    pub principal: String,
    pub detail: String,
    pub created_at: i64,
}

/// The public id of a session, from its stored hash.
pub fn session_public_id(token_hash: &[u8; 32]) -> String {
    let mut id = token_public_id(token_hash);
    id.replace_range(..4, "ses_");
    id
}

/// Scopes as stored (comma separated; `None`: the whole role).
pub fn parse_scopes(stored: Option<String>) -> Option<Vec<String>> {
    stored.map(|s| {
        s.split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    })
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
    /// Turns stored (the last sequence number plus one), read from the turns; ignored on insert.
    pub n_turns: u64,
    /// The principal that started it (the proxy gives earlier turns' values back only to it).
    pub created_by: String,
    /// When its customer was erased (milliseconds); it then takes no new turn. Ignored on
    /// insert.
    pub erased_at: Option<i64>,
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

impl TurnWrite {
    /// The ids of the turn's new tokens as the JSON array stored in its row (`turns.token_ids`):
    /// how a conversation's tokens are found.
    pub(crate) fn token_ids(&self) -> String {
        let ids: Vec<&str> = self
            .new_tokens
            .iter()
            .map(|k| k.token_id.as_str())
            .collect();
        serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())
    }
}

/// What an erasure removed from the store (the vault reports the keys destroyed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ErasureCounts {
    pub conversations: u64,
    pub turns: u64,
    pub tokens: u64,
}
