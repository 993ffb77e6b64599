//! What one audit entry says: who did what to which resources, why, and how it ended.
//!
//! An [`AuditRecord`] is built by the application; the store gives it its place in the log
//! (`seq`) and turns it into the leaf bytes ([`AuditRecord::to_leaf`]): compact JSON with the
//! fields in a fixed order, hashed as the Merkle leaf exactly as stored. An entry never holds a
//! value: resources are opaque ids (conversation, customer reference, token id), data types are
//! type names, and free text (a reveal's reason) is redacted by the caller before it gets here.
//! This module does not decide what is audited; the application does, one record per act.

use serde::{Deserialize, Serialize};

use crate::AuditError;

/// What was done. The names are stable: auditors filter on them and old logs keep them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Action {
    /// A tenant and its keys were created.
    #[serde(rename = "tenant.create")]
    TenantCreate,
    /// A service token was issued.
    #[serde(rename = "principal.token.create")]
    TokenCreate,
    /// A principal's tokens were revoked.
    #[serde(rename = "principal.tokens.revoke")]
    TokensRevoke,
    /// A request carried no valid credential.
    #[serde(rename = "auth.failure")]
    AuthFailure,
    /// A conversation was started.
    #[serde(rename = "conversation.create")]
    ConversationCreate,
    /// A conversation (redacted) was read.
    #[serde(rename = "conversation.read")]
    ConversationRead,
    /// Conversations were listed.
    #[serde(rename = "conversation.list")]
    ConversationList,
    /// A turn was redacted, sealed and stored.
    #[serde(rename = "turn.ingest")]
    TurnIngest,
    /// A live stream was opened on a conversation.
    #[serde(rename = "stream.open")]
    StreamOpen,
    /// A value was searched for by blind index.
    #[serde(rename = "search")]
    Search,
    /// Original values were revealed.
    #[serde(rename = "reveal")]
    Reveal,
    /// The server reopened a stored turn to rebuild a conversation's detector context.
    #[serde(rename = "context.reload")]
    ContextReload,
    /// A customer's data was erased.
    #[serde(rename = "customer.erase")]
    CustomerErase,
    /// The retention period was changed.
    #[serde(rename = "retention.set")]
    RetentionSet,
    /// Conversations past retention were purged.
    #[serde(rename = "retention.purge")]
    RetentionPurge,
    /// A legal hold was placed or released.
    #[serde(rename = "legal_hold.set")]
    LegalHoldSet,
    /// A customer's data keys are being destroyed.
    #[serde(rename = "key.shred")]
    KeyShred,
    /// A tenant's wrapping key was rotated.
    #[serde(rename = "key.rotate")]
    KeyRotate,
    /// The audit log was read (entries, proofs, checkpoints).
    #[serde(rename = "audit.read")]
    AuditRead,
    /// A model call went through the privacy proxy.
    #[serde(rename = "proxy.call")]
    ProxyCall,
    /// A person was enrolled (password, TOTP, recovery codes).
    #[serde(rename = "principal.person.enrol")]
    PersonEnrol,
    /// Redacted conversations were exported in bulk.
    #[serde(rename = "export")]
    Export,
    /// Principals were listed.
    #[serde(rename = "principal.list")]
    PrincipalList,
    /// A principal was disabled (its tokens and sessions revoked).
    #[serde(rename = "principal.disable")]
    PrincipalDisable,
    /// A service token was rotated (the old one kept for a grace period).
    #[serde(rename = "principal.token.rotate")]
    TokenRotate,
    /// A person logged in (or failed to).
    #[serde(rename = "login")]
    Login,
    /// A person logged out.
    #[serde(rename = "logout")]
    Logout,
    /// An account was locked after repeated failures.
    #[serde(rename = "login.lockout")]
    Lockout,
    /// A session was elevated to reveal more, for a limited time.
    #[serde(rename = "break_glass")]
    BreakGlass,
    /// An alert was raised for security officers.
    #[serde(rename = "alert.raise")]
    AlertRaised,
    /// Alerts were read.
    #[serde(rename = "alert.read")]
    AlertRead,
    /// A second principal's approval was requested.
    #[serde(rename = "approval.request")]
    ApprovalRequest,
    /// A request was approved by a second principal.
    #[serde(rename = "approval.grant")]
    ApprovalGrant,
}

