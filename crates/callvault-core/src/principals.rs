//! Principal management for admins: issue, rotate and revoke service tokens (with scopes and
//! expiry), list principals, disable them. People are enrolled in `people`.
//!
//! A service token is 256 random bits shown once and stored as SHA-256. Rotation issues a new
//! token and gives the old ones a grace period (both work meanwhile), so a service can be
//! redeployed without downtime. Disabling a principal revokes all its tokens and sessions at
//! once. Every act is an audit entry in the same transaction as the change.

use std::sync::Arc;

use callvault_audit::Action;
use callvault_store::{Principal, PrincipalKind, PrincipalSummary};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::access::{self, Permission};
use crate::app::{blocking, now_ms, Core};
use crate::auth::new_token;
use crate::people::check_principal_id;
use crate::CoreError;

/// A new service token, shown once.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    pub principal: String,
    pub role: String,
    pub token: String,
    pub scopes: Option<Vec<String>>,
    pub expires_at: Option<i64>,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("principal", &self.principal)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// A principal as listed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PrincipalView {
    pub id: String,
    pub name: String,
    pub role: String,
    /// `person` or `service`.
    pub kind: String,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
    pub live_tokens: u64,
}

impl From<PrincipalSummary> for PrincipalView {
    fn from(s: PrincipalSummary) -> PrincipalView {
        PrincipalView {
            id: s.id,
            name: s.name,
            role: s.role,
            kind: s.kind.as_str().into(),
            created_at: s.created_at,
            disabled_at: s.disabled_at,
            live_tokens: s.live_tokens,
        }
    }
}

impl Core {
    /// Issues a service token for a principal of the caller's tenant (created if new; an
    /// existing one must be a service of the same role), shown once (blocking).
    pub fn issue_token(
        &self,
        actor: &Principal,
        principal: &str,
        role: &str,
        scopes: Option<Vec<String>>,
        expires_at: Option<i64>,
    ) -> Result<IssuedToken, CoreError> {
        access::require(actor, Permission::ManagePrincipals, now_ms())?;
        check_principal_id(principal)?;
        if access::role_permissions(role).is_none() {
            return Err(CoreError::invalid("unknown_role", "unknown role"));
        }
        if let Some(scopes) = &scopes {
            access::check_scopes(role, scopes)?;
        }
        if expires_at.is_some_and(|e| e <= now_ms()) {
            return Err(CoreError::invalid(
                "invalid_expiry",
                "expires_at must be in the future",
            ));
        }
        let (token, hash) = new_token()?;
        let new = Principal {
            tenant: actor.tenant.clone(),
            id: principal.to_owned(),
            name: principal.to_owned(),
            role: role.to_owned(),
            expires_at,
            session: callvault_store::token_public_id(&hash),
            source: None,
            scopes: scopes.clone(),
            elevated_until: None,
            kind: PrincipalKind::Service,
            credential: hash,
        };
        let mut record = self.record(actor, Action::TokenCreate);
        record.resources.principals.push(principal.to_owned());
        record.detail = Some(format!("role={role} token={}", new.session));
        match self.store().create_service_token(&new, &hash, &record) {
            Ok(()) => {}
            Err(callvault_store::StoreError::Conflict(why)) => {
                return Err(CoreError::invalid("principal_conflict", why))
            }
            Err(e) => return Err(e.into()),
        }
        Ok(IssuedToken {
            principal: principal.to_owned(),
            role: role.to_owned(),
            token: token.to_string(),
            scopes,
            expires_at,
        })
    }

    /// [`Core::issue_token`] from async code.
    pub async fn create_token(
        self: &Arc<Self>,
        actor: &Principal,
        principal: &str,
        role: &str,
        scopes: Option<Vec<String>>,
        expires_at: Option<i64>,
    ) -> Result<IssuedToken, CoreError> {
        if !access::allows(actor, Permission::ManagePrincipals, now_ms()) {
            self.authorize(actor, Permission::ManagePrincipals, Action::TokenCreate)
                .await?;
        }
        let (core, actor, principal, role) = (
            Arc::clone(self),
            actor.clone(),
            principal.to_owned(),
            role.to_owned(),
        );
        blocking(move || core.issue_token(&actor, &principal, &role, scopes, expires_at)).await?
    }

