//! The store's one error type. Messages carry identifiers and the backend's own text (which
//! never includes bound parameter values), never row contents.

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database refused or failed an operation.
    #[error("database: {0}")]
    Backend(String),
    /// The database was written by a newer callvault.
    #[error("the database schema is at version {found}, newer than this build's {supported}")]
    SchemaTooNew { found: i64, supported: i64 },
    /// A row did not have the expected shape.
    #[error("stored data is malformed: {0}")]
    Corrupt(&'static str),
    /// The change conflicts with what is stored (e.g. a token for a principal of another kind
    /// or role).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A turn or token for a conversation whose customer was erased (refused by the schema).
    #[error("the conversation was erased")]
    Erased,
    /// Opening the database failed.
    #[error("cannot open the database at {path}: {reason}")]
    Open { path: String, reason: String },
}

/// The message of the schema's refusal to add to an erased conversation (migration 9).
pub(crate) const ERASED_MESSAGE: &str = "conversation erased";

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        match e {
            rusqlite::Error::SqliteFailure(_, Some(ref m)) if m == ERASED_MESSAGE => {
                StoreError::Erased
            }
            e => StoreError::Backend(e.to_string()),
        }
    }
}

impl From<StoreError> for callvault_vault::VaultError {
    fn from(e: StoreError) -> callvault_vault::VaultError {
        callvault_vault::VaultError::Table(e.to_string())
    }
}
