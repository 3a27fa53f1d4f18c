//! The erasable personal-data store.
//!
//! A person is registered with a name and an RPPS number and gets a random
//! pseudonymous id, the only thing events ever carry: a UUID the writers
//! recognise as issued here ([`ledger_domain::pseudonyms`]). The details are sealed
//! (ChaCha20-Poly1305) with a key generated for that person alone; erasing
//! the person destroys the key and the sealed data. The event log, its hash
//! chains and every balance are untouched: they never held the details.

mod routes;
mod seal;

pub use routes::{access_log_router, router};

use ledger_domain::pseudonyms::PseudonymKeys;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

/// The store's schema, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The key database's schema.
pub static KEYS_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations_keys");

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

/// The store, on two databases of its own: the sealed details, and apart
/// from them the keys that open them.
#[derive(Debug, Clone)]
pub struct Persons {
    pool: PgPool,
    keys: PgPool,
    /// Issues the pseudonyms (which the writers then recognise).
    pseudonyms: PseudonymKeys,
}

async fn open(url: &str) -> Result<PgPool, PersonsError> {
    use sqlx::migrate::MigrateDatabase;
    if !sqlx::Postgres::database_exists(url).await? {
        sqlx::Postgres::create_database(url).await?;
    }
    Ok(sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect(url)
        .await?)
}

