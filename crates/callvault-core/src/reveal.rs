//! Reveal: the one way an original value leaves callvault for a person.
//!
//! A reveal names token ids, a purpose from a fixed list and a reason. It is allowed only to
//! roles whose reveal permission covers every type asked for, at most so many times a minute
//! per principal, and only while the audit log is healthy. The act is appended to the audit log
//! first; the append returns the [`callvault_audit::AuditedGrant`] without which the vault will
//! not open anything, so no value is revealed without a durable entry. Refusals are entries too.
//! Masked types (CVV, credentials) have no token and nothing sealed: they cannot be revealed.
//! Which types a principal may reveal is `access`: contact types with `reveal_contact`, every
//! kept type with `reveal_all` (or a live break-glass elevation). More tokens than the dual-
//! control threshold need an approval by a second principal (`approvals`), used once.

use std::num::NonZeroU32;
use std::sync::Arc;

use callvault_audit::{Action, Outcome};
use callvault_store::Principal;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};

use crate::app::{blocking, distinct_sorted, Core};
use crate::CoreError;

/// Why a value is revealed: a fixed list, so reports can count them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// The customer asked for their own data.
    CustomerRequest,
    /// Investigating suspected fraud.
    FraudInvestigation,
    /// Resolving a dispute or chargeback.
    DisputeResolution,
    /// A legal or regulatory obligation.
    LegalObligation,
    /// Completing the service the customer called about.
    ServiceFulfilment,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::CustomerRequest => "customer_request",
            Purpose::FraudInvestigation => "fraud_investigation",
            Purpose::DisputeResolution => "dispute_resolution",
            Purpose::LegalObligation => "legal_obligation",
            Purpose::ServiceFulfilment => "service_fulfilment",
        }
    }
}

/// A reveal request, parsed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    /// Token ids (`tok_...`) from findings or search hits.
    pub tokens: Vec<String>,
    pub purpose: Purpose,
    /// Why, in the operator's words (10 to 500 characters). Recorded redacted.
    pub reason: String,
    /// An approval id (`POST /v1/approvals`), needed above the dual-control threshold.
    #[serde(default)]
    pub approval: Option<String>,
}

/// One revealed value.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RevealedValue {
    pub token: String,
    #[serde(rename = "type")]
    pub entity: String,
    pub label: String,
    pub conversation: String,
    /// The original; `null` when the customer was erased.
    pub value: Option<String>,
    pub erased: bool,
}

impl std::fmt::Debug for RevealedValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevealedValue")
            .field("token", &self.token)
            .field("type", &self.entity)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// The answer to a reveal.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RevealResponse {
    /// The audit entry recording this reveal.
    pub audit_seq: u64,
    pub values: Vec<RevealedValue>,
}

/// Reveals per principal per minute.
pub struct RevealLimiter(DefaultKeyedRateLimiter<(String, String)>);

impl RevealLimiter {
    pub fn new(per_minute: u32) -> RevealLimiter {
        let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        RevealLimiter(RateLimiter::keyed(Quota::per_minute(n)))
    }

    fn allow(&self, p: &Principal) -> bool {
        self.0.check_key(&(p.tenant.clone(), p.id.clone())).is_ok()
    }
}

