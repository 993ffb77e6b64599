//! Roles and permissions: what each principal may do, decided in one table.
//!
//! A role is a fixed set of [`Permission`]s. A service token may carry scopes, which narrow its
//! role's set (never widen it); a person's session may be elevated by break-glass, which widens
//! only what may be revealed, for a limited time. Tenancy is not here: every lookup is by the
//! principal's tenant (see `app`). Separation of duties is in the table itself: `admin` manages
//! principals, keys and policies but has no reveal permission; `auditor` reads the audit log and
//! nothing else.

use callvault_store::Principal;

use crate::CoreError;

/// One thing a principal may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Start conversations and send turns (HTTP, WebSocket, the proxy).
    Ingest,
    /// Read redacted conversations and list them.
    ReadRedacted,
    /// Search by value (blind index).
    Search,
    /// Reveal contact data (names, phone numbers, e-mail and street addresses, account ids).
    RevealContact,
    /// Reveal every kept type (cards, bank and government ids, health ids, dates of birth...).
    RevealAll,
    /// Export redacted conversations in bulk.
    Export,
    /// Erase a customer.
    Erase,
    /// Add, disable and list principals; issue and revoke tokens.
    ManagePrincipals,
    /// Rotate keys.
    ManageKeys,
    /// Retention and legal hold.
    ManagePolicy,
    /// Read the audit log: entries, checkpoints, proofs.
    ReadAudit,
    /// See and acknowledge alerts (break-glass, lockouts).
    ManageAlerts,
    /// Approve another principal's bulk reveal (dual control).
    Approve,
}

impl Permission {
    /// The stable name used in token scopes.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Ingest => "ingest",
            Permission::ReadRedacted => "read_redacted",
            Permission::Search => "search",
            Permission::RevealContact => "reveal_contact",
            Permission::RevealAll => "reveal_all",
            Permission::Export => "export",
            Permission::Erase => "erase",
            Permission::ManagePrincipals => "manage_principals",
            Permission::ManageKeys => "manage_keys",
            Permission::ManagePolicy => "manage_policy",
            Permission::ReadAudit => "read_audit",
            Permission::ManageAlerts => "manage_alerts",
            Permission::Approve => "approve",
        }
    }

    pub const ALL: &'static [Permission] = &[
        Permission::Ingest,
        Permission::ReadRedacted,
        Permission::Search,
        Permission::RevealContact,
        Permission::RevealAll,
        Permission::Export,
        Permission::Erase,
        Permission::ManagePrincipals,
        Permission::ManageKeys,
        Permission::ManagePolicy,
        Permission::ReadAudit,
        Permission::ManageAlerts,
        Permission::Approve,
    ];

    pub fn parse(name: &str) -> Option<Permission> {
        Permission::ALL.iter().copied().find(|p| p.as_str() == name)
    }
}

/// The roles, in the order the brief lists them.
pub const ROLES: &[&str] = &[
    "ingest",
    "agent",
    "supervisor",
    "auditor",
    "security_officer",
    "admin",
];

/// A role's permissions (`None`: no such role).
pub fn role_permissions(role: &str) -> Option<&'static [Permission]> {
    use Permission::*;
    Some(match role {
        "ingest" => &[Ingest, ReadRedacted],
        "agent" => &[ReadRedacted, RevealContact],
        "supervisor" => &[
            ReadRedacted,
            Search,
            RevealContact,
            RevealAll,
            Export,
            Approve,
        ],
        "auditor" => &[ReadAudit],
        "security_officer" => &[ReadAudit, ManageAlerts, Approve, Erase],
        "admin" => &[
            ReadRedacted,
            Search,
            Export,
            Erase,
            ManagePrincipals,
            ManageKeys,
            ManagePolicy,
            ReadAudit,
            Ingest,
        ],
        _ => return None,
    })
}

