//! Bulk export of redacted conversations, and key rotation: two acts an admin or supervisor
//! does rarely and that need more care than a single read.
//!
//! An export names its conversations, a purpose and a reason; more conversations than the
//! dual-control threshold need an approval of exactly that export by a second principal. It
//! returns redacted transcripts only (originals stay sealed) and is one audit entry, durable
//! before the data is returned. Key rotation makes a new tenant wrapping key current at once and
//! rewraps the data keys in the background, then retires the old version; the intent is recorded
//! before the keys change.

use std::sync::Arc;

use callvault_audit::{Action, Outcome};
use callvault_store::Principal;
use serde::{Deserialize, Serialize};

use crate::access::Permission;
use crate::app::{blocking, distinct_sorted, ConversationView, Core};
use crate::reveal::{redact_reason, Purpose};
use crate::CoreError;

/// An export request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    pub conversations: Vec<String>,
    pub purpose: Purpose,
    /// Why (10 to 500 characters; recorded redacted).
    pub reason: String,
    /// An approval id (`POST /v1/approvals` with `"action": "export"`), above the threshold.
    #[serde(default)]
    pub approval: Option<String>,
}

/// What an export returns.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Export {
    pub audit_seq: u64,
    pub conversations: Vec<ConversationView>,
}

/// What a rotation did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Rotation {
    /// The tenant wrapping key version now current.
    pub version: u32,
    /// Data keys still wrapped by older versions (rewrapped in the background).
    pub to_rewrap: u64,
}

impl Core {
    /// Exports redacted conversations.
    pub async fn export(&self, p: &Principal, request: ExportRequest) -> Result<Export, CoreError> {
        self.authorize(p, Permission::Export, Action::Export)
            .await?;
        let ids = distinct_sorted(request.conversations.iter().map(String::as_str));
        let n = request.reason.chars().count();
        if ids.is_empty()
            || ids.len() > 1000
            || !(10..=500).contains(&n)
            || request.reason.chars().any(char::is_control)
        {
            return Err(CoreError::invalid(
                "invalid_request",
                "name 1 to 1000 conversations and a reason of 10 to 500 characters",
            ));
        }
        let mut record = self.record(p, Action::Export);
        record.purpose = Some(request.purpose.as_str().into());
        record.reason = Some(redact_reason(&request.reason));
        record.resources.conversations = ids.clone();
        let mut conversations = Vec::with_capacity(ids.len());
        for id in &ids {
            conversations.push(self.conversation_unaudited(p, id).await?);
        }
        if ids.len() > self.config().dual_control_threshold {
            let scope = crate::approvals::export_scope(&ids, request.purpose);
            let approved = match &request.approval {
                Some(id) => self.use_approval(p, id, &scope).await?,
                None => false,
            };
            if !approved {
                record.outcome = Outcome::Denied;
                record.resources.customers =
                    distinct_sorted(conversations.iter().map(|c| c.customer_ref.as_str()));
                record.detail = Some("needs a second principal's approval".into());
                self.append_audit(record).await?;
                return Err(CoreError::Forbidden(
                    "exporting this many conversations needs an approval by a second principal",
                ));
            }
            record.detail = request.approval.as_ref().map(|id| format!("approval={id}"));
        }
        record.resources.customers =
            distinct_sorted(conversations.iter().map(|c| c.customer_ref.as_str()));
        let audit_seq = self.append_audit(record).await?;
        Ok(Export {
            audit_seq,
            conversations,
        })
    }

    /// Rotates the tenant's wrapping key; rewraps and retires the old versions in the background.
    pub async fn rotate_keys(&self, p: &Principal) -> Result<Rotation, CoreError> {
        self.authorize(p, Permission::ManageKeys, Action::KeyRotate)
            .await?;
        let mut intent = self.record(p, Action::KeyRotate);
        intent.detail = Some("starting".into());
        self.append_audit(intent).await?;
        let (vault, tenant) = (Arc::clone(self.vault()), p.tenant.clone());
        let (version, to_rewrap) = blocking(move || -> Result<_, CoreError> {
            let version = vault.rotate(&tenant)?;
            let first = vault.rewrap(&tenant, 500)?;
            Ok((version, first.remaining))
        })
        .await??;
        let (vault, tenant) = (Arc::clone(self.vault()), p.tenant.clone());
        std::thread::Builder::new()
            .name("callvault-rewrap".into())
            .spawn(move || {
                loop {
                    match vault.rewrap(&tenant, 500) {
                        Ok(progress) if progress.remaining == 0 => break,
                        Ok(_) => {}
                        Err(e) => {
                            tracing::error!(error = %e, "rewrap failed; run the rotation again");
                            return;
                        }
                    }
                }
                if let Err(e) = vault.retire_unused(&tenant) {
                    tracing::error!(error = %e, "retiring old key versions failed");
                }
            })
            .map_err(|_| CoreError::Internal)?;
        let mut done = self.record(p, Action::KeyRotate);
        done.detail = Some(format!("version={version} to_rewrap={to_rewrap}"));
        self.append_audit(done).await?;
        Ok(Rotation { version, to_rewrap })
    }
}