impl Core {
    /// Reveals the originals behind `request.tokens`, after recording the act durably.
    pub async fn reveal(
        &self,
        p: &Principal,
        request: RevealRequest,
    ) -> Result<RevealResponse, CoreError> {
        let mut record = self.record(p, Action::Reveal);
        record.purpose = Some(request.purpose.as_str().to_owned());
        record.resources.tokens = request.tokens.clone();
        if !crate::approvals::may_reveal(p) {
            record.outcome = Outcome::Denied;
            record.detail = Some("role may not reveal".into());
            self.append_audit(record).await?;
            return Err(CoreError::Forbidden("this role may not reveal values"));
        }
        self.audit().health().check()?;
        check_request(&request, self.max_reveal_tokens())?;
        record.reason = Some(redact_reason(&request.reason));
        if !self.reveal_limiter().allow(p) {
            record.outcome = Outcome::Denied;
            record.detail = Some("rate limited".into());
            self.append_audit(record).await?;
            return Err(CoreError::RateLimited(60));
        }
        let ids = distinct_sorted(request.tokens.iter().map(String::as_str));
        let n_asked = ids.len();
        if n_asked > self.config().dual_control_threshold {
            let scope = crate::approvals::reveal_scope(&request.tokens, request.purpose);
            let approved = match &request.approval {
                Some(id) => self.use_approval(p, id, &scope).await?,
                None => false,
            };
            if !approved {
                record.outcome = Outcome::Denied;
                record.detail = Some("needs a second principal's approval".into());
                self.append_audit(record).await?;
                return Err(CoreError::Forbidden(
                    "revealing this many values needs an approval by a second principal",
                ));
            }
            record.detail = request.approval.as_ref().map(|id| format!("approval={id}"));
        }
        let (store, tenant) = (Arc::clone(self.store()), p.tenant.clone());
        let rows = blocking(move || store.tokens_by_id(&tenant, &ids)).await??;
        record.data_types = distinct_sorted(rows.iter().map(|(t, _)| t.entity.as_str()));
        record.resources.conversations =
            distinct_sorted(rows.iter().map(|(t, _)| t.conversation.as_str()));
        record.resources.customers = distinct_sorted(rows.iter().map(|(_, c)| c.as_str()));
        if rows.len() != n_asked {
            record.outcome = Outcome::Failed;
            record.detail = Some("unknown token".into());
            self.append_audit(record).await?;
            return Err(CoreError::NotFound("token"));
        }
        let now = crate::app::now_ms();
        if let Some(refused) = rows.iter().find(|(t, _)| {
            crate::access::reveal_permission(&t.entity)
                .is_none_or(|perm| !crate::access::allows(p, perm, now))
        }) {
            record.outcome = Outcome::Denied;
            record.detail = Some(format!("type {} not revealable here", refused.0.entity));
            self.append_audit(record).await?;
            return Err(CoreError::Forbidden(
                "this role may not reveal one of the types asked for",
            ));
        }
        let (audit, vault) = (Arc::clone(self.audit()), Arc::clone(self.vault()));
        blocking(move || -> Result<RevealResponse, CoreError> {
            let grant = callvault_audit::grant(audit.as_ref(), record)?;
            let mut values = Vec::with_capacity(rows.len());
            for (token, customer) in &rows {
                let field = format!("token.{}", token.token_id);
                let at = callvault_vault::SealContext {
                    tenant: &token.tenant,
                    customer,
                    conversation: &token.conversation,
                    turn: token.turn_seq,
                    field: &field,
                };
                let value = if token.sealed.is_empty() {
                    None
                } else {
                    match vault.open(&grant, &at, &token.sealed) {
                        Ok(bytes) => {
                            Some(String::from_utf8(bytes).map_err(|_| CoreError::Internal)?)
                        }
                        Err(callvault_vault::VaultError::Erased) => None,
                        Err(e) => return Err(e.into()),
                    }
                };
                values.push(RevealedValue {
                    token: token.token_id.clone(),
                    entity: token.entity.clone(),
                    label: token.label.clone(),
                    conversation: token.conversation.clone(),
                    erased: value.is_none(),
                    value,
                });
            }
            Ok(RevealResponse {
                audit_seq: grant.seq(),
                values,
            })
        })
        .await?
    }
}

fn check_request(request: &RevealRequest, max_tokens: usize) -> Result<(), CoreError> {
    if request.tokens.is_empty() || request.tokens.len() > max_tokens {
        return Err(CoreError::invalid(
            "invalid_tokens",
            format!("name 1 to {max_tokens} tokens"),
        ));
    }
    let well_formed =
        |t: &String| t.len() <= 64 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !request.tokens.iter().all(well_formed) {
        return Err(CoreError::invalid(
            "invalid_tokens",
            "token ids are letters, digits and underscores, at most 64",
        ));
    }
    let n = request.reason.chars().count();
    if !(10..=500).contains(&n) || request.reason.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            "invalid_reason",
            "the reason must be 10 to 500 characters without control characters",
        ));
    }
    Ok(())
}

/// The reason as recorded: anything the detector finds in it is replaced by its type, so an
/// operator who types a card number into the reason does not put it in the audit log.
pub fn redact_reason(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut pos = 0;
    for f in callvault_detect::detect(reason) {
        if f.start < pos || f.end > reason.len() {
            continue;
        }
        out.push_str(&reason[pos..f.start]);
        out.push('[');
        out.push_str(f.entity.as_str());
        out.push(']');
        pos = f.end;
    }
    out.push_str(&reason[pos..]);
    out
}
