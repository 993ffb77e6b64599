//! Dual control and alerts: a bulk reveal needs a second principal's approval, and
//! security officers see what needs their attention (break-glass, lockouts).
//!
//! A request names exactly what is to be done (the token ids and the purpose); a different
//! principal with the `approve` permission approves it within the window (30 minutes by
//! default); the requester then uses it once, for that exact scope. Requests, approvals and
//! reads of alerts are audit entries. This module does not reveal anything itself.

use std::sync::Arc;

use callvault_audit::{Action, Outcome};
use callvault_store::{ApprovalRow, Principal};
use serde::{Deserialize, Serialize};

use crate::access::{self, Permission};
use crate::app::{blocking, distinct_sorted, now_ms, Core};
use crate::reveal::{redact_reason, Purpose};
use crate::CoreError;

/// What an approval is for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalAction {
    #[default]
    Reveal,
    Export,
}

/// A request for approval of a bulk reveal or export.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRequest {
    #[serde(default)]
    pub action: ApprovalAction,
    /// Token ids to be revealed (reveal).
    #[serde(default)]
    pub tokens: Vec<String>,
    /// Conversation ids to be exported (export).
    #[serde(default)]
    pub conversations: Vec<String>,
    pub purpose: Purpose,
    /// Why (10 to 500 characters; recorded redacted).
    pub reason: String,
}

/// A request as answered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApprovalView {
    pub id: String,
    pub requester: String,
    pub action: String,
    pub expires_at: i64,
    pub approved_by: Option<String>,
}

/// An alert as listed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertView {
    pub id: i64,
    pub kind: String,
    pub principal: String,
    pub detail: String,
    pub created_at: i64,
}

/// The exact scope an approval covers: the distinct token ids, sorted, and the purpose.
pub fn reveal_scope(tokens: &[String], purpose: Purpose) -> String {
    let tokens = distinct_sorted(tokens.iter().map(String::as_str));
    serde_json::json!({"tokens": tokens, "purpose": purpose.as_str()}).to_string()
}

/// The same for an export: the distinct conversation ids, sorted, and the purpose.
pub fn export_scope(conversations: &[String], purpose: Purpose) -> String {
    let conversations = distinct_sorted(conversations.iter().map(String::as_str));
    serde_json::json!({"conversations": conversations, "purpose": purpose.as_str()}).to_string()
}

impl Core {
    /// Asks for a second principal's approval of a bulk reveal.
    pub async fn request_approval(
        &self,
        p: &Principal,
        request: ApprovalRequest,
    ) -> Result<ApprovalView, CoreError> {
        let (needed, items, scope, action) = match request.action {
            ApprovalAction::Reveal => (
                Permission::RevealContact,
                &request.tokens,
                reveal_scope(&request.tokens, request.purpose),
                "reveal",
            ),
            ApprovalAction::Export => (
                Permission::Export,
                &request.conversations,
                export_scope(&request.conversations, request.purpose),
                "export",
            ),
        };
        self.authorize(p, needed, Action::ApprovalRequest).await?;
        let n = request.reason.chars().count();
        if items.is_empty()
            || items.len() > 1000
            || !(10..=500).contains(&n)
            || request.reason.chars().any(char::is_control)
        {
            return Err(CoreError::invalid(
                "invalid_request",
                "name 1 to 1000 tokens (or conversations) and a reason of 10 to 500 characters",
            ));
        }
        let now = now_ms();
        let row = ApprovalRow {
            tenant: p.tenant.clone(),
            id: crate::app::random_id("apr_")?,
            requester: p.id.clone(),
            action: action.into(),
            scope,
            created_at: now,
            expires_at: now + self.config().approval_window.as_millis() as i64,
            approved_by: None,
            used_at: None,
        };
        let mut record = self.record(p, Action::ApprovalRequest);
        record.purpose = Some(request.purpose.as_str().into());
        record.reason = Some(redact_reason(&request.reason));
        record.resources.tokens = distinct_sorted(request.tokens.iter().map(String::as_str));
        record.resources.conversations =
            distinct_sorted(request.conversations.iter().map(String::as_str));
        record.detail = Some(format!("approval={} action={action}", row.id));
        let (store, insert) = (Arc::clone(self.store()), row.clone());
        blocking(move || store.create_approval(&insert, &record)).await??;
        Ok(ApprovalView {
            id: row.id,
            requester: row.requester,
            action: row.action,
            expires_at: row.expires_at,
            approved_by: None,
        })
    }

    /// Approves another principal's pending request.
    pub async fn approve(&self, p: &Principal, id: &str) -> Result<ApprovalView, CoreError> {
        self.authorize(p, Permission::Approve, Action::ApprovalGrant)
            .await?;
        let mut record = self.record(p, Action::ApprovalGrant);
        record.detail = Some(format!("approval={id}"));
        let (store, tenant, id_s, approver) = (
            Arc::clone(self.store()),
            p.tenant.clone(),
            id.to_owned(),
            p.id.clone(),
        );
        let denied = record.clone();
        let (approved, row) = blocking(move || -> Result<_, CoreError> {
            let approved = store.approve(&tenant, &id_s, &approver, now_ms(), &record)?;
            Ok((approved, store.approval(&tenant, &id_s)?))
        })
        .await??;
        let Some(row) = row else {
            return Err(CoreError::NotFound("approval"));
        };
        if !approved {
            let mut r = denied;
            r.outcome = Outcome::Denied;
            r.detail = Some(format!("approval={id}: own, expired or already approved"));
            self.append_audit(r).await?;
            return Err(CoreError::Forbidden(
                "requests are approved once, by someone else, before they expire",
            ));
        }
        Ok(ApprovalView {
            id: row.id,
            requester: row.requester,
            action: row.action,
            expires_at: row.expires_at,
            approved_by: row.approved_by,
        })
    }

    /// Uses an approval for a reveal of exactly `scope` (once).
    pub(crate) async fn use_approval(
        &self,
        p: &Principal,
        id: &str,
        scope: &str,
    ) -> Result<bool, CoreError> {
        let (store, tenant, id_s, requester) = (
            Arc::clone(self.store()),
            p.tenant.clone(),
            id.to_owned(),
            p.id.clone(),
        );
        let scope = scope.to_owned();
        blocking(move || -> Result<bool, CoreError> {
            match store.approval(&tenant, &id_s)? {
                Some(row) if row.scope == scope => {
                    Ok(store.consume_approval(&tenant, &id_s, &requester, now_ms())?)
                }
                _ => Ok(false),
            }
        })
        .await?
    }

    /// The tenant's latest alerts (security officers).
    pub async fn alerts(&self, p: &Principal) -> Result<Vec<AlertView>, CoreError> {
        self.authorize(p, Permission::ManageAlerts, Action::AlertRead)
            .await?;
        let (store, tenant) = (Arc::clone(self.store()), p.tenant.clone());
        let rows = blocking(move || store.alerts(&tenant, 200)).await??;
        self.append_audit(self.record(p, Action::AlertRead)).await?;
        Ok(rows
            .into_iter()
            .map(|a| AlertView {
                id: a.id,
                kind: a.kind,
                principal: a.principal,
                detail: a.detail,
                created_at: a.created_at,
            })
            .collect())
    }
}

/// Whether a principal could reveal at all (for messages).
pub fn may_reveal(p: &Principal) -> bool {
    let now = now_ms();
    access::allows(p, Permission::RevealContact, now)
        || access::allows(p, Permission::RevealAll, now)
}
