//! Errors of the read model, classified where they arise: a bad event stops
//! its partition, an outage is retried, anything else stops the process.

/// What the caller should do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The event (or record) cannot be applied: fault its partition at its
    /// offset and keep the others moving.
    BadData,
    /// PostgreSQL is unreachable, restarting, overloaded, or the transaction
    /// lost a race: retry the same work later, fault nothing.
    Outage,
    /// Another instance owns the partition now: drop the work and re-claim.
    Fenced,
    /// A bug or a schema that does not match the code: stop and say so.
    Fatal,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadModelError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The event contradicts the view (unknown envelope, broken invariant…):
    /// the partition must stop here rather than skip it.
    #[error("event {event_id} at {topic}/{partition}@{offset} cannot be applied: {reason}")]
    Inapplicable {
        topic: String,
        partition: i32,
        offset: i64,
        event_id: String,
        reason: String,
    },
    /// This instance no longer holds the lease of a partition it wrote to.
    #[error("partition {topic}/{partition} is owned by another instance now")]
    Fenced { topic: String, partition: i32 },
}

impl ReadModelError {
    pub fn class(&self) -> ErrorClass {
        match self {
            ReadModelError::Database(err) => classify(err),
            ReadModelError::Migration(sqlx::migrate::MigrateError::Execute(err)) => classify(err),
            ReadModelError::Migration(_) => ErrorClass::Fatal,
            ReadModelError::Inapplicable { .. } => ErrorClass::BadData,
            ReadModelError::Fenced { .. } => ErrorClass::Fenced,
        }
    }

    pub fn is_outage(&self) -> bool {
        self.class() == ErrorClass::Outage
    }
}

/// Classifies a database error by its SQLSTATE class (PostgreSQL manual,
/// appendix A) or by its transport.
pub fn classify(err: &sqlx::Error) -> ErrorClass {
    match err {
        sqlx::Error::Database(db) => match db.code().as_deref().map(|c| c.get(..2).unwrap_or(c)) {
            // Integrity constraint violation, data exception: the rows the
            // event would write contradict the view or the column types.
            Some("23") | Some("22") => ErrorClass::BadData,
            // Connection exception, transaction rollback (serialization,
            // deadlock), insufficient resources, operator intervention
            // (shutdown, starting up), system error.
            Some("08") | Some("40") | Some("53") | Some("57") | Some("58") => ErrorClass::Outage,
            // Undefined table or column, syntax: the code and the schema
            // disagree. Retrying cannot help; faulting a partition would blame
            // an innocent event.
            _ => ErrorClass::Fatal,
        },
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => ErrorClass::Outage,
        _ => ErrorClass::Fatal,
    }
}
