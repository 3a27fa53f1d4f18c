//! The erasable personal-data store.
//!
//! A person is registered with a name and an RPPS number and gets a random
//! pseudonymous id, the only thing events ever carry. The details are sealed
//! (ChaCha20-Poly1305) with a key generated for that person alone; erasing
//! the person destroys the key and the sealed data. The event log, its hash
//! chains and every balance are untouched: they never held the details.

mod routes;
mod seal;

pub use routes::router;

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

/// The store's schema, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// What the store keeps about a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDetails {
    pub name: String,
    pub rpps: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PersonsError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("sealing failed")]
    Seal,
}

/// What a lookup finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(PersonDetails),
    Erased,
    Unknown,
}

/// The store, on its own database.
#[derive(Debug, Clone)]
pub struct Persons {
    pool: PgPool,
}

impl Persons {
    /// Connects and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Self, PersonsError> {
        use sqlx::migrate::MigrateDatabase;
        if !sqlx::Postgres::database_exists(url).await? {
            sqlx::Postgres::create_database(url).await?;
        }
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    /// Seals the details under a fresh key and returns the new pseudonym.
    pub async fn register(&self, details: &PersonDetails) -> Result<Uuid, PersonsError> {
        let person_id = Uuid::new_v4();
        let plain = serde_json::to_vec(details).map_err(|_| PersonsError::Seal)?;
        let sealed = seal::seal(&plain).ok_or(PersonsError::Seal)?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO person_keys (person_id, key) VALUES ($1, $2)")
            .bind(person_id)
            .bind(&sealed.key)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO persons (person_id, nonce, sealed) VALUES ($1, $2, $3)")
            .bind(person_id)
            .bind(&sealed.nonce)
            .bind(&sealed.ciphertext)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(person_id)
    }

    pub async fn lookup(&self, person_id: Uuid) -> Result<Lookup, PersonsError> {
        let row: Option<(Vec<u8>, Vec<u8>, Vec<u8>)> = sqlx::query_as(
            "SELECT k.key, p.nonce, p.sealed FROM persons p JOIN person_keys k USING (person_id) WHERE person_id = $1",
        )
        .bind(person_id)
        .fetch_optional(&self.pool)
        .await?;
        if let Some((key, nonce, ciphertext)) = row {
            let plain = seal::open(&key, &nonce, &ciphertext).ok_or(PersonsError::Seal)?;
            let details = serde_json::from_slice(&plain).map_err(|_| PersonsError::Seal)?;
            return Ok(Lookup::Found(details));
        }
        let erased: Option<Uuid> =
            sqlx::query_scalar("SELECT person_id FROM erasures WHERE person_id = $1")
                .bind(person_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(if erased.is_some() {
            Lookup::Erased
        } else {
            Lookup::Unknown
        })
    }

    /// Destroys the key and the sealed details. Returns false for an
    /// unknown person; erasing twice is harmless.
    pub async fn erase(&self, person_id: Uuid) -> Result<bool, PersonsError> {
        let mut tx = self.pool.begin().await?;
        let keys = sqlx::query("DELETE FROM person_keys WHERE person_id = $1")
            .bind(person_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM persons WHERE person_id = $1")
            .bind(person_id)
            .execute(&mut *tx)
            .await?;
        let known = keys.rows_affected() == 1;
        let already: Option<Uuid> =
            sqlx::query_scalar("SELECT person_id FROM erasures WHERE person_id = $1")
                .bind(person_id)
                .fetch_optional(&mut *tx)
                .await?;
        if known {
            sqlx::query("INSERT INTO erasures (person_id) VALUES ($1)")
                .bind(person_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(known || already.is_some())
    }
}