    /// Rotation without downtime: a new token for the principal, and every other live token of
    /// it expires after `grace_seconds` (at most a day).
    pub async fn rotate_token(
        self: &Arc<Self>,
        actor: &Principal,
        principal: &str,
        grace_seconds: u32,
    ) -> Result<IssuedToken, CoreError> {
        self.authorize(actor, Permission::ManagePrincipals, Action::TokenRotate)
            .await?;
        if grace_seconds > 86_400 {
            return Err(CoreError::invalid(
                "invalid_grace",
                "the grace period is at most 86400 seconds",
            ));
        }
        let existing = self
            .list_principals(actor)
            .await?
            .into_iter()
            .find(|p| p.id == principal && p.kind == "service" && p.disabled_at.is_none())
            .ok_or(CoreError::NotFound("service principal"))?;
        // The new token carries what the old ones carried: the same scopes, and no longer a
        // life than the longest of them (rotation must not widen a token).
        let (store, tenant, id) = (
            Arc::clone(self.store()),
            actor.tenant.clone(),
            principal.to_owned(),
        );
        let live = blocking(move || store.live_tokens(&tenant, &id, now_ms())).await??;
        let mut scopes = live.iter().map(|(s, _)| s.clone());
        let first = scopes.next().flatten();
        if scopes.any(|s| s != first) {
            return Err(CoreError::invalid(
                "mixed_scopes",
                "the principal's live tokens have different scopes: issue and revoke by hand",
            ));
        }
        let expires_at = if live.iter().any(|(_, e)| e.is_none()) {
            None
        } else {
            live.iter().filter_map(|(_, e)| *e).max()
        };
        let scopes = callvault_store::model::parse_scopes(first);
        let issued = self
            .create_token(actor, principal, &existing.role, scopes, expires_at)
            .await?;
        let until = now_ms() + i64::from(grace_seconds) * 1000;
        let keep = crate::auth::token_hash(&issued.token);
        let mut record = self.record(actor, Action::TokenRotate);
        record.resources.principals.push(principal.to_owned());
        record.detail = Some(format!("grace_seconds={grace_seconds}"));
        let (store, tenant, id) = (
            Arc::clone(self.store()),
            actor.tenant.clone(),
            principal.to_owned(),
        );
        blocking(move || store.expire_other_tokens(&tenant, &id, &keep, until)).await??;
        self.append_audit(record).await?;
        self.forget_principals();
        Ok(issued)
    }

    /// The tenant's principals.
    pub async fn list_principals(
        &self,
        actor: &Principal,
    ) -> Result<Vec<PrincipalView>, CoreError> {
        self.authorize(actor, Permission::ManagePrincipals, Action::PrincipalList)
            .await?;
        let (store, tenant) = (Arc::clone(self.store()), actor.tenant.clone());
        let rows = blocking(move || store.principals(&tenant)).await??;
        let mut record = self.record(actor, Action::PrincipalList);
        record.detail = Some(format!("principals={}", rows.len()));
        self.append_audit(record).await?;
        Ok(rows.into_iter().map(PrincipalView::from).collect())
    }

    /// Disables a principal of the tenant: its tokens and sessions stop working at once here
    /// (and on other servers within the principal cache's time to live).
    pub async fn disable_principal(&self, actor: &Principal, id: &str) -> Result<(), CoreError> {
        self.authorize(
            actor,
            Permission::ManagePrincipals,
            Action::PrincipalDisable,
        )
        .await?;
        if id == actor.id {
            return Err(CoreError::invalid(
                "cannot_disable_self",
                "a principal cannot disable itself",
            ));
        }
        let mut record = self.record(actor, Action::PrincipalDisable);
        record.resources.principals.push(id.to_owned());
        let (store, tenant, target) = (
            Arc::clone(self.store()),
            actor.tenant.clone(),
            id.to_owned(),
        );
        if !blocking(move || store.disable_principal(&tenant, &target, now_ms(), &record)).await?? {
            return Err(CoreError::NotFound("principal"));
        }
        self.forget_principals();
        Ok(())
    }

    /// Enrols a person from async code.
    pub async fn enrol_person(
        self: &Arc<Self>,
        actor: &Principal,
        username: &str,
        role: &str,
        password: Option<Zeroizing<String>>,
    ) -> Result<crate::people::Enrolment, CoreError> {
        self.authorize(actor, Permission::ManagePrincipals, Action::PersonEnrol)
            .await?;
        let (core, actor, username, role) = (
            Arc::clone(self),
            actor.clone(),
            username.to_owned(),
            role.to_owned(),
        );
        blocking(move || {
            core.add_person(
                &actor,
                &username,
                &role,
                password.as_deref().map(|p| p.as_str()),
            )
        })
        .await?
    }
}
