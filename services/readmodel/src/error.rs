//! Errors of the read model.

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
}