impl Action {
    /// The stable name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::TenantCreate => "tenant.create",
            Action::TokenCreate => "principal.token.create",
            Action::TokensRevoke => "principal.tokens.revoke",
            Action::AuthFailure => "auth.failure",
            Action::ConversationCreate => "conversation.create",
            Action::ConversationRead => "conversation.read",
            Action::ConversationList => "conversation.list",
            Action::TurnIngest => "turn.ingest",
            Action::StreamOpen => "stream.open",
            Action::Search => "search",
            Action::Reveal => "reveal",
            Action::ContextReload => "context.reload",
            Action::CustomerErase => "customer.erase",
            Action::RetentionSet => "retention.set",
            Action::RetentionPurge => "retention.purge",
            Action::LegalHoldSet => "legal_hold.set",
            Action::KeyShred => "key.shred",
            Action::KeyRotate => "key.rotate",
            Action::AuditRead => "audit.read",
            Action::ProxyCall => "proxy.call",
            Action::PersonEnrol => "principal.person.enrol",
            Action::Export => "export",
            Action::PrincipalList => "principal.list",
            Action::PrincipalDisable => "principal.disable",
            Action::TokenRotate => "principal.token.rotate",
            Action::Login => "login",
            Action::Logout => "logout",
            Action::Lockout => "login.lockout",
            Action::BreakGlass => "break_glass",
            Action::AlertRaised => "alert.raise",
            Action::AlertRead => "alert.read",
            Action::ApprovalRequest => "approval.request",
            Action::ApprovalGrant => "approval.grant",
        }
    }

    /// Every action, for parsing filters and documenting the list.
    pub const ALL: &'static [Action] = &[
        Action::TenantCreate,
        Action::TokenCreate,
        Action::TokensRevoke,
        Action::AuthFailure,
        Action::ConversationCreate,
        Action::ConversationRead,
        Action::ConversationList,
        Action::TurnIngest,
        Action::StreamOpen,
        Action::Search,
        Action::Reveal,
        Action::ContextReload,
        Action::CustomerErase,
        Action::RetentionSet,
        Action::RetentionPurge,
        Action::LegalHoldSet,
        Action::KeyShred,
        Action::KeyRotate,
        Action::AuditRead,
        Action::ProxyCall,
        Action::PersonEnrol,
        Action::Export,
        Action::PrincipalList,
        Action::PrincipalDisable,
        Action::TokenRotate,
        Action::Login,
        Action::Logout,
        Action::Lockout,
        Action::BreakGlass,
        Action::AlertRaised,
        Action::AlertRead,
        Action::ApprovalRequest,
        Action::ApprovalGrant,
    ];

    /// The action with this stable name.
    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.as_str() == name)
    }
}

/// How the act ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It happened.
    Ok,
    /// It was refused (authentication, permission, rate limit, policy).
    Denied,
    /// It was attempted and failed.
    Failed,
}

/// The resources an act touched, by opaque id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// Conversation ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conversations: Vec<String>,
    /// Customer references (opaque ids from the caller's systems).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customers: Vec<String>,
    /// Token ids (never the values behind them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<String>,
    /// Principals acted upon (token revocation, principal management).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub principals: Vec<String>,
}

impl Resources {
    /// Whether no resource is named.
    pub fn is_empty(&self) -> bool {
        self.conversations.is_empty()
            && self.customers.is_empty()
            && self.tokens.is_empty()
            && self.principals.is_empty()
    }
}

