//! The PostgreSQL read model.
//!
//! The projector writes it ([`project`]), the read API queries it
//! ([`queries`]); the schema lives in `migrations/`.

mod budget;
mod centres;
mod error;
pub mod journal;
mod obligations;
pub mod project;
pub mod queries;
mod workforce;

pub use error::ReadModelError;
pub use project::{ConsumedEvent, PartitionOffset, Projection};

use sqlx::{postgres::PgPoolOptions, PgPool};

/// The schema migrations, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects to PostgreSQL and brings the schema up to date.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, ReadModelError> {
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .connect(url)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}
