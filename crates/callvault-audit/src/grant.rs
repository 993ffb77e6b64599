//! [`AuditedGrant`]: the proof that an act was recorded before it happens.
//!
//! Opening a sealed value (a reveal, the proxy restoring tokens, the detector replaying a
//! turn) takes a grant, and the only way to get one is [`grant`], which appends the act's
//! record to a [`DurableLog`] and returns only after the log says it is durable. So a code path
//! that opens a value without an audit entry does not compile. The grant names its tenant and
//! the conversations it covers; the vault refuses to open anything outside them. This module
//! does not decide who may act (that is the caller's permission check, made before the grant).

use crate::entry::{AuditRecord, Outcome};
use crate::AuditError;

/// A log that can append a record durably (the store, through the group-commit writer).
pub trait DurableLog {
    /// Appends `record` and returns its sequence number once it is durable.
    fn append_durable(&self, record: AuditRecord) -> Result<u64, AuditError>;
}

/// Permission to open values of some conversations of one tenant, backed by a durable entry.
/// It has no public constructor and is neither `Clone` nor serializable.
#[derive(Debug)]
pub struct AuditedGrant {
    seq: u64,
    tenant: String,
    conversations: Vec<String>,
}

impl AuditedGrant {
    /// The sequence number of the entry behind this grant.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The tenant it covers.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// Whether this grant covers opening values of `conversation` in `tenant`.
    pub fn covers(&self, tenant: &str, conversation: &str) -> bool {
        self.tenant == tenant && self.conversations.iter().any(|c| c == conversation)
    }
}

/// Appends `record` (which must describe a successful act on named conversations of a tenant)
/// and returns the grant for those conversations once the entry is durable.
pub fn grant(log: &dyn DurableLog, record: AuditRecord) -> Result<AuditedGrant, AuditError> {
    if record.outcome != Outcome::Ok
        || record.tenant.is_empty()
        || record.resources.conversations.is_empty()
    {
        return Err(AuditError::Malformed(
            "a grant needs a successful record naming a tenant and its conversations",
        ));
    }
    let tenant = record.tenant.clone();
    let conversations = record.resources.conversations.clone();
    let seq = log.append_durable(record)?;
    Ok(AuditedGrant {
        seq,
        tenant,
        conversations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::Action;
    use std::sync::Mutex;

    struct Log(Mutex<Vec<AuditRecord>>, bool);

    impl DurableLog for Log {
        fn append_durable(&self, record: AuditRecord) -> Result<u64, AuditError> {
            if !self.1 {
                return Err(AuditError::Unavailable("test log refuses".into()));
            }
            let mut log = self.0.lock().unwrap();
            log.push(record);
            Ok(log.len() as u64 - 1)
        }
    }

    fn record() -> AuditRecord {
        let mut r = AuditRecord::new("acme", "sup", Action::Reveal);
        r.resources.conversations.push("conv_1".into());
        r
    }

    #[test]
    fn a_grant_exists_only_after_the_append() {
        let log = Log(Mutex::new(Vec::new()), true);
        let g = grant(&log, record()).unwrap();
        assert_eq!(g.seq(), 0);
        assert!(g.covers("acme", "conv_1"));
        assert!(!g.covers("acme", "conv_2"));
        assert!(!g.covers("other", "conv_1"));
        assert_eq!(log.0.lock().unwrap().len(), 1);

        let failing = Log(Mutex::new(Vec::new()), false);
        assert!(grant(&failing, record()).is_err());
    }

    #[test]
    fn a_grant_needs_a_scope_and_success() {
        let log = Log(Mutex::new(Vec::new()), true);
        let mut r = record();
        r.resources.conversations.clear();
        assert!(grant(&log, r).is_err());
        let mut r = record();
        r.outcome = Outcome::Denied;
        assert!(grant(&log, r).is_err());
        assert!(log.0.lock().unwrap().is_empty());
    }
}