impl Persons {
    /// Connects to both databases and brings their schemas up to date;
    /// keys a store of an earlier version kept beside the details are moved
    /// to the key database.
    pub async fn connect(
        url: &str,
        keys_url: &str,
        pseudonyms: PseudonymKeys,
    ) -> Result<Self, PersonsError> {
        let pool = open(url).await?;
        MIGRATOR.run(&pool).await?;
        let keys = open(keys_url).await?;
        KEYS_MIGRATOR.run(&keys).await?;
        let legacy: Vec<(Uuid, Vec<u8>)> = sqlx::query_as("SELECT person_id, key FROM person_keys")
            .fetch_all(&pool)
            .await?;
        if !legacy.is_empty() {
            for (person_id, key) in &legacy {
                sqlx::query("INSERT INTO person_keys (person_id, key) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(person_id)
                    .bind(key)
                    .execute(&keys)
                    .await?;
            }
            sqlx::query("DELETE FROM person_keys")
                .execute(&pool)
                .await?;
            tracing::info!(keys = legacy.len(), "person keys moved to the key database");
        }
        Ok(Self {
            pool,
            keys,
            pseudonyms,
        })
    }

    async fn key_of(&self, person_id: Uuid) -> Result<Option<Vec<u8>>, PersonsError> {
        Ok(
            sqlx::query_scalar("SELECT key FROM person_keys WHERE person_id = $1")
                .bind(person_id)
                .fetch_optional(&self.keys)
                .await?,
        )
    }

    /// Seals the details under a fresh key and returns the new pseudonym;
    /// the same `idempotency_key` from the same source system returns the
    /// pseudonym it gave the first time (other details: a conflict).
    pub async fn register(
        &self,
        details: &PersonDetails,
        caller: &Caller,
        idempotency_key: &str,
    ) -> Result<Registered, PersonsError> {
        let plain = serde_json::to_vec(details).map_err(|_| PersonsError::Seal)?;
        let digest = Sha256::digest(&plain).to_vec();
        let mut tx = self.pool.begin().await?;
        // Serialises registrations of one key: the second waits for the first.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1 || '/' || $2))")
            .bind(&caller.source_system)
            .bind(idempotency_key)
            .execute(&mut *tx)
            .await?;
        let earlier: Option<(Uuid, Vec<u8>)> = sqlx::query_as(
            "SELECT person_id, digest FROM registrations WHERE source_system = $1 AND idempotency_key = $2",
        )
        .bind(&caller.source_system)
        .bind(idempotency_key)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((person_id, earlier)) = earlier {
            return Ok(if earlier == digest {
                Registered::Again(person_id)
            } else {
                Registered::Conflict
            });
        }
        let sealed = seal::seal(&plain).ok_or(PersonsError::Seal)?;
        // The key first: a crash before the details are stored leaves an
        // unused key, never details without one. A pseudonym has 60 random
        // bits: drawn again in the unlikely case it is taken.
        let person_id = loop {
            let random: [u8; 8] = Uuid::new_v4().as_bytes()[..8]
                .try_into()
                .map_err(|_| PersonsError::Seal)?;
            let person_id =
                Uuid::parse_str(&self.pseudonyms.issue(random)).map_err(|_| PersonsError::Seal)?;
            let taken: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM persons WHERE person_id = $1)
                     OR EXISTS (SELECT 1 FROM erasures WHERE person_id = $1)",
            )
            .bind(person_id)
            .fetch_one(&mut *tx)
            .await?;
            if taken {
                continue;
            }
            let inserted = sqlx::query(
                "INSERT INTO person_keys (person_id, key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(person_id)
            .bind(&sealed.key)
            .execute(&self.keys)
            .await?;
            if inserted.rows_affected() == 1 {
                break person_id;
            }
        };
        sqlx::query(
            "INSERT INTO persons (person_id, nonce, sealed, source_system) VALUES ($1, $2, $3, $4)",
        )
        .bind(person_id)
        .bind(&sealed.nonce)
        .bind(&sealed.ciphertext)
        .bind(&caller.source_system)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO registrations (source_system, idempotency_key, digest, person_id) VALUES ($1, $2, $3, $4)",
        )
        .bind(&caller.source_system)
        .bind(idempotency_key)
        .bind(&digest)
        .bind(person_id)
        .execute(&mut *tx)
        .await?;
        log_access(&mut tx, person_id, caller, "register", "registered").await?;
        tx.commit().await?;
        Ok(Registered::New(person_id))
    }

    /// The person's details, if `caller` may see them: a person registered
    /// by another source system is `Unknown` to it. Every lookup is logged.
    pub async fn lookup(&self, person_id: Uuid, caller: &Caller) -> Result<Lookup, PersonsError> {
        let mut tx = self.pool.begin().await?;
        let row: Option<SealedRow> =
            sqlx::query_as("SELECT nonce, sealed, source_system FROM persons WHERE person_id = $1")
                .bind(person_id)
                .fetch_optional(&mut *tx)
                .await?;
        let found = match row {
            Some((nonce, ciphertext, system)) if caller.may_see(&system) => {
                match self.key_of(person_id).await? {
                    Some(key) => {
                        let plain =
                            seal::open(&key, &nonce, &ciphertext).ok_or(PersonsError::Seal)?;
                        let details =
                            serde_json::from_slice(&plain).map_err(|_| PersonsError::Seal)?;
                        Lookup::Found(details)
                    }
                    // The key is gone: an erasure that stopped half-way,
                    // erased all the same.
                    None => Lookup::Erased,
                }
            }
            Some(_) => Lookup::Unknown,
            None => {
                let erased: Option<String> =
                    sqlx::query_scalar("SELECT source_system FROM erasures WHERE person_id = $1")
                        .bind(person_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                match erased {
                    Some(system) if caller.may_see(&system) => Lookup::Erased,
                    _ => Lookup::Unknown,
                }
            }
        };
        let outcome = match &found {
            Lookup::Found(_) => "shown",
            Lookup::Erased => "erased",
            Lookup::Unknown => "unknown",
        };
        log_access(&mut tx, person_id, caller, "read", outcome).await?;
        tx.commit().await?;
        Ok(found)
    }

    /// Destroys the key and the sealed details. Returns false for a person
    /// unknown to `caller`; erasing twice is harmless.
    pub async fn erase(&self, person_id: Uuid, caller: &Caller) -> Result<bool, PersonsError> {
        let mut tx = self.pool.begin().await?;
        let owner: Option<String> = sqlx::query_scalar(
            "SELECT source_system FROM persons WHERE person_id = $1
             UNION ALL SELECT source_system FROM erasures WHERE person_id = $1 LIMIT 1",
        )
        .bind(person_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(system) = owner.filter(|s| caller.may_see(s)) else {
            log_access(&mut tx, person_id, caller, "erase", "unknown").await?;
            tx.commit().await?;
            return Ok(false);
        };
        // The key first, in its own database: once it is gone the details
        // can never be opened, whatever happens to the rest.
        sqlx::query("DELETE FROM person_keys WHERE person_id = $1")
            .bind(person_id)
            .execute(&self.keys)
            .await?;
        let details = sqlx::query("DELETE FROM persons WHERE person_id = $1")
            .bind(person_id)
            .execute(&mut *tx)
            .await?;
        if details.rows_affected() == 1 {
            sqlx::query("INSERT INTO erasures (person_id, source_system) VALUES ($1, $2)")
                .bind(person_id)
                .bind(&system)
                .execute(&mut *tx)
                .await?;
        }
        log_access(&mut tx, person_id, caller, "erase", "erased").await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Who accessed `person_id`, oldest first (for ops: no personal details).
    pub async fn access_log(&self, person_id: Uuid) -> Result<Vec<AccessEntry>, PersonsError> {
        let rows: Vec<(String, String, String, String, time::OffsetDateTime)> = sqlx::query_as(
            "SELECT caller, source_system, action, outcome, at FROM access_log WHERE person_id = $1 ORDER BY id",
        )
        .bind(person_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(caller, source_system, action, outcome, at)| AccessEntry {
                caller,
                source_system,
                action,
                outcome,
                at,
            })
            .collect())
    }
}

/// A person's nonce, sealed details and registering source system.
type SealedRow = (Vec<u8>, Vec<u8>, String);

async fn log_access(
    tx: &mut sqlx::PgConnection,
    person_id: Uuid,
    caller: &Caller,
    action: &str,
    outcome: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO access_log (person_id, caller, source_system, action, outcome) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(person_id)
    .bind(&caller.name)
    .bind(&caller.source_system)
    .bind(action)
    .bind(outcome)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Who asks: the caller's name and the source system it acts for (`*`:
/// every one, e.g. the data protection officer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub name: String,
    pub source_system: String,
}

impl Caller {
    fn may_see(&self, registered_by: &str) -> bool {
        self.source_system == "*" || self.source_system == registered_by
    }
}

/// What a registration did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    New(Uuid),
    /// The same key and details again: the first pseudonym.
    Again(Uuid),
    /// The same key with other details.
    Conflict,
}

/// One line of the access log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessEntry {
    pub caller: String,
    pub source_system: String,
    pub action: String,
    pub outcome: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: time::OffsetDateTime,
}