/// One act, before the log gives it a sequence number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    /// Unix milliseconds.
    pub time_ms: i64,
    /// The tenant acted in; empty for acts of the whole deployment.
    pub tenant: String,
    /// Who acted: a principal id, `system` for the server's own jobs, `anonymous` when no
    /// credential was recognized.
    pub principal: String,
    /// The actor's role.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub role: String,
    /// The session or service token used (its public id, never the secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The source address of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// What was done.
    pub action: Action,
    /// What it was done to.
    #[serde(default, skip_serializing_if = "Resources::is_empty")]
    pub resources: Resources,
    /// Entity types involved (`CREDIT_CARD`, ...), never values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_types: Vec<String>,
    /// The declared purpose (reveals), from a fixed list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Free text from the actor, redacted before it is recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// A short machine-written note (counts, an error code); never a value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A record with its place in the log, as read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Its position in the log (the Merkle leaf index).
    pub seq: u64,
    /// What it records.
    #[serde(flatten)]
    pub record: AuditRecord,
}

impl AuditRecord {
    /// A record of `action` by `principal` in `tenant`, now, that succeeded.
    pub fn new(tenant: &str, principal: &str, action: Action) -> AuditRecord {
        AuditRecord {
            time_ms: now_ms(),
            tenant: tenant.to_owned(),
            principal: principal.to_owned(),
            role: String::new(),
            session: None,
            source: None,
            action,
            resources: Resources::default(),
            data_types: Vec::new(),
            purpose: None,
            reason: None,
            outcome: Outcome::Ok,
            detail: None,
        }
    }

    /// The leaf bytes of this record at position `seq`.
    ///
    /// `{"seq":N,` and then the record's fields in declaration order: serde_json writes struct
    /// fields in that order, and no field is a float or a map, so the bytes are canonical.
    pub fn to_leaf(&self, seq: u64) -> Result<Vec<u8>, AuditError> {
        let record = serde_json::to_vec(self)
            .map_err(|_| AuditError::Malformed("audit record does not serialize"))?;
        // The record always serializes as an object with at least `time_ms`.
        let fields = record
            .strip_prefix(b"{")
            .ok_or(AuditError::Malformed("audit record does not serialize"))?;
        let mut leaf = format!("{{\"seq\":{seq},").into_bytes();
        leaf.extend_from_slice(fields);
        Ok(leaf)
    }
}

impl AuditEntry {
    /// Parses stored leaf bytes (strictly: unknown fields are an error).
    pub fn from_leaf(leaf: &[u8]) -> Result<AuditEntry, AuditError> {
        let bad = || AuditError::Malformed("audit entry is not valid");
        let mut object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(leaf).map_err(|_| bad())?;
        let seq = object
            .remove("seq")
            .and_then(|v| v.as_u64())
            .ok_or_else(bad)?;
        let record: AuditRecord =
            serde_json::from_value(serde_json::Value::Object(object)).map_err(|_| bad())?;
        Ok(AuditEntry { seq, record })
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_bytes_are_stable_and_round_trip() {
        let mut record = AuditRecord::new("acme", "svc", Action::Reveal);
        record.time_ms = 1_700_000_000_000;
        record.resources.tokens.push("tok_1".into());
        record.data_types.push("CREDIT_CARD".into());
        record.purpose = Some("fraud_investigation".into());
        let leaf = record.to_leaf(7).unwrap();
        assert_eq!(
            std::str::from_utf8(&leaf).unwrap(),
            r#"{"seq":7,"time_ms":1700000000000,"tenant":"acme","principal":"svc","action":"reveal","resources":{"tokens":["tok_1"]},"data_types":["CREDIT_CARD"],"purpose":"fraud_investigation","outcome":"ok"}"#
        );
        let back = AuditEntry::from_leaf(&leaf).unwrap();
        assert_eq!(back.seq, 7);
        assert_eq!(back.record, record);
        assert_eq!(back.record.to_leaf(7).unwrap(), leaf);
    }

    #[test]
    fn every_action_name_parses_back() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(*a));
            let json = serde_json::to_string(a).unwrap();
            assert_eq!(json, format!("\"{}\"", a.as_str()));
        }
        assert_eq!(Action::parse("nope"), None);
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(AuditEntry::from_leaf(br#"{"seq":1,"time_ms":1,"tenant":"","principal":"x","action":"search","outcome":"ok","extra":1}"#).is_err());
        assert!(AuditEntry::from_leaf(b"\xff").is_err());
    }
}