/// Whether `p` holds `permission`: in its role, within its token's scopes, or (for reveals)
/// through a live break-glass elevation.
pub fn allows(p: &Principal, permission: Permission, now_ms: i64) -> bool {
    let in_role = role_permissions(&p.role).is_some_and(|set| set.contains(&permission));
    let in_scope = p
        .scopes
        .as_ref()
        .is_none_or(|scopes| scopes.iter().any(|s| s == permission.as_str()));
    if in_role && in_scope {
        return true;
    }
    // Break-glass widens what a person who may reveal at all may reveal, for a while.
    permission == Permission::RevealAll
        && p.elevated_until.is_some_and(|until| until > now_ms)
        && role_permissions(&p.role).is_some_and(|set| set.contains(&Permission::RevealContact))
}

/// [`allows`] as an error.
pub fn require(p: &Principal, permission: Permission, now_ms: i64) -> Result<(), CoreError> {
    if allows(p, permission, now_ms) {
        Ok(())
    } else {
        Err(CoreError::Forbidden("this principal may not do that"))
    }
}

/// Contact types: what [`Permission::RevealContact`] reveals.
pub const CONTACT_TYPES: &[&str] = &[
    "PERSON",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "STREET_ADDRESS",
    "ZIP_CODE",
    "LOCATION",
    "ACCOUNT_ID",
];

/// The permission needed to reveal a value of `entity` (`None`: never revealable, because it is
/// never kept: masked types).
pub fn reveal_permission(entity: &str) -> Option<Permission> {
    match entity {
        "CARD_CVV" | "CREDENTIAL" => None,
        e if CONTACT_TYPES.contains(&e) => Some(Permission::RevealContact),
        _ => Some(Permission::RevealAll),
    }
}

/// Checks requested scopes against a role: each must name a permission the role has.
pub fn check_scopes(role: &str, scopes: &[String]) -> Result<(), CoreError> {
    let set = role_permissions(role).ok_or(CoreError::invalid("unknown_role", "unknown role"))?;
    for s in scopes {
        match Permission::parse(s) {
            Some(p) if set.contains(&p) => {}
            _ => {
                return Err(CoreError::invalid(
                    "invalid_scope",
                    "every scope must be a permission of the role",
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: &str) -> Principal {
        Principal {
            tenant: "t".into(),
            id: "p".into(),
            name: "p".into(),
            role: role.into(),
            expires_at: None,
            session: "s".into(),
            source: None,
            scopes: None,
            elevated_until: None,
            kind: callvault_store::PrincipalKind::Service,
            credential: [0; 32],
        }
    }

    #[test]
    fn admins_cannot_reveal_and_auditors_only_read_the_log() {
        for perm in [Permission::RevealContact, Permission::RevealAll] {
            assert!(!allows(&principal("admin"), perm, 0));
            assert!(!allows(&principal("auditor"), perm, 0));
            assert!(!allows(&principal("ingest"), perm, 0));
        }
        for perm in Permission::ALL {
            assert_eq!(
                allows(&principal("auditor"), *perm, 0),
                *perm == Permission::ReadAudit
            );
        }
        assert!(!allows(&principal("nonsense"), Permission::ReadRedacted, 0));
    }

    #[test]
    fn scopes_narrow_and_break_glass_widens_reveal_only() {
        let mut p = principal("supervisor");
        p.scopes = Some(vec!["read_redacted".into()]);
        assert!(allows(&p, Permission::ReadRedacted, 0));
        assert!(!allows(&p, Permission::Search, 0));
        assert!(check_scopes("ingest", &["reveal_all".into()]).is_err());
        assert!(check_scopes("ingest", &["ingest".into()]).is_ok());

        let mut agent = principal("agent");
        assert!(!allows(&agent, Permission::RevealAll, 100));
        agent.elevated_until = Some(200);
        assert!(allows(&agent, Permission::RevealAll, 100));
        assert!(!allows(&agent, Permission::RevealAll, 300), "expired");
        assert!(!allows(&agent, Permission::Search, 100), "reveal only");
        let mut admin = principal("admin");
        admin.elevated_until = Some(200);
        assert!(
            !allows(&admin, Permission::RevealAll, 100),
            "admins never reveal"
        );
        assert_eq!(reveal_permission("CARD_CVV"), None);
        assert_eq!(
            reveal_permission("PHONE_NUMBER"),
            Some(Permission::RevealContact)
        );
        assert_eq!(
            reveal_permission("CREDIT_CARD"),
            Some(Permission::RevealAll)
        );
    }
}
