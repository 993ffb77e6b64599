//! The application's one error type. Each variant maps to one HTTP status and one stable code in
//! the server; the message is safe to show a client (no values, no secrets). Details of
//! internal failures go to the log, not into the message.

/// What can go wrong in an application operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// No valid credential.
    #[error("authentication required")]
    Unauthenticated,
    /// The principal may not do this.
    #[error("not permitted: {0}")]
    Forbidden(&'static str),
    /// Not found in the caller's tenant (other tenants' objects are "not found" too).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request is well-formed but its content is refused.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// Too many requests for this principal; try again after this many seconds.
    #[error("rate limit exceeded")]
    RateLimited(u32),
    /// The customer was erased; their originals are gone.
    #[error("the customer's data has been erased")]
    Erased,
    /// The audit log cannot record acts (a failed append or consistency check): reads and
    /// reveals stop until an operator acts.
    #[error("the audit log is failing; reads and reveals are stopped until an operator acts")]
    AuditFailed,
    /// The service is shutting down or overloaded.
    #[error("service unavailable")]
    Unavailable,
    /// Anything else: storage, keys. The message is generic; the cause was logged.
    #[error("internal error")]
    Internal,
}

impl CoreError {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> CoreError {
        CoreError::Invalid {
            code,
            message: message.into(),
        }
    }
}

impl From<callvault_store::StoreError> for CoreError {
    fn from(e: callvault_store::StoreError) -> CoreError {
        if matches!(e, callvault_store::StoreError::Erased) {
            return CoreError::Erased;
        }
        tracing::error!(error = %e, "store failure");
        CoreError::Internal
    }
}

impl From<callvault_vault::VaultError> for CoreError {
    fn from(e: callvault_vault::VaultError) -> CoreError {
        match e {
            callvault_vault::VaultError::Erased => CoreError::Erased,
            other => {
                tracing::error!(error = %other, "vault failure");
                CoreError::Internal
            }
        }
    }
}

impl From<callvault_audit::AuditError> for CoreError {
    fn from(e: callvault_audit::AuditError) -> CoreError {
        tracing::error!(error = %e, "audit failure");
        CoreError::Internal
    }
}
